/* SPDX-License-Identifier: GPL-2.0-or-later */
/* thl/log_index.c - the THL's secondary tables: event_id parsing, the binlog position and MariaDB
 * GTID indexes (written for the last fragment of each transaction, removed with it), the epoch
 * history and their lookups. Key layouts are in docs/thl-format.md ("LMDB layout"). Called by the
 * writer inside its write transaction, and by any thread for lookups (own read transaction). */
#include "thl/log.h"

#include <stdio.h>
#include <string.h>

#include "replicator/base/log.h"
#include "replicator/base/mem.h"
#include "thl/log_int.h"

/* ---- event_id ---- */

/* Decimal digits only, at least one, no overflow past max. */
static int index_parse_num(const char *s, size_t len, uint64_t max, uint64_t *out)
{
    uint64_t v = 0;
    if (len == 0 || len > 20)
        return 0;
    for (size_t i = 0; i < len; i++) {
        unsigned d = (unsigned)(s[i] - '0');
        if (d > 9 || v > (max - d) / 10)
            return 0;
        v = v * 10 + d;
    }
    *out = v;
    return 1;
}

static int index_bad_id(const char *s, size_t len, const char *why, repl_error *err)
{
    int shown = len > 200 ? 200 : (int)len;
    return repl_error_set(err, REPL_ERR_INVALID, "thl: bad event_id \"%.*s\": %s", shown, s, why);
}

/* "FILE:OFFSET" */
static int index_parse_pos(thl_event_id *out, const char *s, size_t len, repl_error *err)
{
    size_t colon = len;
    while (colon > 0 && s[colon - 1] != ':')
        colon--;
    if (colon == 0)
        return index_bad_id(s, len, "no ':' between file and offset", err);
    if (colon - 1 == 0 || colon - 1 >= sizeof(out->file) || memchr(s, '\0', colon - 1) != NULL)
        return index_bad_id(s, len, "bad binlog file name", err);
    if (!index_parse_num(s + colon, len - colon, UINT64_MAX, &out->offset))
        return index_bad_id(s, len, "bad binlog offset", err);
    memcpy(out->file, s, colon - 1);
    out->file[colon - 1] = '\0';
    return REPL_OK;
}

static int index_is_uuid(const char *s, size_t len)
{
    static const char hex[] = "0123456789abcdefABCDEF";
    if (len != 36)
        return 0;
    for (size_t i = 0; i < len; i++) {
        int dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash ? s[i] != '-' : s[i] == '\0' || strchr(hex, s[i]) == NULL)
            return 0;
    }
    return 1;
}

/* "D-S-N" (MariaDB, indexed) or "UUID:N" (MySQL, accepted, not indexed); "gtid=" prefix allowed. */
static int index_parse_gtid(thl_event_id *out, const char *s, size_t len, repl_error *err)
{
    const char *d1;
    const char *d2;
    uint64_t dom;
    uint64_t srv;
    if (len >= 5 && memcmp(s, "gtid=", 5) == 0) {
        s += 5;
        len -= 5;
    }
    if (len > 37 && index_is_uuid(s, 36) && s[36] == ':')
        return REPL_OK;
    d1 = memchr(s, '-', len);
    d2 = d1 != NULL ? memchr(d1 + 1, '-', len - (size_t)(d1 + 1 - s)) : NULL;
    if (d2 == NULL || !index_parse_num(s, (size_t)(d1 - s), UINT32_MAX, &dom) ||
        !index_parse_num(d1 + 1, (size_t)(d2 - d1 - 1), UINT32_MAX, &srv) ||
        !index_parse_num(d2 + 1, len - (size_t)(d2 + 1 - s), UINT64_MAX, &out->gtid_seq))
        return index_bad_id(s, len, "bad GTID (want D-S-N or UUID:N)", err);
    out->has_gtid = 1;
    out->gtid_domain = (uint32_t)dom;
    out->gtid_server = (uint32_t)srv;
    return REPL_OK;
}

