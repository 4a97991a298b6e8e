/*
 * cmd_partner.c: contract publishing's operator commands (issue 13): `broadsheet partner add`,
 * `partner list`, `partner key rotate` and `partner remove`; and its webhooks (`partner webhook
 * set`, `remove`, `rotate-secret`, `partner deliveries`: their own block below).
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
#include <time.h>

#include "arena.h"
#include "buf.h"
#include "cmd.h"
#include "partner.h"
#include "slug.h"
#include "store.h"
#include "util.h"
#include "webhook.h"

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

/* ---- webhooks: push to partners (issue 13, "Push"; webhook.h) ---------------------------
 *
 * `partner webhook set SLUG URL` registers a partner's webhook and prints its signing secret
 * once (kept for the HMAC, never shown again: `rotate-secret` makes a new one); on a partner
 * that has one, it moves it to URL and keeps the secret and the cursor. `partner webhook
 * remove` stops the pushes. `partner deliveries SLUG` prints the webhook's state and its
 * delivery log, newest first. The URL is checked before anything is written
 * (webhook_url_check: http or https, no credentials, at most 2000 bytes, no literal internal
 * address unless webhook_allow_private). */

#define DELIVERIES_DEFAULT 20 /* attempts `partner deliveries` shows unless --limit says */

/* The partner named slug (checked) into *p, or an exit status (printed) in *rc: 0 or 1. */
static int webhook_partner(struct cli_call *call, struct arena *a, const char *slug,
                           struct partner *p, int *rc)
{
    struct store *st = cli_store(call);
    *rc = 1;
    if (!st)
        return 0;
    int status = store_partner_by_slug(st, a, slug, p);
    if (status == STORE_NOT_FOUND)
        fprintf(call->err, "broadsheet: no partner %s (see `broadsheet partner list`)\n", slug);
    else if (status != STORE_OK)
        fprintf(call->err, "broadsheet: cannot read the partners\n");
    return status == STORE_OK;
}

/* Prints a new signing secret for the partner slug, once, and says it will not be shown again. */
static void print_secret(FILE *out, const char *slug, const char *secret)
{
    fprintf(out, "Signing secret: %s\n", secret);
    fprintf(out,
            "This secret is shown once: give it to the partner now, to verify the "
            "Broadsheet-Signature of each delivery (docs/partners.md, \"Webhooks\"). "
            "`broadsheet partner webhook rotate-secret %s` replaces a lost one.\n",
            slug);
}

static int command_partner_webhook_set(struct cli_call *call)
{
    const char *slug = call->arguments[0], *url = call->arguments[1];
    char why[WEBHOOK_URL_MAX + 200];
    if (!cmd_slug_valid(slug))
        return cli_usage_error(call, "'%s' is not a valid partner slug", slug);
    if (webhook_url_check(url, call->config.webhook_allow_private, why, sizeof why) < 0)
        return cli_usage_error(call, "%s", why);
    struct arena *a = arena_new(0);
    struct partner p;
    struct partner_webhook w;
    int rc;
    if (!webhook_partner(call, a, slug, &p, &rc))
        goto out;
    struct store *st = cli_store(call);
    int status = store_webhook_get(st, a, p.id, &w);
    if (status == STORE_OK) {
        status = store_webhook_set_url(st, p.id, url);
        if (status == STORE_OK) {
            fprintf(call->out,
                    "partner %s: webhook moved to %s; its signing secret and its place in the "
                    "log are kept\n",
                    slug, url);
            rc = 0;
        } else {
            fprintf(call->err, "broadsheet: cannot change the webhook of %s\n", slug);
        }
        goto out;
    } else if (status != STORE_NOT_FOUND) {
        fprintf(call->err, "broadsheet: cannot read the webhook of %s\n", slug);
        goto out;
    }
    char secret[WEBHOOK_SECRET_LEN + 1];
    if (webhook_secret_new(secret) < 0) {
        fprintf(call->err, "broadsheet: cannot make a secret (libsodium)\n");
        goto out;
    }
    status = store_webhook_add(st, p.id, url, secret, util_now());
    if (status == STORE_OK) {
        fprintf(call->out,
                "partner %s: webhook set to %s; every change of its product from now on is "
                "POSTed there (earlier ones: the API)\n",
                slug, url);
        print_secret(call->out, slug, secret);
        rc = 0;
    } else if (status == STORE_CONFLICT) {
        fprintf(call->err,
                "broadsheet: partner %s was given a webhook meanwhile; nothing "
                "was changed (run the command again to move it)\n",
                slug);
    } else if (status == STORE_NOT_FOUND) {
        fprintf(call->err, "broadsheet: partner %s was removed meanwhile\n", slug);
    } else {
        fprintf(call->err, "broadsheet: cannot save the webhook of %s\n", slug);
    }
    sodium_memzero(secret, sizeof secret);
out:
    arena_free(a);
    return rc;
}

