/*
 * route.c: matching a path against the route table. See route.h.
 */
#include "route.h"

#include <stdio.h>
#include <string.h>

/* Matches path against pattern, storing ":name" segments in r->params. 1 on a match. */
static int match_pattern(const char *pattern, const char *path, struct req *r)
{
    int count = 0;
    const char *p = pattern, *s = path;
    while (*p && *s) {
        if (*p == ':') {
            const char *end = strchr(s, '/');
            size_t len = end ? (size_t)(end - s) : strlen(s);
            if (len == 0 || count == REQ_MAX_PARAMS)
                return 0;
            r->params[count++] = arena_strndup(r->arena, s, len);
            s += len;
            while (*p && *p != '/')
                p++;
            continue;
        }
        if (*p != *s)
            return 0;
        p++;
        s++;
    }
    if (*p || *s)
        return 0;
    r->param_count = count;
    return 1;
}

enum route_match_result route_match(const struct route *table, size_t count, struct req *r,
                                    const struct route **found, unsigned *allowed)
{
    *allowed = 0;
    for (size_t i = 0; i < count; i++) {
        if (!match_pattern(table[i].pattern, r->path, r))
            continue;
        if (table[i].methods & r->method) {
            *found = &table[i];
            return ROUTE_FOUND;
        }
        *allowed |= table[i].methods;
    }
    r->param_count = 0;
    return *allowed ? ROUTE_METHOD_NOT_ALLOWED : ROUTE_NOT_FOUND;
}

int route_table_check(const struct route *table, size_t count, FILE *err)
{
    int problems = 0;
    for (size_t i = 0; i < count; i++) {
        const struct route *rt = &table[i];
        if (!rt->render == !rt->handle) {
            fprintf(err, "route %s: needs exactly one of render and handle\n", rt->pattern);
            problems++;
        }
        if (!(rt->methods & METHOD_POST)) {
            if (rt->body != BODY_NONE) {
                fprintf(err, "route %s: takes a body but no POST\n", rt->pattern);
                problems++;
            }
            continue;
        }
        if (rt->render) {
            fprintf(err, "route %s: a cached page cannot take POST\n", rt->pattern);
            problems++;
        }
        if (rt->body == BODY_NONE) {
            fprintf(err, "route %s: takes POST but says no body kind\n", rt->pattern);
            problems++;
        }
        if (rt->csrf == CSRF_UNSAID) {
            fprintf(err, "route %s: takes POST but neither checks CSRF nor is exempt\n",
                    rt->pattern);
            problems++;
        } else if (rt->csrf == CSRF_EXEMPT &&
                   (!rt->csrf_exempt_why || strlen(rt->csrf_exempt_why) < 10)) {
            fprintf(err, "route %s: exempt from CSRF without a reason\n", rt->pattern);
            problems++;
        }
        if (rt->csrf == CSRF_CHECK && rt->body != BODY_FORM) {
            fprintf(err, "route %s: checks CSRF but takes no form to carry the token\n",
                    rt->pattern);
            problems++;
        }
    }
    return problems;
}

void route_allow_header(unsigned methods, char *out, size_t size)
{
    static const struct {
        unsigned bit;
        const char *name;
    } names[] = {{METHOD_GET, "GET"},        {METHOD_HEAD, "HEAD"},     {METHOD_POST, "POST"},
                 {METHOD_PUT, "PUT"},        {METHOD_DELETE, "DELETE"}, {METHOD_PATCH, "PATCH"},
                 {METHOD_OPTIONS, "OPTIONS"}};
    size_t n = 0;
    if (size == 0)
        return;
    out[0] = '\0';
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (!(methods & names[i].bit))
            continue;
        int w = snprintf(out + n, size - n, "%s%s", n ? ", " : "", names[i].name);
        if (w < 0 || (size_t)w >= size - n) {
            out[n] = '\0'; /* drop the name that did not fit whole */
            break;
        }
        n += (size_t)w;
    }
}
