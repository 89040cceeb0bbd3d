/* SPDX-License-Identifier: GPL-2.0-or-later */
/* extractors/txn.c - transaction assembly from decoded binlog events into THL events (see txn.h).
 * Transaction rules follow binlog-notes.md section 2.3: MariaDB GTID (standalone or not) / MySQL
 * GTID / BEGIN open a group; XID, COMMIT, ROLLBACK, XA PREPARE or the single statement of a
 * standalone group close it. */
#include "extractors/txn.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "replicator/base/clock.h"
#include "replicator/base/log.h"
#include "replicator/base/mem.h"

#define TXN_MAX_USER_VARS 64

struct ext_txn {
    ext_txn_options opts;
    thl_event *ev;
    int in_txn;
    int begin_seen;  /* an explicit BEGIN (or XA START) opened the group */
    int standalone;  /* MariaDB FL_STANDALONE: the group is one statement */
    uint16_t fragno; /* next fragment number of the open transaction */
    uint64_t seqno;  /* next seqno */
    char gtid[160];  /* "D-S-N" or "uuid:gno" of the open group */
    char file[256];
    uint64_t offset;
    char shard[THL_ID_MAX + 1];
    int shard_mixed;
    /* session values that apply to the next statement */
    thl_session pending;
    thl_user_var pending_vars[TXN_MAX_USER_VARS];
    repl_arena *pending_arena;
    ext_txn_stats stats;
};

ext_txn *ext_txn_new(const ext_txn_options *opts)
{
    ext_txn *txn = repl_calloc(1, sizeof(*txn));
    txn->opts = *opts;
    txn->ev = thl_event_new();
    txn->seqno = opts->first_seqno;
    txn->pending_arena = repl_arena_new(4096);
    return txn;
}

void ext_txn_free(ext_txn *txn)
{
    if (txn == NULL)
        return;
    thl_event_free(txn->ev);
    repl_arena_free(txn->pending_arena);
    repl_free(txn);
}

void ext_txn_set_file(ext_txn *txn, const char *file)
{
    const char *base = strrchr(file, '/');
    snprintf(txn->file, sizeof(txn->file), "%s", base != NULL ? base + 1 : file);
}

int ext_txn_open(const ext_txn *txn)
{
    return txn->in_txn;
}

static void txn_clear_pending(ext_txn *txn)
{
    memset(&txn->pending, 0, sizeof(txn->pending));
    repl_arena_reset(txn->pending_arena);
}

void ext_txn_abandon(ext_txn *txn)
{
    thl_event_reset(txn->ev);
    txn->in_txn = 0;
    txn->begin_seen = 0;
    txn->standalone = 0;
    txn->fragno = 0;
    txn->shard[0] = '\0';
    txn->shard_mixed = 0;
    txn->gtid[0] = '\0';
    txn_clear_pending(txn);
}

void ext_txn_stats_get(const ext_txn *txn, ext_txn_stats *out)
{
    *out = txn->stats;
    out->next_seqno = txn->seqno;
    snprintf(out->file, sizeof(out->file), "%s", txn->file);
    out->offset = txn->offset;
    out->in_transaction = txn->in_txn;
}

static int txn_fail_code(const ext_event *ev, repl_error *err, int code, const char *what)
{
    return repl_error_set(err, (repl_code)code, "extract: %s at %s offset %" PRIu64 " (%s)", what,
                          ev->source != NULL ? ev->source : "?", ev->offset,
                          ext_event_type_name(ev->type));
}

static int txn_fail(const ext_event *ev, repl_error *err, const char *what)
{
    return txn_fail_code(ev, err, REPL_ERR_CORRUPT, what);
}

static void txn_note_shard(ext_txn *txn, const char *schema)
{
    if (schema == NULL || schema[0] == '\0' || txn->shard_mixed)
        return;
    if (txn->shard[0] == '\0')
        snprintf(txn->shard, sizeof(txn->shard), "%s", schema);
    else if (strcmp(txn->shard, schema) != 0)
        txn->shard_mixed = 1;
}

