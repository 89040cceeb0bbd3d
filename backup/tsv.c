/* SPDX-License-Identifier: GPL-2.0-or-later */
/* backup/tsv.c - escape and unescape fields of LOAD DATA text files (see tsv.h). */
#include "backup/tsv.h"

#include <string.h>

void bkp_tsv_put_field(repl_buf *b, const char *value, size_t len)
{
    size_t start = 0;
    if (value == NULL) {
        repl_buf_put(b, "\\N", 2);
        return;
    }
    repl_buf_reserve(b, len + len / 8 + 4);
    for (size_t i = 0; i < len; i++) {
        char esc;
        switch (value[i]) {
        case '\\':
            esc = '\\';
            break;
        case '\t':
            esc = 't';
            break;
        case '\n':
            esc = 'n';
            break;
        case '\r':
            esc = 'r';
            break;
        case '\0':
            esc = '0';
            break;
        default:
            continue;
        }
        repl_buf_put(b, value + start, i - start);
        repl_buf_put_u8(b, '\\');
        repl_buf_put_u8(b, (unsigned char)esc);
        start = i + 1;
    }
    repl_buf_put(b, value + start, len - start);
}

static char tsv_unescape(char c)
{
    switch (c) {
    case 't':
        return '\t';
    case 'n':
        return '\n';
    case 'r':
        return '\r';
    case '0':
        return '\0';
    case 'b':
        return '\b';
    case 'Z':
        return '\032';
    default:
        return c;
    }
}

int bkp_tsv_decode_field(repl_buf *out, const char *field, size_t len)
{
    repl_buf_clear(out);
    if (len == 2 && field[0] == '\\' && field[1] == 'N')
        return 1;
    for (size_t i = 0; i < len; i++) {
        if (field[i] != '\\') {
            repl_buf_put_u8(out, (unsigned char)field[i]);
            continue;
        }
        if (i + 1 == len)
            return -1;
        repl_buf_put_u8(out, (unsigned char)tsv_unescape(field[++i]));
    }
    return 0;
}
