/*
 * fuzz_import.c: the article file parser (import_parse, src/import.c): front matter between
 * `---` lines, then a Markdown body rendered by cmark. Article files come from writers and other
 * systems, so every byte of them is outside input. Input: the whole file.
 *
 * Checks import.h's contract: an accepted file has a headline, publication, section and body,
 * an access level of the enum, and a slug of runs of [a-z0-9] joined by single '-' of at most
 * 80 characters (given or derived); a refused one says "fuzz.md:" and why.
 */
#include "arena.h"
#include "fuzz.h"
#include "import.h"

/* 1 if s is a slug as import.h defines it. */
static int slug_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 80 || s[0] == '-' || s[n - 1] == '-')
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '-' ? s[i + 1] == '-' : !((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')))
            return 0;
    }
    return 1;
}

/* One input: an article file (see the top of the file). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct arena *a = arena_new(0);
    struct article_input in;
    char err[512] = "";
    if (import_parse("fuzz.md", (const char *)data, size, a, &in, err, sizeof err) == 0) {
        FUZZ_CHECK(in.headline && *in.headline);
        FUZZ_CHECK(in.publication_slug && *in.publication_slug);
        FUZZ_CHECK(in.section_slug && *in.section_slug);
        FUZZ_CHECK(in.dek && in.byline);
        FUZZ_CHECK(in.body_markdown && *in.body_markdown && in.body_html);
        FUZZ_CHECK(in.access == ACCESS_FREE || in.access == ACCESS_METERED ||
                   in.access == ACCESS_SUBSCRIBERS);
        FUZZ_CHECK(slug_ok(in.slug));
    } else {
        FUZZ_CHECK(strncmp(err, "fuzz.md:", 8) == 0 && strlen(err) > 9);
    }
    arena_free(a);
    return 0;
}