int thl_event_id_parse(thl_event_id *out, const char *s, size_t len, repl_error *err)
{
    const char *semi = memchr(s, ';', len);
    size_t pos_len = semi != NULL ? (size_t)(semi - s) : len;
    int rc;
    memset(out, 0, sizeof(*out));
    rc = index_parse_pos(out, s, pos_len, err);
    if (rc != REPL_OK || semi == NULL)
        return rc;
    return index_parse_gtid(out, semi + 1, len - pos_len - 1, err);
}

/* ---- keys ---- */

static size_t index_pos_key(uint8_t *key, const char *file, uint64_t offset)
{
    size_t n = strlen(file);
    memcpy(key, file, n);
    key[n] = '\0';
    repl_store_u64be(key + n + 1, offset);
    return n + 9;
}

static void index_gtid_key(uint8_t key[THL_LOG_GTID_KEY_LEN], uint32_t domain, uint64_t seq)
{
    key[0] = (uint8_t)(domain >> 24);
    key[1] = (uint8_t)(domain >> 16);
    key[2] = (uint8_t)(domain >> 8);
    key[3] = (uint8_t)domain;
    repl_store_u64be(key + 4, seq);
}

/* ---- write side ---- */

static int index_put_one(thl_log *log, MDB_txn *txn, MDB_dbi dbi, void *key, size_t key_len,
                         uint64_t seqno, repl_error *err)
{
    uint8_t vb[8];
    MDB_val k = { key_len, key };
    MDB_val v = { sizeof(vb), vb };
    int rc;
    repl_store_u64be(vb, seqno);
    /* positions and GTIDs mostly grow: try the cheap append first */
    rc = mdb_put(txn, dbi, &k, &v, MDB_APPEND);
    if (rc == MDB_KEYEXIST)
        rc = mdb_put(txn, dbi, &k, &v, 0);
    if (rc != 0)
        return thl_log_mdb_error(log, err, rc, "write index");
    return REPL_OK;
}

int thl_log_index_put(thl_log *log, MDB_txn *txn, uint64_t seqno, const char *event_id, size_t len,
                      repl_error *err)
{
    uint8_t key[THL_LOG_POS_KEY_MAX];
    uint8_t gkey[THL_LOG_GTID_KEY_LEN];
    thl_event_id id;
    int rc;
    if (len == 0)
        return REPL_OK;
    if (thl_event_id_parse(&id, event_id, len, NULL) != REPL_OK) {
        REPL_LOG_DEBUG(THL_LOG_COMPONENT, "thl: seqno=%llu event_id not indexed",
                       (unsigned long long)seqno);
        return REPL_OK;
    }
    rc = index_put_one(log, txn, log->db_pos, key, index_pos_key(key, id.file, id.offset), seqno,
                       err);
    if (rc != REPL_OK || !id.has_gtid)
        return rc;
    index_gtid_key(gkey, id.gtid_domain, id.gtid_seq);
    return index_put_one(log, txn, log->db_gtid, gkey, sizeof(gkey), seqno, err);
}

static int index_del_one(thl_log *log, MDB_txn *txn, MDB_dbi dbi, void *key, size_t key_len,
                         uint64_t seqno, repl_error *err)
{
    MDB_val k = { key_len, key };
    MDB_val v;
    int rc = mdb_get(txn, dbi, &k, &v);
    if (rc == MDB_NOTFOUND)
        return REPL_OK;
    /* a later transaction with the same position owns the entry now: keep it */
    if (rc == 0 && (v.mv_size != 8 || thl_log_be64(v.mv_data) != seqno))
        return REPL_OK;
    if (rc == 0)
        rc = mdb_del(txn, dbi, &k, NULL);
    if (rc != 0)
        return thl_log_mdb_error(log, err, rc, "delete index entry");
    return REPL_OK;
}

int thl_log_index_del(thl_log *log, MDB_txn *txn, uint64_t seqno, const char *event_id, size_t len,
                      repl_error *err)
{
    uint8_t key[THL_LOG_POS_KEY_MAX];
    uint8_t gkey[THL_LOG_GTID_KEY_LEN];
    thl_event_id id;
    int rc;
    if (len == 0 || thl_event_id_parse(&id, event_id, len, NULL) != REPL_OK)
        return REPL_OK;
    rc = index_del_one(log, txn, log->db_pos, key, index_pos_key(key, id.file, id.offset), seqno,
                       err);
    if (rc != REPL_OK || !id.has_gtid)
        return rc;
    index_gtid_key(gkey, id.gtid_domain, id.gtid_seq);
    return index_del_one(log, txn, log->db_gtid, gkey, sizeof(gkey), seqno, err);
}

