/* SPDX-License-Identifier: GPL-2.0-or-later */
/* replicator/control.c - Unix-socket JSON line server and client for trepd's control commands. */
#include "replicator/control.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "replicator/base/buf.h"
#include "replicator/base/clock.h"
#include "replicator/base/log.h"
#include "replicator/base/mem.h"

struct repl_control {
    int fd;
    int wake[2]; /* pipe: close wakes the accept thread */
    char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
    repl_control_handler handler;
    void *ctx;
    pthread_t accept_thread;
    pthread_mutex_t lock;
    pthread_cond_t idle;
    int active; /* connection threads running */
};

typedef struct conn_job {
    repl_control *ctl;
    int fd;
} conn_job;

static int control_addr(struct sockaddr_un *addr, const char *path, repl_error *err)
{
    memset(addr, 0, sizeof(*addr));
    addr->sun_family = AF_UNIX;
    if (strlen(path) >= sizeof(addr->sun_path))
        return repl_error_set(err, REPL_ERR_INVALID, "control: socket path too long: %s", path);
    memcpy(addr->sun_path, path, strlen(path) + 1);
    return REPL_OK;
}

/* Read one '\n'-terminated line (without it) into a new buffer, bounded by max and deadline. */
static int read_line(int fd, char **out, int64_t deadline_ms, repl_error *err)
{
    size_t cap = 4096, len = 0;
    char *buf = repl_malloc(cap);
    for (;;) {
        struct pollfd pfd = { fd, POLLIN, 0 };
        int timeout = deadline_ms > 0 ? (int)(deadline_ms - repl_clock_mono_ms()) : -1;
        if (deadline_ms > 0 && timeout <= 0)
            break;
        if (poll(&pfd, 1, timeout) <= 0)
            break;
        if (len + 1 >= cap) {
            if (cap >= REPL_CONTROL_MAX_LINE)
                break;
            cap *= 2;
            buf = repl_realloc(buf, cap);
        }
        ssize_t n = read(fd, buf + len, cap - len - 1);
        if (n <= 0)
            break;
        len += (size_t)n;
        buf[len] = '\0';
        char *nl = memchr(buf, '\n', len);
        if (nl != NULL) {
            *nl = '\0';
            *out = buf;
            return REPL_OK;
        }
    }
    repl_free(buf);
    return repl_error_set(err, REPL_ERR_IO,
                          "control: no complete request line (timeout, EOF or "
                          "longer than %d bytes)",
                          REPL_CONTROL_MAX_LINE);
}

