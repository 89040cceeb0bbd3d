/* SPDX-License-Identifier: GPL-2.0-or-later */
/* replicator/service_slave.c - the slave pipeline of a service: the fetch thread (thl-client:
 * master THL
 * -> local THL, reconnecting with backoff) and the apply thread (local THL -> database through the
 * applier, resuming after the position committed in the target). */
#include "replicator/service_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "replicator/base/clock.h"
#include "replicator/base/log.h"

/* ---- fetch ---- */

static void slave_client_options(repl_service *svc, thl_client_options *co)
{
    thl_client_options_init(co);
    co->uri = svc->cfg.master_uri;
    co->service = svc->cfg.name;
    co->secret = svc->cfg.secret;
    co->stop = svc->net_stop;
}

/* An empty THL after a restore: the applied position stands for what the slave holds, so the master
 * streams what follows it. */
static int slave_start_after(repl_service *svc, thl_client_options *co, apl_position *pos,
                             repl_error *err)
{
    thl_log_state st;
    apl_options ao;
    apl_applier *apl = NULL;
    int rc = thl_log_state_get(svc->log, &st, err);
    if (rc != REPL_OK || !st.empty)
        return rc;
    svc_applier_options(&svc->cfg, &ao);
    rc = apl_applier_open(&apl, &ao, err);
    if (rc == REPL_OK)
        rc = apl_applier_position(apl, pos, err);
    apl_applier_close(apl);
    if (rc == REPL_OK && !pos->empty) {
        co->has_start_after = 1;
        co->start_after_seqno = pos->seqno;
        co->start_after_epoch = pos->epoch;
        co->start_after_event_id = pos->event_id;
    }
    return rc;
}

/* One connection: handshake then receive until stopped or an error. */
static int slave_fetch_once(repl_service *svc, repl_error *err)
{
    thl_client_options co;
    thl_client *c = NULL;
    apl_position pos;
    int rc;
    slave_client_options(svc, &co);
    rc = slave_start_after(svc, &co, &pos, err);
    if (rc == REPL_OK)
        rc = thl_client_open(&c, &co, svc->log, err);
    if (rc != REPL_OK)
        return rc;
    pthread_mutex_lock(&svc->lock);
    svc->client = c;
    pthread_mutex_unlock(&svc->lock);
    REPL_LOG_INFO("fetch", "service=%s connected to %s", svc->cfg.name, svc->cfg.master_uri);
    rc = thl_client_run(c, err);
    pthread_mutex_lock(&svc->lock);
    svc->client = NULL;
    pthread_mutex_unlock(&svc->lock);
    thl_client_close(c);
    return rc;
}

static void *slave_fetch_main(void *arg)
{
    repl_service *svc = arg;
    repl_error err;
    unsigned attempt = 0;
    while (!atomic_load(&svc->stop)) {
        int rc = slave_fetch_once(svc, &err);
        if (atomic_load(&svc->stop))
            break;
        if (rc == REPL_ERR_RETRY || rc == REPL_OK) {
            REPL_LOG_WARN("fetch", "service=%s %s; reconnecting", svc->cfg.name, err.msg);
            if (svc_backoff(svc, attempt++))
                break;
            continue;
        }
        pthread_mutex_lock(&svc->lock);
        svc_set_error(svc, &err, 0, 0, NULL);
        pthread_mutex_unlock(&svc->lock);
        break;
    }
    return NULL;
}

/* ---- apply ---- */

void svc_applier_options(const repl_service_config *cfg, apl_options *ao)
{
    apl_options_init(ao);
    ao->host = cfg->mysql_host;
    ao->port = (unsigned)cfg->mysql_port;
    ao->socket = cfg->mysql_socket[0] != '\0' ? cfg->mysql_socket : NULL;
    ao->user = cfg->mysql_user;
    ao->password = cfg->mysql_password;
    ao->service = cfg->name;
    ao->channel = 0;
    ao->block_events = cfg->apply_block_events;
    ao->block_ms = cfg->apply_block_ms;
}

typedef struct apply_run {
    repl_service *svc;
    apl_applier *apl;
    thl_cursor *cur;
    apl_position pending; /* last event applied in the open block */
    int has_pending;
} apply_run;

static void apply_publish(apply_run *r)
{
    repl_service *svc = r->svc;
    if (!r->has_pending)
        return;
    pthread_mutex_lock(&svc->lock);
    svc->applied = r->pending;
    svc->applied_at_us = repl_clock_now_us();
    pthread_mutex_unlock(&svc->lock);
    r->has_pending = 0;
    svc_progress(svc, r->pending.seqno);
}

