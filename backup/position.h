/* SPDX-License-Identifier: GPL-2.0-or-later */
/* backup/position.h - the replication position a backup carries (DESIGN.md section 7): the
 * backed-up server's binlog coordinates and GTID at the snapshot, and the THL position that matches
 * them: on a slave the trep_<service>.trep_commit_seqno rows read inside the snapshot, on a master
 * the binlog position mapped to a seqno through the THL's indexes. Also its JSON form (manifest,
 * catalog). Functions taking a MYSQL handle use it from the calling thread only. */
#ifndef BKP_POSITION_H
#define BKP_POSITION_H

#include <jansson.h>
#include <mysql.h>
#include <stddef.h>
#include <stdint.h>

#include "replicator/base/error.h"
#include "thl/event.h"
#include "thl/log.h"

#define BKP_GTID_MAX 1024

typedef struct bkp_position {
    char role[8];                  /* "master" or "slave" */
    int64_t seqno;                 /* THL seqno of the last transaction in the backup; -1 unknown */
    int64_t epoch;                 /* epoch of that seqno; -1 unknown */
    char event_id[THL_ID_MAX + 1]; /* its event_id ("file:offset;D-S-N"), "" unknown */
    char source_id[256];           /* the master that produced it, "" unknown */
    char binlog_file[256];         /* the server's own binlog at the snapshot ("" binlog off) */
    uint64_t binlog_pos;           /* offset in binlog_file */
    char gtid[BKP_GTID_MAX];       /* @@gtid_binlog_pos at the snapshot ("" none) */
} bkp_position;

/** One row of trep_<service>.trep_commit_seqno (one apply channel). */
typedef struct bkp_channel_pos {
    uint32_t task_id;
    int64_t seqno; /* -1 for NULL */
    uint32_t fragno;
    int last_frag;
    int64_t epoch; /* -1 for NULL */
    char source_id[256];
    char event_id[THL_ID_MAX + 1];
} bkp_channel_pos;

/** Empty position: role "", seqno and epoch -1, strings "". */
void bkp_position_init(bkp_position *pos);

/** Read SHOW MASTER STATUS and @@gtid_binlog_pos into pos (binlog_file, binlog_pos, gtid). Call
 * while FLUSH TABLES WITH READ LOCK is held so they match the snapshot. */
int bkp_position_read_binlog(bkp_position *pos, MYSQL *m, repl_error *err);

/** Read every row of `trep_<service>`.trep_commit_seqno on m (inside its consistent snapshot) into
 * *out (repl_malloc'ed, caller frees with repl_free; NULL when count is 0), and set pos's role to
 * "slave" and seqno/epoch/event_id/source_id from the channel with the lowest seqno (the point up
 * to which every channel has applied). REPL_ERR_SOURCE if the table does not exist. */
int bkp_position_read_slave(bkp_position *pos, bkp_channel_pos **out, size_t *count, MYSQL *m,
                            const char *service, repl_error *err);

/** Map pos's GTID (else its binlog file:offset) to the master's THL: seqno, epoch, event_id,
 * source_id of the last transaction at or before it. Waits up to wait_ms (polling) while the THL
 * has not reached the position yet; REPL_ERR_NOTFOUND if it still has not. A position before any
 * transaction (empty GTID and the THL empty) leaves seqno -1 and returns REPL_OK. log is borrowed.
 */
int bkp_position_map_thl(bkp_position *pos, thl_log *log, int wait_ms, repl_error *err);

/** New JSON object {role, seqno, epoch, event_id, source_id, binlog_file, binlog_pos, gtid}; -1 and
 * "" are written as null. Aborts on OOM. */
json_t *bkp_position_to_json(const bkp_position *pos);
/** Parse the object written by bkp_position_to_json. REPL_ERR_CORRUPT on a missing or bad field. */
int bkp_position_from_json(bkp_position *out, const json_t *obj, repl_error *err);

/** JSON array of channel rows; aborts on OOM. */
json_t *bkp_channels_to_json(const bkp_channel_pos *ch, size_t count);
/** Parse the array into *out (repl_malloc'ed, NULL when empty). */
int bkp_channels_from_json(bkp_channel_pos **out, size_t *count, const json_t *arr,
                           repl_error *err);

/** One-line text form for logs and the CLI: "seqno=N epoch=E binlog=F:P gtid=G". */
void bkp_position_format(const bkp_position *pos, char *out, size_t out_len);

#endif
