/* SPDX-License-Identifier: GPL-2.0-or-later */
/* replicator/config.c - the option table of trepd, INI parsing (libinih) and validation. Every
 * option has a type, default, bounds and help text here and nowhere else. */
#include "replicator/config.h"

#include <errno.h>
#include <ini.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "replicator/base/log.h"

typedef enum opt_type {
    OPT_STR,
    OPT_INT,
    OPT_BOOL,
    OPT_BYTES,
    OPT_ENUM
} opt_type;

typedef struct opt_def {
    const char *name;
    opt_type type;
    const char *def;     /* default as text ("" = empty) */
    long long min, max;  /* INT and BYTES bounds */
    const char *choices; /* ENUM: "a|b|c", value = index */
    size_t offset;
    size_t size; /* STR: buffer size; INT/ENUM/BOOL: sizeof(int); BYTES: sizeof(uint64_t) */
    const char *help;
} opt_def;

#define SVC(f) offsetof(repl_service_config, f), sizeof(((repl_service_config *)0)->f)
#define GLB(f) offsetof(repl_config, f), sizeof(((repl_config *)0)->f)
#define GIB    (1024LL * 1024 * 1024)

static const opt_def global_opts[] = {
    { "log-file", OPT_STR, "", 0, 0, NULL, GLB(log_file), "Log file (appended); empty: stderr." },
    { "log-level", OPT_ENUM, "info", 0, 0, "error|warn|info|debug", GLB(log_level),
      "Least severe level written." },
    { "control-socket", OPT_STR, "/run/trep/trepd.sock", 0, 0, NULL, GLB(control_socket),
      "Unix socket trepctl talks to (created mode 0600)." },
    { "pid-file", OPT_STR, "", 0, 0, NULL, GLB(pid_file), "Pid file written with --daemon." },
};

