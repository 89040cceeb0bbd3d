/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tools/thl/show.c - "thl info" (the log's state) and "thl list" (events as text or one JSON
 * array), read through a read-only thl_log and rendered with thl/print.h. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "thl/print.h"
#include "thl/record.h"
#include "tools/thl/tool_thl.h"

/* ---- info ------------------------------------------------------------------------------------ */

static void show_size(repl_buf *b, const char *label, uint64_t bytes)
{
    static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB" };
    double v = (double)bytes;
    int u = 0;
    while (v >= 1024 && u < 4) {
        v /= 1024;
        u++;
    }
    repl_buf_printf(b, "%-16s%" PRIu64 " (%.1f %s)\n", label, bytes, v, units[u]);
}

static void show_info_text(repl_buf *b, const char *dir, const thl_log_state *st,
                           const thl_epoch_entry *ep, size_t nep)
{
    repl_buf_printf(b, "%-16s%s\n", "dir:", dir);
    if (st->record_count > 0)
        repl_buf_printf(b, "%-16s%" PRIu64 "\n", "min_seqno:", st->min_seqno);
    else
        repl_buf_printf(b, "%-16s-\n", "min_seqno:");
    if (!st->empty) {
        repl_buf_printf(b, "%-16s%" PRIu64 "\n", "max_seqno:", st->max_seqno);
        repl_buf_printf(b, "%-16s%" PRIu64 "\n", "last_epoch:", st->last_epoch);
        repl_buf_printf(b, "%-16s%s\n", "last_event_id:", st->last_event_id);
        repl_buf_printf(b, "%-16s%s\n", "last_source_id:", st->last_source_id);
    } else {
        repl_buf_printf(b, "%-16s- (no complete transaction)\n", "max_seqno:");
    }
    repl_buf_printf(b, "%-16s%" PRIu64 "\n", "records:", st->record_count);
    show_size(b, "size_used:", st->used_bytes);
    show_size(b, "map_size:", st->map_bytes);
    for (size_t i = 0; i < nep; i++)
        repl_buf_printf(b, "%-16s%" PRIu64 " from seqno %" PRIu64 " (source %s)\n",
                        i == 0 ? "epochs:" : "", ep[i].epoch, ep[i].first_seqno, ep[i].source_id);
}

static json_t *show_info_json(const char *dir, const thl_log_state *st, const thl_epoch_entry *ep,
                              size_t nep)
{
    json_t *epochs = json_array();
    json_t *o;
    for (size_t i = 0; i < nep; i++)
        json_array_append_new(epochs, json_pack("{s:I,s:I,s:s}", "epoch", (json_int_t)ep[i].epoch,
                                                "first_seqno", (json_int_t)ep[i].first_seqno,
                                                "source_id", ep[i].source_id));
    o = json_pack("{s:s,s:b,s:I,s:I}", "dir", dir, "empty", st->empty, "record_count",
                  (json_int_t)st->record_count, "used_bytes", (json_int_t)st->used_bytes);
    json_object_set_new(o, "map_bytes", json_integer((json_int_t)st->map_bytes));
    json_object_set_new(o, "min_seqno",
                        st->record_count > 0 ? json_integer((json_int_t)st->min_seqno)
                                             : json_null());
    json_object_set_new(o, "max_seqno",
                        st->empty ? json_null() : json_integer((json_int_t)st->max_seqno));
    json_object_set_new(o, "last_epoch",
                        st->empty ? json_null() : json_integer((json_int_t)st->last_epoch));
    json_object_set_new(o, "last_event_id",
                        st->empty ? json_null() : json_string(st->last_event_id));
    json_object_set_new(o, "last_source_id",
                        st->empty ? json_null() : json_string(st->last_source_id));
    json_object_set_new(o, "epochs", epochs);
    return o;
}

static int show_dump_json(json_t *j)
{
    char *s = json_dumps(j, JSON_INDENT(2) | JSON_ENSURE_ASCII);
    int rc;
    if (s == NULL) {
        tool_error("cannot render JSON");
        return -1;
    }
    rc = tool_write(s, strlen(s));
    if (rc == 0)
        rc = tool_write("\n", 1);
    free(s);
    return rc;
}

int tool_cmd_info(const tool_args *args)
{
    thl_log *log = tool_log_open(args, 0);
    thl_log_state st;
    thl_epoch_entry *ep = NULL;
    size_t nep = 0;
    repl_error err;
    repl_buf b;
    json_t *j;
    int rc = 1;
    repl_buf_init(&b);
    if (log == NULL)
        return 1;
    if (thl_log_state_get(log, &st, &err) != REPL_OK ||
        thl_log_epochs(log, &ep, &nep, &err) != REPL_OK) {
        tool_error("%s", err.msg);
        goto cleanup;
    }
    if (args->json) {
        j = show_info_json(args->dir, &st, ep, nep);
        rc = show_dump_json(j) == 0 ? 0 : 1;
        json_decref(j);
    } else {
        show_info_text(&b, args->dir, &st, ep, nep);
        rc = tool_write(b.data, b.len) == 0 ? 0 : 1;
    }
cleanup:
    repl_free(ep);
    repl_buf_dispose(&b);
    thl_log_close(log);
    return rc;
}

/* ---- list ------------------------------------------------------------------------------------ */

typedef struct show_list {
    const tool_args *args;
    uint64_t low;
    uint64_t high;
    uint64_t shown;
    int failed;
    repl_buf out;
} show_list;

static const char *show_codec_name(int codec)
{
    return codec == THL_CODEC_ZSTD ? "zstd" : codec == THL_CODEC_NONE ? "none" : "?";
}

