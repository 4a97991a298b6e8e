/*
 * screen.h: request screening. Every byte a client sends passes through a screen before
 * libmicrohttpd parses it (screen_io.h says how): the framing of each request on the connection
 * (request line, header block, body by Content-Length or chunks, trailers, the next request…) is
 * checked against RFC 9112, strictly, so that Broadsheet and any proxy in front of it can never
 * disagree about where a request ends:
 *
 *   - the request line is METHOD SP TARGET SP HTTP/x.y, a token method, a target of visible
 *     ASCII; HTTP/1.0 and 1.1 only (505 for another version);
 *   - every line ends with CRLF; a bare CR or a bare LF, an obs-fold continuation line,
 *     whitespace before a header's colon or inside its name, a name that is not a token, and a
 *     NUL or other control character in a value are refused (400);
 *   - Content-Length is one header of digits; Transfer-Encoding is one header whose value is
 *     exactly "chunked" (a coding we do not know: 501; chunked not last: 400); never both;
 *     HTTP/1.1 has exactly one Host, and an HTTP/1.0 request no Transfer-Encoding;
 *   - a request line over SCREEN_MAX_LINE bytes is 414, a header line over it or a head over
 *     SCREEN_MAX_HEAD bytes 431;
 *   - chunked bodies: hex sizes without overflow, chunk extensions of visible characters,
 *     CRLF after each chunk, trailers screened as headers;
 *   - time: a request's head must be complete within head_deadline_ms of its first byte, and a
 *     body must average at least body_min_rate bytes a second once it has had as long as a
 *     head may take (408).
 *
 * The screen is a byte-at-a-time state machine: it holds no buffer, allocates nothing, and
 * takes bytes in whatever pieces they arrive.
 */
#ifndef BROADSHEET_SCREEN_H
#define BROADSHEET_SCREEN_H

#include <stddef.h>
#include <stdint.h>

#define SCREEN_MAX_LINE 8192     /* bytes of one request, header or chunk line, without CRLF */
#define SCREEN_MAX_HEAD 16384    /* bytes of a whole head (request line and headers) */
#define SCREEN_MAX_BLANK_LINES 8 /* empty lines tolerated before a request line (RFC 9112 2.2) */

/* The limits a screen applies in time (config: header_timeout, body_min_rate). */
struct screen_limits {
    int64_t head_deadline_ms; /* a head's first byte to its last; 0: no limit */
    uint64_t body_min_rate;   /* bytes per second a body averages, judged from head_deadline_ms
                                 after it starts; 0: no limit */
};

struct screen {
    struct screen_limits limits;
    int state;        /* where in a request the next byte falls (screen.c) */
    unsigned verdict; /* the status refusing this connection, once one is found */
    size_t line_len;  /* bytes of the current line */
    size_t head_len;  /* bytes of the current request's head */
    int blank_lines;  /* empty lines before this request line */
    size_t part_len;  /* bytes of the request target so far */
    char version[10]; /* the request line's last token, as far as it fits */
    size_t version_len;
    char name[24]; /* the current header's name, as far as it fits (lowercased) */
    size_t name_len;
    char value[24]; /* the current value of a header we interpret, trimmed, as far as it fits */
    size_t value_len;
    int value_overflow; /* the value did not fit in value */
    int hosts, lengths, encodings;
    int chunked;     /* Transfer-Encoding: chunked */
    int in_trailers; /* the header lines being read are a chunked body's trailers */
    uint64_t content_length;
    uint64_t remaining; /* body bytes (or chunk bytes) still to come */
    int hex_digits;     /* digits of the chunk size so far */
    int64_t head_started_ms;
    int64_t body_started_ms;
    uint64_t body_received;
};

/* A fresh screen at the start of a connection. */
void screen_init(struct screen *s, const struct screen_limits *limits);

/* Takes data[0..len), received at now_ms (a monotonic clock). Returns 0 when every byte so far
 * is acceptable; otherwise the status to refuse the connection with (400, 408, 414, 431, 501,
 * 505), which every later call also returns. Then *good is how many bytes of data come before
 * the refused request (complete earlier requests that may still be answered: pipelining), 0
 * when the refused request began in an earlier call. */
unsigned screen_feed(struct screen *s, const char *data, size_t len, int64_t now_ms, size_t *good);

/* 1 when the screen is between requests (nothing of a next request has arrived). */
int screen_idle(const struct screen *s);

#endif
