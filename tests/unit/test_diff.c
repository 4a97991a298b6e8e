/*
 * test_diff.c: word-level differences (diff.c): identical texts, insertions, deletions and
 * replacements at word granularity, Unicode words and punctuation, markup characters escaped
 * everywhere, and two 20,000-word bodies within the bound (time and the paragraph fallback).
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "diff.h"
#include "util.h"

/* The diff of a and b as a heap string (freed by the caller), with its stats in *st. */
static char *diff(const char *a, const char *b, struct diff_stats *st)
{
    struct buf out = BUF_INIT;
    diff_html(a, strlen(a), b, strlen(b), &out, st);
    buf_putc(&out, '\0');
    return buf_detach(&out, NULL);
}

static void check_diff(const char *a, const char *b, const char *want)
{
    struct diff_stats st;
    char *got = diff(a, b, &st);
    CHECK_STR(got, want);
    free(got);
}

static void test_identical(void)
{
    struct diff_stats st;
    char *got = diff("The same words, twice.", "The same words, twice.", &st);
    CHECK_STR(got, "The same words, twice.");
    CHECK_INT(st.inserted, 0);
    CHECK_INT(st.deleted, 0);
    CHECK_INT(st.coarse, 0);
    free(got);
    check_diff("", "", "");
}

static void test_insert(void)
{
    check_diff("The cat sat.", "The black cat sat.", "The <ins>black </ins>cat sat.");
    check_diff("", "New text", "<ins>New text</ins>");
    check_diff("Ends here", "Ends here, now.", "Ends here<ins>, now.</ins>");
}

static void test_delete(void)
{
    struct diff_stats st;
    char *got = diff("The black cat sat.", "The cat sat.", &st);
    CHECK_STR(got, "The <del>black </del>cat sat.");
    CHECK_INT(st.deleted, 2); /* "black" and its space */
    CHECK_INT(st.inserted, 0);
    free(got);
    check_diff("Gone", "", "<del>Gone</del>");
}

static void test_replace(void)
{
    /* Words, not characters: "sat" to "sits" replaces the word. */
    check_diff("The cat sat on the mat.", "The cat sits on the mat.",
               "The cat <del>sat</del><ins>sits</ins> on the mat.");
    /* Adjacent replaced words read as one change, not word by word. */
    check_diff("one two three four", "one five six four",
               "one <del>two three</del><ins>five six</ins> four");
    check_diff("a", "b", "<del>a</del><ins>b</ins>");
}

static void test_unicode(void)
{
    /* Non-ASCII letters are part of words; curly quotes and dashes are punctuation. */
    check_diff("Café au lait", "Café noir", "Café <del>au lait</del><ins>noir</ins>");
    check_diff("“Déjà vu” — again", "“Déjà vu” — encore",
               "“Déjà vu” — <del>again</del><ins>encore</ins>");
    check_diff("東京 is big", "東京 was big", "東京 <del>is</del><ins>was</ins> big");
}

static void test_markup_escaped(void)
{
    check_diff("<b>x</b> & 'y'", "<b>x</b> & \"y\"",
               "&lt;b&gt;x&lt;/b&gt; &amp; <del>&#39;</del><ins>&quot;</ins>y<del>&#39;</del>"
               "<ins>&quot;</ins>");
    check_diff("safe", "<script>alert(1)</script>",
               "<del>safe</del><ins>&lt;script&gt;alert(1)&lt;/script&gt;</ins>");
    struct diff_stats st;
    char *got = diff("<i>", "<em>", &st);
    CHECK(!strstr(got, "<i>") && !strstr(got, "<em>"));
    free(got);
}

/* Appends n pseudo-random words (seeded) as paragraphs of 50 words. */
static void words(struct buf *b, size_t n, unsigned seed)
{
    static const char *const vocabulary[] = {"senate", "vote",   "budget", "the", "nuclear",
                                             "treaty", "report", "of",     "and", "defense",
                                             "week",   "said",   "on",     "a",   "security"};
    for (size_t i = 0; i < n; i++) {
        seed = seed * 1103515245u + 12345u;
        buf_puts(b, vocabulary[(seed >> 16) % 15]);
        buf_puts(b, i % 50 == 49 ? ".\n\n" : " ");
    }
}

