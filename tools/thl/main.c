/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tools/thl/main.c - the thl command: parse the command line, find the THL directory (--dir, or the
 * thl-dir of a service in the trepd configuration file), run one command (info, list, check,
 * purge). Everything else is done through thl/log.h and thl/print.h. */
#include <errno.h>
#include <ini.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "replicator/base/log.h"
#include "tools/thl/tool_thl.h"

#define TOOL_DIR_MAX 4096

static const char tool_usage[] =
    "usage: thl (--dir THLDIR | --config FILE [--service NAME]) COMMAND [options]\n"
    "\n"
    "commands:\n"
    "  info [--json]                      seqno range, record count, last epoch and event id, "
    "size\n"
    "  list [--low N] [--high N] [--seqno N] [--json]\n"
    "                                     print events (all by default) with their statements\n"
    "                                     and row changes; --json prints one JSON array\n"
    "  check                              verify every record (header, CRC, payload, dense "
    "seqnos,\n"
    "                                     fragment order); prints each problem, exit 1 if any\n"
    "  purge (--below N | --keep N)       delete records below seqno N, or all but the N newest\n"
    "                                     seqnos (never the last one); run it with the service\n"
    "                                     offline: it opens the log as its writer\n"
    "\n"
    "--config reads the trepd INI file: the thl-dir key of section [service NAME] (or [NAME]);\n"
    "--service may be left out when the file has one service.\n";

void tool_error(const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    /* library messages already start with "thl: " */
    fprintf(stderr, "%s%s\n", strncmp(msg, "thl: ", 5) == 0 ? "" : "thl: ", msg);
}

int tool_write(const void *data, size_t len)
{
    if (len > 0 && fwrite(data, 1, len, stdout) != len) {
        tool_error("write to stdout: %s", strerror(errno));
        return -1;
    }
    return 0;
}

/* ---- configuration file ---------------------------------------------------------------------- */

typedef struct tool_ini {
    const char *want; /* --service, or NULL */
    int matches;      /* sections with a thl-dir that fit want */
    char names[512];  /* services seen, for messages */
    char dir[TOOL_DIR_MAX];
} tool_ini;

static int tool_ini_handler(void *user, const char *section, const char *name, const char *value)
{
    tool_ini *ini = user;
    const char *svc = section;
    if (strcmp(name, "thl-dir") != 0)
        return 1;
    if (strncmp(section, "service ", 8) == 0)
        svc = section + 8;
    if (strlen(ini->names) + strlen(svc) + 3 < sizeof(ini->names)) {
        if (ini->names[0] != '\0')
            strcat(ini->names, ", ");
        strcat(ini->names, svc);
    }
    if (ini->want != NULL && strcmp(ini->want, svc) != 0)
        return 1;
    ini->matches++;
    snprintf(ini->dir, sizeof(ini->dir), "%s", value);
    return 1;
}

/* Fill dir from the thl-dir of the chosen service in the configuration file. */
static int tool_config_dir(const tool_args *args, char *dir, size_t dir_len)
{
    tool_ini ini;
    int rc;
    memset(&ini, 0, sizeof(ini));
    ini.want = args->service;
    rc = ini_parse(args->config, tool_ini_handler, &ini);
    if (rc < 0) {
        tool_error("cannot read configuration %s: %s", args->config,
                   rc == -1 ? strerror(errno) : "out of memory");
        return -1;
    }
    if (rc > 0) {
        tool_error("%s:%d: syntax error", args->config, rc);
        return -1;
    }
    if (ini.matches == 1) {
        snprintf(dir, dir_len, "%s", ini.dir);
        return 0;
    }
    if (args->service != NULL && ini.matches == 0)
        tool_error("%s: no service %s with a thl-dir (services: %s)", args->config, args->service,
                   ini.names[0] != '\0' ? ini.names : "none");
    else if (ini.matches == 0)
        tool_error("%s: no [service NAME] section with a thl-dir", args->config);
    else
        tool_error("%s: several services (%s): choose one with --service", args->config, ini.names);
    return -1;
}

thl_log *tool_log_open(const tool_args *args, int writer)
{
    thl_log_options opts;
    thl_log *log = NULL;
    repl_error err;
    thl_log_options_init(&opts);
    opts.dir = args->dir;
    opts.service = args->service;
    opts.read_only = !writer;
    if (thl_log_open(&log, &opts, &err) != REPL_OK) {
        tool_error("%s", err.msg);
        return NULL;
    }
    return log;
}

/* ---- command line
 * -------------------------------------------------------------------------------- */

static int tool_parse_u64(const char *opt, const char *s, uint64_t *out)
{
    char *end = NULL;
    unsigned long long v;
    errno = 0;
    if (s == NULL || s[0] < '0' || s[0] > '9') {
        tool_error("%s needs a number, got '%s'", opt, s != NULL ? s : "");
        return -1;
    }
    v = strtoull(s, &end, 10);
    if (errno != 0 || *end != '\0') {
        tool_error("%s needs a number, got '%s'", opt, s);
        return -1;
    }
    *out = v;
    return 0;
}

