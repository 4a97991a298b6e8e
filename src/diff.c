/*
 * diff.c: word-level differences as HTML (diff.h), by Myers' O(ND) algorithm ("An O(ND)
 * Difference Algorithm and Its Variations", 1986): the greedy forward search over diagonals,
 * keeping each round's furthest-reaching points so that the path can be walked back. The search
 * is capped at DIFF_MAX_EDITS rounds; a pair of texts further apart is compared by paragraph,
 * then whole (diff.h).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "diff.h"
#include "html.h"
#include "util.h"

/* One token: a slice of its text, with a hash to compare quickly. */
struct token {
    const char *p;
    size_t len;
    uint64_t hash;
    int space; /* whitespace only */
};

struct tokens {
    struct token *v;
    size_t n, cap;
};

enum op_kind { OP_EQUAL, OP_DELETE, OP_INSERT };

/* One step of an edit script: a token of the old text (a), of the new (b), or both. */
struct op {
    enum op_kind kind;
    int32_t a, b; /* the token's index in its text (both for OP_EQUAL) */
};

struct ops {
    struct op *v;
    size_t n, cap;
};

static uint64_t hash_bytes(const char *p, size_t len)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (size_t i = 0; i < len; i++)
        h = (h ^ (unsigned char)p[i]) * 1099511628211ull;
    return h;
}

static void push_token(struct tokens *t, const char *p, size_t len, int space)
{
    if (t->n == t->cap) {
        t->cap = t->cap ? t->cap * 2 : 256;
        t->v = xrealloc(t->v, t->cap * sizeof *t->v);
    }
    t->v[t->n++] = (struct token){p, len, hash_bytes(p, len), space};
}

static void push_op(struct ops *o, enum op_kind kind, size_t a, size_t b)
{
    if (o->n == o->cap) {
        o->cap = o->cap ? o->cap * 2 : 256;
        o->v = xrealloc(o->v, o->cap * sizeof *o->v);
    }
    o->v[o->n++] = (struct op){kind, (int32_t)a, (int32_t)b};
}

static int is_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* The length of the UTF-8 sequence led by byte c (1 for a stray continuation byte). */
static size_t utf8_length(unsigned char c)
{
    return c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
}

/* The length of the character at s[i] (of len) when it is part of a word, else 0: ASCII letters
 * and digits, and any non-ASCII character but U+2000..U+206F (General Punctuation: dashes,
 * curly quotes, ellipsis), whose UTF-8 starts E2 80 or E2 81. */
static size_t word_char(const char *s, size_t i, size_t len)
{
    unsigned char c = (unsigned char)s[i];
    if (c < 0x80)
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    if (c == 0xe2 && i + 1 < len &&
        ((unsigned char)s[i + 1] == 0x80 || (unsigned char)s[i + 1] == 0x81))
        return 0;
    size_t n = utf8_length(c);
    return i + n <= len ? n : len - i;
}

/* Splits s[0..len) into words, runs of whitespace and single other characters. */
static void split_words(const char *s, size_t len, struct tokens *t)
{
    size_t i = 0;
    while (i < len) {
        size_t start = i, n;
        if (is_space((unsigned char)s[i])) {
            while (i < len && is_space((unsigned char)s[i]))
                i++;
            push_token(t, s + start, i - start, 1);
        } else if (word_char(s, i, len)) {
            while (i < len && (n = word_char(s, i, len)))
                i += n;
            push_token(t, s + start, i - start, 0);
        } else {
            n = utf8_length((unsigned char)s[i]);
            i += i + n <= len ? n : len - i;
            push_token(t, s + start, i - start, 0);
        }
    }
}

/* Splits s[0..len) into paragraphs, each with the blank lines after it. */
static void split_paragraphs(const char *s, size_t len, struct tokens *t)
{
    size_t start = 0, i = 0;
    while (i < len) {
        if (s[i] == '\n' && i + 1 < len && (s[i + 1] == '\n' || s[i + 1] == '\r')) {
            while (i < len && (s[i] == '\n' || s[i] == '\r'))
                i++;
            push_token(t, s + start, i - start, 0);
            start = i;
        } else {
            i++;
        }
    }
    if (start < len)
        push_token(t, s + start, len - start, 0);
}

