/* SPDX-License-Identifier: GPL-2.0-or-later */
/* backup/proc.c - child processes of the physical method (mariadb-backup, mbstream): spawn with
 * stdin/stdout pipes and stderr to a log file, wait and judge the exit status, read the log's tail
 * for messages; also scratch directories (create, remove recursively) and ownership fixing. */
#include "backup/proc_int.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static int proc_actions(posix_spawn_file_actions_t *fa, const int in[2], const int out[2],
                        int log_fd)
{
    int rc = posix_spawn_file_actions_init(fa);
    if (rc == 0 && in[0] >= 0)
        rc = posix_spawn_file_actions_adddup2(fa, in[0], 0);
    if (rc == 0 && in[0] < 0)
        rc = posix_spawn_file_actions_addopen(fa, 0, "/dev/null", O_RDONLY, 0);
    if (rc == 0)
        rc = posix_spawn_file_actions_adddup2(fa, out[1] >= 0 ? out[1] : log_fd, 1);
    if (rc == 0)
        rc = posix_spawn_file_actions_adddup2(fa, log_fd, 2);
    return rc;
}

static void proc_close_pair(int p[2])
{
    for (int i = 0; i < 2; i++) {
        if (p[i] >= 0)
            close(p[i]);
        p[i] = -1;
    }
}

int bkp_proc_spawn(bkp_proc *p, const char *const argv[], int pipe_in, int pipe_out, int log_fd,
                   repl_error *err)
{
    posix_spawn_file_actions_t fa;
    int in[2] = { -1, -1 };
    int out[2] = { -1, -1 };
    int rc = 0;
    p->pid = -1;
    p->in_fd = -1;
    p->out_fd = -1;
    if ((pipe_in && pipe2(in, O_CLOEXEC) != 0) || (pipe_out && pipe2(out, O_CLOEXEC) != 0)) {
        rc = errno;
        proc_close_pair(in);
        proc_close_pair(out);
        return repl_error_sys(err, REPL_ERR_IO, rc, "backup: pipe for %s", argv[0]);
    }
    rc = proc_actions(&fa, in, out, log_fd);
    if (rc == 0)
        rc = posix_spawnp(&p->pid, argv[0], &fa, NULL, (char *const *)argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0) {
        proc_close_pair(in);
        proc_close_pair(out);
        p->pid = -1;
        return repl_error_sys(err, REPL_ERR_IO, rc, "backup: run %s", argv[0]);
    }
    close(in[0]);
    close(out[1]);
    p->in_fd = in[1];
    p->out_fd = out[0];
    return REPL_OK;
}

int bkp_proc_wait(bkp_proc *p, const char *what, repl_error *err)
{
    int status = 0;
    pid_t r;
    if (p->in_fd >= 0)
        close(p->in_fd);
    if (p->out_fd >= 0)
        close(p->out_fd);
    p->in_fd = -1;
    p->out_fd = -1;
    if (p->pid <= 0)
        return REPL_OK;
    do {
        r = waitpid(p->pid, &status, 0);
    } while (r < 0 && errno == EINTR);
    p->pid = -1;
    if (r < 0)
        return repl_error_sys(err, REPL_ERR_IO, errno, "backup: wait for %s", what);
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return REPL_OK;
    if (WIFSIGNALED(status))
        return repl_error_set(err, REPL_ERR_SOURCE, "backup: %s killed by signal %d", what,
                              WTERMSIG(status));
    return repl_error_set(err, REPL_ERR_SOURCE, "backup: %s exited with status %d", what,
                          WEXITSTATUS(status));
}

void bkp_proc_kill(bkp_proc *p)
{
    if (p->pid > 0)
        kill(p->pid, SIGTERM);
}

void bkp_proc_log_tail(const char *path, char *out, size_t out_len)
{
    FILE *f = fopen(path, "re");
    char line[1024];
    char last[1024] = "";
    out[0] = '\0';
    if (f == NULL)
        return;
    /* the last line that reports an error, else the last line */
    while (fgets(line, sizeof(line), f) != NULL) {
        line[strcspn(line, "\n")] = '\0';
        if (line[0] == '\0')
            continue;
        snprintf(last, sizeof(last), "%s", line);
        if (strstr(line, "ERROR") != NULL || strstr(line, "rror") != NULL)
            snprintf(out, out_len, "%s", line);
    }
    if (out[0] == '\0')
        snprintf(out, out_len, "%s", last);
    fclose(f);
}

int bkp_scratch_dir(char *out, size_t out_len, const char *parent, const char *tag, repl_error *err)
{
    int n = snprintf(out, out_len, "%s/.trep-%s-XXXXXX", parent, tag);
    if (n < 0 || (size_t)n >= out_len)
        return repl_error_set(err, REPL_ERR_INVALID, "backup: temporary path too long");
    if (mkdtemp(out) == NULL)
        return repl_error_sys(err, bkp_errno_code(errno), errno, "backup: mkdtemp %s", out);
    return REPL_OK;
}

static int proc_rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    remove(path);
    return 0;
}

void bkp_remove_tree(const char *path)
{
    nftw(path, proc_rm_one, 32, FTW_DEPTH | FTW_PHYS);
}

static int proc_rm_child(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    if (ftw->level > 0)
        remove(path);
    return 0;
}

void bkp_empty_dir(const char *path)
{
    nftw(path, proc_rm_child, 32, FTW_DEPTH | FTW_PHYS);
}

static uid_t proc_uid;
static gid_t proc_gid;
static int proc_chown_errno;

static int proc_chown_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)flag;
    (void)ftw;
    if ((st->st_uid != proc_uid || st->st_gid != proc_gid) &&
        lchown(path, proc_uid, proc_gid) != 0) {
        proc_chown_errno = errno;
        return 1;
    }
    return 0;
}

int bkp_chown_tree(const char *path, uid_t uid, gid_t gid, repl_error *err)
{
    static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
    int rc = REPL_OK;
    pthread_mutex_lock(&lock); /* nftw callbacks take no user pointer */
    proc_uid = uid;
    proc_gid = gid;
    proc_chown_errno = 0;
    if (nftw(path, proc_chown_one, 32, FTW_PHYS) != 0)
        rc = repl_error_sys(err, REPL_ERR_IO, proc_chown_errno != 0 ? proc_chown_errno : errno,
                            "backup: give %s to uid %u gid %u", path, (unsigned)uid, (unsigned)gid);
    pthread_mutex_unlock(&lock);
    return rc;
}
