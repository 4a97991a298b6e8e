/*
 * slug.c: slugs (slug.h).
 */
#include <string.h>

#include "slug.h"

int slug_valid(const char *s, size_t max)
{
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n > max || s[0] == '-' || s[n - 1] == '-')
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '-' ? s[i + 1] == '-' : !((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')))
            return 0;
    }
    return 1;
}

/* ASCII for the Latin letters U+00C0 … U+017F (NULL: dropped), lowercase. */
static const char *const fold_latin1[64] = {
    "a", "a", "a", "a", "a", "a", "ae", "c",  "e", "e", "e", "e", "i", "i", "i",  "i",
    "d", "n", "o", "o", "o", "o", "o",  NULL, "o", "u", "u", "u", "u", "y", "th", "ss",
    "a", "a", "a", "a", "a", "a", "ae", "c",  "e", "e", "e", "e", "i", "i", "i",  "i",
    "d", "n", "o", "o", "o", "o", "o",  NULL, "o", "u", "u", "u", "u", "y", "th", "y"};
/* U+0100 … U+017F, one letter each (upper or lower case: lowered after). */
static const char fold_extended[] = "AaAaAaCcCcCcCcDdDdEeEeEeEeEeGgGgGgGgHhHhIiIiIiIiIiJjJjKkk"
                                    "LlLlLlLlLlNnNnNnnNnOoOoOoOoRrRrRrSsSsSsSsTtTtTtUuUuUuUuUuUu"
                                    "WwYyYZzZzZzs";

void slug_make(const char *text, char *out, size_t size)
{
    size_t n = 0, max = size - 1 < SLUG_MADE_MAX ? size - 1 : SLUG_MADE_MAX;
    int hyphen = 0; /* a separator is pending */
    const unsigned char *p = (const unsigned char *)(text ? text : "");
    while (*p && n < max) {
        char one[2] = {0, 0};
        const char *piece = NULL;
        unsigned cp = 0;
        if (*p < 0x80) {
            cp = *p++;
        } else if ((*p & 0xE0) == 0xC0 && (p[1] & 0xC0) == 0x80) {
            cp = ((unsigned)(*p & 0x1F) << 6) | (p[1] & 0x3F);
            p += 2;
        } else if (p[0] == 0xE2 && p[1] == 0x80 && p[2] == 0x99) { /* U+2019, "don’t" → "dont" */
            p += 3;
            continue;
        } else { /* longer sequences (or broken bytes): dropped, as a separator */
            p++;
            while ((*p & 0xC0) == 0x80)
                p++;
            hyphen = n > 0;
            continue;
        }
        if ((cp >= 'a' && cp <= 'z') || (cp >= '0' && cp <= '9')) {
            one[0] = (char)cp;
        } else if (cp >= 'A' && cp <= 'Z') {
            one[0] = (char)(cp - 'A' + 'a');
        } else if (cp >= 0xC0 && cp <= 0xFF) {
            piece = fold_latin1[cp - 0xC0];
        } else if (cp >= 0x100 && cp <= 0x17F) {
            one[0] = fold_extended[cp - 0x100];
            if (one[0] >= 'A' && one[0] <= 'Z')
                one[0] = (char)(one[0] - 'A' + 'a');
        } else if (cp == '\'') { /* "don't" → "dont" (U+2019 above) */
            continue;
        }
        if (one[0])
            piece = one;
        if (!piece) {
            hyphen = n > 0;
            continue;
        }
        size_t len = strlen(piece);
        if (n + (hyphen ? 1 : 0) + len > max)
            break;
        if (hyphen)
            out[n++] = '-';
        memcpy(out + n, piece, len);
        n += len;
        hyphen = 0;
    }
    if (*p && n == max) { /* cut: end at the last whole word when there is one */
        char *last = memrchr(out, '-', n);
        if (last && last > out)
            n = (size_t)(last - out);
    }
    while (n > 0 && out[n - 1] == '-')
        n--;
    out[n] = '\0';
}