int thl_log_epoch_put(thl_log *log, MDB_txn *txn, const thl_log_pend_epoch *ep, repl_error *err)
{
    uint8_t kb[8];
    uint8_t vb[8 + sizeof(ep->source_id)];
    size_t n = strlen(ep->source_id);
    MDB_val k = { sizeof(kb), kb };
    MDB_val v = { 8 + n, vb };
    int rc;
    repl_store_u64be(kb, ep->epoch);
    repl_store_u64be(vb, ep->first_seqno);
    memcpy(vb + 8, ep->source_id, n);
    rc = mdb_put(txn, log->db_epochs, &k, &v, MDB_NOOVERWRITE);
    if (rc != 0 && rc != MDB_KEYEXIST)
        return thl_log_mdb_error(log, err, rc, "write epoch");
    return REPL_OK;
}

/* ---- lookups ---- */

static int index_epoch_entry(thl_epoch_entry *out, const MDB_val *k, const MDB_val *v,
                             repl_error *err)
{
    size_t n;
    if (k->mv_size != 8 || v->mv_size < 8)
        return repl_error_set(err, REPL_ERR_CORRUPT, "thl: bad epochs entry");
    out->epoch = thl_log_be64(k->mv_data);
    out->first_seqno = thl_log_be64(v->mv_data);
    n = v->mv_size - 8;
    if (n >= sizeof(out->source_id))
        n = sizeof(out->source_id) - 1;
    memcpy(out->source_id, (const uint8_t *)v->mv_data + 8, n);
    out->source_id[n] = '\0';
    return REPL_OK;
}

int thl_log_epoch_source(thl_log *log, MDB_txn *txn, uint64_t epoch, char *out, size_t out_len,
                         repl_error *err)
{
    MDB_cursor *mc = NULL;
    uint8_t kb[8];
    MDB_val k = { sizeof(kb), kb };
    MDB_val v;
    thl_epoch_entry e;
    int rc = mdb_cursor_open(txn, log->db_epochs, &mc);
    out[0] = '\0';
    if (rc != 0)
        return thl_log_mdb_error(log, err, rc, "open cursor");
    repl_store_u64be(kb, epoch);
    rc = mdb_cursor_get(mc, &k, &v, MDB_SET_RANGE);
    if (rc == MDB_NOTFOUND)
        rc = mdb_cursor_get(mc, &k, &v, MDB_LAST);
    else if (rc == 0 && (k.mv_size != 8 || thl_log_be64(k.mv_data) != epoch))
        rc = mdb_cursor_get(mc, &k, &v, MDB_PREV);
    mdb_cursor_close(mc);
    if (rc == MDB_NOTFOUND)
        return REPL_OK;
    if (rc != 0)
        return thl_log_mdb_error(log, err, rc, "read epochs");
    rc = index_epoch_entry(&e, &k, &v, err);
    if (rc == REPL_OK)
        snprintf(out, out_len, "%s", e.source_id);
    return rc;
}

