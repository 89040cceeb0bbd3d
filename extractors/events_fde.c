/* SPDX-License-Identifier: GPL-2.0-or-later */
/* extractors/events_fde.c - FORMAT_DESCRIPTION_EVENT: binlog version, server version (and whether
 * the server is MariaDB), common header length, the per-type post-header lengths and the checksum
 * algorithm; plus the binlog v4 default post-header lengths used before a stream's first FDE and
 * for types an old FDE does not list. Pure functions. */
#include "extractors/binlog_int.h"

#include <stdlib.h>
#include <string.h>

/* Fixed part of the body: binlog_version(2) server_version(50) created(4) header_len(1). */
#define FDE_FIXED_LEN   57
#define FDE_ALG_AND_CRC 5
#define FDE_VERSION_LEN 50

/* Binlog v4 post-header lengths (sql/log_event.h *_HEADER_LEN) for the types we know. */
static const struct {
    uint8_t type;
    uint8_t len;
} default_post_header[] = {
    { EXT_EV_START_V3, 56 },
    { EXT_EV_QUERY, 13 },
    { EXT_EV_ROTATE, 8 },
    { EXT_EV_LOAD, 18 },
    { EXT_EV_CREATE_FILE, 4 },
    { EXT_EV_APPEND_BLOCK, 4 },
    { EXT_EV_EXEC_LOAD, 4 },
    { EXT_EV_DELETE_FILE, 4 },
    { EXT_EV_NEW_LOAD, 18 },
    { EXT_EV_BEGIN_LOAD_QUERY, 4 },
    { EXT_EV_EXECUTE_LOAD_QUERY, 26 },
    { EXT_EV_TABLE_MAP, 8 },
    { EXT_EV_WRITE_ROWS_V1, 8 },
    { EXT_EV_UPDATE_ROWS_V1, 8 },
    { EXT_EV_DELETE_ROWS_V1, 8 },
    { EXT_EV_INCIDENT, 2 },
    { EXT_EV_WRITE_ROWS_V2, 10 },
    { EXT_EV_UPDATE_ROWS_V2, 10 },
    { EXT_EV_DELETE_ROWS_V2, 10 },
    { EXT_EV_GTID, 42 },
    { EXT_EV_ANONYMOUS_GTID, 42 },
    { EXT_EV_TRANSACTION_CONTEXT, 18 },
    { EXT_EV_VIEW_CHANGE, 52 },
    { EXT_EV_PARTIAL_UPDATE_ROWS, 10 },
    { EXT_EV_MARIA_BINLOG_CHECKPOINT, 4 },
    { EXT_EV_MARIA_GTID, 19 },
    { EXT_EV_MARIA_GTID_LIST, 4 },
    { EXT_EV_MARIA_QUERY_COMPRESSED, 13 },
    { EXT_EV_MARIA_WRITE_ROWS_COMPRESSED_V1, 8 },
    { EXT_EV_MARIA_UPDATE_ROWS_COMPRESSED_V1, 8 },
    { EXT_EV_MARIA_DELETE_ROWS_COMPRESSED_V1, 8 },
    { EXT_EV_MARIA_WRITE_ROWS_COMPRESSED, 10 },
    { EXT_EV_MARIA_UPDATE_ROWS_COMPRESSED, 10 },
    { EXT_EV_MARIA_DELETE_ROWS_COMPRESSED, 10 },
};

static unsigned default_len(int type)
{
    for (size_t i = 0; i < sizeof(default_post_header) / sizeof(default_post_header[0]); i++) {
        if (default_post_header[i].type == type)
            return default_post_header[i].len;
    }
    return 0;
}

void ext_fde_init_defaults(ext_fde *fde)
{
    memset(fde, 0, sizeof(*fde));
    fde->binlog_version = 4;
    fde->header_len = EXT_EVENT_HEADER_LEN;
    fde->checksum_alg = EXT_CHECKSUM_UNDEF;
    for (int type = 1; type <= 255; type++)
        fde->post_header_len[type - 1] = (uint8_t)default_len(type);
}

unsigned ext_fde_post_header_len(const ext_fde *fde, int type)
{
    if (type < 1 || type > 255)
        return 0;
    return fde->post_header_len[type - 1];
}

/* "X.Y.Zsuffix": numbers above 255 or a missing first dot give 0.0.0, as the servers do. */
static void parse_version(ext_fde *fde)
{
    const char *p = fde->server_version;
    char *end = NULL;
    for (int i = 0; i < 3; i++) {
        unsigned long n = strtoul(p, &end, 10);
        if (n > 255 || end == p || (i == 0 && *end != '.')) {
            memset(fde->version, 0, sizeof(fde->version));
            return;
        }
        fde->version[i] = (uint8_t)n;
        p = *end == '.' ? end + 1 : end;
    }
    fde->is_mariadb = strstr(p, "MariaDB") != NULL || strstr(p, "-maria-") != NULL;
}

