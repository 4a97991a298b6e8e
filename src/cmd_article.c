/*
 * cmd_article.c: `broadsheet article import` (Markdown files with a front-matter header, named,
 * found under directories or listed in a file; all checked, then written in one transaction or
 * in batches: import.h) and `broadsheet article list` (newest first, a page at a time, with
 * the total), and `broadsheet article ninjs` (a published article as a partner's ninjs item).
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "arena.h"
#include "cmd.h"
#include "import.h"
#include "import_list.h"
#include "ninjs.h"
#include "store.h"

/* Lists the files (arguments, then --files-from), checks them all, then writes them: in one
 * transaction, or --batch N at a time, from the --skip'th on (import.h). A progress line goes
 * to stderr only when it is a terminal. After a failure (or Ctrl-C) with batches committed, says
 * which --skip resumes the import. */
static int command_article_import(struct cli_call *call)
{
    const char *files_from = cli_value(call, "files-from");
    const char *batch = cli_value(call, "batch"), *skip = cli_value(call, "skip");
    struct import_options options = {.progress = isatty(STDERR_FILENO) ? stderr : NULL,
                                     .interruptible = 1};
    struct import_result result = {0};
    long value;
    if (call->argument_count == 0 && !files_from)
        return cli_usage_error(call, "%s", "needs a FILE.md, a DIR or --files-from LIST");
    if (batch && cmd_parse_whole(batch, 1, LONG_MAX, &value) < 0)
        return cli_usage_error(call, "--batch '%s' is not a number of files (1 or more)", batch);
    options.batch = batch ? value : 0;
    if (skip && cmd_parse_whole(skip, 0, LONG_MAX, &value) < 0)
        return cli_usage_error(call, "--skip '%s' is not a number of files (0 or more)", skip);
    options.skip = skip ? value : 0;

    char err[1024];
    int rc = 1;
    struct store *st;
    struct import_list *l = import_list_new(err, sizeof err);
    if (!l)
        goto fail;
    for (int i = 0; i < call->argument_count; i++)
        if (import_list_add(l, call->arguments[i], err, sizeof err) < 0)
            goto fail;
    if (files_from && import_list_add_from(l, files_from, err, sizeof err) < 0)
        goto fail;
    if (!(st = cli_store(call)))
        goto out;
    if (import_run(st, l, &options, &result, err, sizeof err) < 0)
        goto fail;
    printf("imported %lld article%s", (long long)result.imported, result.imported == 1 ? "" : "s");
    if (options.skip)
        printf(" (after skipping the first %lld listed)", (long long)options.skip);
    printf("\n");
    rc = 0;
    goto out;
fail:
    fprintf(stderr, "broadsheet: %s\n", err);
    if (result.resume_at > options.skip && l && import_list_count(l) > result.resume_at)
        fprintf(stderr, "broadsheet: imported %lld files; resume with --skip %lld\n",
                (long long)(result.resume_at - options.skip), (long long)result.resume_at);
    else
        fprintf(stderr, "broadsheet: nothing was imported\n");
out:
    import_list_free(l);
    return rc;
}

static const struct cli_option import_flags[] = {
    {"files-from", "LIST|-", 0},
    {"batch", "N", 0},
    {"skip", "N", 0},
    {NULL, NULL, 0},
};

#define LIST_DEFAULT 50 /* articles a page of `article list` shows unless --limit says */

/* Parses a cursor as `article list` prints it, "PUBLISHED_AT:ID" (two whole numbers), into *c.
 * Returns 0, or -1 (*c untouched). */
static int parse_cursor(const char *text, struct article_cursor *c)
{
    char *colon, *end;
    errno = 0;
    long long published = strtoll(text, &colon, 10);
    if (errno || colon == text || *colon != ':' || colon[1] == '-' || colon[1] == '+')
        return -1;
    long long id = strtoll(colon + 1, &end, 10);
    if (errno || end == colon + 1 || *end || id < 1)
        return -1;
    c->published_at = published;
    c->id = id;
    return 0;
}

/* Lists one page of articles, newest first, then the true total and, when more follow, the
 * command that shows the next page: its --before is the last article's place in the order, so
 * paging costs the same however deep it goes, and articles published meanwhile shift nothing. */
