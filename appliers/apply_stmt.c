/* SPDX-License-Identifier: GPL-2.0-or-later */
/* appliers/apply_stmt.c - replay of statement items: classify the SQL (does it commit implicitly,
 * is it XA or transaction control), restore the source session (schema, sql_mode, charsets, time
 * zone, timestamp, auto_increment, INSERT_ID/LAST_INSERT_ID, RAND seeds, lc_time_names,
 * pseudo_thread_id, user variables) and send the statement's exact bytes with mysql_real_query.
 * Owner thread only. */
#include "appliers/applier_int.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "replicator/base/log.h"

/* ---- classification ----------------------------------------------------------------------------
 */

typedef struct sql_lex {
    const uint8_t *p;
    const uint8_t *end;
} sql_lex;

static int lex_starts(const sql_lex *l, const char *s)
{
    size_t n = strlen(s);
    return (size_t)(l->end - l->p) >= n && memcmp(l->p, s, n) == 0;
}

static void lex_skip_until(sql_lex *l, const char *s)
{
    while (l->p < l->end && !lex_starts(l, s))
        l->p++;
    if (l->p < l->end)
        l->p += strlen(s);
}

/* Skip one comment; executable comments (slash-star-bang, slash-star-M-bang) are code. 1 if
 * skipped. */
static int lex_skip_comment(sql_lex *l)
{
    if (lex_starts(l, "/*!") || lex_starts(l, "/*M!")) {
        l->p += lex_starts(l, "/*!") ? 3 : 4;
        while (l->p < l->end && isdigit(*l->p))
            l->p++;
        return 1;
    }
    if (lex_starts(l, "/*")) {
        lex_skip_until(l, "*/");
        return 1;
    }
    if (lex_starts(l, "*/")) {
        l->p += 2;
        return 1;
    }
    if (lex_starts(l, "#") || (lex_starts(l, "--") && (l->end - l->p == 2 || l->p[2] <= ' '))) {
        lex_skip_until(l, "\n");
        return 1;
    }
    return 0;
}

static void lex_skip(sql_lex *l)
{
    for (;;) {
        while (l->p < l->end && isspace(*l->p))
            l->p++;
        if (!lex_skip_comment(l))
            return;
    }
}

/* The next keyword, upper-cased into w (truncated); "" if none. */
static const char *lex_word(sql_lex *l, char *w, size_t cap)
{
    size_t n = 0;
    lex_skip(l);
    while (l->p < l->end && (isalpha(*l->p) || *l->p == '_')) {
        if (n + 1 < cap)
            w[n++] = (char)toupper(*l->p);
        l->p++;
    }
    w[n] = '\0';
    return w;
}

static int word_in(const char *w, const char *const *list)
{
    for (size_t i = 0; list[i] != NULL; i++) {
        if (strcmp(w, list[i]) == 0)
            return 1;
    }
    return 0;
}

static enum apl_sql_kind classify_xa(sql_lex *l, char *w, size_t cap)
{
    lex_word(l, w, cap);
    if (strcmp(w, "START") == 0 || strcmp(w, "BEGIN") == 0)
        return APL_SQL_XA_START;
    if (strcmp(w, "END") == 0)
        return APL_SQL_XA_END;
    if (strcmp(w, "PREPARE") == 0)
        return APL_SQL_XA_PREPARE;
    if (strcmp(w, "COMMIT") == 0 || strcmp(w, "ROLLBACK") == 0)
        return APL_SQL_XA_FINISH;
    return APL_SQL_PLAIN;
}

static enum apl_sql_kind classify_create_drop(sql_lex *l, const char *first, char *w, size_t cap)
{
    lex_word(l, w, cap);
    if (strcmp(w, "OR") == 0) {
        lex_word(l, w, cap); /* REPLACE */
        lex_word(l, w, cap);
    }
    if (strcmp(w, "TEMPORARY") == 0)
        return APL_SQL_PLAIN;
    if (strcmp(first, "DROP") == 0 && (strcmp(w, "DATABASE") == 0 || strcmp(w, "SCHEMA") == 0))
        return APL_SQL_DROP_DB;
    return APL_SQL_IMPLICIT_COMMIT;
}

static enum apl_sql_kind classify_trx(sql_lex *l, const char *first, char *w, size_t cap)
{
    lex_word(l, w, cap);
    if (strcmp(w, "WORK") == 0)
        lex_word(l, w, cap);
    if (strcmp(first, "ROLLBACK") == 0 && strcmp(w, "TO") == 0)
        return APL_SQL_PLAIN; /* ROLLBACK TO SAVEPOINT stays inside the transaction */
    if (strcmp(first, "BEGIN") == 0 && strcmp(w, "NOT") == 0)
        return APL_SQL_PLAIN; /* BEGIN NOT ATOMIC: a compound statement */
    return APL_SQL_TRX_CONTROL;
}