static int show_one_text(show_list *l, const thl_event *ev, const thl_record_header *h, size_t len)
{
    repl_buf_clear(&l->out);
    if (l->shown > 0)
        repl_buf_put_u8(&l->out, '\n');
    thl_print_event(&l->out, ev);
    repl_buf_printf(&l->out,
                    "- RECORD = %zu bytes, payload %" PRIu32 " bytes (%s, %" PRIu32 " raw)\n", len,
                    h->payload_len, show_codec_name(h->codec), h->raw_len);
    return tool_write(l->out.data, l->out.len);
}

static int show_one_json(show_list *l, const thl_event *ev, const thl_record_header *h, size_t len)
{
    json_t *j = thl_print_event_json(ev);
    char *s;
    int rc;
    json_object_set_new(j, "record",
                        json_pack("{s:I,s:s,s:I,s:I}", "bytes", (json_int_t)len, "codec",
                                  show_codec_name(h->codec), "payload_len",
                                  (json_int_t)h->payload_len, "raw_len", (json_int_t)h->raw_len));
    s = json_dumps(j, JSON_INDENT(2) | JSON_ENSURE_ASCII);
    json_decref(j);
    if (s == NULL) {
        tool_error("seqno=%" PRIu64 ": cannot render JSON", ev->seqno);
        return -1;
    }
    rc = tool_write(l->shown > 0 ? ",\n" : "\n", l->shown > 0 ? 2 : 1);
    if (rc == 0)
        rc = tool_write(s, strlen(s));
    free(s);
    return rc;
}

/* Decode and print one record; a record that does not decode is reported and skipped. */
static int show_record(show_list *l, const uint8_t *rec, size_t len, const thl_record_header *h)
{
    thl_event *ev = NULL;
    repl_error err;
    int rc;
    if (thl_record_decode(&ev, rec, len, &err) != REPL_OK) {
        tool_error("%s", err.msg);
        l->failed = 1;
        return 0;
    }
    if (l->args->json)
        rc = show_one_json(l, ev, h, len);
    else
        rc = show_one_text(l, ev, h, len);
    thl_event_free(ev);
    l->shown++;
    return rc;
}

/* 0 to go on, 1 once past the high end, -1 when stdout failed. */
static int show_record_in_range(show_list *l, const uint8_t *rec, size_t len)
{
    thl_record_header h;
    repl_error err;
    if (thl_record_parse_header(&h, rec, len, &err) != REPL_OK) {
        tool_error("%s", err.msg); /* the cursor checked it: only if the log changed under us */
        l->failed = 1;
        return 0;
    }
    if (h.seqno > l->high)
        return 1;
    return show_record(l, rec, len, &h) == 0 ? 0 : -1;
}

/* The range to list, from the options and the stored range; 0 when there is nothing to do. */
static int show_list_range(show_list *l, const thl_log_state *st)
{
    const tool_args *a = l->args;
    l->low = a->have_seqno ? a->seqno : a->have_low ? a->low : st->min_seqno;
    l->high = a->have_seqno ? a->seqno : a->have_high ? a->high : UINT64_MAX;
    if (st->record_count == 0 || l->low > l->high)
        return 0;
    if (l->low < st->min_seqno) {
        if (a->have_seqno)
            return 0;
        l->low = st->min_seqno;
    }
    return 1;
}

static int show_list_scan(show_list *l, thl_log *log)
{
    thl_cursor *cur = NULL;
    const uint8_t *rec = NULL;
    size_t len = 0;
    repl_error err;
    int step = 0;
    int rc = thl_cursor_open(&cur, log, l->low, &err);
    while (rc == REPL_OK && step == 0) {
        rc = thl_cursor_next(cur, &rec, &len, 0, &err);
        if (rc == REPL_OK)
            step = show_record_in_range(l, rec, len);
    }
    thl_cursor_close(cur);
    if (step < 0)
        return -1;
    if (rc == REPL_OK || rc == REPL_ERR_NOTFOUND)
        return 0;
    tool_error("%s", err.msg);
    return -1;
}

/* The stored range; a log whose tail cannot be read is still listed from its start. */
static void show_list_state(thl_log *log, thl_log_state *st)
{
    repl_error err;
    if (thl_log_state_get(log, st, &err) == REPL_OK)
        return;
    tool_error("warning: %s", err.msg);
    memset(st, 0, sizeof(*st));
    st->empty = 1;
    st->record_count = 1; /* unknown: let the cursor find out */
}

int tool_cmd_list(const tool_args *args)
{
    thl_log *log = tool_log_open(args, 0);
    thl_log_state st;
    show_list l;
    int rc = 0;
    if (log == NULL)
        return 1;
    memset(&l, 0, sizeof(l));
    l.args = args;
    repl_buf_init(&l.out);
    show_list_state(log, &st);
    if (args->json && tool_write("[", 1) != 0)
        rc = 1;
    if (rc == 0 && show_list_range(&l, &st) && show_list_scan(&l, log) != 0)
        rc = 1;
    if (args->json && tool_write(l.shown > 0 ? "\n]\n" : "]\n", l.shown > 0 ? 3 : 2) != 0)
        rc = 1;
    if (args->have_seqno && l.shown == 0 && rc == 0 && !l.failed) {
        tool_error("seqno=%" PRIu64 " is not in the log", args->seqno);
        rc = 1;
    }
    if (l.failed)
        rc = 1;
    repl_buf_dispose(&l.out);
    thl_log_close(log);
    return rc;
}