static const opt_def service_opts[] = {
    { "role", OPT_ENUM, "master", 0, 0, "master|slave", SVC(role),
      "master: extract the local binlog and serve the THL; slave: fetch the THL and apply it." },
    { "thl-dir", OPT_STR, "", 0, 0, NULL, SVC(thl_dir), "THL directory (LMDB). Required." },
    { "thl-sync", OPT_ENUM, "commit", 0, 0, "commit|batch|none", SVC(thl_sync),
      "commit: every transaction fsynced; batch: groups fsynced together; none: no fsync." },
    { "thl-map-size", OPT_BYTES, "64G", 1024 * 1024, 1024 * GIB, NULL, SVC(thl_map_bytes),
      "Maximum THL size (LMDB map; sparse). Suffixes K, M, G, T." },
    { "thl-compress-min", OPT_BYTES, "512", 0, GIB, NULL, SVC(thl_compress_min_bytes),
      "Records with a payload at least this large are zstd-compressed; 0 = never." },
    { "thl-retention", OPT_INT, "0", 0, 100LL * 365 * 86400, NULL, SVC(thl_retention_sec),
      "Purge THL records older than this many seconds (never what a slave still needs); 0 = "
      "keep." },
    { "thl-listen", OPT_STR, "0.0.0.0:2112", 0, 0, NULL, SVC(thl_listen),
      "Master: address:port of the THL server." },
    { "master-uri", OPT_STR, "", 0, 0, NULL, SVC(master_uri),
      "Slave: thl://host:port of the master's THL server." },
    { "secret", OPT_STR, "", 0, 0, NULL, SVC(secret), "Shared secret of the THL protocol." },
    { "mysql-host", OPT_STR, "127.0.0.1", 0, 0, NULL, SVC(mysql_host), "Local database host." },
    { "mysql-port", OPT_INT, "3306", 1, 65535, NULL, SVC(mysql_port), "Local database port." },
    { "mysql-socket", OPT_STR, "", 0, 0, NULL, SVC(mysql_socket),
      "Local database Unix socket (preferred over host/port when set)." },
    { "mysql-user", OPT_STR, "trep", 0, 0, NULL, SVC(mysql_user), "Database user." },
    { "mysql-password", OPT_STR, "", 0, 0, NULL, SVC(mysql_password), "Database password." },
    { "replica-server-id", OPT_INT, "4242", 1, 2147483647LL, NULL, SVC(replica_server_id),
      "Server id trep presents when it reads the master's binlog; unique in the topology." },
    { "extract-start", OPT_STR, "now", 0, 0, NULL, SVC(extract_start),
      "Where extraction starts on an empty THL: now, FILE:OFFSET or gtid:D-S-N[,...]." },
    { "fragment-size", OPT_BYTES, "1M", 4096, GIB, NULL, SVC(fragment_bytes),
      "Transactions larger than this are stored as several fragments (bounded memory)." },
    { "heartbeat-interval-ms", OPT_INT, "1000", 0, 3600000, NULL, SVC(heartbeat_ms),
      "Master heartbeat period while the binlog is idle; 0 = off." },
    { "apply-block-events", OPT_INT, "200", 1, 1000000, NULL, SVC(apply_block_events),
      "Block commit: at most this many source transactions per target transaction." },
    { "apply-block-ms", OPT_INT, "100", 0, 600000, NULL, SVC(apply_block_ms),
      "Block commit: commit a block at least this often (milliseconds)." },
    { "channels", OPT_INT, "1", 1, 1, NULL, SVC(channels),
      "Apply channels. Only 1 for now: parallel channels are not implemented yet." },
    { "auto-online", OPT_BOOL, "true", 0, 0, NULL, SVC(auto_online),
      "Go ONLINE when trepd starts." },
    { "source-id", OPT_STR, "", 0, 0, NULL, SVC(source_id),
      "Master name recorded in THL events; empty: mysql-host:mysql-port." },
    { "backup-store", OPT_STR, "", 0, 0, NULL, SVC(backup_store),
      "Directory of the backup store (catalog and archives); empty: backups disabled." },
    { "backup-method", OPT_ENUM, "logical", 0, 0, "logical|physical", SVC(backup_method),
      "Default method of trepctl backup." },
    { "backup-threads", OPT_INT, "4", 1, 64, NULL, SVC(backup_threads),
      "Parallel dump and restore threads." },
    { "backup-keep", OPT_INT, "7", 0, 100000, NULL, SVC(backup_keep),
      "Retention: keep this many newest backups (0: no count limit)." },
    { "backup-keep-days", OPT_INT, "0", 0, 36500, NULL, SVC(backup_keep_days),
      "Retention: also keep backups younger than this many days (0: no age limit)." },
    { "auto-provision", OPT_BOOL, "false", 0, 0, NULL, SVC(auto_provision),
      "Slave: when its database has no user tables, restore the latest backup before going "
      "online." },
};

#define NOPTS(a) (sizeof(a) / sizeof((a)[0]))

static int parse_bytes(const char *s, long long *out)
{
    char *end = NULL;
    long long v;
    errno = 0;
    v = strtoll(s, &end, 10);
    if (errno != 0 || end == s || v < 0)
        return -1;
    switch (*end) {
    case 'k':
    case 'K':
        v *= 1024LL;
        end++;
        break;
    case 'm':
    case 'M':
        v *= 1024LL * 1024;
        end++;
        break;
    case 'g':
    case 'G':
        v *= GIB;
        end++;
        break;
    case 't':
    case 'T':
        v *= GIB * 1024;
        end++;
        break;
    default:
        break;
    }
    if (*end == 'b' || *end == 'B')
        end++;
    if (*end != '\0')
        return -1;
    *out = v;
    return 0;
}

static int parse_enum(const char *choices, const char *s)
{
    int idx = 0;
    const char *p = choices;
    size_t n = strlen(s);
    while (*p != '\0') {
        const char *bar = strchr(p, '|');
        size_t len = bar != NULL ? (size_t)(bar - p) : strlen(p);
        if (len == n && strncasecmp(p, s, n) == 0)
            return idx;
        idx++;
        p += len + (bar != NULL ? 1 : 0);
    }
    return -1;
}

