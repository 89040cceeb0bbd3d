/* SPDX-License-Identifier: GPL-2.0-or-later */
/* replicator/daemon.c - trepd's services, control command dispatch and housekeeping loop. */
#include "replicator/daemon.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "replicator/base/log.h"
#include "replicator/base/mem.h"
#include "replicator/control.h"
#include "replicator/service.h"

struct repl_daemon {
    repl_config cfg;
    int nservices;
    repl_service *services[REPL_CONFIG_MAX_SERVICES];
    repl_control *control;
};

typedef json_t *(*cmd_fn)(repl_daemon *d, repl_service *svc, json_t *args);

static repl_service *daemon_find(repl_daemon *d, const char *name)
{
    if (name == NULL || name[0] == '\0')
        return d->nservices == 1 ? d->services[0] : NULL;
    for (int i = 0; i < d->nservices; i++) {
        if (strcmp(repl_service_name(d->services[i]), name) == 0)
            return d->services[i];
    }
    return NULL;
}

static json_t *fail_err(const repl_error *err)
{
    return repl_control_fail("%s", err->msg);
}

static int arg_u64(json_t *args, const char *key, uint64_t *out)
{
    json_t *v = json_object_get(args, key);
    if (!json_is_integer(v) || json_integer_value(v) < 0)
        return 0;
    *out = (uint64_t)json_integer_value(v);
    return 1;
}

static const char *arg_str(json_t *args, const char *key)
{
    json_t *v = json_object_get(args, key);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

static json_t *cmd_status(repl_daemon *d, repl_service *svc, json_t *args)
{
    (void)d;
    (void)args;
    return repl_control_ok(repl_service_status(svc));
}

static json_t *cmd_online(repl_daemon *d, repl_service *svc, json_t *args)
{
    repl_online_args oa;
    repl_error err;
    (void)d;
    memset(&oa, 0, sizeof(oa));
    oa.has_skip_seqno = arg_u64(args, "skip_seqno", &oa.skip_seqno);
    oa.from_event = arg_str(args, "from_event");
    if (repl_service_online(svc, &oa, &err) != REPL_OK)
        return fail_err(&err);
    return repl_control_ok(NULL);
}

static json_t *cmd_offline(repl_daemon *d, repl_service *svc, json_t *args)
{
    repl_error err;
    (void)d;
    (void)args;
    if (repl_service_offline(svc, &err) != REPL_OK)
        return fail_err(&err);
    return repl_control_ok(NULL);
}

static json_t *cmd_offline_deferred(repl_daemon *d, repl_service *svc, json_t *args)
{
    repl_error err;
    uint64_t seqno;
    (void)d;
    if (!arg_u64(args, "at_seqno", &seqno))
        return repl_control_fail("offline-deferred needs --at-seqno N");
    if (repl_service_offline_deferred(svc, seqno, &err) != REPL_OK)
        return fail_err(&err);
    return repl_control_ok(NULL);
}

static json_t *cmd_flush(repl_daemon *d, repl_service *svc, json_t *args)
{
    repl_error err;
    uint64_t seqno = 0, limit = 60;
    (void)d;
    arg_u64(args, "limit", &limit);
    if (repl_service_flush(svc, &seqno, (int)limit, &err) != REPL_OK)
        return fail_err(&err);
    return repl_control_ok(json_pack("{s:I}", "seqno", (json_int_t)seqno));
}

static json_t *cmd_heartbeat(repl_daemon *d, repl_service *svc, json_t *args)
{
    repl_error err;
    (void)d;
    if (repl_service_heartbeat(svc, arg_str(args, "name"), &err) != REPL_OK)
        return fail_err(&err);
    return repl_control_ok(NULL);
}

static json_t *cmd_wait(repl_daemon *d, repl_service *svc, json_t *args)
{
    repl_error err;
    uint64_t seqno, limit = 0;
    (void)d;
    if (!arg_u64(args, "applied", &seqno))
        return repl_control_fail("wait needs --applied N");
    if (!arg_u64(args, "limit", &limit) || limit == 0)
        limit = 24 * 3600;
    if (repl_service_wait_applied(svc, seqno, (int)limit, &err) != REPL_OK)
        return fail_err(&err);
    return repl_control_ok(json_pack("{s:I}", "seqno", (json_int_t)seqno));
}

static json_t *cmd_setrole(repl_daemon *d, repl_service *svc, json_t *args)
{
    repl_error err;
    const char *role = arg_str(args, "role");
    int r;
    (void)d;
    if (role != NULL && strcmp(role, "master") == 0)
        r = REPL_ROLE_MASTER;
    else if (role != NULL && strcmp(role, "slave") == 0)
        r = REPL_ROLE_SLAVE;
    else
        return repl_control_fail("setrole needs --role master|slave");
    if (repl_service_setrole(svc, r, arg_str(args, "uri"), &err) != REPL_OK)
        return fail_err(&err);
    return repl_control_ok(NULL);
}

static json_t *cmd_reset(repl_daemon *d, repl_service *svc, json_t *args)
{
    repl_error err;
    (void)d;
    (void)args;
    if (repl_service_reset(svc, &err) != REPL_OK)
        return fail_err(&err);
    return repl_control_ok(NULL);
}

static json_t *cmd_backup(repl_daemon *d, repl_service *svc, json_t *args)
{
    repl_error err;
    json_t *out = NULL;
    (void)d;
    if (arg_str(args, "verify") != NULL) {
        if (repl_service_verify(svc, arg_str(args, "verify"), &out, &err) != REPL_OK)
            return fail_err(&err);
        return repl_control_ok(out);
    }
    if (repl_service_backup(svc, arg_str(args, "method"), &out, &err) != REPL_OK)
        return fail_err(&err);
    return repl_control_ok(out);
}

static json_t *cmd_restore(repl_daemon *d, repl_service *svc, json_t *args)
{
    repl_error err;
    json_t *out = NULL;
    (void)d;
    if (repl_service_restore(svc, arg_str(args, "backup"), &out, &err) != REPL_OK)
        return fail_err(&err);
    return repl_control_ok(out);
}

static json_t *cmd_provision(repl_daemon *d, repl_service *svc, json_t *args)
{
    repl_error err;
    json_t *out = NULL;
    (void)d;
    if (repl_service_provision(svc, arg_str(args, "donor"), &out, &err) != REPL_OK)
        return fail_err(&err);
    return repl_control_ok(out);
}

static const struct {
    const char *name;
    cmd_fn fn;
} commands[] = {
    { "backup", cmd_backup },
    { "restore", cmd_restore },
    { "provision", cmd_provision },
    { "status", cmd_status },
    { "online", cmd_online },
    { "offline", cmd_offline },
    { "offline-deferred", cmd_offline_deferred },
    { "flush", cmd_flush },
    { "heartbeat", cmd_heartbeat },
    { "wait", cmd_wait },
    { "setrole", cmd_setrole },
    { "reset", cmd_reset },
};

static json_t *cmd_services(repl_daemon *d)
{
    json_t *arr = json_array();
    for (int i = 0; i < d->nservices; i++)
        json_array_append_new(arr, repl_service_status(d->services[i]));
    return repl_control_ok(arr);
}

static json_t *daemon_handle(void *ctx, json_t *req)
{
    repl_daemon *d = ctx;
    const char *cmd = arg_str(req, "cmd");
    const char *name = arg_str(req, "service");
    json_t *args = json_object_get(req, "args");
    repl_service *svc;
    if (cmd == NULL)
        return repl_control_fail("request without \"cmd\"");
    if (strcmp(cmd, "services") == 0)
        return cmd_services(d);
    svc = daemon_find(d, name);
    if (svc == NULL)
        return repl_control_fail("no service '%s' (use --service; see trepctl services)",
                                 name != NULL ? name : "");
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
        if (strcmp(commands[i].name, cmd) == 0)
            return commands[i].fn(d, svc, json_is_object(args) ? args : NULL);
    }
    return repl_control_fail("unknown command '%s'", cmd);
}

