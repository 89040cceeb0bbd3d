/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tools/trep-binlog/main.c - trep-binlog [--json] FILE...: decode binlog (or relay log) files with
 * trep's decoder and print every event with its decoded fields and every row value, as text shaped
 * like mariadb-binlog -vv or as one JSON document {"files":[{"file", "events":[...]}]} streamed
 * event by event. Stops at the first error: what was decoded before it is printed, the error (file,
 * offset, event type) goes to stderr, exit status 1. */
#include "tool_binlog.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "replicator/base/mem.h"

typedef struct tool_run {
    int json;
    const char *extract_to; /* --extract-to THLDIR */
    const char *service;
    int first_event; /* JSON: no comma before the next event */
    ext_decoder *dec;
    thl_event *tev;
    repl_buf out;
} tool_run;

static void usage(FILE *f)
{
    fprintf(f,
            "usage: trep-binlog [--json] FILE...\n"
            "       trep-binlog --extract-to THLDIR [--service S] FILE|DIR...\n"
            "Decode MySQL/MariaDB binlog files with trep's decoder: every event, its fields and\n"
            "every row value (text like mariadb-binlog -vv, or one JSON document). With\n"
            "--extract-to, extract their transactions into a THL instead (a directory stands for\n"
            "its numbered binlog files in order), resuming after the THL's last transaction.\n");
}

static void flush_out(tool_run *r)
{
    fwrite(r->out.data, 1, r->out.len, stdout);
    repl_buf_clear(&r->out);
}

static void emit_json(tool_run *r, json_t *o)
{
    char *s = json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII);
    fputs(r->first_event ? "\n" : ",\n", stdout);
    fputs(s, stdout);
    r->first_event = 0;
    free(s);
    json_decref(o);
}

static int emit(tool_run *r, const ext_event *ev, repl_error *err)
{
    thl_rows *rows = NULL;
    if (!ev->skipped && ext_event_type_is_rows(ev->type)) {
        int rc;
        thl_event_reset(r->tev);
        rc = ext_decoder_rows(r->dec, ev, r->tev, &rows, err);
        if (rc != REPL_OK)
            return rc;
    }
    if (r->json) {
        emit_json(r, tool_json_event(ev, rows));
    } else {
        tool_text_event(&r->out, ev, rows);
        flush_out(r);
    }
    return REPL_OK;
}

static int emit_payload(tool_run *r, repl_error *err)
{
    const ext_event *in = NULL;
    int rc;
    while ((rc = ext_decoder_next_inner(r->dec, &in, err)) == 1) {
        rc = emit(r, in, err);
        if (rc != REPL_OK)
            return rc;
    }
    return rc;
}

static int decode_file(tool_run *r, const char *path, repl_error *err)
{
    ext_binlog_file *f = NULL;
    const ext_event *ev = NULL;
    ext_raw_event raw;
    int rc = ext_binlog_file_open(&f, path, err);
    while (rc == REPL_OK && (rc = ext_binlog_file_next(f, &raw, err)) == 1) {
        rc = ext_decoder_decode(r->dec, &raw, &ev, err);
        if (rc == REPL_OK)
            rc = emit(r, ev, err);
        if (rc == REPL_OK && ev->type == EXT_EV_TRANSACTION_PAYLOAD)
            rc = emit_payload(r, err);
    }
    ext_binlog_file_close(f);
    return rc;
}

static int run_file(tool_run *r, const char *path, int index, repl_error *err)
{
    json_t *name = json_string(path);
    char *name_text = json_dumps(name, JSON_ENCODE_ANY | JSON_ENSURE_ASCII);
    int rc;
    if (r->json)
        printf("%s{\"file\":%s,\"events\":[", index ? ",\n" : "", name_text);
    else
        printf("# file %s\n", path);
    r->first_event = 1;
    rc = decode_file(r, path, err);
    if (r->json) {
        json_t *e = json_string(rc == REPL_OK ? "" : err->msg);
        char *e_text = json_dumps(e, JSON_ENCODE_ANY | JSON_ENSURE_ASCII);
        printf("\n]%s%s}", rc == REPL_OK ? "" : ",\"error\":", rc == REPL_OK ? "" : e_text);
        free(e_text);
        json_decref(e);
    }
    free(name_text);
    json_decref(name);
    return rc;
}

/* Options; returns -1 to go on (*first = index of the first file) or an exit status. */
static int parse_args(int argc, char **argv, tool_run *r, int *first)
{
    int i = 1;
    for (; i < argc && argv[i][0] == '-'; i++) {
        if (strcmp(argv[i], "--json") == 0) {
            r->json = 1;
        } else if (strcmp(argv[i], "--extract-to") == 0 && i + 1 < argc) {
            r->extract_to = argv[++i];
        } else if (strcmp(argv[i], "--service") == 0 && i + 1 < argc) {
            r->service = argv[++i];
        } else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            return 0;
        } else {
            fprintf(stderr, "trep-binlog: unknown option %s\n", argv[i]);
            usage(stderr);
            return 2;
        }
    }
    if (i >= argc) {
        usage(stderr);
        return 2;
    }
    *first = i;
    return -1;
}

int main(int argc, char **argv)
{
    tool_run r = { 0 };
    repl_error err;
    int first = 1, rc = REPL_OK, nfiles = 0;
    int status = parse_args(argc, argv, &r, &first);
    if (status < 0 && r.extract_to != NULL)
        return tool_extract(r.extract_to, r.service != NULL ? r.service : "alpha", argv + first,
                            argc - first);
    if (status >= 0)
        return status;
    r.dec = ext_decoder_new();
    r.tev = thl_event_new();
    repl_buf_init(&r.out);
    if (r.json)
        printf("{\"files\":[\n");
    for (int i = first; i < argc && rc == REPL_OK; i++)
        rc = run_file(&r, argv[i], nfiles++, &err);
    if (r.json)
        printf("\n]}\n");
    fflush(stdout);
    if (rc != REPL_OK)
        fprintf(stderr, "trep-binlog: %s\n", err.msg);
    repl_buf_dispose(&r.out);
    thl_event_free(r.tev);
    ext_decoder_free(r.dec);
    return rc == REPL_OK ? 0 : 1;
}
