/*
 * req.c: request helpers: strict percent-decoding, query and header access, content
 * negotiation and entity-tag matching. See req.h.
 */
#include "req.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "app.h"
#include "cidr.h"
#include "util.h"

/* The value of hex digit c, or -1. */
static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int req_decode(struct arena *a, const char *in, size_t len, int plus_is_space, char **out)
{
    char *dst = arena_alloc(a, len + 1);
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)in[i];
        if (c == '%') {
            if (len - i < 3) /* truncated escape */
                return -1;
            int hi = hex_value(in[i + 1]), lo = hex_value(in[i + 2]);
            if (hi < 0 || lo < 0)
                return -1;
            c = (unsigned char)(hi * 16 + lo);
            i += 2;
        } else if (c == '+' && plus_is_space) {
            c = ' ';
        } else if (c >= 0x80) {
            return -1; /* raw non-ASCII bytes are not allowed in a request target */
        }
        if (c < 0x20 || c == 0x7f)
            return -1;
        dst[n++] = (char)c;
    }
    dst[n] = '\0';
    if (!util_utf8_valid(dst, n))
        return -1;
    for (size_t i = 0; i + 1 < n; i++) /* C1 controls, U+0080..U+009F */
        if ((unsigned char)dst[i] == 0xC2 && (unsigned char)dst[i + 1] < 0xA0)
            return -1;
    *out = dst;
    return 0;
}

const char *req_query(struct req *r, const char *name)
{
    const char *raw = MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, name);
    if (!raw)
        return NULL;
    char *value;
    if (req_decode(r->arena, raw, strlen(raw), 1, &value) < 0)
        return NULL;
    return value;
}

const char *req_header(struct req *r, const char *name)
{
    return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

/* Skips spaces and tabs. */
static const char *skip_space(const char *p)
{
    while (*p == ' ' || *p == '\t')
        p++;
    return p;
}

int req_accepts_gzip(const char *value)
{
    if (!value)
        return 0;
    /* RFC 9110, 12.5.3: an explicit "gzip" entry decides; "*" covers gzip only when gzip is
     * not listed. -1: not mentioned, 0: refused (q=0), 1: acceptable. */
    int gzip = -1, star = -1;
    const char *p = value;
    while (*p) {
        p = skip_space(p);
        const char *token = p;
        while (*p && *p != ',' && *p != ';' && *p != ' ' && *p != '\t')
            p++;
        size_t token_len = (size_t)(p - token);
        int acceptable = 1;
        /* parameters: only q matters */
        while (*p && *p != ',') {
            p = skip_space(p);
            if (*p == ';') {
                p = skip_space(p + 1);
                if ((p[0] == 'q' || p[0] == 'Q') && p[1] == '=') {
                    p += 2;
                    /* q=0, q=0.0, q=0.000 mean "not acceptable" */
                    const char *q = p;
                    int zero = (*q == '0');
                    if (zero) {
                        q++;
                        if (*q == '.') {
                            q++;
                            while (*q == '0')
                                q++;
                        }
                        zero = (*q == '\0' || *q == ',' || *q == ';' || *q == ' ' || *q == '\t');
                    }
                    if (zero)
                        acceptable = 0;
                }
            }
            while (*p && *p != ',' && *p != ';')
                p++;
        }
        if (token_len == 4 && !strncasecmp(token, "gzip", 4))
            gzip = acceptable;
        else if (token_len == 1 && token[0] == '*')
            star = acceptable;
        if (*p == ',')
            p++;
    }
    return gzip >= 0 ? gzip : star == 1;
}

int req_etag_matches(const char *value, const char *etag)
{
    if (!value || !etag)
        return 0;
    size_t etag_len = strlen(etag);
    const char *p = value;
    while (*p) {
        p = skip_space(p);
        if (*p == '*')
            return 1;
        if (p[0] == 'W' && p[1] == '/')
            p += 2;
        const char *start = p;
        if (*p == '"') {
            p++;
            while (*p && *p != '"')
                p++;
            if (*p == '"')
                p++;
        } else {
            while (*p && *p != ',' && *p != ' ')
                p++;
        }
        if ((size_t)(p - start) == etag_len && !memcmp(start, etag, etag_len))
            return 1;
        while (*p && *p != ',')
            p++;
        if (*p == ',')
            p++;
    }
    return 0;
}

enum method req_method_parse(const char *name)
{
    static const struct {
        const char *name;
        enum method method;
    } methods[] = {
        {"GET", METHOD_GET},     {"HEAD", METHOD_HEAD},     {"POST", METHOD_POST},
        {"PUT", METHOD_PUT},     {"DELETE", METHOD_DELETE}, {"OPTIONS", METHOD_OPTIONS},
        {"PATCH", METHOD_PATCH}, {"TRACE", METHOD_OTHER},   {"CONNECT", METHOD_OTHER},
    };
    for (size_t i = 0; i < ARRAY_LEN(methods); i++)
        if (!strcmp(name, methods[i].name))
            return methods[i].method;
    return METHOD_UNKNOWN;
}

const struct form_field *req_form_field(struct req *r, const char *name)
{
    const struct form_field *found = NULL;
    for (const struct form_field *f = r->form; f; f = f->next) /* newest first: keep the last */
        if (!strcmp(f->name, name))
            found = f;
    return found;
}

const char *req_form(struct req *r, const char *name)
{
    const struct form_field *f = req_form_field(r, name);
    return f ? f->value : NULL;
}

const char *req_cookie(struct req *r, const char *name)
{
    return MHD_lookup_connection_value(r->conn, MHD_COOKIE_KIND, name);
}

/* The address of the connection's peer, as text. */
static void peer_ip(struct req *r, char *out, size_t size)
{
    snprintf(out, size, "-");
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(r->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    if (!info || !info->client_addr)
        return;
    const struct sockaddr *sa = info->client_addr;
    if (sa->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, out,
                  (socklen_t)size);
    else if (sa->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, out,
                  (socklen_t)size);
}

/* The X-Forwarded-For lines of a request, joined as they arrive (join_forwarded). */
struct forwarded {
    struct arena *arena;
    const char *joined; /* NULL until the first line */
};

/* libmicrohttpd's header iterator: appends value to the list when key is X-Forwarded-For, in
 * any case (header names are case-insensitive). */
static enum MHD_Result join_forwarded(void *cls, enum MHD_ValueKind kind, const char *key,
                                      const char *value)
{
    struct forwarded *f = cls;
    (void)kind;
    if (!key || strcasecmp(key, "X-Forwarded-For") != 0)
        return MHD_YES;
    if (!value)
        value = "";
    f->joined = f->joined ? arena_printf(f->arena, "%s, %s", f->joined, value) : value;
    return MHD_YES;
}

void req_client_ip(struct req *r, char *out, size_t size)
{
    char peer[64];
    peer_ip(r, peer, sizeof peer);
    if (!r->app || !r->app->trusted_proxy_count) {
        snprintf(out, size, "%s", peer);
        return;
    }
    /* X-Forwarded-For counts only from a configured proxy (cidr.h says how the hops are read).
     * A proxy may append a line of its own rather than extend the client's (RFC 9110 makes the
     * two the same list), so every line counts, in order: libmicrohttpd's lookup gives only the
     * first, which is the one the client wrote (issue 8, finding 2). The head is at most 16 KiB
     * (screen.c), so the joined list is too. */
    struct forwarded f = {.arena = r->arena};
    MHD_get_connection_values(r->conn, MHD_HEADER_KIND, join_forwarded, &f);
    cidr_client_ip(peer, f.joined, r->app->trusted_proxies, r->app->trusted_proxy_count, out, size);
}
