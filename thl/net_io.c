/* SPDX-License-Identifier: GPL-2.0-or-later */
/* thl/net_io.c - the frame layer of the THL protocol: [u32 length][u8 type][payload][u32 CRC32C of
 * type+payload], big-endian (docs/thl-protocol.md). Reads into one bounded buffer (at most one
 * frame plus one read chunk), checks length bounds before allocating and the CRC before handing a
 * frame up; queues outgoing frames and writes them with poll() so every wait is bounded and wakes
 * on the stop token. Also the stop token itself. A thl_net_conn is owned by one thread. */
#include "thl/net_int.h"

#include <errno.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "replicator/base/clock.h"
#include "replicator/base/crc32c.h"
#include "replicator/base/mem.h"
#include "replicator/base/rd.h"

#define NET_READ_CHUNK  (64u * 1024)
#define NET_DIRECT_SEND (64u * 1024)       /* payloads at least this long are not copied into out */
#define NET_KEEP_BYTES  (4u * 1024 * 1024) /* input buffer kept between frames */

struct thl_net_stop {
    int fd;
    atomic_int set;
};

/* ---- stop token ---- */

int thl_net_stop_new(thl_net_stop **out, repl_error *err)
{
    thl_net_stop *s = NULL;
    const int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    *out = NULL;
    if (fd < 0)
        return repl_error_sys(err, REPL_ERR_IO, errno, "thl-net: eventfd");
    s = repl_calloc(1, sizeof(*s));
    s->fd = fd;
    atomic_init(&s->set, 0);
    *out = s;
    return REPL_OK;
}

void thl_net_stop_signal(thl_net_stop *stop)
{
    const uint64_t one = 1;
    atomic_store(&stop->set, 1);
    /* The counter never goes back to zero (nobody reads it), so the fd stays readable: a latch. */
    if (write(stop->fd, &one, sizeof(one)) < 0) {
        /* EAGAIN only if the counter is saturated, which still leaves it readable. */
    }
}

int thl_net_stop_is_set(const thl_net_stop *stop)
{
    return atomic_load(&((thl_net_stop *)stop)->set);
}

int thl_net_stop_wait(const thl_net_stop *stop, int ms)
{
    struct pollfd p = { .fd = stop->fd, .events = POLLIN };
    const int64_t deadline = repl_clock_mono_ms() + ms;
    while (!thl_net_stop_is_set(stop)) {
        const int64_t left = deadline - repl_clock_mono_ms();
        if (left <= 0)
            return 0;
        if (poll(&p, 1, (int)left) < 0 && errno != EINTR)
            return thl_net_stop_is_set(stop);
    }
    return 1;
}

void thl_net_stop_free(thl_net_stop *stop)
{
    if (stop == NULL)
        return;
    close(stop->fd);
    repl_free(stop);
}

int thl_net_stop_fd(const thl_net_stop *stop)
{
    return stop->fd;
}

int thl_backoff_next_ms(unsigned attempt)
{
    uint32_t r;
    int ms = 10000;
    if (attempt < 7)
        ms = 100 << attempt;
    if (ms > 10000)
        ms = 10000;
    thl_net_random(&r, sizeof(r));
    return ms - (int)(r % (uint32_t)(ms / 4 + 1));
}

/* ---- connection ---- */

void thl_net_conn_init(thl_net_conn *c, int fd, int stop_fd, const char *role, const char *peer)
{
    memset(c, 0, sizeof(*c));
    c->fd = fd;
    c->stop_fd = stop_fd;
    c->role = role;
    snprintf(c->peer, sizeof(c->peer), "%s", peer);
    c->max_frame = THL_NET_CTRL_MAX;
    repl_buf_init(&c->out);
}

void thl_net_conn_dispose(thl_net_conn *c)
{
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
    repl_free(c->in);
    c->in = NULL;
    c->in_cap = c->in_len = c->in_off = 0;
    repl_buf_dispose(&c->out);
}

int thl_net_poll(thl_net_conn *c, short events, int timeout_ms)
{
    struct pollfd p[2] = { { .fd = c->fd, .events = events },
                           { .fd = c->stop_fd, .events = POLLIN } };
    const nfds_t n = c->stop_fd >= 0 ? 2 : 1;
    int rc;
    do {
        rc = poll(p, n, timeout_ms);
    } while (rc < 0 && errno == EINTR);
    if (n == 2 && (p[1].revents & POLLIN)) {
        c->stopped = 1;
        return -1;
    }
    if (rc < 0)
        return 1; /* let the following read/write report the error */
    return rc > 0;
}

static int remaining_ms(int64_t deadline)
{
    int64_t left;
    if (deadline < 0)
        return -1;
    left = deadline - repl_clock_mono_ms();
    return left > 0 ? (int)left : 0;
}

static int64_t deadline_after(int timeout_ms)
{
    return timeout_ms < 0 ? -1 : repl_clock_mono_ms() + timeout_ms;
}

