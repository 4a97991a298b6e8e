/*
 * store_search.c: readers' search (store.h, "Readers' search"; migration 014). An article's
 * index row is made here, in C, because what a reader who is not entitled may read is the
 * paywall's split of the Markdown (markdown_split_html at preview_paragraphs, exactly as the
 * article page sends it), which SQL cannot compute: visible is that preview as plain text (the
 * whole body for a free article), rest the withheld blocks. store_search_put writes it inside
 * the caller's transaction; the write paths (store_content.c, store_newsroom_articles.c,
 * store_newsroom_history.c, cmd_db.c's copy) call it after their UPDATE or INSERT.
 *
 * Queries arrive parsed (search_query.h): each term is letters, digits and single spaces, so
 * quoting it for the engine cannot be escaped. SQLite gets FTS5 MATCH text, every term a quoted
 * string ("word", "word"*, "two words"), ANDed, excluded terms after NOT, and, for a reader who
 * is not entitled, all of it under the column filter {headline dek visible}: the rest column
 * can neither match nor exclude. PostgreSQL gets to_tsquery text: quoted lexemes ('word',
 * 'word':*), phrases joined by <->, & between terms, ! before excluded ones, matched against
 * visible_tsv alone or visible_tsv || rest_tsv (store_sql.c). Either text is a bound parameter.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "markdown.h"
#include "search_query.h"
#include "store_impl.h"
#include "util.h"

#define REINDEX_BATCH 200 /* articles per transaction in a rebuild */

/* text, or "" for SQL NULL. */
static const char *nonnull(const char *text)
{
    return text ? text : "";
}

void store_search_configure(struct store *st, int preview_paragraphs)
{
    st->search_preview_paragraphs = preview_paragraphs < 0 ? 0 : preview_paragraphs;
}

/* Appends a space to out unless it is empty or already ends in one (runs of white space,
 * tags and controls become one space). */
static void put_space(struct buf *out)
{
    if (out->len && out->data[out->len - 1] != ' ')
        buf_putc(out, ' ');
}

/* Appends code point cp as UTF-8 (a control character, NUL, a surrogate or a value past
 * U+10FFFF as a space). */