static int same(const struct token *x, const struct token *y)
{
    return x->hash == y->hash && x->len == y->len && memcmp(x->p, y->p, x->len) == 0;
}

/* The shortest edit script from a[0..n) to b[0..m) into o (in order), at most max_edits edits.
 * Returns 0, or -1 when the texts are further apart than that (o is then left empty). */
static int myers(const struct token *a, size_t n, const struct token *b, size_t m, size_t max_edits,
                 struct ops *o)
{
    size_t max = n + m < max_edits ? n + m : max_edits;
    size_t width = 2 * max + 3;
    int32_t *v = xcalloc(width, sizeof *v);            /* v[k + off]: furthest x on diagonal k */
    int32_t **trace = xcalloc(max + 1, sizeof *trace); /* v before each round, k in -d-1..d+1 */
    long off = (long)max + 1;
    long found = -1;
    for (long d = 0; d <= (long)max && found < 0; d++) {
        trace[d] = xmalloc((size_t)(2 * d + 3) * sizeof **trace);
        memcpy(trace[d], v + off - d - 1, (size_t)(2 * d + 3) * sizeof **trace);
        for (long k = -d; k <= d; k += 2) {
            long x;
            if (k == -d || (k != d && v[off + k - 1] < v[off + k + 1]))
                x = v[off + k + 1]; /* down: an insertion */
            else
                x = v[off + k - 1] + 1; /* right: a deletion */
            long y = x - k;
            while (x < (long)n && y < (long)m && same(&a[x], &b[y]))
                x++, y++;
            v[off + k] = (int32_t)x;
            if (x >= (long)n && y >= (long)m) {
                found = d;
                break;
            }
        }
    }
    if (found >= 0) {
        /* Walk back from (n, m), collecting the script in reverse. */
        long x = (long)n, y = (long)m;
        size_t first = o->n;
        for (long d = found; d >= 0; d--) {
            const int32_t *pv = trace[d] + 1 + d; /* pv[k]: k in -d-1..d+1 */
            long k = x - y, prev_k;
            if (k == -d || (k != d && pv[k - 1] < pv[k + 1]))
                prev_k = k + 1;
            else
                prev_k = k - 1;
            long prev_x = pv[prev_k], prev_y = prev_x - prev_k;
            while (x > prev_x && y > prev_y && x > 0 && y > 0) {
                x--, y--;
                push_op(o, OP_EQUAL, (size_t)x, (size_t)y);
            }
            if (d > 0) {
                if (x == prev_x)
                    push_op(o, OP_INSERT, 0, (size_t)prev_y);
                else
                    push_op(o, OP_DELETE, (size_t)prev_x, 0);
            }
            x = prev_x, y = prev_y;
        }
        for (size_t i = first, j = o->n; i + 1 < j; i++, j--) {
            struct op swap = o->v[i];
            o->v[i] = o->v[j - 1];
            o->v[j - 1] = swap;
        }
    }
    for (long d = 0; d <= (long)max; d++)
        free(trace[d]);
    free(trace);
    free(v);
    return found >= 0 ? 0 : -1;
}

/* The script from a to b into o: the common prefix and suffix as they are, and between them
 * myers' script. -1 (o as it was) when the middle is more than max_edits apart. */