static void txn_begin(ext_txn *txn, const char *gtid)
{
    thl_event_reset(txn->ev);
    txn->in_txn = 1;
    txn->begin_seen = 0;
    txn->standalone = 0;
    txn->fragno = 0;
    txn->shard[0] = '\0';
    txn->shard_mixed = 0;
    snprintf(txn->gtid, sizeof(txn->gtid), "%s", gtid != NULL ? gtid : "");
}

/* Fill ids, numbers and timestamps, and hand the event to the emitter. */
static int txn_emit(ext_txn *txn, const ext_event *end, int last, repl_error *err)
{
    thl_event *ev = txn->ev;
    char event_id[THL_ID_MAX + 1];
    int rc;
    if (txn->gtid[0] != '\0')
        snprintf(event_id, sizeof(event_id), "%s:%" PRIu64 ";%s", txn->file, txn->offset,
                 txn->gtid);
    else
        snprintf(event_id, sizeof(event_id), "%s:%" PRIu64, txn->file, txn->offset);
    ev->seqno = txn->seqno;
    ev->fragno = txn->fragno;
    ev->epoch = txn->opts.epoch;
    if (last)
        ev->flags |= THL_EV_LAST_FRAG;
    ev->source_tstamp_us = (int64_t)end->timestamp * 1000000;
    ev->extract_tstamp_us = repl_clock_now_us();
    thl_event_set_ids(ev, txn->opts.source_id, event_id,
                      txn->shard_mixed || txn->shard[0] == '\0' ? "#UNKNOWN" : txn->shard);
    if (txn->opts.service != NULL)
        thl_event_set_meta(ev, "service", txn->opts.service);
    uint8_t keep = ev->flags & (THL_EV_UNSAFE | THL_EV_DDL);
    rc = txn->opts.emit(txn->opts.emit_ctx, &txn->ev, err);
    if (rc != REPL_OK)
        return rc;
    ev = txn->ev; /* the emitter may have taken the event and given an empty one */
    txn->stats.fragments++;
    if (last) {
        txn->stats.transactions++;
        snprintf(txn->stats.last_event_id, sizeof(txn->stats.last_event_id), "%s", event_id);
        txn->seqno++;
        txn->in_txn = 0;
        txn->fragno = 0;
        txn->gtid[0] = '\0';
        thl_event_reset(ev);
        return REPL_OK;
    }
    /* the next fragment keeps the transaction's shard and block-commit flags */
    txn->fragno++;
    thl_event_reset(ev);
    ev->flags = keep;
    return REPL_OK;
}

static int txn_commit(ext_txn *txn, const ext_event *end, uint8_t flags, repl_error *err)
{
    txn->ev->flags |= flags;
    if (flags & THL_EV_ROLLBACK)
        txn->stats.rolled_back++;
    return txn_emit(txn, end, 1, err);
}

/* ---- statements ---- */

static void txn_session_from_query(thl_session *s, const ext_event *ev)
{
    const ext_query_status *st = &ev->u.query.st;
    if (st->present & ext_qvar_bit(EXT_Q_SQL_MODE)) {
        s->set |= THL_SESS_SQL_MODE;
        s->sql_mode = st->sql_mode;
    }
    if (st->present & ext_qvar_bit(EXT_Q_FLAGS2)) {
        s->set |= THL_SESS_FLAGS2;
        s->flags2 = st->flags2;
    }
    if (st->present & ext_qvar_bit(EXT_Q_CHARSET)) {
        s->set |= THL_SESS_CHARSET;
        s->charset_client = st->charset_client;
        s->collation_connection = st->collation_connection;
        s->collation_server = st->collation_server;
    }
    if (st->present & ext_qvar_bit(EXT_Q_AUTO_INCREMENT)) {
        s->set |= THL_SESS_AUTO_INC;
        s->auto_increment_increment = st->auto_increment_increment;
        s->auto_increment_offset = st->auto_increment_offset;
    }
    if (st->present & ext_qvar_bit(EXT_Q_LC_TIME_NAMES)) {
        s->set |= THL_SESS_LC_TIME_NAMES;
        s->lc_time_names = st->lc_time_names;
    }
    if (st->present & ext_qvar_bit(EXT_Q_CHARSET_DATABASE)) {
        s->set |= THL_SESS_DEFAULT_COLL;
        s->default_collation = st->charset_database;
    }
    if (st->present & ext_qvar_bit(EXT_Q_EXPLICIT_DEFAULTS_FOR_TIMESTAMP)) {
        s->set |= THL_SESS_EXPLICIT_TS;
        s->explicit_defaults_ts = st->explicit_defaults_ts;
    }
}

