/* SPDX-License-Identifier: GPL-2.0-or-later */
/* appliers/apply_pos.c - the applier's catalog in the target: trep_<service>.trep_commit_seqno (one
 * row per channel: the position committed with the data, plus the pending marker that makes DDL, XA
 * and non-transactional events restartable) and trep_<service>.heartbeat. Creates them, reads a
 * channel's row, upserts the position inside the open target transaction. Timestamps are stored as
 * UTC DATETIME(6). Owner thread only. */
#include "appliers/applier_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "replicator/base/clock.h"
#include "replicator/base/crc32c.h"

static const char pos_table_ddl[] =
    "CREATE TABLE IF NOT EXISTS `%s`.`trep_commit_seqno` ("
    "task_id INT NOT NULL PRIMARY KEY, seqno BIGINT NULL, fragno SMALLINT UNSIGNED NULL, "
    "last_frag TINYINT NULL, epoch BIGINT NULL, source_id VARCHAR(255) NULL, "
    "event_id VARCHAR(1024) NULL, shard_id VARCHAR(1024) NULL, applied_latency BIGINT NULL, "
    "update_timestamp DATETIME(6) NULL, extract_timestamp DATETIME(6) NULL, "
    "source_timestamp DATETIME(6) NULL, pending_seqno BIGINT NULL, pending_crc INT UNSIGNED NULL"
    ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4";

static const char heartbeat_ddl[] =
    "CREATE TABLE IF NOT EXISTS `%s`.`heartbeat` ("
    "id BIGINT NOT NULL PRIMARY KEY, seqno BIGINT NULL, eventid VARCHAR(1024) NULL, "
    "source_tstamp DATETIME(6) NULL, target_tstamp DATETIME(6) NULL, lag_millis BIGINT NULL, "
    "salt BIGINT NULL, name VARCHAR(128) NULL) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4";

static const char pos_upsert[] =
    "INSERT INTO `%s`.`trep_commit_seqno` (task_id, seqno, fragno, last_frag, epoch, source_id, "
    "event_id, shard_id, applied_latency, update_timestamp, extract_timestamp, source_timestamp, "
    "pending_seqno, pending_crc) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,NULL,NULL) ON DUPLICATE KEY "
    "UPDATE "
    "seqno=VALUES(seqno), fragno=VALUES(fragno), last_frag=VALUES(last_frag), epoch=VALUES(epoch), "
    "source_id=VALUES(source_id), event_id=VALUES(event_id), shard_id=VALUES(shard_id), "
    "applied_latency=VALUES(applied_latency), update_timestamp=VALUES(update_timestamp), "
    "extract_timestamp=VALUES(extract_timestamp), source_timestamp=VALUES(source_timestamp), "
    "pending_seqno=NULL, pending_crc=NULL";

int apl_pos_create_catalog(apl_applier *a, repl_error *err)
{
    char sql[1024];
    int rc;
    snprintf(sql, sizeof(sql), "CREATE DATABASE IF NOT EXISTS `%s`", a->catalog);
    rc = apl_exec(a, sql, strlen(sql), err);
    if (rc == REPL_OK) {
        snprintf(sql, sizeof(sql), pos_table_ddl, a->catalog);
        rc = apl_exec(a, sql, strlen(sql), err);
    }
    if (rc == REPL_OK) {
        snprintf(sql, sizeof(sql), heartbeat_ddl, a->catalog);
        rc = apl_exec(a, sql, strlen(sql), err);
    }
    if (rc != REPL_OK)
        return repl_error_wrap(err, "apply: create catalog %s", a->catalog);
    return REPL_OK;
}

uint32_t apl_pos_marker_crc(const char *event_id)
{
    return repl_crc32c(0, event_id, strlen(event_id));
}

/* "YYYY-MM-DD HH:MM:SS[.ffffff]" (UTC) -> µs since the epoch; 0 for NULL or unparsable. */
static int64_t pos_parse_datetime(const char *s)
{
    struct tm tm;
    unsigned usec = 0;
    char frac[8] = "";
    memset(&tm, 0, sizeof(tm));
    if (s == NULL || sscanf(s, "%d-%d-%d %d:%d:%d.%6[0-9]", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                            &tm.tm_hour, &tm.tm_min, &tm.tm_sec, frac) < 6)
        return 0;
    for (size_t i = 0; i < 6; i++)
        usec = usec * 10 + (i < strlen(frac) ? (unsigned)(frac[i] - '0') : 0);
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    return (int64_t)timegm(&tm) * 1000000 + usec;
}

static void pos_copy(char *dst, size_t cap, const char *src)
{
    snprintf(dst, cap, "%s", src != NULL ? src : "");
}