static int script(const struct tokens *a, const struct tokens *b, struct ops *o)
{
    size_t pre = 0, suf = 0;
    while (pre < a->n && pre < b->n && same(&a->v[pre], &b->v[pre]))
        pre++;
    while (suf < a->n - pre && suf < b->n - pre &&
           same(&a->v[a->n - 1 - suf], &b->v[b->n - 1 - suf]))
        suf++;
    struct ops middle = {0};
    /* (an empty text has no tokens at all: v is NULL, and NULL + 0 is undefined in C) */
    if (myers(a->v ? a->v + pre : NULL, a->n - pre - suf, b->v ? b->v + pre : NULL,
              b->n - pre - suf, DIFF_MAX_EDITS, &middle) != 0) {
        free(middle.v);
        return -1;
    }
    for (size_t i = 0; i < pre; i++)
        push_op(o, OP_EQUAL, i, i);
    for (size_t i = 0; i < middle.n; i++)
        push_op(o, middle.v[i].kind, middle.v[i].a + pre, middle.v[i].b + pre);
    for (size_t i = 0; i < suf; i++)
        push_op(o, OP_EQUAL, a->n - suf + i, b->n - suf + i);
    free(middle.v);
    return 0;
}

/* Whether o->v[i] belongs to a change: an edit, or whitespace between two edits (folded into
 * the change, so that "<del>a</del><ins>b</ins> <del>c</del><ins>d</ins>" reads as one). */
static int changed(const struct ops *o, const struct tokens *a, size_t i)
{
    const struct op *p = &o->v[i];
    if (p->kind != OP_EQUAL)
        return 1;
    return a->v[p->a].space && i > 0 && o->v[i - 1].kind != OP_EQUAL && i + 1 < o->n &&
           o->v[i + 1].kind != OP_EQUAL;
}

/* Writes the script o between a and b as HTML into out, counting into stats. */
static void emit(const struct ops *o, const struct tokens *a, const struct tokens *b,
                 struct buf *out, struct diff_stats *stats)
{
    size_t i = 0;
    while (i < o->n) {
        if (!changed(o, a, i)) {
            const struct token *t = &a->v[o->v[i].a];
            html_text(out, t->p, t->len);
            i++;
            continue;
        }
        size_t end = i;
        while (end < o->n && changed(o, a, end))
            end++;
        int any = 0;
        for (size_t j = i; j < end; j++) {
            if (o->v[j].kind == OP_INSERT)
                continue;
            if (!any)
                buf_puts(out, "<del>");
            any = 1;
            const struct token *t = &a->v[o->v[j].a];
            html_text(out, t->p, t->len);
            stats->deleted += o->v[j].kind == OP_DELETE;
        }
        if (any)
            buf_puts(out, "</del>");
        any = 0;
        for (size_t j = i; j < end; j++) {
            if (o->v[j].kind == OP_DELETE)
                continue;
            if (!any)
                buf_puts(out, "<ins>");
            any = 1;
            const struct token *t = &b->v[o->v[j].b];
            html_text(out, t->p, t->len);
            stats->inserted += o->v[j].kind == OP_INSERT;
        }
        if (any)
            buf_puts(out, "</ins>");
        i = end;
    }
}

void diff_html(const char *old_text, size_t old_len, const char *new_text, size_t new_len,
               struct buf *out, struct diff_stats *stats)
{
    struct diff_stats ignored;
    if (!stats)
        stats = &ignored;
    memset(stats, 0, sizeof *stats);
    struct tokens a = {0}, b = {0};
    struct ops o = {0};
    split_words(old_text, old_len, &a);
    split_words(new_text, new_len, &b);
    if (script(&a, &b, &o) == 0) {
        emit(&o, &a, &b, out, stats);
        goto out;
    }
    a.n = b.n = 0;
    split_paragraphs(old_text, old_len, &a);
    split_paragraphs(new_text, new_len, &b);
    stats->coarse = 1;
    if (script(&a, &b, &o) == 0) {
        emit(&o, &a, &b, out, stats);
        goto out;
    }
    stats->coarse = 2;
    stats->deleted = old_len > 0;
    stats->inserted = new_len > 0;
    if (old_len) {
        buf_puts(out, "<del>");
        html_text(out, old_text, old_len);
        buf_puts(out, "</del>");
    }
    if (new_len) {
        buf_puts(out, "<ins>");
        html_text(out, new_text, new_len);
        buf_puts(out, "</ins>");
    }
out:
    free(a.v);
    free(b.v);
    free(o.v);
}
