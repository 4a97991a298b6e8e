/*
 * search_query.c: the reader's search text into terms (search_query.h). One pass over at most
 * SEARCH_QUERY_MAX_BYTES bytes, with a cursor; a word is a run of ASCII letters and digits and
 * well-formed UTF-8 sequences of two to four bytes (any script); everything else separates
 * words, so no byte that means something to FTS5 or to_tsquery (quotes, parentheses, * - : & |
 * ! ^ + { } and the ASCII controls) can be inside a term.
 */
#include "search_query.h"

#include <string.h>

/* A prefix shorter than this is searched as a whole word: a short one expands to much of the
 * vocabulary, and the engine merges every expansion's list of articles before it can return
 * one. At 1,000,000 articles on SQLite "th*" took 75 s and "pro*" 13 s of one job thread, a
 * prefix of four letters ("prop*", "fram*") about 1.5 s, of five ("natio*") 0.4 s. */
#define MIN_PREFIX_BYTES 4

/* The length of the UTF-8 sequence at s[0..n) if it is a well-formed one of 2 to 4 bytes
 * (no overlong forms, no surrogates, nothing past U+10FFFF), else 0. */
static size_t utf8_sequence(const unsigned char *s, size_t n)
{
    unsigned c = s[0];
    size_t len;
    unsigned cp;
    if (c >= 0xc2 && c <= 0xdf) {
        len = 2;
        cp = c & 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
        len = 3;
        cp = c & 0x0f;
    } else if (c >= 0xf0 && c <= 0xf4) {
        len = 4;
        cp = c & 0x07;
    } else {
        return 0;
    }
    if (n < len)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = cp << 6 | (s[i] & 0x3f);
    }
    if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
        (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
        return 0;
    return len;
}

/* The code point of the well-formed UTF-8 sequence s[0..len). */
static unsigned code_point(const unsigned char *s, size_t len)
{
    unsigned cp = s[0] & (len == 2 ? 0x1f : len == 3 ? 0x0f : 0x07);
    for (size_t i = 1; i < len; i++)
        cp = cp << 6 | (s[i] & 0x3f);
    return cp;
}

/* 1 for the punctuation and spaces outside ASCII that readers type between words (phones type
 * typographic quotes and dashes): Latin-1's symbols (no-break space, « », ¿ …), × and ÷, the
 * General and Supplemental Punctuation blocks, CJK punctuation and the ideographic space, and
 * the fullwidth ASCII punctuation. Both engines' tokenizers split words there too; kept inside
 * a term, one would make a quoted term with no word in it, which FTS5 never matches. */
static int separator_point(unsigned cp)
{
    return (cp >= 0x80 && cp <= 0xbf) || cp == 0xd7 || cp == 0xf7 ||
           (cp >= 0x2000 && cp <= 0x206f) || (cp >= 0x2e00 && cp <= 0x2e7f) ||
           (cp >= 0x3000 && cp <= 0x303f) || (cp >= 0xff01 && cp <= 0xff0f) || cp == 0xfeff;
}

/* The length of the word character at s[0..n): 1 for an ASCII letter or digit, 2 to 4 for a
 * UTF-8 sequence that is not a separator_point, 0 for a separator. */
static size_t word_char(const unsigned char *s, size_t n)
{
    unsigned c = s[0];
    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
        return 1;
    if (c < 0x80)
        return 0;
    size_t len = utf8_sequence(s, n);
    return len && !separator_point(code_point(s, len)) ? len : 0;
}

/* The length of the quotation mark at s[0..n) that opens or closes a phrase: '"' (1), or the
 * typographic “ ” „ (3); 0 if there is none. */
static size_t quote_length(const unsigned char *s, size_t n)
{
    if (s[0] == '"')
        return 1;
    if (n >= 3 && s[0] == 0xe2 && s[1] == 0x80 && (s[2] == 0x9c || s[2] == 0x9d || s[2] == 0x9e))
        return 3;
    return 0;
}

/* The length of the word at s[0..n) (0 if s does not start one). */
static size_t word_length(const unsigned char *s, size_t n)
{
    size_t i = 0, step;
    while (i < n && (step = word_char(s + i, n - i)) > 0)
        i += step;
    return i;
}

/* Appends word w[0..len) to term t (a space first unless it is the first word). Every term's
 * words come from a window of SEARCH_QUERY_MAX_BYTES bytes, so they always fit. */
static void add_word(struct search_term *t, const unsigned char *w, size_t len)
{
    size_t used = strlen(t->text);
    if (used) {
        t->text[used++] = ' ';
    }
    memcpy(t->text + used, w, len);
    t->text[used + len] = '\0';
}

size_t search_query_parse(const char *text, size_t len, struct search_query *out)
{
    memset(out, 0, sizeof *out);
    const unsigned char *s = (const unsigned char *)text;
    int cut = len > SEARCH_QUERY_MAX_BYTES; /* the last word may be cut at the window's end */
    size_t n = cut ? SEARCH_QUERY_MAX_BYTES : len, i = 0;
    while (i < n && out->count < SEARCH_QUERY_MAX_TERMS) {
        int exclude = 0;
        if (s[i] == '-' && i + 1 < n &&
            (quote_length(s + i + 1, n - i - 1) || word_char(s + i + 1, n - i - 1))) {
            exclude = 1;
            i++;
        }
        struct search_term *t = &out->terms[out->count];
        memset(t, 0, sizeof *t);
        size_t quote = quote_length(s + i, n - i);
        if (quote) {
            /* A phrase: its words up to the closing quote (or the end: an open quote closes
             * there), whatever separates them. */
            size_t words = 0;
            i += quote;
            while (i < n && !(quote = quote_length(s + i, n - i))) {
                size_t w = word_length(s + i, n - i);
                if (w == 0) {
                    i++;
                    continue;
                }
                if (!(cut && i + w == n) && words < SEARCH_QUERY_MAX_PHRASE_WORDS) {
                    add_word(t, s + i, w);
                    words++;
                }
                i += w;
            }
            if (i < n)
                i += quote; /* the closing quote */
            if (words == 0)
                continue;
            t->phrase = words > 1;
        } else {
            size_t w = word_length(s + i, n - i);
            if (w == 0) {
                i++; /* a separator */
                continue;
            }
            if (cut && i + w == n)
                break; /* a word cut by the window: not what the reader typed */
            add_word(t, s + i, w);
            i += w;
            if (i < n && s[i] == '*') {
                t->prefix = w >= MIN_PREFIX_BYTES;
                i++;
            }
        }
        t->exclude = exclude;
        out->count++;
        if (!exclude)
            out->included++;
    }
    return out->included;
}
