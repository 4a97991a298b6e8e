/*
 * demo.c: the demo newsroom seeder. See demo.h for the directory layout.
 *
 * newsroom.json is read with jansson and checked against a table of fields per record kind (the
 * way Kore maps config directives to parsers), so each kind's shape is stated once. Everything is
 * read and checked before the first write: a broken demo file leaves the database empty, so the
 * next start (store_is_empty) tries again once the file is fixed. Only a database failure part
 * way can leave a partial seed, and seeding again completes it (everything is an upsert).
 *
 * Besides "publications" and "sections" (demo.h), newsroom.json may hold "plans", the offers
 * behind "Learn More": [{"slug", "name", "period" (month, year or contact), "price_cents" (an
 * integer; required above 0 for month and year, absent or 0 for contact), "currency" ("USD" when
 * absent), "description", "benefits" (an array of one-line strings), "position",
 * "stripe_price_id"}, …], saved with store_plan_save, each on offer (active).
 *
 * A publication or a section may also carry "default_access": "free", "metered", "subscribers"
 * or "inherit", the level its articles get when their file has no `access:` line (import.h);
 * it is set (store_*_set_default_access) before the articles are imported. Without the field
 * (or with ""), the record's default is left as it is: inherit on a fresh database.
 */
#include "demo.h"

#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "buf.h"
#include "import.h"
#include "util.h"

/* FIELD_CENTS: a price in minor units, 0 to 10^12, into an int64_t. FIELD_LINES: an array of
 * one-line strings, stored as one const char * joined by "\n" (a plan's benefits). */
enum field_type { FIELD_STRING, FIELD_BOOLEAN, FIELD_INTEGER, FIELD_CENTS, FIELD_LINES };

/* One JSON field of a record: where it goes in the C struct (a const char *, an int or an
 * int64_t, by type). */
struct field {
    const char *name;
    enum field_type type;
    int required;
    size_t offset;
};

static const struct field publication_fields[] = {
    {"slug", FIELD_STRING, 1, offsetof(struct publication, slug)},
    {"name", FIELD_STRING, 1, offsetof(struct publication, name)},
    {"description", FIELD_STRING, 0, offsetof(struct publication, description)},
    {"producer", FIELD_STRING, 0, offsetof(struct publication, producer)},
    {"partner", FIELD_STRING, 0, offsetof(struct publication, partner)},
    {"partner_short", FIELD_STRING, 0, offsetof(struct publication, partner_short)},
    {"partner_url", FIELD_STRING, 0, offsetof(struct publication, partner_url)},
    {"partner_description", FIELD_STRING, 0, offsetof(struct publication, partner_description)},
    {"is_host", FIELD_BOOLEAN, 0, offsetof(struct publication, is_host)},
    {"default_access", FIELD_STRING, 0, offsetof(struct publication, default_access)},
};

static const struct field section_fields[] = {
    {"slug", FIELD_STRING, 1, offsetof(struct section, slug)},
    {"name", FIELD_STRING, 1, offsetof(struct section, name)},
    {"position", FIELD_INTEGER, 0, offsetof(struct section, position)},
    {"default_access", FIELD_STRING, 0, offsetof(struct section, default_access)},
};

/* Plans: the offers page's cards. period is checked after reading (check_plans), as is the
 * price's agreement with it. There is no "active" field: a demo plan is on offer. */
static const struct field plan_fields[] = {
    {"slug", FIELD_STRING, 1, offsetof(struct plan, slug)},
    {"name", FIELD_STRING, 1, offsetof(struct plan, name)},
    {"period", FIELD_STRING, 1, offsetof(struct plan, period)},
    {"price_cents", FIELD_CENTS, 0, offsetof(struct plan, price_cents)},
    {"currency", FIELD_STRING, 0, offsetof(struct plan, currency)},
    {"description", FIELD_STRING, 0, offsetof(struct plan, description)},
    {"benefits", FIELD_LINES, 0, offsetof(struct plan, benefits)},
    {"position", FIELD_INTEGER, 0, offsetof(struct plan, position)},
    {"stripe_price_id", FIELD_STRING, 0, offsetof(struct plan, stripe_price_id)},
};

/* Writes "where: message" into err. */
__attribute__((format(printf, 4, 5))) static void fail(char *err, size_t errlen, const char *where,
                                                       const char *fmt, ...)
{
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (err && errlen)
        snprintf(err, errlen, "%s: %s", where, msg);
}

/* Fills record (a struct publication, section or plan, all zero) from the JSON object value, the
 * index-th element of the array `kind` in file path, by the nfields fields. Unset strings become
 * "". Strings are copied into a. Returns 0, or -1 with "path: kind[index].field: reason" in
 * err. */
