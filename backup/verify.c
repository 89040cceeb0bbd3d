/* SPDX-License-Identifier: GPL-2.0-or-later */
/* backup/verify.c - read a backup archive end to end and check it against its manifest and its
 * catalog entry (see verify.h). Every entry is decompressed and checksummed as it streams by;
 * only the manifest is held in memory. */
#include "backup/verify.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "backup/archive.h"
#include "replicator/base/mem.h"

#define VERIFY_MANIFEST_MAX ((size_t)256 << 20)

typedef struct verify_seen {
    char *name;
    uint64_t bytes;
    uint32_t crc;
} verify_seen;

typedef struct verify_state {
    verify_seen *seen;
    size_t n_seen;
    repl_buf manifest;
    int have_manifest;
} verify_state;

static int verify_read_entry(bkp_archive_reader *r, repl_buf *keep, repl_error *err)
{
    uint8_t buf[65536];
    size_t got = 0;
    do {
        int rc = bkp_archive_reader_read(r, buf, sizeof(buf), &got, err);
        if (rc != REPL_OK)
            return rc;
        if (keep != NULL && keep->len + got > VERIFY_MANIFEST_MAX)
            return repl_error_set(err, REPL_ERR_CORRUPT, "manifest larger than 256 MiB");
        if (keep != NULL)
            repl_buf_put(keep, buf, got);
    } while (got > 0);
    return REPL_OK;
}

static int verify_entry(bkp_archive_reader *r, verify_state *st, const char *name, repl_error *err)
{
    const int is_manifest = strcmp(name, BKP_MANIFEST_NAME) == 0;
    verify_seen *s;
    int rc;
    if (st->have_manifest)
        return repl_error_set(err, REPL_ERR_CORRUPT, "file %s after the manifest", name);
    rc = verify_read_entry(r, is_manifest ? &st->manifest : NULL, err);
    if (rc != REPL_OK || is_manifest) {
        st->have_manifest = is_manifest && rc == REPL_OK;
        return rc;
    }
    st->seen = repl_realloc(st->seen, (st->n_seen + 1) * sizeof(*st->seen));
    s = &st->seen[st->n_seen++];
    s->name = repl_strdup(name);
    s->bytes = bkp_archive_reader_entry_bytes(r);
    s->crc = bkp_archive_reader_entry_crc(r);
    return REPL_OK;
}

static int verify_stream(bkp_archive_reader *r, verify_state *st, bkp_verify_report *rep,
                         repl_error *err)
{
    const char *name = NULL;
    uint64_t size = 0;
    int rc;
    for (;;) {
        rc = bkp_archive_reader_next(r, &name, &size, err);
        if (rc == REPL_ERR_NOTFOUND)
            break;
        if (rc == REPL_OK)
            rc = verify_entry(r, st, name, err);
        if (rc != REPL_OK)
            return rc;
    }
    return bkp_archive_reader_finish(r, &rep->archive_bytes, &rep->archive_crc32c, err);
}

static int verify_compare(bkp_manifest *m, const verify_state *st, bkp_verify_report *rep,
                          repl_error *err)
{
    size_t matched = 0;
    for (size_t i = 0; i < st->n_seen; i++) {
        const verify_seen *s = &st->seen[i];
        const bkp_file_info *f = bkp_manifest_find_file(m, s->name);
        if (f == NULL)
            return repl_error_set(err, REPL_ERR_CORRUPT, "file %s is not in the manifest", s->name);
        if (f->bytes != s->bytes || f->crc32c != s->crc)
            return repl_error_set(err, REPL_ERR_CORRUPT,
                                  "file %s: checksum mismatch (manifest %" PRIu64
                                  " bytes crc32c %08" PRIx32 ", archive %" PRIu64
                                  " bytes crc32c %08" PRIx32 ")",
                                  s->name, f->bytes, f->crc32c, s->bytes, s->crc);
        matched++;
        rep->data_bytes += s->bytes;
    }
    rep->files = matched;
    if (matched != m->n_files) {
        for (size_t i = 0; i < m->n_files; i++) {
            int found = 0;
            for (size_t k = 0; k < st->n_seen && !found; k++)
                found = strcmp(st->seen[k].name, m->files[i].name) == 0;
            if (!found)
                return repl_error_set(err, REPL_ERR_CORRUPT, "file %s is missing",
                                      m->files[i].name);
        }
        return repl_error_set(err, REPL_ERR_CORRUPT, "an entry appears twice");
    }
    return REPL_OK;
}

