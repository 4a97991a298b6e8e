/*
 * import.c: article files (front matter + Markdown) into article_input records and the store.
 * See import.h for the file format.
 *
 * The front matter is parsed line by line with a table of known keys; every value, and the line
 * it was on, is kept so each later check (missing, malformed, unknown publication) can point at
 * the right line. import_files does all its reading and checking before it writes anything, and
 * then writes everything in one store transaction, so a batch with one bad file changes nothing.
 * The publication and section lookups that check a file's references also give it their default
 * access level when it has no `access:` line of its own.
 */
#include "import.h"
#include "slug.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "access.h"
#include "markdown.h"
#include "util.h"

#define SLUG_MAX 80

/* The front-matter keys; key_names is indexed by them. */
enum key {
    KEY_HEADLINE,
    KEY_DEK,
    KEY_PUBLICATION,
    KEY_SECTION,
    KEY_BYLINE,
    KEY_PUBLISHED,
    KEY_ACCESS,
    KEY_SLUG,
    KEY_COUNT
};

static const char *const key_names[KEY_COUNT] = {
    [KEY_HEADLINE] = "headline", [KEY_DEK] = "dek",       [KEY_PUBLICATION] = "publication",
    [KEY_SECTION] = "section",   [KEY_BYLINE] = "byline", [KEY_PUBLISHED] = "published",
    [KEY_ACCESS] = "access",     [KEY_SLUG] = "slug",
};

/* A parsed file: the record to save, and where its keys were (for import_run's errors). */
struct parsed {
    const char *path;
    struct article_input in;
    int lines[KEY_COUNT]; /* line of each key in the file; 0 if absent */
    int slug_line;        /* the slug's line, or the headline's when the slug was derived */
};

/* Writes "path:LINE: message" (or "path: message" when line is 0) into err. */
__attribute__((format(printf, 5, 6))) static void fail(char *err, size_t errlen, const char *path,
                                                       int line, const char *fmt, ...)
{
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (!err || !errlen)
        return;
    if (line > 0)
        snprintf(err, errlen, "%s:%d: %s", path, line, msg);
    else
        snprintf(err, errlen, "%s: %s", path, msg);
}

/* 1 for the blanks that trimming removes (space, tab, CR: a file with CRLF ends is fine). */
static int blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r';
}

/* Narrows [*s, *s + *len) to exclude leading and trailing blanks. */
static void trim(const char **s, size_t *len)
{
    while (*len && blank(**s)) {
        (*s)++;
        (*len)--;
    }
    while (*len && blank((*s)[*len - 1]))
        (*len)--;
}

/* The next line of text[0..len) from *pos: sets *line and *line_len (without the '\n') and moves
 * *pos past it. Returns 0 at the end of the text. */
static int next_line(const char *text, size_t len, size_t *pos, const char **line, size_t *line_len)
{
    if (*pos >= len)
        return 0;
    const char *start = text + *pos;
    const char *nl = memchr(start, '\n', len - *pos);
    *line = start;
    *line_len = nl ? (size_t)(nl - start) : len - *pos;
    *pos += *line_len + (nl ? 1 : 0);
    return 1;
}

/* 1 if line[0..len) is the front-matter fence "---" (blanks around it allowed). */
static int is_fence(const char *line, size_t len)
{
    trim(&line, &len);
    return len == 3 && memcmp(line, "---", 3) == 0;
}

/* Checks that text[0..len) is UTF-8 without NUL bytes (which would cut a C string short).
 * Returns 0, or -1 with the first bad line in err. A UTF-8 sequence never contains '\n', so
 * checking line by line is checking the whole. */
static int check_encoding(const char *path, const char *text, size_t len, char *err, size_t errlen)
{
    size_t pos = 0, line_len;
    const char *line;
    for (int n = 1; next_line(text, len, &pos, &line, &line_len); n++) {
        if (!util_utf8_valid(line, line_len)) {
            fail(err, errlen, path, n, "not valid UTF-8");
            return -1;
        }
        if (memchr(line, '\0', line_len)) {
            fail(err, errlen, path, n, "contains a NUL byte");
            return -1;
        }
    }
    return 0;
}

