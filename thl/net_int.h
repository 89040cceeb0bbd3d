/* SPDX-License-Identifier: GPL-2.0-or-later */
/* thl/net_int.h - private to thl/net*.c: the frame layer (framing, CRC, bounded buffers, socket I/O
 * with timeouts and the stop token), the frame payload codecs, addresses, and SHA-256/HMAC for the
 * shared-secret handshake. Byte layouts are in docs/thl-protocol.md. No other file may include it.
 */
#ifndef THL_NET_INT_H
#define THL_NET_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "replicator/base/buf.h"
#include "replicator/base/error.h"
#include "thl/net.h"

#define THL_NET_MAGIC          "TREP"
#define THL_NET_NONCE_LEN      32
#define THL_NET_PROOF_LEN      32
#define THL_NET_FRAME_OVERHEAD 9u           /* u32 length + u8 type + u32 crc */
#define THL_NET_CTRL_MAX       (64u * 1024) /* bound on the length field of any non-RECORD frame */
#define THL_NET_RECORD_MAX     (THL_RECORD_MAX_BYTES + 5u) /* length field bound for RECORD frames */
#define THL_NET_SVC_MAX        127
#define THL_NET_ERRMSG_MAX     1024
#define THL_NET_SLICE_MS       100 /* longest uninterruptible wait (cursor waits) */
#define THL_NET_COMPONENT      "thl-net"

/* frame types */
enum {
    THL_FRAME_HELLO = 0x01,        /* server -> client, first frame */
    THL_FRAME_CLIENT_HELLO = 0x02, /* client -> server */
    THL_FRAME_ACCEPT = 0x03,       /* server -> client, handshake accepted */
    THL_FRAME_RECORD = 0x04,       /* server -> client, one THL record */
    THL_FRAME_HEARTBEAT = 0x05,    /* server -> client when idle */
    THL_FRAME_ACK = 0x06,          /* client -> server */
    THL_FRAME_ERROR = 0x07         /* either way, then close */
};

/* ERROR frame kinds and what the receiver returns */
enum {
    THL_NET_ERR_REFUSED = 1,   /* REPL_ERR_INVALID: do not retry as is */
    THL_NET_ERR_TRANSIENT = 2, /* REPL_ERR_RETRY: shutting down, too many slaves */
    THL_NET_ERR_PROTOCOL = 3,  /* REPL_ERR_CORRUPT: the receiver sent a malformed frame */
    THL_NET_ERR_MASTER = 4 /* REPL_ERR_SOURCE: the master failed (e.g. its own log is corrupt) */
};

#define THL_HELLO_AUTH      0x01u /* HELLO flags: a shared secret is required */
#define THL_CHELLO_POSITION 0x01u /* CLIENT_HELLO flags: the slave holds a position */
#define THL_CHELLO_FORCE    0x02u /* CLIENT_HELLO flags: skip the divergence check */
#define THL_ACCEPT_EMPTY    0x01u /* ACCEPT / HEARTBEAT flags: the master's THL is empty */
#define THL_ACK_SEQNO       0x01u /* ACK flags: seqno is set (else a keepalive) */

/* ---- connection and frames (net_io.c) ---- */

typedef struct thl_net_conn {
    int fd;
    int stop_fd;        /* eventfd of the stop token, polled beside fd */
    int stopped;        /* set when an I/O call returned because of the stop token */
    const char *role;   /* "thl-server" or "thl-client", first word of messages */
    char peer[80];      /* "host:port" of the other side */
    uint32_t max_frame; /* bound on the length field of incoming frames */
    uint8_t *in;        /* received bytes: [in_off, in_len) not yet consumed */
    size_t in_cap;
    size_t in_off;
    size_t in_len;
    repl_buf out; /* frames queued for sending */
} thl_net_conn;

typedef struct thl_net_frame {
    uint8_t type;
    const uint8_t *payload; /* points into the connection's buffer: valid until the next read */
    size_t len;
} thl_net_frame;

