/* SPDX-License-Identifier: GPL-2.0-or-later */
/* thl/net_client.c - the slave's thl-client: connect to a master's thl-server, state the position
 * of the local THL, then receive records, verify each (header, CRC, seqno continuity), append it as
 * is with thl_log_append_record, commit and acknowledge. Runs in the caller's thread, which must be
 * the local log's only writer; reconnection and backoff belong to the caller. Only the status and
 * the stop token are touched from other threads. */
#include "thl/net_int.h"

#include <stdio.h>
#include <string.h>

#include "replicator/base/clock.h"
#include "replicator/base/log.h"
#include "replicator/base/mem.h"

#define CLI_CLIENT_LABEL "trep-thl-client"
#define CLI_SERVER_LABEL "trep-thl-server"

struct thl_client {
    char *uri; /* option copies */
    char *service;
    char *secret;
    int force;
    int has_start_after; /* position stated when the log is empty */
    uint64_t start_after_seqno;
    uint64_t start_after_epoch;
    char *start_after_event_id;
    uint32_t connect_timeout_ms;
    uint32_t timeout_ms;
    uint32_t commit_every;
    thl_log *log; /* borrowed; this thread is its writer */
    thl_net_stop *stop;
    int own_stop;
    thl_net_conn net;
    uint32_t heartbeat_ms;
    uint64_t start_seqno;
    int has_position; /* the local log held a transaction at connect */
    int have_prev;    /* continuity: the previous record received */
    uint64_t prev_seqno;
    uint16_t prev_fragno;
    int prev_last;
    int has_complete; /* last complete seqno appended (committed or not) */
    uint64_t complete_seqno;
    pthread_mutex_t mu;
    thl_client_status status; /* guarded by mu */
};

void thl_client_options_init(thl_client_options *opts)
{
    memset(opts, 0, sizeof(*opts));
    opts->connect_timeout_ms = 5000;
    opts->timeout_ms = 30000;
    opts->commit_every = 1000;
}

/* ---- handshake ---- */

static int cli_read(thl_client *c, uint8_t want, thl_net_frame *f, repl_error *err)
{
    int rc = thl_net_read_frame(&c->net, f, (int)c->timeout_ms, err);
    if (rc != REPL_OK)
        return rc;
    if (f->type == THL_FRAME_ERROR)
        return thl_net_error_from_frame(&c->net, f, err);
    if (f->type != want)
        return repl_error_set(err, REPL_ERR_CORRUPT,
                              "thl-client: master %s sent a %s frame, expected %s", c->net.peer,
                              thl_frame_type_name(f->type), thl_frame_type_name(want));
    return REPL_OK;
}

static int cli_check_hello(thl_client *c, const thl_hello *h, repl_error *err)
{
    if (h->min_version > THL_NET_PROTOCOL_VERSION || h->max_version < THL_NET_PROTOCOL_VERSION)
        return repl_error_set(err, REPL_ERR_INVALID,
                              "thl-client: master %s speaks protocol versions %u to %u, this slave "
                              "speaks %u",
                              c->net.peer, h->min_version, h->max_version,
                              THL_NET_PROTOCOL_VERSION);
    if (c->secret[0] != '\0' && !(h->flags & THL_HELLO_AUTH))
        return repl_error_set(err, REPL_ERR_INVALID,
                              "thl-client: master %s does not require the shared secret this slave "
                              "has; configure the same secret on both",
                              c->net.peer);
    return REPL_OK;
}

static int cli_fill_hello(thl_client *c, thl_client_hello *ch, const thl_hello *h, repl_error *err)
{
    thl_log_state st;
    /* Fragments of a transaction cut short by a lost connection: the master resends it whole. */
    int rc = thl_log_discard_incomplete(c->log, err);
    if (rc == REPL_OK)
        rc = thl_log_state_get(c->log, &st, err);
    if (rc != REPL_OK)
        return rc;
    if (st.empty && c->has_start_after) {
        st.empty = 0;
        st.max_seqno = c->start_after_seqno;
        st.last_epoch = c->start_after_epoch;
        snprintf(st.last_event_id, sizeof(st.last_event_id), "%s", c->start_after_event_id);
    }
    ch->version = THL_NET_PROTOCOL_VERSION;
    ch->flags = (st.empty ? 0 : THL_CHELLO_POSITION) | (c->force ? THL_CHELLO_FORCE : 0);
    ch->last_seqno = st.empty ? 0 : st.max_seqno;
    ch->epoch = st.empty ? 0 : st.last_epoch;
    ch->event_id_len = st.empty ? 0 : (uint16_t)strnlen(st.last_event_id, THL_ID_MAX);
    memcpy(ch->event_id, st.last_event_id, ch->event_id_len);
    snprintf(ch->service, sizeof(ch->service), "%s", c->service);
    thl_net_random(ch->nonce, sizeof(ch->nonce));
    if (c->secret[0] != '\0') {
        ch->proof_len = THL_NET_PROOF_LEN;
        thl_net_proof(ch->proof, c->secret, CLI_CLIENT_LABEL, h->nonce, ch->nonce);
    }
    c->has_position = !st.empty;
    return REPL_OK;
}