static void txn_session_time(thl_session *s, const ext_event *ev)
{
    const ext_query_status *st = &ev->u.query.st;
    s->set |= THL_SESS_TIMESTAMP | THL_SESS_PSEUDO_THREAD;
    s->timestamp_sec = ev->timestamp;
    if (st->present & ext_qvar_bit(EXT_Q_HRNOW))
        s->timestamp_usec = st->hrnow_usec;
    else if (st->present & ext_qvar_bit(EXT_Q_MICROSECONDS))
        s->timestamp_usec = st->microseconds;
    s->pseudo_thread_id = ev->u.query.thread_id;
}

static int txn_add_statement(ext_txn *txn, const ext_event *ev, const uint8_t *sql, size_t len)
{
    thl_event *tev = txn->ev;
    thl_statement *stmt = thl_event_add_statement(tev);
    const ext_query_status *st = &ev->u.query.st;
    stmt->schema = thl_event_strdup(tev, ev->u.query.db);
    stmt->sql = thl_event_memdup(tev, sql, len);
    stmt->sql_len = len;
    stmt->error_code = ev->u.query.error_code;
    stmt->session = txn->pending;
    txn_session_from_query(&stmt->session, ev);
    txn_session_time(&stmt->session, ev);
    if (st->present & ext_qvar_bit(EXT_Q_TIME_ZONE)) {
        stmt->session.set |= THL_SESS_TIME_ZONE;
        stmt->session.time_zone = thl_event_strdup(tev, st->time_zone);
    }
    if (txn->pending.n_user_vars > 0) {
        size_t bytes = sizeof(thl_user_var) * txn->pending.n_user_vars;
        thl_user_var *vars = thl_event_memdup(tev, txn->pending_vars, bytes);
        for (uint32_t i = 0; i < txn->pending.n_user_vars; i++) {
            vars[i].name = thl_event_strdup(tev, vars[i].name);
            if (vars[i].value.kind == THL_VAL_STRING || vars[i].value.kind == THL_VAL_DECIMAL)
                thl_value_set_bytes(tev, &vars[i].value, vars[i].value.kind,
                                    vars[i].value.v.bytes.ptr, vars[i].value.v.bytes.len);
        }
        stmt->session.user_vars = vars;
    }
    txn_note_shard(txn, ev->u.query.db);
    txn_clear_pending(txn);
    txn->stats.statements++;
    return REPL_OK;
}

static int sql_is(const ext_bytes *sql, const char *word)
{
    size_t n = strlen(word);
    return sql->len == n && strncasecmp((const char *)sql->ptr, word, n) == 0;
}

static int sql_starts(const ext_bytes *sql, const char *prefix)
{
    size_t n = strlen(prefix);
    return sql->len >= n && strncasecmp((const char *)sql->ptr, prefix, n) == 0;
}

static int txn_query(ext_txn *txn, const ext_event *ev, repl_error *err)
{
    const ext_bytes *sql = &ev->u.query.sql;
    if (sql_is(sql, "BEGIN")) {
        if (!txn->in_txn)
            txn_begin(txn, NULL);
        txn->begin_seen = 1;
        return REPL_OK;
    }
    if (sql_is(sql, "COMMIT")) {
        if (!txn->in_txn)
            return txn_fail(ev, err, "COMMIT outside a transaction");
        return txn_commit(txn, ev, 0, err);
    }
    if (sql_is(sql, "ROLLBACK")) {
        if (!txn->in_txn)
            return txn_fail(ev, err, "ROLLBACK outside a transaction");
        return txn_commit(txn, ev, THL_EV_ROLLBACK, err);
    }
    if (!txn->in_txn)
        txn_begin(txn, NULL);
    if (sql_starts(sql, "XA START"))
        txn->begin_seen = 1;
    txn_add_statement(txn, ev, sql->ptr, sql->len);
    if (txn->begin_seen && !txn->standalone)
        return REPL_OK;
    /* a statement that is its own group: DDL, XA COMMIT/ROLLBACK, a non-transactional statement */
    return txn_commit(txn, ev, THL_EV_UNSAFE | (sql_starts(sql, "XA ") ? 0 : THL_EV_DDL), err);
}