/* Reads exactly n decimal digits from *s (advancing it) into *value. Returns 0 or -1. */
static int digits(const char **s, int n, int *value)
{
    *value = 0;
    for (int i = 0; i < n; i++, (*s)++) {
        if (**s < '0' || **s > '9')
            return -1;
        *value = *value * 10 + (**s - '0');
    }
    return 0;
}

/* Consumes the character c at *s. Returns 0, or -1 if *s holds something else. */
static int expect(const char **s, char c)
{
    if (**s != c)
        return -1;
    (*s)++;
    return 0;
}

/* Days in month (1-12) of year, Gregorian. */
static int days_in_month(int year, int month)
{
    static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    return month == 2 && leap ? 29 : days[month - 1];
}

/* Parses "YYYY-MM-DD" or "YYYY-MM-DDTHH:MM:SSZ" (UTC) into unix seconds. Returns 0, or -1 for
 * anything else, including impossible dates (February 30th) that timegm would quietly roll
 * over. */
static int parse_time(const char *s, int64_t *out)
{
    int year, month, day, hour = 0, minute = 0, second = 0;
    if (digits(&s, 4, &year) || expect(&s, '-') || digits(&s, 2, &month) || expect(&s, '-') ||
        digits(&s, 2, &day))
        return -1;
    if (*s) {
        if (expect(&s, 'T') || digits(&s, 2, &hour) || expect(&s, ':') || digits(&s, 2, &minute) ||
            expect(&s, ':') || digits(&s, 2, &second) || expect(&s, 'Z') || *s)
            return -1;
    }
    if (month < 1 || month > 12 || day < 1 || day > days_in_month(year, month) || hour > 23 ||
        minute > 59 || second > 59)
        return -1;
    struct tm tm = {.tm_year = year - 1900,
                    .tm_mon = month - 1,
                    .tm_mday = day,
                    .tm_hour = hour,
                    .tm_min = minute,
                    .tm_sec = second};
    *out = (int64_t)timegm(&tm);
    return 0;
}

/* The slug derived from headline (see import.h), in a; "" when the headline has no ASCII
 * letter or digit. */
static char *derive_slug(struct arena *a, const char *headline)
{
    char *slug = arena_alloc(a, SLUG_MAX + 1);
    size_t n = 0;
    int dash = 0; /* a run of other characters is pending */
    for (const char *p = headline; *p && n < SLUG_MAX; p++) {
        char c = *p;
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
            if (dash && n > 0 && n < SLUG_MAX - 1)
                slug[n++] = '-';
            else if (dash && n >= SLUG_MAX - 1)
                break; /* no room for '-' and one more character */
            dash = 0;
            slug[n++] = c;
        } else {
            dash = 1;
        }
    }
    slug[n] = '\0';
    return slug;
}

/* Parses the front matter (fences included) from text[*pos..len), moving *pos to the start of
 * the body. values[k] gets key k's value (in a; NULL if absent) and lines[k] its line; *fence_line
 * gets the closing fence's line. Returns 0 or -1 (err set). */
static int parse_front_matter(const char *path, const char *text, size_t len, size_t *pos,
                              struct arena *a, const char *values[KEY_COUNT], int lines[KEY_COUNT],
                              int *fence_line, char *err, size_t errlen)
{
    const char *line;
    size_t line_len;
    int n = 1;
    if (!next_line(text, len, pos, &line, &line_len) || !is_fence(line, line_len)) {
        fail(err, errlen, path, 1, "missing front matter (a first line '---')");
        return -1;
    }
    for (;;) {
        n++;
        if (!next_line(text, len, pos, &line, &line_len)) {
            fail(err, errlen, path, 1, "front matter not closed (no second '---' line)");
            return -1;
        }
        if (is_fence(line, line_len))
            break;
        trim(&line, &line_len);
        if (line_len == 0)
            continue;
        const char *colon = memchr(line, ':', line_len);
        if (!colon) {
            fail(err, errlen, path, n, "expected 'key: value', got '%.*s'", (int)line_len, line);
            return -1;
        }
        const char *key = line, *value = colon + 1;
        size_t key_len = (size_t)(colon - line), value_len = line_len - key_len - 1;
        trim(&key, &key_len);
        trim(&value, &value_len);
        if (value_len >= 2 && value[0] == '"' && value[value_len - 1] == '"') {
            value++;
            value_len -= 2;
        }
        int k = 0;
        while (k < KEY_COUNT &&
               !(strlen(key_names[k]) == key_len && memcmp(key_names[k], key, key_len) == 0))
            k++;
        if (k == KEY_COUNT) {
            fail(err, errlen, path, n, "unknown key '%.*s'", (int)key_len, key);
            return -1;
        }
        if (lines[k]) {
            fail(err, errlen, path, n, "duplicate key '%s' (first on line %d)", key_names[k],
                 lines[k]);
            return -1;
        }
        values[k] = arena_strndup(a, value, value_len);
        lines[k] = n;
    }
    *fence_line = n;
    return 0;
}

