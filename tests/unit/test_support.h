/*
 * test_support.h: a fresh database in its own temporary directory, for the suites that test the
 * store (test_store.c, test_accounts_store.c, test_paywall_store.c, test_ads.c), and a tree of
 * files for the import suites (test_import.c, test_import_list.c). The functions
 * are static inline so that the header needs no object file of its own in the Makefile's
 * unit-tests rule, and a suite that does not use one of them is not warned about it.
 */
#ifndef BROADSHEET_TEST_SUPPORT_H
#define BROADSHEET_TEST_SUPPORT_H

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "store.h"
#include "util.h"

/* A temporary directory and the database path inside it. */
struct tmpdb {
    char dir[64];
    char path[128];
};

/* Makes a fresh temporary directory, /tmp/broadsheet-NAME-XXXXXX (name tells the suites'
 * directories apart), for one test's database at dir/test.db. Returns 0 or -1. */
static inline int tmpdb_make(struct tmpdb *t, const char *name)
{
    snprintf(t->dir, sizeof t->dir, "/tmp/broadsheet-%s-XXXXXX", name);
    if (!mkdtemp(t->dir))
        return -1;
    snprintf(t->path, sizeof t->path, "%s/test.db", t->dir);
    return 0;
}

/* Removes the database (and its WAL files) and the directory, which must hold nothing else. */
static inline void tmpdb_remove(struct tmpdb *t)
{
    static const char *const suffixes[] = {"", "-wal", "-shm", "-journal"};
    char file[160];
    for (size_t i = 0; i < ARRAY_LEN(suffixes); i++) {
        snprintf(file, sizeof file, "%s%s", t->path, suffixes[i]);
        unlink(file);
    }
    rmdir(t->dir);
}

/* Opens a store on t's database, failing the test (and returning NULL) if it cannot. The caller
 * closes it with store_close. */
static inline struct store *open_store(struct tmpdb *t)
{
    char err[256] = "";
    struct store *st = store_open(t->path, err, sizeof err);
    if (!st)
        fprintf(stderr, "    store_open: %s\n", err);
    CHECK(st != NULL);
    return st;
}

/* nftw callback for tree_remove: removes one file, link or (emptied) directory. */
static inline int tree_remove_one(const char *path, const struct stat *sb, int type,
                                  struct FTW *ftw)
{
    (void)sb, (void)ftw;
    if (type == FTW_DP)
        rmdir(path);
    else
        unlink(path);
    return 0;
}

/* Removes dir and everything under it (links are removed, not followed). */
static inline void tree_remove(const char *dir)
{
    nftw(dir, tree_remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* Writes text to dir/name, making the directories name goes through. Fails the test if it
 * cannot. */
static inline void tree_write(const char *dir, const char *name, const char *text)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    for (char *slash = strchr(path + strlen(dir) + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
        *slash = '\0';
        mkdir(path, 0700);
        *slash = '/';
    }
    FILE *f = fopen(path, "w");
    CHECK(f != NULL);
    if (f) {
        fputs(text, f);
        fclose(f);
    }
}

#endif
