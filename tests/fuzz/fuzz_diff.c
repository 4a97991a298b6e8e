/*
 * fuzz_diff.c: the newsroom's word diff (src/diff.c), which compares two versions of an article
 * typed by staff. Input: the old text, a NUL byte, the new text (no NUL: the new text is empty).
 *
 * Checks diff.h's contract: the only markup in the output is <del>, </del>, <ins> and </ins>;
 * dropping the insertions and unescaping gives back the old text exactly, and dropping the
 * deletions gives back the new one (nothing is lost, doubled or reordered, whatever the bound
 * made of it: by token, by paragraph or whole).
 */
#include "diff.h"
#include "fuzz.h"

/* The text the diff html[0..len) shows with the runs of `drop` ("ins" or "del") left out and
 * the other tags removed, unescaped, into out. -1 if it holds markup other than the four tags
 * or an entity html_text does not write. */
static int side(const char *html, size_t len, const char *drop, struct buf *out)
{
    static const struct {
        const char *entity;
        char c;
    } entities[] = {{"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}, {"&#39;", '\''}};
    char open[8], close[8];
    snprintf(open, sizeof open, "<%s>", drop);
    snprintf(close, sizeof close, "</%s>", drop);
    int dropping = 0;
    for (size_t i = 0; i < len;) {
        if (html[i] == '<') {
            const char *tags[] = {"<del>", "</del>", "<ins>", "</ins>"};
            size_t t = 0;
            while (t < 4 &&
                   (len - i < strlen(tags[t]) || memcmp(html + i, tags[t], strlen(tags[t]))))
                t++;
            if (t == 4)
                return -1;
            if (!strcmp(tags[t], open))
                dropping = 1;
            else if (!strcmp(tags[t], close))
                dropping = 0;
            i += strlen(tags[t]);
            continue;
        }
        if (html[i] == '&') {
            size_t e = 0;
            while (e < 5 && (len - i < strlen(entities[e].entity) ||
                             memcmp(html + i, entities[e].entity, strlen(entities[e].entity))))
                e++;
            if (e == 5)
                return -1;
            if (!dropping)
                buf_putc(out, entities[e].c);
            i += strlen(entities[e].entity);
            continue;
        }
        if (html[i] == '>' || html[i] == '"' || html[i] == '\'')
            return -1; /* html_text escapes these */
        if (!dropping)
            buf_putc(out, html[i]);
        i++;
    }
    return 0;
}

/* One input: two texts split at the first NUL (see the top of the file). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    const char *nul = memchr(text, '\0', size);
    size_t old_len = nul ? (size_t)(nul - text) : size;
    const char *new_text = nul ? nul + 1 : "";
    size_t new_len = nul ? size - old_len - 1 : 0;
    struct buf html = BUF_INIT, old_side = BUF_INIT, new_side = BUF_INIT;
    struct diff_stats stats;
    diff_html(text, old_len, new_text, new_len, &html, &stats);
    const char *h = html.data ? html.data : "";
    FUZZ_CHECK(side(h, html.len, "ins", &old_side) == 0);
    FUZZ_CHECK(side(h, html.len, "del", &new_side) == 0);
    FUZZ_CHECK(old_side.len == old_len && (!old_len || !memcmp(old_side.data, text, old_len)));
    FUZZ_CHECK(new_side.len == new_len && (!new_len || !memcmp(new_side.data, new_text, new_len)));
    buf_free(&html);
    buf_free(&old_side);
    buf_free(&new_side);
    return 0;
}