enum apl_sql_kind apl_sql_classify(const uint8_t *sql, size_t len)
{
    static const char *const implicit[] = { "ALTER",   "RENAME",    "TRUNCATE", "GRANT",  "REVOKE",
                                            "ANALYZE", "OPTIMIZE",  "REPAIR",   "CHECK",  "FLUSH",
                                            "INSTALL", "UNINSTALL", "LOCK",     "UNLOCK", "CACHE",
                                            "RESET",   "CHANGE",    "SHUTDOWN", "PURGE",  NULL };
    sql_lex l = { sql, sql + len };
    char first[16], w[16];
    lex_word(&l, first, sizeof(first));
    if (word_in(first, implicit))
        return APL_SQL_IMPLICIT_COMMIT;
    if (strcmp(first, "CREATE") == 0 || strcmp(first, "DROP") == 0)
        return classify_create_drop(&l, first, w, sizeof(w));
    if (strcmp(first, "BEGIN") == 0 || strcmp(first, "COMMIT") == 0 ||
        strcmp(first, "ROLLBACK") == 0)
        return classify_trx(&l, first, w, sizeof(w));
    if (strcmp(first, "XA") == 0)
        return classify_xa(&l, w, sizeof(w));
    lex_word(&l, w, sizeof(w));
    if (strcmp(first, "START") == 0 && strcmp(w, "TRANSACTION") == 0)
        return APL_SQL_TRX_CONTROL;
    if ((strcmp(first, "START") == 0 || strcmp(first, "STOP") == 0) &&
        (strcmp(w, "SLAVE") == 0 || strcmp(w, "REPLICA") == 0))
        return APL_SQL_IMPLICIT_COMMIT;
    if ((strcmp(first, "LOAD") == 0 && strcmp(w, "INDEX") == 0) ||
        (strcmp(first, "SET") == 0 && strcmp(w, "PASSWORD") == 0))
        return APL_SQL_IMPLICIT_COMMIT;
    return APL_SQL_PLAIN;
}

/* ---- session ------------------------------------------------------------------------------------
 */

static void stmt_want_flags2(const thl_session *s, apl_sess *want)
{
    uint32_t f = (s->set & THL_SESS_FLAGS2) ? s->flags2 : 0;
    apl_sess_set(want, APL_SV_FK_CHECKS, (f & THL_FLAGS2_NO_FOREIGN_KEY_CHK) ? 0 : 1);
    apl_sess_set(want, APL_SV_UNIQUE_CHECKS, (f & THL_FLAGS2_RELAXED_UNIQUE_CHK) ? 0 : 1);
    if (s->set & THL_SESS_FLAGS2)
        apl_sess_set(want, APL_SV_AUTO_IS_NULL, (f & THL_FLAGS2_AUTO_IS_NULL) ? 1 : 0);
}

/* The source session as tracked variables. Absent auto_increment and lc_time_names mean the
 * defaults (the source logs them only when they differ); absent timestamp means the server clock.
 */
static void stmt_want(const thl_session *s, apl_sess *want)
{
    apl_sess_reset(want);
    if (s->set & THL_SESS_SQL_MODE)
        apl_sess_set(want, APL_SV_SQL_MODE, (int64_t)s->sql_mode);
    if (s->set & THL_SESS_CHARSET) {
        apl_sess_set(want, APL_SV_CS_CLIENT, s->charset_client);
        apl_sess_set(want, APL_SV_COLL_CONN, s->collation_connection);
        apl_sess_set(want, APL_SV_COLL_SERVER, s->collation_server);
    }
    if ((s->set & THL_SESS_TIME_ZONE) && s->time_zone != NULL &&
        strlen(s->time_zone) < sizeof(want->time_zone)) {
        want->mask |= 1u << APL_SV_TIME_ZONE;
        strcpy(want->time_zone, s->time_zone);
    }
    apl_sess_set(want, APL_SV_AI_INC,
                 (s->set & THL_SESS_AUTO_INC) ? s->auto_increment_increment : 1);
    apl_sess_set(want, APL_SV_AI_OFF, (s->set & THL_SESS_AUTO_INC) ? s->auto_increment_offset : 1);
    apl_sess_set(want, APL_SV_LC_TIME, (s->set & THL_SESS_LC_TIME_NAMES) ? s->lc_time_names : 0);
    if (s->set & THL_SESS_DEFAULT_COLL)
        apl_sess_set(want, APL_SV_COLL_DB, s->default_collation);
    if (s->set & THL_SESS_PSEUDO_THREAD)
        apl_sess_set(want, APL_SV_PSEUDO_THREAD, s->pseudo_thread_id);
    if (s->set & THL_SESS_EXPLICIT_TS)
        apl_sess_set(want, APL_SV_EXPLICIT_TS, s->explicit_defaults_ts ? 1 : 0);
    apl_sess_set(want, APL_SV_TIMESTAMP,
                 (s->set & THL_SESS_TIMESTAMP)
                     ? s->timestamp_sec * 1000000 + (int64_t)s->timestamp_usec
                     : -1);
    stmt_want_flags2(s, want);
}

