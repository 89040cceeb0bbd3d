/* SPDX-License-Identifier: GPL-2.0-or-later */
/* thl/net.h - the THL network protocol (DESIGN.md section 5, docs/thl-protocol.md): a master's
 * thl-server streams the records of its THL, byte for byte as stored, to the thl-clients of its
 * slaves, which verify and append them to their own THL and acknowledge what they have made
 * durable.
 *
 * Server: one accept thread plus one thread per connected slave, all joined by thl_server_close.
 * Client: runs in the caller's thread (the slave's fetch stage, the writer of its THL); the caller
 * reconnects with thl_backoff_next_ms when a run ends with REPL_ERR_RETRY. Both sides can be
 * stopped promptly from any thread through a thl_net_stop token. Knows the record format only
 * through thl/record.h and the store only through thl/log.h. TLS is not implemented (see the
 * protocol doc). */
#ifndef THL_NET_H
#define THL_NET_H

#include <stddef.h>
#include <stdint.h>

#include "replicator/base/error.h"
#include "thl/log.h"

#define THL_NET_PROTOCOL_VERSION 1
#define THL_NET_DEFAULT_PORT     2112

/* ---- stop token ------------------------------------------------------------------------------ */

/** A one-shot latch that wakes every blocking call of the server or client watching it (an eventfd
 * polled next to the socket). Signal and test from any thread. */
typedef struct thl_net_stop thl_net_stop;

/** New unsignalled token. REPL_ERR_IO if no eventfd can be created. */
int thl_net_stop_new(thl_net_stop **out, repl_error *err);
/** Signal the token (idempotent, async-signal-safe). */
void thl_net_stop_signal(thl_net_stop *stop);
/** 1 once signalled. */
int thl_net_stop_is_set(const thl_net_stop *stop);
/** Sleep up to ms milliseconds or until the token is signalled; returns 1 if signalled. Use it for
 * the reconnect backoff so a stop request does not wait for the backoff to end. */
int thl_net_stop_wait(const thl_net_stop *stop, int ms);
/** Free the token; nobody may be watching it any more. NULL is a no-op. */
void thl_net_stop_free(thl_net_stop *stop);

/** Reconnect delay before attempt number `attempt` (0 = first retry): 100 ms doubling up to 10 s,
 * with jitter (a random value between 75% and 100% of that). Thread-safe. */
int thl_backoff_next_ms(unsigned attempt);

/** SHA-256 (FIPS 180-4) of len bytes, as used by the handshake; exposed for tests. */
void thl_net_sha256(uint8_t out[32], const void *data, size_t len);
/** HMAC-SHA256 (RFC 2104): the handshake's proof of the shared secret; exposed for tests. */
void thl_net_hmac_sha256(uint8_t out[32], const void *key, size_t key_len, const void *msg,
                         size_t msg_len);

/* ---- server ---------------------------------------------------------------------------------- */

typedef struct thl_server thl_server;

typedef struct thl_server_options {
    const char *listen;    /* "host:port", "thl://host:port", ":port" or "*:port" (all interfaces);
                              port 0 picks an ephemeral port (see thl_server_port) */
    const char *service;   /* slaves must name this service; NULL or "" accepts any name */
    const char *secret;    /* shared secret; NULL or "" = no authentication */
    uint32_t heartbeat_ms; /* HEARTBEAT after this long without sending; default 1000 */
    uint32_t max_clients;  /* further slaves are refused (transient error); default 32 */
    uint32_t timeout_ms;   /* handshake read bound, send stall bound, and how long a slave may stay
                              silent (at least 3 heartbeats); default 30000 */
} thl_server_options;

/** Defaults: listen ":2112", no service check, no secret, heartbeat 1000 ms, 32 clients, 30 s. */
void thl_server_options_init(thl_server_options *opts);

/** Bind, listen and start the accept thread. The log is borrowed and must outlive the server; the
 * server only reads it (cursors and record reads, safe beside the log's writer). Option strings are
 * copied. REPL_ERR_INVALID for a bad address, REPL_ERR_IO if it cannot bind ("thl-server: bind
 * 127.0.0.1:2112: Address already in use"). */
int thl_server_open(thl_server **out, const thl_server_options *opts, thl_log *log,
                    repl_error *err);
/** Stop accepting, tell connected slaves the master is shutting down, join every thread, close
 * every socket. Returns within about 100 ms, plus up to 200 ms per slave that does not read (the
 * ERROR frame's send bound). NULL is a no-op. */
void thl_server_close(thl_server *server);
/** The bound TCP port (useful with port 0). */
uint16_t thl_server_port(const thl_server *server);

/** One connected slave, as seen by the server (for trepctl status). */
typedef struct thl_server_client {
    char peer[80];              /* "10.0.0.7:51234" */
    char service[128];          /* service the slave named */
    int has_acked;              /* the slave holds a position (stated at connect or acknowledged) */
    uint64_t acked_seqno;       /* highest seqno the slave has made durable */
    uint64_t start_seqno;       /* first seqno the server sent it in this session */
    int has_sent;               /* at least one complete transaction sent */
    uint64_t sent_seqno;        /* last complete seqno sent */
    int64_t connected_since_us; /* wall clock */
    int64_t last_ack_us;        /* wall clock of the last ACK (0 = none yet) */
} thl_server_client;

