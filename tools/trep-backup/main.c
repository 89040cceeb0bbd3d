/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tools/trep-backup/main.c - trep-backup: take, list, verify, restore and prune backups from the
 * command line (for tests, cron and, later, trepctl). Parses flags into the options of
 * backup/backup.h and calls it; prints one summary line on success, the error on stderr and exits
 * non-zero on failure. No backup logic lives here. */
#include <getopt.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backup/backup.h"
#include "replicator/base/clock.h"
#include "replicator/base/log.h"
#include "replicator/base/mem.h"
#include "tools/trep-backup/tool_backup.h"

static const char tool_usage[] =
    "usage: trep-backup COMMAND --store DIR [options]\n"
    "\n"
    "commands:\n"
    "  backup --service S [--method logical|physical] [--threads N] [--slave]\n"
    "         [--thl-dir D] [--include PATTERN]... [--exclude PATTERN]... [--chunk-rows N]\n"
    "         [--file-mb N] [--zstd-level N] [--tmp-dir D] CONNECTION\n"
    "         take a backup; prints: id, size, duration, position\n"
    "  list [--json]                       the complete backups, oldest first\n"
    "  verify ID                           re-read backup ID and check every checksum\n"
    "  restore [--backup ID] [--service S] (--target T | CONNECTION | --datadir D)\n"
    "         [--threads N] [--force] [--events-disabled] [--tmp-dir D]\n"
    "         restore backup ID (default: the newest): logical into a server (--force\n"
    "         when it has user tables), physical into the EMPTY datadir of a stopped server\n"
    "  prune [--keep N] [--keep-days D]    delete the backups neither rule keeps (never the\n"
    "                                      newest of a service)\n"
    "\n"
    "CONNECTION: [--host H] [--port P] [--socket PATH] --user U [--password W]\n"
    "--target T: a socket path (starting with /) or HOST[:PORT]\n"
    "--log-level error|warn|info|debug (default warn)\n";

void tool_error(const char *fmt, ...)
{
    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    fprintf(stderr, "trep-backup: %s\n", msg);
}

enum {
    OPT_STORE = 256,
    OPT_SERVICE,
    OPT_HOST,
    OPT_PORT,
    OPT_SOCKET,
    OPT_USER,
    OPT_PASSWORD,
    OPT_METHOD,
    OPT_THREADS,
    OPT_SLAVE,
    OPT_THL_DIR,
    OPT_INCLUDE,
    OPT_EXCLUDE,
    OPT_CHUNK_ROWS,
    OPT_FILE_MB,
    OPT_ZSTD,
    OPT_TMP,
    OPT_JSON,
    OPT_BACKUP,
    OPT_TARGET,
    OPT_DATADIR,
    OPT_FORCE,
    OPT_EVENTS,
    OPT_KEEP,
    OPT_KEEP_DAYS,
    OPT_LOG_LEVEL,
    OPT_HELP
};

static const struct option tool_opts[] = {
    { "store", required_argument, NULL, OPT_STORE },
    { "service", required_argument, NULL, OPT_SERVICE },
    { "host", required_argument, NULL, OPT_HOST },
    { "port", required_argument, NULL, OPT_PORT },
    { "socket", required_argument, NULL, OPT_SOCKET },
    { "user", required_argument, NULL, OPT_USER },
    { "password", required_argument, NULL, OPT_PASSWORD },
    { "method", required_argument, NULL, OPT_METHOD },
    { "threads", required_argument, NULL, OPT_THREADS },
    { "slave", no_argument, NULL, OPT_SLAVE },
    { "thl-dir", required_argument, NULL, OPT_THL_DIR },
    { "include", required_argument, NULL, OPT_INCLUDE },
    { "exclude", required_argument, NULL, OPT_EXCLUDE },
    { "chunk-rows", required_argument, NULL, OPT_CHUNK_ROWS },
    { "file-mb", required_argument, NULL, OPT_FILE_MB },
    { "zstd-level", required_argument, NULL, OPT_ZSTD },
    { "tmp-dir", required_argument, NULL, OPT_TMP },
    { "json", no_argument, NULL, OPT_JSON },
    { "backup", required_argument, NULL, OPT_BACKUP },
    { "target", required_argument, NULL, OPT_TARGET },
    { "datadir", required_argument, NULL, OPT_DATADIR },
    { "force", no_argument, NULL, OPT_FORCE },
    { "events-disabled", no_argument, NULL, OPT_EVENTS },
    { "keep", required_argument, NULL, OPT_KEEP },
    { "keep-days", required_argument, NULL, OPT_KEEP_DAYS },
    { "log-level", required_argument, NULL, OPT_LOG_LEVEL },
    { "help", no_argument, NULL, OPT_HELP },
    { NULL, 0, NULL, 0 },
};

static int tool_number(const char *name, const char *v, uint64_t max, uint64_t *out)
{
    char *end = NULL;
    unsigned long long n = strtoull(v, &end, 10);
    if (v[0] == '\0' || v[0] == '-' || *end != '\0' || n > max) {
        tool_error("--%s: bad number \"%s\"", name, v);
        return -1;
    }
    *out = n;
    return 0;
}

static void tool_push(const char ***list, size_t *n, const char *v)
{
    *list = repl_realloc((void *)*list, (*n + 1) * sizeof(**list));
    (*list)[(*n)++] = v;
}

static void tool_target(tool_args *a, char *v)
{
    char *colon = strrchr(v, ':');
    if (v[0] == '/') {
        a->conn.socket = v;
        return;
    }
    if (colon != NULL) {
        *colon = '\0';
        a->conn.port = (unsigned)strtoul(colon + 1, NULL, 10);
    }
    a->conn.host = v;
}