static int decimal_text_ok(const thl_value *v)
{
    if (v->v.bytes.len == 0)
        return 0;
    for (size_t i = 0; i < v->v.bytes.len; i++) {
        uint8_t c = v->v.bytes.ptr[i];
        if (!isdigit(c) && c != '-' && c != '+' && c != '.')
            return 0;
    }
    return 1;
}

static int stmt_put_string_var(apl_applier *a, repl_buf *b, const thl_user_var *u, repl_error *err)
{
    const apl_coll *c = NULL;
    int rc;
    if (u->charset == 0 || u->charset == APL_COLL_BINARY) {
        repl_buf_printf(b, "_binary ");
        apl_put_hex_literal(b, u->value.v.bytes.ptr, u->value.v.bytes.len);
        return REPL_OK;
    }
    rc = apl_meta_collation(a, u->charset, &c, err);
    if (rc != REPL_OK)
        return repl_error_wrap(err, "apply: user variable @%s", u->name);
    repl_buf_printf(b, "_%s ", c->charset);
    apl_put_hex_literal(b, u->value.v.bytes.ptr, u->value.v.bytes.len);
    repl_buf_printf(b, " COLLATE ");
    apl_put_ident(b, c->collation);
    return REPL_OK;
}

static int stmt_put_user_var(apl_applier *a, repl_buf *b, const thl_user_var *u, repl_error *err)
{
    const thl_value *v = &u->value;
    repl_buf_printf(b, "%s@", b->len > 0 ? ", " : "");
    apl_put_ident(b, u->name);
    repl_buf_printf(b, ":=");
    switch (v->kind) {
    case THL_VAL_NULL:
        repl_buf_printf(b, "NULL");
        return REPL_OK;
    case THL_VAL_INT:
        repl_buf_printf(b, "%" PRId64, v->v.i);
        return REPL_OK;
    case THL_VAL_UINT:
        repl_buf_printf(b, "%" PRIu64, v->v.u);
        return REPL_OK;
    case THL_VAL_DOUBLE:
        repl_buf_printf(b, "%.17e", v->v.d);
        return REPL_OK;
    case THL_VAL_DECIMAL:
        if (!decimal_text_ok(v))
            return repl_error_set(err, REPL_ERR_INVALID, "apply: user variable @%s: bad decimal",
                                  u->name);
        repl_buf_put(b, v->v.bytes.ptr, v->v.bytes.len);
        return REPL_OK;
    case THL_VAL_STRING:
    case THL_VAL_BYTES:
        return stmt_put_string_var(a, b, u, err);
    default:
        return repl_error_set(err, REPL_ERR_INVALID, "apply: user variable @%s: value kind %u",
                              u->name, (unsigned)v->kind);
    }
}

/* One-shot assignments for the statement: INSERT_ID, LAST_INSERT_ID, RAND seeds, user variables. */
static int stmt_extra(apl_applier *a, const thl_session *s, repl_buf *b, repl_error *err)
{
    int rc;
    if (s->set & THL_SESS_INSERT_ID)
        repl_buf_printf(b, "%s@@session.insert_id=%" PRIu64, b->len ? ", " : "", s->insert_id);
    if (s->set & THL_SESS_LAST_INSERT_ID)
        repl_buf_printf(b, "%s@@session.last_insert_id=%" PRIu64, b->len ? ", " : "",
                        s->last_insert_id);
    if (s->set & THL_SESS_RAND)
        repl_buf_printf(b, "%s@@session.rand_seed1=%" PRIu64 ", @@session.rand_seed2=%" PRIu64,
                        b->len ? ", " : "", s->rand_seed1, s->rand_seed2);
    for (uint32_t i = 0; i < s->n_user_vars; i++) {
        rc = stmt_put_user_var(a, b, &s->user_vars[i], err);
        if (rc != REPL_OK)
            return rc;
    }
    return REPL_OK;
}