static int cli_send_hello(thl_client *c, const thl_client_hello *ch, repl_error *err)
{
    repl_buf b;
    int rc;
    repl_buf_init(&b);
    thl_client_hello_encode(&b, ch);
    rc = thl_net_put_frame(&c->net, THL_FRAME_CLIENT_HELLO, b.data, b.len, (int)c->timeout_ms, err);
    if (rc == REPL_OK)
        rc = thl_net_flush(&c->net, (int)c->timeout_ms, err);
    repl_buf_dispose(&b);
    return rc;
}

static int cli_accepted(thl_client *c, const thl_client_hello *ch, const thl_hello *h,
                        const thl_accept *a, repl_error *err)
{
    uint8_t want[THL_NET_PROOF_LEN];
    if (c->secret[0] != '\0') {
        thl_net_proof(want, c->secret, CLI_SERVER_LABEL, ch->nonce, h->nonce);
        if (a->proof_len != THL_NET_PROOF_LEN || !thl_net_proof_equal(want, a->proof))
            return repl_error_set(err, REPL_ERR_INVALID,
                                  "thl-client: master %s failed to prove the shared secret",
                                  c->net.peer);
    }
    c->start_seqno = a->start_seqno;
    c->heartbeat_ms = a->heartbeat_ms;
    pthread_mutex_lock(&c->mu);
    snprintf(c->status.master, sizeof(c->status.master), "%s", c->net.peer);
    c->status.start_seqno = a->start_seqno;
    c->status.master_empty = (a->flags & THL_ACCEPT_EMPTY) != 0;
    c->status.master_max_seqno = a->max_seqno;
    c->status.last_frame_us = repl_clock_now_us();
    pthread_mutex_unlock(&c->mu);
    return REPL_OK;
}

static int cli_handshake(thl_client *c, repl_error *err)
{
    thl_net_frame f;
    thl_hello h;
    thl_accept a;
    thl_client_hello *ch = repl_calloc(1, sizeof(*ch));
    int rc = cli_read(c, THL_FRAME_HELLO, &f, err);
    if (rc == REPL_OK)
        rc = thl_hello_decode(&h, &f, c->net.peer, err);
    if (rc == REPL_OK)
        rc = cli_check_hello(c, &h, err);
    if (rc == REPL_OK)
        rc = cli_fill_hello(c, ch, &h, err);
    if (rc == REPL_OK)
        rc = cli_send_hello(c, ch, err);
    if (rc == REPL_OK)
        rc = cli_read(c, THL_FRAME_ACCEPT, &f, err);
    if (rc == REPL_OK)
        rc = thl_accept_decode(&a, &f, c->net.peer, err);
    if (rc == REPL_OK)
        rc = cli_accepted(c, ch, &h, &a, err);
    repl_free(ch);
    return rc;
}

static void cli_copy_options(thl_client *c, const thl_client_options *opts)
{
    c->uri = repl_strdup(opts->uri != NULL ? opts->uri : "");
    c->service = repl_strdup(opts->service != NULL ? opts->service : "");
    c->secret = repl_strdup(opts->secret != NULL ? opts->secret : "");
    c->force = opts->force;
    c->has_start_after = opts->has_start_after;
    c->start_after_seqno = opts->start_after_seqno;
    c->start_after_epoch = opts->start_after_epoch;
    c->start_after_event_id =
        repl_strdup(opts->start_after_event_id != NULL ? opts->start_after_event_id : "");
    c->connect_timeout_ms = opts->connect_timeout_ms > 0 ? opts->connect_timeout_ms : 5000;
    c->timeout_ms = opts->timeout_ms > 0 ? opts->timeout_ms : 30000;
    c->commit_every = opts->commit_every > 0 ? opts->commit_every : 1000;
}