static int command_article_list(struct cli_call *call)
{
    const char *limit_text = cli_value(call, "limit"), *before = cli_value(call, "before");
    long limit = LIST_DEFAULT;
    if (limit_text && cmd_parse_whole(limit_text, 1, STORE_ARTICLE_PAGE_MAX, &limit) < 0)
        return cli_usage_error(call, "'%s' is not a limit (a whole number from 1 to %d)",
                               limit_text, STORE_ARTICLE_PAGE_MAX);
    struct article_cursor cursor;
    if (before && parse_cursor(before, &cursor) < 0)
        return cli_usage_error(call,
                               "'%s' is not a place in the list (give the --before that the "
                               "page before printed)",
                               before);
    struct store *st = cli_store(call);
    if (!st)
        return 1;
    struct arena *a = arena_new(0);
    int rc = 1, more;
    int64_t total;
    struct article *list;
    size_t n;
    if (store_articles_count(st, &total) != STORE_OK ||
        store_articles_page(st, a, before ? &cursor : NULL, (int)limit, &list, &n, &more) !=
            STORE_OK) {
        fprintf(stderr, "broadsheet: cannot list articles\n");
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
    if (!before && !more)
        printf("%lld article%s\n", (long long)total, total == 1 ? "" : "s");
    else if (!before)
        printf("%zu of %lld articles shown, the newest\n", n, (long long)total);
    else
        printf("%zu of %lld article%s shown, those before %s%s\n", n, (long long)total,
               total == 1 ? "" : "s", before, more ? "" : "; no more after them");
    if (more) {
        char limit_option[48] = "";
        if (limit != LIST_DEFAULT)
            snprintf(limit_option, sizeof limit_option, " --limit %ld", limit);
        printf("next page: broadsheet article list --before %lld:%lld%s\n",
               (long long)list[n - 1].published_at, (long long)list[n - 1].id, limit_option);
    }
    rc = 0;
out:
    arena_free(a);
    return rc;
}

/* article ninjs: the item of published article SLUG as partners receive it now (its latest
 * version in the item log), in full or as the paywall's preview, pretty JSON on stdout. */
static int command_article_ninjs(struct cli_call *call)
{
    const char *slug = call->arguments[0];
    struct store *st = cli_store(call);
    if (!st)
        return 1;
    struct arena *a = arena_new(0);
    struct article art;
    struct item_version v;
    int rc = 1, found = store_article_by_slug(st, a, slug, &art);
    if (found == STORE_NOT_FOUND) {
        fprintf(stderr, "broadsheet: no published article %s (see `broadsheet article list`)\n",
                slug);
        goto out;
    }
    if (found != STORE_OK || store_item_get(st, a, 0, art.id, 0, &v) != STORE_OK) {
        fprintf(stderr, "broadsheet: cannot read the article %s\n", slug);
        goto out;
    }
    /* the item's URIs are absolute: the site's base URL as `serve` makes it */
    char site_url[512];
    config_site_base(&call->config, (unsigned)call->config.port,
                     strchr(call->config.address, ':') != NULL, site_url, sizeof site_url);
    struct ninjs_site site = {call->config.site_name, site_url, call->config.preview_paragraphs};
    json_t *item =
        ninjs_version_item(&v, &art.publication, &site, cli_value(call, "preview") != NULL);
    char *text = json_dumps(item, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    json_decref(item);
    if (!text) {
        fprintf(stderr, "broadsheet: cannot format the item of %s\n", slug);
        goto out;
    }
    printf("%s\n", text);
    free(text);
    rc = 0;
out:
    arena_free(a);
    return rc;
}

static const struct cli_option ninjs_options[] = {
    {"preview", NULL, 0},
    {NULL, NULL, 0},
};

static const struct cli_option list_options[] = {
    {"limit", "N", 0},
    {"before", "CURSOR", 0},
    {NULL, NULL, 0},
};

const struct cli_command cmd_article[] = {
    {"article import", "[FILE.md|DIR]...", import_flags, CLI_STORE,
     "import articles (Markdown with a front-matter header): the files named, the .md files "
     "under each DIR (recursively, in name order), and the paths in LIST, one a line (-: "
     "standard input); every file is checked before any is written, then all are written in "
     "one transaction: all or nothing; --batch N commits every N files, and after a failure "
     "says which --skip resumes the import; --skip N leaves out the first N files listed",
     command_article_import},
    {"article list", "", list_options, CLI_STORE,
     "list published articles, newest first, 50 at a time (--limit: up to 10000), with how many "
     "there are in all (drafts and the rest are in the newsroom); when more follow, it prints the "
     "--before CURSOR that shows the next page",
     command_article_list},
    {"article ninjs", "SLUG", ninjs_options, CLI_STORE,
     "print a published article as a contract partner receives it: an IPTC ninjs 2.2 item of "
     "its current version (pretty JSON; URIs from site_url), its whole body, or with --preview "
     "only the paywall's preview (preview_paragraphs blocks), as a partner licensed for teasers "
     "gets it",
     command_article_ninjs},
    {NULL, NULL, NULL, 0, NULL, NULL},
};
