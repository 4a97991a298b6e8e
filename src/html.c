/*
 * html.c: context escapers and trusted HTML. See html.h.
 *
 * A trusted-HTML value is a JSON object with a single key that no data Broadsheet loads can
 * contain (it starts with a control character), so a template sees an ordinary object while
 * html_trusted_get can tell it apart from anything built from user data.
 */
#include "html.h"

#include <string.h>

#define TRUSTED_KEY "\x01trusted-html"

void html_text(struct buf *out, const char *s, size_t len)
{
    size_t start = 0;
    buf_grow(out, len);
    for (size_t i = 0; i < len; i++) {
        const char *rep;
        switch (s[i]) {
        case '&': rep = "&amp;"; break;
        case '<': rep = "&lt;"; break;
        case '>': rep = "&gt;"; break;
        case '"': rep = "&quot;"; break;
        case '\'': rep = "&#39;"; break;
        default: continue;
        }
        buf_append(out, s + start, i - start);
        buf_puts(out, rep);
        start = i + 1;
    }
    buf_append(out, s + start, len - start);
}

void html_attr(struct buf *out, const char *s, size_t len)
{
    html_text(out, s, len);
}

/* RFC 3986 unreserved characters. */
static int unreserved(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.' || c == '_' || c == '~';
}

/* Percent-encodes every byte of s that is not unreserved. */
static void percent_encode(struct buf *out, const char *s, size_t len)
{
    static const char hex[] = "0123456789ABCDEF";
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (unreserved(c)) {
            buf_putc(out, (char)c);
        } else {
            char enc[3] = {'%', hex[c >> 4], hex[c & 15]};
            buf_append(out, enc, 3);
        }
    }
}

void html_url_path(struct buf *out, const char *s, size_t len)
{
    percent_encode(out, s, len);
}

void html_url_arg(struct buf *out, const char *s, size_t len)
{
    percent_encode(out, s, len);
}

json_t *html_trusted(const char *html)
{
    json_t *v = json_object();
    json_object_set_new(v, TRUSTED_KEY, json_string(html));
    return v;
}

const char *html_trusted_get(const json_t *value)
{
    if (!json_is_object(value) || json_object_size(value) != 1)
        return NULL;
    json_t *s = json_object_get(value, TRUSTED_KEY);
    return json_is_string(s) ? json_string_value(s) : NULL;
}
