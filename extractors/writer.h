/* SPDX-License-Identifier: GPL-2.0-or-later */
/* extractors/writer.h - the extract stage's THL writer thread: events handed over by the decoding
 * thread are encoded (zstd, CRC) and appended to the THL in order on a second thread, so decoding
 * and encoding run on two cores. A bounded queue (at most EXT_WRITER_QUEUE events, each at most
 * about one fragment) keeps memory bounded; events are recycled. The writer thread is the THL's
 * only writer while it runs. */
#ifndef EXT_WRITER_H
#define EXT_WRITER_H

#include "replicator/base/error.h"
#include "thl/event.h"
#include "thl/log.h"

#define EXT_WRITER_QUEUE 16

/** Called on the writer thread after an event (fragment) was appended (not yet committed). */
typedef void (*ext_writer_done_fn)(void *ctx, const thl_event *ev);

typedef struct ext_writer ext_writer;

/** Start the writer thread for log. Aborts on OOM; REPL_ERR_IO if the thread cannot start. */
int ext_writer_open(ext_writer **out, thl_log *log, ext_writer_done_fn done, void *ctx,
                    repl_error *err);

/** Hand *ev to the writer (taken) and put an empty event in its place. Blocks while the queue is
 * full. Returns the writer's first error (the event is then dropped: nothing after a failed append
 * is stored). */
int ext_writer_push(ext_writer *w, thl_event **ev, repl_error *err);

/** Commit everything pushed so far and wait until it is committed (and fsynced per sync mode). */
int ext_writer_commit(ext_writer *w, repl_error *err);

/** Commit what was pushed, stop the thread, free the writer; returns the writer's first error.
 * NULL is a no-op returning REPL_OK. */
int ext_writer_close(ext_writer *w, repl_error *err);

#endif
