/*
 * cmd_partner.c: contract publishing's operator commands (issue 13): `broadsheet partner add`,
 * `partner list`, `partner key rotate` and `partner remove`.
 *
 * A partner's API key is printed once, by `add` and `key rotate`, on stdout, and said so: only
 * its hash is kept (partner.h), so no command can show it again, and a lost key is replaced by
 * rotating it. `list` shows the key's 8-character prefix only.
 *
 * Everything is checked before anything is written: a bad slug, an empty name, a bad --content
 * or list, a publication or section that does not exist are usage errors (exit 2), and a slug
 * that is taken or a partner that does not exist are failures (exit 1); either way nothing
 * changes. Without --content, a partner gets its product in full when every publication of it
 * is produced for this partner (partner_default_content: the publication's partner or
 * partner_short is --name), else the paywall's preview only.
 */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "arena.h"
#include "buf.h"
#include "cmd.h"
#include "partner.h"
#include "slug.h"
#include "store.h"
#include "util.h"

#define NAME_MAX_BYTES 200 /* a partner's name, as the operator types it */
#define LIST_MAX 100       /* publications or sections in one product */

/* 1 if name is a usable partner name: 1 to NAME_MAX_BYTES bytes of valid UTF-8, not only
 * spaces, with no control character. */
static int name_valid(const char *name)
{
    size_t len = strlen(name);
    int visible = 0;
    if (len == 0 || len > NAME_MAX_BYTES || !util_utf8_valid(name, len))
        return 0;
    for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
        if (*p < 0x20 || *p == 0x7f)
            return 0;
        visible |= *p != ' ';
    }
    return visible;
}

/* Splits text ("gsn,energy", spaces around items allowed) into slugs from a, into *out and *n.
 * Returns 0, or a usage error (printed) for an empty item, one that is not a slug, or more than
 * LIST_MAX items. kind names the list ("publication", "section"). */
static int split_slugs(struct cli_call *call, struct arena *a, const char *text, const char *kind,
                       const char ***out, size_t *n)
{
    const char **items = arena_calloc(a, LIST_MAX, sizeof *items);
    size_t count = 0;
    const char *p = text;
    for (;;) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        while (len && *p == ' ')
            p++, len--;
        while (len && p[len - 1] == ' ')
            len--;
        char *item = arena_strndup(a, p, len);
        if (!*item)
            return cli_usage_error(call, "an empty %s in '%s'", kind, text);
        if (!slug_valid(item, 64))
            return cli_usage_error(call, "'%s' is not a %s slug", item, kind);
        if (count == LIST_MAX)
            return cli_usage_error(call, "more than %d %ss", LIST_MAX, kind);
        items[count++] = item;
        if (!comma)
            break;
        p = comma + 1;
    }
    *out = items;
    *n = count;
    return 0;
}

/* The product for the operator: "publications gsn,x; every section" or "…; sections a,b". */
static const char *product_shown(struct arena *a, const struct partner_product *pr)
{
    struct buf b = {0};
    buf_puts(&b, "publications ");
    for (size_t i = 0; i < pr->npublications; i++)
        buf_printf(&b, "%s%s", i ? "," : "", pr->publications[i]);
    if (pr->nsections == 0)
        buf_puts(&b, "; every section");
    else
        buf_puts(&b, "; sections ");
    for (size_t i = 0; i < pr->nsections; i++)
        buf_printf(&b, "%s%s", i ? "," : "", pr->sections[i]);
    const char *shown = arena_strdup(a, b.data ? b.data : "");
    buf_free(&b);
    return shown;
}

/* Prints a new key for the partner slug, once, and says it will not be shown again. */
static void print_key(FILE *out, const char *slug, const char *key)
{
    fprintf(out, "API key: %s\n", key);
    fprintf(out,
            "This key is shown once and never again (only its hash is kept): give it to the "
            "partner now. `broadsheet partner key rotate %s` replaces a lost one.\n",
            slug);
}

