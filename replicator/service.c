/* SPDX-License-Identifier: GPL-2.0-or-later */
/* replicator/service.c - a replication service: THL, role pipeline threads and the state machine.
 * Master: one extractor thread (binlog -> THL) and the thl-server. Slave: one thl-client thread
 * (master THL -> local THL) and one applier thread (local THL -> database). A thread that hits a
 * transient error retries with backoff (GOING-ONLINE:SYNCHRONIZING); any other error stops the
 * service in OFFLINE:ERROR with the details. */
#include "replicator/service_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "replicator/base/clock.h"
#include "replicator/base/log.h"
#include "replicator/base/mem.h"

static const char *const state_names[] = {
    [SVC_OFFLINE] = "OFFLINE:NORMAL",
    [SVC_ERROR] = "OFFLINE:ERROR",
    [SVC_ONLINE] = "ONLINE",
    [SVC_GOING_OFFLINE] = "GOING-OFFLINE",
};

const char *svc_state_name(repl_service *svc)
{
    if (svc->provisioning)
        return "GOING-ONLINE:PROVISIONING";
    if (svc->state == SVC_ONLINE && !svc_pipeline_connected(svc))
        return "GOING-ONLINE:SYNCHRONIZING";
    return state_names[svc->state];
}

void svc_set_state(repl_service *svc, int state)
{
    if (svc->state == state)
        return;
    REPL_LOG_INFO("service", "service=%s state %s -> %s", svc->cfg.name, state_names[svc->state],
                  state_names[state]);
    svc->state = state;
    svc->state_since_ms = repl_clock_mono_ms();
    pthread_cond_broadcast(&svc->cond);
}

/* Record the error that stops the service; the first one wins. Called with svc->lock held. */
void svc_set_error(repl_service *svc, const repl_error *err, int has_seqno, uint64_t seqno,
                   const char *event_id)
{
    if (svc->state == SVC_ERROR)
        return;
    snprintf(svc->error, sizeof(svc->error), "%s", err->msg);
    svc->error_code = err->code;
    svc->error_has_seqno = has_seqno;
    svc->error_seqno = seqno;
    snprintf(svc->error_event_id, sizeof(svc->error_event_id), "%s",
             event_id != NULL ? event_id : "");
    REPL_LOG_ERROR("service", "service=%s stopping on error: %s", svc->cfg.name, err->msg);
    svc_set_state(svc, SVC_ERROR);
    atomic_store(&svc->stop, 1);
}

/* Forget the error of OFFLINE:ERROR (the DBA acted on it). Called with svc->lock held. */
static void svc_clear_error(repl_service *svc)
{
    svc->error[0] = '\0';
    svc->error_code = 0;
    svc->error_has_seqno = 0;
    svc->error_seqno = 0;
    svc->error_event_id[0] = '\0';
}

/* Sleep up to ms unless the service is asked to stop; returns non-zero when stopping. */
int svc_backoff(repl_service *svc, unsigned attempt)
{
    struct timespec deadline;
    int ms = thl_backoff_next_ms(attempt);
    repl_clock_deadline(&deadline, ms);
    pthread_mutex_lock(&svc->lock);
    while (!atomic_load(&svc->stop)) {
        if (pthread_cond_timedwait(&svc->cond, &svc->lock, &deadline) != 0)
            break;
    }
    pthread_mutex_unlock(&svc->lock);
    return atomic_load(&svc->stop);
}

static int svc_open_log(repl_service *svc, repl_error *err)
{
    thl_log_options lo;
    thl_log_options_init(&lo);
    lo.dir = svc->cfg.thl_dir;
    lo.service = svc->cfg.name;
    lo.sync = (thl_sync_mode)svc->cfg.thl_sync;
    lo.map_bytes = svc->cfg.thl_map_bytes;
    lo.codec.compress_min_bytes = svc->cfg.thl_compress_min_bytes;
    return thl_log_open(&svc->log, &lo, err);
}

