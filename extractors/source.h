/* SPDX-License-Identifier: GPL-2.0-or-later */
/* extractors/source.h - the live binlog source: a libmariadb connection to the master used for SQL
 * (preflight checks, positions) and for our own binlog dump loop (COM_BINLOG_DUMP, raw packets read
 * with mysql_net_read_packet). It hands out raw event bytes with their binlog position; decoding is
 * extractors/binlog.h's job. Connector/C's mariadb_rpl_* API is not used (it breaks at rotation).
 * One ext_source per thread. */
#ifndef EXT_SOURCE_H
#define EXT_SOURCE_H

#include <stddef.h>
#include <stdint.h>

#include "replicator/base/error.h"

typedef struct ext_source_options {
    const char *host; /* "127.0.0.1"; ignored when socket is set */
    unsigned port;
    const char *socket; /* Unix socket path or NULL */
    const char *user;
    const char *password;
    uint32_t replica_server_id; /* our server id as a replica: must differ from every server's */
    int heartbeat_ms;           /* master heartbeat period while idle; 0 = off */
    int connect_timeout_sec;
    int read_timeout_sec; /* > heartbeat period; a silent master beyond it is a lost connection */
} ext_source_options;

void ext_source_options_init(ext_source_options *opts);

typedef enum ext_start_kind {
    EXT_START_FILE = 0, /* binlog file + offset */
    EXT_START_GTID =
        1,            /* MariaDB GTID position "D-S-N[,D-S-N...]": the next transaction after it */
    EXT_START_NOW = 2 /* the master's current position (SHOW MASTER STATUS) */
} ext_start_kind;

typedef struct ext_start {
    ext_start_kind kind;
    char file[256];
    uint64_t offset;
    char gtid[1024];
} ext_start;

typedef struct ext_source ext_source;

/** Connect (no dump yet). REPL_ERR_RETRY when the host is unreachable or the connection drops
 * (retry with backoff), REPL_ERR_SOURCE for wrong credentials and other refusals (do not retry
 * blindly). */
int ext_source_open(ext_source **out, const ext_source_options *opts, repl_error *err);
void ext_source_close(ext_source *src);

/** Check the master's settings (log_bin, binlog_format, binlog_row_metadata, server_id,
 * binlog_checksum). On a bad setting returns REPL_ERR_INVALID with a message that names the setting
 * and the exact statement that fixes it. */
int ext_source_preflight(ext_source *src, repl_error *err);

/** The master's current binlog file and offset, and its gtid_binlog_pos. */
int ext_source_master_status(ext_source *src, char *file, size_t file_size, uint64_t *offset,
                             char *gtid, size_t gtid_size, repl_error *err);

/** Run a statement on the source connection (no result expected). */
int ext_source_exec(ext_source *src, const char *sql, repl_error *err);

/** Start the dump at start. Afterwards only ext_source_next may be used. */
int ext_source_dump_start(ext_source *src, const ext_start *start, repl_error *err);

/** The next raw event (19-byte header ... checksum) as sent by the master; bytes valid until the
 * next call. REPL_ERR_RETRY on a lost connection or read timeout, REPL_ERR_SOURCE on a server error
 * packet (message names the server's error), REPL_ERR_NOTFOUND at end of log in non-blocking mode.
 */
int ext_source_next(ext_source *src, const uint8_t **event, size_t *len, repl_error *err);

/** Make a blocked ext_source_next return (REPL_ERR_RETRY) promptly; callable from another thread.
 */
void ext_source_interrupt(ext_source *src);

/** host:port (or socket) of the source, for messages and event source ids. */
const char *ext_source_name(const ext_source *src);

/** Server version string and whether it is MariaDB. */
const char *ext_source_version(const ext_source *src, int *is_mariadb);

#endif
