/* SPDX-License-Identifier: GPL-2.0-or-later */
/* appliers/applier_int.h - private to appliers/apply*.c: the applier object, its caches (session
 * variables, table metadata, prepared statements) and the functions the apply_*.c files share.
 * Everything here runs on the applier's single owner thread. */
#ifndef APL_APPLIER_INT_H
#define APL_APPLIER_INT_H

#include <mysql.h>
#include <stdint.h>

#include "appliers/applier.h"
#include "replicator/base/buf.h"
#include "replicator/base/mem.h"

#define APL_LOG "apply"

/* ---- session variables ---------------------------------------------------------------------- */

/** Session variables tracked so that only changes are sent (one SET per change of mode). */
enum apl_sv {
    APL_SV_SQL_MODE = 0,
    APL_SV_CS_CLIENT,
    APL_SV_COLL_CONN,
    APL_SV_COLL_SERVER,
    APL_SV_COLL_DB,
    APL_SV_TIME_ZONE, /* value in apl_sess.time_zone */
    APL_SV_AI_INC,
    APL_SV_AI_OFF,
    APL_SV_LC_TIME,
    APL_SV_PSEUDO_THREAD,
    APL_SV_FK_CHECKS,
    APL_SV_UNIQUE_CHECKS,
    APL_SV_AUTO_IS_NULL,
    APL_SV_EXPLICIT_TS,
    APL_SV_TIMESTAMP, /* µs; -1 = DEFAULT (the server clock) */
    APL_SV_COUNT
};

/** A set of session variable values; bit i of mask says value i is set. */
typedef struct apl_sess {
    uint32_t mask;
    int64_t num[APL_SV_COUNT];
    char time_zone[65];
} apl_sess;

/** sql_mode for row changes: NO_AUTO_VALUE_ON_ZERO only (zero dates allowed, not strict). */
#define APL_ROW_SQL_MODE 524288ull
#define APL_COLL_BINARY  63

/* ---- table metadata ---------------------------------------------------------------------------
 */

typedef struct apl_tcol {
    char *name;
    int generated;
    int pk;
} apl_tcol;

typedef struct apl_table {
    struct apl_table *next;
    char *schema;
    char *name;
    int exists;
    int ncols;
    apl_tcol *cols;
    int transactional; /* engine supports transactions */
    int triggers;      /* the target table has triggers */
    int versioned;     /* WITH SYSTEM VERSIONING */
    int sequence;      /* a SEQUENCE */
    int binlog_path;   /* rows go through BINLOG statements */
    int catalog_pos;   /* trep_*.trep_commit_seqno: never applied */
} apl_table;

#define APL_TABLE_BUCKETS 64

typedef struct apl_coll {
    struct apl_coll *next;
    unsigned id;
    char *charset;
    char *collation;
} apl_coll;

/* ---- prepared statements --------------------------------------------------------------------- */

typedef struct apl_pstmt {
    struct apl_pstmt *next;
    uint32_t hash;
    char *sql;
    size_t sql_len;
    MYSQL_STMT *stmt;
} apl_pstmt;

#define APL_PSTMT_BUCKETS 256
#define APL_PSTMT_MAX     1024

/* ---- event header kept for the position -------------------------------------------------------
 */

typedef struct apl_hdr {
    int empty;
    uint64_t seqno;
    uint16_t fragno;
    int last_frag;
    uint64_t epoch;
    char event_id[THL_ID_MAX + 1];
    char source_id[256];
    char shard_id[THL_ID_MAX + 1];
    int64_t source_tstamp_us;
    int64_t extract_tstamp_us;
} apl_hdr;

/** What an event needs around it (decided at its first fragment). */
typedef struct apl_evclass {
    int ends_block;   /* commit the open block before the event */
    int marker;       /* write a pending marker first: its effects commit outside our transaction */
    int commit_after; /* commit right after the event */
    int nontrans;     /* non-transactional effects: a failure may leave part of it applied */
    int ddl;          /* DDL (atomic in MariaDB 10.6+) */
} apl_evclass;

/* ---- the applier ------------------------------------------------------------------------------
 */

struct apl_applier {
    MYSQL *conn;
    int broken; /* the connection is lost: reconnect before the next use */
    apl_options opts;
    char *host, *socket, *user, *password, *service;
    char catalog[64]; /* trep_<service> */
    unsigned long server_id;

    apl_sess sess; /* what the connection has */
    char *cur_db;  /* database selected on the connection, NULL if unknown */
    apl_table *tables[APL_TABLE_BUCKETS];
    apl_coll *colls;
    apl_pstmt *pstmts[APL_PSTMT_BUCKETS];
    unsigned n_pstmts;
    MYSQL_STMT *pos_stmt; /* position upsert */
    int fde_sent;         /* BINLOG format description sent on this connection */

    /* block state */
    int trx_open;    /* our BEGIN is active (not implicitly committed) */
    int in_xa;       /* between XA START and XA END/PREPARE */
    int xa_prepared; /* the connection holds a prepared XA transaction */
    int block_trx;   /* complete source transactions in the open block */
    int64_t block_start_ms;
    int have_pending; /* pending holds an applied, uncommitted event */
    apl_hdr pending;
    apl_hdr committed;
    apl_evclass cls; /* of the transaction being applied */
    int marker_open; /* a marker was committed for the current transaction */

    /* crash recovery of a marker event (docs/applier.md) */
    int marker_found;
    uint64_t marker_seqno;
    uint32_t marker_crc;
    int recovering; /* applying the event the marker names: tolerate "already done" */
    int skip_rest;  /* recovery found the event applied up to its end */