int thl_log_find_binlog_pos(thl_log *log, const char *file, uint64_t offset, uint64_t *out_seqno,
                            repl_error *err)
{
    uint8_t key[THL_LOG_POS_KEY_MAX];
    MDB_txn *txn = NULL;
    MDB_cursor *mc = NULL;
    MDB_val k;
    MDB_val v;
    size_t key_len;
    int rc;
    if (file == NULL || file[0] == '\0' || strlen(file) > 255)
        return repl_error_set(err, REPL_ERR_INVALID, "thl: bad binlog file name");
    key_len = index_pos_key(key, file, offset);
    rc = thl_log_txn_begin(log, &txn, MDB_RDONLY, err);
    if (rc != REPL_OK)
        return rc;
    k.mv_size = key_len;
    k.mv_data = key;
    rc = mdb_cursor_open(txn, log->db_pos, &mc);
    if (rc == 0)
        rc = mdb_cursor_get(mc, &k, &v, MDB_SET_RANGE);
    if (rc == MDB_NOTFOUND)
        rc = mdb_cursor_get(mc, &k, &v, MDB_LAST);
    else if (rc == 0 && (k.mv_size != key_len || memcmp(k.mv_data, key, key_len) != 0))
        rc = mdb_cursor_get(mc, &k, &v, MDB_PREV);
    if (rc == 0 && v.mv_size == 8)
        *out_seqno = thl_log_be64(v.mv_data);
    mdb_cursor_close(mc);
    mdb_txn_abort(txn);
    if (rc == MDB_NOTFOUND)
        return repl_error_set(err, REPL_ERR_NOTFOUND,
                              "thl: no transaction ends at or before binlog position %s:%llu", file,
                              (unsigned long long)offset);
    if (rc != 0)
        return thl_log_mdb_error(log, err, rc, "read pos index");
    if (v.mv_size != 8)
        return repl_error_set(err, REPL_ERR_CORRUPT, "thl: bad pos index entry");
    return REPL_OK;
}

int thl_log_find_gtid(thl_log *log, uint32_t domain, uint64_t seq, uint64_t *out_seqno,
                      repl_error *err)
{
    uint8_t key[THL_LOG_GTID_KEY_LEN];
    MDB_txn *txn = NULL;
    MDB_val k = { sizeof(key), key };
    MDB_val v;
    int rc = thl_log_txn_begin(log, &txn, MDB_RDONLY, err);
    if (rc != REPL_OK)
        return rc;
    index_gtid_key(key, domain, seq);
    rc = mdb_get(txn, log->db_gtid, &k, &v);
    if (rc == 0 && v.mv_size == 8)
        *out_seqno = thl_log_be64(v.mv_data);
    mdb_txn_abort(txn);
    if (rc == MDB_NOTFOUND)
        return repl_error_set(err, REPL_ERR_NOTFOUND, "thl: GTID %u-*-%llu not in the log", domain,
                              (unsigned long long)seq);
    if (rc != 0)
        return thl_log_mdb_error(log, err, rc, "read gtid index");
    if (v.mv_size != 8)
        return repl_error_set(err, REPL_ERR_CORRUPT, "thl: bad gtid index entry");
    return REPL_OK;
}

static int index_epochs_read(thl_log *log, MDB_txn *txn, thl_epoch_entry *list, size_t cap,
                             size_t *count, repl_error *err)
{
    MDB_cursor *mc = NULL;
    MDB_val k;
    MDB_val v;
    int rc = REPL_OK;
    int mrc = mdb_cursor_open(txn, log->db_epochs, &mc);
    if (mrc == 0)
        mrc = mdb_cursor_get(mc, &k, &v, MDB_FIRST);
    while (mrc == 0 && *count < cap && rc == REPL_OK) {
        rc = index_epoch_entry(&list[*count], &k, &v, err);
        (*count)++;
        mrc = mdb_cursor_get(mc, &k, &v, MDB_NEXT);
    }
    mdb_cursor_close(mc);
    if (rc == REPL_OK && mrc != 0 && mrc != MDB_NOTFOUND)
        rc = thl_log_mdb_error(log, err, mrc, "read epochs");
    return rc;
}

int thl_log_epochs(thl_log *log, thl_epoch_entry **out, size_t *count, repl_error *err)
{
    MDB_txn *txn = NULL;
    thl_epoch_entry *list = NULL;
    MDB_stat st;
    size_t n = 0;
    int rc;
    *out = NULL;
    *count = 0;
    rc = thl_log_txn_begin(log, &txn, MDB_RDONLY, err);
    if (rc != REPL_OK)
        return rc;
    rc = mdb_stat(txn, log->db_epochs, &st);
    if (rc != 0) {
        rc = thl_log_mdb_error(log, err, rc, "stat epochs");
        goto cleanup;
    }
    list = repl_calloc(st.ms_entries + 1, sizeof(*list));
    rc = index_epochs_read(log, txn, list, st.ms_entries, &n, err);
    if (rc != REPL_OK)
        goto cleanup;
    *out = list;
    *count = n;
    list = NULL;
cleanup:
    repl_free(list);
    mdb_txn_abort(txn);
    return rc;
}