static int command_partner_webhook_remove(struct cli_call *call)
{
    const char *slug = call->arguments[0];
    if (!cmd_slug_valid(slug))
        return cli_usage_error(call, "'%s' is not a valid partner slug", slug);
    struct arena *a = arena_new(0);
    struct partner p;
    int rc;
    if (!webhook_partner(call, a, slug, &p, &rc))
        goto out;
    int status = store_webhook_remove(cli_store(call), p.id);
    if (status == STORE_NOT_FOUND) {
        fprintf(call->err, "broadsheet: partner %s has no webhook\n", slug);
    } else if (status != STORE_OK) {
        fprintf(call->err, "broadsheet: cannot remove the webhook of %s\n", slug);
    } else {
        fprintf(call->out,
                "partner %s: webhook removed; nothing more is pushed to it (its "
                "delivery log is kept)\n",
                slug);
        rc = 0;
    }
out:
    arena_free(a);
    return rc;
}

static int command_partner_webhook_rotate_secret(struct cli_call *call)
{
    const char *slug = call->arguments[0];
    if (!cmd_slug_valid(slug))
        return cli_usage_error(call, "'%s' is not a valid partner slug", slug);
    struct arena *a = arena_new(0);
    struct partner p;
    int rc;
    if (!webhook_partner(call, a, slug, &p, &rc))
        goto out;
    char secret[WEBHOOK_SECRET_LEN + 1];
    if (webhook_secret_new(secret) < 0) {
        fprintf(call->err, "broadsheet: cannot make a secret (libsodium)\n");
        goto out;
    }
    int status = store_webhook_set_secret(cli_store(call), p.id, secret);
    if (status == STORE_NOT_FOUND) {
        fprintf(call->err,
                "broadsheet: partner %s has no webhook (`broadsheet partner webhook "
                "set %s URL` makes one)\n",
                slug, slug);
    } else if (status != STORE_OK) {
        fprintf(call->err, "broadsheet: cannot change the secret of %s\n", slug);
    } else {
        fprintf(call->out,
                "partner %s: a new signing secret; deliveries from now on are "
                "signed with it, not the old one\n",
                slug);
        print_secret(call->out, slug, secret);
        rc = 0;
    }
    sodium_memzero(secret, sizeof secret);
out:
    arena_free(a);
    return rc;
}

/* A time as "YYYY-MM-DD HH:MM:SS" UTC. */
static void format_time(int64_t t, char *out, size_t size)
{
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    strftime(out, size, "%Y-%m-%d %H:%M:%S", &tm);
}

