/* SPDX-License-Identifier: GPL-2.0-or-later */
/* replicator/config.h - trepd's configuration: an INI file ([trepd] and one [service NAME] section
 * per replication service) parsed with libinih, validated once against a table of options (name,
 * type, default, bounds, help, offset) into typed structs that the rest of the daemon reads as
 * const. The same table prints the reference in docs/configuration.md (trepd --help-config). */
#ifndef REPL_CONFIG_H
#define REPL_CONFIG_H

#include <stdint.h>
#include <stdio.h>

#include "replicator/base/error.h"

#define REPL_CONFIG_MAX_SERVICES 8

typedef enum repl_role {
    REPL_ROLE_MASTER = 0,
    REPL_ROLE_SLAVE = 1
} repl_role;

typedef struct repl_service_config {
    char name[64];
    int role; /* repl_role */
    char thl_dir[512];
    int thl_sync; /* thl_sync_mode */
    uint64_t thl_map_bytes;
    uint64_t thl_compress_min_bytes;
    uint64_t thl_retention_sec; /* 0 = keep forever */
    char thl_listen[128];       /* master: host:port the thl-server listens on */
    char master_uri[256];       /* slave: thl://host:port */
    char secret[128];           /* shared secret of the THL protocol ("" = none) */
    char mysql_host[256];
    int mysql_port;
    char mysql_socket[512];
    char mysql_user[128];
    char mysql_password[256];
    int replica_server_id;    /* server id trep uses when dumping the master's binlog */
    char extract_start[1024]; /* "now", "FILE:OFFSET" or "gtid:D-S-N" for an empty THL */
    uint64_t fragment_bytes;
    int heartbeat_ms;
    int apply_block_events;
    int apply_block_ms;
    int channels;
    int auto_online;
    char source_id[256];    /* master name in THL events; "" = mysql host:port */
    char backup_store[512]; /* directory of the backup store ("" = backups disabled) */
    int backup_method;      /* 0 logical, 1 physical */
    int backup_threads;
    int backup_keep;      /* keep this many newest backups (0 = no count limit) */
    int backup_keep_days; /* and those younger than this many days (0 = no age limit) */
    int auto_provision;   /* slave on an empty database: restore the latest backup first */
} repl_service_config;

typedef struct repl_config {
    char path[512];
    char log_file[512]; /* "" = stderr */
    int log_level;      /* repl_log_level */
    char control_socket[512];
    char pid_file[512];
    int nservices;
    repl_service_config services[REPL_CONFIG_MAX_SERVICES];
} repl_config;

/** Parse and validate path into cfg. REPL_ERR_INVALID names the file, line, section and option and
 * says what is wrong ("trepd.ini:12: [service alpha] thl-sync: 'fast' is not one of
 * commit|batch|none"). */
int repl_config_load(repl_config *cfg, const char *path, repl_error *err);

/** The service named name, or the only one when name is NULL; NULL if none matches. */
const repl_service_config *repl_config_service(const repl_config *cfg, const char *name);

/** Print the option reference as Markdown (the body of docs/configuration.md). */
void repl_config_print_reference(FILE *out);

#endif
