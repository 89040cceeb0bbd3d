/* SPDX-License-Identifier: GPL-2.0-or-later */
/* backup/store_int.h - private to the store (store.c, store_write.c, catalog.c): the store and
 * pending-backup structs, the catalog codec and file. */
#ifndef BKP_STORE_INT_H
#define BKP_STORE_INT_H

#include <stddef.h>

#include "backup/store.h"
#include "replicator/base/error.h"

#define STORE_PATH_MAX 4096

struct bkp_store {
    char *dir;
    int lock_fd; /* open while the writer lock is held, else -1 */
};

struct bkp_pending {
    char id[BKP_ID_MAX];
    char path[STORE_PATH_MAX];  /* temporary file */
    char final[STORE_PATH_MAX]; /* name once complete */
    int fd;
};

/** Parse catalog JSON text into entries (repl_malloc'ed, NULL when empty). */
int bkp_catalog_parse(const char *text, size_t len, bkp_entry **out, size_t *count,
                      repl_error *err);
/** The catalog JSON text of entries (malloc'ed by jansson: release with free). */
char *bkp_catalog_format(const bkp_entry *entries, size_t count);
/** Read dir/catalog.json; a missing file gives no entries. */
int bkp_catalog_read(const char *dir, bkp_entry **out, size_t *count, repl_error *err);

#endif