void thl_net_conn_init(thl_net_conn *c, int fd, int stop_fd, const char *role, const char *peer);
/** Closes the socket and frees the buffers. */
void thl_net_conn_dispose(thl_net_conn *c);
/** Read one frame, waiting at most timeout_ms (-1 = forever) for it to complete. */
int thl_net_read_frame(thl_net_conn *c, thl_net_frame *out, int timeout_ms, repl_error *err);
/** 1 if a frame (or part of one) is buffered or the socket has bytes waiting. */
int thl_net_pending_input(thl_net_conn *c);
/** Queue a frame; large payloads are sent at once (flushing first), within timeout_ms. */
int thl_net_put_frame(thl_net_conn *c, uint8_t type, const void *payload, size_t len,
                      int timeout_ms, repl_error *err);
/** Send every queued byte within timeout_ms. */
int thl_net_flush(thl_net_conn *c, int timeout_ms, repl_error *err);
/** Best-effort ERROR frame (short timeout, errors ignored). */
void thl_net_send_error(thl_net_conn *c, uint8_t kind, const char *msg);
/** Turn a received ERROR frame into err: "<role>: <peer> refused: <msg>" with the kind's code. */
int thl_net_error_from_frame(thl_net_conn *c, const thl_net_frame *f, repl_error *err);
/** Poll fd for events plus the stop fd; returns 1 ready, 0 timeout, -1 stopped (c->stopped set). */
int thl_net_poll(thl_net_conn *c, short events, int timeout_ms);

/* ---- addresses and sockets (net_addr.c) ---- */

/** Split "thl://host:port", "host:port", "[v6]:port", ":port" or "host" (port 2112). */
int thl_net_addr_parse(char *host, size_t host_len, uint16_t *port, const char *addr,
                       repl_error *err);
/** "host:port" of a socket address ("[v6]:port" for IPv6). */
void thl_net_addr_format(char *out, size_t out_len, const void *sockaddr, unsigned addr_len);
/** Bound listening socket. */
int thl_net_listen(int *out_fd, uint16_t *out_port, const char *addr, repl_error *err);
/** Non-blocking connect within timeout_ms, watching stop_fd. */
int thl_net_connect(int *out_fd, char *peer, size_t peer_len, const char *uri, int timeout_ms,
                    int stop_fd, repl_error *err);
/** Fill buf with random bytes (getrandom; clock-based fallback). */
void thl_net_random(void *buf, size_t len);
/** The eventfd of a stop token. */
int thl_net_stop_fd(const thl_net_stop *stop);

/* ---- frame payloads (net_proto.c) ---- */

typedef struct thl_hello {
    uint16_t min_version;
    uint16_t max_version;
    uint8_t flags;
    uint8_t nonce[THL_NET_NONCE_LEN];
    char service[THL_NET_SVC_MAX + 1];
} thl_hello;

typedef struct thl_client_hello {
    uint16_t version;
    uint8_t flags;
    uint64_t last_seqno;
    uint64_t epoch;
    uint8_t nonce[THL_NET_NONCE_LEN];
    uint8_t proof_len;
    uint8_t proof[THL_NET_PROOF_LEN];
    char service[THL_NET_SVC_MAX + 1];
    uint16_t event_id_len;
    char event_id[THL_ID_MAX + 1];
} thl_client_hello;

typedef struct thl_accept {
    uint64_t start_seqno;
    uint32_t heartbeat_ms;
    uint8_t flags;
    uint64_t min_seqno;
    uint64_t max_seqno;
    uint8_t proof_len;
    uint8_t proof[THL_NET_PROOF_LEN];
} thl_accept;

typedef struct thl_heartbeat {
    uint8_t flags;
    uint64_t max_seqno;
    int64_t clock_us;
} thl_heartbeat;

