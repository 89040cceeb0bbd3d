/* SPDX-License-Identifier: GPL-2.0-or-later */
/* backup/proc_int.h - private to the physical method (physical.c, physical_restore.c, proc.c):
 * child processes with pipes, scratch directories, recursive removal and chown. */
#ifndef BKP_PROC_INT_H
#define BKP_PROC_INT_H

#include <pthread.h>
#include <stddef.h>
#include <sys/types.h>

#include "backup/backup_int.h"
#include "replicator/base/error.h"

typedef struct bkp_proc {
    pid_t pid;  /* -1 when none */
    int in_fd;  /* write end of the child's stdin, or -1 */
    int out_fd; /* read end of the child's stdout, or -1 */
} bkp_proc;

/** Start argv[0] (PATH searched) with stdin a pipe (pipe_in) or /dev/null, stdout a pipe
 * (pipe_out) or log_fd, stderr log_fd. */
int bkp_proc_spawn(bkp_proc *p, const char *const argv[], int pipe_in, int pipe_out, int log_fd,
                   repl_error *err);
/** Close our pipe ends and wait. REPL_ERR_SOURCE "what exited with status N" unless it exited 0.
 */
int bkp_proc_wait(bkp_proc *p, const char *what, repl_error *err);
/** SIGTERM the child (no-op if none). */
void bkp_proc_kill(bkp_proc *p);
/** The most telling line of a log file (the last error line, else the last line). */
void bkp_proc_log_tail(const char *path, char *out, size_t out_len);

/** mkdtemp "<parent>/.trep-<tag>-XXXXXX" into out. */
int bkp_scratch_dir(char *out, size_t out_len, const char *parent, const char *tag,
                    repl_error *err);
/** rm -rf path (best effort). */
void bkp_remove_tree(const char *path);
/** Remove everything inside path, keep path (best effort). */
void bkp_empty_dir(const char *path);
/** chown -R (lchown, no symlinks followed). */
int bkp_chown_tree(const char *path, uid_t uid, gid_t gid, repl_error *err);

#endif
