/* SPDX-License-Identifier: GPL-2.0-or-later */
/* thl/net_server.c - the master's thl-server: an accept thread and one thread per slave. A slave
 * thread does the handshake (version, service, shared-secret proof, position check against the log:
 * see net_handshake.c), then streams records from a THL cursor as stored, heartbeats when idle, and
 * reads the slave's ACKs. It only reads the log. thl_server_close stops and joins every thread. */
#include "thl/net_int.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "replicator/base/clock.h"
#include "replicator/base/log.h"
#include "replicator/base/mem.h"

#define SRV_COMPONENT "thl-server"

void thl_server_options_init(thl_server_options *opts)
{
    memset(opts, 0, sizeof(*opts));
    opts->listen = ":2112";
    opts->heartbeat_ms = 1000;
    opts->max_clients = 32;
    opts->timeout_ms = 30000;
}

uint16_t thl_server_port(const thl_server *server)
{
    return server->port;
}

/* ---- the slave's session ---- */

static void srv_session_fail(thl_srv_conn *c, const repl_error *err)
{
    thl_server *s = c->srv;
    const size_t skip = strncmp(err->msg, "thl-server: ", 12) == 0 ? 12 : 0;
    pthread_mutex_lock(&s->mu);
    s->last_error = *err;
    s->n_errors++;
    pthread_mutex_unlock(&s->mu);
    if (err->code == REPL_ERR_RETRY)
        REPL_LOG_INFO(SRV_COMPONENT, "%s", err->msg + skip);
    else
        REPL_LOG_WARN(SRV_COMPONENT, "%s", err->msg + skip);
}

int thl_srv_refuse(thl_srv_conn *c, uint8_t kind, int code, repl_error *err, const char *fmt, ...)
{
    char msg[THL_NET_ERRMSG_MAX + 1];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    repl_error_set(err, code, "thl-server: slave %s refused: %s", c->net.peer, msg);
    thl_net_send_error(&c->net, kind, msg);
    return code;
}

int thl_srv_log_failed(thl_srv_conn *c, repl_error *err)
{
    if (err->code == REPL_ERR_INVALID) {
        /* the log is closing under us: the service is going offline */
        thl_net_send_error(&c->net, THL_NET_ERR_TRANSIENT, "master log is closing");
        return err->code;
    }
    thl_net_send_error(&c->net, THL_NET_ERR_MASTER, err->msg);
    return err->code;
}

static int srv_silence_ms(const thl_server *s)
{
    const uint32_t three = 3 * s->heartbeat_ms;
    return (int)(s->timeout_ms > three ? s->timeout_ms : three);
}

static int srv_on_ack(thl_srv_conn *c, const thl_net_frame *f, repl_error *err)
{
    uint64_t seqno;
    uint64_t limit;
    int has_seqno;
    int rc = thl_ack_decode(&has_seqno, &seqno, f, c->net.peer, err);
    if (rc != REPL_OK || !has_seqno)
        return rc;
    pthread_mutex_lock(&c->srv->mu);
    limit = c->info.has_sent ? c->info.sent_seqno : c->info.acked_seqno;
    if ((c->info.has_sent || c->info.has_acked) && seqno <= limit) {
        if (!c->info.has_acked || seqno > c->info.acked_seqno)
            c->info.acked_seqno = seqno;
        c->info.has_acked = 1;
        c->info.last_ack_us = repl_clock_now_us();
        rc = REPL_OK;
    } else {
        rc = REPL_ERR_CORRUPT;
    }
    pthread_mutex_unlock(&c->srv->mu);
    if (rc != REPL_OK)
        return repl_error_set(err, rc,
                              "thl-server: slave %s acknowledged seqno %llu, beyond what it "
                              "was sent",
                              c->net.peer, (unsigned long long)seqno);
    return REPL_OK;
}

static int srv_read_acks(thl_srv_conn *c, int64_t *last_recv_ms, repl_error *err)
{
    while (thl_net_pending_input(&c->net)) {
        thl_net_frame f;
        int rc = thl_net_read_frame(&c->net, &f, (int)c->srv->timeout_ms, err);
        if (rc != REPL_OK)
            return rc;
        *last_recv_ms = repl_clock_mono_ms();
        if (f.type == THL_FRAME_ERROR)
            return thl_net_error_from_frame(&c->net, &f, err);
        if (f.type != THL_FRAME_ACK)
            return repl_error_set(err, REPL_ERR_CORRUPT,
                                  "thl-server: unexpected %s frame from slave %s",
                                  thl_frame_type_name(f.type), c->net.peer);
        rc = srv_on_ack(c, &f, err);
        if (rc != REPL_OK)
            return rc;
    }
    return REPL_OK;
}