static int daemon_open_services(repl_daemon *d, repl_error *err)
{
    for (int i = 0; i < d->cfg.nservices; i++) {
        int rc = repl_service_open(&d->services[i], &d->cfg.services[i], err);
        if (rc != REPL_OK)
            return rc;
        d->nservices++;
    }
    return REPL_OK;
}

int repl_daemon_open(repl_daemon **out, const repl_config *cfg, repl_error *err)
{
    repl_daemon *d = repl_calloc(1, sizeof(*d));
    int rc;
    *out = NULL;
    d->cfg = *cfg;
    rc = daemon_open_services(d, err);
    if (rc == REPL_OK)
        rc = repl_control_open(&d->control, d->cfg.control_socket, daemon_handle, d, err);
    if (rc != REPL_OK) {
        repl_daemon_close(d);
        return rc;
    }
    for (int i = 0; i < d->nservices; i++) {
        repl_error oerr;
        if (d->cfg.services[i].auto_online &&
            repl_service_online(d->services[i], NULL, &oerr) != REPL_OK)
            REPL_LOG_ERROR("trepd", "service=%s cannot go online: %s", d->cfg.services[i].name,
                           oerr.msg);
    }
    *out = d;
    return REPL_OK;
}

void repl_daemon_run(repl_daemon *d, volatile sig_atomic_t *stop)
{
    struct timespec tick = { 0, 100 * 1000000 };
    while (!*stop) {
        nanosleep(&tick, NULL);
        for (int i = 0; i < d->nservices; i++)
            repl_service_tick(d->services[i]);
    }
}

void repl_daemon_close(repl_daemon *d)
{
    if (d == NULL)
        return;
    repl_control_close(d->control);
    for (int i = 0; i < d->nservices; i++)
        repl_service_close(d->services[i]);
    repl_free(d);
}
