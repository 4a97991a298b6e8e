/*
 * people.c: the checks of people.h. Pure functions of their arguments.
 */
#include <string.h>
#include <strings.h>

#include "account.h"
#include "people.h"
#include "slug.h"
#include "util.h"

const char *people_name_problem(const char *name)
{
    if (!name || !*name)
        return "Enter the name.";
    return account_name_problem(name); /* the rule of every name the site's forms take */
}

const char *people_slug_problem(const char *slug)
{
    if (!slug || !*slug)
        return "Enter a slug, or a name with letters or digits to make it from.";
    if (strlen(slug) > PEOPLE_SLUG_MAX)
        return "Use at most 80 characters.";
    if (!slug_valid(slug, PEOPLE_SLUG_MAX))
        return "Use lowercase letters a-z and digits, joined by single hyphens (\"jane-doe\").";
    return NULL;
}

const char *people_bio_problem(const char *bio)
{
    if (!bio)
        return NULL;
    size_t len = strlen(bio);
    if (len > PEOPLE_BIO_MAX)
        return "Use at most 5,000 characters.";
    if (!util_utf8_valid(bio, len))
        return "Use text only (the bio is not valid UTF-8).";
    return NULL;
}

/* 1 if link[0..len) is an http(s) URL with a host, printable ASCII without spaces. */
static int link_valid(const char *link, size_t len)
{
    size_t scheme;
    if (len > 7 && !strncasecmp(link, "http://", 7))
        scheme = 7;
    else if (len > 8 && !strncasecmp(link, "https://", 8))
        scheme = 8;
    else
        return 0;
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)link[i] <= 0x20 || (unsigned char)link[i] >= 0x7F)
            return 0;
    /* a host: something before the first '/', '?' or '#' after the scheme, not starting '@' */
    size_t host = 0;
    while (scheme + host < len && !strchr("/?#", link[scheme + host]))
        host++;
    return host > 0 && link[scheme] != '@' && link[scheme] != ':';
}

const char *people_links_check(struct arena *a, const char *text, const char **clean)
{
    size_t total = text ? strlen(text) : 0;
    if (total && !util_utf8_valid(text, total))
        return "Use web addresses only (the links are not valid UTF-8).";
    char *out = arena_alloc(a, total + 1);
    size_t n = 0;
    int count = 0, line = 0;
    for (const char *p = text ? text : ""; *p;) {
        size_t len = strcspn(p, "\n");
        const char *next = p[len] ? p + len + 1 : p + len;
        line++;
        while (len && (*p == ' ' || *p == '\t' || *p == '\r')) {
            p++;
            len--;
        }
        while (len && (p[len - 1] == ' ' || p[len - 1] == '\t' || p[len - 1] == '\r'))
            len--;
        if (len) {
            if (len > PEOPLE_LINK_MAX)
                return arena_printf(a, "Line %d is too long: use at most %d characters a link.",
                                    line, PEOPLE_LINK_MAX);
            if (!link_valid(p, len))
                return arena_printf(a,
                                    "Line %d is not a web address: each line must be one link "
                                    "starting http:// or https://.",
                                    line);
            if (++count > PEOPLE_LINKS_MAX)
                return arena_printf(a, "List at most %d links.", PEOPLE_LINKS_MAX);
            if (n)
                out[n++] = '\n';
            memcpy(out + n, p, len);
            n += len;
        }
        p = next;
    }
    out[n] = '\0';
    *clean = out;
    return NULL;
}
