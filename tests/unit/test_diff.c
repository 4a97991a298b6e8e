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

void suite_diff(void)
{
    RUN(test_identical);
    RUN(test_insert);
    RUN(test_delete);
    RUN(test_replace);
    RUN(test_unicode);
    RUN(test_markup_escaped);
    RUN(test_large_within_bound);
}