/* ---- statement context events ---- */

static int txn_user_var(ext_txn *txn, const ext_event *ev, repl_error *err)
{
    const ext_user_var *uv = &ev->u.user_var;
    thl_user_var *v;
    if (txn->pending.n_user_vars >= TXN_MAX_USER_VARS)
        return txn_fail(ev, err, "more than 64 user variables for one statement");
    v = &txn->pending_vars[txn->pending.n_user_vars++];
    memset(v, 0, sizeof(*v));
    v->name = repl_arena_strndup(txn->pending_arena, uv->name, strlen(uv->name));
    v->charset = (uint16_t)uv->charset;
    if (uv->is_null) {
        v->value.kind = THL_VAL_NULL;
    } else if (uv->type == EXT_UV_INT) {
        v->value.kind = (uv->flags & EXT_UV_UNSIGNED_F) ? THL_VAL_UINT : THL_VAL_INT;
        v->value.v.i = uv->int_value;
    } else if (uv->type == EXT_UV_REAL) {
        v->value.kind = THL_VAL_DOUBLE;
        v->value.v.d = uv->real_value;
    } else if (uv->type == EXT_UV_DECIMAL) {
        v->value.kind = THL_VAL_DECIMAL;
        v->value.v.bytes.len = strlen(uv->decimal_text);
        v->value.v.bytes.ptr =
            repl_arena_memdup(txn->pending_arena, uv->decimal_text, v->value.v.bytes.len);
    } else if (uv->type == EXT_UV_STRING) {
        v->value.kind = THL_VAL_STRING;
        v->value.v.bytes.ptr = repl_arena_memdup(txn->pending_arena, uv->value.ptr, uv->value.len);
        v->value.v.bytes.len = uv->value.len;
    } else {
        return txn_fail(ev, err, "user variable of unsupported type");
    }
    return REPL_OK;
}

static void txn_intvar(ext_txn *txn, const ext_event *ev)
{
    if (ev->u.intvar.type == EXT_INTVAR_INSERT_ID) {
        txn->pending.set |= THL_SESS_INSERT_ID;
        txn->pending.insert_id = ev->u.intvar.value;
    } else {
        txn->pending.set |= THL_SESS_LAST_INSERT_ID;
        txn->pending.last_insert_id = ev->u.intvar.value;
    }
}

static void txn_rand(ext_txn *txn, const ext_event *ev)
{
    txn->pending.set |= THL_SESS_RAND;
    txn->pending.rand_seed1 = ev->u.rand.seed1;
    txn->pending.rand_seed2 = ev->u.rand.seed2;
}

/* ---- group boundaries ---- */

static void txn_mariadb_gtid(ext_txn *txn, const ext_event *ev)
{
    const ext_mariadb_gtid *g = &ev->u.mgtid;
    char gtid[64];
    char num[32];
    snprintf(gtid, sizeof(gtid), "%" PRIu32 "-%" PRIu32 "-%" PRIu64, g->gtid.domain_id,
             g->gtid.server_id, g->gtid.seq_no);
    txn_begin(txn, gtid);
    txn->standalone = (g->flags2 & EXT_MGTID_FL_STANDALONE) != 0;
    /* MariaDB logs no BEGIN after a GTID: a group that is not standalone is open until its XID,
     * COMMIT, ROLLBACK or XA PREPARE */
    txn->begin_seen = !txn->standalone;
    snprintf(num, sizeof(num), "%" PRIu32, ev->server_id);
    thl_event_set_meta(txn->ev, "server_id", num);
    thl_event_set_meta(txn->ev, "dbms_type", "mariadb");
    if (g->flags2 & EXT_MGTID_FL_GROUP_COMMIT_ID) {
        snprintf(num, sizeof(num), "%" PRIu64, g->commit_id);
        thl_event_set_meta(txn->ev, "commit_id", num);
    }
    if (!(g->flags2 & EXT_MGTID_FL_TRANSACTIONAL) || (g->flags2 & EXT_MGTID_FL_DDL))
        txn->ev->flags |= THL_EV_UNSAFE;
    if (g->flags2 & EXT_MGTID_FL_DDL)
        txn->ev->flags |= THL_EV_DDL;
}

