/* SPDX-License-Identifier: GPL-2.0-or-later */
/* thl/net_proto.c - encode and decode the payloads of the THL protocol's control frames (HELLO,
 * CLIENT_HELLO, ACCEPT, HEARTBEAT, ACK, ERROR), big-endian, offsets in docs/thl-protocol.md.
 * Decoders read through the bounds-checked reader and ignore trailing bytes (room for later fields
 * within a version). RECORD payloads are THL records and are not touched here. Pure functions. */
#include "thl/net_int.h"

#include <string.h>

#include "replicator/base/rd.h"

static void put_u16be(repl_buf *b, uint16_t v)
{
    repl_buf_put_u8(b, (uint8_t)(v >> 8));
    repl_buf_put_u8(b, (uint8_t)v);
}

static void put_str16(repl_buf *b, const char *s, size_t len)
{
    put_u16be(b, (uint16_t)len);
    repl_buf_put(b, s, len);
}

/* Read a u16-length string of at most max bytes into out (NUL-terminated). */
static int get_str16(repl_rd *r, char *out, size_t max, uint16_t *out_len)
{
    const uint16_t n = rd_u16be(r);
    const uint8_t *p = rd_take(r, n);
    if (p == NULL || n > max)
        return -1;
    memcpy(out, p, n);
    out[n] = '\0';
    if (memchr(out, '\0', n) != NULL)
        return -1;
    if (out_len != NULL)
        *out_len = n;
    return 0;
}

static int bad_payload(const thl_net_frame *f, const char *peer, const char *why, repl_error *err)
{
    return repl_error_set(err, REPL_ERR_CORRUPT, "thl-net: %s frame from %s: %s (%zu bytes)",
                          thl_frame_type_name(f->type), peer, why, f->len);
}

const char *thl_frame_type_name(uint8_t type)
{
    static const char *const names[] = { "?",      "HELLO",     "CLIENT_HELLO", "ACCEPT",
                                         "RECORD", "HEARTBEAT", "ACK",          "ERROR" };
    return type < sizeof(names) / sizeof(names[0]) ? names[type] : "unknown";
}

void thl_hello_encode(repl_buf *out, const thl_hello *h)
{
    repl_buf_put(out, THL_NET_MAGIC, 4);
    put_u16be(out, h->min_version);
    put_u16be(out, h->max_version);
    repl_buf_put_u8(out, h->flags);
    repl_buf_put(out, h->nonce, THL_NET_NONCE_LEN);
    put_str16(out, h->service, strlen(h->service));
}

int thl_hello_decode(thl_hello *out, const thl_net_frame *f, const char *peer, repl_error *err)
{
    repl_rd r;
    const uint8_t *magic;
    const uint8_t *nonce;
    rd_init(&r, f->payload, f->len);
    magic = rd_take(&r, 4);
    if (magic == NULL || memcmp(magic, THL_NET_MAGIC, 4) != 0)
        return bad_payload(f, peer, "bad magic (is this a trep THL server?)", err);
    out->min_version = rd_u16be(&r);
    out->max_version = rd_u16be(&r);
    out->flags = rd_u8(&r);
    nonce = rd_take(&r, THL_NET_NONCE_LEN);
    if (nonce == NULL || get_str16(&r, out->service, THL_NET_SVC_MAX, NULL) != 0)
        return bad_payload(f, peer, "truncated or oversized field", err);
    memcpy(out->nonce, nonce, THL_NET_NONCE_LEN);
    return REPL_OK;
}

void thl_client_hello_encode(repl_buf *out, const thl_client_hello *h)
{
    repl_buf_put(out, THL_NET_MAGIC, 4);
    put_u16be(out, h->version);
    repl_buf_put_u8(out, h->flags);
    repl_buf_put_u64be(out, h->last_seqno);
    repl_buf_put_u64be(out, h->epoch);
    repl_buf_put(out, h->nonce, THL_NET_NONCE_LEN);
    repl_buf_put_u8(out, h->proof_len);
    repl_buf_put(out, h->proof, h->proof_len);
    put_str16(out, h->service, strlen(h->service));
    put_str16(out, h->event_id, h->event_id_len);
}