    const thl_event *cur_ev; /* event being applied (for failures) */
    int failed;
    apl_failure failure;
    apl_stats stats;
    repl_buf sql;        /* scratch SQL text */
    repl_arena *scratch; /* per rows item: column plan */
    repl_arena *binds;   /* per execution: bound values */
};

/* applier.c */
int apl_conn_ensure(apl_applier *a, repl_error *err);
/** Reconnect now, keeping the block state (detaches a prepared XA transaction). */
int apl_conn_cycle(apl_applier *a, repl_error *err);
/** Forget the open block (after a rollback or a lost connection). */
void apl_block_reset(apl_applier *a);
/** Run one SQL text; on error fills err and the failure (what = the SQL shown). */
int apl_exec(apl_applier *a, const char *sql, size_t len, repl_error *err);
/** Fill err and a->failure from the connection's (or stmt's, if not NULL) last error. */
int apl_fail_server(apl_applier *a, MYSQL_STMT *stmt, const char *sql, size_t sql_len,
                    repl_error *err);
/** Fill a->failure with our own error (server_errno may be 0). */
void apl_fail_set(apl_applier *a, unsigned server_errno, const char *sql, size_t sql_len,
                  const char *msg);
/** BEGIN if no transaction (ours or XA) is open. */
int apl_trx_need(apl_applier *a, repl_error *err);
/** In recovery mode, is server error e one that says "this was already applied"? */
int apl_recovery_tolerates(const apl_applier *a, unsigned e);

/* apply_sess.c */
void apl_sess_reset(apl_sess *s);
void apl_sess_set(apl_sess *s, enum apl_sv v, int64_t value);
/** The session a rows item needs; flags: THL_ROWS_* of the item. */
void apl_sess_want_rows(apl_sess *want, unsigned flags);
/** Send one SET for the values of want that differ from the connection's; extra (may be NULL)
 * is appended to the same SET (one-shot assignments). */
int apl_sess_sync(apl_applier *a, const apl_sess *want, const char *extra, size_t extra_len,
                  repl_error *err);
/** USE db (when it differs from the current one); "" leaves the current database. */
int apl_sess_use(apl_applier *a, const char *db, repl_error *err);
void apl_put_ident(repl_buf *b, const char *name);
void apl_put_hex_literal(repl_buf *b, const void *data, size_t len);

/* apply_meta.c */
int apl_meta_table(apl_applier *a, const char *schema, const char *table, apl_table **out,
                   repl_error *err);
void apl_meta_clear(apl_applier *a);
int apl_meta_collation(apl_applier *a, unsigned id, const apl_coll **out, repl_error *err);
void apl_meta_free(apl_applier *a);
/** Run a query returning rows (text protocol); caller frees with mysql_free_result. */
int apl_query_rows(apl_applier *a, const char *sql, MYSQL_RES **out, repl_error *err);

/* apply_rows.c */
int apl_rows_apply(apl_applier *a, const thl_rows *rows, repl_error *err);
void apl_pstmt_clear(apl_applier *a);
/** Append a human rendering of a value (failures, logs). */
void apl_render_value(repl_buf *b, const thl_value *v);

/* apply_stmt.c */
enum apl_sql_kind {
    APL_SQL_PLAIN = 0,
    APL_SQL_IMPLICIT_COMMIT, /* DDL and friends: commits before and after */
    APL_SQL_TRX_CONTROL,     /* BEGIN, COMMIT, ROLLBACK (without TO): the applier owns these */
    APL_SQL_XA_START,
    APL_SQL_XA_END,
    APL_SQL_XA_PREPARE,
    APL_SQL_XA_FINISH, /* XA COMMIT / XA ROLLBACK */
    APL_SQL_DROP_DB
};
enum apl_sql_kind apl_sql_classify(const uint8_t *sql, size_t len);
int apl_stmt_apply(apl_applier *a, const thl_statement *st, repl_error *err);

/* apply_pos.c */
int apl_pos_create_catalog(apl_applier *a, repl_error *err);
/** Read this channel's row: the committed header (and the public form if pub is not NULL); also
 * loads the pending marker into a->marker_*. */
int apl_pos_read(apl_applier *a, apl_hdr *out, apl_position *pub, repl_error *err);
/** Upsert the pending position (clears the marker); inside the open transaction if any. */
int apl_pos_write(apl_applier *a, const apl_hdr *h, repl_error *err);
/** Commit a marker naming h's event before effects that commit on their own. */
int apl_pos_write_marker(apl_applier *a, const apl_hdr *h, repl_error *err);
uint32_t apl_pos_marker_crc(const char *event_id);
/** Clear this channel's marker (the marker event failed without effects). */
int apl_pos_clear_marker(apl_applier *a, repl_error *err);

/* apply_binlog.c */
int apl_binlog_rows(apl_applier *a, const thl_rows *rows, repl_error *err);
/** Encode the rows of one thl_rows item as TABLE_MAP + v1 rows events (unit-testable). Appends to
 * out; rows [first, first+count). */
int apl_binlog_encode(repl_buf *out, const thl_rows *rows, uint32_t first, uint32_t count,
                      uint32_t server_id, uint32_t timestamp, repl_error *err);
/** Binary form of a decimal text for DECIMAL(precision, scale) (unit-testable). */
int apl_binlog_decimal(repl_buf *out, const uint8_t *txt, size_t len, unsigned precision,
                       unsigned scale, repl_error *err);

#endif