int repl_service_open(repl_service **out, const repl_service_config *cfg, repl_error *err)
{
    repl_service *svc = repl_calloc(1, sizeof(*svc));
    int rc;
    *out = NULL;
    svc->cfg = *cfg;
    pthread_mutex_init(&svc->lock, NULL);
    pthread_cond_init(&svc->cond, NULL);
    svc->state = SVC_OFFLINE;
    svc->state_since_ms = repl_clock_mono_ms();
    svc->started_ms = svc->state_since_ms;
    rc = svc_open_log(svc, err);
    if (rc != REPL_OK) {
        repl_error_wrap(err, "service %s", cfg->name);
        pthread_mutex_destroy(&svc->lock);
        pthread_cond_destroy(&svc->cond);
        repl_free(svc);
        return rc;
    }
    *out = svc;
    return REPL_OK;
}

void repl_service_close(repl_service *svc)
{
    repl_error err;
    if (svc == NULL)
        return;
    repl_service_offline(svc, &err);
    thl_log_close(svc->log);
    pthread_mutex_destroy(&svc->lock);
    pthread_cond_destroy(&svc->cond);
    repl_free(svc);
}

const char *repl_service_name(const repl_service *svc)
{
    return svc->cfg.name;
}

int repl_service_online(repl_service *svc, const repl_online_args *args, repl_error *err)
{
    int rc;
    pthread_mutex_lock(&svc->lock);
    if (svc->state == SVC_ERROR && svc->running) {
        /* the pipeline stopped itself on the error: join its threads before starting again */
        pthread_mutex_unlock(&svc->lock);
        repl_service_offline(svc, err);
        pthread_mutex_lock(&svc->lock);
    }
    if (svc->state == SVC_ONLINE || svc->running) {
        pthread_mutex_unlock(&svc->lock);
        return repl_error_set(err, REPL_ERR_INVALID, "service %s is already online", svc->cfg.name);
    }
    svc_clear_error(svc);
    svc->has_deferred = 0;
    atomic_store(&svc->stop, 0);
    pthread_mutex_unlock(&svc->lock);
    if (svc->cfg.role == REPL_ROLE_MASTER)
        rc = svc_master_start(svc, args, err);
    else
        rc = svc_slave_start(svc, args, err);
    pthread_mutex_lock(&svc->lock);
    if (rc == REPL_OK) {
        svc->running = 1;
        svc_set_state(svc, SVC_ONLINE);
    }
    pthread_mutex_unlock(&svc->lock);
    return rc;
}

int repl_service_offline(repl_service *svc, repl_error *err)
{
    (void)err;
    pthread_mutex_lock(&svc->lock);
    /* offline from OFFLINE:ERROR ends in OFFLINE:NORMAL (the DBA has seen the error); an error
     * raised while the pipeline stops is kept */
    if (svc->state == SVC_ERROR)
        svc_clear_error(svc);
    if (!svc->running) {
        svc_set_state(svc, SVC_OFFLINE);
        pthread_mutex_unlock(&svc->lock);
        return REPL_OK;
    }
    svc_set_state(svc, SVC_GOING_OFFLINE);
    atomic_store(&svc->stop, 1);
    pthread_cond_broadcast(&svc->cond);
    pthread_mutex_unlock(&svc->lock);
    if (svc->cfg.role == REPL_ROLE_MASTER)
        svc_master_stop(svc);
    else
        svc_slave_stop(svc);
    pthread_mutex_lock(&svc->lock);
    svc->running = 0;
    if (svc->state != SVC_ERROR)
        svc_set_state(svc, SVC_OFFLINE);
    pthread_mutex_unlock(&svc->lock);
    return REPL_OK;
}

int repl_service_offline_deferred(repl_service *svc, uint64_t seqno, repl_error *err)
{
    pthread_mutex_lock(&svc->lock);
    if (!svc->running) {
        pthread_mutex_unlock(&svc->lock);
        return repl_error_set(err, REPL_ERR_INVALID, "service %s is not online", svc->cfg.name);
    }
    svc->has_deferred = 1;
    svc->deferred_seqno = seqno;
    pthread_cond_broadcast(&svc->cond);
    pthread_mutex_unlock(&svc->lock);
    return REPL_OK;
}

/* Pipeline threads call this after each stored (master) or applied (slave) seqno: wakes waiters. */
void svc_progress(repl_service *svc, uint64_t seqno)
{
    pthread_mutex_lock(&svc->lock);
    svc->progress_seqno = seqno;
    svc->has_progress = 1;
    pthread_cond_broadcast(&svc->cond);
    pthread_mutex_unlock(&svc->lock);
}

