/* SPDX-License-Identifier: GPL-2.0-or-later */
/* appliers/apply_block.c - the block-commit state machine: checks each event's place (skip what is
 * already applied, refuse gaps inside a transaction), decides what an event needs around it (end
 * the block before, a pending marker, commit after), applies its items inside the open target
 * transaction and commits the block with its trep_commit_seqno row. On any error the open block is
 * rolled back and the applier falls back to the committed position. Owner thread only. */
#include "appliers/applier_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "replicator/base/clock.h"
#include "replicator/base/log.h"

#define EVENT_SKIP 1 /* event_order: already applied */

static void hdr_from_event(apl_hdr *h, const thl_event *ev)
{
    memset(h, 0, sizeof(*h));
    h->seqno = ev->seqno;
    h->fragno = ev->fragno;
    h->last_frag = (ev->flags & THL_EV_LAST_FRAG) != 0;
    h->epoch = ev->epoch;
    snprintf(h->event_id, sizeof(h->event_id), "%s", ev->event_id);
    snprintf(h->source_id, sizeof(h->source_id), "%s", ev->source_id);
    snprintf(h->shard_id, sizeof(h->shard_id), "%s", ev->shard_id);
    h->source_tstamp_us = ev->source_tstamp_us;
    h->extract_tstamp_us = ev->extract_tstamp_us;
}

static int order_invalid(apl_applier *a, const thl_event *ev, const char *why, repl_error *err)
{
    char msg[256];
    snprintf(msg, sizeof(msg), "event seqno=%" PRIu64 " fragno=%u out of order: %s", ev->seqno,
             ev->fragno, why);
    apl_fail_set(a, 0, "", 0, msg);
    return repl_error_set(err, REPL_ERR_INVALID, "apply: %s", msg);
}

/* EVENT_SKIP if ev is at or below what is applied, REPL_OK if it is next, else an error. */
static int event_order(apl_applier *a, const thl_event *ev, repl_error *err)
{
    const apl_hdr *last = a->have_pending ? &a->pending : &a->committed;
    if (last->empty)
        return ev->fragno == 0 ? REPL_OK : order_invalid(a, ev, "not a first fragment", err);
    if (ev->seqno < last->seqno)
        return EVENT_SKIP;
    if (ev->seqno == last->seqno) {
        if (last->last_frag || ev->fragno <= last->fragno)
            return EVENT_SKIP;
        if (ev->fragno != last->fragno + 1)
            return order_invalid(a, ev, "a fragment is missing", err);
        return REPL_OK;
    }
    if (!last->last_frag)
        return order_invalid(a, ev, "the previous transaction is incomplete", err);
    if (ev->fragno != 0)
        return order_invalid(a, ev, "not a first fragment", err);
    return REPL_OK;
}

static int classify_item(apl_applier *a, const thl_item *it, apl_evclass *c, repl_error *err)
{
    apl_table *t = NULL;
    int rc;
    if (it->kind == THL_ITEM_STATEMENT) {
        enum apl_sql_kind k = apl_sql_classify(it->u.stmt.sql, it->u.stmt.sql_len);
        if (k != APL_SQL_PLAIN && k != APL_SQL_TRX_CONTROL)
            c->marker = 1;
        if (k == APL_SQL_IMPLICIT_COMMIT || k == APL_SQL_DROP_DB)
            c->ddl = 1;
        return REPL_OK;
    }
    rc = apl_meta_table(a, it->u.rows.schema, it->u.rows.table, &t, err);
    if (rc != REPL_OK)
        return rc;
    if (t->exists && (!t->transactional || t->sequence)) {
        c->marker = 1;
        c->nontrans = 1;
    }
    return REPL_OK;
}