/* Options that take a number: where to store it and which flag says it was given. */
static int tool_number_opt(tool_args *a, const char *opt, const char *val)
{
    static const struct {
        const char *name;
        size_t val_off;
        size_t have_off;
    } nums[] = {
        { "--low", offsetof(tool_args, low), offsetof(tool_args, have_low) },
        { "--high", offsetof(tool_args, high), offsetof(tool_args, have_high) },
        { "--seqno", offsetof(tool_args, seqno), offsetof(tool_args, have_seqno) },
        { "--below", offsetof(tool_args, below), offsetof(tool_args, have_below) },
        { "--keep", offsetof(tool_args, keep), offsetof(tool_args, have_keep) },
    };
    for (size_t i = 0; i < sizeof(nums) / sizeof(nums[0]); i++) {
        if (strcmp(opt, nums[i].name) != 0)
            continue;
        *(int *)((char *)a + nums[i].have_off) = 1;
        return tool_parse_u64(opt, val, (uint64_t *)((char *)a + nums[i].val_off));
    }
    return 1; /* not a number option */
}

static int tool_string_opt(tool_args *a, const char *opt, const char *val)
{
    if (strcmp(opt, "--dir") == 0)
        a->dir = val;
    else if (strcmp(opt, "--config") == 0)
        a->config = val;
    else if (strcmp(opt, "--service") == 0)
        a->service = val;
    else
        return 1;
    if (val == NULL || val[0] == '\0') {
        tool_error("%s needs a value", opt);
        return -1;
    }
    return 0;
}

/* One "--opt value", "--opt=value" or flag at argv[*i]. */
static int tool_parse_opt(tool_args *a, int argc, char **argv, int *i)
{
    char opt[32];
    const char *arg = argv[*i];
    const char *eq = strchr(arg, '=');
    const char *val;
    int rc;
    if (strcmp(arg, "--json") == 0) {
        a->json = 1;
        return 0;
    }
    if (eq != NULL && (size_t)(eq - arg) < sizeof(opt)) {
        snprintf(opt, sizeof(opt), "%.*s", (int)(eq - arg), arg);
        val = eq + 1;
    } else {
        snprintf(opt, sizeof(opt), "%s", arg);
        val = *i + 1 < argc ? argv[++*i] : NULL;
    }
    rc = tool_string_opt(a, opt, val);
    if (rc == 1)
        rc = tool_number_opt(a, opt, val);
    if (rc == 1)
        tool_error("unknown option %s (see thl --help)", arg);
    return rc == 0 ? 0 : -1;
}

static int tool_parse_args(tool_args *a, int argc, char **argv)
{
    memset(a, 0, sizeof(*a));
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(tool_usage, stdout);
            exit(0);
        }
        if (strncmp(argv[i], "--", 2) == 0) {
            if (tool_parse_opt(a, argc, argv, &i) != 0)
                return -1;
        } else if (a->cmd == NULL) {
            a->cmd = argv[i];
        } else {
            tool_error("unexpected argument '%s' (see thl --help)", argv[i]);
            return -1;
        }
    }
    if (a->cmd == NULL) {
        fputs(tool_usage, stderr);
        return -1;
    }
    return 0;
}

/* Options must fit the command. */
static int tool_check_args(const tool_args *a)
{
    const int is_list = strcmp(a->cmd, "list") == 0;
    const int is_purge = strcmp(a->cmd, "purge") == 0;
    if ((a->dir == NULL) == (a->config == NULL)) {
        tool_error("give either --dir THLDIR or --config FILE");
        return -1;
    }
    if (!is_list && (a->have_low || a->have_high || a->have_seqno)) {
        tool_error("--low, --high and --seqno are options of list");
        return -1;
    }
    if (!is_purge && (a->have_below || a->have_keep)) {
        tool_error("--below and --keep are options of purge");
        return -1;
    }
    if (a->json && strcmp(a->cmd, "list") != 0 && strcmp(a->cmd, "info") != 0) {
        tool_error("--json is an option of list and info");
        return -1;
    }
    if (a->have_seqno && (a->have_low || a->have_high)) {
        tool_error("--seqno cannot be combined with --low or --high");
        return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    static char dir[TOOL_DIR_MAX];
    tool_args args;
    repl_log_set_level(REPL_LOG_LEVEL_ERROR);
    if (tool_parse_args(&args, argc, argv) != 0 || tool_check_args(&args) != 0)
        return 2;
    if (args.config != NULL) {
        if (tool_config_dir(&args, dir, sizeof(dir)) != 0)
            return 1;
        args.dir = dir;
    }
    if (strcmp(args.cmd, "info") == 0)
        return tool_cmd_info(&args);
    if (strcmp(args.cmd, "list") == 0)
        return tool_cmd_list(&args);
    if (strcmp(args.cmd, "check") == 0)
        return tool_cmd_check(&args);
    if (strcmp(args.cmd, "purge") == 0)
        return tool_cmd_purge(&args);
    tool_error("unknown command '%s' (info, list, check, purge)", args.cmd);
    return 2;
}