static int net_stopped(thl_net_conn *c, repl_error *err)
{
    return repl_error_set(err, REPL_ERR_RETRY, "%s: connection to %s: stopped", c->role, c->peer);
}

/* ---- reading ---- */

/* Make room for `need` bytes from in_off: at most one frame plus a read chunk is buffered. */
static int in_reserve(thl_net_conn *c, size_t need, repl_error *err)
{
    uint8_t *n;
    size_t cap;
    const size_t have = c->in_len - c->in_off;
    if (have == 0 && c->in_cap > NET_KEEP_BYTES && need <= NET_READ_CHUNK) {
        /* give back the room a huge record needed */
        repl_free(c->in);
        c->in = NULL;
        c->in_cap = c->in_len = c->in_off = 0;
    }
    if (c->in_off > 0 && (have == 0 || c->in_off + need > c->in_cap)) {
        memmove(c->in, c->in + c->in_off, have);
        c->in_len = have;
        c->in_off = 0;
    }
    if (need <= c->in_cap - c->in_off)
        return REPL_OK;
    cap = need < NET_READ_CHUNK ? NET_READ_CHUNK : need;
    n = repl_try_malloc(cap);
    if (n == NULL)
        return repl_error_set(err, REPL_ERR_FULL, "%s: frame of %zu bytes from %s: out of memory",
                              c->role, need, c->peer);
    if (have > 0)
        memcpy(n, c->in + c->in_off, have);
    repl_free(c->in);
    c->in = n;
    c->in_cap = cap;
    c->in_len = have;
    c->in_off = 0;
    return REPL_OK;
}

static int in_closed(thl_net_conn *c, size_t have, size_t want, repl_error *err)
{
    if (have == 0)
        return repl_error_set(err, REPL_ERR_RETRY, "%s: connection to %s closed by peer", c->role,
                              c->peer);
    return repl_error_set(err, REPL_ERR_RETRY,
                          "%s: connection to %s closed mid-frame after %zu of %zu bytes", c->role,
                          c->peer, have, want);
}

/* Read until at least `want` bytes are buffered from in_off. */
static int in_fill(thl_net_conn *c, size_t want, int64_t deadline, int timeout_ms, repl_error *err)
{
    int rc = in_reserve(c, want, err);
    while (rc == REPL_OK && c->in_len - c->in_off < want) {
        const int ready = thl_net_poll(c, POLLIN, remaining_ms(deadline));
        ssize_t n;
        if (ready < 0)
            return net_stopped(c, err);
        if (ready == 0)
            return repl_error_set(err, REPL_ERR_RETRY, "%s: nothing received from %s for %d ms",
                                  c->role, c->peer, timeout_ms);
        n = recv(c->fd, c->in + c->in_len, c->in_cap - c->in_len, 0);
        if (n == 0)
            return in_closed(c, c->in_len - c->in_off, want, err);
        if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
            return repl_error_sys(err, REPL_ERR_RETRY, errno, "%s: receive from %s", c->role,
                                  c->peer);
        if (n > 0)
            c->in_len += (size_t)n;
    }
    return rc;
}