/* The whole of import_parse, also keeping where each key was for import_run's errors. With
 * render 0 the body is checked but not rendered (body_html is ""): the checking pass has no use
 * for the HTML, and rendering is most of the time a file takes. */
static int parse_article(const char *path, const char *text, size_t len, struct arena *a,
                         int render, struct parsed *out, char *err, size_t errlen)
{
    const char *values[KEY_COUNT] = {0};
    size_t pos = 0;
    int fence_line;

    memset(out, 0, sizeof *out);
    out->path = path;
    if (check_encoding(path, text, len, err, errlen) != 0)
        return -1;
    if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0) /* a byte-order mark, from editors */
        pos = 3;
    if (parse_front_matter(path, text, len, &pos, a, values, out->lines, &fence_line, err,
                           errlen) != 0)
        return -1;

    /* Required keys: point at the empty value if the key is there, else at the closing fence. */
    static const struct {
        enum key key;
        const char *what;
    } required[] = {{KEY_HEADLINE, "headline"},
                    {KEY_PUBLICATION, "publication"},
                    {KEY_SECTION, "section"},
                    {KEY_PUBLISHED, "published time"}};
    for (size_t i = 0; i < ARRAY_LEN(required); i++) {
        enum key k = required[i].key;
        if (!values[k] || !*values[k]) {
            fail(err, errlen, path, out->lines[k] ? out->lines[k] : fence_line, "missing %s",
                 required[i].what);
            return -1;
        }
    }

    struct article_input *in = &out->in;
    in->headline = values[KEY_HEADLINE];
    in->dek = values[KEY_DEK] ? values[KEY_DEK] : "";
    in->byline = values[KEY_BYLINE] ? values[KEY_BYLINE] : "";
    in->publication_slug = values[KEY_PUBLICATION];
    in->section_slug = values[KEY_SECTION];
    if (parse_time(values[KEY_PUBLISHED], &in->published_at) != 0) {
        fail(err, errlen, path, out->lines[KEY_PUBLISHED],
             "invalid published time '%s' (2014-06-13T10:30:00Z or 2014-06-13, UTC)",
             values[KEY_PUBLISHED]);
        return -1;
    }
    in->access = ACCESS_METERED;
    if (values[KEY_ACCESS]) {
        int level = store_access_parse(values[KEY_ACCESS]);
        if (level < 0) {
            fail(err, errlen, path, out->lines[KEY_ACCESS],
                 "invalid access level '%s' (free, metered or subscribers)", values[KEY_ACCESS]);
            return -1;
        }
        in->access = (enum access_level)level;
    }
    if (values[KEY_SLUG]) {
        if (!slug_valid(values[KEY_SLUG], SLUG_MAX)) {
            fail(err, errlen, path, out->lines[KEY_SLUG],
                 "invalid slug '%s' (lowercase letters and digits, single '-' between them, at "
                 "most %d characters)",
                 values[KEY_SLUG], SLUG_MAX);
            return -1;
        }
        in->slug = values[KEY_SLUG];
        out->slug_line = out->lines[KEY_SLUG];
    } else {
        in->slug = derive_slug(a, in->headline);
        out->slug_line = out->lines[KEY_HEADLINE];
        if (!*in->slug) {
            fail(err, errlen, path, out->slug_line,
                 "no slug can be made from this headline (no ASCII letter or digit): add a "
                 "'slug:' line");
            return -1;
        }
    }

    /* The body starts at its first line that is not blank (blank lines before it mean nothing
     * in Markdown; leading spaces on that line might, so they stay). */
    const char *line;
    size_t line_len, line_start = pos;
    while (next_line(text, len, &pos, &line, &line_len)) {
        trim(&line, &line_len);
        if (line_len)
            break;
        line_start = pos;
    }
    if (line_start >= len) {
        fail(err, errlen, path, fence_line, "empty body (nothing after the front matter)");
        return -1;
    }
    const char *body = text + line_start;
    size_t body_len = len - line_start;
    in->body_markdown = arena_strndup(a, body, body_len);
    in->body_html = "";
    if (render) {
        char *html = markdown_to_html(body, body_len);
        in->body_html = arena_strdup(a, html);
        free(html);
    }
    return 0;
}