/* Read every frame the slave has sent so far (ACKs); a malformed one is answered with an ERROR. */
static int srv_drain(thl_srv_conn *c, int64_t *last_recv_ms, repl_error *err)
{
    const int rc = srv_read_acks(c, last_recv_ms, err);
    if (rc == REPL_ERR_CORRUPT)
        thl_net_send_error(&c->net, THL_NET_ERR_PROTOCOL, err->msg);
    return rc;
}

static int srv_send_record(thl_srv_conn *c, const uint8_t *rec, size_t len, repl_error *err)
{
    thl_record_header h;
    int rc = thl_record_parse_header(&h, rec, len, err);
    if (rc != REPL_OK)
        return thl_srv_log_failed(c, err);
    rc = thl_net_put_frame(&c->net, THL_FRAME_RECORD, rec, len, (int)c->srv->timeout_ms, err);
    if (rc == REPL_OK && (h.flags & THL_EV_LAST_FRAG)) {
        pthread_mutex_lock(&c->srv->mu);
        c->info.has_sent = 1;
        c->info.sent_seqno = h.seqno;
        pthread_mutex_unlock(&c->srv->mu);
    }
    return rc;
}

static int srv_heartbeat(thl_srv_conn *c, repl_error *err)
{
    thl_log_state st;
    thl_heartbeat hb = { 0 };
    repl_buf b;
    int rc = thl_log_state_get(c->srv->log, &st, err);
    if (rc != REPL_OK)
        return thl_srv_log_failed(c, err);
    hb.flags = st.empty ? THL_ACCEPT_EMPTY : 0;
    hb.max_seqno = st.max_seqno;
    hb.clock_us = repl_clock_now_us();
    repl_buf_init(&b);
    thl_heartbeat_encode(&b, &hb);
    rc = thl_net_put_frame(&c->net, THL_FRAME_HEARTBEAT, b.data, b.len, (int)c->srv->timeout_ms,
                           err);
    repl_buf_dispose(&b);
    if (rc == REPL_OK)
        rc = thl_net_flush(&c->net, (int)c->srv->timeout_ms, err);
    return rc;
}

/* Nothing to send right now: flush, wait a slice for a record, heartbeat when due. */
static int srv_idle(thl_srv_conn *c, thl_cursor *cur, int64_t *last_send_ms, repl_error *err)
{
    const uint8_t *rec;
    size_t len;
    int rc = thl_net_flush(&c->net, (int)c->srv->timeout_ms, err);
    if (rc != REPL_OK)
        return rc;
    rc = thl_cursor_next(cur, &rec, &len, THL_NET_SLICE_MS, err);
    if (rc == REPL_OK) {
        *last_send_ms = repl_clock_mono_ms();
        return srv_send_record(c, rec, len, err);
    }
    if (rc != REPL_ERR_RETRY && rc != REPL_ERR_NOTFOUND)
        return thl_srv_log_failed(c, err);
    if (repl_clock_mono_ms() - *last_send_ms < (int64_t)c->srv->heartbeat_ms)
        return REPL_OK;
    *last_send_ms = repl_clock_mono_ms();
    return srv_heartbeat(c, err);
}

static int srv_stream_step(thl_srv_conn *c, thl_cursor *cur, int64_t *last_send_ms, repl_error *err)
{
    const uint8_t *rec;
    size_t len;
    int rc = thl_cursor_next(cur, &rec, &len, 0, err);
    if (rc == REPL_OK) {
        *last_send_ms = repl_clock_mono_ms();
        return srv_send_record(c, rec, len, err);
    }
    if (rc != REPL_ERR_NOTFOUND && rc != REPL_ERR_RETRY)
        return thl_srv_log_failed(c, err);
    return srv_idle(c, cur, last_send_ms, err);
}

