/*
 * fuzz_markdown.c: Markdown to HTML (src/markdown.c) and the paywall's split of a body into the
 * preview's first blocks and the rest (markdown_split_html). Input: one byte giving the number
 * of blocks (0 to 7), then the Markdown.
 *
 * Checks markdown.h's contract: head and tail together are exactly markdown_to_html's output
 * (so the preview is a prefix of the article and nothing is lost or doubled), and the safe mode
 * holds: no raw <script from the input reaches either part.
 */
#include "fuzz.h"
#include "markdown.h"

/* One input: a block count byte and a Markdown body (see the top of the file). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int blocks = fuzz_take_byte(&data, &size) % 8;
    const char *text = (const char *)data;
    char *whole = markdown_to_html(text, size);
    char *head = NULL, *tail = NULL;
    markdown_split_html(text, size, blocks, &head, &tail);
    FUZZ_CHECK(whole && head && tail);
    size_t head_len = strlen(head), tail_len = strlen(tail);
    FUZZ_CHECK(head_len + tail_len == strlen(whole));
    FUZZ_CHECK(memcmp(whole, head, head_len) == 0);
    FUZZ_CHECK(memcmp(whole + head_len, tail, tail_len) == 0);
    FUZZ_CHECK(strstr(whole, "<script") == NULL);
    free(whole);
    free(head);
    free(tail);
    return 0;
}
