/* SPDX-License-Identifier: GPL-2.0-or-later */
/* replicator/service_int.h - the service's private state, shared by service.c (state machine),
 * service_master.c, service_slave.c and service_status.c. Only those files include it. */
#ifndef REPL_SERVICE_INT_H
#define REPL_SERVICE_INT_H

#include <mysql.h>
#include <pthread.h>
#include <stdatomic.h>

#include "appliers/applier.h"
#include "extractors/extractor.h"
#include "replicator/service.h"
#include "thl/log.h"
#include "thl/net.h"

enum svc_state {
    SVC_OFFLINE = 0,
    SVC_ERROR = 1,
    SVC_ONLINE = 2, /* reported as GOING-ONLINE:SYNCHRONIZING until the pipeline is connected */
    SVC_GOING_OFFLINE = 3
};

struct repl_service {
    repl_service_config cfg; /* role and master_uri change with setrole (under lock) */
    thl_log *log;            /* shared by the pipeline threads; the writer is one of them */
    pthread_mutex_t lock;    /* guards everything below */
    pthread_cond_t cond;     /* state, progress, stop */
    int state;
    int running; /* pipeline threads started */
    int64_t state_since_ms;
    int64_t started_ms;
    atomic_int stop;
    /* the error that put the service in OFFLINE:ERROR */
    char error[1024];
    int error_code;
    int error_has_seqno;
    uint64_t error_seqno;
    char error_event_id[THL_ID_MAX + 1];
    /* progress: last seqno stored (master) or applied (slave) */
    int has_progress;
    uint64_t progress_seqno;
    int has_deferred;
    uint64_t deferred_seqno;
    /* master */
    pthread_t extract_thread;
    ext_extractor *extractor;
    thl_server *server;
    /* slave */
    pthread_t fetch_thread;
    pthread_t apply_thread;
    thl_client *client; /* current connection, under lock */
    thl_net_stop *net_stop;
    int applier_connected;
    apl_position applied;  /* last committed apply position */
    int64_t applied_at_us; /* when it was applied */
    apl_failure failure;
    int has_failure;
    uint64_t skip_seqno;
    int has_skip;
    int provisioning; /* restoring a backup before going online */
};

const char *svc_state_name(repl_service *svc);
void svc_set_state(repl_service *svc, int state);
void svc_set_error(repl_service *svc, const repl_error *err, int has_seqno, uint64_t seqno,
                   const char *event_id);
int svc_backoff(repl_service *svc, unsigned attempt);
void svc_progress(repl_service *svc, uint64_t seqno);
int svc_pipeline_connected(repl_service *svc);

int svc_master_start(repl_service *svc, const repl_online_args *args, repl_error *err);
void svc_master_stop(repl_service *svc);
void svc_master_tick(repl_service *svc);
int svc_slave_start(repl_service *svc, const repl_online_args *args, repl_error *err);
void svc_slave_stop(repl_service *svc);
int svc_slave_reset_position(repl_service *svc, repl_error *err);
void svc_applier_options(const repl_service_config *cfg, apl_options *ao);
/** Connect to the service's local database (10 s timeout); REPL_ERR_RETRY when unreachable. */
int svc_mysql_connect(repl_service *svc, MYSQL **out, repl_error *err);
/** Slave start: restore the latest backup first when an earlier provisioning was interrupted, or
 * when auto-provision is on and the database holds no user table. */
int svc_provision_if_needed(repl_service *svc, repl_error *err);
int svc_provision_interrupted(const repl_service *svc);

#endif