static int read_record(const char *path, const char *kind, size_t index, json_t *value,
                       const struct field *fields, size_t nfields, void *record, struct arena *a,
                       char *err, size_t errlen)
{
    char where[512];
    const char *key;
    json_t *member;

    snprintf(where, sizeof where, "%s: %s[%zu]", path, kind, index);
    if (!json_is_object(value)) {
        fail(err, errlen, where, "expected an object");
        return -1;
    }
    json_object_foreach(value, key, member)
    {
        size_t i = 0;
        while (i < nfields && strcmp(fields[i].name, key) != 0)
            i++;
        if (i == nfields) {
            fail(err, errlen, where, "unknown field '%s'", key);
            return -1;
        }
    }
    for (size_t i = 0; i < nfields; i++) {
        const struct field *f = &fields[i];
        char *slot = (char *)record + f->offset;
        member = json_object_get(value, f->name);
        if (!member || json_is_null(member)) {
            if (f->required) {
                fail(err, errlen, where, "missing %s", f->name);
                return -1;
            }
            if (f->type == FIELD_STRING || f->type == FIELD_LINES)
                *(const char **)slot = "";
            continue;
        }
        switch (f->type) {
        case FIELD_STRING: {
            const char *s = json_string_value(member);
            if (!s || strlen(s) != json_string_length(member)) {
                fail(err, errlen, where, "%s: expected a string (without NUL)", f->name);
                return -1;
            }
            if (f->required && !*s) {
                fail(err, errlen, where, "%s: must not be empty", f->name);
                return -1;
            }
            *(const char **)slot = arena_strdup(a, s);
            break;
        }
        case FIELD_BOOLEAN:
            if (!json_is_boolean(member)) {
                fail(err, errlen, where, "%s: expected true or false", f->name);
                return -1;
            }
            *(int *)slot = json_is_true(member);
            break;
        case FIELD_INTEGER: {
            json_int_t n = json_is_integer(member) ? json_integer_value(member) : 0;
            if (!json_is_integer(member) || n < -1000000 || n > 1000000) {
                fail(err, errlen, where, "%s: expected an integer", f->name);
                return -1;
            }
            *(int *)slot = (int)n;
            break;
        }
        case FIELD_CENTS: {
            json_int_t n = json_is_integer(member) ? json_integer_value(member) : -1;
            if (n < 0 || n > 1000000000000) {
                fail(err, errlen, where, "%s: expected a whole number of cents, at least 0",
                     f->name);
                return -1;
            }
            *(int64_t *)slot = (int64_t)n;
            break;
        }
        case FIELD_LINES: {
            size_t k;
            json_t *line;
            struct buf joined;
            if (!json_is_array(member)) {
                fail(err, errlen, where, "%s: expected an array of strings", f->name);
                return -1;
            }
            buf_init(&joined);
            json_array_foreach(member, k, line)
            {
                const char *s = json_string_value(line);
                if (!s || strlen(s) != json_string_length(line) || !*s || strchr(s, '\n')) {
                    fail(err, errlen, where, "%s[%zu]: expected a one-line string", f->name, k);
                    buf_free(&joined);
                    return -1;
                }
                if (k)
                    buf_append(&joined, "\n", 1);
                buf_append(&joined, s, strlen(s));
            }
            *(const char **)slot = arena_strndup(a, joined.data ? joined.data : "", joined.len);
            buf_free(&joined);
            break;
        }
        }
    }
    return 0;
}

/* Reads the array `kind` of root (in file path) into *out (n records of size bytes each, in a),
 * one record per element, by fields. Returns 0 or -1 (err set). */
static int read_records(const char *path, json_t *root, const char *kind,
                        const struct field *fields, size_t nfields, size_t size, void **out,
                        size_t *n, struct arena *a, char *err, size_t errlen)
{
    json_t *array = json_object_get(root, kind), *value;
    size_t i;
    if (!json_is_array(array)) {
        fail(err, errlen, path, "%s: expected an array", kind);
        return -1;
    }
    *n = json_array_size(array);
    *out = arena_calloc(a, *n, size);
    json_array_foreach(array, i, value)
    {
        if (read_record(path, kind, i, value, fields, nfields, (char *)*out + i * size, a, err,
                        errlen) != 0)
            return -1;
    }
    return 0;
}

/* Checks what the field table cannot: each plan's period, that a priced plan (month, year) has
 * a price and a contact plan none, a currency's shape, and that no two plans share a slug.
 * plans[0..n) are from path. Returns 0 or -1 (err set, as read_record's). */