static int srv_stream(thl_srv_conn *c, uint64_t start, repl_error *err)
{
    thl_cursor *cur = NULL;
    int64_t last_send_ms = repl_clock_mono_ms();
    int64_t last_recv_ms = last_send_ms;
    unsigned n = 0;
    int rc = thl_cursor_open(&cur, c->srv->log, start, err);
    if (rc != REPL_OK)
        return thl_srv_log_failed(c, err);
    while (rc == REPL_OK && !thl_net_stop_is_set(c->srv->stop)) {
        if ((n++ & 63) == 0 || c->net.out.len == 0)
            rc = srv_drain(c, &last_recv_ms, err);
        if (rc != REPL_OK)
            break;
        if (repl_clock_mono_ms() - last_recv_ms > srv_silence_ms(c->srv)) {
            rc = repl_error_set(err, REPL_ERR_RETRY, "thl-server: slave %s silent for %d ms",
                                c->net.peer, srv_silence_ms(c->srv));
            break;
        }
        rc = srv_stream_step(c, cur, &last_send_ms, err);
    }
    thl_cursor_close(cur);
    return rc;
}

static void *srv_conn_main(void *arg)
{
    thl_srv_conn *c = arg;
    repl_error err;
    uint64_t start = 0;
    int rc;
    repl_error_clear(&err);
    rc = thl_srv_handshake(c, &start, &err);
    if (rc == REPL_OK) {
        REPL_LOG_INFO(SRV_COMPONENT, "slave %s connected: service=%s start_seqno=%llu", c->net.peer,
                      c->info.service, (unsigned long long)start);
        rc = srv_stream(c, start, &err);
    }
    if (rc != REPL_OK && !c->net.stopped)
        srv_session_fail(c, &err);
    if (thl_net_stop_is_set(c->srv->stop))
        thl_net_send_error(&c->net, THL_NET_ERR_TRANSIENT, "master is shutting down");
    REPL_LOG_INFO(SRV_COMPONENT, "slave %s disconnected", c->net.peer);
    thl_net_conn_dispose(&c->net);
    atomic_store(&c->done, 1);
    return NULL;
}

/* ---- accept thread ---- */

/* Join and free the sessions that ended (all of them when all is set). */
static void srv_reap(thl_server *s, int all)
{
    thl_srv_conn *dead = NULL;
    pthread_mutex_lock(&s->mu);
    for (thl_srv_conn **pp = &s->conns; *pp != NULL;) {
        thl_srv_conn *c = *pp;
        if (all || atomic_load(&c->done)) {
            *pp = c->next;
            c->next = dead;
            dead = c;
        } else {
            pp = &c->next;
        }
    }
    pthread_mutex_unlock(&s->mu);
    while (dead != NULL) {
        thl_srv_conn *c = dead;
        dead = c->next;
        pthread_join(c->thread, NULL);
        repl_free(c);
    }
}

static size_t srv_live(thl_server *s)
{
    size_t n = 0;
    pthread_mutex_lock(&s->mu);
    for (const thl_srv_conn *c = s->conns; c != NULL; c = c->next)
        n += !atomic_load(&c->done);
    pthread_mutex_unlock(&s->mu);
    return n;
}

static void srv_start_session(thl_server *s, int fd, const char *peer)
{
    thl_srv_conn *c = repl_calloc(1, sizeof(*c));
    c->srv = s;
    atomic_init(&c->done, 0);
    thl_net_conn_init(&c->net, fd, thl_net_stop_fd(s->stop), "thl-server", peer);
    if (srv_live(s) >= s->max_clients) {
        repl_error err;
        thl_srv_refuse(c, THL_NET_ERR_TRANSIENT, REPL_ERR_RETRY, &err, "too many slaves (max %u)",
                       s->max_clients);
        srv_session_fail(c, &err);
        thl_net_conn_dispose(&c->net);
        repl_free(c);
        return;
    }
    if (pthread_create(&c->thread, NULL, srv_conn_main, c) != 0) {
        REPL_LOG_ERROR(SRV_COMPONENT, "slave %s: cannot start a thread: %s", peer, strerror(errno));
        thl_net_conn_dispose(&c->net);
        repl_free(c);
        return;
    }
    pthread_mutex_lock(&s->mu);
    c->next = s->conns;
    s->conns = c;
    pthread_mutex_unlock(&s->mu);
}

static void srv_accept_one(thl_server *s)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    char peer[80];
    const int one = 1;
    const int fd =
        accept4(s->listen_fd, (struct sockaddr *)&ss, &len, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (fd < 0) {
        if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
            REPL_LOG_WARN(SRV_COMPONENT, "accept on %s: %s", s->listen, strerror(errno));
            (void)thl_net_stop_wait(s->stop, THL_NET_SLICE_MS);
        }
        return;
    }
    (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    (void)setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
    thl_net_addr_format(peer, sizeof(peer), &ss, (unsigned)len);
    srv_start_session(s, fd, peer);
}

