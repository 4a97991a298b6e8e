/*
 * cmd_article.c: `broadsheet article import` (Markdown files with a front-matter header, all in
 * one transaction: import.h) and `broadsheet article list` (newest first).
 */
#include <stdio.h>
#include <time.h>

#include "arena.h"
#include "cmd.h"
#include "import.h"
#include "store.h"

static int command_article_import(struct cli_call *call)
{
    struct store *st = cli_store(call);
    if (!st)
        return 1;
    char err[1024];
    int n = call->argument_count;
    if (import_files(st, call->arguments, n, err, sizeof err) < 0) {
        fprintf(stderr, "broadsheet: %s\n", err);
        fprintf(stderr, "broadsheet: nothing was imported\n");
        return 1;
    }
    printf("imported %d article%s\n", n, n == 1 ? "" : "s");
    return 0;
}

static int command_article_list(struct cli_call *call)
{
    struct store *st = cli_store(call);
    if (!st)
        return 1;
    struct arena *a = arena_new(0);
    int rc = 0;
    struct article_query q = {.limit = 1000};
    struct article *list;
    size_t n;
    if (store_articles_latest(st, a, &q, &list, &n) != STORE_OK) {
        fprintf(stderr, "broadsheet: cannot list articles\n");
        rc = 1;
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        char date[32];
        time_t t = (time_t)list[i].published_at;
        struct tm tm;
        gmtime_r(&t, &tm);
        strftime(date, sizeof date, "%Y-%m-%d %H:%M", &tm);
        printf("%s  %-11s  %-8s  %-24s  %s\n", date, store_access_name(list[i].access),
               list[i].publication.slug, list[i].section.slug, list[i].slug);
        printf("    %s\n", list[i].headline);
    }
    printf("%zu article%s\n", n, n == 1 ? "" : "s");
out:
    arena_free(a);
    return rc;
}

const struct cli_command cmd_article[] = {
    {"article import", "FILE.md...", NULL, CLI_STORE,
     "import articles (Markdown with a front-matter header); all the files in one transaction: "
     "all or nothing",
     command_article_import},
    {"article list", "", NULL, CLI_STORE, "list articles, newest first", command_article_list},
    {NULL, NULL, NULL, 0, NULL, NULL},
};
