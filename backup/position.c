/* SPDX-License-Identifier: GPL-2.0-or-later */
/* backup/position.c - read a backup's replication position from the server (binlog coordinates,
 * trep_commit_seqno rows) and map a master's binlog position to its THL seqno; JSON form. Owns no
 * connection or log: both are borrowed from the caller. */
#include "backup/position.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "backup/backup_int.h"
#include "backup/conn.h"
#include "replicator/base/clock.h"
#include "replicator/base/mem.h"

void bkp_position_init(bkp_position *pos)
{
    memset(pos, 0, sizeof(*pos));
    pos->seqno = -1;
    pos->epoch = -1;
}

int bkp_position_read_binlog(bkp_position *pos, MYSQL *m, repl_error *err)
{
    char cols[2][1024];
    int rc = bkp_conn_query_row(m, "SHOW MASTER STATUS", cols, 2, NULL, err);
    if (rc == REPL_ERR_NOTFOUND) {
        pos->binlog_file[0] = '\0'; /* binary log disabled */
        pos->binlog_pos = 0;
    } else if (rc != REPL_OK) {
        return rc;
    } else {
        snprintf(pos->binlog_file, sizeof(pos->binlog_file), "%s", cols[0]);
        pos->binlog_pos = strtoull(cols[1], NULL, 10);
    }
    rc = bkp_conn_query_row(m, "SELECT @@GLOBAL.gtid_binlog_pos", cols, 1, NULL, err);
    if (rc != REPL_OK)
        return rc;
    snprintf(pos->gtid, sizeof(pos->gtid), "%s", cols[0]);
    return REPL_OK;
}

static int64_t pos_i64(const char *v)
{
    return v != NULL ? strtoll(v, NULL, 10) : -1;
}

static void pos_channel_fill(bkp_channel_pos *c, MYSQL_ROW row)
{
    memset(c, 0, sizeof(*c));
    c->task_id = row[0] != NULL ? (uint32_t)strtoul(row[0], NULL, 10) : 0;
    c->seqno = pos_i64(row[1]);
    c->fragno = row[2] != NULL ? (uint32_t)strtoul(row[2], NULL, 10) : 0;
    c->last_frag = row[3] != NULL ? atoi(row[3]) : 0;
    c->epoch = pos_i64(row[4]);
    snprintf(c->source_id, sizeof(c->source_id), "%s", row[5] != NULL ? row[5] : "");
    snprintf(c->event_id, sizeof(c->event_id), "%s", row[6] != NULL ? row[6] : "");
}

static void pos_from_lowest(bkp_position *pos, const bkp_channel_pos *ch, size_t count)
{
    const bkp_channel_pos *low = NULL;
    snprintf(pos->role, sizeof(pos->role), "slave");
    for (size_t i = 0; i < count; i++) {
        if (ch[i].seqno >= 0 && (low == NULL || ch[i].seqno < low->seqno))
            low = &ch[i];
    }
    if (low == NULL)
        return;
    pos->seqno = low->seqno;
    pos->epoch = low->epoch;
    snprintf(pos->event_id, sizeof(pos->event_id), "%s", low->event_id);
    snprintf(pos->source_id, sizeof(pos->source_id), "%s", low->source_id);
}

int bkp_position_read_slave(bkp_position *pos, bkp_channel_pos **out, size_t *count, MYSQL *m,
                            const char *service, repl_error *err)
{
    repl_buf sql;
    MYSQL_RES *res = NULL;
    MYSQL_ROW row;
    bkp_channel_pos *ch = NULL;
    size_t n = 0;
    int rc = REPL_OK;
    *out = NULL;
    *count = 0;
    repl_buf_init(&sql);
    repl_buf_printf(&sql,
                    "SELECT task_id, seqno, fragno, last_frag, epoch, source_id, event_id "
                    "FROM `trep_%s`.`trep_commit_seqno` ORDER BY task_id",
                    service);
    if (mysql_query(m, bkp_buf_str(&sql)) != 0 || (res = mysql_store_result(m)) == NULL) {
        rc = bkp_conn_error(m, err, "backup: read the slave position");
        goto cleanup;
    }
    ch = repl_calloc(mysql_num_rows(res) + 1, sizeof(*ch));
    while ((row = mysql_fetch_row(res)) != NULL)
        pos_channel_fill(&ch[n++], row);
    pos_from_lowest(pos, ch, n);
    *out = n > 0 ? ch : NULL;
    *count = n;
    if (n > 0)
        ch = NULL;
cleanup:
    repl_free(ch);
    if (res != NULL)
        mysql_free_result(res);
    repl_buf_dispose(&sql);
    return rc;
}

/* Highest THL seqno over the domains of a gtid list "D-S-N,D-S-N"; REPL_ERR_NOTFOUND if one of them
 * is not in the log yet. */
