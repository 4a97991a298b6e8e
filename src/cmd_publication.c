/*
 * cmd_publication.c: `broadsheet publication access|list` and `broadsheet section access|list`,
 * one file because the two are the same command on two tables.
 *
 * A publication's or a section's default access is the level its articles get at import when
 * their file has no `access:` line (import.h). It is read at import and stored in each article,
 * so changing it changes no article already imported: their files must be imported again.
 */
#include <stdio.h>
#include <string.h>

#include <time.h>

#include "arena.h"
#include "cmd.h"
#include "ninjs.h"
#include "store.h"

/* The default_access text for the operator: "inherit" for "". */
static const char *default_access_shown(const char *level)
{
    return *level ? level : "inherit";
}

/* publication access and section access: `section` says which. */
static int default_access_change(struct cli_call *call, int section)
{
    const char *kind = section ? "section" : "publication";
    const char *slug = call->arguments[0], *level = call->arguments[1];
    if (!strcmp(level, "inherit"))
        level = "";
    else if (store_access_parse(level) < 0)
        return cli_usage_error(
            call, "unknown access level '%s' (free, metered, subscribers or inherit)", level);
    struct store *st = cli_store(call);
    if (!st)
        return 1;
    int rc = 1;
    int status = section ? store_section_set_default_access(st, slug, level)
                         : store_publication_set_default_access(st, slug, level);
    if (status == STORE_NOT_FOUND) {
        fprintf(stderr, "broadsheet: no %s %s (see `broadsheet %s list`)\n", kind, slug, kind);
    } else if (status != STORE_OK) {
        fprintf(stderr, "broadsheet: cannot set the default access of the %s %s\n", kind, slug);
    } else {
        printf("%s %s: default access %s\n", kind, slug, default_access_shown(level));
        printf("articles imported from now on without an access: line get it; articles already\n"
               "imported keep their level until their files are imported again\n");
        rc = 0;
    }
    return rc;
}

static int command_publication_access(struct cli_call *call)
{
    return default_access_change(call, 0);
}

static int command_section_access(struct cli_call *call)
{
    return default_access_change(call, 1);
}

static int command_publication_list(struct cli_call *call)
{
    struct store *st = cli_store(call);
    if (!st)
        return 1;
    struct arena *a = arena_new(0);
    struct publication *list;
    size_t n;
    int rc = 0;
    if (store_publications(st, a, &list, &n) != STORE_OK) {
        fprintf(stderr, "broadsheet: cannot list publications\n");
        rc = 1;
    } else {
        for (size_t i = 0; i < n; i++)
            printf("%-24s %-11s  %s\n", list[i].slug, default_access_shown(list[i].default_access),
                   list[i].name);
        printf("%zu publication%s\n", n, n == 1 ? "" : "s");
    }
    arena_free(a);
    return rc;
}

static int command_section_list(struct cli_call *call)
{
    struct store *st = cli_store(call);
    if (!st)
        return 1;
    struct arena *a = arena_new(0);
    struct section *list;
    size_t n;
    int rc = 0;
    if (store_sections(st, a, &list, &n) != STORE_OK) {
        fprintf(stderr, "broadsheet: cannot list sections\n");
        rc = 1;
    } else {
        for (size_t i = 0; i < n; i++)
            printf("%-24s %-11s  %s\n", list[i].slug, default_access_shown(list[i].default_access),
                   list[i].name);
        printf("%zu section%s\n", n, n == 1 ? "" : "s");
    }
    arena_free(a);
    return rc;
}

/* publication rights: sets the options given (an empty value unsets one), then prints the
 * rights, each with what a partner's item carries when it is not set (ninjs.h's defaults). */
static int command_publication_rights(struct cli_call *call)
{
    const char *slug = call->arguments[0];
    const char *options[] = {"holder", "notice", "terms", "url"};
    const char *given[4];
    int any = 0;
    for (size_t i = 0; i < 4; i++)
        any |= (given[i] = cli_value(call, options[i])) != NULL;
    struct store *st = cli_store(call);
    if (!st)
        return 1;
    struct arena *a = arena_new(0);
    struct publication p;
    int rc = 1, found = store_publication_by_slug(st, a, slug, &p);
    if (found == STORE_NOT_FOUND) {
        fprintf(stderr, "broadsheet: no publication %s (see `broadsheet publication list`)\n",
                slug);
        goto out;
    } else if (found != STORE_OK) {
        fprintf(stderr, "broadsheet: cannot read the publication %s\n", slug);
        goto out;
    }
    if (any) {
        const char **fields[] = {&p.copyright_holder, &p.copyright_notice, &p.usage_terms,
                                 &p.rights_url};
        for (size_t i = 0; i < 4; i++)
            if (given[i])
                *fields[i] = given[i];
        const char *problem = ninjs_rights_problem(&p);
        if (problem) {
            rc = cli_usage_error(call, "%s", problem);
            goto out;
        }
        if (store_publication_set_rights(st, slug, &p) != STORE_OK) {
            fprintf(stderr, "broadsheet: cannot set the rights of the publication %s\n", slug);
            goto out;
        }
    }
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    struct ninjs_rights r;
    ninjs_rights_resolve(&p, call->config.site_name, tm.tm_year + 1900, &r);
    const char *set[] = {p.copyright_holder, p.copyright_notice, p.usage_terms, p.rights_url};
    const char *shown[] = {r.holder, r.notice, r.terms, r.url};
    const char *labels[] = {"holder", "notice", "terms", "url"};
    printf("publication %s: rights%s\n", slug, any ? " saved" : "");
    for (size_t i = 0; i < 4; i++) {
        if (*set[i])
            printf("  %-7s %s\n", labels[i], set[i]);
        else if (*shown[i])
            printf("  %-7s (not set; items carry: %s)\n", labels[i], shown[i]);
        else
            printf("  %-7s (not set; items carry none)\n", labels[i]);
    }
    ninjs_rights_free(&r);
    rc = 0;
out:
    arena_free(a);
    return rc;
}

static const struct cli_option rights_options[] = {
    {"holder", "TEXT", 0}, {"notice", "TEXT", 0}, {"terms", "TEXT", 0},
    {"url", "URL", 0},     {NULL, NULL, 0},
};

const struct cli_command cmd_publication[] = {
    {"publication access", "SLUG free|metered|subscribers|inherit", NULL, CLI_STORE,
     "set the access level the publication's articles get when their file has no access: line "
     "(inherit: metered, unless the section sets one); read at import: articles already "
     "imported keep their level until their files are imported again",
     command_publication_access},
    {"publication list", "", NULL, CLI_STORE, "list publications with their default access",
     command_publication_list},
    {"section access", "SLUG free|metered|subscribers|inherit", NULL, CLI_STORE,
     "the same for a section's articles; a section's default wins over its publication's "
     "(inherit: the publication's, else metered)",
     command_section_access},
    {"section list", "", NULL, CLI_STORE, "list sections with their default access",
     command_section_list},
    {"publication rights", "SLUG", rights_options, CLI_STORE,
     "set the rights a partner's copy of the publication's articles carries (the ninjs item's "
     "copyright holder and notice, usage terms and rights URL, http or https; an empty value "
     "unsets one), then print them with the defaults items carry for those not set (holder: "
     "the producer, else site_name; notice: \"© YEAR HOLDER\"; terms: the syndication footer's "
     "words and a credit line for a publication produced for a contract partner)",
     command_publication_rights},
    {NULL, NULL, NULL, 0, NULL, NULL},
};