static void *srv_accept_main(void *arg)
{
    thl_server *s = arg;
    struct pollfd p[2] = { { .fd = s->listen_fd, .events = POLLIN },
                           { .fd = thl_net_stop_fd(s->stop), .events = POLLIN } };
    while (!thl_net_stop_is_set(s->stop)) {
        int rc;
        srv_reap(s, 0);
        rc = poll(p, 2, 500);
        if (rc > 0 && (p[0].revents & POLLIN) && !thl_net_stop_is_set(s->stop))
            srv_accept_one(s);
    }
    return NULL;
}

/* ---- lifecycle ---- */

static char *srv_strdup_opt(const char *s)
{
    return repl_strdup(s != NULL ? s : "");
}

int thl_server_open(thl_server **out, const thl_server_options *opts, thl_log *log, repl_error *err)
{
    thl_server *s = repl_calloc(1, sizeof(*s));
    int rc;
    *out = NULL;
    s->listen_fd = -1;
    s->log = log;
    s->listen = srv_strdup_opt(opts->listen);
    s->service = srv_strdup_opt(opts->service);
    s->secret = srv_strdup_opt(opts->secret);
    s->heartbeat_ms = opts->heartbeat_ms > 0 ? opts->heartbeat_ms : 1000;
    s->max_clients = opts->max_clients > 0 ? opts->max_clients : 32;
    s->timeout_ms = opts->timeout_ms > 0 ? opts->timeout_ms : 30000;
    pthread_mutex_init(&s->mu, NULL);
    rc = thl_net_stop_new(&s->stop, err);
    if (rc == REPL_OK)
        rc = thl_net_listen(&s->listen_fd, &s->port, s->listen, err);
    if (rc == REPL_OK && pthread_create(&s->accept_thread, NULL, srv_accept_main, s) != 0)
        rc = repl_error_sys(err, REPL_ERR_IO, errno, "thl-server: start accept thread");
    if (rc != REPL_OK) {
        thl_server_close(s);
        return rc;
    }
    s->accept_started = 1;
    REPL_LOG_INFO(SRV_COMPONENT, "listening on %s (port %u)", s->listen, (unsigned)s->port);
    *out = s;
    return REPL_OK;
}

void thl_server_close(thl_server *server)
{
    if (server == NULL)
        return;
    if (server->stop != NULL)
        thl_net_stop_signal(server->stop);
    if (server->accept_started)
        pthread_join(server->accept_thread, NULL);
    srv_reap(server, 1);
    if (server->listen_fd >= 0)
        close(server->listen_fd);
    thl_net_stop_free(server->stop);
    pthread_mutex_destroy(&server->mu);
    repl_free(server->listen);
    repl_free(server->service);
    repl_free(server->secret);
    repl_free(server);
}

/* ---- status ---- */

size_t thl_server_clients(thl_server *server, thl_server_client **out)
{
    size_t n = 0;
    *out = NULL;
    pthread_mutex_lock(&server->mu);
    for (const thl_srv_conn *c = server->conns; c != NULL; c = c->next)
        n += c->ready && !atomic_load(&c->done);
    if (n > 0) {
        size_t i = 0;
        *out = repl_calloc(n, sizeof(**out));
        for (const thl_srv_conn *c = server->conns; c != NULL && i < n; c = c->next) {
            if (c->ready && !atomic_load(&c->done))
                (*out)[i++] = c->info;
        }
    }
    pthread_mutex_unlock(&server->mu);
    return n;
}

int thl_server_min_needed(thl_server *server, uint64_t *out_seqno)
{
    int found = 0;
    uint64_t min = 0;
    pthread_mutex_lock(&server->mu);
    for (const thl_srv_conn *c = server->conns; c != NULL; c = c->next) {
        uint64_t need;
        if (!c->ready || atomic_load(&c->done))
            continue;
        need = c->info.has_acked ? c->info.acked_seqno + 1 : c->info.start_seqno;
        if (!found || need < min)
            min = need;
        found = 1;
    }
    pthread_mutex_unlock(&server->mu);
    if (found)
        *out_seqno = min;
    return found;
}

uint64_t thl_server_last_error(thl_server *server, repl_error *out)
{
    uint64_t n;
    pthread_mutex_lock(&server->mu);
    *out = server->last_error;
    n = server->n_errors;
    pthread_mutex_unlock(&server->mu);
    return n;
}
