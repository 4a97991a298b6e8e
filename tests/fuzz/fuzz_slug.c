/*
 * fuzz_slug.c: slugs made from headlines and names (src/slug.c), which decodes UTF-8 typed by
 * staff and folds Latin letters. Input: one byte giving the output's size (1 to 128), then the
 * text (NUL-terminated by the harness's copy).
 *
 * Checks slug.h's contract: the result fits its buffer and SLUG_MADE_MAX, is "" or a well-formed
 * slug (slug_valid), and making a slug of it gives it back unchanged.
 */
#include "fuzz.h"
#include "slug.h"

/* One input: a size byte and a text (see the top of the file). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t out_size = (size_t)fuzz_take_byte(&data, &size) % 128 + 1;
    char *text = malloc(size + 1);
    FUZZ_CHECK(text != NULL);
    memcpy(text, data, size);
    text[size] = '\0';
    char out[129], again[129];
    memset(out, 'X', sizeof out);
    slug_make(text, out, out_size);
    size_t len = strnlen(out, out_size);
    FUZZ_CHECK(len < out_size && len <= SLUG_MADE_MAX);
    FUZZ_CHECK(len == 0 || slug_valid(out, SLUG_MADE_MAX));
    slug_make(out, again, sizeof again);
    FUZZ_CHECK(!strcmp(out, again));
    free(text);
    return 0;
}