static int tool_opt_number(tool_args *a, int c, const char *v)
{
    uint64_t n = 0;
    int bad = 0;
    switch (c) {
    case OPT_PORT:
        bad = tool_number("port", v, 65535, &n);
        a->conn.port = (unsigned)n;
        break;
    case OPT_THREADS:
        bad = tool_number("threads", v, 64, &n);
        a->threads = (unsigned)n;
        break;
    case OPT_CHUNK_ROWS:
        bad = tool_number("chunk-rows", v, UINT64_MAX, &a->chunk_rows);
        a->have_chunk_rows = 1;
        break;
    case OPT_FILE_MB:
        bad = tool_number("file-mb", v, 4096, &a->file_mb);
        break;
    case OPT_ZSTD:
        bad = tool_number("zstd-level", v, 19, &n);
        a->zstd_level = (int)n;
        break;
    case OPT_KEEP:
        bad = tool_number("keep", v, UINT32_MAX, &n);
        a->keep = (uint32_t)n;
        break;
    case OPT_KEEP_DAYS:
        bad = tool_number("keep-days", v, 100000, &n);
        a->keep_days = (uint32_t)n;
        break;
    default:
        bad = -1;
    }
    return bad;
}

/* Options that store their string argument, by offset in tool_args. */
static const struct {
    int opt;
    size_t offset;
} tool_str_opts[] = {
    { OPT_STORE, offsetof(tool_args, store) },
    { OPT_SERVICE, offsetof(tool_args, service) },
    { OPT_HOST, offsetof(tool_args, conn.host) },
    { OPT_SOCKET, offsetof(tool_args, conn.socket) },
    { OPT_USER, offsetof(tool_args, conn.user) },
    { OPT_PASSWORD, offsetof(tool_args, conn.password) },
    { OPT_METHOD, offsetof(tool_args, method) },
    { OPT_THL_DIR, offsetof(tool_args, thl_dir) },
    { OPT_TMP, offsetof(tool_args, tmp_dir) },
    { OPT_BACKUP, offsetof(tool_args, backup_id) },
    { OPT_DATADIR, offsetof(tool_args, datadir) },
};

static int tool_opt_flag(tool_args *a, int c, char *v)
{
    switch (c) {
    case OPT_SLAVE:
        a->slave = 1;
        break;
    case OPT_JSON:
        a->json = 1;
        break;
    case OPT_FORCE:
        a->force = 1;
        break;
    case OPT_EVENTS:
        a->events_disabled = 1;
        break;
    case OPT_INCLUDE:
        tool_push(&a->include, &a->n_include, v);
        break;
    case OPT_EXCLUDE:
        tool_push(&a->exclude, &a->n_exclude, v);
        break;
    case OPT_TARGET:
        tool_target(a, v);
        break;
    default:
        return tool_opt_number(a, c, v);
    }
    return 0;
}

static int tool_opt(tool_args *a, int c, char *v)
{
    for (size_t i = 0; i < sizeof(tool_str_opts) / sizeof(tool_str_opts[0]); i++) {
        if (tool_str_opts[i].opt == c) {
            *(const char **)((char *)a + tool_str_opts[i].offset) = v;
            return 0;
        }
    }
    if (c != OPT_LOG_LEVEL)
        return tool_opt_flag(a, c, v);
    if (repl_log_level_parse(v) < 0) {
        tool_error("--log-level: unknown level \"%s\"", v);
        return -1;
    }
    repl_log_set_level((repl_log_level)repl_log_level_parse(v));
    return 0;
}

static int tool_parse(tool_args *a, int argc, char **argv)
{
    int c;
    optind = 2;
    while ((c = getopt_long(argc, argv, "", tool_opts, NULL)) != -1) {
        if (c == '?' || c == OPT_HELP)
            return -1;
        if (tool_opt(a, c, optarg) != 0)
            return -1;
    }
    a->cmd = argv[1];
    a->pos_arg = optind < argc ? argv[optind] : NULL;
    if (optind + (a->pos_arg != NULL ? 1 : 0) < argc) {
        tool_error("unexpected argument \"%s\"", argv[optind + 1]);
        return -1;
    }
    if (a->store == NULL) {
        tool_error("--store DIR is required");
        return -1;
    }
    return 0;
}

static int tool_dispatch(const tool_args *a)
{
    if (strcmp(a->cmd, "backup") == 0)
        return tool_cmd_backup(a);
    if (strcmp(a->cmd, "list") == 0)
        return tool_cmd_list(a);
    if (strcmp(a->cmd, "verify") == 0)
        return tool_cmd_verify(a);
    if (strcmp(a->cmd, "restore") == 0)
        return tool_cmd_restore(a);
    if (strcmp(a->cmd, "prune") == 0)
        return tool_cmd_prune(a);
    tool_error("unknown command \"%s\"", a->cmd);
    fputs(tool_usage, stderr);
    return 2;
}

int main(int argc, char **argv)
{
    tool_args a;
    int rc;
    memset(&a, 0, sizeof(a));
    repl_log_set_level(REPL_LOG_LEVEL_WARN);
    if (argc < 2 || argv[1][0] == '-') {
        if (argc >= 2 && strcmp(argv[1], "--help") == 0) {
            fputs(tool_usage, stdout);
            return 0;
        }
        fputs(tool_usage, stderr);
        return 2;
    }
    if (tool_parse(&a, argc, argv) != 0) {
        fputs(tool_usage, stderr);
        rc = 2;
    } else {
        rc = tool_dispatch(&a);
    }
    repl_free((void *)a.include);
    repl_free((void *)a.exclude);
    return rc;
}