int thl_client_hello_decode(thl_client_hello *out, const thl_net_frame *f, const char *peer,
                            repl_error *err)
{
    repl_rd r;
    const uint8_t *magic;
    const uint8_t *nonce;
    const uint8_t *proof;
    rd_init(&r, f->payload, f->len);
    magic = rd_take(&r, 4);
    if (magic == NULL || memcmp(magic, THL_NET_MAGIC, 4) != 0)
        return bad_payload(f, peer, "bad magic (is this a trep THL client?)", err);
    out->version = rd_u16be(&r);
    out->flags = rd_u8(&r);
    out->last_seqno = rd_u64be(&r);
    out->epoch = rd_u64be(&r);
    nonce = rd_take(&r, THL_NET_NONCE_LEN);
    out->proof_len = rd_u8(&r);
    if (out->proof_len != 0 && out->proof_len != THL_NET_PROOF_LEN)
        return bad_payload(f, peer, "proof length must be 0 or 32", err);
    proof = rd_take(&r, out->proof_len);
    if (nonce == NULL || proof == NULL || get_str16(&r, out->service, THL_NET_SVC_MAX, NULL) != 0 ||
        get_str16(&r, out->event_id, THL_ID_MAX, &out->event_id_len) != 0)
        return bad_payload(f, peer, "truncated or oversized field", err);
    memcpy(out->nonce, nonce, THL_NET_NONCE_LEN);
    memcpy(out->proof, proof, out->proof_len);
    return REPL_OK;
}

void thl_accept_encode(repl_buf *out, const thl_accept *a)
{
    repl_buf_put_u64be(out, a->start_seqno);
    repl_buf_put_u32be(out, a->heartbeat_ms);
    repl_buf_put_u8(out, a->flags);
    repl_buf_put_u64be(out, a->min_seqno);
    repl_buf_put_u64be(out, a->max_seqno);
    repl_buf_put_u8(out, a->proof_len);
    repl_buf_put(out, a->proof, a->proof_len);
}

int thl_accept_decode(thl_accept *out, const thl_net_frame *f, const char *peer, repl_error *err)
{
    repl_rd r;
    const uint8_t *proof;
    rd_init(&r, f->payload, f->len);
    out->start_seqno = rd_u64be(&r);
    out->heartbeat_ms = rd_u32be(&r);
    out->flags = rd_u8(&r);
    out->min_seqno = rd_u64be(&r);
    out->max_seqno = rd_u64be(&r);
    out->proof_len = rd_u8(&r);
    if (out->proof_len != 0 && out->proof_len != THL_NET_PROOF_LEN)
        return bad_payload(f, peer, "proof length must be 0 or 32", err);
    proof = rd_take(&r, out->proof_len);
    if (proof == NULL || !rd_ok(&r))
        return bad_payload(f, peer, "truncated", err);
    memcpy(out->proof, proof, out->proof_len);
    if (out->heartbeat_ms == 0)
        return bad_payload(f, peer, "heartbeat interval 0", err);
    return REPL_OK;
}

void thl_heartbeat_encode(repl_buf *out, const thl_heartbeat *h)
{
    repl_buf_put_u8(out, h->flags);
    repl_buf_put_u64be(out, h->max_seqno);
    repl_buf_put_u64be(out, (uint64_t)h->clock_us);
}

int thl_heartbeat_decode(thl_heartbeat *out, const thl_net_frame *f, const char *peer,
                         repl_error *err)
{
    repl_rd r;
    rd_init(&r, f->payload, f->len);
    out->flags = rd_u8(&r);
    out->max_seqno = rd_u64be(&r);
    out->clock_us = (int64_t)rd_u64be(&r);
    return rd_ok(&r) ? REPL_OK : bad_payload(f, peer, "truncated", err);
}

void thl_ack_encode(repl_buf *out, int has_seqno, uint64_t seqno)
{
    repl_buf_put_u8(out, has_seqno ? THL_ACK_SEQNO : 0);
    repl_buf_put_u64be(out, has_seqno ? seqno : 0);
}

int thl_ack_decode(int *has_seqno, uint64_t *out, const thl_net_frame *f, const char *peer,
                   repl_error *err)
{
    repl_rd r;
    rd_init(&r, f->payload, f->len);
    *has_seqno = (rd_u8(&r) & THL_ACK_SEQNO) != 0;
    *out = rd_u64be(&r);
    return rd_ok(&r) ? REPL_OK : bad_payload(f, peer, "truncated", err);
}

void thl_error_encode(repl_buf *out, uint8_t kind, const char *msg)
{
    size_t n = strlen(msg);
    if (n > THL_NET_ERRMSG_MAX)
        n = THL_NET_ERRMSG_MAX;
    repl_buf_put_u8(out, kind);
    put_str16(out, msg, n);
}
