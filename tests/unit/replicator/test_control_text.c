/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tests/unit/replicator/test_control_text.c - repl_control_text: text that is not valid UTF-8 (an
 * apply failure's SQL with latin1 or binary values, a server message over a binary connection, a
 * message cut inside a character) still becomes a JSON string, with the bad bytes as \xNN, so
 * `trepctl status` never loses pendingError or pendingErrorSQL. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "replicator/control.h"

static void check_text(const char *in, const char *want)
{
    json_t *j = repl_control_text(in);
    char *dump;
    assert_non_null(j);
    assert_true(json_is_string(j));
    assert_string_equal(json_string_value(j), want);
    dump = json_dumps(j, JSON_ENCODE_ANY);
    assert_non_null(dump); /* serialisable: the control response is never dropped */
    free(dump);
    json_decref(j);
}

static void control_text__valid_utf8_unchanged(void **state)
{
    (void)state;
    check_text("", "");
    check_text("INSERT INTO `t` VALUES ('caf\xC3\xA9 \xF0\x9F\x98\x80')",
               "INSERT INTO `t` VALUES ('caf\xC3\xA9 \xF0\x9F\x98\x80')");
}

static void control_text__latin1_and_binary_bytes_escaped(void **state)
{
    (void)state;
    check_text("caf\xE9", "caf\\xE9");
    check_text("Duplicate entry '\xFF\x01\xE9' for key",
               "Duplicate entry '\\xFF\x01\\xE9' for key");
    check_text("\x80\xBF", "\\x80\\xBF");
}

static void control_text__cut_character_escaped(void **state)
{
    (void)state;
    check_text("ab\xF0\x9F\x98", "ab\\xF0\\x9F\\x98"); /* 4-byte character cut after 3 bytes */
    check_text("\xC3", "\\xC3");
    check_text("\xE2\x82x", "\\xE2\\x82x");
}

static void control_text__overlong_and_surrogates_escaped(void **state)
{
    (void)state;
    check_text("\xC0\xAF", "\\xC0\\xAF");                   /* overlong '/' */
    check_text("\xE0\x80\xAF", "\\xE0\\x80\\xAF");          /* overlong 3-byte */
    check_text("\xED\xA0\x80", "\\xED\\xA0\\x80");          /* UTF-16 surrogate */
    check_text("\xF4\x90\x80\x80", "\\xF4\\x90\\x80\\x80"); /* above U+10FFFF */
    check_text("\xF4\x8F\xBF\xBF", "\xF4\x8F\xBF\xBF");     /* U+10FFFF itself is valid */
}

static void control_text__fail_response_keeps_message(void **state)
{
    json_t *resp = repl_control_fail("service alpha is OFFLINE:ERROR: %s", "caf\xE9");
    (void)state;
    assert_string_equal(json_string_value(json_object_get(resp, "error")),
                        "service alpha is OFFLINE:ERROR: caf\\xE9");
    json_decref(resp);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(control_text__valid_utf8_unchanged),
        cmocka_unit_test(control_text__latin1_and_binary_bytes_escaped),
        cmocka_unit_test(control_text__cut_character_escaped),
        cmocka_unit_test(control_text__overlong_and_surrogates_escaped),
        cmocka_unit_test(control_text__fail_response_keeps_message),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