static int verify_run(bkp_archive_reader *r, const uint32_t *expected_crc, bkp_manifest **out,
                      bkp_verify_report *rep, repl_error *err)
{
    verify_state st;
    bkp_manifest *m = NULL;
    int rc;
    memset(&st, 0, sizeof(st));
    repl_buf_init(&st.manifest);
    rc = verify_stream(r, &st, rep, err);
    if (rc == REPL_OK && !st.have_manifest)
        rc = repl_error_set(err, REPL_ERR_CORRUPT, "no %s: incomplete archive", BKP_MANIFEST_NAME);
    if (rc == REPL_OK)
        rc = bkp_manifest_parse(&m, (const char *)st.manifest.data, st.manifest.len, err);
    if (rc == REPL_OK)
        rc = verify_compare(m, &st, rep, err); /* names the damaged file, so it goes first */
    if (rc == REPL_OK && expected_crc != NULL && *expected_crc != rep->archive_crc32c)
        rc = repl_error_set(err, REPL_ERR_CORRUPT,
                            "archive checksum mismatch (catalog crc32c %08" PRIx32
                            ", file %08" PRIx32 ")",
                            *expected_crc, rep->archive_crc32c);
    for (size_t i = 0; i < st.n_seen; i++)
        repl_free(st.seen[i].name);
    repl_free(st.seen);
    repl_buf_dispose(&st.manifest);
    if (rc == REPL_OK && out != NULL)
        *out = m;
    else
        bkp_manifest_free(m);
    return rc;
}

int bkp_verify_archive(const char *path, const char *label, const uint32_t *expected_crc,
                       bkp_manifest **out, bkp_verify_report *report, repl_error *err)
{
    bkp_archive_reader *r = NULL;
    bkp_verify_report local;
    bkp_verify_report *rep = report != NULL ? report : &local;
    int rc;
    if (out != NULL)
        *out = NULL;
    memset(rep, 0, sizeof(*rep));
    rc = bkp_archive_reader_open(&r, path, err);
    if (rc == REPL_OK)
        rc = verify_run(r, expected_crc, out, rep, err);
    bkp_archive_reader_free(r);
    if (rc != REPL_OK)
        repl_error_wrap(err, "backup %s", label != NULL ? label : path);
    return rc;
}

int bkp_verify(bkp_store *store, const char *id, bkp_verify_report *report, repl_error *err)
{
    char path[4096];
    bkp_entry e;
    bkp_manifest *m = NULL;
    bkp_verify_report local;
    bkp_verify_report *rep = report != NULL ? report : &local;
    int rc = bkp_store_find(store, id, &e, err);
    if (rc == REPL_OK)
        rc = bkp_store_archive_path(store, &e, path, sizeof(path), err);
    if (rc == REPL_OK)
        rc = bkp_verify_archive(path, id, &e.archive_crc32c, &m, rep, err);
    if (rc == REPL_OK && strcmp(m->id, e.id) != 0)
        rc = repl_error_set(err, REPL_ERR_CORRUPT, "backup %s: the manifest names backup %s", id,
                            m->id);
    if (rc == REPL_OK && rep->archive_bytes != e.size_bytes)
        rc = repl_error_set(err, REPL_ERR_CORRUPT,
                            "backup %s: archive is %" PRIu64 " bytes, the catalog says %" PRIu64,
                            id, rep->archive_bytes, e.size_bytes);
    bkp_manifest_free(m);
    return rc;
}