static int pos_map_gtids(thl_log *log, const char *gtids, uint64_t *out, repl_error *err)
{
    const char *p = gtids;
    int found = 0;
    *out = 0;
    while (*p != '\0') {
        unsigned domain = 0;
        unsigned server = 0;
        unsigned long long seq = 0;
        uint64_t seqno = 0;
        int n = 0;
        int rc;
        if (sscanf(p, "%u-%u-%llu%n", &domain, &server, &seq, &n) != 3)
            return repl_error_set(err, REPL_ERR_CORRUPT, "backup: bad GTID list \"%.200s\"", gtids);
        rc = thl_log_find_gtid(log, domain, seq, &seqno, err);
        if (rc != REPL_OK)
            return rc;
        if (!found || seqno > *out)
            *out = seqno;
        found = 1;
        p += n;
        while (*p == ',' || *p == ' ' || *p == '\n')
            p++;
    }
    return REPL_OK;
}

/* Seqno of the binlog position when the THL has read at least that far. */
static int pos_map_file(thl_log *log, const bkp_position *pos, uint64_t *out, repl_error *err)
{
    thl_log_state st;
    thl_event_id last;
    int rc = thl_log_state_get(log, &st, err);
    if (rc != REPL_OK)
        return rc;
    if (st.empty)
        return repl_error_set(err, REPL_ERR_NOTFOUND, "backup: the THL is empty");
    rc = thl_event_id_parse(&last, st.last_event_id, strlen(st.last_event_id), err);
    if (rc != REPL_OK)
        return rc;
    if (strcmp(last.file, pos->binlog_file) < 0 ||
        (strcmp(last.file, pos->binlog_file) == 0 && last.offset < pos->binlog_pos))
        return repl_error_set(err, REPL_ERR_NOTFOUND,
                              "backup: the THL has only reached %s, the backup is at %s:%" PRIu64,
                              st.last_event_id, pos->binlog_file, pos->binlog_pos);
    return thl_log_find_binlog_pos(log, pos->binlog_file, pos->binlog_pos, out, err);
}

static int pos_fill_from_record(bkp_position *pos, thl_log *log, uint64_t seqno, repl_error *err)
{
    repl_buf rec;
    thl_record_header h;
    thl_epoch_entry *epochs = NULL;
    size_t n_epochs = 0;
    int rc;
    repl_buf_init(&rec);
    rc = thl_log_read_record(log, seqno, 0, &rec, err);
    if (rc == REPL_OK)
        rc = thl_record_parse_header(&h, rec.data, rec.len, err);
    if (rc == REPL_OK)
        rc = thl_log_epochs(log, &epochs, &n_epochs, err);
    if (rc == REPL_OK) {
        pos->seqno = (int64_t)seqno;
        pos->epoch = (int64_t)h.epoch;
        snprintf(pos->event_id, sizeof(pos->event_id), "%.*s", (int)h.event_id_len, h.event_id);
        for (size_t i = 0; i < n_epochs; i++) {
            if (epochs[i].epoch == h.epoch)
                snprintf(pos->source_id, sizeof(pos->source_id), "%s", epochs[i].source_id);
        }
    }
    repl_free(epochs);
    repl_buf_dispose(&rec);
    return rc;
}

static int pos_map_once(bkp_position *pos, thl_log *log, uint64_t *seqno, repl_error *err)
{
    if (pos->gtid[0] != '\0')
        return pos_map_gtids(log, pos->gtid, seqno, err);
    return pos_map_file(log, pos, seqno, err);
}

int bkp_position_map_thl(bkp_position *pos, thl_log *log, int wait_ms, repl_error *err)
{
    const int64_t deadline = repl_clock_mono_ms() + (wait_ms > 0 ? wait_ms : 0);
    const struct timespec nap = { 0, 50 * 1000 * 1000 };
    uint64_t seqno = 0;
    int rc;
    snprintf(pos->role, sizeof(pos->role), "master");
    if (pos->gtid[0] == '\0' && pos->binlog_file[0] == '\0')
        return REPL_OK; /* nothing written yet: the position is before seqno 0 */
    for (;;) {
        rc = pos_map_once(pos, log, &seqno, err);
        if (rc != REPL_ERR_NOTFOUND || repl_clock_mono_ms() >= deadline)
            break;
        nanosleep(&nap, NULL);
    }
    if (rc != REPL_OK)
        return repl_error_wrap(err, "backup: map binlog %s:%" PRIu64 " gtid %s to the THL",
                               pos->binlog_file, pos->binlog_pos, pos->gtid);
    return pos_fill_from_record(pos, log, seqno, err);
}

json_t *bkp_position_to_json(const bkp_position *pos)
{
    json_t *o = json_object();
    bkp_json_set(o, "role", bkp_json_str_or_null(pos->role));
    bkp_json_set(o, "seqno", bkp_json_int_or_null(pos->seqno));
    bkp_json_set(o, "epoch", bkp_json_int_or_null(pos->epoch));
    bkp_json_set(o, "event_id", bkp_json_str_or_null(pos->event_id));
    bkp_json_set(o, "source_id", bkp_json_str_or_null(pos->source_id));
    bkp_json_set(o, "binlog_file", bkp_json_str_or_null(pos->binlog_file));
    bkp_json_set(o, "binlog_pos", json_integer((json_int_t)pos->binlog_pos));
    bkp_json_set(o, "gtid", bkp_json_str_or_null(pos->gtid));
    return o;
}