void thl_hello_encode(repl_buf *out, const thl_hello *h);
int thl_hello_decode(thl_hello *out, const thl_net_frame *f, const char *peer, repl_error *err);
void thl_client_hello_encode(repl_buf *out, const thl_client_hello *h);
int thl_client_hello_decode(thl_client_hello *out, const thl_net_frame *f, const char *peer,
                            repl_error *err);
void thl_accept_encode(repl_buf *out, const thl_accept *a);
int thl_accept_decode(thl_accept *out, const thl_net_frame *f, const char *peer, repl_error *err);
void thl_heartbeat_encode(repl_buf *out, const thl_heartbeat *h);
int thl_heartbeat_decode(thl_heartbeat *out, const thl_net_frame *f, const char *peer,
                         repl_error *err);
void thl_ack_encode(repl_buf *out, int has_seqno, uint64_t seqno);
int thl_ack_decode(int *has_seqno, uint64_t *out, const thl_net_frame *f, const char *peer,
                   repl_error *err);
void thl_error_encode(repl_buf *out, uint8_t kind, const char *msg);
const char *thl_frame_type_name(uint8_t type);

/* ---- SHA-256 and HMAC-SHA256 (net_sha256.c, FIPS 180-4 / RFC 2104) ---- */

typedef struct thl_sha256 {
    uint32_t h[8];
    uint64_t total;
    uint8_t block[64];
    size_t fill;
} thl_sha256;

void thl_sha256_init(thl_sha256 *s);
void thl_sha256_update(thl_sha256 *s, const void *data, size_t len);
void thl_sha256_final(thl_sha256 *s, uint8_t out[32]);
/** Handshake proof: HMAC-SHA256(secret, label || first_nonce || second_nonce). */
void thl_net_proof(uint8_t out[THL_NET_PROOF_LEN], const char *secret, const char *label,
                   const uint8_t *first_nonce, const uint8_t *second_nonce);
/** Constant-time comparison of two proofs; 1 if equal. */
int thl_net_proof_equal(const uint8_t *a, const uint8_t *b);

/* ---- server internals (net_server.c, net_handshake.c) ---- */

/** One slave session; the thread owns net; info and ready are guarded by srv->mu. */
typedef struct thl_srv_conn {
    thl_server *srv;
    thl_net_conn net;
    pthread_t thread;
    atomic_int done;           /* set by the session thread as its last act: reap may join */
    int ready;                 /* handshake accepted: listed in snapshots */
    thl_server_client info;    /* guarded by srv->mu */
    struct thl_srv_conn *next; /* guarded by srv->mu */
} thl_srv_conn;

struct thl_server {
    char *listen; /* option copies; read-only after open */
    char *service;
    char *secret;
    uint32_t heartbeat_ms;
    uint32_t max_clients;
    uint32_t timeout_ms;
    thl_log *log; /* borrowed */
    int listen_fd;
    uint16_t port;
    thl_net_stop *stop;
    pthread_t accept_thread;
    int accept_started;
    pthread_mutex_t mu;
    thl_srv_conn *conns;   /* guarded by mu; sessions are added by the accept thread */
    repl_error last_error; /* guarded by mu */
    uint64_t n_errors;     /* guarded by mu */
};

/** Handshake of one session: HELLO, CLIENT_HELLO, checks, ACCEPT; sets *start (first seqno to send)
 * and registers the session (ready). Refusals send an ERROR frame. */
int thl_srv_handshake(thl_srv_conn *c, uint64_t *start, repl_error *err);
/** Format a refusal into err ("thl-server: slave P refused: MSG") and send MSG in an ERROR frame.
 */
int thl_srv_refuse(thl_srv_conn *c, uint8_t kind, int code, repl_error *err, const char *fmt, ...)
    REPL_PRINTF(5, 6);
/** The log failed while serving a slave: tell the slave (ERROR kind MASTER) and return err's code.
 */
int thl_srv_log_failed(thl_srv_conn *c, repl_error *err);

#endif