static double seconds_since(const struct timespec *start)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - start->tv_sec) + (double)(now.tv_nsec - start->tv_nsec) / 1e9;
}

static void test_large_within_bound(void)
{
    struct buf a = BUF_INIT, b = BUF_INIT, out = BUF_INIT;
    struct diff_stats st;
    struct timespec start;

    /* Two 20,000-word bodies a few words apart: word level, quickly. */
    words(&a, 20000, 1);
    buf_append(&b, a.data, a.len);
    memcpy(b.data + 1000, "XYZZY", 5);
    memcpy(b.data + b.len / 2, "PLUGH", 5);
    clock_gettime(CLOCK_MONOTONIC, &start);
    diff_html(a.data, a.len, b.data, b.len, &out, &st);
    CHECK(seconds_since(&start) < 2.0);
    CHECK_INT(st.coarse, 0);
    CHECK(st.inserted >= 2 && st.inserted <= 8);
    CHECK(out.len > a.len && memmem(out.data, out.len, "<ins>", 5));

    /* Hundreds of scattered one-word changes, near the cap: still word level, still quick. */
    buf_reset(&b);
    buf_reset(&out);
    buf_append(&b, a.data, a.len);
    size_t changed = 0;
    for (size_t i = 100; i + 1 < b.len && changed < 400; i += b.len / 400)
        if (b.data[i] >= 'a' && b.data[i] <= 'z') {
            b.data[i] = 'Q'; /* one word becomes another */
            changed++;
        }
    clock_gettime(CLOCK_MONOTONIC, &start);
    diff_html(a.data, a.len, b.data, b.len, &out, &st);
    CHECK(seconds_since(&start) < 2.0);
    CHECK_INT(st.coarse, 0);
    CHECK(changed > 300 && st.inserted == changed && st.deleted == changed);

    /* Two unrelated 20,000-word bodies: over the cap, so by paragraph (or whole), still within
     * the bound, and every word of both still shown. */
    buf_reset(&b);
    buf_reset(&out);
    words(&b, 20000, 2);
    clock_gettime(CLOCK_MONOTONIC, &start);
    diff_html(a.data, a.len, b.data, b.len, &out, &st);
    double took = seconds_since(&start);
    CHECK(took < 5.0);
    CHECK(st.coarse >= 1);
    CHECK(out.len >= a.len + b.len);
    if (took >= 5.0)
        fprintf(stderr, "    took %.2f s\n", took);

    /* A body whose paragraphs are mostly the same but shuffled at word level beyond the cap:
     * the paragraph fallback keeps unchanged paragraphs as they are. */
    buf_reset(&b);
    buf_reset(&out);
    struct buf tail = BUF_INIT;
    words(&tail, 6000, 3);
    buf_append(&b, a.data, a.len / 2);
    buf_append(&b, tail.data, tail.len);
    diff_html(a.data, a.len, b.data, b.len, &out, &st);
    CHECK_INT(st.coarse, 1);
    CHECK(out.data[0] != '<'); /* the first paragraphs are unchanged */

    buf_free(&a);
    buf_free(&b);
    buf_free(&tail);
    buf_free(&out);
}

/* One side of a diff's HTML as text: the other side's runs left out (skip "<ins>" for the old
 * text, "<del>" for the new), the remaining tags dropped and the escapes undone. */
static char *side(const char *html, const char *skip)
{
    struct buf out = BUF_INIT;
    char close[8];
    snprintf(close, sizeof close, "</%s", skip + 1);
    for (const char *p = html; *p;) {
        if (!strncmp(p, skip, 5)) {
            const char *end = strstr(p, close);
            p = end ? end + 6 : p + strlen(p);
        } else if (!strncmp(p, "<del>", 5) || !strncmp(p, "<ins>", 5)) {
            p += 5;
        } else if (!strncmp(p, "</del>", 6) || !strncmp(p, "</ins>", 6)) {
            p += 6;
        } else if (*p == '&') {
            static const struct {
                const char *entity, *text;
            } entities[] = {
                {"&amp;", "&"}, {"&lt;", "<"}, {"&gt;", ">"}, {"&quot;", "\""}, {"&#39;", "'"}};
            size_t i = 0;
            while (i < 5 && strncmp(p, entities[i].entity, strlen(entities[i].entity)))
                i++;
            if (i == 5) {
                buf_putc(&out, *p++);
            } else {
                buf_puts(&out, entities[i].text);
                p += strlen(entities[i].entity);
            }
        } else {
            buf_putc(&out, *p++);
        }
    }
    buf_putc(&out, '\0');
    return buf_detach(&out, NULL);
}

