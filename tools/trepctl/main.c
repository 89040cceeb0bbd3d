/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tools/trepctl/main.c - trepctl: sends one command to trepd over its control socket and prints the
 * answer (human-readable or --json). Errors go to stderr with a non-zero exit status. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "replicator/config.h"
#include "replicator/control.h"

typedef struct ctl_args {
    const char *config;
    const char *socket;
    const char *service;
    const char *cmd;
    int json;
    json_t *args; /* command arguments sent to trepd */
} ctl_args;

static void usage(FILE *out)
{
    fprintf(
        out,
        "usage: trepctl [--config FILE | --socket PATH] [--service S] COMMAND [options]\n"
        "commands:\n"
        "  status [--json]                 state, positions and latency of the service\n"
        "  services [--json]               every service of this trepd\n"
        "  online [--skip-seqno N] [--from-event FILE:OFFSET]\n"
        "  offline                         stop the service cleanly\n"
        "  offline-deferred --at-seqno N   go offline once seqno N is applied\n"
        "  flush [--limit SEC]             (master) wait until the current binlog position\n"
        "                                  is in the THL; prints its seqno\n"
        "  heartbeat [--name X]            (master) send a heartbeat through the pipeline\n"
        "  wait --applied N [--limit SEC]  wait until seqno N is applied\n"
        "  setrole --role master|slave [--uri thl://HOST:PORT]\n"
        "  reset                           delete the THL and the applied position\n"
        "  backup [--method logical|physical]  consistent backup with its position into the\n"
        "                                  backup store, then retention\n"
        "  backup --verify ID              re-read a backup and check every checksum\n"
        "  restore [--backup ID]           (offline slave) restore a backup, continue after it\n"
        "  provision                       (offline slave) restore the newest backup, go online\n");
}

/* Option of the command: --name VALUE (integer or string) into args. */
static int ctl_option(ctl_args *a, const char *opt, const char *val)
{
    static const struct {
        const char *flag, *key;
        int integer;
    } opts[] = {
        { "--skip-seqno", "skip_seqno", 1 },
        { "--from-event", "from_event", 0 },
        { "--at-seqno", "at_seqno", 1 },
        { "--limit", "limit", 1 },
        { "--name", "name", 0 },
        { "--applied", "applied", 1 },
        { "--role", "role", 0 },
        { "--uri", "uri", 0 },
        { "--method", "method", 0 },
        { "--backup", "backup", 0 },
        { "--donor", "donor", 0 },
        { "--verify", "verify", 0 },
    };
    for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++) {
        if (strcmp(opt, opts[i].flag) != 0)
            continue;
        if (!opts[i].integer) {
            json_object_set_new(a->args, opts[i].key, json_string(val));
            return 0;
        }
        char *end = NULL;
        long long v = strtoll(val, &end, 10);
        if (end == val || *end != '\0' || v < 0) {
            fprintf(stderr, "trepctl: %s needs a non-negative integer, got '%s'\n", opt, val);
            return -1;
        }
        json_object_set_new(a->args, opts[i].key, json_integer(v));
        return 0;
    }
    fprintf(stderr, "trepctl: unknown option '%s'\n", opt);
    return -1;
}

static int ctl_parse(ctl_args *a, int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        const char *next = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(arg, "--json") == 0) {
            a->json = 1;
        } else if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
            usage(stdout);
            exit(0);
        } else if (strncmp(arg, "--", 2) == 0) {
            if (next == NULL) {
                fprintf(stderr, "trepctl: %s needs a value\n", arg);
                return -1;
            }
            i++;
            if (strcmp(arg, "--config") == 0)
                a->config = next;
            else if (strcmp(arg, "--socket") == 0)
                a->socket = next;
            else if (strcmp(arg, "--service") == 0)
                a->service = next;
            else if (ctl_option(a, arg, next) != 0)
                return -1;
        } else if (a->cmd == NULL) {
            a->cmd = arg;
        } else {
            fprintf(stderr, "trepctl: unexpected argument '%s'\n", arg);
            return -1;
        }
    }
    if (a->cmd == NULL) {
        usage(stderr);
        return -1;
    }
    return 0;
}