/** Snapshot of the slaves connected now (handshake done). *out is repl_malloc'ed (NULL when none);
 * free it with repl_free. Returns the count. Thread-safe. */
size_t thl_server_clients(thl_server *server, thl_server_client **out);

/** Retention bound: the lowest seqno some connected slave still needs, i.e. the minimum over
 * connected slaves of (acked seqno + 1), or of the first seqno it was sent if it holds nothing yet.
 * Returns 1 and sets *out_seqno when a slave is connected, 0 (out untouched) when none. Purging
 * below *out_seqno never removes what a connected slave still needs. Thread-safe. */
int thl_server_min_needed(thl_server *server, uint64_t *out_seqno);

/** The error that ended the most recent slave session that ended in error (refusal, lost
 * connection, read failure), and the number of such sessions so far. *out is REPL_OK when none.
 * Thread-safe. */
uint64_t thl_server_last_error(thl_server *server, repl_error *out);

/* ---- client ---------------------------------------------------------------------------------- */

typedef struct thl_client thl_client;

typedef struct thl_client_options {
    const char *uri;             /* "thl://host:port" or "host:port"; port defaults to 2112 */
    const char *service;         /* service name sent to the master (NULL or "" = none) */
    const char *secret;          /* shared secret; NULL or "" = none */
    int force;                   /* ask the master to skip the divergence check (documented) */
    uint32_t connect_timeout_ms; /* default 5000 */
    uint32_t timeout_ms;   /* handshake read bound, send stall bound, and how long the master may
                              stay silent (at least 3 heartbeats); default 30000 */
    uint32_t commit_every; /* commit after this many records even while more are buffered;
                              default 1000 */
    thl_net_stop *stop;    /* borrowed stop token watched by open and run; NULL = the client
                              makes its own (thl_client_stop signals whichever is used) */
    /* When the local log is empty, state this position instead of "none" (a slave restored from a
     * backup holds the data up to it): the master checks it like a stored one and sends what
     * follows. The empty log must accept the first seqno sent (thl_log_reset). */
    int has_start_after;
    uint64_t start_after_seqno;
    uint64_t start_after_epoch;
    const char *start_after_event_id;
} thl_client_options;

/** Defaults: no uri, no service, no secret, no force, 5 s connect, 30 s timeout, commit every 1000.
 */
void thl_client_options_init(thl_client_options *opts);

/** Connect to the master and do the handshake, stating the last complete transaction of log (its
 * seqno, epoch and event_id, or "none" when it is empty). The log is borrowed; the caller's thread
 * is its writer. Returns REPL_ERR_RETRY when the master cannot be reached or the connection drops
 * (retry with backoff), REPL_ERR_INVALID when the master refuses (divergence, slave ahead, purged
 * position, wrong secret, service mismatch, version), the message carrying the master's text,
 * REPL_ERR_CORRUPT on a malformed frame. When opts->stop is signalled meanwhile, returns
 * REPL_ERR_RETRY promptly (the caller checks its token). First removes committed fragments of an
 * incomplete transaction from the log (thl_log_discard_incomplete): the master resends that
 * transaction whole. */
int thl_client_open(thl_client **out, const thl_client_options *opts, thl_log *log,
                    repl_error *err);

/** Receive records until stopped or an error: each record's header and CRC are verified
 * (thl_record_parse_header), its (seqno, fragno) must follow the previous one, it is appended with
 * thl_log_append_record; the log is committed when no more data is waiting on the socket or after
 * commit_every records, and the highest complete seqno committed is then acknowledged. Returns
 * REPL_OK when stopped, REPL_ERR_RETRY when the connection is lost or the master is silent too long
 * or shuts down, REPL_ERR_CORRUPT on a bad frame or record (nothing after the last good record is
 * appended), REPL_ERR_SOURCE when the master reports a failure of its own, or the log's error.
 * Records received before an error are committed. */
int thl_client_run(thl_client *client, repl_error *err);

/** Ask open/run to return promptly; safe from any thread, before or during run. */
void thl_client_stop(thl_client *client);
/** 1 if the stop token was signalled. */
int thl_client_stopped(const thl_client *client);
/** Close the connection and free the client (after run has returned). NULL is a no-op. */
void thl_client_close(thl_client *client);

/** What the client knows, for trepctl status. Thread-safe. */
typedef struct thl_client_status {
    char master[80];           /* peer address */
    uint64_t start_seqno;      /* first seqno asked for in this session */
    int has_received;          /* a complete transaction was received in this session */
    uint64_t received_seqno;   /* last complete seqno received */
    int has_acked;             /* an ACK was sent in this session */
    uint64_t acked_seqno;      /* last seqno acknowledged (committed) */
    int master_empty;          /* as of the last ACCEPT or HEARTBEAT */
    uint64_t master_max_seqno; /* master's highest complete seqno, from ACCEPT or HEARTBEAT */
    int64_t master_clock_us;   /* master's wall clock in its last HEARTBEAT (0 = none yet) */
    int64_t last_frame_us;     /* local wall clock when the last frame arrived */
} thl_client_status;

void thl_client_status_get(thl_client *client, thl_client_status *out);

#endif
