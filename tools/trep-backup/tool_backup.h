/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tools/trep-backup/tool_backup.h - private to trep-backup: the parsed command line and the
 * commands (cmds.c). Commands print their one-line result on stdout, errors on stderr, and return
 * the process exit status. */
#ifndef TOOL_BACKUP_H
#define TOOL_BACKUP_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "backup/conn.h"

typedef struct tool_args {
    const char *cmd;
    const char *pos_arg; /* verify ID */
    const char *store;
    const char *service;
    const char *method;
    bkp_conn_options conn;
    unsigned threads; /* 0 = default */
    int slave;
    const char *thl_dir;
    const char **include;
    size_t n_include;
    const char **exclude;
    size_t n_exclude;
    int have_chunk_rows;
    uint64_t chunk_rows;
    uint64_t file_mb;
    int zstd_level;
    const char *tmp_dir;
    int json;
    const char *backup_id;
    const char *datadir;
    int force;
    int events_disabled;
    uint32_t keep;
    uint32_t keep_days;
} tool_args;

int tool_cmd_backup(const tool_args *a);
int tool_cmd_list(const tool_args *a);
int tool_cmd_verify(const tool_args *a);
int tool_cmd_restore(const tool_args *a);
int tool_cmd_prune(const tool_args *a);

/** Print "trep-backup: " + message on stderr. */
void tool_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