int thl_client_open(thl_client **out, const thl_client_options *opts, thl_log *log, repl_error *err)
{
    thl_client *c = repl_calloc(1, sizeof(*c));
    char peer[80] = "";
    int fd = -1;
    int rc = REPL_OK;
    *out = NULL;
    cli_copy_options(c, opts);
    c->log = log;
    pthread_mutex_init(&c->mu, NULL);
    thl_net_conn_init(&c->net, -1, -1, "thl-client", "");
    c->stop = opts->stop;
    if (c->stop == NULL) {
        rc = thl_net_stop_new(&c->stop, err);
        c->own_stop = rc == REPL_OK;
    }
    if (rc == REPL_OK)
        rc = thl_net_connect(&fd, peer, sizeof(peer), c->uri, (int)c->connect_timeout_ms,
                             thl_net_stop_fd(c->stop), err);
    if (rc == REPL_OK) {
        thl_net_conn_dispose(&c->net);
        thl_net_conn_init(&c->net, fd, thl_net_stop_fd(c->stop), "thl-client", peer);
        rc = cli_handshake(c, err);
    }
    if (rc != REPL_OK) {
        thl_client_close(c);
        return rc;
    }
    REPL_LOG_INFO("thl-client", "connected to master %s: start_seqno=%llu", peer,
                  (unsigned long long)c->start_seqno);
    *out = c;
    return REPL_OK;
}

/* ---- streaming ---- */

static int cli_check_order(thl_client *c, const thl_record_header *h, repl_error *err)
{
    uint64_t seqno = c->start_seqno;
    uint16_t fragno = 0;
    if (c->have_prev) {
        seqno = c->prev_last ? c->prev_seqno + 1 : c->prev_seqno;
        fragno = c->prev_last ? 0 : (uint16_t)(c->prev_fragno + 1);
    } else if (!c->has_position && h->seqno >= c->start_seqno && h->fragno == 0) {
        return REPL_OK; /* an empty slave takes whatever the master holds first */
    }
    if (h->seqno == seqno && h->fragno == fragno)
        return REPL_OK;
    return repl_error_set(err, REPL_ERR_CORRUPT,
                          "thl-client: master %s sent seqno %llu fragno %u, expected seqno %llu "
                          "fragno %u",
                          c->net.peer, (unsigned long long)h->seqno, h->fragno,
                          (unsigned long long)seqno, fragno);
}

static int cli_on_record(thl_client *c, const thl_net_frame *f, repl_error *err)
{
    thl_record_header h;
    int rc = thl_record_parse_header(&h, f->payload, f->len, err);
    if (rc != REPL_OK)
        return repl_error_wrap(err, "thl-client: record from master %s", c->net.peer);
    rc = cli_check_order(c, &h, err);
    if (rc != REPL_OK)
        return rc;
    rc = thl_log_append_record(c->log, f->payload, f->len, err);
    if (rc != REPL_OK)
        return rc;
    c->have_prev = 1;
    c->prev_seqno = h.seqno;
    c->prev_fragno = h.fragno;
    c->prev_last = (h.flags & THL_EV_LAST_FRAG) != 0;
    if (c->prev_last) {
        c->has_complete = 1;
        c->complete_seqno = h.seqno;
    }
    return REPL_OK;
}

static int cli_send_ack(thl_client *c, int has_seqno, uint64_t seqno, repl_error *err)
{
    repl_buf b;
    int rc;
    repl_buf_init(&b);
    thl_ack_encode(&b, has_seqno, seqno);
    rc = thl_net_put_frame(&c->net, THL_FRAME_ACK, b.data, b.len, (int)c->timeout_ms, err);
    if (rc == REPL_OK)
        rc = thl_net_flush(&c->net, (int)c->timeout_ms, err);
    repl_buf_dispose(&b);
    return rc;
}

