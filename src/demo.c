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
 *
 * A publication may carry its rights for partners (issue 13, ninjs.h): "copyright_holder",
 * "copyright_notice", "usage_terms" and "rights_url", checked with ninjs_rights_problem and
 * set with store_publication_set_rights when any is given.
 *
 * "ads" holds the house campaigns: {"campaigns": [{"slug", "name", "start" and "end"
 * ("YYYY-MM-DD", UTC days, both included), "weight" (default 1), "publication" and "section"
 * (targeting slugs, "" or absent for any), "creatives": [{"placement", "image" (a file relative
 * to the demo directory), "alt", "url", "width", "height" (default: the image's own)}, …]}, …]}.
 * demo_seed checks it with the rest before writing anything; demo_seed_ads saves it, copying the
 * images into the uploads directory as `broadsheet ads creative add` does (ads_store_image).
 */
#include "demo.h"

#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ads.h"
#include "arena.h"
#include "auth.h"
#include "buf.h"
#include "import.h"
#include "ninjs.h"
#include "partner.h"
#include "slug.h"
#include "util.h"

/* FIELD_CENTS: a price in minor units, 0 to 10^12, into an int64_t. FIELD_LINES: an array of
 * one-line strings, stored as one const char * joined by "\n" (a plan's benefits). FIELD_ARRAY:
 * an array kept as a json_t * borrowed from the document (a campaign's creatives). */
enum field_type {
    FIELD_STRING,
    FIELD_BOOLEAN,
    FIELD_INTEGER,
    FIELD_CENTS,
    FIELD_LINES,
    FIELD_ARRAY
};

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
    /* Rights for partners (issue 13, migration 019). */
    {"copyright_holder", FIELD_STRING, 0, offsetof(struct publication, copyright_holder)},
    {"copyright_notice", FIELD_STRING, 0, offsetof(struct publication, copyright_notice)},
    {"usage_terms", FIELD_STRING, 0, offsetof(struct publication, usage_terms)},
    {"rights_url", FIELD_STRING, 0, offsetof(struct publication, rights_url)},
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

/* A house campaign as newsroom.json gives it (dates as typed; checked by read_ads). */
struct demo_campaign {
    const char *slug;
    const char *name;
    const char *start; /* "YYYY-MM-DD" */
    const char *end;
    int weight;
    const char *publication;
    const char *section;
    json_t *creatives_json; /* borrowed from the document */
    struct demo_creative *creatives;
    size_t ncreatives;
};

struct demo_creative {
    const char *placement;
    const char *image; /* relative to the demo directory */
    const char *alt;
    const char *url;
    int width; /* 0: the image's own */
    int height;
};

static const struct field campaign_fields[] = {
    {"slug", FIELD_STRING, 1, offsetof(struct demo_campaign, slug)},
    {"name", FIELD_STRING, 1, offsetof(struct demo_campaign, name)},
    {"start", FIELD_STRING, 1, offsetof(struct demo_campaign, start)},
    {"end", FIELD_STRING, 1, offsetof(struct demo_campaign, end)},
    {"weight", FIELD_INTEGER, 0, offsetof(struct demo_campaign, weight)},
    {"publication", FIELD_STRING, 0, offsetof(struct demo_campaign, publication)},
    {"section", FIELD_STRING, 0, offsetof(struct demo_campaign, section)},
    {"creatives", FIELD_ARRAY, 1, offsetof(struct demo_campaign, creatives_json)},
};

static const struct field creative_fields[] = {
    {"placement", FIELD_STRING, 1, offsetof(struct demo_creative, placement)},
    {"image", FIELD_STRING, 1, offsetof(struct demo_creative, image)},
    {"alt", FIELD_STRING, 1, offsetof(struct demo_creative, alt)},
    {"url", FIELD_STRING, 1, offsetof(struct demo_creative, url)},
    {"width", FIELD_INTEGER, 0, offsetof(struct demo_creative, width)},
    {"height", FIELD_INTEGER, 0, offsetof(struct demo_creative, height)},
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
        case FIELD_ARRAY:
            if (!json_is_array(member)) {
                fail(err, errlen, where, "%s: expected an array", f->name);
                return -1;
            }
            *(json_t **)slot = member;
            break;
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
        const char *rights = ninjs_rights_problem(&pubs[i]);
        if (rights) {
            snprintf(where, sizeof where, "%s: publications[%zu]", path, i);
            fail(err, errlen, where, "rights: %s", rights);
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

/* Parses a UTC day "YYYY-MM-DD" (a real date from 1970) into its first second. 0 or -1. */
static int parse_day(const char *text, int64_t *start)
{
    int year, month, day, used = 0;
    if (strlen(text) != 10 || sscanf(text, "%4d-%2d-%2d%n", &year, &month, &day, &used) != 3 ||
        used != 10 || strspn(text, "0123456789-") != 10 || year < 1970)
        return -1;
    struct tm tm = {0};
    tm.tm_year = year - 1900;
    tm.tm_mon = month - 1;
    tm.tm_mday = day;
    time_t t = timegm(&tm);
    /* timegm rolls impossible dates over (February 30th is March 2nd): refuse those. */
    if (t == (time_t)-1 || tm.tm_year != year - 1900 || tm.tm_mon != month - 1 || tm.tm_mday != day)
        return -1;
    *start = (int64_t)t;
    return 0;
}

/* Reads and checks root's "ads" (from path; absent: none) into *out, n campaigns in a: each
 * field, the dates, a weight of at least 1, unique campaign slugs, and every creative's
 * placement, URL, size and image (readable, at most 2 MiB, an accepted type by its content).
 * demo_dir is where image paths start. Returns 0 or -1 (err set, as read_record's). */
static int read_ads(const char *path, const char *demo_dir, json_t *root,
                    struct demo_campaign **out, size_t *n, struct arena *a, char *err,
                    size_t errlen)
{
    json_t *ads = json_object_get(root, "ads"), *member;
    const char *key;
    char where[512];
    *out = NULL;
    *n = 0;
    if (!ads)
        return 0;
    if (!json_is_object(ads)) {
        fail(err, errlen, path, "ads: expected an object with \"campaigns\"");
        return -1;
    }
    json_object_foreach(ads, key, member)
    {
        if (strcmp(key, "campaigns") != 0) {
            fail(err, errlen, path, "ads: unknown field '%s'", key);
            return -1;
        }
    }
    if (!json_object_get(ads, "campaigns"))
        return 0;
    struct demo_campaign *list;
    size_t count;
    if (read_records(path, ads, "campaigns", campaign_fields, ARRAY_LEN(campaign_fields),
                     sizeof *list, (void **)&list, &count, a, err, errlen) != 0)
        return -1;
    for (size_t i = 0; i < count; i++) {
        struct demo_campaign *c = &list[i];
        int64_t start, end;
        snprintf(where, sizeof where, "%s: ads.campaigns[%zu]", path, i);
        if (parse_day(c->start, &start) < 0 || parse_day(c->end, &end) < 0 || end < start) {
            fail(err, errlen, where,
                 "start and end: expected dates (YYYY-MM-DD), the end not "
                 "before the start");
            return -1;
        }
        if (c->weight == 0)
            c->weight = 1;
        if (c->weight < 1) {
            fail(err, errlen, where, "weight: expected a whole number of at least 1");
            return -1;
        }
        for (size_t j = 0; j < i; j++) {
            if (!strcmp(list[j].slug, c->slug)) {
                fail(err, errlen, where, "slug '%s' is also campaigns[%zu]'s", c->slug, j);
                return -1;
            }
        }
        size_t k;
        json_t *value;
        c->ncreatives = json_array_size(c->creatives_json);
        c->creatives = arena_calloc(a, c->ncreatives, sizeof *c->creatives);
        json_array_foreach(c->creatives_json, k, value)
        {
            struct demo_creative *d = &c->creatives[k];
            char kind[64];
            snprintf(kind, sizeof kind, "ads.campaigns[%zu].creatives", i);
            if (read_record(path, kind, k, value, creative_fields, ARRAY_LEN(creative_fields), d, a,
                            err, errlen) != 0)
                return -1;
            snprintf(where, sizeof where, "%s: %s[%zu]", path, kind, k);
            if (!ads_placement_valid(d->placement)) {
                fail(err, errlen, where,
                     "placement: expected interstitial, leaderboard, in-article or sidebar");
                return -1;
            }
            if (!ads_url_valid(d->url)) {
                fail(err, errlen, where, "url: expected an http:// or https:// address");
                return -1;
            }
            if (d->width < 0 || d->height < 0 || d->width > ADS_DIMENSION_MAX ||
                d->height > ADS_DIMENSION_MAX || !d->width != !d->height) {
                fail(err, errlen, where, "width and height: expected both, in pixels, or neither");
                return -1;
            }
            const char *file = arena_printf(a, "%s/%s", demo_dir, d->image);
            size_t len;
            char *data = util_read_file(file, &len);
            if (!data) {
                fail(err, errlen, where, "image: %s: %s", file, strerror(errno));
                return -1;
            }
            int w, h;
            const char *type = ads_image_type((const unsigned char *)data, len);
            int sized = type && ads_image_size(type, (const unsigned char *)data, len, &w, &h) == 0;
            free(data);
            if (!type || len > ADS_IMAGE_MAX_BYTES) {
                fail(err, errlen, where,
                     "image: %s: not a PNG, JPEG, GIF, WebP or SVG image of at most 2 MiB", file);
                return -1;
            }
            if (!sized && !d->width) {
                fail(err, errlen, where, "image: %s: its size is not in it: give width and height",
                     file);
                return -1;
            }
        }
    }
    *out = list;
    *n = count;
    return 0;
}

int demo_seed_ads(struct store *st, const char *demo_dir, const char *uploads, char *err,
                  size_t errlen)
{
    struct arena *a = arena_new(0);
    const char *path = arena_printf(a, "%s/newsroom.json", demo_dir);
    json_t *root = NULL;
    json_error_t jerr;
    struct demo_campaign *list;
    size_t n;
    int rc = -1;
    root = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
    if (!root || !json_is_object(root)) {
        fail(err, errlen, path, "%s", root ? "expected an object" : jerr.text);
        goto out;
    }
    if (read_ads(path, demo_dir, root, &list, &n, a, err, errlen) != 0)
        goto out;
    for (size_t i = 0; i < n; i++) {
        const struct demo_campaign *d = &list[i];
        struct campaign c = {0}, existing;
        int64_t end;
        parse_day(d->start, &c.starts_at);
        parse_day(d->end, &end);
        c.ends_at = end + 86400; /* the end day is included */
        c.slug = d->slug;
        c.name = d->name;
        c.weight = d->weight;
        c.publication_slug = d->publication;
        c.section_slug = d->section;
        int status = store_campaign_by_slug(st, a, d->slug, &existing);
        if (status == STORE_ERROR || store_campaign_save(st, &c, NULL) != STORE_OK) {
            fail(err, errlen, path, "saving campaign '%s' failed", d->slug);
            goto out;
        }
        if (status == STORE_OK) /* seeded before: its creatives are there (or were removed) */
            continue;
        for (size_t j = 0; j < d->ncreatives; j++) {
            const struct demo_creative *dc = &d->creatives[j];
            struct creative k = {0};
            char why[600];
            k.campaign.slug = d->slug;
            k.placement = dc->placement;
            k.kind = "image";
            k.alt = dc->alt;
            k.click_url = dc->url;
            if (ads_store_image(uploads, arena_printf(a, "%s/%s", demo_dir, dc->image), a,
                                &k.image_path, &k.image_type, &k.width, &k.height, why,
                                sizeof why) != ADS_IMAGE_OK) {
                fail(err, errlen, path, "campaign '%s': %s", d->slug, why);
                goto out;
            }
            if (dc->width) {
                k.width = dc->width;
                k.height = dc->height;
            }
            if (store_creative_add(st, &k, NULL) != STORE_OK) {
                fail(err, errlen, path, "campaign '%s': saving a creative failed", d->slug);
                goto out;
            }
        }
    }
    rc = 0;
out:
    json_decref(root);
    arena_free(a);
    return rc;
}

struct demo_partner;
static int read_partners(const char *path, json_t *root, const struct publication *pubs, size_t np,
                         const struct section *secs, size_t ns, struct demo_partner **out,
                         size_t *n, struct arena *a, char *err, size_t errlen);

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
            strcmp(key, "plans") != 0 && strcmp(key, "ads") != 0 && strcmp(key, "partners") != 0) {
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
    /* The ads are saved by demo_seed_ads (they need the uploads directory), but checked here
     * with the rest, so a broken "ads" leaves the database empty too. */
    struct demo_campaign *campaigns;
    size_t ncampaigns;
    if (read_ads(path, demo_dir, root, &campaigns, &ncampaigns, a, err, errlen) != 0)
        goto out;
    /* The partners too (issue 13): saved by demo_seed_partners. */
    if (read_partners(path, root, pubs, np, secs, ns, NULL, NULL, a, err, errlen) != 0)
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
        const struct publication *r = &pubs[i];
        if ((r->copyright_holder || r->copyright_notice || r->usage_terms || r->rights_url) &&
            store_publication_set_rights(st, r->slug, r) != STORE_OK) {
            fail(err, errlen, path, "saving publication '%s': its rights failed", r->slug);
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

/* The demo's staff accounts (demo_seed_staff). The first is the one whose presence marks a demo
 * database. */
static const struct {
    const char *email, *name;
    enum role role;
} demo_staff[] = {
    {"admin@demo.broadsheet.test", "Demo Admin", ROLE_ADMIN},
    {"editor@demo.broadsheet.test", "Demo Editor", ROLE_EDITOR},
    {"writer@demo.broadsheet.test", "Demo Writer", ROLE_WRITER},
};

/* A new random password: 20 characters of a 31-character alphabet without look-alikes (no i, l,
 * o, 0 or 1): about 99 bits. */
static void demo_password(char out[21])
{
    static const char alphabet[] = "abcdefghjkmnpqrstuvwxyz23456789";
    for (int i = 0; i < 20; i++)
        out[i] = alphabet[randombytes_uniform(sizeof alphabet - 1)];
    out[20] = '\0';
}

int demo_seed_staff(struct store *st, int fresh, FILE *out, char *err, size_t errlen)
{
    struct arena *a = arena_new(0);
    struct user u;
    int rc = -1;
    int found = store_user_by_email(st, a, demo_staff[0].email, &u);
    if (found == STORE_ERROR) {
        snprintf(err, errlen, "cannot read the demo's staff accounts");
        goto out;
    }
    if (!fresh && found == STORE_NOT_FOUND) { /* not a demo database: leave it alone */
        rc = 0;
        goto out;
    }
    if (auth_init(1) < 0) {
        snprintf(err, errlen, "cannot hash passwords (libsodium)");
        goto out;
    }
    char passwords[ARRAY_LEN(demo_staff)][21];
    for (size_t i = 0; i < ARRAY_LEN(demo_staff); i++) {
        char hash[AUTH_HASH_BYTES];
        demo_password(passwords[i]);
        if (auth_password_hash(passwords[i], hash) < 0) {
            snprintf(err, errlen, "cannot hash a password");
            goto out;
        }
        int64_t id = 0;
        int saved = store_user_by_email(st, a, demo_staff[i].email, &u);
        if (saved == STORE_NOT_FOUND) {
            saved = store_user_create(st, demo_staff[i].email, demo_staff[i].name, hash,
                                      demo_staff[i].role, &id);
            if (saved == STORE_OK)
                saved = store_user_mark_verified(st, id, util_now());
            else if (saved == STORE_CONFLICT) /* another node starting at once made it */
                saved = store_user_by_email(st, a, demo_staff[i].email, &u);
        }
        if (saved == STORE_OK && !id) /* an account that was there: only its password changes */
            saved = store_user_set_password_hash(st, u.id, hash);
        if (saved != STORE_OK) {
            snprintf(err, errlen, "cannot save the demo account %s", demo_staff[i].email);
            goto out;
        }
    }
    fprintf(out, "broadsheet: FOR THE DEMO ONLY: staff accounts of the demo newsroom, with new "
                 "passwords at every start (log in at /login, then open /newsroom):\n");
    for (size_t i = 0; i < ARRAY_LEN(demo_staff); i++)
        fprintf(out, "broadsheet:   %-6s  %-28s  password: %s\n",
                store_role_name(demo_staff[i].role), demo_staff[i].email, passwords[i]);
    fflush(out);
    rc = 0;
out:
    arena_free(a);
    return rc;
}

/* --- The demo's partners (issue 13, "Partners") ---------------------------------------------
 *
 * newsroom.json's "partners": [{"slug", "name", "publications" (an array of publication slugs,
 * at least one), "sections" (an array of section slugs; absent or empty: every section),
 * "content" ("full" or "preview"; absent: partner_default_content's rule, as `broadsheet
 * partner add`)}, …]. Every slug must be one of newsroom.json's own. demo_seed checks them
 * with the rest; demo_seed_partners saves them. */
struct demo_partner {
    const char *slug, *name, *content;
    json_t *publications, *sections; /* borrowed from the document */
};

static const struct field partner_fields[] = {
    {"slug", FIELD_STRING, 1, offsetof(struct demo_partner, slug)},
    {"name", FIELD_STRING, 1, offsetof(struct demo_partner, name)},
    {"publications", FIELD_ARRAY, 1, offsetof(struct demo_partner, publications)},
    {"sections", FIELD_ARRAY, 0, offsetof(struct demo_partner, sections)},
    {"content", FIELD_STRING, 0, offsetof(struct demo_partner, content)},
};

/* 1 if the JSON array list holds only strings that are slugs of the n records (publications
 * when pubs is not NULL, else sections), and at least one if required. */
static int partner_slugs_known(json_t *list, const struct publication *pubs,
                               const struct section *secs, size_t n, int required)
{
    size_t i;
    json_t *v;
    if (!list)
        return !required;
    if (required && json_array_size(list) == 0)
        return 0;
    json_array_foreach(list, i, v)
    {
        const char *slug = json_string_value(v);
        int known = 0;
        for (size_t j = 0; slug && j < n && !known; j++)
            known = !strcmp(slug, pubs ? pubs[j].slug : secs[j].slug);
        if (!known)
            return 0;
    }
    return 1;
}

/* Reads and checks root's "partners" (in file path; absent: none) against newsroom.json's
 * publications and sections, into *out and *n when out is not NULL. 0, or -1 with the reason
 * in err. */
static int read_partners(const char *path, json_t *root, const struct publication *pubs, size_t np,
                         const struct section *secs, size_t ns, struct demo_partner **out,
                         size_t *n, struct arena *a, char *err, size_t errlen)
{
    struct demo_partner *list = NULL;
    size_t count = 0;
    if (json_object_get(root, "partners") &&
        read_records(path, root, "partners", partner_fields, ARRAY_LEN(partner_fields),
                     sizeof *list, (void **)&list, &count, a, err, errlen) != 0)
        return -1;
    for (size_t i = 0; i < count; i++) {
        const struct demo_partner *p = &list[i];
        const char *why = NULL;
        if (!slug_valid(p->slug, 64))
            why = "slug: not a slug";
        else if (!*p->name)
            why = "name: empty";
        else if (*p->content && strcmp(p->content, "full") && strcmp(p->content, "preview"))
            why = "content: expected full or preview";
        else if (!partner_slugs_known(p->publications, pubs, NULL, np, 1))
            why = "publications: expected an array of this file's publication slugs";
        else if (!partner_slugs_known(p->sections, NULL, secs, ns, 0))
            why = "sections: expected an array of this file's section slugs";
        for (size_t j = 0; j < i && !why; j++)
            if (!strcmp(list[j].slug, p->slug))
                why = "slug: listed twice";
        if (why) {
            fail(err, errlen, path, "partners[%zu]: %s", i, why);
            return -1;
        }
    }
    if (out) {
        *out = list;
        *n = count;
    }
    return 0;
}

/* Looks up the slugs of the JSON array list (publications when pubs is not NULL, else
 * sections) into ids (and pubs). STORE_OK, or the failing lookup's status. */
static int partner_ids(struct store *st, struct arena *a, json_t *list, int64_t *ids,
                       struct publication *pubs)
{
    size_t i;
    json_t *v;
    json_array_foreach(list, i, v)
    {
        struct section sec;
        int status = pubs ? store_publication_by_slug(st, a, json_string_value(v), &pubs[i])
                          : store_section_by_slug(st, a, json_string_value(v), &sec);
        if (status != STORE_OK)
            return status;
        ids[i] = pubs ? pubs[i].id : sec.id;
    }
    return STORE_OK;
}

/* Creates demo partner p with a new key, or gives it one when it exists. 0 or -1 (err). */
static int seed_partner(struct store *st, struct arena *a, const struct demo_partner *p, FILE *out,
                        char *err, size_t errlen)
{
    char key[PARTNER_KEY_LEN + 1];
    struct partner existing;
    int rc = -1;
    if (partner_key_new(key) < 0) {
        snprintf(err, errlen, "cannot make a partner key (libsodium)");
        return -1;
    }
    int status = store_partner_by_slug(st, a, p->slug, &existing);
    if (status == STORE_OK) {
        status = store_partner_set_key(st, p->slug, key);
    } else if (status == STORE_NOT_FOUND) {
        size_t np = json_array_size(p->publications), ns = json_array_size(p->sections);
        struct publication *pubs = arena_calloc(a, np, sizeof *pubs);
        int64_t *pub_ids = arena_calloc(a, np, sizeof *pub_ids);
        int64_t *sec_ids = arena_calloc(a, ns ? ns : 1, sizeof *sec_ids);
        status = partner_ids(st, a, p->publications, pub_ids, pubs);
        if (status == STORE_OK && ns)
            status = partner_ids(st, a, p->sections, sec_ids, NULL);
        struct partner row = {.slug = p->slug, .name = p->name, .content = p->content};
        if (!*row.content)
            row.content = partner_default_content(p->name, pubs, np);
        if (status == STORE_OK)
            status = store_partner_add(st, &row, key, pub_ids, np, sec_ids, ns, NULL);
        if (status == STORE_CONFLICT) /* another node starting at once made it */
            status = store_partner_set_key(st, p->slug, key);
    }
    if (status != STORE_OK) {
        snprintf(err, errlen, "cannot save the demo partner %s", p->slug);
        goto out;
    }
    fprintf(out,
            "broadsheet: demo partner %s: API key %s (FOR THE DEMO ONLY: a new key at every "
            "start)\n",
            p->slug, key);
    rc = 0;
out:
    sodium_memzero(key, sizeof key);
    return rc;
}

int demo_seed_partners(struct store *st, const char *demo_dir, int fresh, FILE *out, char *err,
                       size_t errlen)
{
    struct arena *a = arena_new(0);
    const char *path = arena_printf(a, "%s/newsroom.json", demo_dir);
    json_t *root = NULL;
    json_error_t jerr;
    struct publication *pubs;
    struct section *secs;
    struct demo_partner *partners;
    size_t np, ns, n = 0;
    struct user u;
    int rc = -1;
    int found = store_user_by_email(st, a, demo_staff[0].email, &u);
    if (found == STORE_ERROR) {
        snprintf(err, errlen, "cannot read the demo's staff accounts");
        goto out;
    }
    if (!fresh && found == STORE_NOT_FOUND) { /* not a demo database: leave it alone */
        rc = 0;
        goto out;
    }
    root = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
    if (!root) {
        fail(err, errlen, path, "%s", jerr.text);
        goto out;
    }
    if (read_records(path, root, "publications", publication_fields, ARRAY_LEN(publication_fields),
                     sizeof *pubs, (void **)&pubs, &np, a, err, errlen) != 0 ||
        read_records(path, root, "sections", section_fields, ARRAY_LEN(section_fields),
                     sizeof *secs, (void **)&secs, &ns, a, err, errlen) != 0 ||
        read_partners(path, root, pubs, np, secs, ns, &partners, &n, a, err, errlen) != 0)
        goto out;
    for (size_t i = 0; i < n; i++)
        if (seed_partner(st, a, &partners[i], out, err, errlen) < 0)
            goto out;
    fflush(out);
    rc = 0;
out:
    json_decref(root);
    arena_free(a);
    return rc;
}
