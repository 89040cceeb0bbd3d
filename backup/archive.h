/* SPDX-License-Identifier: GPL-2.0-or-later */
/* backup/archive.h - a backup archive: a pax tar stream compressed with zstd (libarchive), written
 * entry by entry to a file descriptor and read back entry by entry. Both sides compute CRC32C: of
 * every entry's uncompressed bytes and of the whole compressed file, so a backup can be checked
 * against its manifest and its catalog entry. The writer is shared by the dump threads (entries are
 * added whole under a mutex); a reader belongs to one thread. */
#ifndef BKP_ARCHIVE_H
#define BKP_ARCHIVE_H

#include <stddef.h>
#include <stdint.h>

#include "replicator/base/error.h"

typedef struct bkp_archive_writer bkp_archive_writer;
typedef struct bkp_archive_reader bkp_archive_reader;

/** Start an archive on fd (borrowed, must stay open until finish/free). path names the file in
 * messages. zstd_level: 1..19 (0 = 3). */
int bkp_archive_writer_open(bkp_archive_writer **out, int fd, const char *path, int zstd_level,
                            repl_error *err);
/** Add one regular file entry with len bytes of data. Thread-safe: entries never interleave. After
 * a failure every later call fails too. REPL_ERR_FULL when the disk is full (ENOSPC), REPL_ERR_IO
 * for other write errors. */
int bkp_archive_add(bkp_archive_writer *w, const char *name, const void *data, size_t len,
                    repl_error *err);
/** Write the end of the archive and flush the compressor. bytes/crc (may be NULL): size and CRC32C
 * of everything written to fd. The writer must still be freed. */
int bkp_archive_writer_finish(bkp_archive_writer *w, uint64_t *bytes, uint32_t *crc,
                              repl_error *err);
/** Release (an unfinished archive is abandoned: the caller removes the file). NULL is a no-op. */
void bkp_archive_writer_free(bkp_archive_writer *w);

/** Open path for reading. */
int bkp_archive_reader_open(bkp_archive_reader **out, const char *path, repl_error *err);
/** Advance to the next entry: *name (borrowed until the next call) and its size. REPL_ERR_NOTFOUND
 * at the end of the archive; REPL_ERR_CORRUPT for a damaged stream (the message names the entry
 * before the damage). Unread data of the previous entry is skipped (and still checksummed). */
int bkp_archive_reader_next(bkp_archive_reader *r, const char **name, uint64_t *size,
                            repl_error *err);
/** Read up to cap bytes of the current entry; *got = 0 at its end. REPL_ERR_CORRUPT if the stream
 * is damaged (names the entry). */
int bkp_archive_reader_read(bkp_archive_reader *r, void *buf, size_t cap, size_t *got,
                            repl_error *err);
/** CRC32C and byte count of the current entry's data read so far (complete after read returned
 * *got = 0). */
uint32_t bkp_archive_reader_entry_crc(const bkp_archive_reader *r);
uint64_t bkp_archive_reader_entry_bytes(const bkp_archive_reader *r);
/** After the last entry: read whatever is left of the file, and give the size and CRC32C of the
 * whole compressed file. */
int bkp_archive_reader_finish(bkp_archive_reader *r, uint64_t *bytes, uint32_t *crc,
                              repl_error *err);
void bkp_archive_reader_free(bkp_archive_reader *r);

#endif
