/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tests/unit/replicator/test_config.c - trepd configuration: defaults, parsing, and that every bad
 * input is refused with a message naming the file, line, section and option. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "replicator/config.h"
#include "thl/log.h"

static char cfg_path[64];

static void write_cfg(const char *text)
{
    FILE *f;
    snprintf(cfg_path, sizeof(cfg_path), "/tmp/trep-test-config-%d.ini", (int)getpid());
    f = fopen(cfg_path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static int teardown(void **state)
{
    (void)state;
    unlink(cfg_path);
    return 0;
}

static void config__defaults_and_values(void **state)
{
    repl_config cfg;
    repl_error err;
    const repl_service_config *svc;
    (void)state;
    write_cfg("[trepd]\ncontrol-socket = /tmp/x.sock\nlog-level = debug\n"
              "[service alpha]\nrole = slave\nthl-dir = /tmp/thl\nmaster-uri = thl://h:2112\n"
              "thl-map-size = 2G\nthl-sync = batch\nauto-online = no\n");
    assert_int_equal(repl_config_load(&cfg, cfg_path, &err), REPL_OK);
    assert_string_equal(cfg.control_socket, "/tmp/x.sock");
    assert_int_equal(cfg.log_level, 3);
    svc = repl_config_service(&cfg, NULL);
    assert_non_null(svc);
    assert_string_equal(svc->name, "alpha");
    assert_int_equal(svc->role, REPL_ROLE_SLAVE);
    assert_int_equal(svc->thl_sync, THL_SYNC_BATCH);
    assert_int_equal(svc->thl_map_bytes, 2ULL * 1024 * 1024 * 1024);
    assert_int_equal(svc->auto_online, 0);
    assert_int_equal(svc->mysql_port, 3306);            /* default */
    assert_int_equal(svc->fragment_bytes, 1024 * 1024); /* default 1M */
    assert_int_equal(svc->apply_block_events, 200);
    assert_null(repl_config_service(&cfg, "beta"));
}

static void expect_invalid(const char *text, const char *needle)
{
    repl_config cfg;
    repl_error err;
    write_cfg(text);
    assert_int_equal(repl_config_load(&cfg, cfg_path, &err), REPL_ERR_INVALID);
    if (strstr(err.msg, needle) == NULL)
        fail_msg("message '%s' lacks '%s'", err.msg, needle);
}

static void config__bad_input_is_named(void **state)
{
    (void)state;
    expect_invalid("[service a]\nthl-dir=/x\nthl-sync = fast\n", "thl-sync: 'fast'");
    expect_invalid("[service a]\nthl-dir=/x\nthl-sync = fast\n", ":3");
    expect_invalid("[service a]\nthl-dir=/x\nmysql-port = 70000\n", "out of range");
    expect_invalid("[service a]\nthl-dir=/x\nthl-map-size = lots\n", "not a size");
    expect_invalid("[service a]\nthl-dir=/x\nno-such = 1\n", "unknown option 'no-such'");
    expect_invalid("[servce a]\nthl-dir=/x\n", "unknown section [servce a]");
    expect_invalid("[service a]\nrole = master\n", "thl-dir is required");
    expect_invalid("[service a]\nthl-dir=/x\nrole = slave\n", "master-uri");
    expect_invalid("[trepd]\nlog-level = info\n", "no [service NAME]");
    expect_invalid("[service a]\nthl-dir=/x\nauto-online = maybe\n", "not a boolean");
    /* parallel apply channels are not implemented: refused rather than silently ignored */
    expect_invalid("[service a]\nthl-dir=/x\nchannels = 2\n", "channels: '2' is out of range");
}

static void config__missing_file_is_io(void **state)
{
    repl_config cfg;
    repl_error err;
    (void)state;
    assert_int_equal(repl_config_load(&cfg, "/nonexistent/trepd.ini", &err), REPL_ERR_IO);
    assert_non_null(strstr(err.msg, "/nonexistent/trepd.ini"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(config__defaults_and_values, teardown),
        cmocka_unit_test_teardown(config__bad_input_is_named, teardown),
        cmocka_unit_test_teardown(config__missing_file_is_io, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