/* Commit what was appended and acknowledge the last complete seqno (now durable). */
static int cli_commit(thl_client *c, repl_error *err)
{
    int acked;
    int rc = thl_log_commit(c->log, err);
    if (rc != REPL_OK || !c->has_complete)
        return rc;
    pthread_mutex_lock(&c->mu);
    acked = c->status.has_acked && c->status.acked_seqno == c->complete_seqno;
    c->status.has_received = 1;
    c->status.received_seqno = c->complete_seqno;
    c->status.has_acked = 1;
    c->status.acked_seqno = c->complete_seqno;
    pthread_mutex_unlock(&c->mu);
    return acked ? REPL_OK : cli_send_ack(c, 1, c->complete_seqno, err);
}

static int cli_on_heartbeat(thl_client *c, const thl_net_frame *f, repl_error *err)
{
    thl_heartbeat hb;
    int has_acked;
    uint64_t acked;
    int rc = thl_heartbeat_decode(&hb, f, c->net.peer, err);
    if (rc != REPL_OK)
        return rc;
    pthread_mutex_lock(&c->mu);
    c->status.master_empty = (hb.flags & THL_ACCEPT_EMPTY) != 0;
    c->status.master_max_seqno = hb.max_seqno;
    c->status.master_clock_us = hb.clock_us;
    has_acked = c->status.has_acked;
    acked = c->status.acked_seqno;
    pthread_mutex_unlock(&c->mu);
    /* Keepalive (the master drops slaves that stay silent), repeating only what is committed. */
    if (!has_acked && c->has_position) {
        has_acked = 1;
        acked = c->start_seqno - 1;
    }
    return cli_send_ack(c, has_acked, acked, err);
}

static int cli_on_frame(thl_client *c, const thl_net_frame *f, uint32_t *pending, repl_error *err)
{
    int rc;
    pthread_mutex_lock(&c->mu);
    c->status.last_frame_us = repl_clock_now_us();
    pthread_mutex_unlock(&c->mu);
    if (f->type == THL_FRAME_HEARTBEAT)
        return cli_on_heartbeat(c, f, err);
    if (f->type == THL_FRAME_ERROR)
        return thl_net_error_from_frame(&c->net, f, err);
    if (f->type != THL_FRAME_RECORD)
        return repl_error_set(err, REPL_ERR_CORRUPT,
                              "thl-client: unexpected %s frame from master %s",
                              thl_frame_type_name(f->type), c->net.peer);
    rc = cli_on_record(c, f, err);
    if (rc == REPL_OK && ++*pending >= c->commit_every) {
        *pending = 0;
        rc = cli_commit(c, err);
    }
    return rc;
}

int thl_client_run(thl_client *client, repl_error *err)
{
    const uint32_t three = 3 * client->heartbeat_ms;
    const int idle_ms = (int)(client->timeout_ms > three ? client->timeout_ms : three);
    uint32_t pending = 0;
    int rc = REPL_OK;
    client->net.max_frame = THL_NET_RECORD_MAX;
    while (rc == REPL_OK && !thl_net_stop_is_set(client->stop)) {
        thl_net_frame f;
        if (pending > 0 && !thl_net_pending_input(&client->net)) {
            pending = 0;
            rc = cli_commit(client, err);
            if (rc != REPL_OK)
                break;
        }
        rc = thl_net_read_frame(&client->net, &f, idle_ms, err);
        if (rc == REPL_OK)
            rc = cli_on_frame(client, &f, &pending, err);
    }
    if (pending > 0) {
        /* keep what arrived intact; no ACK: the connection is going away */
        repl_error cerr;
        if (thl_log_commit(client->log, &cerr) != REPL_OK) {
            *err = cerr;
            return cerr.code;
        }
    }
    return (rc == REPL_OK || client->net.stopped) ? REPL_OK : rc;
}

/* ---- lifecycle and status ---- */

void thl_client_stop(thl_client *client)
{
    thl_net_stop_signal(client->stop);
}

int thl_client_stopped(const thl_client *client)
{
    return thl_net_stop_is_set(client->stop);
}

void thl_client_close(thl_client *client)
{
    if (client == NULL)
        return;
    thl_net_conn_dispose(&client->net);
    if (client->own_stop)
        thl_net_stop_free(client->stop);
    pthread_mutex_destroy(&client->mu);
    repl_free(client->uri);
    repl_free(client->service);
    repl_free(client->secret);
    repl_free(client->start_after_event_id);
    repl_free(client);
}

void thl_client_status_get(thl_client *client, thl_client_status *out)
{
    pthread_mutex_lock(&client->mu);
    *out = client->status;
    pthread_mutex_unlock(&client->mu);
}