int import_parse(const char *path, const char *text, size_t len, struct arena *a,
                 struct article_input *out, char *err, size_t errlen)
{
    struct parsed parsed;
    if (parse_article(path, text, len, a, 1, &parsed, err, errlen) != 0)
        return -1;
    *out = parsed.in;
    return 0;
}

/* --- references: the publications and sections files name ------------------------------------
 */

/* A publication ('p') or section ('s') found in the store, with its default access. An archive
 * names a handful of them, so each is looked up once per pass, not once per file. */
struct known {
    struct known *next;
    char kind;
    const char *slug;
    const char *default_access; /* "" inherit */
};

/* The publications and sections found so far in this pass; everything in a, which the pass
 * frees (or resets, to read them again inside the writing transaction). */
struct references {
    struct arena *a;
    struct known *list;
};

/* The default access of the publication (kind 'p') or section ('s') slug into
 * *default_access, from refs or else the store (then remembered). Returns STORE_OK,
 * STORE_NOT_FOUND or STORE_ERROR. */
static int reference(struct store *st, struct references *refs, char kind, const char *slug,
                     const char **default_access)
{
    for (struct known *k = refs->list; k; k = k->next) {
        if (k->kind == kind && strcmp(k->slug, slug) == 0) {
            *default_access = k->default_access;
            return STORE_OK;
        }
    }
    struct publication publication;
    struct section section;
    int rc = kind == 'p' ? store_publication_by_slug(st, refs->a, slug, &publication)
                         : store_section_by_slug(st, refs->a, slug, &section);
    if (rc != STORE_OK)
        return rc;
    struct known *k = arena_alloc(refs->a, sizeof *k);
    k->kind = kind;
    k->slug = arena_strdup(refs->a, slug);
    k->default_access = kind == 'p' ? publication.default_access : section.default_access;
    k->next = refs->list;
    refs->list = k;
    *default_access = k->default_access;
    return STORE_OK;
}

/* Checks that the publication and section file names exist in st and, when the file has no
 * `access:` line, gives it the level their defaults make (access_effective_level: the section's,
 * else the publication's, else metered), read now: a default changed later does not reach an
 * article already imported, only the next import of its file. Returns 0, or -1 with
 * "path:LINE: unknown publication 'x'" (or section) in err. */
static int resolve_references(struct store *st, struct references *refs, struct parsed *file,
                              char *err, size_t errlen)
{
    const char *publication_access, *section_access;
    int rc = reference(st, refs, 'p', file->in.publication_slug, &publication_access);
    if (rc == STORE_NOT_FOUND) {
        fail(err, errlen, file->path, file->lines[KEY_PUBLICATION], "unknown publication '%s'",
             file->in.publication_slug);
        return -1;
    }
    if (rc == STORE_OK) {
        rc = reference(st, refs, 's', file->in.section_slug, &section_access);
        if (rc == STORE_NOT_FOUND) {
            fail(err, errlen, file->path, file->lines[KEY_SECTION], "unknown section '%s'",
                 file->in.section_slug);
            return -1;
        }
    }
    if (rc != STORE_OK) {
        fail(err, errlen, file->path, 0, "cannot read the database (see the log)");
        return -1;
    }
    if (!file->lines[KEY_ACCESS])
        file->in.access = access_effective_level(NULL, section_access, publication_access);
    return 0;
}

/* --- progress -----------------------------------------------------------------------------------
 */