/* What the transaction starting with ev needs around it (docs/applier.md, "Blocks"). */
static int event_classify(apl_applier *a, const thl_event *ev, apl_evclass *c, repl_error *err)
{
    int rc = REPL_OK;
    memset(c, 0, sizeof(*c));
    if (ev->flags & (THL_EV_DDL | THL_EV_UNSAFE))
        c->marker = 1;
    if (ev->flags & THL_EV_DDL)
        c->ddl = 1;
    if (ev->flags & (THL_EV_ROLLBACK | THL_EV_HEARTBEAT))
        c->commit_after = 1;
    if (ev->flags & THL_EV_ROLLBACK)
        c->ends_block = 1; /* its ROLLBACK must not take the block with it */
    if (!(ev->flags & THL_EV_LAST_FRAG))
        c->ends_block = 1; /* a fragmented transaction gets a block of its own */
    for (uint32_t i = 0; i < ev->n_items && rc == REPL_OK; i++)
        rc = classify_item(a, &ev->items[i], c, err);
    /* unsafe and not DDL (atomic): statements on non-transactional tables */
    if ((ev->flags & THL_EV_UNSAFE) && !c->ddl)
        c->nontrans = 1;
    if (c->marker) {
        c->ends_block = 1;
        c->commit_after = 1;
    }
    return rc;
}

/* Commit the open block with the position of its last complete transaction. */
static int block_commit(apl_applier *a, repl_error *err)
{
    int rc;
    if (!a->have_pending || !a->pending.last_frag)
        return REPL_OK;
    rc = apl_pos_write(a, &a->pending, err);
    if (rc == REPL_OK && a->trx_open)
        rc = apl_exec(a, "COMMIT", 6, err);
    if (rc != REPL_OK)
        return repl_error_wrap(err, "apply: commit block ending at seqno=%" PRIu64,
                               a->pending.seqno);
    a->trx_open = 0;
    a->committed = a->pending;
    a->have_pending = 0;
    a->block_trx = 0;
    a->stats.commits++;
    if (a->marker_found && a->marker_seqno <= a->committed.seqno)
        a->marker_found = 0; /* the upsert cleared it */
    a->recovering = 0;
    a->marker_open = 0;
    return REPL_OK;
}

/* An error: roll the block back (or drop the connection when it holds XA state) and keep the marker
 * only when the failed event may have left effects behind. */
static void event_abort(apl_applier *a)
{
    repl_error ignored;
    if (!a->broken && (a->in_xa || a->xa_prepared))
        a->broken = 1; /* reconnecting ends the XA transaction (or detaches a prepared one) */
    if (!a->broken && a->trx_open)
        apl_exec(a, "ROLLBACK", 8, &ignored);
    if (!a->broken && a->marker_open && !a->cls.nontrans)
        apl_pos_clear_marker(a, &ignored);
    a->marker_open = 0;
    apl_block_reset(a);
    /* the schema may be what failed us (a DBA's ALTER): read it again next time */
    apl_meta_clear(a);
    apl_pstmt_clear(a);
}

static int event_begin(apl_applier *a, const thl_event *ev, repl_error *err)
{
    apl_hdr h;
    int rc = REPL_OK;
    if (ev->fragno != 0)
        return REPL_OK;
    rc = event_classify(a, ev, &a->cls, err);
    if (rc == REPL_OK && a->cls.ends_block)
        rc = block_commit(a, err);
    if (rc != REPL_OK)
        return rc;
    a->recovering = a->marker_found && a->marker_seqno == ev->seqno &&
                    a->marker_crc == apl_pos_marker_crc(ev->event_id);
    a->skip_rest = 0;
    if (a->recovering)
        REPL_LOG_WARN(APL_LOG,
                      "seqno=%" PRIu64 " event_id=%s was being applied when the applier "
                      "stopped: applying it again, taking 'already done' errors as success",
                      ev->seqno, ev->event_id);
    if (a->cls.marker && !a->recovering) {
        hdr_from_event(&h, ev);
        rc = apl_pos_write_marker(a, &h, err);
        a->marker_open = rc == REPL_OK;
    }
    if (!a->have_pending)
        a->block_start_ms = repl_clock_mono_ms();
    return rc;
}

static int event_items(apl_applier *a, const thl_event *ev, repl_error *err)
{
    int rc = REPL_OK;
    for (uint32_t i = 0; i < ev->n_items && rc == REPL_OK && !a->skip_rest; i++) {
        const thl_item *it = &ev->items[i];
        if (it->kind == THL_ITEM_STATEMENT)
            rc = apl_stmt_apply(a, &it->u.stmt, err);
        else if (it->kind == THL_ITEM_ROWS)
            rc = apl_rows_apply(a, &it->u.rows, err);
        else
            rc = repl_error_set(err, REPL_ERR_INVALID, "apply: seqno=%" PRIu64 ": item kind %u",
                                ev->seqno, (unsigned)it->kind);
    }
    return rc;
}