static void apply_note(apply_run *r, const thl_event *ev)
{
    apl_position *p = &r->pending;
    memset(p, 0, sizeof(*p));
    p->seqno = ev->seqno;
    p->fragno = ev->fragno;
    p->last_frag = 1;
    p->epoch = ev->epoch;
    snprintf(p->event_id, sizeof(p->event_id), "%s", ev->event_id);
    snprintf(p->source_id, sizeof(p->source_id), "%s", ev->source_id);
    snprintf(p->shard_id, sizeof(p->shard_id), "%s", ev->shard_id);
    p->source_tstamp_us = ev->source_tstamp_us;
    p->update_tstamp_us = repl_clock_now_us();
    r->has_pending = 1;
}

static int apply_skip_wanted(repl_service *svc, const thl_event *ev)
{
    int skip;
    pthread_mutex_lock(&svc->lock);
    skip = svc->has_skip && svc->skip_seqno == ev->seqno;
    if (skip && (ev->flags & THL_EV_LAST_FRAG))
        svc->has_skip = 0;
    pthread_mutex_unlock(&svc->lock);
    return skip;
}

/* offline-deferred: whether the slave must hold before applying ev (beyond the point) or, with
 * applied, after it (the point itself, complete). */
static int apply_deferred_due(repl_service *svc, const thl_event *ev, int applied)
{
    int due;
    pthread_mutex_lock(&svc->lock);
    if (!svc->has_deferred)
        due = 0;
    else if (applied)
        due = (ev->flags & THL_EV_LAST_FRAG) && ev->seqno >= svc->deferred_seqno;
    else
        due = ev->seqno > svc->deferred_seqno;
    pthread_mutex_unlock(&svc->lock);
    return due;
}

/* Apply one record; *hold is set when the offline-deferred point is reached (an event beyond it
 * is left unapplied: the service stops, and the next session reads it again). */
static int apply_one(apply_run *r, const uint8_t *rec, size_t len, int *hold, repl_error *err)
{
    thl_event *ev = NULL;
    int rc = thl_record_decode(&ev, rec, len, err);
    if (rc != REPL_OK)
        return rc;
    *hold = apply_deferred_due(r->svc, ev, 0);
    if (*hold) {
        thl_event_free(ev);
        return REPL_OK;
    }
    if (apply_skip_wanted(r->svc, ev)) {
        rc = (ev->flags & THL_EV_LAST_FRAG) ? apl_applier_skip(r->apl, ev, err) : REPL_OK;
        if (rc == REPL_OK)
            REPL_LOG_WARN("apply", "service=%s skipped seqno=%" PRIu64 " fragno=%u as asked",
                          r->svc->cfg.name, ev->seqno, ev->fragno);
    } else {
        rc = apl_applier_apply(r->apl, ev, err);
    }
    if (rc == REPL_OK && (ev->flags & THL_EV_LAST_FRAG)) {
        apply_note(r, ev);
        if (apl_applier_commit_due_ms(r->apl) < 0)
            apply_publish(r);
    }
    if (rc == REPL_OK)
        *hold = apply_deferred_due(r->svc, ev, 1);
    thl_event_free(ev);
    return rc;
}

/* With a block open, do not wait: when the THL has nothing more to read right now the block is
 * committed at once (full blocks under a backlog, low latency at a moderate load). */
static int apply_wait_ms(apply_run *r)
{
    return apl_applier_commit_due_ms(r->apl) >= 0 ? 0 : 1000;
}

/* The offline-deferred point is applied: commit the open block now (it must not take later
 * transactions with it) and apply nothing more until the service stops; repl_service_tick sees
 * the progress and takes the service offline. */
static int apply_hold(apply_run *r, repl_error *err)
{
    repl_service *svc = r->svc;
    int rc = apl_applier_commit(r->apl, err);
    if (rc != REPL_OK)
        return rc;
    apply_publish(r);
    pthread_mutex_lock(&svc->lock);
    REPL_LOG_INFO("apply", "service=%s offline-deferred point seqno=%" PRIu64 " reached; holding",
                  svc->cfg.name, svc->deferred_seqno);
    while (!atomic_load(&svc->stop))
        pthread_cond_wait(&svc->cond, &svc->lock);
    pthread_mutex_unlock(&svc->lock);
    return REPL_OK;
}

/* Apply records until stopped or an error. */
static int apply_loop(apply_run *r, repl_error *err)
{
    const uint8_t *rec = NULL;
    size_t len = 0;
    int rc = REPL_OK;
    int hold = 0;
    while (!atomic_load(&r->svc->stop)) {
        rc = thl_cursor_next(r->cur, &rec, &len, apply_wait_ms(r), err);
        if (rc == REPL_ERR_RETRY || rc == REPL_ERR_NOTFOUND) {
            /* the input is idle: commit the open block now rather than at its time bound */
            if (apl_applier_commit_due_ms(r->apl) >= 0) {
                rc = apl_applier_commit(r->apl, err);
                if (rc != REPL_OK)
                    return rc;
                apply_publish(r);
            }
            continue;
        }
        if (rc != REPL_OK)
            return rc;
        rc = apply_one(r, rec, len, &hold, err);
        if (rc == REPL_OK && hold)
            rc = apply_hold(r, err);
        if (rc != REPL_OK)
            return rc;
    }
    rc = apl_applier_commit(r->apl, err);
    if (rc == REPL_OK)
        apply_publish(r);
    return rc;
}