void import_progress_format(char *buf, size_t len, const char *verb, int64_t done, int64_t total,
                            int64_t elapsed_ms)
{
    int64_t per_second = elapsed_ms > 0 ? done * 1000 / elapsed_ms : 0;
    if (done >= total) {
        snprintf(buf, len, "%s %lld file%s in %lld.%01lld s (%lld/s)", verb, (long long)done,
                 done == 1 ? "" : "s", (long long)(elapsed_ms / 1000),
                 (long long)(elapsed_ms % 1000 / 100), (long long)per_second);
        return;
    }
    int n = snprintf(buf, len, "%s %lld of %lld files", verb, (long long)done, (long long)total);
    if (n < 0 || (size_t)n >= len || done == 0 || elapsed_ms <= 0)
        return;
    /* The time left at the rate so far, whole seconds rounded up, as h:mm:ss or m:ss. */
    int64_t left = ((total - done) * elapsed_ms / done + 999) / 1000;
    char when[32];
    if (left >= 3600)
        snprintf(when, sizeof when, "%lld:%02lld:%02lld", (long long)(left / 3600),
                 (long long)(left / 60 % 60), (long long)(left % 60));
    else
        snprintf(when, sizeof when, "%lld:%02lld", (long long)(left / 60), (long long)(left % 60));
    snprintf(buf + n, len - (size_t)n, " (%lld/s, %s left)", (long long)per_second, when);
}

/* A progress line on a terminal, rewritten in place ('\r', then erase to the end of the line). */
struct progress {
    FILE *out;        /* NULL: none */
    const char *verb; /* "checked", "imported" */
    int64_t total;
    int64_t start_ms, shown_ms;
};

/* Starts a line for total files. */
static void progress_start(struct progress *p, FILE *out, const char *verb, int64_t total)
{
    p->out = out;
    p->verb = verb;
    p->total = total;
    p->start_ms = p->shown_ms = util_monotonic_ms();
}

/* Shows done files, at most five times a second (a million files would otherwise write a
 * million lines to the terminal), and always the last one, which ends the line. */
static void progress_show(struct progress *p, int64_t done)
{
    if (!p->out)
        return;
    int64_t now = util_monotonic_ms();
    if (done < p->total && now - p->shown_ms < 200)
        return;
    p->shown_ms = now;
    char line[160];
    import_progress_format(line, sizeof line, p->verb, done, p->total, now - p->start_ms);
    fprintf(p->out, "\r%s\033[K%s", line, done >= p->total ? "\n" : "");
    fflush(p->out);
}

/* Ends an unfinished line (an import that failed half-way), so the error starts on its own. */
static void progress_abandon(struct progress *p)
{
    if (p->out && p->shown_ms != p->start_ms) {
        fputc('\n', p->out);
        fflush(p->out);
    }
}

/* --- the import -------------------------------------------------------------------------------
 */

/* Set by the SIGINT/SIGTERM handler import_run installs when asked (options->interruptible);
 * both passes look at it between files. */
static volatile sig_atomic_t interrupted;

/* The handler: notes the signal. SA_RESETHAND makes a second one end the process at once. */
static void on_interrupt(int signal_number)
{
    (void)signal_number;
    interrupted = 1;
}

/* Fails with "interrupted" in err if a signal asked the import to stop. Returns 0 or -1. */
static int check_interrupted(char *err, size_t errlen)
{
    if (!interrupted)
        return 0;
    fail(err, errlen, "import", 0, "interrupted");
    return -1;
}

/* Articles per store_articles_save call in the writing pass: enough that a call's overhead is
 * nothing, few enough that their text (a few KB each) stays a small constant. */
#define CHUNK 256

/* Reads and parses the file at path into *file (strings in a), rendering the body if render.
 * Returns 0 or -1 (err set). */
static int read_article(const char *path, struct arena *a, int render, struct parsed *file,
                        char *err, size_t errlen)
{
    size_t len;
    char *text = util_read_file(path, &len);
    if (!text) {
        fail(err, errlen, path, 0, "cannot read: %s", strerror(errno));
        return -1;
    }
    int rc = parse_article(arena_strdup(a, path), text, len, a, render, file, err, errlen);
    free(text);
    return rc;
}