static uint32_t load_u32be(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

static int frame_check_length(thl_net_conn *c, uint32_t len, repl_error *err)
{
    if (len < 5)
        return repl_error_set(
            err, REPL_ERR_CORRUPT,
            "%s: frame from %s: length %u is below the minimum 5 (truncated frame)", c->role,
            c->peer, len);
    if (len > c->max_frame)
        return repl_error_set(err, REPL_ERR_CORRUPT,
                              "%s: frame from %s: length %u exceeds the limit %u", c->role, c->peer,
                              len, c->max_frame);
    return REPL_OK;
}

static int frame_check_crc(thl_net_conn *c, const uint8_t *body, uint32_t len, repl_error *err)
{
    const uint32_t want = load_u32be(body + len - 4);
    const uint32_t got = repl_crc32c(0, body, len - 4);
    if (want == got)
        return REPL_OK;
    return repl_error_set(err, REPL_ERR_CORRUPT,
                          "%s: frame from %s: CRC mismatch (type %s, %u bytes: computed 0x%08x, "
                          "frame says 0x%08x)",
                          c->role, c->peer, thl_frame_type_name(body[0]), len, got, want);
}

int thl_net_read_frame(thl_net_conn *c, thl_net_frame *out, int timeout_ms, repl_error *err)
{
    const int64_t deadline = deadline_after(timeout_ms);
    const uint8_t *body;
    uint32_t len;
    int rc = in_fill(c, 4, deadline, timeout_ms, err);
    if (rc != REPL_OK)
        return rc;
    len = load_u32be(c->in + c->in_off);
    rc = frame_check_length(c, len, err);
    if (rc != REPL_OK)
        return rc;
    rc = in_fill(c, 4 + (size_t)len, deadline, timeout_ms, err);
    if (rc != REPL_OK)
        return rc;
    body = c->in + c->in_off + 4;
    rc = frame_check_crc(c, body, len, err);
    if (rc != REPL_OK)
        return rc;
    out->type = body[0];
    out->payload = body + 1;
    out->len = len - 5;
    c->in_off += 4 + (size_t)len;
    return REPL_OK;
}

int thl_net_pending_input(thl_net_conn *c)
{
    struct pollfd p = { .fd = c->fd, .events = POLLIN };
    if (c->in_len > c->in_off)
        return 1;
    return poll(&p, 1, 0) > 0 && (p.revents & (POLLIN | POLLHUP | POLLERR));
}

/* ---- writing ---- */

static void put_u32be(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* Send the iovecs completely within the deadline. */
static int send_all(thl_net_conn *c, struct iovec *iov, int iovcnt, int64_t deadline,
                    repl_error *err)
{
    while (iovcnt > 0) {
        struct msghdr m = { .msg_iov = iov, .msg_iovlen = (size_t)iovcnt };
        const ssize_t n = sendmsg(c->fd, &m, MSG_NOSIGNAL);
        size_t done;
        if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
            return repl_error_sys(err, REPL_ERR_RETRY, errno, "%s: send to %s", c->role, c->peer);
        if (n < 0) {
            const int ready = thl_net_poll(c, POLLOUT, remaining_ms(deadline));
            if (ready < 0)
                return net_stopped(c, err);
            if (ready == 0)
                return repl_error_set(err, REPL_ERR_RETRY,
                                      "%s: send to %s stalled (peer not reading)", c->role,
                                      c->peer);
            continue;
        }
        done = (size_t)n;
        while (iovcnt > 0 && done >= iov->iov_len) {
            done -= iov->iov_len;
            iov++;
            iovcnt--;
        }
        if (iovcnt > 0) {
            iov->iov_base = (uint8_t *)iov->iov_base + done;
            iov->iov_len -= done;
        }
    }
    return REPL_OK;
}

int thl_net_flush(thl_net_conn *c, int timeout_ms, repl_error *err)
{
    struct iovec iov = { .iov_base = c->out.data, .iov_len = c->out.len };
    int rc;
    if (c->out.len == 0)
        return REPL_OK;
    rc = send_all(c, &iov, 1, deadline_after(timeout_ms), err);
    repl_buf_clear(&c->out);
    return rc;
}

int thl_net_put_frame(thl_net_conn *c, uint8_t type, const void *payload, size_t len,
                      int timeout_ms, repl_error *err)
{
    uint8_t hdr[5];
    uint8_t tail[4];
    struct iovec iov[3];
    int rc;
    put_u32be(hdr, (uint32_t)(len + 5));
    hdr[4] = type;
    put_u32be(tail, repl_crc32c(repl_crc32c(0, &type, 1), payload, len));
    if (len < NET_DIRECT_SEND) {
        repl_buf_put(&c->out, hdr, sizeof(hdr));
        repl_buf_put(&c->out, payload, len);
        repl_buf_put(&c->out, tail, sizeof(tail));
        return c->out.len >= NET_DIRECT_SEND ? thl_net_flush(c, timeout_ms, err) : REPL_OK;
    }
    rc = thl_net_flush(c, timeout_ms, err);
    if (rc != REPL_OK)
        return rc;
    iov[0] = (struct iovec){ .iov_base = hdr, .iov_len = sizeof(hdr) };
    iov[1] = (struct iovec){ .iov_base = (void *)payload, .iov_len = len };
    iov[2] = (struct iovec){ .iov_base = tail, .iov_len = sizeof(tail) };
    return send_all(c, iov, 3, deadline_after(timeout_ms), err);
}

void thl_net_send_error(thl_net_conn *c, uint8_t kind, const char *msg)
{
    repl_buf b;
    repl_error ignored;
    repl_buf_init(&b);
    thl_error_encode(&b, kind, msg);
    if (thl_net_put_frame(c, THL_FRAME_ERROR, b.data, b.len, 200, &ignored) == REPL_OK)
        (void)thl_net_flush(c, 200, &ignored);
    repl_buf_dispose(&b);
}

int thl_net_error_from_frame(thl_net_conn *c, const thl_net_frame *f, repl_error *err)
{
    repl_rd r;
    uint8_t kind;
    uint16_t n;
    const uint8_t *msg;
    int code = REPL_ERR_CORRUPT;
    rd_init(&r, f->payload, f->len);
    kind = rd_u8(&r);
    n = rd_u16be(&r);
    msg = rd_take(&r, n);
    if (!rd_ok(&r))
        return repl_error_set(err, REPL_ERR_CORRUPT, "%s: malformed ERROR frame from %s", c->role,
                              c->peer);
    if (kind == THL_NET_ERR_REFUSED)
        code = REPL_ERR_INVALID;
    else if (kind == THL_NET_ERR_TRANSIENT)
        code = REPL_ERR_RETRY;
    else if (kind == THL_NET_ERR_MASTER)
        code = REPL_ERR_SOURCE;
    return repl_error_set(err, code, "%s: %s %s: %.*s", c->role, c->peer,
                          kind == THL_NET_ERR_REFUSED ? "refused" : "reported an error", (int)n,
                          (const char *)msg);
}
