/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tools/trep-backup/cmds.c - the commands of trep-backup: each turns the parsed arguments into
 * backup/ options, makes one library call and prints its one-line result. */
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backup/backup.h"
#include "replicator/base/clock.h"
#include "replicator/base/mem.h"
#include "tools/trep-backup/tool_backup.h"

static bkp_store *tool_store(const tool_args *a, int create)
{
    bkp_store *s = NULL;
    repl_error err;
    repl_error_clear(&err);
    if (bkp_store_open(&s, a->store, create, &err) != REPL_OK) {
        tool_error("%s", err.msg);
        return NULL;
    }
    return s;
}

static void tool_print_entry(const bkp_entry *e, const char *what)
{
    char pos[2048];
    bkp_position_format(&e->position, pos, sizeof(pos));
    printf("%s %s method=%s size=%" PRIu64 " duration_ms=%" PRIu64 " %s\n", e->id, what, e->method,
           e->size_bytes, e->duration_ms, pos);
}

static thl_log *tool_thl_open(const tool_args *a)
{
    thl_log_options o;
    thl_log *log = NULL;
    repl_error err;
    repl_error_clear(&err);
    thl_log_options_init(&o);
    o.dir = a->thl_dir;
    o.read_only = 1;
    if (thl_log_open(&log, &o, &err) != REPL_OK) {
        tool_error("%s", err.msg);
        return NULL;
    }
    return log;
}

static void tool_backup_options(const tool_args *a, bkp_backup_options *o)
{
    bkp_backup_options_init(o);
    o->method = a->method != NULL ? a->method : "logical";
    o->logical.conn = a->conn;
    o->logical.service = a->service;
    o->logical.slave = a->slave;
    if (a->threads > 0)
        o->logical.threads = a->threads;
    if (a->have_chunk_rows)
        o->logical.chunk_rows = a->chunk_rows;
    if (a->file_mb > 0)
        o->logical.file_bytes = (size_t)a->file_mb << 20;
    o->logical.include = a->include;
    o->logical.n_include = a->n_include;
    o->logical.exclude = a->exclude;
    o->logical.n_exclude = a->n_exclude;
    if (a->tmp_dir != NULL)
        o->physical.tmp_dir = a->tmp_dir;
    if (a->zstd_level > 0)
        o->zstd_level = a->zstd_level;
}

int tool_cmd_backup(const tool_args *a)
{
    bkp_backup_options o;
    bkp_store *s = NULL;
    thl_log *log = NULL;
    bkp_entry e;
    repl_error err;
    int rc = 1;
    repl_error_clear(&err);
    if (a->service == NULL || a->conn.user == NULL) {
        tool_error("backup needs --service and --user");
        return 2;
    }
    tool_backup_options(a, &o);
    if (a->thl_dir != NULL && (log = tool_thl_open(a)) == NULL)
        return 1;
    o.logical.thl = log;
    s = tool_store(a, 1);
    if (s != NULL && bkp_backup_run(s, &o, &e, &err) == REPL_OK) {
        tool_print_entry(&e, "complete");
        rc = 0;
    } else if (s != NULL) {
        tool_error("%s", err.msg);
    }
    bkp_store_close(s);
    thl_log_close(log);
    return rc;
}

static json_t *tool_entry_json(const bkp_entry *e)
{
    char sum[16];
    json_t *o = json_object();
    snprintf(sum, sizeof(sum), "%08" PRIx32, e->archive_crc32c);
    json_object_set_new(o, "id", json_string(e->id));
    json_object_set_new(o, "service", json_string(e->service));
    json_object_set_new(o, "method", json_string(e->method));
    json_object_set_new(o, "status", json_string(e->status));
    json_object_set_new(o, "created_us", json_integer(e->created_us));
    json_object_set_new(o, "finished_us", json_integer(e->finished_us));
    json_object_set_new(o, "size_bytes", json_integer((json_int_t)e->size_bytes));
    json_object_set_new(o, "duration_ms", json_integer((json_int_t)e->duration_ms));
    json_object_set_new(o, "server_version", json_string(e->server_version));
    json_object_set_new(o, "position", bkp_position_to_json(&e->position));
    json_object_set_new(o, "archive", json_string(e->archive));
    json_object_set_new(o, "crc32c", json_string(sum));
    return o;
}