static int write_all(int fd, const char *p, size_t len)
{
    while (len > 0) {
        ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

static int send_json(int fd, json_t *obj)
{
    char *text = json_dumps(obj, JSON_COMPACT);
    int rc;
    if (text == NULL)
        return -1;
    rc = write_all(fd, text, strlen(text));
    if (rc == 0)
        rc = write_all(fd, "\n", 1);
    free(text);
    return rc;
}

/* Length of the valid UTF-8 sequence at p (n bytes left), 0 when p starts no valid sequence
 * (overlong forms, surrogates and code points above U+10FFFF are invalid, as for jansson). */
static size_t utf8_seq_len(const unsigned char *p, size_t n)
{
    size_t len;
    unsigned char lo = 0x80, hi = 0xBF;
    if (p[0] < 0x80)
        return 1;
    if (p[0] >= 0xC2 && p[0] <= 0xDF)
        len = 2;
    else if (p[0] >= 0xE0 && p[0] <= 0xEF)
        len = 3;
    else if (p[0] >= 0xF0 && p[0] <= 0xF4)
        len = 4;
    else
        return 0;
    if (p[0] == 0xE0)
        lo = 0xA0;
    else if (p[0] == 0xED)
        hi = 0x9F;
    else if (p[0] == 0xF0)
        lo = 0x90;
    else if (p[0] == 0xF4)
        hi = 0x8F;
    if (n < len || p[1] < lo || p[1] > hi)
        return 0;
    for (size_t i = 2; i < len; i++) {
        if (p[i] < 0x80 || p[i] > 0xBF)
            return 0;
    }
    return len;
}

json_t *repl_control_text(const char *s)
{
    json_t *j = json_string(s);
    const size_t n = strlen(s);
    repl_buf b;
    if (j != NULL)
        return j;
    repl_buf_init(&b);
    for (size_t i = 0; i < n;) {
        size_t k = utf8_seq_len((const unsigned char *)s + i, n - i);
        if (k == 0) {
            repl_buf_printf(&b, "\\x%02X", (unsigned)(unsigned char)s[i]);
            i++;
        } else {
            repl_buf_put(&b, s + i, k);
            i += k;
        }
    }
    j = json_stringn(b.len > 0 ? (const char *)b.data : "", b.len);
    repl_buf_dispose(&b);
    return j != NULL ? j : json_string("");
}

json_t *repl_control_ok(json_t *result_take)
{
    json_t *resp = json_object();
    json_object_set_new(resp, "ok", json_true());
    json_object_set_new(resp, "result", result_take != NULL ? result_take : json_null());
    return resp;
}

json_t *repl_control_fail(const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    json_t *resp = json_object();
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    json_object_set_new(resp, "ok", json_false());
    json_object_set_new(resp, "error", repl_control_text(msg));
    return resp;
}

static void *conn_main(void *arg)
{
    conn_job *job = arg;
    repl_control *ctl = job->ctl;
    char *line = NULL;
    repl_error err;
    json_t *req = NULL, *resp = NULL;
    json_error_t jerr;
    if (read_line(job->fd, &line, repl_clock_mono_ms() + 10000, &err) != REPL_OK) {
        resp = repl_control_fail("%s", err.msg);
    } else {
        req = json_loads(line, 0, &jerr);
        if (req == NULL || !json_is_object(req))
            resp = repl_control_fail("control: request is not a JSON object: %s", jerr.text);
        else
            resp = ctl->handler(ctl->ctx, req);
    }
    if (resp != NULL && send_json(job->fd, resp) != 0)
        REPL_LOG_WARN("control", "could not send a response: %s", strerror(errno));
    json_decref(req);
    json_decref(resp);
    repl_free(line);
    close(job->fd);
    repl_free(job);
    pthread_mutex_lock(&ctl->lock);
    ctl->active--;
    pthread_cond_broadcast(&ctl->idle);
    pthread_mutex_unlock(&ctl->lock);
    return NULL;
}

static void control_spawn(repl_control *ctl, int fd)
{
    pthread_t t;
    pthread_attr_t attr;
    conn_job *job = repl_malloc(sizeof(*job));
    job->ctl = ctl;
    job->fd = fd;
    pthread_mutex_lock(&ctl->lock);
    ctl->active++;
    pthread_mutex_unlock(&ctl->lock);
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    if (pthread_create(&t, &attr, conn_main, job) != 0) {
        REPL_LOG_ERROR("control", "cannot start a connection thread");
        close(fd);
        repl_free(job);
        pthread_mutex_lock(&ctl->lock);
        ctl->active--;
        pthread_mutex_unlock(&ctl->lock);
    }
    pthread_attr_destroy(&attr);
}

static void *accept_main(void *arg)
{
    repl_control *ctl = arg;
    for (;;) {
        struct pollfd pfd[2] = { { ctl->fd, POLLIN, 0 }, { ctl->wake[0], POLLIN, 0 } };
        if (poll(pfd, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        if (pfd[1].revents != 0)
            break;
        int fd = accept4(ctl->fd, NULL, NULL, SOCK_CLOEXEC);
        if (fd < 0)
            continue;
        control_spawn(ctl, fd);
    }
    return NULL;
}

/* A socket file nobody listens on is left over from a crash: remove it. A live one is an error. */
static int control_clear_stale(const struct sockaddr_un *addr, const char *path, repl_error *err)
{
    int fd;
    if (access(path, F_OK) != 0)
        return REPL_OK;
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd >= 0 && connect(fd, (const struct sockaddr *)addr, sizeof(*addr)) == 0) {
        close(fd);
        return repl_error_set(err, REPL_ERR_INVALID,
                              "control: %s is in use by a running trepd: stop it first", path);
    }
    if (fd >= 0)
        close(fd);
    unlink(path);
    return REPL_OK;
}

static int control_listen(repl_control *ctl, const char *path, repl_error *err)
{
    struct sockaddr_un addr;
    mode_t old;
    int rc = control_addr(&addr, path, err);
    if (rc == REPL_OK)
        rc = control_clear_stale(&addr, path, err);
    if (rc != REPL_OK)
        return rc;
    ctl->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (ctl->fd < 0)
        return repl_error_sys(err, REPL_ERR_IO, errno, "control: socket");
    old = umask(0177); /* the socket file is created mode 0600 */
    rc = bind(ctl->fd, (struct sockaddr *)&addr, sizeof(addr));
    umask(old);
    if (rc != 0)
        return repl_error_sys(err, REPL_ERR_IO, errno, "control: bind %s", path);
    chmod(path, 0600);
    if (listen(ctl->fd, 16) != 0)
        return repl_error_sys(err, REPL_ERR_IO, errno, "control: listen %s", path);
    return REPL_OK;
}

int repl_control_open(repl_control **out, const char *path, repl_control_handler handler, void *ctx,
                      repl_error *err)
{
    repl_control *ctl = repl_calloc(1, sizeof(*ctl));
    int rc;
    *out = NULL;
    ctl->fd = -1;
    ctl->wake[0] = ctl->wake[1] = -1;
    ctl->handler = handler;
    ctl->ctx = ctx;
    snprintf(ctl->path, sizeof(ctl->path), "%s", path);
    pthread_mutex_init(&ctl->lock, NULL);
    pthread_cond_init(&ctl->idle, NULL);
    rc = control_listen(ctl, path, err);
    if (rc == REPL_OK && pipe2(ctl->wake, O_CLOEXEC) != 0)
        rc = repl_error_sys(err, REPL_ERR_IO, errno, "control: pipe");
    if (rc == REPL_OK && pthread_create(&ctl->accept_thread, NULL, accept_main, ctl) != 0)
        rc = repl_error_set(err, REPL_ERR_IO, "control: cannot start the accept thread");
    if (rc != REPL_OK) {
        if (ctl->fd >= 0)
            close(ctl->fd);
        if (ctl->wake[0] >= 0) {
            close(ctl->wake[0]);
            close(ctl->wake[1]);
        }
        pthread_mutex_destroy(&ctl->lock);
        pthread_cond_destroy(&ctl->idle);
        repl_free(ctl);
        return rc;
    }
    *out = ctl;
    return REPL_OK;
}

void repl_control_close(repl_control *ctl)
{
    if (ctl == NULL)
        return;
    if (write(ctl->wake[1], "x", 1) < 0)
        REPL_LOG_WARN("control", "wake pipe: %s", strerror(errno));
    pthread_join(ctl->accept_thread, NULL);
    close(ctl->fd);
    unlink(ctl->path);
    pthread_mutex_lock(&ctl->lock);
    while (ctl->active > 0)
        pthread_cond_wait(&ctl->idle, &ctl->lock);
    pthread_mutex_unlock(&ctl->lock);
    close(ctl->wake[0]);
    close(ctl->wake[1]);
    pthread_mutex_destroy(&ctl->lock);
    pthread_cond_destroy(&ctl->idle);
    repl_free(ctl);
}

int repl_control_call(json_t **out, const char *path, json_t *request, int timeout_sec,
                      repl_error *err)
{
    struct sockaddr_un addr;
    char *line = NULL;
    json_error_t jerr;
    int fd, rc;
    *out = NULL;
    rc = control_addr(&addr, path, err);
    if (rc != REPL_OK)
        return rc;
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return repl_error_sys(err, REPL_ERR_IO, errno, "control: socket");
    if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) != 0) {
        rc = repl_error_sys(err, REPL_ERR_IO, errno,
                            "cannot reach trepd at %s (is it running? check --config/--socket)",
                            path);
        goto cleanup;
    }
    if (send_json(fd, request) != 0) {
        rc = repl_error_sys(err, REPL_ERR_IO, errno, "control: send to %s", path);
        goto cleanup;
    }
    rc = read_line(fd, &line, timeout_sec > 0 ? repl_clock_mono_ms() + timeout_sec * 1000LL : 0,
                   err);
    if (rc != REPL_OK)
        goto cleanup;
    *out = json_loads(line, 0, &jerr);
    if (*out == NULL)
        rc = repl_error_set(err, REPL_ERR_CORRUPT, "control: bad response from %s: %s", path,
                            jerr.text);
cleanup:
    repl_free(line);
    close(fd);
    return rc;
}
