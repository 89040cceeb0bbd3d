/* SPDX-License-Identifier: GPL-2.0-or-later */
/* thl/net_addr.c - addresses and sockets for the THL protocol: parse "thl://host:port", bind a
 * listening socket, connect with a bound wait that wakes on the stop token, format peer names, and
 * random bytes for nonces and jitter. No frames, no threads. */
#include "thl/net_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include "replicator/base/clock.h"

static int addr_bad(repl_error *err, const char *addr, const char *why)
{
    return repl_error_set(err, REPL_ERR_INVALID, "thl-net: address '%s': %s", addr, why);
}

static int addr_port(uint16_t *port, const char *s, const char *addr, repl_error *err)
{
    char *end = NULL;
    unsigned long v;
    if (*s == '\0')
        return addr_bad(err, addr, "empty port");
    errno = 0;
    v = strtoul(s, &end, 10);
    if (errno != 0 || *end != '\0' || v > 65535 || *s == '-' || *s == '+')
        return addr_bad(err, addr, "port must be a number from 0 to 65535");
    *port = (uint16_t)v;
    return REPL_OK;
}

int thl_net_addr_parse(char *host, size_t host_len, uint16_t *port, const char *addr,
                       repl_error *err)
{
    const char *p = addr;
    const char *colon;
    size_t n;
    if (addr == NULL || *addr == '\0')
        return addr_bad(err, "", "empty");
    if (strncmp(p, "thl://", 6) == 0)
        p += 6;
    *port = THL_NET_DEFAULT_PORT;
    if (*p == '[') {
        const char *close = strchr(p, ']');
        if (close == NULL || (close[1] != '\0' && close[1] != ':'))
            return addr_bad(err, addr, "unterminated [IPv6] host");
        n = (size_t)(close - p - 1);
        p++;
        colon = close[1] == ':' ? close + 1 : NULL;
    } else {
        colon = strrchr(p, ':');
        n = colon ? (size_t)(colon - p) : strlen(p);
    }
    if (n >= host_len)
        return addr_bad(err, addr, "host name too long");
    memcpy(host, p, n);
    host[n] = '\0';
    if (strchr(host, '/') != NULL)
        return addr_bad(err, addr, "expected host:port");
    return colon ? addr_port(port, colon + 1, addr, err) : REPL_OK;
}

void thl_net_addr_format(char *out, size_t out_len, const void *sockaddr, unsigned addr_len)
{
    char host[INET6_ADDRSTRLEN] = "?";
    const struct sockaddr *sa = sockaddr;
    unsigned port = 0;
    (void)addr_len;
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *in = sockaddr;
        inet_ntop(AF_INET, &in->sin_addr, host, sizeof(host));
        port = ntohs(in->sin_port);
        snprintf(out, out_len, "%s:%u", host, port);
        return;
    }
    if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = sockaddr;
        inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof(host));
        port = ntohs(in6->sin6_port);
    }
    snprintf(out, out_len, "[%s]:%u", host, port);
}

static int addr_resolve(struct addrinfo **out, const char *host, uint16_t port, int passive,
                        repl_error *err)
{
    struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_family = AF_UNSPEC };
    char service[8];
    const char *h = (*host == '\0' || strcmp(host, "*") == 0) ? NULL : host;
    int rc;
    hints.ai_flags = passive ? AI_PASSIVE : AI_ADDRCONFIG;
    snprintf(service, sizeof(service), "%u", (unsigned)port);
    rc = getaddrinfo(h, service, &hints, out);
    if (rc != 0)
        return repl_error_set(err, passive ? REPL_ERR_INVALID : REPL_ERR_RETRY,
                              "thl-net: resolve %s:%u: %s", host, (unsigned)port, gai_strerror(rc));
    return REPL_OK;
}