static void pos_fill(apl_applier *a, MYSQL_ROW row, apl_hdr *h, apl_position *pub)
{
    h->empty = row[0] == NULL;
    if (!h->empty) {
        h->seqno = strtoull(row[0], NULL, 10);
        h->fragno = (uint16_t)(row[1] != NULL ? atoi(row[1]) : 0);
        h->last_frag = row[2] != NULL && atoi(row[2]) != 0;
        h->epoch = row[3] != NULL ? strtoull(row[3], NULL, 10) : 0;
        pos_copy(h->source_id, sizeof(h->source_id), row[4]);
        pos_copy(h->event_id, sizeof(h->event_id), row[5]);
        pos_copy(h->shard_id, sizeof(h->shard_id), row[6]);
        h->extract_tstamp_us = pos_parse_datetime(row[9]);
        h->source_tstamp_us = pos_parse_datetime(row[10]);
    }
    a->marker_found = row[11] != NULL;
    a->marker_seqno = row[11] != NULL ? strtoull(row[11], NULL, 10) : 0;
    a->marker_crc = row[12] != NULL ? (uint32_t)strtoul(row[12], NULL, 10) : 0;
    if (pub == NULL || h->empty)
        return;
    pub->empty = 0;
    pub->seqno = h->seqno;
    pub->fragno = h->fragno;
    pub->last_frag = h->last_frag;
    pub->epoch = h->epoch;
    pos_copy(pub->event_id, sizeof(pub->event_id), h->event_id);
    pos_copy(pub->source_id, sizeof(pub->source_id), h->source_id);
    pos_copy(pub->shard_id, sizeof(pub->shard_id), h->shard_id);
    pub->applied_latency_ms = row[7] != NULL ? strtoll(row[7], NULL, 10) : 0;
    pub->update_tstamp_us = pos_parse_datetime(row[8]);
    pub->source_tstamp_us = h->source_tstamp_us;
}

int apl_pos_read(apl_applier *a, apl_hdr *out, apl_position *pub, repl_error *err)
{
    MYSQL_RES *res = NULL;
    MYSQL_ROW row;
    char sql[512];
    int rc;
    memset(out, 0, sizeof(*out));
    out->empty = 1;
    if (pub != NULL) {
        memset(pub, 0, sizeof(*pub));
        pub->empty = 1;
    }
    a->marker_found = 0;
    snprintf(sql, sizeof(sql),
             "SELECT seqno, fragno, last_frag, epoch, source_id, event_id, shard_id, "
             "applied_latency, update_timestamp, extract_timestamp, source_timestamp, "
             "pending_seqno, pending_crc FROM `%s`.`trep_commit_seqno` WHERE task_id = %d",
             a->catalog, a->opts.channel);
    rc = apl_query_rows(a, sql, &res, err);
    if (rc != REPL_OK)
        return repl_error_wrap(err, "apply: read position");
    row = mysql_fetch_row(res);
    if (row != NULL)
        pos_fill(a, row, out, pub);
    mysql_free_result(res);
    return REPL_OK;
}

static void pos_time(MYSQL_TIME *t, int64_t us)
{
    time_t sec = (time_t)(us / 1000000);
    struct tm tm;
    memset(t, 0, sizeof(*t));
    t->time_type = MYSQL_TIMESTAMP_DATETIME;
    if (us <= 0 || gmtime_r(&sec, &tm) == NULL)
        return;
    t->year = (unsigned)tm.tm_year + 1900;
    t->month = (unsigned)tm.tm_mon + 1;
    t->day = (unsigned)tm.tm_mday;
    t->hour = (unsigned)tm.tm_hour;
    t->minute = (unsigned)tm.tm_min;
    t->second = (unsigned)tm.tm_sec;
    t->second_part = (unsigned long)(us % 1000000);
}

static void pos_bind_num(MYSQL_BIND *b, enum enum_field_types type, void *v, int is_unsigned)
{
    b->buffer_type = type;
    b->buffer = v;
    b->is_unsigned = (my_bool)is_unsigned;
}

static void pos_bind_str(MYSQL_BIND *b, const char *s)
{
    b->buffer_type = MYSQL_TYPE_STRING;
    b->buffer = (void *)s;
    b->buffer_length = (unsigned long)strlen(s);
}

static void pos_bind_time(MYSQL_BIND *b, MYSQL_TIME *t, int64_t us)
{
    pos_time(t, us);
    b->buffer_type = us > 0 ? MYSQL_TYPE_DATETIME : MYSQL_TYPE_NULL;
    b->buffer = t;
}

static int pos_prepare(apl_applier *a, repl_error *err)
{
    char sql[1024];
    if (a->pos_stmt != NULL)
        return REPL_OK;
    snprintf(sql, sizeof(sql), pos_upsert, a->catalog);
    a->pos_stmt = mysql_stmt_init(a->conn);
    if (a->pos_stmt == NULL)
        return apl_fail_server(a, NULL, sql, strlen(sql), err);
    if (mysql_stmt_prepare(a->pos_stmt, sql, (unsigned long)strlen(sql)) != 0) {
        int rc = apl_fail_server(a, a->pos_stmt, sql, strlen(sql), err);
        mysql_stmt_close(a->pos_stmt);
        a->pos_stmt = NULL;
        return rc;
    }
    return REPL_OK;
}

