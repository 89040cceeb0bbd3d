/* SPDX-License-Identifier: GPL-2.0-or-later */
/* thl/net_handshake.c - the server side of the THL handshake: send HELLO (versions, nonce), read
 * the slave's CLIENT_HELLO, check version, service, the shared-secret proof and the slave's
 * position against the master's log (divergence, slave ahead, purged), then register the session
 * and send ACCEPT. Every refusal is an ERROR frame whose text the slave reports
 * (docs/thl-protocol.md). Runs in the session's thread; reads the log only. */
#include "thl/net_int.h"

#include <stdio.h>
#include <string.h>

#include "replicator/base/clock.h"
#include "replicator/base/log.h"
#include "replicator/base/mem.h"

#define HS_CLIENT_LABEL "trep-thl-client"
#define HS_SERVER_LABEL "trep-thl-server"

static int hs_send_hello(thl_srv_conn *c, const uint8_t *nonce, repl_error *err)
{
    thl_hello h = { .min_version = THL_NET_PROTOCOL_VERSION,
                    .max_version = THL_NET_PROTOCOL_VERSION };
    repl_buf b;
    int rc;
    h.flags = c->srv->secret[0] != '\0' ? THL_HELLO_AUTH : 0;
    memcpy(h.nonce, nonce, THL_NET_NONCE_LEN);
    snprintf(h.service, sizeof(h.service), "%s", c->srv->service);
    repl_buf_init(&b);
    thl_hello_encode(&b, &h);
    rc = thl_net_put_frame(&c->net, THL_FRAME_HELLO, b.data, b.len, (int)c->srv->timeout_ms, err);
    if (rc == REPL_OK)
        rc = thl_net_flush(&c->net, (int)c->srv->timeout_ms, err);
    repl_buf_dispose(&b);
    return rc;
}

static int hs_read_client_hello(thl_srv_conn *c, thl_client_hello *ch, repl_error *err)
{
    thl_net_frame f;
    int rc = thl_net_read_frame(&c->net, &f, (int)c->srv->timeout_ms, err);
    if (rc == REPL_ERR_CORRUPT)
        thl_net_send_error(&c->net, THL_NET_ERR_PROTOCOL, err->msg);
    if (rc != REPL_OK)
        return rc;
    if (f.type == THL_FRAME_ERROR)
        return thl_net_error_from_frame(&c->net, &f, err);
    if (f.type != THL_FRAME_CLIENT_HELLO)
        return thl_srv_refuse(c, THL_NET_ERR_PROTOCOL, REPL_ERR_CORRUPT, err,
                              "expected CLIENT_HELLO, got a %s frame", thl_frame_type_name(f.type));
    rc = thl_client_hello_decode(ch, &f, c->net.peer, err);
    if (rc != REPL_OK)
        thl_net_send_error(&c->net, THL_NET_ERR_PROTOCOL, err->msg);
    return rc;
}

static int hs_check_peer(thl_srv_conn *c, const thl_client_hello *ch, const uint8_t *snonce,
                         repl_error *err)
{
    const thl_server *s = c->srv;
    uint8_t want[THL_NET_PROOF_LEN];
    if (ch->version < THL_NET_PROTOCOL_VERSION || ch->version > THL_NET_PROTOCOL_VERSION)
        return thl_srv_refuse(c, THL_NET_ERR_REFUSED, REPL_ERR_INVALID, err,
                              "unsupported protocol version %u (master speaks %u to %u)",
                              ch->version, THL_NET_PROTOCOL_VERSION, THL_NET_PROTOCOL_VERSION);
    if (s->service[0] != '\0' && ch->service[0] != '\0' && strcmp(s->service, ch->service) != 0)
        return thl_srv_refuse(c, THL_NET_ERR_REFUSED, REPL_ERR_INVALID, err,
                              "service mismatch: slave asks for '%s', master serves '%s'",
                              ch->service, s->service);
    if (s->secret[0] == '\0')
        return REPL_OK;
    if (ch->proof_len == 0)
        return thl_srv_refuse(
            c, THL_NET_ERR_REFUSED, REPL_ERR_INVALID, err,
            "authentication required: the master has a shared secret; configure the "
            "same secret on the slave");
    thl_net_proof(want, s->secret, HS_CLIENT_LABEL, snonce, ch->nonce);
    if (!thl_net_proof_equal(want, ch->proof))
        return thl_srv_refuse(c, THL_NET_ERR_REFUSED, REPL_ERR_INVALID, err,
                              "authentication failed: wrong shared secret");
    return REPL_OK;
}