static int apply_session(repl_service *svc, repl_error *err)
{
    apply_run r;
    apl_options ao;
    apl_position pos;
    int rc;
    memset(&r, 0, sizeof(r));
    r.svc = svc;
    svc_applier_options(&svc->cfg, &ao);
    rc = apl_applier_open(&r.apl, &ao, err);
    if (rc == REPL_OK)
        rc = apl_applier_position(r.apl, &pos, err);
    if (rc == REPL_OK) {
        pthread_mutex_lock(&svc->lock);
        svc->applied = pos;
        svc->applier_connected = 1;
        pthread_mutex_unlock(&svc->lock);
        if (!pos.empty)
            svc_progress(svc, pos.seqno);
        rc = thl_cursor_open(&r.cur, svc->log, pos.empty ? 0 : pos.seqno + 1, err);
    }
    if (rc == REPL_OK)
        rc = apply_loop(&r, err);
    if (rc != REPL_OK && r.apl != NULL && apl_applier_last_failure(r.apl) != NULL) {
        pthread_mutex_lock(&svc->lock);
        svc->failure = *apl_applier_last_failure(r.apl);
        svc->has_failure = 1;
        pthread_mutex_unlock(&svc->lock);
    }
    pthread_mutex_lock(&svc->lock);
    svc->applier_connected = 0;
    pthread_mutex_unlock(&svc->lock);
    thl_cursor_close(r.cur);
    apl_applier_close(r.apl);
    return rc;
}

static void *slave_apply_main(void *arg)
{
    repl_service *svc = arg;
    repl_error err;
    unsigned attempt = 0;
    while (!atomic_load(&svc->stop)) {
        int rc = apply_session(svc, &err);
        if (atomic_load(&svc->stop) || rc == REPL_OK)
            break;
        if (rc == REPL_ERR_RETRY) {
            REPL_LOG_WARN("apply", "service=%s %s; retrying", svc->cfg.name, err.msg);
            if (svc_backoff(svc, attempt++))
                break;
            continue;
        }
        pthread_mutex_lock(&svc->lock);
        svc_set_error(svc, &err, svc->has_failure, svc->failure.seqno,
                      svc->has_failure ? svc->failure.event_id : NULL);
        pthread_mutex_unlock(&svc->lock);
        break;
    }
    return NULL;
}

int svc_slave_start(repl_service *svc, const repl_online_args *args, repl_error *err)
{
    int rc = svc_provision_if_needed(svc, err);
    if (rc != REPL_OK)
        return rc;
    rc = thl_net_stop_new(&svc->net_stop, err);
    if (rc != REPL_OK)
        return rc;
    svc->has_failure = 0;
    svc->has_skip = args != NULL && args->has_skip_seqno;
    svc->skip_seqno = args != NULL ? args->skip_seqno : 0;
    if (pthread_create(&svc->fetch_thread, NULL, slave_fetch_main, svc) != 0) {
        thl_net_stop_free(svc->net_stop);
        svc->net_stop = NULL;
        return repl_error_set(err, REPL_ERR_IO, "service %s: cannot start the fetch thread",
                              svc->cfg.name);
    }
    if (pthread_create(&svc->apply_thread, NULL, slave_apply_main, svc) != 0) {
        atomic_store(&svc->stop, 1);
        thl_net_stop_signal(svc->net_stop);
        pthread_join(svc->fetch_thread, NULL);
        thl_net_stop_free(svc->net_stop);
        svc->net_stop = NULL;
        return repl_error_set(err, REPL_ERR_IO, "service %s: cannot start the apply thread",
                              svc->cfg.name);
    }
    return REPL_OK;
}

void svc_slave_stop(repl_service *svc)
{
    thl_net_stop_signal(svc->net_stop);
    pthread_join(svc->fetch_thread, NULL);
    pthread_join(svc->apply_thread, NULL);
    thl_net_stop_free(svc->net_stop);
    svc->net_stop = NULL;
}

int svc_slave_reset_position(repl_service *svc, repl_error *err)
{
    apl_options ao;
    apl_applier *apl = NULL;
    int rc;
    svc_applier_options(&svc->cfg, &ao);
    rc = apl_applier_open(&apl, &ao, err);
    if (rc == REPL_OK)
        rc = apl_applier_reset_position(apl, err);
    apl_applier_close(apl);
    return rc;
}
