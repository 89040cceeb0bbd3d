/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tools/trepd/main.c - trepd, the replicator daemon: parses flags, loads the configuration, sets up
 * logging, optionally detaches (--daemon, with a pid file), runs the daemon until SIGTERM/SIGINT.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "replicator/base/log.h"
#include "replicator/config.h"
#include "replicator/daemon.h"

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

static void usage(FILE *out)
{
    fprintf(out, "usage: trepd --config FILE [--daemon]\n"
                 "       trepd --help-config    print the configuration reference (Markdown)\n");
}

static int write_pid_file(const char *path)
{
    char tmp[600];
    FILE *f;
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    f = fopen(tmp, "we");
    if (f == NULL)
        return -1;
    fprintf(f, "%d\n", (int)getpid());
    if (fflush(f) != 0 || fsync(fileno(f)) != 0) {
        fclose(f);
        return -1;
    }
    fclose(f);
    return rename(tmp, path);
}

static int detach(const repl_config *cfg)
{
    pid_t pid = fork();
    int fd;
    if (pid < 0)
        return -1;
    if (pid > 0)
        _exit(0);
    setsid();
    fd = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (fd >= 0) {
        dup2(fd, 0);
        dup2(fd, 1);
        if (cfg->log_file[0] != '\0')
            dup2(fd, 2);
        close(fd);
    }
    return 0;
}

static void install_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
}

static int parse_args(int argc, char **argv, const char **config, int *daemonize)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--config") == 0 && i + 1 < argc)
            *config = argv[++i];
        else if (strcmp(argv[i], "--daemon") == 0)
            *daemonize = 1;
        else if (strcmp(argv[i], "--help-config") == 0) {
            repl_config_print_reference(stdout);
            exit(0);
        } else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            exit(0);
        } else {
            fprintf(stderr, "trepd: unknown argument '%s'\n", argv[i]);
            return -1;
        }
    }
    if (*config == NULL) {
        fprintf(stderr, "trepd: --config FILE is required\n");
        return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    const char *config = NULL;
    int daemonize = 0;
    static repl_config cfg;
    repl_daemon *d = NULL;
    repl_error err;
    if (parse_args(argc, argv, &config, &daemonize) != 0) {
        usage(stderr);
        return 2;
    }
    if (repl_config_load(&cfg, config, &err) != REPL_OK) {
        fprintf(stderr, "trepd: %s\n", err.msg);
        return 1;
    }
    repl_log_set_level((repl_log_level)cfg.log_level);
    if (cfg.log_file[0] != '\0' && repl_log_open(cfg.log_file, &err) != REPL_OK) {
        fprintf(stderr, "trepd: %s\n", err.msg);
        return 1;
    }
    if (daemonize && detach(&cfg) != 0) {
        fprintf(stderr, "trepd: cannot detach: %s\n", strerror(errno));
        return 1;
    }
    if (cfg.pid_file[0] != '\0' && write_pid_file(cfg.pid_file) != 0)
        REPL_LOG_WARN("trepd", "cannot write pid file %s: %s", cfg.pid_file, strerror(errno));
    install_signals();
    REPL_LOG_INFO("trepd", "starting pid=%d config=%s services=%d", (int)getpid(), config,
                  cfg.nservices);
    if (repl_daemon_open(&d, &cfg, &err) != REPL_OK) {
        REPL_LOG_ERROR("trepd", "%s", err.msg);
        fprintf(stderr, "trepd: %s\n", err.msg);
        return 1;
    }
    repl_daemon_run(d, &stop_requested);
    REPL_LOG_INFO("trepd", "stopping");
    repl_daemon_close(d);
    if (cfg.pid_file[0] != '\0')
        unlink(cfg.pid_file);
    REPL_LOG_INFO("trepd", "stopped");
    return 0;
}