static void txn_mysql_gtid(ext_txn *txn, const ext_event *ev)
{
    const ext_mysql_gtid *g = &ev->u.gtid;
    char gtid[128];
    char num[32];
    if (ev->type == EXT_EV_ANONYMOUS_GTID)
        gtid[0] = '\0';
    else if (g->tag[0] != '\0')
        snprintf(gtid, sizeof(gtid), "%s:%s:%" PRId64, g->uuid_text, g->tag, g->gno);
    else
        snprintf(gtid, sizeof(gtid), "%s:%" PRId64, g->uuid_text, g->gno);
    txn_begin(txn, gtid);
    thl_event_set_meta(txn->ev, "dbms_type", "mysql");
    if (g->has_logical_clock) {
        snprintf(num, sizeof(num), "%" PRId64, g->last_committed);
        thl_event_set_meta(txn->ev, "last_committed", num);
        snprintf(num, sizeof(num), "%" PRId64, g->sequence_number);
        thl_event_set_meta(txn->ev, "sequence_number", num);
    }
}

static int txn_xa_prepare(ext_txn *txn, const ext_event *ev, repl_error *err)
{
    const ext_xa_prepare *xa = &ev->u.xa_prepare;
    char sql[600];
    size_t n;
    thl_statement *stmt;
    if (!txn->in_txn)
        return txn_fail(ev, err, "XA PREPARE outside a transaction");
    if (xa->data.len != (size_t)xa->gtrid_len + xa->bqual_len || xa->data.len > 256)
        return txn_fail(ev, err, "XA PREPARE with an inconsistent xid");
    n = (size_t)snprintf(sql, sizeof(sql), "XA %s X'", xa->one_phase ? "COMMIT" : "PREPARE");
    for (uint32_t i = 0; i < xa->gtrid_len; i++)
        n += (size_t)snprintf(sql + n, sizeof(sql) - n, "%02x", xa->data.ptr[i]);
    n += (size_t)snprintf(sql + n, sizeof(sql) - n, "',X'");
    for (uint32_t i = 0; i < xa->bqual_len; i++)
        n += (size_t)snprintf(sql + n, sizeof(sql) - n, "%02x", xa->data.ptr[xa->gtrid_len + i]);
    n += (size_t)snprintf(sql + n, sizeof(sql) - n, "',%" PRId32 "%s", xa->format_id,
                          xa->one_phase ? " ONE PHASE" : "");
    stmt = thl_event_add_statement(txn->ev);
    stmt->schema = "";
    stmt->sql = thl_event_memdup(txn->ev, sql, n);
    stmt->sql_len = n;
    return txn_commit(txn, ev, THL_EV_UNSAFE, err);
}

/* Whether schema is this service's own trep_<service> schema. */
static int txn_trep_schema(const ext_txn *txn, const char *schema)
{
    const char *svc = txn->opts.service;
    return svc != NULL && strncmp(schema, "trep_", 5) == 0 && strcmp(schema + 5, svc) == 0;
}

static int txn_rows(ext_txn *txn, ext_decoder *dec, const ext_event *ev, repl_error *err)
{
    thl_rows *rows = NULL;
    int rc;
    if (!txn->in_txn)
        return txn_fail(ev, err, "row changes outside a transaction");
    rc = ext_decoder_rows(dec, ev, txn->ev, &rows, err);
    if (rc != REPL_OK)
        return rc;
    if (rows == NULL)
        return REPL_OK;
    if (txn_trep_schema(txn, rows->schema)) {
        /* an applier's position rows describe that slave only: never replicate them; heartbeat
         * rows are what `trepctl heartbeat` sends down the pipeline */
        if (strcmp(rows->table, "heartbeat") == 0) {
            txn->ev->flags |= THL_EV_HEARTBEAT;
        } else if (strcmp(rows->table, "trep_commit_seqno") == 0) {
            txn->ev->n_items--;
            return REPL_OK;
        }
    }
    txn_note_shard(txn, rows->schema);
    txn->stats.rows += rows->nrows;
    if (thl_event_mem_bytes(txn->ev) >= txn->opts.fragment_bytes)
        return txn_emit(txn, ev, 0, err);
    return REPL_OK;
}