/* The control socket: --socket, else control-socket of --config. */
static int ctl_socket(const ctl_args *a, char *out, size_t size)
{
    static repl_config cfg;
    repl_error err;
    if (a->socket != NULL) {
        snprintf(out, size, "%s", a->socket);
        return 0;
    }
    if (a->config == NULL) {
        fprintf(stderr, "trepctl: give --config FILE (trepd's configuration) or --socket PATH\n");
        return -1;
    }
    if (repl_config_load(&cfg, a->config, &err) != REPL_OK) {
        fprintf(stderr, "trepctl: %s\n", err.msg);
        return -1;
    }
    snprintf(out, size, "%s", cfg.control_socket);
    return 0;
}

static void print_value(const char *key, json_t *v)
{
    char *text;
    if (json_is_string(v)) {
        printf("%-28s: %s\n", key, json_string_value(v));
        return;
    }
    if (json_is_real(v)) {
        printf("%-28s: %.3f\n", key, json_real_value(v));
        return;
    }
    text = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
    printf("%-28s: %s\n", key, text != NULL ? text : "?");
    free(text);
}

static void print_status(json_t *st)
{
    const char *key;
    json_t *v;
    printf("NAME                          VALUE\n----                          -----\n");
    json_object_foreach(st, key, v)
    {
        print_value(key, v);
    }
}

/* The one summary line of backup, restore and provision (cron logs keep one line per run). */
static void print_backup(json_t *r)
{
    json_t *pos = json_object_get(r, "position");
    printf("%s complete method=%s size=%lld duration_ms=%lld role=%s seqno=%lld epoch=%lld "
           "binlog=%s:%lld pruned=%lld\n",
           json_string_value(json_object_get(r, "id")),
           json_string_value(json_object_get(r, "method")),
           (long long)json_integer_value(json_object_get(r, "size_bytes")),
           (long long)json_integer_value(json_object_get(r, "duration_ms")),
           json_string_value(json_object_get(pos, "role")),
           (long long)json_integer_value(json_object_get(pos, "seqno")),
           (long long)json_integer_value(json_object_get(pos, "epoch")),
           json_string_value(json_object_get(pos, "binlog_file")),
           (long long)json_integer_value(json_object_get(pos, "binlog_pos")),
           (long long)json_integer_value(json_object_get(r, "pruned")));
}

static void print_result(const ctl_args *a, json_t *result)
{
    size_t i;
    json_t *v;
    if (a->json) {
        json_dumpf(result, stdout, JSON_INDENT(2) | JSON_ENCODE_ANY);
        printf("\n");
    } else if (strcmp(a->cmd, "status") == 0) {
        print_status(result);
    } else if (strcmp(a->cmd, "services") == 0) {
        json_array_foreach(result, i, v)
        {
            if (i > 0)
                printf("\n");
            print_status(v);
        }
    } else if (json_is_object(result) && json_object_get(result, "position") != NULL) {
        print_backup(result);
    } else if (json_is_object(result) && json_object_get(result, "verified") != NULL) {
        printf("%s verified: %lld files, %lld bytes\n",
               json_string_value(json_object_get(result, "id")),
               (long long)json_integer_value(json_object_get(result, "files")),
               (long long)json_integer_value(json_object_get(result, "archive_bytes")));
    } else if (json_is_object(result) && json_object_get(result, "seqno") != NULL) {
        printf("%lld\n", (long long)json_integer_value(json_object_get(result, "seqno")));
    }
}

static int ctl_run(ctl_args *a)
{
    char path[512];
    json_t *req, *resp = NULL;
    repl_error err;
    int rc = 1;
    if (ctl_socket(a, path, sizeof(path)) != 0)
        return 1;
    req = json_object();
    json_object_set_new(req, "cmd", json_string(a->cmd));
    if (a->service != NULL)
        json_object_set_new(req, "service", json_string(a->service));
    json_object_set(req, "args", a->args);
    if (repl_control_call(&resp, path, req, 0, &err) != REPL_OK) {
        fprintf(stderr, "trepctl: %s\n", err.msg);
    } else if (!json_is_true(json_object_get(resp, "ok"))) {
        const char *msg = json_string_value(json_object_get(resp, "error"));
        fprintf(stderr, "trepctl %s: %s\n", a->cmd, msg != NULL ? msg : "failed");
    } else {
        print_result(a, json_object_get(resp, "result"));
        rc = 0;
    }
    json_decref(req);
    json_decref(resp);
    return rc;
}

int main(int argc, char **argv)
{
    ctl_args a;
    int rc;
    memset(&a, 0, sizeof(a));
    a.args = json_object();
    if (ctl_parse(&a, argc, argv) != 0) {
        json_decref(a.args);
        return 2;
    }
    rc = ctl_run(&a);
    json_decref(a.args);
    return rc;
}
