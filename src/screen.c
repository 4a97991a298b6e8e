/*
 * screen.c: the request screen's state machine. See screen.h.
 *
 * One state per position in a request; each byte either moves the state on or refuses the
 * connection. The few header values that decide framing (Content-Length, Transfer-Encoding) are
 * kept, trimmed and lowercased, in a small buffer as they pass; everything else is only
 * checked. Body bytes are skipped in runs, not byte by byte.
 */
#include "screen.h"

#include <string.h>

enum state {
    S_START,         /* before a request: its first byte, or an empty line */
    S_START_CR,      /* CR of an empty line before the request line */
    S_METHOD,        /* the method token */
    S_TARGET,        /* the request target */
    S_VERSION,       /* HTTP/x.y */
    S_LINE_CR,       /* CR after the request line, LF expected */
    S_HEADER_START,  /* the first byte of a header line, or CR of the empty line */
    S_NAME,          /* a header's name */
    S_VALUE,         /* its value, with optional white space */
    S_VALUE_CR,      /* CR after a value */
    S_HEAD_END_CR,   /* CR of the empty line ending the head (or the trailers) */
    S_BODY,          /* Content-Length bytes */
    S_CHUNK_SIZE,    /* a chunk's hex size */
    S_CHUNK_EXT,     /* ;extensions after it */
    S_CHUNK_SIZE_CR, /* CR after the size line */
    S_CHUNK_DATA,    /* a chunk's bytes */
    S_CHUNK_DATA_CR, /* CR after them */
    S_CHUNK_DATA_LF, /* LF after them */
};

#define MAX_HEX_DIGITS 15 /* a chunk of up to 2^60 bytes: no overflow, far past any limit */
#define MAX_DIGITS 18     /* a Content-Length below 10^18: no overflow */

void screen_init(struct screen *s, const struct screen_limits *limits)
{
    memset(s, 0, sizeof *s);
    s->limits = *limits;
    s->state = S_START;
}

int screen_idle(const struct screen *s)
{
    return s->state == S_START && s->head_len == 0 && !s->verdict;
}

/* Forgets the finished request: the next byte begins another. */
static void request_done(struct screen *s)
{
    struct screen_limits limits = s->limits;
    unsigned verdict = s->verdict;
    screen_init(s, &limits);
    s->verdict = verdict;
}

/* 1 if c is a token character (RFC 9110 5.6.2): method names and header names. */
static int tchar(unsigned char c)
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
        return 1;
    return c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* 1 if c may appear in a header value: visible ASCII, SP, HTAB, or obs-text. */
static int value_char(unsigned char c)
{
    return c == ' ' || c == '\t' || (c > 0x20 && c != 0x7f);
}

