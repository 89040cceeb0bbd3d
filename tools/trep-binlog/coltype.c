/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tools/trep-binlog/coltype.c - column type names in mariadb-binlog -vv's words
 * (log_event_client.cc log_event_print_value), so that both tools' outputs line up column by
 * column. */
#include "tool_binlog.h"

#include <stdio.h>

static const char *blob_name(unsigned meta)
{
    switch (meta) {
    case 1:
        return "TINYBLOB/TINYTEXT";
    case 2:
        return "BLOB/TEXT";
    case 3:
        return "MEDIUMBLOB/MEDIUMTEXT";
    case 4:
        return "LONGBLOB/LONGTEXT";
    default:
        return "BLOB";
    }
}

static const char *fixed_name(int type)
{
    switch (type) {
    case EXT_COL_TINY:
        return "TINYINT";
    case EXT_COL_SHORT:
        return "SHORTINT";
    case EXT_COL_INT24:
        return "MEDIUMINT";
    case EXT_COL_LONG:
        return "INT";
    case EXT_COL_LONGLONG:
        return "LONGINT";
    case EXT_COL_FLOAT:
        return "FLOAT";
    case EXT_COL_DOUBLE:
        return "DOUBLE";
    case EXT_COL_DATE:
    case EXT_COL_NEWDATE:
        return "DATE";
    case EXT_COL_TIME:
        return "TIME";
    case EXT_COL_DATETIME:
        return "DATETIME";
    case EXT_COL_TIMESTAMP:
        return "TIMESTAMP";
    case EXT_COL_YEAR:
        return "YEAR";
    case EXT_COL_GEOMETRY:
        return "GEOMETRY";
    case EXT_COL_JSON:
        return "JSON";
    case EXT_COL_VECTOR:
        return "VECTOR";
    default:
        return NULL;
    }
}

const char *tool_col_type_name(char *out, size_t size, const thl_column *c)
{
    const char *fixed = fixed_name(c->type);
    unsigned lo = c->meta & 0xff;
    if (fixed != NULL) {
        snprintf(out, size, "%s", fixed);
        return out;
    }
    switch (c->type) {
    case EXT_COL_NEWDECIMAL:
        snprintf(out, size, "DECIMAL(%u,%u)", c->meta >> 8, lo);
        break;
    case EXT_COL_BIT:
        snprintf(out, size, "BIT(%u)", (c->meta >> 8) * 8 + lo);
        break;
    case EXT_COL_TIME2:
    case EXT_COL_DATETIME2:
    case EXT_COL_TIMESTAMP2:
        snprintf(out, size, "%s(%u)",
                 c->type == EXT_COL_TIME2       ? "TIME"
                 : c->type == EXT_COL_DATETIME2 ? "DATETIME"
                                                : "TIMESTAMP",
                 c->meta);
        break;
    case EXT_COL_STRING:
        snprintf(out, size, "STRING(%u)", c->length);
        break;
    case EXT_COL_VARCHAR:
    case EXT_COL_VAR_STRING:
        snprintf(out, size, "VARSTRING(%u)", c->meta);
        break;
    case EXT_COL_MARIA_VARCHAR_COMPRESSED:
        snprintf(out, size, "VARSTRING(%u) COMPRESSED", c->meta);
        break;
    case EXT_COL_BLOB:
        snprintf(out, size, "%s", blob_name(c->meta));
        break;
    case EXT_COL_MARIA_BLOB_COMPRESSED:
        snprintf(out, size, "%s COMPRESSED", blob_name(c->meta));
        break;
    case EXT_COL_ENUM:
        snprintf(out, size, "ENUM(%u byte%s)", lo, lo == 1 ? "" : "s");
        break;
    case EXT_COL_SET:
        snprintf(out, size, "SET(%u bytes)", lo);
        break;
    default:
        snprintf(out, size, "TYPE%u", c->type);
        break;
    }
    return out;
}