/* The record of seqno's last fragment (event_id and epoch of a transaction live there). */
static int hs_last_frag(thl_srv_conn *c, uint64_t seqno, repl_buf *buf, thl_record_header *h,
                        repl_error *err)
{
    for (uint32_t frag = 0; frag <= 0xffff; frag++) {
        int rc = thl_log_read_record(c->srv->log, seqno, (uint16_t)frag, buf, err);
        if (rc != REPL_OK)
            return rc;
        rc = thl_record_parse_header(h, buf->data, buf->len, err);
        if (rc != REPL_OK)
            return rc;
        if (h->flags & THL_EV_LAST_FRAG)
            return REPL_OK;
    }
    return repl_error_set(err, REPL_ERR_CORRUPT, "thl: seqno %llu has no last fragment",
                          (unsigned long long)seqno);
}

static int hs_diverged(thl_srv_conn *c, const thl_client_hello *ch, uint64_t epoch, const char *eid,
                       size_t eid_len, repl_error *err)
{
    return thl_srv_refuse(
        c, THL_NET_ERR_REFUSED, REPL_ERR_INVALID, err,
        "diverged: slave seqno %llu epoch %llu event_id %s, master has epoch %llu "
        "event_id %.*s at that seqno; reprovision the slave or use --force",
        (unsigned long long)ch->last_seqno, (unsigned long long)ch->epoch, ch->event_id,
        (unsigned long long)epoch, (int)eid_len, eid);
}

static int hs_check_record(thl_srv_conn *c, const thl_client_hello *ch, repl_error *err)
{
    repl_buf buf;
    thl_record_header h;
    int rc;
    repl_buf_init(&buf);
    rc = hs_last_frag(c, ch->last_seqno, &buf, &h, err);
    if (rc == REPL_ERR_NOTFOUND)
        rc = thl_srv_refuse(
            c, THL_NET_ERR_REFUSED, REPL_ERR_INVALID, err,
            "master purged seqno %llu while the slave connected; reprovision the slave",
            (unsigned long long)ch->last_seqno);
    else if (rc != REPL_OK)
        rc = thl_srv_log_failed(c, err);
    else if (h.epoch != ch->epoch || h.event_id_len != ch->event_id_len ||
             memcmp(h.event_id, ch->event_id, h.event_id_len) != 0)
        rc = hs_diverged(c, ch, h.epoch, h.event_id, h.event_id_len, err);
    repl_buf_dispose(&buf);
    return rc;
}

/* The slave's last record is purged but the next one is not: compare epochs through the history. */
static int hs_check_epoch(thl_srv_conn *c, const thl_client_hello *ch, repl_error *err)
{
    thl_epoch_entry *eps = NULL;
    size_t n = 0;
    const thl_epoch_entry *term = NULL;
    int rc = thl_log_epochs(c->srv->log, &eps, &n, err);
    if (rc != REPL_OK)
        return thl_srv_log_failed(c, err);
    for (size_t i = 0; i < n; i++) {
        if (eps[i].first_seqno <= ch->last_seqno)
            term = &eps[i];
    }
    if (term == NULL)
        rc = thl_srv_refuse(
            c, THL_NET_ERR_REFUSED, REPL_ERR_INVALID, err,
            "cannot check slave seqno %llu: the master purged it and its epoch history "
            "does not reach back; reprovision the slave or use --force",
            (unsigned long long)ch->last_seqno);
    else if (term->epoch != ch->epoch)
        rc = hs_diverged(c, ch, term->epoch, "(purged)", 8, err);
    repl_free(eps);
    return rc;
}

