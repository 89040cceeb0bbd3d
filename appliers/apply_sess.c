/* SPDX-License-Identifier: GPL-2.0-or-later */
/* appliers/apply_sess.c - the applier connection's session variables: a cache of what the
 * connection has, and one SET statement per change of mode (row apply <-> a statement's source
 * session). Also the SQL text helpers every apply_*.c uses (quoted identifiers, hex literals).
 * Owner thread only. */
#include "appliers/applier_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "replicator/base/log.h"

/* SET syntax of each tracked variable (time zone and timestamp are special). */
static const char *const sess_names[APL_SV_COUNT] = {
    [APL_SV_SQL_MODE] = "@@session.sql_mode",
    [APL_SV_CS_CLIENT] = "@@session.character_set_client",
    [APL_SV_COLL_CONN] = "@@session.collation_connection",
    [APL_SV_COLL_SERVER] = "@@session.collation_server",
    [APL_SV_COLL_DB] = "@@session.collation_database",
    [APL_SV_TIME_ZONE] = "@@session.time_zone",
    [APL_SV_AI_INC] = "@@session.auto_increment_increment",
    [APL_SV_AI_OFF] = "@@session.auto_increment_offset",
    [APL_SV_LC_TIME] = "@@session.lc_time_names",
    [APL_SV_PSEUDO_THREAD] = "@@session.pseudo_thread_id",
    [APL_SV_FK_CHECKS] = "@@session.foreign_key_checks",
    [APL_SV_UNIQUE_CHECKS] = "@@session.unique_checks",
    [APL_SV_AUTO_IS_NULL] = "@@session.sql_auto_is_null",
    [APL_SV_EXPLICIT_TS] = "@@session.explicit_defaults_for_timestamp",
    [APL_SV_TIMESTAMP] = "@@session.timestamp",
};

void apl_sess_reset(apl_sess *s)
{
    memset(s, 0, sizeof(*s));
}

void apl_sess_set(apl_sess *s, enum apl_sv v, int64_t value)
{
    s->mask |= 1u << v;
    s->num[v] = value;
}

void apl_sess_want_rows(apl_sess *want, unsigned flags)
{
    apl_sess_reset(want);
    apl_sess_set(want, APL_SV_SQL_MODE, (int64_t)APL_ROW_SQL_MODE);
    /* bytes are already in the column charset: no conversion on the way in */
    apl_sess_set(want, APL_SV_CS_CLIENT, APL_COLL_BINARY);
    apl_sess_set(want, APL_SV_COLL_CONN, APL_COLL_BINARY);
    /* TIMESTAMP values are bound as UTC broken-down times */
    want->mask |= 1u << APL_SV_TIME_ZONE;
    strcpy(want->time_zone, "+00:00");
    apl_sess_set(want, APL_SV_FK_CHECKS, (flags & THL_ROWS_NO_FK_CHECKS) ? 0 : 1);
    apl_sess_set(want, APL_SV_UNIQUE_CHECKS, (flags & THL_ROWS_NO_UNIQUE_CHECKS) ? 0 : 1);
}

void apl_put_ident(repl_buf *b, const char *name)
{
    repl_buf_put_u8(b, '`');
    for (const char *p = name; *p != '\0'; p++) {
        if (*p == '`')
            repl_buf_put_u8(b, '`');
        repl_buf_put_u8(b, (uint8_t)*p);
    }
    repl_buf_put_u8(b, '`');
}

void apl_put_hex_literal(repl_buf *b, const void *data, size_t len)
{
    static const char hex[] = "0123456789ABCDEF";
    const uint8_t *p = data;
    repl_buf_reserve(b, len * 2 + 3);
    repl_buf_put(b, "X'", 2);
    for (size_t i = 0; i < len; i++) {
        repl_buf_put_u8(b, (uint8_t)hex[p[i] >> 4]);
        repl_buf_put_u8(b, (uint8_t)hex[p[i] & 15]);
    }
    repl_buf_put_u8(b, '\'');
}