int bkp_position_from_json(bkp_position *out, const json_t *obj, repl_error *err)
{
    int rc;
    bkp_position_init(out);
    if (!json_is_object(obj))
        return repl_error_set(err, REPL_ERR_CORRUPT, "position is not an object");
    rc = bkp_json_get_str(obj, "role", out->role, sizeof(out->role), 1, err);
    if (rc == REPL_OK)
        rc = bkp_json_get_i64(obj, "seqno", &out->seqno, 1, err);
    if (rc == REPL_OK)
        rc = bkp_json_get_i64(obj, "epoch", &out->epoch, 1, err);
    if (rc == REPL_OK)
        rc = bkp_json_get_str(obj, "event_id", out->event_id, sizeof(out->event_id), 1, err);
    if (rc == REPL_OK)
        rc = bkp_json_get_str(obj, "source_id", out->source_id, sizeof(out->source_id), 1, err);
    if (rc == REPL_OK)
        rc = bkp_json_get_str(obj, "binlog_file", out->binlog_file, sizeof(out->binlog_file), 1,
                              err);
    if (rc == REPL_OK)
        rc = bkp_json_get_u64(obj, "binlog_pos", &out->binlog_pos, err);
    if (rc == REPL_OK)
        rc = bkp_json_get_str(obj, "gtid", out->gtid, sizeof(out->gtid), 1, err);
    return rc != REPL_OK ? repl_error_wrap(err, "position") : REPL_OK;
}

json_t *bkp_channels_to_json(const bkp_channel_pos *ch, size_t count)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < count; i++) {
        json_t *o = json_object();
        bkp_json_set(o, "task_id", json_integer(ch[i].task_id));
        bkp_json_set(o, "seqno", bkp_json_int_or_null(ch[i].seqno));
        bkp_json_set(o, "fragno", json_integer(ch[i].fragno));
        bkp_json_set(o, "last_frag", json_boolean(ch[i].last_frag));
        bkp_json_set(o, "epoch", bkp_json_int_or_null(ch[i].epoch));
        bkp_json_set(o, "source_id", bkp_json_str_or_null(ch[i].source_id));
        bkp_json_set(o, "event_id", bkp_json_str_or_null(ch[i].event_id));
        json_array_append_new(arr, o);
    }
    return arr;
}

static int pos_channel_from_json(bkp_channel_pos *c, const json_t *o, repl_error *err)
{
    int64_t v = 0;
    int rc = bkp_json_get_i64(o, "task_id", &v, 0, err);
    c->task_id = (uint32_t)v;
    if (rc == REPL_OK)
        rc = bkp_json_get_i64(o, "seqno", &c->seqno, 1, err);
    if (rc == REPL_OK)
        rc = bkp_json_get_i64(o, "fragno", &v, 0, err);
    c->fragno = (uint32_t)v;
    c->last_frag = json_is_true(json_object_get(o, "last_frag"));
    if (rc == REPL_OK)
        rc = bkp_json_get_i64(o, "epoch", &c->epoch, 1, err);
    if (rc == REPL_OK)
        rc = bkp_json_get_str(o, "source_id", c->source_id, sizeof(c->source_id), 1, err);
    if (rc == REPL_OK)
        rc = bkp_json_get_str(o, "event_id", c->event_id, sizeof(c->event_id), 1, err);
    return rc;
}

int bkp_channels_from_json(bkp_channel_pos **out, size_t *count, const json_t *arr, repl_error *err)
{
    bkp_channel_pos *ch;
    size_t n = json_array_size(arr);
    *out = NULL;
    *count = 0;
    if (!json_is_array(arr))
        return repl_error_set(err, REPL_ERR_CORRUPT, "channels is not an array");
    if (n == 0)
        return REPL_OK;
    ch = repl_calloc(n, sizeof(*ch));
    for (size_t i = 0; i < n; i++) {
        int rc = pos_channel_from_json(&ch[i], json_array_get(arr, i), err);
        if (rc != REPL_OK) {
            repl_free(ch);
            return repl_error_wrap(err, "channel %zu", i);
        }
    }
    *out = ch;
    *count = n;
    return REPL_OK;
}

void bkp_position_format(const bkp_position *pos, char *out, size_t out_len)
{
    snprintf(out, out_len,
             "role=%s seqno=%" PRId64 " epoch=%" PRId64 " binlog=%s:%" PRIu64 " gtid=%s",
             pos->role[0] != '\0' ? pos->role : "-", pos->seqno, pos->epoch,
             pos->binlog_file[0] != '\0' ? pos->binlog_file : "-", pos->binlog_pos,
             pos->gtid[0] != '\0' ? pos->gtid : "-");
}