static int hs_check_position(thl_srv_conn *c, const thl_client_hello *ch, const thl_log_state *st,
                             uint64_t *start, repl_error *err)
{
    const unsigned long long s = ch->last_seqno;
    if (!(ch->flags & THL_CHELLO_POSITION)) {
        *start = st->empty ? 0 : st->min_seqno;
        return REPL_OK;
    }
    if (st->empty)
        return thl_srv_refuse(
            c, THL_NET_ERR_REFUSED, REPL_ERR_INVALID, err,
            "slave ahead of master: slave seqno %llu, master THL is empty; reprovision "
            "the slave or point it at the right master",
            s);
    if (s > st->max_seqno)
        return thl_srv_refuse(c, THL_NET_ERR_REFUSED, REPL_ERR_INVALID, err,
                              "slave ahead of master: slave seqno %llu, master max seqno %llu; "
                              "reprovision the slave or point it at the right master",
                              s, (unsigned long long)st->max_seqno);
    if (s + 1 < st->min_seqno)
        return thl_srv_refuse(
            c, THL_NET_ERR_REFUSED, REPL_ERR_INVALID, err,
            "master purged seqno %llu the slave needs next (oldest stored is %llu); "
            "reprovision the slave from a backup",
            s + 1, (unsigned long long)st->min_seqno);
    *start = s + 1;
    if (ch->flags & THL_CHELLO_FORCE) {
        REPL_LOG_WARN("thl-server", "slave %s: divergence check skipped (force) at seqno %llu",
                      c->net.peer, s);
        return REPL_OK;
    }
    return s < st->min_seqno ? hs_check_epoch(c, ch, err) : hs_check_record(c, ch, err);
}

static void hs_register(thl_srv_conn *c, const thl_client_hello *ch, uint64_t start)
{
    pthread_mutex_lock(&c->srv->mu);
    snprintf(c->info.peer, sizeof(c->info.peer), "%s", c->net.peer);
    snprintf(c->info.service, sizeof(c->info.service), "%s", ch->service);
    c->info.has_acked = (ch->flags & THL_CHELLO_POSITION) != 0;
    c->info.acked_seqno = c->info.has_acked ? ch->last_seqno : 0;
    c->info.start_seqno = start;
    c->info.connected_since_us = repl_clock_now_us();
    c->ready = 1;
    pthread_mutex_unlock(&c->srv->mu);
}

static int hs_send_accept(thl_srv_conn *c, const thl_client_hello *ch, const uint8_t *snonce,
                          const thl_log_state *st, uint64_t start, repl_error *err)
{
    thl_accept a = { .start_seqno = start, .heartbeat_ms = c->srv->heartbeat_ms };
    repl_buf b;
    int rc;
    a.flags = st->empty ? THL_ACCEPT_EMPTY : 0;
    a.min_seqno = st->min_seqno;
    a.max_seqno = st->max_seqno;
    if (c->srv->secret[0] != '\0') {
        a.proof_len = THL_NET_PROOF_LEN;
        thl_net_proof(a.proof, c->srv->secret, HS_SERVER_LABEL, ch->nonce, snonce);
    }
    repl_buf_init(&b);
    thl_accept_encode(&b, &a);
    rc = thl_net_put_frame(&c->net, THL_FRAME_ACCEPT, b.data, b.len, (int)c->srv->timeout_ms, err);
    if (rc == REPL_OK)
        rc = thl_net_flush(&c->net, (int)c->srv->timeout_ms, err);
    repl_buf_dispose(&b);
    return rc;
}

int thl_srv_handshake(thl_srv_conn *c, uint64_t *start, repl_error *err)
{
    uint8_t snonce[THL_NET_NONCE_LEN];
    thl_client_hello *ch = repl_calloc(1, sizeof(*ch));
    thl_log_state st;
    int rc;
    thl_net_random(snonce, sizeof(snonce));
    rc = hs_send_hello(c, snonce, err);
    if (rc == REPL_OK)
        rc = hs_read_client_hello(c, ch, err);
    if (rc == REPL_OK)
        rc = hs_check_peer(c, ch, snonce, err);
    if (rc == REPL_OK && thl_log_state_get(c->srv->log, &st, err) != REPL_OK)
        rc = thl_srv_log_failed(c, err);
    if (rc == REPL_OK)
        rc = hs_check_position(c, ch, &st, start, err);
    if (rc == REPL_OK) {
        hs_register(c, ch, *start);
        rc = hs_send_accept(c, ch, snonce, &st, *start, err);
    }
    repl_free(ch);
    return rc;
}