/* The length of the longest common subsequence of x[0..n) and y[0..m) (strings), by the
 * textbook dynamic programme: what a minimal script keeps. */
static size_t lcs(const char *const *x, size_t n, const char *const *y, size_t m)
{
    size_t *row = calloc((n + 1) * (m + 1), sizeof *row);
    for (size_t i = 1; i <= n; i++)
        for (size_t j = 1; j <= m; j++)
            row[i * (m + 1) + j] = !strcmp(x[i - 1], y[j - 1]) ? row[(i - 1) * (m + 1) + j - 1] + 1
                                   : row[(i - 1) * (m + 1) + j] > row[i * (m + 1) + j - 1]
                                       ? row[(i - 1) * (m + 1) + j]
                                       : row[i * (m + 1) + j - 1];
    size_t result = row[n * (m + 1) + m];
    free(row);
    return result;
}

/* Random texts and random edits of them: the old text is always what the diff shows without
 * its insertions, the new one without its deletions, and the script is minimal: as many
 * tokens inserted and deleted as the two token sequences' longest common subsequence leaves. */
static void test_sides_rebuild_both_texts(void)
{
    /* Each a token of its own between spaces: words, punctuation, markup characters. */
    static const char *const pieces[] = {"a", "b", "cat", "dog", ",",    ".",  "<", "&",
                                         "é", "“", "'",   "\"",  "東京", "x1", "—"};
    enum { NPIECES = sizeof pieces / sizeof pieces[0], MAX_TOKENS = 300 };
    unsigned seed = 7;
    for (int round = 0; round < 300; round++) {
        const char *ta[MAX_TOKENS], *tb[MAX_TOKENS];
        size_t na = 0, nb = 0;
        struct buf a = BUF_INIT, b = BUF_INIT, out = BUF_INIT;
        int words = (int)(seed % 60);
        for (int i = 0; i < words; i++) {
            seed = seed * 1103515245u + 12345u;
            const char *w = pieces[(seed >> 16) % NPIECES];
            unsigned choice = (seed >> 8) % 10;
            if (na)
                ta[na++] = " ";
            ta[na++] = w;
            if (choice == 0)
                continue; /* dropped */
            if (choice == 1)
                w = pieces[(seed >> 20) % NPIECES]; /* replaced (maybe by itself) */
            if (choice == 2) {
                if (nb)
                    tb[nb++] = " ";
                tb[nb++] = "new";
            }
            if (nb)
                tb[nb++] = " ";
            tb[nb++] = w;
        }
        for (size_t i = 0; i < na; i++)
            buf_puts(&a, ta[i]);
        for (size_t i = 0; i < nb; i++)
            buf_puts(&b, tb[i]);
        buf_putc(&a, '\0');
        buf_putc(&b, '\0');
        struct diff_stats st;
        diff_html(a.data, a.len - 1, b.data, b.len - 1, &out, &st);
        buf_putc(&out, '\0');
        char *old_side = side(out.data, "<ins>"), *new_side = side(out.data, "<del>");
        CHECK_STR(old_side, a.data);
        CHECK_STR(new_side, b.data);
        size_t common = lcs(ta, na, tb, nb);
        CHECK_INT(st.deleted, na - common);
        CHECK_INT(st.inserted, nb - common);
        CHECK_INT(st.coarse, 0);
        free(old_side);
        free(new_side);
        buf_free(&a);
        buf_free(&b);
        buf_free(&out);
        seed = seed * 1103515245u + 12345u;
    }
}

void suite_diff(void)
{
    RUN(test_identical);
    RUN(test_insert);
    RUN(test_delete);
    RUN(test_replace);
    RUN(test_unicode);
    RUN(test_markup_escaped);
    RUN(test_large_within_bound);
    RUN(test_sides_rebuild_both_texts);
}