/* Pass 1: reads, parses and checks every listed file from position skip on, recording each
 * slug with store_import_slug_add so that a slug used twice is found. Returns 0, or -1 with the
 * first problem in err. */
static int check_all(struct store *st, struct import_list *l, int64_t skip, FILE *progress_out,
                     char *err, size_t errlen)
{
    struct arena *a = arena_new(0), *refs_arena = arena_new(0);
    struct references refs = {.a = refs_arena};
    struct progress progress;
    int64_t total = import_list_count(l) - skip;
    int rc = -1;
    progress_start(&progress, progress_out, "checked", total);
    if (import_list_rewind(l, err, errlen) != 0)
        goto out;
    for (int64_t position = 0;; position++) {
        const char *path, *other;
        struct parsed file;
        int got = import_list_next(l, &path, err, errlen);
        if (got <= 0) {
            rc = got;
            break;
        }
        if (position < skip)
            continue;
        if (check_interrupted(err, errlen) != 0)
            break;
        arena_reset(a);
        if (read_article(path, a, 0, &file, err, errlen) != 0 ||
            resolve_references(st, &refs, &file, err, errlen) != 0)
            break;
        int added = store_import_slug_add(st, a, position, file.in.slug, path, &other);
        if (added == STORE_CONFLICT) {
            fail(err, errlen, path, file.slug_line, "slug '%s' is already used by %s", file.in.slug,
                 other);
            break;
        }
        if (added != STORE_OK) {
            fail(err, errlen, path, 0, "cannot record its slug (see the log)");
            break;
        }
        progress_show(&progress, position + 1 - skip);
    }
out:
    if (rc != 0)
        progress_abandon(&progress);
    arena_free(a);
    arena_free(refs_arena);
    return rc;
}

/* Saves chunk[0..n) (read from paths[0..n)) inside the open transaction. Returns 0, or -1 with
 * the failing file named in err. */
static int save_chunk(struct store *st, const struct article_input *chunk, char *const *paths,
                      size_t n, char *err, size_t errlen)
{
    char why[768];
    if (store_articles_save(st, chunk, n, why, sizeof why) == STORE_OK)
        return 0;
    /* The store names the article by index ("article N: reason"): name the file instead. */
    char *rest;
    unsigned long index;
    if (strncmp(why, "article ", 8) == 0 && (index = strtoul(why + 8, &rest, 10)) < n &&
        rest[0] == ':' && rest[1] == ' ')
        fail(err, errlen, paths[index], 0, "%s", rest + 2);
    else
        fail(err, errlen, "import", 0, "%s", why);
    return -1;
}

/* Pass 2: reads the files from position skip on again and saves them, CHUNK at a time, in one
 * transaction, or (batch > 0) committing after every batch files. A file must still have the
 * slug pass 1 recorded for it: one edited in between could otherwise overwrite another. Sets
 * *committed to the files of this run whose transactions were committed. Returns 0, or -1 with
 * the problem in err and whatever was not committed rolled back. */