static void sock_tune(int fd)
{
    const int one = 1;
    (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    (void)setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
}

static int listen_one(const struct addrinfo *ai, int *out_fd, repl_error *err, const char *addr)
{
    const int one = 1;
    const int fd =
        socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, ai->ai_protocol);
    if (fd < 0)
        return repl_error_sys(err, REPL_ERR_IO, errno, "thl-server: socket for %s", addr);
    (void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (bind(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
        const int e = errno;
        close(fd);
        return repl_error_sys(err, REPL_ERR_IO, e, "thl-server: bind %s", addr);
    }
    if (listen(fd, 64) != 0) {
        const int e = errno;
        close(fd);
        return repl_error_sys(err, REPL_ERR_IO, e, "thl-server: listen on %s", addr);
    }
    *out_fd = fd;
    return REPL_OK;
}

int thl_net_listen(int *out_fd, uint16_t *out_port, const char *addr, repl_error *err)
{
    char host[256];
    uint16_t port;
    struct addrinfo *ai = NULL;
    struct sockaddr_storage ss;
    socklen_t ss_len = sizeof(ss);
    int fd = -1;
    int rc = thl_net_addr_parse(host, sizeof(host), &port, addr, err);
    *out_fd = -1;
    if (rc != REPL_OK)
        goto cleanup;
    rc = addr_resolve(&ai, host, port, 1, err);
    if (rc != REPL_OK)
        goto cleanup;
    rc = listen_one(ai, &fd, err, addr);
    if (rc != REPL_OK)
        goto cleanup;
    if (getsockname(fd, (struct sockaddr *)&ss, &ss_len) != 0) {
        rc = repl_error_sys(err, REPL_ERR_IO, errno, "thl-server: getsockname %s", addr);
        goto cleanup;
    }
    *out_port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                               : ((struct sockaddr_in *)&ss)->sin_port);
    *out_fd = fd;
    fd = -1;
cleanup:
    if (fd >= 0)
        close(fd);
    if (ai != NULL)
        freeaddrinfo(ai);
    return rc;
}

/* Wait for a non-blocking connect to finish; REPL_OK when connected. */
static int connect_wait(int fd, const char *peer, int timeout_ms, int stop_fd, repl_error *err)
{
    struct pollfd p[2] = { { .fd = fd, .events = POLLOUT }, { .fd = stop_fd, .events = POLLIN } };
    int so_err = 0;
    socklen_t len = sizeof(so_err);
    int rc;
    do {
        rc = poll(p, stop_fd >= 0 ? 2 : 1, timeout_ms);
    } while (rc < 0 && errno == EINTR);
    if (stop_fd >= 0 && (p[1].revents & POLLIN))
        return repl_error_set(err, REPL_ERR_RETRY, "thl-client: connect to %s: stopped", peer);
    if (rc == 0)
        return repl_error_set(err, REPL_ERR_RETRY,
                              "thl-client: connect to %s: timed out after %d ms", peer, timeout_ms);
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &so_err, &len) != 0)
        so_err = errno;
    if (so_err != 0)
        return repl_error_sys(err, REPL_ERR_RETRY, so_err, "thl-client: connect to %s", peer);
    return REPL_OK;
}

static int connect_one(const struct addrinfo *ai, int *out_fd, const char *peer, int timeout_ms,
                       int stop_fd, repl_error *err)
{
    int rc = REPL_OK;
    const int fd =
        socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, ai->ai_protocol);
    if (fd < 0)
        return repl_error_sys(err, REPL_ERR_IO, errno, "thl-client: socket for %s", peer);
    if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
        if (errno != EINPROGRESS)
            rc = repl_error_sys(err, REPL_ERR_RETRY, errno, "thl-client: connect to %s", peer);
        else
            rc = connect_wait(fd, peer, timeout_ms, stop_fd, err);
    }
    if (rc != REPL_OK) {
        close(fd);
        return rc;
    }
    sock_tune(fd);
    *out_fd = fd;
    return REPL_OK;
}

static int stop_set(int stop_fd)
{
    struct pollfd p = { .fd = stop_fd, .events = POLLIN };
    return stop_fd >= 0 && poll(&p, 1, 0) > 0;
}

int thl_net_connect(int *out_fd, char *peer, size_t peer_len, const char *uri, int timeout_ms,
                    int stop_fd, repl_error *err)
{
    char host[256];
    uint16_t port;
    struct addrinfo *ai = NULL;
    int rc = thl_net_addr_parse(host, sizeof(host), &port, uri, err);
    *out_fd = -1;
    if (rc != REPL_OK)
        return rc;
    snprintf(peer, peer_len, "%s:%u", host, (unsigned)port);
    rc = addr_resolve(&ai, host, port, 0, err);
    if (rc != REPL_OK)
        return rc;
    rc = REPL_ERR_RETRY;
    for (const struct addrinfo *a = ai; a != NULL && rc != REPL_OK; a = a->ai_next) {
        thl_net_addr_format(peer, peer_len, a->ai_addr, (unsigned)a->ai_addrlen);
        rc = connect_one(a, out_fd, peer, timeout_ms, stop_fd, err);
        if (rc != REPL_OK && stop_set(stop_fd))
            break;
    }
    freeaddrinfo(ai);
    return rc;
}

void thl_net_random(void *buf, size_t len)
{
    uint8_t *p = buf;
    size_t done = 0;
    while (done < len) {
        const ssize_t n = getrandom(p + done, len - done, 0);
        if (n > 0) {
            done += (size_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        break;
    }
    /* getrandom cannot fail on Linux >= 3.17 once the pool is ready; keep a weak fallback anyway.
     */
    for (uint64_t x = (uint64_t)repl_clock_now_us() ^ (uint64_t)getpid(); done < len; done++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        p[done] = (uint8_t)x;
    }
}