int ext_fde_version_has_checksum(const ext_fde *fde)
{
    /* checksums arrived in MySQL 5.6.1 and MariaDB 5.3.0 */
    unsigned v =
        ((unsigned)fde->version[0] << 16) | ((unsigned)fde->version[1] << 8) | fde->version[2];
    unsigned first = fde->is_mariadb ? (5u << 16 | 3u << 8) : (5u << 16 | 6u << 8 | 1u);
    return v >= first;
}

/* MySQL 5.1.1-5.1.5 "-a_drop5*", 5.1.4 "-a_drop6*" and 5.2.0-5.2.2 "-a_drop6*" development
 * servers (the rule of MySQL's Format_description_event). */
static int is_drop_tree(const char *v)
{
    if (v[0] != '5' || v[1] != '.' || v[3] != '.' || strncmp(v + 5, "-a_drop", 7) != 0)
        return 0;
    return (v[2] == '1' && v[4] >= '1' && v[4] <= '5' && v[12] == '5') ||
           (v[2] == '1' && v[4] == '4' && v[12] == '6') ||
           (v[2] == '2' && v[4] >= '0' && v[4] <= '2' && v[12] == '6');
}

/* Their types 16..22 are today's 19, 20, 21, 22, 16, 17, 18. */
static const uint8_t drop_tree_types[23] = {
    0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 19, 20, 21, 22, 16, 17, 18,
};

int ext_fde_event_type(const ext_fde *fde, int type)
{
    if (fde->permuted_types && type >= 0 && type <= 22)
        return drop_tree_types[type];
    return type;
}

static int permute_post_headers(ext_fde *fde, size_t n, repl_error *err)
{
    uint8_t lens[22];
    if (n != 22)
        return repl_error_set(err, REPL_ERR_CORRUPT,
                              "server %s must list 22 post-header lengths, not %zu",
                              fde->server_version, n);
    for (int i = 1; i <= 22; i++)
        lens[drop_tree_types[i] - 1] = fde->post_header_len[i - 1];
    memcpy(fde->post_header_len, lens, sizeof(lens));
    fde->permuted_types = 1;
    return REPL_OK;
}

static int fde_fixed_part(ext_fde *fde, repl_rd *rd, repl_error *err)
{
    const uint8_t *ver;
    fde->binlog_version = rd_u16le(rd);
    ver = rd_take(rd, FDE_VERSION_LEN);
    fde->created = rd_u32le(rd);
    fde->header_len = rd_u8(rd);
    if (!rd_ok(rd))
        return repl_error_set(err, REPL_ERR_CORRUPT, "format description shorter than %d bytes",
                              FDE_FIXED_LEN);
    memcpy(fde->server_version, ver, FDE_VERSION_LEN);
    fde->server_version[FDE_VERSION_LEN] = '\0';
    if (fde->binlog_version != 4)
        return repl_error_set(err, REPL_ERR_INVALID,
                              "binlog version %u is not supported (only version 4, MySQL 5.0+)",
                              fde->binlog_version);
    if (fde->header_len < EXT_EVENT_HEADER_LEN)
        return repl_error_set(err, REPL_ERR_CORRUPT, "common header length %u is below %d",
                              fde->header_len, EXT_EVENT_HEADER_LEN);
    return REPL_OK;
}

int ext_fde_parse(ext_fde *fde, const uint8_t *body, size_t len, repl_error *err)
{
    repl_rd rd;
    size_t n;
    int rc;
    ext_fde_init_defaults(fde);
    rd_init(&rd, body, len);
    rc = fde_fixed_part(fde, &rd, err);
    if (rc != REPL_OK)
        return rc;
    parse_version(fde);
    n = rd_left(&rd);
    if (ext_fde_version_has_checksum(fde)) {
        if (n < FDE_ALG_AND_CRC)
            return repl_error_set(err, REPL_ERR_CORRUPT,
                                  "format description of %s lacks its checksum algorithm byte",
                                  fde->server_version);
        n -= FDE_ALG_AND_CRC;
        fde->checksum_alg = body[len - FDE_ALG_AND_CRC];
        if (fde->checksum_alg != EXT_CHECKSUM_OFF && fde->checksum_alg != EXT_CHECKSUM_CRC32)
            return repl_error_set(err, REPL_ERR_CORRUPT, "unknown checksum algorithm %u",
                                  fde->checksum_alg);
    }
    if (n > sizeof(fde->post_header_len))
        n = sizeof(fde->post_header_len);
    memcpy(fde->post_header_len, rd.p, n);
    fde->n_post_header = (uint16_t)n;
    if (is_drop_tree(fde->server_version))
        return permute_post_headers(fde, n, err);
    return REPL_OK;
}

int ext_ev_fde(ext_event *ev, const ext_decode_ctx *ctx, repl_error *err)
{
    /* The decoder parses the FDE before verifying its checksum (the FDE itself says whether it has
     * one), so ev->u.fde is already filled; nothing is left to do here. */
    (void)ev;
    (void)ctx;
    (void)err;
    return REPL_OK;
}