static void tool_list_print(const bkp_entry *all, size_t n, int as_json)
{
    json_t *arr;
    char *text;
    if (!as_json) {
        for (size_t i = 0; i < n; i++)
            tool_print_entry(&all[i], all[i].status);
        return;
    }
    arr = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(arr, tool_entry_json(&all[i]));
    text = json_dumps(arr, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    if (text != NULL)
        printf("%s\n", text);
    free(text);
    json_decref(arr);
}

int tool_cmd_list(const tool_args *a)
{
    bkp_store *s = tool_store(a, 0);
    bkp_entry *all = NULL;
    size_t n = 0;
    repl_error err;
    int rc = 1;
    repl_error_clear(&err);
    if (s != NULL && bkp_store_list(s, &all, &n, &err) == REPL_OK) {
        tool_list_print(all, n, a->json);
        rc = 0;
    } else if (s != NULL) {
        tool_error("%s", err.msg);
    }
    repl_free(all);
    bkp_store_close(s);
    return rc;
}

int tool_cmd_verify(const tool_args *a)
{
    bkp_store *s = NULL;
    bkp_verify_report rep;
    repl_error err;
    int rc = 1;
    repl_error_clear(&err);
    if (a->pos_arg == NULL) {
        tool_error("verify needs the backup id");
        return 2;
    }
    s = tool_store(a, 0);
    if (s != NULL && bkp_verify(s, a->pos_arg, &rep, &err) == REPL_OK) {
        printf("%s verified files=%" PRIu64 " data_bytes=%" PRIu64 " archive_bytes=%" PRIu64
               " crc32c=%08" PRIx32 "\n",
               a->pos_arg, rep.files, rep.data_bytes, rep.archive_bytes, rep.archive_crc32c);
        rc = 0;
    } else if (s != NULL) {
        tool_error("%s", err.msg);
    }
    bkp_store_close(s);
    return rc;
}

int tool_cmd_restore(const tool_args *a)
{
    bkp_restore_options o;
    bkp_store *s = NULL;
    bkp_entry e;
    repl_error err;
    int64_t t0 = repl_clock_mono_ms();
    int rc = 1;
    repl_error_clear(&err);
    bkp_restore_options_init(&o);
    o.conn = a->conn;
    o.datadir = a->datadir;
    o.force = a->force;
    o.events_disabled = a->events_disabled;
    if (a->threads > 0)
        o.threads = a->threads;
    if (a->tmp_dir != NULL)
        o.tmp_dir = a->tmp_dir;
    s = tool_store(a, 0);
    if (s != NULL && bkp_restore_from_store(s, a->backup_id, a->service, &o, &e, &err) == REPL_OK) {
        e.duration_ms = (uint64_t)(repl_clock_mono_ms() - t0);
        tool_print_entry(&e, "restored");
        rc = 0;
    } else if (s != NULL) {
        tool_error("%s", err.msg);
    }
    bkp_store_close(s);
    return rc;
}

int tool_cmd_prune(const tool_args *a)
{
    bkp_retention r;
    bkp_store *s = NULL;
    repl_error err;
    size_t removed = 0;
    int rc = 1;
    repl_error_clear(&err);
    r.keep_last = a->keep;
    r.keep_days = a->keep_days;
    if (r.keep_last == 0 && r.keep_days == 0) {
        tool_error("prune needs --keep N and/or --keep-days D");
        return 2;
    }
    s = tool_store(a, 0);
    if (s != NULL && bkp_store_prune(s, &r, repl_clock_now_us(), &removed, &err) == REPL_OK) {
        printf("pruned %zu backup(s) from %s\n", removed, a->store);
        rc = 0;
    } else if (s != NULL) {
        tool_error("%s", err.msg);
    }
    bkp_store_close(s);
    return rc;
}