void repl_service_tick(repl_service *svc)
{
    int due;
    repl_error err;
    if (svc->cfg.role == REPL_ROLE_MASTER)
        svc_master_tick(svc);
    pthread_mutex_lock(&svc->lock);
    due = svc->running && svc->has_deferred && svc->has_progress &&
          svc->progress_seqno >= svc->deferred_seqno;
    if (due)
        svc->has_deferred = 0;
    pthread_mutex_unlock(&svc->lock);
    if (due) {
        REPL_LOG_INFO("service", "service=%s offline-deferred point reached", svc->cfg.name);
        repl_service_offline(svc, &err);
    }
}

int repl_service_wait_applied(repl_service *svc, uint64_t seqno, int timeout_sec, repl_error *err)
{
    struct timespec deadline;
    int rc = REPL_OK;
    repl_clock_deadline(&deadline, (int64_t)timeout_sec * 1000);
    pthread_mutex_lock(&svc->lock);
    while (!(svc->has_progress && svc->progress_seqno >= seqno)) {
        if (svc->state == SVC_ERROR) {
            rc = repl_error_set(err, REPL_ERR_INVALID, "service %s is OFFLINE:ERROR: %s",
                                svc->cfg.name, svc->error);
            break;
        }
        if (pthread_cond_timedwait(&svc->cond, &svc->lock, &deadline) != 0) {
            rc = repl_error_set(err, REPL_ERR_RETRY,
                                "service %s: seqno %" PRIu64 " not reached within %d s "
                                "(at %s%" PRIu64 ")",
                                svc->cfg.name, seqno, timeout_sec, svc->has_progress ? "" : "none ",
                                svc->has_progress ? svc->progress_seqno : 0);
            break;
        }
    }
    pthread_mutex_unlock(&svc->lock);
    return rc;
}

int repl_service_setrole(repl_service *svc, int role, const char *uri, repl_error *err)
{
    int rc = REPL_OK;
    pthread_mutex_lock(&svc->lock);
    if (svc->running)
        rc = repl_error_set(err, REPL_ERR_INVALID, "service %s: go offline before setrole",
                            svc->cfg.name);
    else if (role == REPL_ROLE_SLAVE && (uri == NULL || strncmp(uri, "thl://", 6) != 0) &&
             strncmp(svc->cfg.master_uri, "thl://", 6) != 0)
        rc = repl_error_set(err, REPL_ERR_INVALID,
                            "service %s: a slave needs --uri thl://HOST:PORT", svc->cfg.name);
    if (rc == REPL_OK) {
        svc->cfg.role = role;
        if (uri != NULL && uri[0] != '\0')
            snprintf(svc->cfg.master_uri, sizeof(svc->cfg.master_uri), "%s", uri);
        REPL_LOG_INFO("service", "service=%s role=%s uri=%s", svc->cfg.name,
                      role == REPL_ROLE_MASTER ? "master" : "slave", svc->cfg.master_uri);
    }
    pthread_mutex_unlock(&svc->lock);
    return rc;
}

int repl_service_reset(repl_service *svc, repl_error *err)
{
    int rc;
    pthread_mutex_lock(&svc->lock);
    if (svc->running) {
        pthread_mutex_unlock(&svc->lock);
        return repl_error_set(err, REPL_ERR_INVALID, "service %s: go offline before reset",
                              svc->cfg.name);
    }
    rc = thl_log_reset(svc->log, err);
    svc->has_progress = 0;
    pthread_mutex_unlock(&svc->lock);
    if (rc == REPL_OK && svc->cfg.role == REPL_ROLE_SLAVE)
        rc = svc_slave_reset_position(svc, err);
    if (rc == REPL_OK) {
        /* the position status reports is gone with the THL and the applier's row */
        pthread_mutex_lock(&svc->lock);
        memset(&svc->applied, 0, sizeof(svc->applied));
        svc->applied.empty = 1;
        svc->applied_at_us = 0;
        pthread_mutex_unlock(&svc->lock);
    }
    return rc;
}
