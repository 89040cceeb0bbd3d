/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tools/trep-binlog/extract.c - trep-binlog --extract-to THLDIR: file mode of the extract stage.
 * Binlog files (or every numbered binlog file of a directory, in order) go through the same decoder
 * and transaction assembly as live extraction into a THL, resuming after its last complete
 * transaction. */
#include "tool_binlog.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "extractors/extractor.h"
#include "replicator/base/mem.h"

typedef struct path_list {
    char **paths;
    size_t n;
    size_t cap;
} path_list;

static void list_add(path_list *l, const char *path)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 16;
        l->paths = repl_realloc(l->paths, l->cap * sizeof(char *));
    }
    l->paths[l->n++] = repl_strdup(path);
}

/* "name.000123": a numbered binlog file (not the .index, not a relay-log info file). */
static int is_numbered(const char *name)
{
    const char *dot = strrchr(name, '.');
    size_t digits;
    if (dot == NULL || dot == name)
        return 0;
    digits = strspn(dot + 1, "0123456789");
    return digits >= 6 && dot[1 + digits] == '\0';
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int list_dir(path_list *l, const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    size_t first = l->n;
    char path[4096];
    if (d == NULL) {
        fprintf(stderr, "trep-binlog: cannot read directory %s: %s\n", dir, strerror(errno));
        return -1;
    }
    while ((e = readdir(d)) != NULL) {
        if (!is_numbered(e->d_name))
            continue;
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        list_add(l, path);
    }
    closedir(d);
    qsort(l->paths + first, l->n - first, sizeof(char *), cmp_str);
    return 0;
}

static int open_log(thl_log **log, const char *dir, const char *service)
{
    thl_log_options o;
    repl_error err;
    thl_log_options_init(&o);
    o.dir = dir;
    o.service = service;
    o.sync = THL_SYNC_BATCH;
    if (thl_log_open(log, &o, &err) != REPL_OK) {
        fprintf(stderr, "trep-binlog: %s\n", err.msg);
        return -1;
    }
    return 0;
}

int tool_extract(const char *thl_dir, const char *service, char **args, int nargs)
{
    path_list l = { NULL, 0, 0 };
    ext_extractor_options o;
    ext_extractor_status st;
    ext_extractor *x;
    thl_log *log = NULL;
    repl_error err;
    struct stat sb;
    int rc = 0;
    for (int i = 0; i < nargs && rc == 0; i++) {
        if (stat(args[i], &sb) == 0 && S_ISDIR(sb.st_mode))
            rc = list_dir(&l, args[i]);
        else
            list_add(&l, args[i]);
    }
    if (rc == 0 && l.n == 0) {
        fprintf(stderr, "trep-binlog: no binlog files to extract\n");
        rc = -1;
    }
    if (rc == 0)
        rc = open_log(&log, thl_dir, service);
    if (rc == 0) {
        ext_extractor_options_init(&o);
        o.service = service;
        o.source_id = "files";
        x = ext_extractor_new(log, &o);
        if (ext_extractor_run_files(x, (const char *const *)l.paths, l.n, &err) != REPL_OK) {
            fprintf(stderr, "trep-binlog: %s\n", err.msg);
            rc = -1;
        }
        ext_extractor_status_get(x, &st);
        printf("extracted %llu transactions into %s; last event_id %s\n",
               (unsigned long long)st.transactions, thl_dir, st.last_event_id);
        ext_extractor_free(x);
    }
    thl_log_close(log);
    for (size_t i = 0; i < l.n; i++)
        repl_free(l.paths[i]);
    repl_free(l.paths);
    return rc == 0 ? 0 : 1;
}