static int hex_value(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* 1 if the current header's name is name (lowercase). */
static int name_is(const struct screen *s, const char *name)
{
    size_t n = strlen(name);
    return s->name_len == n && !memcmp(s->name, name, n);
}

/* The value kept for the current header, its trailing white space dropped. */
static size_t trimmed_value(struct screen *s)
{
    while (s->value_len &&
           (s->value[s->value_len - 1] == ' ' || s->value[s->value_len - 1] == '\t'))
        s->value_len--;
    s->value[s->value_len] = '\0';
    return s->value_len;
}

/* Judges a Transfer-Encoding value (lowercase, trimmed), a comma-separated list of codings: 0
 * for exactly "chunked"; 400 when chunked is in the list but not last (the body's length cannot
 * be known, RFC 9112 6.3); 501 for a coding we do not decode ("gzip, chunked", "xchunked"). */
static unsigned transfer_coding(const char *value)
{
    if (!strcmp(value, "chunked"))
        return 0;
    int chunked_not_last = 0;
    const char *p = value;
    while (*p) {
        while (*p == ' ' || *p == '\t' || *p == ',')
            p++;
        const char *start = p;
        while (*p && *p != ',' && *p != ' ' && *p != '\t')
            p++;
        size_t n = (size_t)(p - start);
        const char *rest = p;
        while (*rest == ' ' || *rest == '\t')
            rest++;
        if (n == 7 && !memcmp(start, "chunked", 7) && *rest)
            chunked_not_last = 1;
    }
    return chunked_not_last ? 400 : 501;
}

/* A header line has ended: takes note of the ones that frame the message. Returns 0 or the
 * refusing status. */
static unsigned header_done(struct screen *s)
{
    int framing = name_is(s, "content-length") || name_is(s, "transfer-encoding");
    if (s->in_trailers)
        return framing || name_is(s, "host") ? 400 : 0; /* no framing in trailers */
    if (name_is(s, "host")) {
        s->hosts++;
        return 0;
    }
    if (!framing)
        return 0;
    if (s->value_overflow)
        return 400;
    size_t n = trimmed_value(s);
    if (name_is(s, "content-length")) {
        s->lengths++;
        if (n == 0 || n > MAX_DIGITS || strspn(s->value, "0123456789") != n)
            return 400;
        uint64_t length = 0;
        for (size_t i = 0; i < n; i++)
            length = length * 10 + (uint64_t)(s->value[i] - '0');
        s->content_length = length;
        return 0;
    }
    s->encodings++;
    unsigned status = transfer_coding(s->value);
    if (!status)
        s->chunked = 1;
    return status;
}

/* The head has ended: the rules across headers. Returns 0 or the refusing status. */
static unsigned head_done(struct screen *s)
{
    int http10 = !strcmp(s->version, "HTTP/1.0");
    if ((!http10 && s->hosts != 1) || s->hosts > 1)
        return 400;
    if (s->lengths > 1 || s->encodings > 1 || (s->lengths && s->encodings) ||
        (http10 && s->encodings))
        return 400;
    return 0;
}

/* The request line's version token is complete: 0 for HTTP/1.0 or 1.1, 505 for another
 * version, 400 for what is not a version. */
static unsigned version_done(const struct screen *s)
{
    const char *v = s->version;
    if (s->version_len != 8 || strncmp(v, "HTTP/", 5) != 0 || v[5] < '0' || v[5] > '9' ||
        v[6] != '.' || v[7] < '0' || v[7] > '9')
        return 400;
    return v[5] == '1' && (v[7] == '0' || v[7] == '1') ? 0 : 505;
}

/* Checks the time rules at now, counting incoming more bytes about to be fed. Returns 0 or
 * 408. */
static unsigned late(const struct screen *s, int64_t now, size_t incoming)
{
    int in_head = s->state != S_BODY && s->state != S_CHUNK_DATA && s->state != S_CHUNK_SIZE &&
                  s->state != S_CHUNK_EXT && s->state != S_CHUNK_SIZE_CR &&
                  s->state != S_CHUNK_DATA_CR && s->state != S_CHUNK_DATA_LF && !s->in_trailers;
    if (in_head) {
        if (s->head_started_ms && s->limits.head_deadline_ms &&
            now - s->head_started_ms > s->limits.head_deadline_ms)
            return 408;
        return 0;
    }
    if (!s->limits.body_min_rate || !s->body_started_ms)
        return 0;
    int64_t elapsed = now - s->body_started_ms;
    if (elapsed <= s->limits.head_deadline_ms)
        return 0;
    uint64_t owed = s->limits.body_min_rate * (uint64_t)elapsed / 1000;
    return s->body_received + incoming < owed ? 408 : 0;
}

/* Moves to the body after the head (at now), or finishes a request that has none. */
static void begin_body(struct screen *s, int64_t now)
{
    if (s->in_trailers) {
        request_done(s);
        return;
    }
    s->body_started_ms = now ? now : 1;
    if (s->chunked) {
        s->state = S_CHUNK_SIZE;
        s->line_len = 0;
        return;
    }
    if (s->content_length) {
        s->remaining = s->content_length;
        s->state = S_BODY;
        return;
    }
    request_done(s);
}

unsigned screen_feed(struct screen *s, const char *data, size_t len, int64_t now_ms, size_t *good)
{
    *good = 0;
    if (s->verdict)
        return s->verdict;
    size_t begun = screen_idle(s) ? 0 : (size_t)-1; /* where the current request began */
    unsigned bad = late(s, now_ms, len);
    const unsigned char *p = (const unsigned char *)data;
    for (size_t i = 0; i < len && !bad; i++) {
        unsigned char c = p[i];
        if (s->state <= S_HEAD_END_CR || s->in_trailers) {
            if (s->state == S_START && s->head_len == 0)
                s->head_started_ms = now_ms ? now_ms : 1;
            if (++s->head_len > SCREEN_MAX_HEAD) {
                bad = 431;
                break;
            }
        }
        switch (s->state) {
        case S_START:
            if (c == '\r') {
                s->state = S_START_CR;
            } else if (tchar(c)) {
                s->state = S_METHOD;
                s->line_len = 1;
            } else {
                bad = 400;
            }
            break;
        case S_START_CR:
            if (c != '\n' || ++s->blank_lines > SCREEN_MAX_BLANK_LINES)
                bad = 400;
            else
                s->state = S_START;
            break;
        case S_METHOD:
            if (++s->line_len > SCREEN_MAX_LINE) {
                bad = 414;
            } else if (c == ' ') {
                s->state = S_TARGET;
                s->part_len = 0;
            } else if (!tchar(c)) {
                bad = 400; /* "GARBAGE\r\n", a method with a control character… */
            }
            break;
        case S_TARGET:
            if (++s->line_len > SCREEN_MAX_LINE)
                bad = 414;
            else if (c == ' ' && s->part_len == 0)
                bad = 400; /* "GET  /": two spaces */
            else if (c == ' ')
                s->state = S_VERSION;
            else if (c < 0x21 || c >= 0x7f)
                bad = 400;
            else
                s->part_len++;
            break;
        case S_VERSION:
            if (c == '\r') { /* the line's CRLF is not part of it (RFC 9112 3) */
                s->version[s->version_len < sizeof s->version ? s->version_len : 0] = '\0';
                bad = version_done(s);
                s->state = S_LINE_CR;
            } else if (++s->line_len > SCREEN_MAX_LINE) {
                bad = 414;
            } else if (c <= 0x20 || c >= 0x7f) {
                bad = 400;
            } else if (s->version_len < sizeof s->version - 1) {
                s->version[s->version_len++] = (char)c;
            } else {
                s->version_len = sizeof s->version; /* too long to be a version */
            }
            break;
        case S_LINE_CR:
            if (c != '\n') {
                bad = 400;
            } else {
                s->state = S_HEADER_START;
                s->line_len = 0;
            }
            break;
        case S_HEADER_START:
            s->line_len = 1;
            s->name_len = 0;
            s->value_len = 0;
            s->value_overflow = 0;
            if (c == '\r') {
                s->state = S_HEAD_END_CR;
            } else if (tchar(c)) {
                s->name[s->name_len++] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
                s->state = S_NAME;
            } else {
                bad = 400; /* obs-fold (a line that begins with white space), a bare LF… */
            }
            break;
        case S_NAME:
            if (++s->line_len > SCREEN_MAX_LINE) {
                bad = 431;
            } else if (c == ':') {
                s->state = S_VALUE;
            } else if (!tchar(c)) {
                bad = 400; /* white space before the colon or inside the name, a control… */
            } else if (s->name_len < sizeof s->name) {
                s->name[s->name_len++] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
            } else {
                s->name_len = sizeof s->name + 1; /* longer than any name we interpret */
            }
            break;
        case S_VALUE:
            if (c == '\r') {
                s->state = S_VALUE_CR;
            } else if (++s->line_len > SCREEN_MAX_LINE) {
                bad = 431;
            } else if (!value_char(c)) {
                bad = 400; /* NUL, a bare LF, another control character */
            } else if (s->value_len == 0 && (c == ' ' || c == '\t')) {
                /* leading white space is not part of the value */
            } else if (s->value_len < sizeof s->value - 1) {
                s->value[s->value_len++] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
            } else {
                s->value_overflow = 1;
            }
            break;
        case S_VALUE_CR:
            if (c != '\n') {
                bad = 400;
            } else {
                bad = header_done(s);
                s->state = S_HEADER_START;
            }
            break;
        case S_HEAD_END_CR:
            if (c != '\n') {
                bad = 400;
                break;
            }
            if (!s->in_trailers && (bad = head_done(s)) != 0)
                break;
            begin_body(s, now_ms);
            if (s->state == S_START)
                begun = i + 1; /* a request without a body: the next begins here */
            break;
        case S_BODY: {
            size_t take = len - i < s->remaining ? len - i : (size_t)s->remaining;
            s->remaining -= take;
            s->body_received += take;
            i += take - 1;
            if (s->remaining == 0) {
                request_done(s);
                begun = i + 1;
            }
            break;
        }
        case S_CHUNK_SIZE: {
            int h = hex_value(c);
            s->line_len++;
            if (h >= 0) {
                if (++s->hex_digits > MAX_HEX_DIGITS)
                    bad = 400;
                s->remaining = s->remaining * 16 + (uint64_t)h;
            } else if (s->hex_digits == 0) {
                bad = 400;
            } else if (c == ';') {
                s->state = S_CHUNK_EXT;
            } else if (c == '\r') {
                s->state = S_CHUNK_SIZE_CR;
            } else {
                bad = 400;
            }
            break;
        }
        case S_CHUNK_EXT:
            if (c == '\r')
                s->state = S_CHUNK_SIZE_CR;
            else if (++s->line_len > SCREEN_MAX_LINE)
                bad = 400;
            else if (!value_char(c))
                bad = 400;
            break;
        case S_CHUNK_SIZE_CR:
            if (c != '\n') {
                bad = 400;
            } else if (s->remaining == 0) { /* the last chunk: trailers follow */
                s->in_trailers = 1;
                s->state = S_HEADER_START;
                s->hex_digits = 0;
            } else {
                s->state = S_CHUNK_DATA;
            }
            break;
        case S_CHUNK_DATA: {
            size_t take = len - i < s->remaining ? len - i : (size_t)s->remaining;
            s->remaining -= take;
            s->body_received += take;
            i += take - 1;
            if (s->remaining == 0)
                s->state = S_CHUNK_DATA_CR;
            break;
        }
        case S_CHUNK_DATA_CR:
            if (c != '\r')
                bad = 400;
            else
                s->state = S_CHUNK_DATA_LF;
            break;
        case S_CHUNK_DATA_LF:
            if (c != '\n') {
                bad = 400;
            } else {
                s->state = S_CHUNK_SIZE;
                s->hex_digits = 0;
                s->line_len = 0;
            }
            break;
        }
    }
    if (bad) {
        s->verdict = bad;
        *good = begun == (size_t)-1 ? 0 : begun;
    }
    return bad;
}
