/*
 * search_query.h: a reader's search box text, parsed into a query the store can run safely.
 *
 * Readers type anything: quotes left open, FTS5's NEAR( and column filters, tsquery's & | ! :*,
 * a lone AND, megabytes of text, bytes that are not UTF-8. None of it is ever passed through
 * to a full-text engine as syntax. This parser keeps only what it understands, as words (runs
 * of letters and digits, any script; everything else separates them), and gives each a role:
 *
 *   word       a term the article must contain (stemmed by the engine: "talks" finds "talk")
 *   word*      a prefix term: any word that begins with it ("nucl*" finds "nuclear"); a
 *              prefix of fewer than four bytes is a whole word ("th*" is "th": see
 *              search_query.c)
 *   "a b c"    a phrase: the words next to each other, in this order
 *   -word      an excluded term (also -"a phrase" and -word*): the article must not contain it
 *
 * and the store quotes every term when it builds the engine's own syntax (store.h,
 * store_search), so a word such as AND, OR, NOT or NEAR is only a word. Words are not
 * lower-cased here: both engines fold case themselves.
 *
 * Caps: the first SEARCH_QUERY_MAX_BYTES bytes of the text are read (a word cut there is
 * dropped), at most SEARCH_QUERY_MAX_TERMS terms are kept, and a phrase keeps at most
 * SEARCH_QUERY_MAX_PHRASE_WORDS words. A query with no term to look for (empty, only
 * punctuation, only excluded terms) is unusable: the page says so instead of searching.
 *
 * Pure: no I/O, no allocation, no state; fuzzed by tests/fuzz/fuzz_search_query.c.
 */
#ifndef BROADSHEET_SEARCH_QUERY_H
#define BROADSHEET_SEARCH_QUERY_H

#include <stddef.h>

#define SEARCH_QUERY_MAX_BYTES 200
#define SEARCH_QUERY_MAX_TERMS 12
#define SEARCH_QUERY_MAX_PHRASE_WORDS 8

struct search_term {
    /* The term's words, separated by one space (one word unless phrase), valid UTF-8 with no
     * control characters, quotes or backslashes: only letters, digits and single spaces. */
    char text[SEARCH_QUERY_MAX_BYTES + 1];
    int phrase;  /* 1: "quoted words", to be found next to each other */
    int prefix;  /* 1: word*: the last (only) word is a prefix */
    int exclude; /* 1: -term: articles containing it are left out */
};

struct search_query {
    struct search_term terms[SEARCH_QUERY_MAX_TERMS];
    size_t count;    /* terms[0..count) */
    size_t included; /* how many of them are not excluded: 0 means the query is unusable */
};

/* Parses text[0..len) (any bytes, NUL included) into *out, which it fills in whole. Returns
 * out->included: the number of terms to look for (0: nothing usable to search for). */
size_t search_query_parse(const char *text, size_t len, struct search_query *out);

#endif
