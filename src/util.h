/*
 * util.h: the few helpers every module uses. Allocation failure aborts the process (as in
 * Redis): a server that cannot allocate a few bytes cannot do anything sensible, and aborting
 * keeps NULL checks out of every caller.
 */
#ifndef BROADSHEET_UTIL_H
#define BROADSHEET_UTIL_H

#include <stddef.h>
#include <stdint.h>

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* malloc/calloc/realloc/strdup that abort on failure; the caller owns the result. */
void *xmalloc(size_t size);
void *xcalloc(size_t count, size_t size);
void *xrealloc(void *ptr, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t len);

/* Reads the whole file at path into a NUL-terminated heap buffer the caller frees; stores the
 * length (without the NUL) in *len when len is not NULL. Returns NULL with errno set on error. */
char *util_read_file(const char *path, size_t *len);

/* 1 if s[0..len) is well-formed UTF-8 (no overlongs, no surrogates, nothing above U+10FFFF). */
int util_utf8_valid(const char *s, size_t len);

/* A copy of the NUL-terminated s (a heap string the caller frees) in which each byte that does
 * not start a well-formed UTF-8 sequence is replaced by U+FFFD: for showing stored text that was
 * written before it was validated (a name given to the command line). Valid text is copied as
 * it is. NULL gives "". */
char *util_utf8_repair(const char *s);

/* A row id typed in a URL or a form: the positive decimal number text is (digits only, at most
 * 18 of them, so it fits an int64_t), else 0 (also for NULL, "", "0" and anything with a sign,
 * a space or another character). */
int64_t util_parse_id(const char *text);
/* A row id in a URL's path: as util_parse_id, but without a leading zero ("/before/012" is 0),
 * so that each id has one path and one page in the cache. */
int64_t util_parse_path_id(const char *text);

/* What is wrong with url as an absolute http:// or https:// address of at most max bytes that
 * names a host, in printable ASCII without spaces, quotes, < > or backslashes (a link the site
 * prints or hands on): UTIL_URL_OK, UTIL_URL_SCHEME (not http or https), UTIL_URL_WHOLE (no
 * host, or longer than max), UTIL_URL_CHARACTER. Callers word the problem for their field. */
enum util_url_problem { UTIL_URL_OK, UTIL_URL_SCHEME, UTIL_URL_WHOLE, UTIL_URL_CHARACTER };
enum util_url_problem util_http_url_check(const char *url, size_t max);

/* Wall-clock seconds / milliseconds since the epoch; monotonic milliseconds. */
int64_t util_now(void);
int64_t util_now_ms(void);
int64_t util_monotonic_ms(void);

/* Splits a listen address, "HOST:PORT" or "[IPV6]:PORT", into host (without the brackets,
 * NUL-terminated, in hostlen bytes) and *port (0 to 65535; 0: any free port). The host is only
 * checked for shape, not resolved: not empty, no white space or control characters, no ':'
 * outside brackets (an IPv6 address must be bracketed, so that its last group is never taken
 * for the port), no brackets but around the whole host. Returns 0, or -1 when s is malformed
 * or the host does not fit. */
int util_host_port_parse(const char *s, char *host, size_t hostlen, int *port);

#endif