static int txn_payload(ext_txn *txn, ext_decoder *dec, repl_error *err)
{
    const ext_event *inner = NULL;
    int rc;
    while ((rc = ext_decoder_next_inner(dec, &inner, err)) == 1) {
        rc = ext_txn_feed(txn, dec, inner, err);
        if (rc != REPL_OK)
            return rc;
    }
    return rc;
}

static int txn_unsupported(const ext_event *ev, repl_error *err, const char *what)
{
    return txn_fail_code(ev, err, REPL_ERR_INVALID, what);
}

static int txn_dispatch(ext_txn *txn, ext_decoder *dec, const ext_event *ev, repl_error *err)
{
    switch (ev->type) {
    case EXT_EV_QUERY:
    case EXT_EV_MARIA_QUERY_COMPRESSED:
        return txn_query(txn, ev, err);
    case EXT_EV_XID:
        if (!txn->in_txn)
            return txn_fail(ev, err, "XID outside a transaction");
        return txn_commit(txn, ev, 0, err);
    case EXT_EV_MARIA_GTID:
        if (txn->in_txn)
            return txn_fail(ev, err, "GTID inside an open transaction");
        txn_mariadb_gtid(txn, ev);
        return REPL_OK;
    case EXT_EV_GTID:
    case EXT_EV_ANONYMOUS_GTID:
    case EXT_EV_GTID_TAGGED:
        if (txn->in_txn)
            return txn_fail(ev, err, "GTID inside an open transaction");
        txn_mysql_gtid(txn, ev);
        return REPL_OK;
    case EXT_EV_INTVAR:
        txn_intvar(txn, ev);
        return REPL_OK;
    case EXT_EV_RAND:
        txn_rand(txn, ev);
        return REPL_OK;
    case EXT_EV_USER_VAR:
        return txn_user_var(txn, ev, err);
    case EXT_EV_XA_PREPARE:
        return txn_xa_prepare(txn, ev, err);
    case EXT_EV_TRANSACTION_PAYLOAD:
        return txn_payload(txn, dec, err);
    case EXT_EV_INCIDENT:
        return txn_unsupported(ev, err,
                               "the source logged an INCIDENT (lost events): the slave "
                               "may have diverged; reprovision it");
    case EXT_EV_BEGIN_LOAD_QUERY:
    case EXT_EV_EXECUTE_LOAD_QUERY:
    case EXT_EV_APPEND_BLOCK:
    case EXT_EV_DELETE_FILE:
        return txn_unsupported(ev, err,
                               "LOAD DATA logged in statement format is not supported: "
                               "use binlog_format=ROW");
    default:
        break;
    }
    if (ext_event_type_is_rows(ev->type))
        return txn_rows(txn, dec, ev, err);
    /* FDE, ROTATE (handled by the caller), TABLE_MAP (cached by the decoder), GTID_LIST,
     * BINLOG_CHECKPOINT, PREVIOUS_GTIDS, ANNOTATE_ROWS, ROWS_QUERY, HEARTBEAT, STOP, skipped
     * ignorable events: no transaction content. */
    return REPL_OK;
}

int ext_txn_feed(ext_txn *txn, ext_decoder *dec, const ext_event *ev, repl_error *err)
{
    txn->stats.events++;
    if (ev->type == EXT_EV_ROTATE) {
        ext_txn_set_file(txn, ev->u.rotate.next_file);
        txn->offset = ev->u.rotate.position;
        return REPL_OK;
    }
    /* end_log_pos is the position after this event; inner events share their payload's end. */
    if (!ev->inner && ev->log_pos != 0)
        txn->offset = ev->log_pos;
    return txn_dispatch(txn, dec, ev, err);
}
