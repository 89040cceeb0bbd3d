/* SPDX-License-Identifier: GPL-2.0-or-later */
/* thl/net_sha256.c - SHA-256 (FIPS 180-4) and HMAC-SHA256 (RFC 2104) for the shared-secret proof of
 * the THL handshake. A plain, portable implementation of the published algorithm: no other use, no
 * secrets kept, pure functions; safe from any thread. */
#include "thl/net_int.h"

#include <string.h>

static const uint32_t sha_k[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2
};

static uint32_t ror32(uint32_t x, unsigned n)
{
    return (x >> n) | (x << (32 - n));
}

static void sha_schedule(uint32_t w[64], const uint8_t block[64])
{
    for (int i = 0; i < 16; i++) {
        const uint8_t *p = block + 4 * i;
        w[i] = ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
    }
    for (int i = 16; i < 64; i++) {
        const uint32_t s0 = ror32(w[i - 15], 7) ^ ror32(w[i - 15], 18) ^ (w[i - 15] >> 3);
        const uint32_t s1 = ror32(w[i - 2], 17) ^ ror32(w[i - 2], 19) ^ (w[i - 2] >> 10);
        w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
}

static void sha_compress(uint32_t h[8], const uint8_t block[64])
{
    uint32_t w[64];
    uint32_t v[8];
    sha_schedule(w, block);
    memcpy(v, h, sizeof(v));
    for (int i = 0; i < 64; i++) {
        const uint32_t s1 = ror32(v[4], 6) ^ ror32(v[4], 11) ^ ror32(v[4], 25);
        const uint32_t ch = (v[4] & v[5]) ^ (~v[4] & v[6]);
        const uint32_t t1 = v[7] + s1 + ch + sha_k[i] + w[i];
        const uint32_t s0 = ror32(v[0], 2) ^ ror32(v[0], 13) ^ ror32(v[0], 22);
        const uint32_t maj = (v[0] & v[1]) ^ (v[0] & v[2]) ^ (v[1] & v[2]);
        memmove(v + 1, v, 7 * sizeof(v[0]));
        v[4] += t1;
        v[0] = t1 + s0 + maj;
    }
    for (int i = 0; i < 8; i++)
        h[i] += v[i];
}

void thl_sha256_init(thl_sha256 *s)
{
    static const uint32_t iv[8] = { 0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                    0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19 };
    memcpy(s->h, iv, sizeof(iv));
    s->total = 0;
    s->fill = 0;
}

void thl_sha256_update(thl_sha256 *s, const void *data, size_t len)
{
    const uint8_t *p = data;
    s->total += len;
    while (len > 0) {
        size_t n = 64 - s->fill;
        if (n > len)
            n = len;
        memcpy(s->block + s->fill, p, n);
        s->fill += n;
        p += n;
        len -= n;
        if (s->fill == 64) {
            sha_compress(s->h, s->block);
            s->fill = 0;
        }
    }
}

void thl_sha256_final(thl_sha256 *s, uint8_t out[32])
{
    const uint64_t bits = s->total * 8;
    uint8_t pad[72] = { 0x80 };
    size_t pad_len = (s->fill < 56) ? 56 - s->fill : 120 - s->fill;
    for (int i = 0; i < 8; i++)
        pad[pad_len + (size_t)i] = (uint8_t)(bits >> (56 - 8 * i));
    thl_sha256_update(s, pad, pad_len + 8);
    for (int i = 0; i < 8; i++) {
        out[4 * i] = (uint8_t)(s->h[i] >> 24);
        out[4 * i + 1] = (uint8_t)(s->h[i] >> 16);
        out[4 * i + 2] = (uint8_t)(s->h[i] >> 8);
        out[4 * i + 3] = (uint8_t)s->h[i];
    }
}

void thl_net_sha256(uint8_t out[32], const void *data, size_t len)
{
    thl_sha256 s;
    thl_sha256_init(&s);
    thl_sha256_update(&s, data, len);
    thl_sha256_final(&s, out);
}

void thl_net_hmac_sha256(uint8_t out[32], const void *key, size_t key_len, const void *msg,
                         size_t msg_len)
{
    uint8_t k[64] = { 0 };
    uint8_t pad[64];
    uint8_t inner[32];
    thl_sha256 s;
    if (key_len > 64)
        thl_net_sha256(k, key, key_len);
    else if (key_len > 0)
        memcpy(k, key, key_len);
    for (int i = 0; i < 64; i++)
        pad[i] = k[i] ^ 0x36;
    thl_sha256_init(&s);
    thl_sha256_update(&s, pad, 64);
    thl_sha256_update(&s, msg, msg_len);
    thl_sha256_final(&s, inner);
    for (int i = 0; i < 64; i++)
        pad[i] = k[i] ^ 0x5c;
    thl_sha256_init(&s);
    thl_sha256_update(&s, pad, 64);
    thl_sha256_update(&s, inner, sizeof(inner));
    thl_sha256_final(&s, out);
}

void thl_net_proof(uint8_t out[THL_NET_PROOF_LEN], const char *secret, const char *label,
                   const uint8_t *first_nonce, const uint8_t *second_nonce)
{
    uint8_t msg[64 + 2 * THL_NET_NONCE_LEN];
    size_t label_len = strlen(label);
    if (label_len > 64)
        label_len = 64;
    memcpy(msg, label, label_len);
    memcpy(msg + label_len, first_nonce, THL_NET_NONCE_LEN);
    memcpy(msg + label_len + THL_NET_NONCE_LEN, second_nonce, THL_NET_NONCE_LEN);
    thl_net_hmac_sha256(out, secret, strlen(secret), msg, label_len + 2 * THL_NET_NONCE_LEN);
}

int thl_net_proof_equal(const uint8_t *a, const uint8_t *b)
{
    uint8_t diff = 0;
    for (int i = 0; i < THL_NET_PROOF_LEN; i++)
        diff |= (uint8_t)(a[i] ^ b[i]);
    return diff == 0;
}
