/*
 * fuzz_search_query.c: the readers' search text (src/search_query.c), which is whatever anyone
 * types or sends in /search?q=. Input: the text, any bytes (NUL included).
 *
 * Checks search_query.h's contract: at most SEARCH_QUERY_MAX_TERMS terms, included counts the
 * ones not excluded and is the return value; every term is non-empty, valid UTF-8 made of
 * words (no byte below 0x20, no quote, backslash, or other ASCII punctuation an engine could
 * read as syntax) separated by single spaces, with no more than SEARCH_QUERY_MAX_PHRASE_WORDS
 * words, one word unless it is a phrase, and a prefix only on a single word; and the terms
 * written back in the syntax search_query.h documents (-, "…", *) parse to the same terms.
 */
#include "fuzz.h"
#include "search_query.h"
#include "util.h"

/* Checks one term's text (see the top of the file). */
static void check_term(const struct search_term *t)
{
    size_t len = strlen(t->text), words = 1;
    FUZZ_CHECK(len > 0 && len <= SEARCH_QUERY_MAX_BYTES);
    FUZZ_CHECK(util_utf8_valid(t->text, len));
    FUZZ_CHECK(t->text[0] != ' ' && t->text[len - 1] != ' ');
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)t->text[i];
        if (c == ' ') {
            FUZZ_CHECK(t->text[i + 1] != ' ');
            words++;
        } else if (c < 0x80) {
            FUZZ_CHECK((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'));
        }
    }
    FUZZ_CHECK(words <= SEARCH_QUERY_MAX_PHRASE_WORDS);
    FUZZ_CHECK(t->phrase ? words > 1 : words == 1);
    FUZZ_CHECK(!(t->prefix && t->phrase));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct search_query q, again;
    size_t included = search_query_parse((const char *)data, size, &q);
    FUZZ_CHECK(q.count <= SEARCH_QUERY_MAX_TERMS && included == q.included);
    size_t counted = 0;
    for (size_t i = 0; i < q.count; i++) {
        check_term(&q.terms[i]);
        counted += !q.terms[i].exclude;
    }
    FUZZ_CHECK(counted == included);
    /* Written back: terms separated by a space (which can make it longer than the window
     * when the input ran two terms together, as in a"b c": then it is not compared). */
    char text[SEARCH_QUERY_MAX_TERMS * (SEARCH_QUERY_MAX_BYTES + 5) + 1];
    size_t len = 0;
    for (size_t i = 0; i < q.count; i++) {
        const struct search_term *t = &q.terms[i];
        len += (size_t)sprintf(text + len, "%s%s%s%s%s%s", i ? " " : "", t->exclude ? "-" : "",
                               t->phrase ? "\"" : "", t->text, t->phrase ? "\"" : "",
                               t->prefix ? "*" : "");
    }
    if (len <= SEARCH_QUERY_MAX_BYTES) {
        FUZZ_CHECK(search_query_parse(text, len, &again) == included && again.count == q.count);
        for (size_t i = 0; i < q.count; i++)
            FUZZ_CHECK(!strcmp(q.terms[i].text, again.terms[i].text) &&
                       q.terms[i].phrase == again.terms[i].phrase &&
                       q.terms[i].prefix == again.terms[i].prefix &&
                       q.terms[i].exclude == again.terms[i].exclude);
    }
    return 0;
}