static int parse_bool(const char *s)
{
    if (strcasecmp(s, "true") == 0 || strcasecmp(s, "yes") == 0 || strcasecmp(s, "on") == 0 ||
        strcmp(s, "1") == 0)
        return 1;
    if (strcasecmp(s, "false") == 0 || strcasecmp(s, "no") == 0 || strcasecmp(s, "off") == 0 ||
        strcmp(s, "0") == 0)
        return 0;
    return -1;
}

/* Store value into base per def; returns NULL or a static description of what is wrong. */
static const char *opt_set(const opt_def *def, void *base, const char *value)
{
    char *field = (char *)base + def->offset;
    long long v = 0;
    char *end = NULL;
    switch (def->type) {
    case OPT_STR:
        if (strlen(value) >= def->size)
            return "value too long";
        memcpy(field, value, strlen(value) + 1);
        return NULL;
    case OPT_INT:
        errno = 0;
        v = strtoll(value, &end, 10);
        if (errno != 0 || end == value || *end != '\0')
            return "not an integer";
        break;
    case OPT_BYTES:
        if (parse_bytes(value, &v) != 0)
            return "not a size (e.g. 512, 64K, 1M, 64G)";
        break;
    case OPT_BOOL:
        v = parse_bool(value);
        if (v < 0)
            return "not a boolean (true|false)";
        *(int *)field = (int)v;
        return NULL;
    case OPT_ENUM:
        v = parse_enum(def->choices, value);
        if (v < 0)
            return "not one of the allowed values";
        *(int *)field = (int)v;
        return NULL;
    }
    if (v < def->min || v > def->max)
        return "out of range";
    if (def->size == sizeof(uint64_t))
        *(uint64_t *)field = (uint64_t)v;
    else
        *(int *)field = (int)v;
    return NULL;
}

static void opts_defaults(const opt_def *defs, size_t n, void *base)
{
    for (size_t i = 0; i < n; i++) {
        const char *bad = opt_set(&defs[i], base, defs[i].def);
        (void)bad; /* defaults are valid by construction; the unit test checks it */
    }
}

typedef struct parse_state {
    repl_config *cfg;
    repl_error *err;
    int failed;
} parse_state;

static repl_service_config *state_service(parse_state *st, const char *section)
{
    const char *name = section + strlen("service ");
    for (int i = 0; i < st->cfg->nservices; i++) {
        if (strcmp(st->cfg->services[i].name, name) == 0)
            return &st->cfg->services[i];
    }
    if (st->cfg->nservices >= REPL_CONFIG_MAX_SERVICES || strlen(name) == 0 ||
        strlen(name) >= sizeof(st->cfg->services[0].name))
        return NULL;
    repl_service_config *svc = &st->cfg->services[st->cfg->nservices++];
    opts_defaults(service_opts, NOPTS(service_opts), svc);
    snprintf(svc->name, sizeof(svc->name), "%s", name);
    return svc;
}

static int handle_option(parse_state *st, const opt_def *defs, size_t n, void *base,
                         const char *section, const char *name, const char *value)
{
    for (size_t i = 0; i < n; i++) {
        if (strcmp(defs[i].name, name) != 0)
            continue;
        const char *bad = opt_set(&defs[i], base, value);
        if (bad == NULL)
            return 1;
        repl_error_set(st->err, REPL_ERR_INVALID, "[%s] %s: '%s' is %s%s%s", section, name, value,
                       bad, defs[i].choices ? ": use " : "",
                       defs[i].choices ? defs[i].choices : "");
        return 0;
    }
    repl_error_set(st->err, REPL_ERR_INVALID, "[%s] unknown option '%s'", section, name);
    return 0;
}