static int stmt_session(apl_applier *a, const thl_statement *st, repl_error *err)
{
    apl_sess want;
    repl_buf extra;
    int rc;
    rc = apl_sess_use(a, st->schema, err);
    if (rc != REPL_OK)
        return rc;
    stmt_want(&st->session, &want);
    repl_buf_init(&extra);
    rc = stmt_extra(a, &st->session, &extra, err);
    if (rc == REPL_OK)
        rc = apl_sess_sync(a, &want, (const char *)extra.data, extra.len, err);
    if (rc == REPL_ERR_SOURCE && err->sys_errno == 1649) { /* ER_UNKNOWN_LOCALE */
        REPL_LOG_WARN(APL_LOG, "seqno=%" PRIu64 " lc_time_names id %u unknown here: not set",
                      a->cur_ev->seqno, (unsigned)st->session.lc_time_names);
        a->failed = 0;
        want.mask &= ~(1u << APL_SV_LC_TIME);
        rc = apl_sess_sync(a, &want, (const char *)extra.data, extra.len, err);
    }
    repl_buf_dispose(&extra);
    return rc;
}

/* ---- execution ----------------------------------------------------------------------------------
 */

static void stmt_after(apl_applier *a, enum apl_sql_kind kind)
{
    switch (kind) {
    case APL_SQL_DROP_DB:
        repl_free(a->cur_db);
        a->cur_db = NULL;
        /* fall through */
    case APL_SQL_IMPLICIT_COMMIT:
        a->trx_open = 0;
        apl_meta_clear(a);
        apl_pstmt_clear(a);
        break;
    case APL_SQL_XA_START:
        a->in_xa = 1;
        break;
    case APL_SQL_XA_PREPARE:
        a->in_xa = 0;
        a->xa_prepared = 1;
        break;
    case APL_SQL_XA_FINISH:
        a->in_xa = 0;
        a->xa_prepared = 0;
        break;
    default:
        break;
    }
}

/* The statement failed with server error e: expected (the source raised it too), tolerated
 * (recovery of a marker event) or a failure. */
static int stmt_error(apl_applier *a, const thl_statement *st, enum apl_sql_kind kind,
                      repl_error *err)
{
    unsigned e = mysql_errno(a->conn);
    if (st->error_code != 0 && e == st->error_code)
        return REPL_OK;
    if (apl_recovery_tolerates(a, e)) {
        REPL_LOG_WARN(APL_LOG, "seqno=%" PRIu64 " recovery: error %u (%s) taken as already applied",
                      a->cur_ev->seqno, e, mysql_error(a->conn));
        if (kind == APL_SQL_XA_START)
            a->skip_rest = 1; /* the XA transaction is already prepared */
        return REPL_OK;
    }
    return apl_fail_server(a, NULL, (const char *)st->sql, st->sql_len, err);
}

/* Read and drop every result (a SELECT or CALL must not leave rows behind); a later result may
 * carry an error. */
static int stmt_drain(apl_applier *a, const thl_statement *st, enum apl_sql_kind kind,
                      repl_error *err)
{
    int more;
    do {
        MYSQL_RES *res = mysql_store_result(a->conn);
        mysql_free_result(res);
        more = mysql_next_result(a->conn);
    } while (more == 0);
    if (more > 0)
        return stmt_error(a, st, kind, err);
    return REPL_OK;
}

int apl_stmt_apply(apl_applier *a, const thl_statement *st, repl_error *err)
{
    enum apl_sql_kind kind = apl_sql_classify(st->sql, st->sql_len);
    int rc;
    char msg[128];
    if (kind == APL_SQL_TRX_CONTROL)
        return REPL_OK; /* transaction boundaries are the applier's */
    if (kind == APL_SQL_PLAIN) {
        rc = apl_trx_need(a, err);
        if (rc != REPL_OK)
            return rc;
    }
    rc = stmt_session(a, st, err);
    if (rc != REPL_OK)
        return rc;
    a->stats.statements++;
    if (mysql_real_query(a->conn, (const char *)st->sql, (unsigned long)st->sql_len) != 0) {
        rc = stmt_error(a, st, kind, err);
    } else if (st->error_code != 0) {
        snprintf(msg, sizeof(msg), "the statement raised error %u on the source but none here",
                 (unsigned)st->error_code);
        apl_fail_set(a, 0, (const char *)st->sql, st->sql_len, msg);
        rc = repl_error_set(err, REPL_ERR_SOURCE, "apply: seqno=%" PRIu64 ": %s", a->cur_ev->seqno,
                            msg);
    } else {
        rc = stmt_drain(a, st, kind, err);
    }
    if (rc == REPL_OK)
        stmt_after(a, kind);
    return rc;
}