static int command_partner_deliveries(struct cli_call *call)
{
    const char *slug = call->arguments[0], *limit_text = cli_value(call, "limit");
    long limit = DELIVERIES_DEFAULT;
    if (!cmd_slug_valid(slug))
        return cli_usage_error(call, "'%s' is not a valid partner slug", slug);
    if (limit_text && cmd_parse_whole(limit_text, 1, WEBHOOK_LOG_KEEP, &limit) < 0)
        return cli_usage_error(call, "'%s' is not a limit (a whole number from 1 to %d)",
                               limit_text, WEBHOOK_LOG_KEEP);
    struct arena *a = arena_new(0);
    struct partner p;
    struct partner_webhook w;
    struct webhook_delivery *list = NULL;
    size_t n = 0;
    int rc;
    if (!webhook_partner(call, a, slug, &p, &rc))
        goto out;
    rc = 1;
    struct store *st = cli_store(call);
    int status = store_webhook_get(st, a, p.id, &w);
    if (status == STORE_ERROR ||
        store_webhook_deliveries(st, a, p.id, (int)limit, &list, &n) != STORE_OK) {
        fprintf(call->err, "broadsheet: cannot read the webhook of %s\n", slug);
        goto out;
    }
    char when[32];
    if (status == STORE_NOT_FOUND) {
        fprintf(call->out, "partner %s: no webhook\n", slug);
    } else {
        fprintf(call->out, "partner %s: webhook %s; delivered up to %lld in the log", slug, w.url,
                (long long)w.cursor);
        if (w.attempts) {
            format_time(w.next_attempt_at, when, sizeof when);
            fprintf(call->out, "; %d failed attempt%s, the next at %s UTC: %s", w.attempts,
                    w.attempts == 1 ? "" : "s", when, w.last_error);
        }
        fputc('\n', call->out);
    }
    if (n)
        fprintf(call->out, "%-19s %-8s %-7s %-8s %-7s %-6s %-7s %s\n", "when (UTC)", "item",
                "version", "delivery", "attempt", "status", "ms", "error");
    for (size_t i = 0; i < n; i++) {
        format_time(list[i].at, when, sizeof when);
        char code[8];
        snprintf(code, sizeof code, "%d", list[i].status);
        fprintf(call->out, "%-19s %-8lld %-7lld %-8lld %-7d %-6s %-7lld %s\n", when,
                (long long)list[i].article_id, (long long)list[i].version, (long long)list[i].seq,
                list[i].attempt, list[i].status ? code : "-", (long long)list[i].duration_ms,
                *list[i].error ? list[i].error : "delivered");
    }
    fprintf(call->out, "%zu attempt%s shown\n", n, n == 1 ? "" : "s");
    rc = 0;
out:
    arena_free(a);
    return rc;
}

static const struct cli_option partner_deliveries_options[] = {
    {"limit", "N", 0},
    {NULL, NULL, 0},
};

static const struct cli_option partner_webhook_set_options[] = {
    {"webhook-allow-private", "0|1", CLI_CONFIG},
    {NULL, NULL, 0},
};

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
    /* Webhooks: push to partners (issue 13, "Push") */
    {"partner webhook set", "SLUG URL", partner_webhook_set_options, CLI_STORE,
     "POST every change of a partner's product from now on to URL, signed (http or https; "
     "internal addresses only with webhook_allow_private); prints the signing secret once; on "
     "a partner that has a webhook, moves it to URL keeping its secret",
     command_partner_webhook_set},
    {"partner webhook remove", "SLUG", NULL, CLI_STORE,
     "stop pushing to a partner's webhook (its delivery log is kept)",
     command_partner_webhook_remove},
    {"partner webhook rotate-secret", "SLUG", NULL, CLI_STORE,
     "give a partner's webhook a new signing secret, printed once; the old one signs nothing "
     "more",
     command_partner_webhook_rotate_secret},
    {"partner deliveries", "SLUG", partner_deliveries_options, CLI_STORE,
     "show a partner's webhook and its delivery log, newest first (--limit: up to 1000): when, "
     "item, version, delivery, attempt, status, error",
     command_partner_deliveries},
    {NULL, NULL, NULL, 0, NULL, NULL},
};
