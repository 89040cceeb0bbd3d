/* SPDX-License-Identifier: GPL-2.0-or-later */
/* replicator/service_status.c - `trepctl status` for a service: the fields of DESIGN.md section 9
 * as a JSON object, from the THL, the pipeline and the error state. Read-only. */
#include "replicator/service_int.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "replicator/base/buf.h"
#include "replicator/base/clock.h"
#include "replicator/base/mem.h"
#include "replicator/control.h"

int svc_pipeline_connected(repl_service *svc)
{
    if (svc->cfg.role == REPL_ROLE_MASTER) {
        ext_extractor_status xs;
        if (svc->extractor == NULL)
            return 0;
        ext_extractor_status_get(svc->extractor, &xs);
        return xs.connected;
    }
    return svc->client != NULL && svc->applier_connected;
}

static void status_set_u64(json_t *o, const char *key, int has, uint64_t v)
{
    json_object_set_new(o, key, has ? json_integer((json_int_t)v) : json_integer(-1));
}

static double us_to_sec(int64_t us)
{
    return us < 0 ? 0.0 : (double)us / 1e6;
}

/* The last stored record's header: event_id and timestamps for a master's status. */
static void status_last_record(repl_service *svc, const thl_log_state *st, json_t *o)
{
    repl_buf b;
    repl_error err;
    thl_record_header h;
    int64_t now = repl_clock_now_us();
    repl_buf_init(&b);
    if (!st->empty && thl_log_read_record(svc->log, st->max_seqno, 0, &b, &err) == REPL_OK &&
        thl_record_parse_header(&h, b.data, b.len, &err) == REPL_OK) {
        json_object_set_new(o, "appliedLatency",
                            json_real(us_to_sec(h.extract_tstamp_us - h.source_tstamp_us)));
        json_object_set_new(o, "relativeLatency", json_real(us_to_sec(now - h.source_tstamp_us)));
    } else {
        json_object_set_new(o, "appliedLatency", json_real(0));
        json_object_set_new(o, "relativeLatency", json_real(0));
    }
    status_set_u64(o, "appliedLastSeqno", !st->empty, st->max_seqno);
    json_object_set_new(o, "appliedLastEventId", json_string(st->empty ? "" : st->last_event_id));
    repl_buf_dispose(&b);
}

static void status_master(repl_service *svc, const thl_log_state *st, json_t *o)
{
    thl_server_client *clients = NULL;
    size_t n = 0;
    json_t *arr = json_array();
    status_last_record(svc, st, o);
    if (svc->extractor != NULL) {
        ext_extractor_status xs;
        char pos[300];
        ext_extractor_status_get(svc->extractor, &xs);
        snprintf(pos, sizeof(pos), "%s:%llu", xs.binlog_file, (unsigned long long)xs.binlog_offset);
        json_object_set_new(o, "extractorPosition", json_string(pos));
    }
    if (svc->server != NULL)
        n = thl_server_clients(svc->server, &clients);
    for (size_t i = 0; i < n; i++) {
        json_t *c = json_object();
        json_object_set_new(c, "peer", json_string(clients[i].peer));
        status_set_u64(c, "ackedSeqno", clients[i].has_acked, clients[i].acked_seqno);
        json_array_append_new(arr, c);
    }
    repl_free(clients);
    json_object_set_new(o, "connectedSlaves", arr);
    json_object_set_new(o, "masterConnectUri", json_string(""));
}

static void status_slave(repl_service *svc, json_t *o)
{
    int64_t now = repl_clock_now_us();
    const apl_position *p = &svc->applied;
    int has = svc->has_progress || !p->empty;
    status_set_u64(o, "appliedLastSeqno", has, p->seqno);
    json_object_set_new(o, "appliedLastEventId", json_string(has ? p->event_id : ""));
    json_object_set_new(o, "appliedLatency",
                        json_real(has ? us_to_sec(svc->applied_at_us - p->source_tstamp_us) : 0));
    json_object_set_new(o, "relativeLatency",
                        json_real(has ? us_to_sec(now - p->source_tstamp_us) : 0));
    json_object_set_new(o, "masterConnectUri", json_string(svc->cfg.master_uri));
}

static void status_error(repl_service *svc, json_t *o)
{
    json_object_set_new(o, "pendingError", repl_control_text(svc->error));
    json_object_set_new(o, "pendingErrorCode",
                        json_string(svc->error[0] ? repl_code_name(svc->error_code) : ""));
    status_set_u64(o, "pendingErrorSeqno", svc->error_has_seqno, svc->error_seqno);
    json_object_set_new(o, "pendingErrorEventId", repl_control_text(svc->error_event_id));
    if (svc->has_failure && svc->error[0] != '\0') {
        json_object_set_new(o, "pendingErrorSQL", repl_control_text(svc->failure.sql));
        json_object_set_new(o, "pendingErrorServerErrno",
                            json_integer((json_int_t)svc->failure.server_errno));
        json_object_set_new(o, "pendingErrorServerMessage",
                            repl_control_text(svc->failure.server_error));
    }
}

json_t *repl_service_status(repl_service *svc)
{
    json_t *o = json_object();
    thl_log_state st;
    repl_error err;
    int64_t now_ms = repl_clock_mono_ms();
    memset(&st, 0, sizeof(st));
    st.empty = 1;
    thl_log_state_get(svc->log, &st, &err);
    pthread_mutex_lock(&svc->lock);
    json_object_set_new(o, "serviceName", json_string(svc->cfg.name));
    json_object_set_new(o, "role",
                        json_string(svc->cfg.role == REPL_ROLE_MASTER ? "master" : "slave"));
    json_object_set_new(o, "state", json_string(svc_state_name(svc)));
    if (svc->cfg.role == REPL_ROLE_MASTER)
        status_master(svc, &st, o);
    else
        status_slave(svc, o);
    status_set_u64(o, "minimumStoredSeqNo", !st.empty, st.min_seqno);
    status_set_u64(o, "maximumStoredSeqNo", !st.empty, st.max_seqno);
    status_set_u64(o, "latestEpochNumber", !st.empty, st.last_epoch);
    json_object_set_new(o, "masterListenUri",
                        json_string(svc->cfg.role == REPL_ROLE_MASTER ? svc->cfg.thl_listen : ""));
    json_object_set_new(o, "channels", json_integer(svc->cfg.channels));
    status_error(svc, o);
    json_object_set_new(o, "timeInStateSeconds",
                        json_real((double)(now_ms - svc->state_since_ms) / 1000.0));
    json_object_set_new(o, "uptimeSeconds", json_real((double)(now_ms - svc->started_ms) / 1000.0));
    json_object_set_new(o, "pid", json_integer(getpid()));
    pthread_mutex_unlock(&svc->lock);
    return o;
}