static void put_code_point(struct buf *out, unsigned long cp)
{
    char u[4];
    if (cp < 0x20 || cp == 0x7f || (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff) {
        put_space(out);
    } else if (cp < 0x80) {
        buf_putc(out, (char)cp);
    } else if (cp < 0x800) {
        u[0] = (char)(0xc0 | cp >> 6);
        u[1] = (char)(0x80 | (cp & 0x3f));
        buf_append(out, u, 2);
    } else if (cp < 0x10000) {
        u[0] = (char)(0xe0 | cp >> 12);
        u[1] = (char)(0x80 | (cp >> 6 & 0x3f));
        u[2] = (char)(0x80 | (cp & 0x3f));
        buf_append(out, u, 3);
    } else {
        u[0] = (char)(0xf0 | cp >> 18);
        u[1] = (char)(0x80 | (cp >> 12 & 0x3f));
        u[2] = (char)(0x80 | (cp >> 6 & 0x3f));
        u[3] = (char)(0x80 | (cp & 0x3f));
        buf_append(out, u, 4);
    }
}

/* Decodes the character reference at html (which starts with '&') into out; returns the bytes
 * it took, or 0 if it is not one cmark writes (&amp; &lt; &gt; &quot; and numeric ones), for
 * the caller to copy the '&' as text. */
static size_t put_reference(struct buf *out, const char *html)
{
    static const struct {
        const char *name;
        char c;
    } named[] = {{"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}, {"&apos;", '\''}};
    for (size_t i = 0; i < sizeof named / sizeof named[0]; i++) {
        size_t len = strlen(named[i].name);
        if (!strncmp(html, named[i].name, len)) {
            buf_putc(out, named[i].c);
            return len;
        }
    }
    if (html[1] != '#')
        return 0;
    int hex = html[2] == 'x' || html[2] == 'X';
    const char *digits = html + (hex ? 3 : 2);
    size_t n = strspn(digits, hex ? "0123456789abcdefABCDEF" : "0123456789");
    if (n == 0 || n > 7 || digits[n] != ';')
        return 0;
    put_code_point(out, strtoul(digits, NULL, hex ? 16 : 10));
    return (size_t)(digits + n + 1 - html);
}

/* Appends the text of cmark's HTML html to out as plain text: tags (and comments) become a
 * space, so that words of two blocks never run together; character references are decoded;
 * control characters (STORE_SEARCH_MARK_START and _END among them) become spaces. */
static void html_to_text(const char *html, struct buf *out)
{
    const char *p = html;
    while (*p) {
        unsigned char c = (unsigned char)*p;
        if (c == '<') {
            const char *end = strchr(p, '>');
            put_space(out);
            p = end ? end + 1 : p + strlen(p);
        } else if (c == '&') {
            size_t used = put_reference(out, p);
            if (!used) {
                buf_putc(out, '&');
                used = 1;
            }
            p += used;
        } else if (c < 0x20 || c == 0x7f) {
            put_space(out);
            p++;
        } else {
            buf_putc(out, (char)c);
            p++;
        }
    }
}

/* The plain text of a headline or dek (no markup, but no controls either). */
static char *plain_field(const char *text)
{
    struct buf b = BUF_INIT;
    for (const char *p = text; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            put_space(&b);
        else
            buf_putc(&b, *p);
    size_t len;
    return buf_detach(&b, &len);
}

/* PostgreSQL's text search parser reads "<word>" as an XML tag and drops it, from the tsvector
 * and from ts_headline's snippet alike: a headline "<Tom> & Jerry" could not be found by "tom".
 * So on PostgreSQL each '<' of the indexed text is stored as SHIELDED_LT, a control character
 * the parser takes for a separator and the text never holds otherwise (html_to_text and
 * plain_field turn controls into spaces), and a snippet gets its '<' back (unshield). */
#define SHIELDED_LT '\x01'

/* Replaces every '<' of text with SHIELDED_LT. */
static void shield(char *text)
{
    for (char *p = strchr(text, '<'); p; p = strchr(p + 1, '<'))
        *p = SHIELDED_LT;
}

/* Writes article id's row (headline, dek, body_markdown, access as stored) with statement
 * STMT_SEARCH_PUT on c. 0, or -1 reported into err. */
static int put_row(struct store *st, struct db_conn *c, int64_t id, const char *headline,
                   const char *dek, const char *markdown, const char *access, char *err,
                   size_t errlen)
{
    /* The article page's rule (page_article.c): a free article whole, any other level (one
     * that is not a level name too: it fails closed) as its preview and the rest. */
    int level = store_access_parse(access);
    int blocks = level == ACCESS_FREE ? INT_MAX : st->search_preview_paragraphs;
    char *head, *tail;
    markdown_split_html(markdown, strlen(markdown), blocks, &head, &tail);
    struct buf visible = BUF_INIT, rest = BUF_INIT;
    html_to_text(head, &visible);
    html_to_text(tail, &rest);
    buf_putc(&visible, '\0'); /* "" rather than NULL when empty */
    buf_putc(&rest, '\0');
    char *plain_headline = plain_field(headline), *plain_dek = plain_field(dek);
    if (db_conn_kind(c) == DB_PGSQL) {
        shield(plain_headline);
        shield(plain_dek);
        shield(visible.data);
        shield(rest.data);
    }
    int rc = -1;
    struct db_stmt *s = store_stmt(c, STMT_SEARCH_PUT, err, errlen);
    if (s) {
        db_bind_int64(s, 1, id);
        db_bind_text(s, 2, plain_headline);
        db_bind_text(s, 3, plain_dek);
        db_bind_text(s, 4, visible.data);
        db_bind_text(s, 5, rest.data);
        if (db_step(s) == DB_DONE)
            rc = 0;
        else
            store_report(err, errlen, "search index of article %lld: %s", (long long)id,
                         db_errmsg(c));
        db_reset(s);
    }
    free(plain_headline);
    free(plain_dek);
    buf_free(&visible);
    buf_free(&rest);
    free(head);
    free(tail);
    return rc;
}

int store_search_put(struct store *st, struct db_conn *c, int64_t id, char *err, size_t errlen)
{
    struct db_stmt *s = store_stmt(c, STMT_SEARCH_SOURCE, err, errlen);
    if (!s)
        return -1;
    db_bind_int64(s, 1, id);
    int step = db_step(s), rc = -1;
    if (step == DB_ROW) {
        /* Copied: the row is valid until the statement moves, and put_row runs another. */
        char *headline = xstrdup(nonnull(db_column_text(s, 0)));
        char *dek = xstrdup(nonnull(db_column_text(s, 1)));
        char *markdown = xstrdup(nonnull(db_column_text(s, 2)));
        char *access = xstrdup(nonnull(db_column_text(s, 3)));
        db_reset(s);
        rc = put_row(st, c, id, headline, dek, markdown, access, err, errlen);
        free(headline);
        free(dek);
        free(markdown);
        free(access);
        return rc;
    }
    if (step == DB_DONE)
        store_report(err, errlen, "search index: no article %lld", (long long)id);
    else
        store_report(err, errlen, "search index: reading article %lld: %s", (long long)id,
                     db_errmsg(c));
    db_reset(s);
    return rc;
}

/* One batch of a rebuild: the REINDEX_BATCH articles after id *after, in a transaction; moves
 * *after to the last one and adds them to *count. Returns 1 if it indexed any, 0 at the end,
 * -1 on failure (reported into err). */
static int reindex_batch(struct store *st, struct db_conn *c, int64_t *after, int64_t *count,
                         char *err, size_t errlen)
{
    if (store_tx_begin(c, err, errlen) != 0)
        return -1;
    struct db_stmt *s = store_stmt(c, STMT_SEARCH_SOURCES, err, errlen);
    int rc = -1, step;
    int64_t done = 0;
    if (!s)
        goto out;
    db_bind_int64(s, 1, *after);
    db_bind_int64(s, 2, REINDEX_BATCH);
    /* The batch's rows are read while they are written: SQLite steps one row at a time, and
     * PostgreSQL holds this statement's result (REINDEX_BATCH rows) in memory. */
    while ((step = db_step(s)) == DB_ROW) {
        int64_t id = db_column_int64(s, 0);
        if (put_row(st, c, id, nonnull(db_column_text(s, 1)), nonnull(db_column_text(s, 2)),
                    nonnull(db_column_text(s, 3)), nonnull(db_column_text(s, 4)), err, errlen) != 0)
            goto out;
        *after = id;
        done++;
    }
    if (step != DB_DONE) {
        store_report(err, errlen, "search index: reading articles: %s", db_errmsg(c));
        goto out;
    }
    db_reset(s);
    s = NULL;
    if (store_tx_commit(c, err, errlen) != 0)
        return -1;
    *count += done;
    return done > 0;
out:
    db_reset(s);
    store_tx_rollback(c);
    return rc;
}

int store_search_reindex(struct store *st, int64_t *count, char *err, size_t errlen)
{
    struct db_conn *c = store_conn(st, err, errlen);
    *count = 0;
    if (!c)
        return STORE_ERROR;
    int64_t after = 0;
    int more;
    while ((more = reindex_batch(st, c, &after, count, err, errlen)) > 0)
        ;
    if (more < 0)
        return STORE_ERROR;
    struct db_stmt *s = store_stmt(c, STMT_SEARCH_SET_BUILT_WITH, err, errlen);
    if (!s)
        return STORE_ERROR;
    db_bind_int64(s, 1, st->search_preview_paragraphs);
    int rc = store_step_write(c, s, 1, "recording the search index's preview");
    db_reset(s);
    return rc == 0 ? STORE_OK : STORE_ERROR;
}

int store_search_check(struct store *st, int64_t *rebuilt, char *err, size_t errlen)
{
    *rebuilt = 0;
    struct db_conn *c = store_conn(st, err, errlen);
    if (!c)
        return STORE_ERROR;
    struct db_stmt *s = store_stmt(c, STMT_SEARCH_BUILT_WITH, err, errlen);
    if (!s)
        return STORE_ERROR;
    int rc = store_step_one(c, s, "reading the search index's preview");
    int64_t built_with = rc == STORE_OK ? db_column_int64(s, 0) : -1;
    db_reset(s);
    if (rc == STORE_ERROR) {
        store_report(err, errlen, "reading the search index's preview failed");
        return STORE_ERROR;
    }
    int stale = built_with != st->search_preview_paragraphs;
    if (!stale) {
        if (!(s = store_stmt(c, STMT_SEARCH_MISSING, err, errlen)))
            return STORE_ERROR;
        rc = store_step_one(c, s, "looking for articles missing from the search index");
        db_reset(s);
        if (rc == STORE_ERROR) {
            store_report(err, errlen, "looking for articles missing from the search index failed");
            return STORE_ERROR;
        }
        stale = rc == STORE_OK;
    }
    return stale ? store_search_reindex(st, rebuilt, err, errlen) : STORE_OK;
}

/* Appends term t as FTS5 query text: a quoted string ("word", "two words") with * after it
 * for a prefix. */
static void fts5_term(struct buf *out, const struct search_term *t)
{
    buf_printf(out, "\"%s\"%s", t->text, t->prefix ? "*" : "");
}

/* Appends term t as to_tsquery text: 'word', 'word':*, or ('two' <-> 'words'). */
static void tsquery_term(struct buf *out, const struct search_term *t)
{
    if (!t->phrase) {
        buf_printf(out, "'%s'%s", t->text, t->prefix ? ":*" : "");
        return;
    }
    buf_putc(out, '(');
    for (const char *p = t->text; *p;) {
        size_t len = strcspn(p, " ");
        buf_printf(out, "%s'%.*s'", p == t->text ? "" : " <-> ", (int)len, p);
        p += len;
        if (*p == ' ')
            p++;
    }
    buf_putc(out, ')');
}

/* The engine's query text for q into out (see the top of the file). */
static void engine_query(struct buf *out, enum db_kind kind, const struct search_query *q,
                         int entitled)
{
    if (kind == DB_SQLITE) {
        buf_puts(out, entitled ? "((" : "{headline dek visible} : ((");
        int first = 1;
        for (size_t i = 0; i < q->count; i++)
            if (!q->terms[i].exclude) {
                if (!first)
                    buf_puts(out, " AND ");
                fts5_term(out, &q->terms[i]);
                first = 0;
            }
        buf_putc(out, ')');
        for (size_t i = 0; i < q->count; i++)
            if (q->terms[i].exclude) {
                buf_puts(out, " NOT ");
                fts5_term(out, &q->terms[i]);
            }
        buf_putc(out, ')');
        return;
    }
    int first = 1;
    for (size_t i = 0; i < q->count; i++) {
        if (!first)
            buf_puts(out, " & ");
        if (q->terms[i].exclude)
            buf_putc(out, '!');
        tsquery_term(out, &q->terms[i]);
        first = 0;
    }
}

/* Binds the parameters every search statement shares on s: ?1 the query text, ?2 … ?5 the
 * filter. */
static void bind_search(struct db_stmt *s, const char *text, const struct search_filter *f)
{
    db_bind_text(s, 1, text);
    db_bind_int64(s, 2, f->section_id);
    db_bind_int64(s, 3, f->publication_id);
    db_bind_int64(s, 4, f->from > 0 ? f->from : INT64_MIN);
    db_bind_int64(s, 5, f->to > 0 ? f->to : INT64_MAX);
}

/* The snippet a result shows: the visible text's if it marks a match, else the withheld
 * text's if that one does (an entitled reader's match there), else the visible text's
 * beginning (the match was in the headline or dek). */
static const char *pick_snippet(struct db_stmt *s, int col, struct arena *a)
{
    char *visible = (char *)store_column_text(s, col, a);
    char *rest = (char *)store_column_text(s, col + 1, a);
    char *pick = visible;
    if (!strchr(visible, STORE_SEARCH_MARK_START) && strchr(rest, STORE_SEARCH_MARK_START))
        pick = rest;
    for (char *p = strchr(pick, SHIELDED_LT); p; p = strchr(p + 1, SHIELDED_LT))
        *p = '<'; /* unshield (see shield) */
    return pick;
}

int store_search(struct store *st, struct arena *a, const struct search_query *q,
                 const struct search_filter *f, int entitled, int offset, int limit,
                 struct search_hit **hits, size_t *n)
{
    *hits = NULL;
    *n = 0;
    if (q->included == 0)
        return STORE_OK;
    if (limit < 1 || limit > STORE_SEARCH_PAGE_MAX)
        limit = STORE_SEARCH_PAGE_MAX;
    struct db_conn *c = store_conn(st, NULL, 0);
    if (!c)
        return STORE_ERROR;
    struct buf text = BUF_INIT;
    engine_query(&text, db_conn_kind(c), q, entitled);
    struct db_stmt *s = store_stmt(c, entitled ? STMT_SEARCH_FULL : STMT_SEARCH_PUBLIC, NULL, 0);
    int rc = STORE_ERROR;
    if (s) {
        bind_search(s, text.data, f);
        db_bind_int64(s, 6, limit);
        db_bind_int64(s, 7, offset < 0 ? 0 : offset);
        struct search_hit *list = arena_calloc(a, (size_t)limit, sizeof *list);
        size_t count = 0;
        int step;
        while ((step = db_step(s)) == DB_ROW && count < (size_t)limit) {
            store_read_article(s, a, &list[count].article);
            list[count].snippet =
                pick_snippet(s, ARTICLE_NCOLUMNS + PUBLICATION_NCOLUMNS + SECTION_NCOLUMNS, a);
            count++;
        }
        if (step == DB_FAIL) {
            store_report(NULL, 0, "searching: %s", db_errmsg(c));
        } else {
            *hits = list;
            *n = count;
            rc = STORE_OK;
        }
        db_reset(s);
    }
    buf_free(&text);
    return rc;
}

int store_search_count(struct store *st, const struct search_query *q,
                       const struct search_filter *f, int entitled, int64_t cap, int64_t *count)
{
    *count = 0;
    if (q->included == 0)
        return STORE_OK;
    struct db_conn *c = store_conn(st, NULL, 0);
    if (!c)
        return STORE_ERROR;
    struct buf text = BUF_INIT;
    engine_query(&text, db_conn_kind(c), q, entitled);
    struct db_stmt *s =
        store_stmt(c, entitled ? STMT_SEARCH_COUNT_FULL : STMT_SEARCH_COUNT_PUBLIC, NULL, 0);
    int rc = STORE_ERROR;
    if (s) {
        bind_search(s, text.data, f);
        db_bind_int64(s, 6, cap);
        rc = store_step_one(c, s, "counting search results");
        if (rc == STORE_OK)
            *count = db_column_int64(s, 0);
        db_reset(s);
    }
    buf_free(&text);
    return rc == STORE_ERROR ? STORE_ERROR : STORE_OK;
}