static int command_partner_add(struct cli_call *call)
{
    const char *slug = call->arguments[0];
    const char *name = cli_value(call, "name");
    const char *publications_text = cli_value(call, "publications");
    const char *sections_text = cli_value(call, "sections");
    const char *content = cli_value(call, "content");
    if (!cmd_slug_valid(slug))
        return cli_usage_error(call,
                               "'%s' is not a valid partner slug (1 to 64 lowercase letters, "
                               "digits and hyphens, not starting or ending with one)",
                               slug);
    if (!name_valid(name))
        return cli_usage_error(call,
                               "a partner needs a --name (up to %d bytes of text, no "
                               "control characters)",
                               NAME_MAX_BYTES);
    if (content && strcmp(content, "full") && strcmp(content, "preview"))
        return cli_usage_error(call, "--content is full or preview, not '%s'", content);
    struct arena *a = arena_new(0);
    const char **pub_slugs, **sec_slugs = NULL;
    size_t npubs, nsecs = 0;
    int rc = CLI_USAGE;
    if (split_slugs(call, a, publications_text, "publication", &pub_slugs, &npubs) != 0 ||
        (sections_text && split_slugs(call, a, sections_text, "section", &sec_slugs, &nsecs) != 0))
        goto out;
    rc = 1;
    struct store *st = cli_store(call);
    if (!st)
        goto out;
    struct partner existing;
    int status = store_partner_by_slug(st, a, slug, &existing);
    if (status == STORE_OK) {
        fprintf(call->err,
                "broadsheet: a partner %s already exists (see `broadsheet partner "
                "list`)\n",
                slug);
        goto out;
    } else if (status != STORE_NOT_FOUND) {
        fprintf(call->err, "broadsheet: cannot read the partners\n");
        goto out;
    }
    struct publication *pubs = arena_calloc(a, npubs, sizeof *pubs);
    int64_t *pub_ids = arena_calloc(a, npubs, sizeof *pub_ids);
    int64_t *sec_ids = arena_calloc(a, nsecs ? nsecs : 1, sizeof *sec_ids);
    for (size_t i = 0; i < npubs; i++) {
        status = store_publication_by_slug(st, a, pub_slugs[i], &pubs[i]);
        if (status == STORE_NOT_FOUND) {
            rc = cli_usage_error(call, "no publication %s (see `broadsheet publication list`)",
                                 pub_slugs[i]);
            goto out;
        } else if (status != STORE_OK) {
            fprintf(call->err, "broadsheet: cannot read the publication %s\n", pub_slugs[i]);
            goto out;
        }
        pub_ids[i] = pubs[i].id;
    }
    for (size_t i = 0; i < nsecs; i++) {
        struct section sec;
        status = store_section_by_slug(st, a, sec_slugs[i], &sec);
        if (status == STORE_NOT_FOUND) {
            rc = cli_usage_error(call, "no section %s (see `broadsheet section list`)",
                                 sec_slugs[i]);
            goto out;
        } else if (status != STORE_OK) {
            fprintf(call->err, "broadsheet: cannot read the section %s\n", sec_slugs[i]);
            goto out;
        }
        sec_ids[i] = sec.id;
    }
    const char *why = "given";
    if (!content) {
        content = partner_default_content(name, pubs, npubs);
        why = !strcmp(content, "full") ? "the default: its publications are produced for it"
                                       : "the default: not every publication is produced for it";
    }
    char key[PARTNER_KEY_LEN + 1];
    if (partner_key_new(key) < 0) {
        fprintf(call->err, "broadsheet: cannot make a key (libsodium)\n");
        goto out;
    }
    struct partner p = {.slug = slug, .name = name, .content = content};
    int64_t id = 0;
    status = store_partner_add(st, &p, key, pub_ids, npubs, sec_ids, nsecs, &id);
    if (status == STORE_CONFLICT) {
        fprintf(call->err,
                "broadsheet: a partner %s already exists (see `broadsheet partner "
                "list`)\n",
                slug);
    } else if (status == STORE_NOT_FOUND) {
        fprintf(call->err, "broadsheet: a publication or section of the product was removed "
                           "meanwhile; nothing was saved\n");
    } else if (status != STORE_OK) {
        fprintf(call->err, "broadsheet: cannot save the partner %s\n", slug);
    } else {
        struct partner_product pr;
        if (store_partner_product(st, a, id, &pr) != STORE_OK)
            pr = (struct partner_product){0};
        fprintf(call->out, "created partner %s (%s): %s; content %s (%s)\n", slug, name,
                product_shown(a, &pr), content, why);
        print_key(call->out, slug, key);
        rc = 0;
    }
    sodium_memzero(key, sizeof key);
out:
    arena_free(a);
    return rc;
}

