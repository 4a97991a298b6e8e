/*
 * xml.c: XML text and dates for the documents we write by hand. See xml.h.
 */
#include "xml.h"

#include <stdio.h>
#include <time.h>

/* The length of the well-formed UTF-8 sequence at s[0..len) and its code point in *cp, or 0
 * when there is none there (a stray byte, an overlong form, a surrogate, beyond U+10FFFF, or a
 * sequence cut short). */
static size_t utf8_next(const unsigned char *s, size_t len, unsigned *cp)
{
    unsigned c = s[0];
    size_t n;
    unsigned min;
    if (c < 0x80) {
        *cp = c;
        return 1;
    } else if (c >= 0xC2 && c <= 0xDF) {
        n = 2, min = 0x80, c &= 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
        n = 3, min = 0x800, c &= 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4, min = 0x10000, c &= 0x07;
    } else {
        return 0;
    }
    if (len < n)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        c = (c << 6) | (s[i] & 0x3F);
    }
    if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
        return 0;
    *cp = c;
    return n;
}

/* 1 if XML 1.0 allows code point cp in a document (its Char production). */
static int xml_char(unsigned cp)
{
    return cp == 0x9 || cp == 0xA || cp == 0xD || (cp >= 0x20 && cp <= 0xD7FF) ||
           (cp >= 0xE000 && cp <= 0xFFFD) || (cp >= 0x10000 && cp <= 0x10FFFF);
}

void xml_text(struct buf *out, const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    buf_grow(out, len);
    for (size_t i = 0; i < len;) {
        unsigned cp;
        size_t n = utf8_next(p + i, len - i, &cp);
        if (n == 0) {
            buf_puts(out, "\xEF\xBF\xBD"); /* U+FFFD for a byte that starts nothing */
            i++;
            continue;
        }
        switch (cp) {
        case '&': buf_puts(out, "&amp;"); break;
        case '<': buf_puts(out, "&lt;"); break;
        case '>': buf_puts(out, "&gt;"); break;
        case '"': buf_puts(out, "&quot;"); break;
        case '\'': buf_puts(out, "&apos;"); break;
        default:
            if (xml_char(cp))
                buf_append(out, s + i, n);
        }
        i += n;
    }
}

void xml_time(int64_t when, char *out, size_t size)
{
    time_t t = (time_t)when;
    struct tm tm;
    if (!gmtime_r(&t, &tm) || !strftime(out, size, "%Y-%m-%dT%H:%M:%SZ", &tm))
        snprintf(out, size, "1970-01-01T00:00:00Z");
}