static int block_due(const apl_applier *a)
{
    if (a->block_trx >= a->opts.block_events)
        return 1;
    return repl_clock_mono_ms() - a->block_start_ms >= a->opts.block_ms;
}

static int event_end(apl_applier *a, const thl_event *ev, repl_error *err)
{
    int rc = REPL_OK;
    hdr_from_event(&a->pending, ev);
    a->have_pending = 1;
    if (!a->pending.last_frag)
        return REPL_OK; /* the transaction goes on in the next fragment */
    if ((ev->flags & THL_EV_ROLLBACK) && a->trx_open) {
        rc = apl_exec(a, "ROLLBACK", 8, err);
        a->trx_open = 0;
    }
    if (rc == REPL_OK && a->xa_prepared) {
        rc = apl_conn_cycle(a, err); /* detach the prepared XA transaction from this session */
        a->xa_prepared = 0;
    }
    if (rc != REPL_OK)
        return rc;
    a->block_trx++;
    if (a->cls.commit_after || block_due(a))
        return block_commit(a, err);
    return REPL_OK;
}

static int apply_event(apl_applier *a, const thl_event *ev, repl_error *err)
{
    int rc = apl_conn_ensure(a, err);
    if (rc == REPL_OK)
        rc = event_order(a, ev, err);
    if (rc == EVENT_SKIP) {
        REPL_LOG_DEBUG(APL_LOG, "seqno=%" PRIu64 " fragno=%u already applied: skipped", ev->seqno,
                       ev->fragno);
        return REPL_OK;
    }
    if (rc != REPL_OK)
        return rc;
    rc = event_begin(a, ev, err);
    if (rc == REPL_OK)
        rc = event_items(a, ev, err);
    if (rc == REPL_OK)
        rc = event_end(a, ev, err);
    if (rc != REPL_OK) {
        event_abort(a);
        return rc;
    }
    a->stats.events++;
    return REPL_OK;
}

int apl_applier_apply(apl_applier *a, const thl_event *ev, repl_error *err)
{
    int rc;
    a->failed = 0;
    a->cur_ev = ev;
    rc = apply_event(a, ev, err);
    a->cur_ev = NULL; /* borrowed for this call only */
    return rc;
}

int apl_applier_commit(apl_applier *a, repl_error *err)
{
    int rc;
    a->failed = 0;
    a->cur_ev = NULL;
    if (!a->have_pending || !a->pending.last_frag)
        return REPL_OK;
    if (a->broken) {
        apl_block_reset(a);
        return repl_error_set(err, REPL_ERR_RETRY, "apply: connection lost before commit");
    }
    rc = block_commit(a, err);
    if (rc != REPL_OK)
        event_abort(a);
    return rc;
}

int apl_applier_commit_due_ms(apl_applier *a)
{
    int64_t left;
    if (!a->have_pending || !a->pending.last_frag)
        return -1;
    left = a->block_start_ms + a->opts.block_ms - repl_clock_mono_ms();
    return left < 0 ? 0 : (int)left;
}

static int skip_event(apl_applier *a, const thl_event *ev, repl_error *err)
{
    int rc = apl_conn_ensure(a, err);
    if (rc == REPL_OK)
        rc = event_order(a, ev, err);
    if (rc == EVENT_SKIP)
        return REPL_OK;
    if (rc == REPL_OK && a->have_pending && !a->pending.last_frag && a->trx_open) {
        rc = apl_exec(a, "ROLLBACK", 8, err); /* drop the fragments applied so far */
        a->trx_open = 0;
    }
    if (rc == REPL_OK)
        rc = block_commit(a, err);
    if (rc == REPL_OK) {
        REPL_LOG_WARN(APL_LOG, "seqno=%" PRIu64 " fragno=%u event_id=%s skipped on request",
                      ev->seqno, ev->fragno, ev->event_id);
        hdr_from_event(&a->pending, ev);
        a->have_pending = 1;
        a->pending.last_frag = 1; /* the whole transaction is skipped, whatever ev's fragno */
        rc = block_commit(a, err);
    }
    if (rc != REPL_OK)
        event_abort(a);
    return rc;
}

int apl_applier_skip(apl_applier *a, const thl_event *ev, repl_error *err)
{
    int rc;
    a->failed = 0;
    a->cur_ev = ev;
    rc = skip_event(a, ev, err);
    a->cur_ev = NULL;
    return rc;
}