static int sess_differs(const apl_sess *have, const apl_sess *want, enum apl_sv v)
{
    if (!(want->mask & (1u << v)))
        return 0;
    if (!(have->mask & (1u << v)))
        return 1;
    if (v == APL_SV_TIME_ZONE)
        return strcmp(have->time_zone, want->time_zone) != 0;
    return have->num[v] != want->num[v];
}

static void sess_put_value(repl_buf *b, const apl_sess *want, enum apl_sv v)
{
    int64_t n = want->num[v];
    if (v == APL_SV_TIME_ZONE) {
        apl_put_hex_literal(b, want->time_zone, strlen(want->time_zone));
    } else if (v == APL_SV_TIMESTAMP && n < 0) {
        repl_buf_printf(b, "DEFAULT");
    } else if (v == APL_SV_TIMESTAMP) {
        repl_buf_printf(b, "%" PRId64 ".%06" PRId64, n / 1000000, n % 1000000);
    } else if (v == APL_SV_SQL_MODE) {
        repl_buf_printf(b, "%" PRIu64, (uint64_t)n);
    } else {
        repl_buf_printf(b, "%" PRId64, n);
    }
}

/* Append "SET a=1, b=2" for what differs; returns how many assignments were added. */
static int sess_build(repl_buf *b, const apl_sess *have, const apl_sess *want)
{
    int n = 0;
    for (int v = 0; v < APL_SV_COUNT; v++) {
        if (!sess_differs(have, want, (enum apl_sv)v))
            continue;
        repl_buf_printf(b, "%s%s=", n == 0 ? "SET " : ", ", sess_names[v]);
        sess_put_value(b, want, (enum apl_sv)v);
        n++;
    }
    return n;
}

static void sess_remember(apl_sess *have, const apl_sess *want)
{
    for (int v = 0; v < APL_SV_COUNT; v++) {
        if (!(want->mask & (1u << v)))
            continue;
        have->mask |= 1u << v;
        have->num[v] = want->num[v];
    }
    if (want->mask & (1u << APL_SV_TIME_ZONE))
        memcpy(have->time_zone, want->time_zone, sizeof(have->time_zone));
}

int apl_sess_sync(apl_applier *a, const apl_sess *want, const char *extra, size_t extra_len,
                  repl_error *err)
{
    int n;
    int rc;
    repl_buf_clear(&a->sql);
    n = sess_build(&a->sql, &a->sess, want);
    if (extra_len > 0) {
        repl_buf_printf(&a->sql, "%s", n == 0 ? "SET " : ", ");
        repl_buf_put(&a->sql, extra, extra_len);
        n++;
    }
    if (n == 0)
        return REPL_OK;
    rc = apl_exec(a, (const char *)a->sql.data, a->sql.len, err);
    if (rc != REPL_OK) {
        apl_sess_reset(&a->sess); /* a failed SET may have changed part of the session */
        return rc;
    }
    sess_remember(&a->sess, want);
    return REPL_OK;
}

static int sess_use_one(apl_applier *a, const char *db, repl_error *err)
{
    repl_buf_clear(&a->sql);
    repl_buf_printf(&a->sql, "USE ");
    apl_put_ident(&a->sql, db);
    return apl_exec(a, (const char *)a->sql.data, a->sql.len, err);
}

/* The source's default database. information_schema stands for "none": a statement logged without
 * a database (or with one that no longer exists) names its tables fully, and must not fall on the
 * database of an earlier statement. */
int apl_sess_use(apl_applier *a, const char *db, repl_error *err)
{
    const char *none = "information_schema";
    const char *want = db != NULL && db[0] != '\0' ? db : none;
    int rc;
    if (a->cur_db != NULL && strcmp(a->cur_db, want) == 0)
        return REPL_OK;
    repl_free(a->cur_db);
    a->cur_db = NULL;
    rc = sess_use_one(a, want, err);
    if (rc == REPL_ERR_SOURCE && err->sys_errno == 1049) { /* ER_BAD_DB_ERROR */
        REPL_LOG_DEBUG(APL_LOG, "database %s does not exist: no default database", want);
        a->failed = 0;
        want = none;
        rc = sess_use_one(a, want, err);
    }
    if (rc != REPL_OK)
        return rc;
    a->cur_db = repl_strdup(want);
    return REPL_OK;
}