static int check_plans(const char *path, const struct plan *plans, size_t n, char *err,
                       size_t errlen)
{
    char where[512];
    for (size_t i = 0; i < n; i++) {
        const struct plan *p = &plans[i];
        int contact = !strcmp(p->period, "contact");
        snprintf(where, sizeof where, "%s: plans[%zu]", path, i);
        if (!contact && strcmp(p->period, "month") != 0 && strcmp(p->period, "year") != 0) {
            fail(err, errlen, where, "period: expected \"month\", \"year\" or \"contact\"");
            return -1;
        }
        if (contact && p->price_cents != 0) {
            fail(err, errlen, where, "price_cents: a contact plan has no price");
            return -1;
        }
        if (!contact && p->price_cents == 0) {
            fail(err, errlen, where, "missing price_cents (a %s plan needs a price)", p->period);
            return -1;
        }
        if (*p->currency &&
            (strlen(p->currency) != 3 || strspn(p->currency, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != 3)) {
            fail(err, errlen, where, "currency: expected three capital letters (\"USD\")");
            return -1;
        }
        for (size_t j = 0; j < i; j++) {
            if (!strcmp(plans[j].slug, p->slug)) {
                fail(err, errlen, where, "slug '%s' is also plans[%zu]'s", p->slug, j);
                return -1;
            }
        }
    }
    return 0;
}

/* 1 if level is a default_access newsroom.json accepts: "" (absent), "inherit" or a level. */
static int default_access_valid(const char *level)
{
    return !*level || !strcmp(level, "inherit") || store_access_parse(level) >= 0;
}

/* Checks the default_access of the publications pubs[0..np) and the sections secs[0..ns) from
 * path. Returns 0 or -1 (err set, as read_record's). */
static int check_defaults(const char *path, const struct publication *pubs, size_t np,
                          const struct section *secs, size_t ns, char *err, size_t errlen)
{
    static const char expected[] =
        "default_access: expected \"free\", \"metered\", \"subscribers\" or \"inherit\"";
    char where[512];
    for (size_t i = 0; i < np; i++) {
        if (!default_access_valid(pubs[i].default_access)) {
            snprintf(where, sizeof where, "%s: publications[%zu]", path, i);
            fail(err, errlen, where, "%s", expected);
            return -1;
        }
    }
    for (size_t i = 0; i < ns; i++) {
        if (!default_access_valid(secs[i].default_access)) {
            snprintf(where, sizeof where, "%s: sections[%zu]", path, i);
            fail(err, errlen, where, "%s", expected);
            return -1;
        }
    }
    return 0;
}

/* The level store_*_set_default_access takes for a checked newsroom.json value: "inherit" is
 * stored as "". NULL when the field was absent (or ""): the stored default is left alone. */
static const char *stored_default(const char *level)
{
    if (!*level)
        return NULL;
    return strcmp(level, "inherit") ? level : "";
}

/* qsort order of C strings. */
static int by_name(const void *x, const void *y)
{
    return strcmp(*(char *const *)x, *(char *const *)y);
}

/* The paths of dir's *.md files (hidden files skipped), sorted by name, in a. Returns 0 or -1
 * (err set). */
static int list_articles(const char *dir, struct arena *a, char ***out, size_t *n, char *err,
                         size_t errlen)
{
    DIR *d = opendir(dir);
    struct dirent *entry;
    size_t count = 0, cap = 16;
    char **paths = arena_calloc(a, cap, sizeof *paths);
    if (!d) {
        fail(err, errlen, dir, "cannot open: %s", strerror(errno));
        return -1;
    }
    while ((entry = readdir(d))) {
        size_t len = strlen(entry->d_name);
        if (entry->d_name[0] == '.' || len < 4 || strcmp(entry->d_name + len - 3, ".md") != 0)
            continue;
        if (count == cap) {
            char **bigger = arena_calloc(a, cap * 2, sizeof *bigger);
            memcpy(bigger, paths, count * sizeof *paths);
            paths = bigger;
            cap *= 2;
        }
        paths[count++] = arena_printf(a, "%s/%s", dir, entry->d_name);
    }
    closedir(d);
    qsort(paths, count, sizeof *paths, by_name);
    *out = paths;
    *n = count;
    return 0;
}

/* Checks, before anything is written, that each article parses and names a publication and a
 * section found in pubs[0..np) and secs[0..ns) from newsroom.json or already in st. Returns 0 or -1
 * (err set). import_files checks again, with line numbers, once they are saved. */
static int precheck_articles(struct store *st, char **paths, size_t n,
                             const struct publication *pubs, size_t np, const struct section *secs,
                             size_t ns, struct arena *a, char *err, size_t errlen)
{
    int rc = -1;
    char *text = NULL;
    for (size_t i = 0; i < n; i++) {
        struct article_input in;
        struct publication p;
        struct section s;
        size_t len, j;
        text = util_read_file(paths[i], &len);
        if (!text) {
            fail(err, errlen, paths[i], "cannot read: %s", strerror(errno));
            goto out;
        }
        if (import_parse(paths[i], text, len, a, &in, err, errlen) != 0)
            goto out;
        free(text);
        text = NULL;
        for (j = 0; j < np && strcmp(pubs[j].slug, in.publication_slug) != 0; j++)
            ;
        if (j == np && store_publication_by_slug(st, a, in.publication_slug, &p) != STORE_OK) {
            fail(err, errlen, paths[i], "unknown publication '%s' (not in newsroom.json)",
                 in.publication_slug);
            goto out;
        }
        for (j = 0; j < ns && strcmp(secs[j].slug, in.section_slug) != 0; j++)
            ;
        if (j == ns && store_section_by_slug(st, a, in.section_slug, &s) != STORE_OK) {
            fail(err, errlen, paths[i], "unknown section '%s' (not in newsroom.json)",
                 in.section_slug);
            goto out;
        }
    }
    rc = 0;
out:
    free(text);
    return rc;
}

int demo_seed(struct store *st, const char *demo_dir, char *err, size_t errlen)
{
    struct arena *a = arena_new(0);
    const char *path = arena_printf(a, "%s/newsroom.json", demo_dir);
    json_t *root = NULL;
    json_error_t jerr;
    struct publication *pubs;
    struct section *secs;
    struct plan *plans = NULL;
    size_t np, ns, nplans = 0, narticles;
    char **articles;
    const char *key;
    json_t *member;
    int rc = -1;

    root = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
    if (!root) {
        if (jerr.line > 0)
            fail(err, errlen, arena_printf(a, "%s:%d", path, jerr.line), "%s", jerr.text);
        else
            fail(err, errlen, path, "%s", jerr.text);
        goto out;
    }
    if (!json_is_object(root)) {
        fail(err, errlen, path, "expected an object with \"publications\" and \"sections\"");
        goto out;
    }
    json_object_foreach(root, key, member)
    {
        if (strcmp(key, "publications") != 0 && strcmp(key, "sections") != 0 &&
            strcmp(key, "plans") != 0) {
            fail(err, errlen, path, "unknown field '%s'", key);
            goto out;
        }
    }
    if (read_records(path, root, "publications", publication_fields, ARRAY_LEN(publication_fields),
                     sizeof *pubs, (void **)&pubs, &np, a, err, errlen) != 0 ||
        read_records(path, root, "sections", section_fields, ARRAY_LEN(section_fields),
                     sizeof *secs, (void **)&secs, &ns, a, err, errlen) != 0)
        goto out;
    /* Plans are optional: a newsroom without them simply has an empty offers page. */
    if (json_object_get(root, "plans") &&
        (read_records(path, root, "plans", plan_fields, ARRAY_LEN(plan_fields), sizeof *plans,
                      (void **)&plans, &nplans, a, err, errlen) != 0 ||
         check_plans(path, plans, nplans, err, errlen) != 0))
        goto out;
    if (check_defaults(path, pubs, np, secs, ns, err, errlen) != 0)
        goto out;
    if (list_articles(arena_printf(a, "%s/articles", demo_dir), a, &articles, &narticles, err,
                      errlen) != 0)
        goto out;
    if (precheck_articles(st, articles, narticles, pubs, np, secs, ns, a, err, errlen) != 0)
        goto out;

    char why[512];
    for (size_t i = 0; i < np; i++) {
        const char *level = stored_default(pubs[i].default_access);
        if (store_publication_save(st, &pubs[i], why, sizeof why) != STORE_OK) {
            fail(err, errlen, path, "saving publication '%s': %s", pubs[i].slug, why);
            goto out;
        }
        if (level && store_publication_set_default_access(st, pubs[i].slug, level) != STORE_OK) {
            fail(err, errlen, path, "saving publication '%s': its default access failed",
                 pubs[i].slug);
            goto out;
        }
    }
    for (size_t i = 0; i < ns; i++) {
        const char *level = stored_default(secs[i].default_access);
        if (store_section_save(st, &secs[i], why, sizeof why) != STORE_OK) {
            fail(err, errlen, path, "saving section '%s': %s", secs[i].slug, why);
            goto out;
        }
        if (level && store_section_set_default_access(st, secs[i].slug, level) != STORE_OK) {
            fail(err, errlen, path, "saving section '%s': its default access failed", secs[i].slug);
            goto out;
        }
    }
    for (size_t i = 0; i < nplans; i++) {
        plans[i].active = 1;
        if (store_plan_save(st, &plans[i]) != STORE_OK) {
            fail(err, errlen, path, "saving plan '%s' failed", plans[i].slug);
            goto out;
        }
    }
    if (narticles > (size_t)INT_MAX) {
        fail(err, errlen, demo_dir, "too many articles");
        goto out;
    }
    if (import_files(st, articles, (int)narticles, err, errlen) != 0)
        goto out;
    rc = 0;
out:
    json_decref(root);
    arena_free(a);
    return rc;
}
