/*
 * fuzz_req_decode.c: req_decode (src/req.c), the strict percent-decoder every request path and
 * query argument goes through before a handler sees it. Input: one mode byte (bit 0:
 * plus_is_space, as for query strings), then the encoded text.
 *
 * Checks req.h's contract on every accepted input: the result is valid UTF-8 with no NUL, C0 or
 * C1 control character or DEL, no longer than the input; and the result, percent-encoded again
 * byte by byte, decodes to itself.
 */
#include "arena.h"
#include "fuzz.h"
#include "req.h"
#include "util.h"

/* Percent-encodes every byte of s[0..len) into a heap string the caller frees. */
static char *encode_all(const char *s, size_t len)
{
    static const char hex[] = "0123456789ABCDEF";
    char *out = malloc(3 * len + 1);
    if (!out)
        abort();
    for (size_t i = 0; i < len; i++) {
        out[3 * i] = '%';
        out[3 * i + 1] = hex[(unsigned char)s[i] >> 4];
        out[3 * i + 2] = hex[(unsigned char)s[i] & 15];
    }
    out[3 * len] = '\0';
    return out;
}

/* One input: a mode byte and an encoded path or query (see the top of the file). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int plus_is_space = fuzz_take_byte(&data, &size) & 1;
    struct arena *a = arena_new(0);
    char *decoded = NULL;
    if (req_decode(a, (const char *)data, size, plus_is_space, &decoded) == 0) {
        FUZZ_CHECK(decoded != NULL);
        size_t len = strlen(decoded);
        FUZZ_CHECK(len <= size);
        FUZZ_CHECK(util_utf8_valid(decoded, len));
        for (size_t i = 0; i < len; i++) {
            unsigned char c = (unsigned char)decoded[i];
            FUZZ_CHECK(c >= 0x20 && c != 0x7f);
            FUZZ_CHECK(!(c == 0xC2 && i + 1 < len && (unsigned char)decoded[i + 1] < 0xA0));
        }
        char *again = encode_all(decoded, len);
        char *round = NULL;
        FUZZ_CHECK(req_decode(a, again, strlen(again), 0, &round) == 0);
        FUZZ_CHECK(strcmp(round, decoded) == 0);
        free(again);
    }
    arena_free(a);
    return 0;
}
