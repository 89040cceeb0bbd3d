/* SPDX-License-Identifier: GPL-2.0-or-later */
/* replicator/service_master.c - the master pipeline of a service: the extractor thread (binlog ->
 * THL, reconnecting with backoff) and the thl-server that streams the THL to slaves. */
#include "replicator/service_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "replicator/base/log.h"

/* "now", "FILE:OFFSET" or "gtid:D-S-N[,...]" */
static int master_parse_start(ext_start *out, const char *text, repl_error *err)
{
    const char *colon;
    char *end = NULL;
    memset(out, 0, sizeof(*out));
    if (text == NULL || text[0] == '\0' || strcmp(text, "now") == 0) {
        out->kind = EXT_START_NOW;
        return REPL_OK;
    }
    if (strncmp(text, "gtid:", 5) == 0) {
        out->kind = EXT_START_GTID;
        snprintf(out->gtid, sizeof(out->gtid), "%s", text + 5);
        return REPL_OK;
    }
    colon = strrchr(text, ':');
    if (colon == NULL || colon == text || (size_t)(colon - text) >= sizeof(out->file))
        return repl_error_set(err, REPL_ERR_INVALID,
                              "extract start '%s': use now, FILE:OFFSET or gtid:D-S-N", text);
    out->kind = EXT_START_FILE;
    memcpy(out->file, text, (size_t)(colon - text));
    out->offset = strtoull(colon + 1, &end, 10);
    if (end == colon + 1 || *end != '\0')
        return repl_error_set(err, REPL_ERR_INVALID, "extract start '%s': bad offset", text);
    return REPL_OK;
}

static void master_source_options(const repl_service_config *cfg, ext_source_options *so)
{
    ext_source_options_init(so);
    so->host = cfg->mysql_host;
    so->port = (unsigned)cfg->mysql_port;
    so->socket = cfg->mysql_socket[0] != '\0' ? cfg->mysql_socket : NULL;
    so->user = cfg->mysql_user;
    so->password = cfg->mysql_password;
    so->replica_server_id = (uint32_t)cfg->replica_server_id;
    so->heartbeat_ms = cfg->heartbeat_ms;
    if (so->heartbeat_ms > 0 && so->read_timeout_sec * 1000 < 3 * so->heartbeat_ms)
        so->read_timeout_sec = 3 * so->heartbeat_ms / 1000 + 1;
}

static void *master_extract_main(void *arg)
{
    repl_service *svc = arg;
    repl_error err;
    unsigned attempt = 0;
    while (!atomic_load(&svc->stop)) {
        int rc = ext_extractor_run_live(svc->extractor, &svc->stop, &err);
        if (atomic_load(&svc->stop))
            break;
        if (rc == REPL_ERR_RETRY) {
            REPL_LOG_WARN("extract", "service=%s %s; retrying", svc->cfg.name, err.msg);
            if (svc_backoff(svc, attempt++))
                break;
            continue;
        }
        if (rc == REPL_OK)
            continue;
        pthread_mutex_lock(&svc->lock);
        svc_set_error(svc, &err, 0, 0, NULL);
        pthread_mutex_unlock(&svc->lock);
        break;
    }
    return NULL;
}

static int master_server_start(repl_service *svc, repl_error *err)
{
    thl_server_options so;
    thl_server_options_init(&so);
    so.listen = svc->cfg.thl_listen;
    so.service = svc->cfg.name;
    so.secret = svc->cfg.secret;
    if (svc->cfg.heartbeat_ms > 0)
        so.heartbeat_ms = (uint32_t)svc->cfg.heartbeat_ms;
    return thl_server_open(&svc->server, &so, svc->log, err);
}

int svc_master_start(repl_service *svc, const repl_online_args *args, repl_error *err)
{
    ext_extractor_options xo;
    const char *start = svc->cfg.extract_start;
    int rc;
    ext_extractor_options_init(&xo);
    xo.service = svc->cfg.name;
    xo.source_id = svc->cfg.source_id[0] != '\0' ? svc->cfg.source_id : NULL;
    xo.fragment_bytes = svc->cfg.fragment_bytes;
    master_source_options(&svc->cfg, &xo.source);
    if (args != NULL && args->from_event != NULL)
        start = args->from_event;
    rc = master_parse_start(&xo.start, start, err);
    if (rc != REPL_OK)
        return rc;
    rc = master_server_start(svc, err);
    if (rc != REPL_OK)
        return rc;
    svc->extractor = ext_extractor_new(svc->log, &xo);
    if (pthread_create(&svc->extract_thread, NULL, master_extract_main, svc) != 0) {
        thl_server_close(svc->server);
        svc->server = NULL;
        ext_extractor_free(svc->extractor);
        svc->extractor = NULL;
        return repl_error_set(err, REPL_ERR_IO, "service %s: cannot start the extractor thread",
                              svc->cfg.name);
    }
    return REPL_OK;
}

void svc_master_stop(repl_service *svc)
{
    ext_extractor_interrupt(svc->extractor);
    pthread_join(svc->extract_thread, NULL);
    thl_server_close(svc->server);
    svc->server = NULL;
    ext_extractor_free(svc->extractor);
    svc->extractor = NULL;
}

void svc_master_tick(repl_service *svc)
{
    thl_log_state st;
    repl_error err;
    if (thl_log_state_get(svc->log, &st, &err) != REPL_OK || st.empty)
        return;
    pthread_mutex_lock(&svc->lock);
    int changed = !svc->has_progress || svc->progress_seqno != st.max_seqno;
    pthread_mutex_unlock(&svc->lock);
    if (changed)
        svc_progress(svc, st.max_seqno);
}
