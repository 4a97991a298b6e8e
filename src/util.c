/*
 * util.c: aborting allocators, whole-file reads, UTF-8 validation and clocks. See util.h.
 */
#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Prints why and aborts: called only when the allocator itself failed. */
static void out_of_memory(size_t size)
{
    fprintf(stderr, "broadsheet: out of memory allocating %zu bytes\n", size);
    abort();
}

void *xmalloc(size_t size)
{
    void *p = malloc(size ? size : 1);
    if (!p)
        out_of_memory(size);
    return p;
}

void *xcalloc(size_t count, size_t size)
{
    void *p = calloc(count ? count : 1, size ? size : 1);
    if (!p)
        out_of_memory(count * size);
    return p;
}

void *xrealloc(void *ptr, size_t size)
{
    void *p = realloc(ptr, size ? size : 1);
    if (!p)
        out_of_memory(size);
    return p;
}

char *xstrdup(const char *s)
{
    return xstrndup(s, strlen(s));
}

char *xstrndup(const char *s, size_t len)
{
    char *p = xmalloc(len + 1);
    memcpy(p, s, len);
    p[len] = '\0';
    return p;
}

char *util_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 4096, n = 0;
    char *data = xmalloc(cap);
    for (;;) {
        if (n + 1 >= cap) {
            cap *= 2;
            data = xrealloc(data, cap);
        }
        size_t got = fread(data + n, 1, cap - n - 1, f);
        n += got;
        if (got == 0)
            break;
    }
    int failed = ferror(f);
    fclose(f);
    if (failed) {
        free(data);
        errno = EIO;
        return NULL;
    }
    data[n] = '\0';
    if (len)
        *len = n;
    return data;
}

int util_utf8_valid(const char *str, size_t len)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0;
    while (i < len) {
        unsigned char c = s[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t need;
        uint32_t cp;
        if (c >= 0xC2 && c <= 0xDF) {
            need = 1;
            cp = c & 0x1F;
        } else if (c >= 0xE0 && c <= 0xEF) {
            need = 2;
            cp = c & 0x0F;
        } else if (c >= 0xF0 && c <= 0xF4) {
            need = 3;
            cp = c & 0x07;
        } else {
            return 0; /* continuation byte, overlong lead (C0, C1) or F5..FF */
        }
        if (len - i <= need) /* truncated sequence */
            return 0;
        for (size_t k = 1; k <= need; k++) {
            if ((s[i + k] & 0xC0) != 0x80)
                return 0;
            cp = (cp << 6) | (s[i + k] & 0x3F);
        }
        if ((need == 2 && cp < 0x800) || (need == 3 && cp < 0x10000) || cp > 0x10FFFF ||
            (cp >= 0xD800 && cp <= 0xDFFF))
            return 0;
        i += need + 1;
    }
    return 1;
}

char *util_utf8_repair(const char *s)
{
    static const char replacement[] = "\xEF\xBF\xBD"; /* U+FFFD */
    if (!s)
        s = "";
    size_t len = strlen(s), at = 0;
    char *out = xmalloc(len * 3 + 1); /* at worst every byte becomes three */
    for (size_t i = 0; i < len;) {
        unsigned char c = (unsigned char)s[i];
        size_t n = c < 0x80                 ? 1
                   : c >= 0xC2 && c <= 0xDF ? 2
                   : c >= 0xE0 && c <= 0xEF ? 3
                   : c >= 0xF0 && c <= 0xF4 ? 4
                                            : 0;
        if (n && n <= len - i && util_utf8_valid(s + i, n)) {
            memcpy(out + at, s + i, n);
            at += n;
            i += n;
        } else {
            memcpy(out + at, replacement, 3);
            at += 3;
            i++;
        }
    }
    out[at] = '\0';
    return out;
}

int64_t util_parse_id(const char *text)
{
    size_t n = text ? strlen(text) : 0;
    if (n == 0 || n > 18 || strspn(text, "0123456789") != n)
        return 0;
    return strtoll(text, NULL, 10);
}

int64_t util_parse_path_id(const char *text)
{
    return text && text[0] == '0' ? 0 : util_parse_id(text);
}

enum util_url_problem util_http_url_check(const char *url, size_t max)
{
    const char *rest = !strncmp(url, "https://", 8)  ? url + 8
                       : !strncmp(url, "http://", 7) ? url + 7
                                                     : NULL;
    if (!rest)
        return UTIL_URL_SCHEME;
    if (!*rest || *rest == '/' || strlen(url) > max)
        return UTIL_URL_WHOLE;
    for (const unsigned char *p = (const unsigned char *)url; *p; p++)
        if (*p <= 0x20 || *p >= 0x7f || *p == '"' || *p == '<' || *p == '>' || *p == '\\')
            return UTIL_URL_CHARACTER;
    return UTIL_URL_OK;
}

int64_t util_now(void)
{
    return (int64_t)time(NULL);
}

int64_t util_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t util_monotonic_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int util_host_port_parse(const char *s, char *host, size_t hostlen, int *port)
{
    const char *host_start = s, *host_end, *colon;
    if (*s == '[') {
        host_start = s + 1;
        host_end = strchr(host_start, ']');
        if (!host_end || host_end[1] != ':')
            return -1;
        colon = host_end + 1;
    } else {
        colon = strrchr(s, ':');
        if (!colon)
            return -1;
        host_end = colon;
    }
    size_t len = (size_t)(host_end - host_start);
    if (len == 0 || len >= hostlen)
        return -1;
    for (const char *p = host_start; p < host_end; p++) {
        unsigned char c = (unsigned char)*p;
        if (c <= 0x20 || c == 0x7f || c == '[' || c == ']' || c == '/' || (c == ':' && *s != '['))
            return -1;
    }
    const char *digits = colon + 1;
    size_t n = strspn(digits, "0123456789");
    if (n == 0 || n > 5 || digits[n] != '\0')
        return -1;
    long value = strtol(digits, NULL, 10);
    if (value > 65535)
        return -1;
    memcpy(host, host_start, len);
    host[len] = '\0';
    *port = (int)value;
    return 0;
}