static int command_partner_list(struct cli_call *call)
{
    struct store *st = cli_store(call);
    if (!st)
        return 1;
    struct arena *a = arena_new(0);
    struct partner *list;
    size_t n;
    int rc = 1;
    if (store_partners(st, a, &list, &n) != STORE_OK) {
        fprintf(call->err, "broadsheet: cannot list partners\n");
        goto out;
    }
    if (n)
        fprintf(call->out, "%-24s %-7s %-12s %-10s %s\n", "slug", "content", "key", "created",
                "name: product");
    for (size_t i = 0; i < n; i++) {
        struct partner_product pr;
        if (store_partner_product(st, a, list[i].id, &pr) != STORE_OK) {
            fprintf(call->err, "broadsheet: cannot read the product of %s\n", list[i].slug);
            goto out;
        }
        char created[16];
        cmd_format_day(list[i].created_at, created, sizeof created);
        fprintf(call->out, "%-24s %-7s %s…    %-10s %s: %s\n", list[i].slug, list[i].content,
                list[i].key_prefix, created, list[i].name, product_shown(a, &pr));
    }
    fprintf(call->out, "%zu partner%s\n", n, n == 1 ? "" : "s");
    rc = 0;
out:
    arena_free(a);
    return rc;
}

static int command_partner_key_rotate(struct cli_call *call)
{
    const char *slug = call->arguments[0];
    if (!cmd_slug_valid(slug))
        return cli_usage_error(call, "'%s' is not a valid partner slug", slug);
    struct store *st = cli_store(call);
    if (!st)
        return 1;
    char key[PARTNER_KEY_LEN + 1];
    if (partner_key_new(key) < 0) {
        fprintf(call->err, "broadsheet: cannot make a key (libsodium)\n");
        return 1;
    }
    int rc = 1;
    int status = store_partner_set_key(st, slug, key);
    if (status == STORE_NOT_FOUND) {
        fprintf(call->err, "broadsheet: no partner %s (see `broadsheet partner list`)\n", slug);
    } else if (status != STORE_OK) {
        fprintf(call->err, "broadsheet: cannot rotate the key of %s\n", slug);
    } else {
        fprintf(call->out, "partner %s: a new key; the old one no longer works\n", slug);
        print_key(call->out, slug, key);
        rc = 0;
    }
    sodium_memzero(key, sizeof key);
    return rc;
}

static int command_partner_remove(struct cli_call *call)
{
    const char *slug = call->arguments[0];
    if (!cmd_slug_valid(slug))
        return cli_usage_error(call, "'%s' is not a valid partner slug", slug);
    struct store *st = cli_store(call);
    if (!st)
        return 1;
    int status = store_partner_remove(st, slug);
    if (status == STORE_NOT_FOUND) {
        fprintf(call->err, "broadsheet: no partner %s (see `broadsheet partner list`)\n", slug);
        return 1;
    }
    if (status != STORE_OK) {
        fprintf(call->err, "broadsheet: cannot remove the partner %s\n", slug);
        return 1;
    }
    fprintf(call->out, "removed partner %s and its product; its key no longer works\n", slug);
    return 0;
}

static const struct cli_option partner_add_options[] = {
    {"name", "NAME", CLI_REQUIRED},
    {"publications", "P[,P...]", CLI_REQUIRED},
    {"sections", "S[,S...]", 0},
    {"content", "full|preview", 0},
    {NULL, NULL, 0},
};

const struct cli_command cmd_partner[] = {
    {"partner add", "SLUG", partner_add_options, CLI_STORE,
     "add a contract-publishing partner receiving the articles of these publications (and, "
     "with --sections, only of these sections), in full or as the paywall's preview (default: "
     "full when every publication is produced for this partner, else preview); prints its API "
     "key once",
     command_partner_add},
    {"partner list", "", NULL, CLI_STORE,
     "list partners with their content, product, key prefix and creation day",
     command_partner_list},
    {"partner key rotate", "SLUG", NULL, CLI_STORE,
     "give a partner a new API key, printed once; the old key stops working at once",
     command_partner_key_rotate},
    {"partner remove", "SLUG", NULL, CLI_STORE,
     "remove a partner and its product; its key stops working", command_partner_remove},
    {NULL, NULL, NULL, 0, NULL, NULL},
};