int apl_pos_write(apl_applier *a, const apl_hdr *h, repl_error *err)
{
    MYSQL_BIND b[12];
    MYSQL_TIME t[3];
    int32_t task = a->opts.channel;
    int64_t seqno = (int64_t)h->seqno, epoch = (int64_t)h->epoch;
    uint16_t fragno = h->fragno;
    int8_t last = (int8_t)h->last_frag;
    int64_t now_us = repl_clock_now_us();
    int64_t latency = h->source_tstamp_us > 0 ? (now_us - h->source_tstamp_us) / 1000 : 0;
    int rc = pos_prepare(a, err);
    if (rc != REPL_OK)
        return rc;
    memset(b, 0, sizeof(b));
    pos_bind_num(&b[0], MYSQL_TYPE_LONG, &task, 0);
    pos_bind_num(&b[1], MYSQL_TYPE_LONGLONG, &seqno, 0);
    pos_bind_num(&b[2], MYSQL_TYPE_SHORT, &fragno, 1);
    pos_bind_num(&b[3], MYSQL_TYPE_TINY, &last, 0);
    pos_bind_num(&b[4], MYSQL_TYPE_LONGLONG, &epoch, 0);
    pos_bind_str(&b[5], h->source_id);
    pos_bind_str(&b[6], h->event_id);
    pos_bind_str(&b[7], h->shard_id);
    pos_bind_num(&b[8], MYSQL_TYPE_LONGLONG, &latency, 0);
    pos_bind_time(&b[9], &t[0], now_us);
    pos_bind_time(&b[10], &t[1], h->extract_tstamp_us);
    pos_bind_time(&b[11], &t[2], h->source_tstamp_us);
    if (mysql_stmt_bind_param(a->pos_stmt, b) != 0 || mysql_stmt_execute(a->pos_stmt) != 0)
        return apl_fail_server(a, a->pos_stmt, "update trep_commit_seqno", 24, err);
    return REPL_OK;
}

int apl_pos_write_marker(apl_applier *a, const apl_hdr *h, repl_error *err)
{
    char sql[512];
    snprintf(sql, sizeof(sql),
             "INSERT INTO `%s`.`trep_commit_seqno` (task_id, pending_seqno, pending_crc) "
             "VALUES (%d, %" PRIu64 ", %" PRIu32 ") ON DUPLICATE KEY UPDATE "
             "pending_seqno=VALUES(pending_seqno), pending_crc=VALUES(pending_crc)",
             a->catalog, a->opts.channel, h->seqno, apl_pos_marker_crc(h->event_id));
    return apl_exec(a, sql, strlen(sql), err);
}

int apl_pos_clear_marker(apl_applier *a, repl_error *err)
{
    char sql[256];
    snprintf(sql, sizeof(sql),
             "UPDATE `%s`.`trep_commit_seqno` SET pending_seqno=NULL, pending_crc=NULL "
             "WHERE task_id = %d",
             a->catalog, a->opts.channel);
    a->marker_found = 0;
    return apl_exec(a, sql, strlen(sql), err);
}

void apl_heartbeat_create_sql(char *out, size_t size, const char *service)
{
    char catalog[80];
    snprintf(catalog, sizeof(catalog), "trep_%s", service);
    snprintf(out, size, heartbeat_ddl, catalog);
}

int apl_applier_reset_position(apl_applier *a, repl_error *err)
{
    char sql[256];
    int rc;
    snprintf(sql, sizeof(sql), "DELETE FROM `%s`.`trep_commit_seqno` WHERE task_id = %d",
             a->catalog, a->opts.channel);
    rc = apl_exec(a, sql, strlen(sql), err);
    if (rc != REPL_OK)
        return repl_error_wrap(err, "apply: reset position");
    return REPL_OK;
}

int apl_applier_set_position(apl_applier *a, const apl_position *pos, repl_error *err)
{
    apl_hdr h;
    int rc;
    memset(&h, 0, sizeof(h));
    h.seqno = pos->seqno;
    h.fragno = pos->fragno;
    h.last_frag = 1;
    h.epoch = pos->epoch;
    snprintf(h.event_id, sizeof(h.event_id), "%s", pos->event_id);
    snprintf(h.source_id, sizeof(h.source_id), "%s", pos->source_id);
    snprintf(h.shard_id, sizeof(h.shard_id), "%s", pos->shard_id);
    rc = apl_exec(a, "BEGIN", 5, err);
    if (rc == REPL_OK)
        rc = apl_pos_write(a, &h, err);
    if (rc == REPL_OK)
        rc = apl_exec(a, "COMMIT", 6, err);
    if (rc != REPL_OK)
        return repl_error_wrap(err, "apply: set position seqno=%llu", (unsigned long long)h.seqno);
    a->committed = h;
    return REPL_OK;
}