static int config_ini_handler(void *user, const char *section, const char *name, const char *value)
{
    parse_state *st = user;
    if (st->failed)
        return 0;
    if (strcmp(section, "trepd") == 0)
        st->failed =
            !handle_option(st, global_opts, NOPTS(global_opts), st->cfg, section, name, value);
    else if (strncmp(section, "service ", 8) == 0) {
        repl_service_config *svc = state_service(st, section);
        if (svc == NULL) {
            repl_error_set(st->err, REPL_ERR_INVALID, "[%s]: bad service name or more than %d",
                           section, REPL_CONFIG_MAX_SERVICES);
            st->failed = 1;
        } else {
            st->failed =
                !handle_option(st, service_opts, NOPTS(service_opts), svc, section, name, value);
        }
    } else {
        repl_error_set(st->err, REPL_ERR_INVALID,
                       "unknown section [%s]: use [trepd] or [service NAME]", section);
        st->failed = 1;
    }
    return !st->failed;
}

static int service_validate(const repl_service_config *svc, repl_error *err)
{
    if (svc->thl_dir[0] == '\0')
        return repl_error_set(err, REPL_ERR_INVALID, "[service %s] thl-dir is required", svc->name);
    if (svc->role == REPL_ROLE_SLAVE && strncmp(svc->master_uri, "thl://", 6) != 0)
        return repl_error_set(
            err, REPL_ERR_INVALID,
            "[service %s] role slave needs master-uri = thl://HOST:PORT (got '%s')", svc->name,
            svc->master_uri);
    return REPL_OK;
}

int repl_config_load(repl_config *cfg, const char *path, repl_error *err)
{
    parse_state st = { cfg, err, 0 };
    int line;
    memset(cfg, 0, sizeof(*cfg));
    snprintf(cfg->path, sizeof(cfg->path), "%s", path);
    opts_defaults(global_opts, NOPTS(global_opts), cfg);
    line = ini_parse(path, config_ini_handler, &st);
    if (line == -1)
        return repl_error_sys(err, REPL_ERR_IO, errno, "config: open %s", path);
    if (line == -2)
        return repl_error_set(err, REPL_ERR_IO, "config: %s: out of memory", path);
    if (line > 0 && !st.failed)
        return repl_error_set(err, REPL_ERR_INVALID, "config: %s:%d: syntax error", path, line);
    if (st.failed)
        return repl_error_wrap(err, "config: %s:%d", path, line);
    if (cfg->nservices == 0)
        return repl_error_set(err, REPL_ERR_INVALID, "config: %s: no [service NAME] section", path);
    for (int i = 0; i < cfg->nservices; i++) {
        if (service_validate(&cfg->services[i], err) != REPL_OK)
            return repl_error_wrap(err, "config: %s", path);
    }
    return REPL_OK;
}

const repl_service_config *repl_config_service(const repl_config *cfg, const char *name)
{
    if (name == NULL)
        return cfg->nservices == 1 ? &cfg->services[0] : NULL;
    for (int i = 0; i < cfg->nservices; i++) {
        if (strcmp(cfg->services[i].name, name) == 0)
            return &cfg->services[i];
    }
    return NULL;
}

static void print_table(FILE *out, const opt_def *defs, size_t n)
{
    static const char *const type_names[] = { "string", "integer", "boolean", "size", "enum" };
    fprintf(out,
            "| option | type | default | allowed | meaning |\n| --- | --- | --- | --- | --- |\n");
    for (size_t i = 0; i < n; i++) {
        char allowed[128] = "";
        if (defs[i].type == OPT_ENUM)
            snprintf(allowed, sizeof(allowed), "%s", defs[i].choices);
        else if (defs[i].type == OPT_INT || defs[i].type == OPT_BYTES)
            snprintf(allowed, sizeof(allowed), "%lld .. %lld", defs[i].min, defs[i].max);
        fprintf(out, "| `%s` | %s | `%s` | %s | %s |\n", defs[i].name, type_names[defs[i].type],
                defs[i].def, allowed, defs[i].help);
    }
}

void repl_config_print_reference(FILE *out)
{
    fprintf(out, "## [trepd]\n\n");
    print_table(out, global_opts, NOPTS(global_opts));
    fprintf(out, "\n## [service NAME]\n\n");
    print_table(out, service_opts, NOPTS(service_opts));
}