static int write_all(struct store *st, struct import_list *l, int64_t skip, int64_t batch,
                     FILE *progress_out, int64_t *committed, char *err, size_t errlen)
{
    struct arena *a = arena_new(0), *refs_arena = arena_new(0);
    struct references refs = {.a = refs_arena};
    struct article_input *chunk = xcalloc(CHUNK, sizeof *chunk);
    char **paths = xcalloc(CHUNK, sizeof *paths);
    struct progress progress;
    int64_t total = import_list_count(l) - skip, done = 0;
    size_t n = 0;  /* files in chunk */
    int in_tx = 0; /* a store_begin of ours is open */
    int rc = -1;

    *committed = 0;
    progress_start(&progress, progress_out, "imported", total);
    if (import_list_rewind(l, err, errlen) != 0)
        goto out;
    for (int64_t position = 0; done < total; position++) {
        const char *path, *recorded;
        struct parsed file;
        int got = import_list_next(l, &path, err, errlen);
        if (got < 0)
            goto out;
        if (got == 0) {
            fail(err, errlen, "import", 0, "the list of files ended early");
            goto out;
        }
        if (position < skip)
            continue;
        if (check_interrupted(err, errlen) != 0)
            goto out;
        if (!in_tx) {
            if (store_begin(st) != STORE_OK) {
                fail(err, errlen, "import", 0, "cannot start a transaction (see the log)");
                goto out;
            }
            in_tx = 1;
            /* Defaults are read again inside the transaction that writes with them. */
            arena_reset(refs_arena);
            refs.list = NULL;
        }
        if (read_article(path, a, 1, &file, err, errlen) != 0 ||
            resolve_references(st, &refs, &file, err, errlen) != 0)
            goto out;
        if (store_import_slug_at(st, a, position, &recorded) != STORE_OK) {
            fail(err, errlen, path, 0, "cannot read the slug it was checked with (see the log)");
            goto out;
        }
        if (strcmp(recorded, file.in.slug) != 0) {
            fail(err, errlen, path, file.slug_line,
                 "changed since it was checked: its slug was '%s', now '%s'", recorded,
                 file.in.slug);
            goto out;
        }
        chunk[n] = file.in;
        paths[n] = (char *)file.path;
        n++;
        done++;
        int end_of_batch = batch > 0 && done % batch == 0;
        if (n == CHUNK || end_of_batch || done == total) {
            if (save_chunk(st, chunk, paths, n, err, errlen) != 0)
                goto out;
            n = 0;
            arena_reset(a);
        }
        if (end_of_batch || done == total) {
            in_tx = 0;
            if (store_commit(st) != STORE_OK) {
                fail(err, errlen, "import", 0,
                     "the database did not keep the transaction (see "
                     "the log)");
                goto out;
            }
            *committed = done;
        }
        progress_show(&progress, done);
    }
    rc = 0;
out:
    if (in_tx)
        store_rollback(st);
    if (rc != 0)
        progress_abandon(&progress);
    free(chunk);
    free(paths);
    arena_free(a);
    arena_free(refs_arena);
    return rc;
}

int import_run(struct store *st, struct import_list *l, const struct import_options *options,
               struct import_result *result, char *err, size_t errlen)
{
    struct import_options none = {0};
    const struct import_options *o = options ? options : &none;
    int64_t count = import_list_count(l);
    int rc = -1;

    memset(result, 0, sizeof *result);
    result->resume_at = o->skip;
    if (o->skip < 0 || o->batch < 0) {
        fail(err, errlen, "import", 0, "--skip and --batch cannot be negative");
        return -1;
    }
    if (o->skip > 0 && o->skip >= count) {
        fail(err, errlen, "import", 0, "--skip %lld leaves nothing: %lld file%s listed",
             (long long)o->skip, (long long)count, count == 1 ? " is" : "s are");
        return -1;
    }
    if (count == 0)
        return 0;
    struct sigaction quit = {.sa_handler = on_interrupt, .sa_flags = SA_RESETHAND}, old_int,
                     old_term;
    if (o->interruptible) {
        interrupted = 0;
        sigemptyset(&quit.sa_mask);
        sigaction(SIGINT, &quit, &old_int);
        sigaction(SIGTERM, &quit, &old_term);
    }
    if (store_import_slugs_begin(st) != STORE_OK) {
        fail(err, errlen, "import", 0, "cannot make a table for the slugs (see the log)");
        goto out;
    }
    if (check_all(st, l, o->skip, o->progress, err, errlen) != 0)
        goto out;
    result->checked = count - o->skip;
    rc = write_all(st, l, o->skip, o->batch, o->progress, &result->imported, err, errlen);
    result->resume_at = o->skip + result->imported;
out:
    store_import_slugs_end(st);
    if (o->interruptible) {
        sigaction(SIGINT, &old_int, NULL);
        sigaction(SIGTERM, &old_term, NULL);
        interrupted = 0; /* the signal was this import's: the next one starts afresh */
    }
    return rc;
}

int import_files(struct store *st, char *const *paths, int n, char *err, size_t errlen)
{
    struct import_result result;
    struct import_list *l = import_list_new(err, errlen);
    int rc = -1;
    if (!l)
        return -1;
    for (int i = 0; i < n; i++)
        if (import_list_add(l, paths[i], err, errlen) != 0)
            goto out;
    rc = import_run(st, l, NULL, &result, err, errlen);
out:
    import_list_free(l);
    return rc;
}
