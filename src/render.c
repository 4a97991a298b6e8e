/*
 * render.c: template contexts and rendering. See render.h.
 */
#include "render.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "app.h"
#include "assets.h"
#include "tmpl.h"
#include "util.h"

void render_dates(int64_t when, char *iso, size_t iso_size, char *display, size_t display_size)
{
    time_t t = (time_t)when;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(iso, iso_size, "%Y-%m-%dT%H:%M:%SZ", &tm);
    strftime(display, display_size, "%B %-d, %Y", &tm);
}

void render_time(int64_t when, char *out, size_t size)
{
    time_t t = (time_t)when;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, size, "%B %-d, %Y, %H:%M UTC", &tm);
}

const char *render_when(struct arena *a, int64_t t)
{
    if (!t)
        return "";
    char out[64];
    render_time(t, out, sizeof out);
    return arena_strdup(a, out);
}

json_t *render_publication(const struct publication *p)
{
    char url[300];
    snprintf(url, sizeof url, "/publications/%s", p->slug);
    return render_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:b, s:b}", "name", p->name,
                       "slug", p->slug, "url", url, "description", p->description, "producer",
                       p->producer, "partner", p->partner, "partner_short", p->partner_short,
                       "partner_url", p->partner_url, "partner_description", p->partner_description,
                       "is_host", p->is_host, "syndicated",
                       !p->is_host && *p->partner && *p->producer);
}

json_t *render_card(const struct article *a)
{
    char iso[32], display[64], url[300], section_url[300];
    render_dates(a->published_at, iso, sizeof iso, display, sizeof display);
    snprintf(url, sizeof url, "/articles/%s", a->slug);
    snprintf(section_url, sizeof section_url, "/sections/%s", a->section.slug);
    return render_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:{s:s, s:s}, s:o}", "headline",
                       a->headline, "dek", a->dek, "url", url, "slug", a->slug, "byline", a->byline,
                       "published_iso", iso, "published_display", display, "section", "name",
                       a->section.name, "url", section_url, "publication",
                       render_publication(&a->publication));
}

json_t *render_cards(const struct article *list, size_t n)
{
    json_t *cards = json_array();
    for (size_t i = 0; i < n; i++)
        cards = render_append(cards, render_card(&list[i]));
    return cards;
}

/* The browsers the outdated-browser notice knows: the key its script matches a User-Agent to
 * (and the configuration names), the name shown, and the vendor's download page. */
static const struct known_browser {
    const char *key, *name, *url;
} known_browsers[] = {
    {"chrome", "Chrome", "https://www.google.com/chrome/"},
    {"edge", "Edge", "https://www.microsoft.com/edge"},
    {"firefox", "Firefox", "https://www.mozilla.org/firefox/new/"},
    {"safari", "Safari", "https://www.apple.com/safari/"},
};

/* The list of supported_browsers ("chrome 131, edge 131, firefox 133, safari 18") as
 * [{key, name, version, url}], in the configured order. An entry other than a known name and a
 * whole version from 1 to 9999 (each separated by blanks) is skipped, as is a second entry for
 * the same browser. */
static json_t *render_browsers(const char *spec)
{
    json_t *list = json_array();
    int seen[sizeof known_browsers / sizeof known_browsers[0]] = {0};
    const char *p = spec ? spec : "";
    while (*p) {
        size_t len = strcspn(p, ",");
        char entry[64], name[32];
        long version = 0;
        if (len < sizeof entry) {
            memcpy(entry, p, len);
            entry[len] = '\0';
            char *s = entry;
            while (isspace((unsigned char)*s))
                s++;
            size_t n = 0;
            while (s[n] && !isspace((unsigned char)s[n]) && n + 1 < sizeof name) {
                name[n] = s[n];
                n++;
            }
            name[n] = '\0';
            char *v = s + n, *end = v;
            if (isspace((unsigned char)*v)) {
                while (isspace((unsigned char)*v))
                    v++;
                if (isdigit((unsigned char)*v))
                    version = strtol(v, &end, 10);
                while (isspace((unsigned char)*end))
                    end++;
                if (*end)
                    version = 0; /* trailing junk ("120x", "120 beta") */
            }
        } else {
            entry[0] = name[0] = '\0';
        }
        for (size_t i = 0; version >= 1 && version <= 9999 && i < sizeof seen / sizeof seen[0];
             i++) {
            if (!strcasecmp(name, known_browsers[i].key) && !seen[i]) {
                seen[i] = 1;
                list = render_append(
                    list, render_pack("{s:s, s:s, s:I, s:s}", "key", known_browsers[i].key, "name",
                                      known_browsers[i].name, "version", (json_int_t)version, "url",
                                      known_browsers[i].url));
            }
        }
        p += len;
        if (*p == ',')
            p++;
    }
    return list;
}

/* 1 if the comma-separated list s names anything (not only blanks and commas). */
static int has_names(const char *s)
{
    for (; s && *s; s++)
        if (!isspace((unsigned char)*s) && *s != ',')
            return 1;
    return 0;
}

json_t *render_context(struct req *r, const char *kind, const char *title, const char *description,
                       const char *path, const struct render_current *current)
{
    struct app *app = r->app;
    json_t *ctx = json_object();

    /* Navigation: sections, then publications; the host publication names the site. */
    const char *site_name = app->config->site_name;
    const char *site_description = "";
    json_t *nav = json_array(), *pubs = json_array();
    render_depends(r, "nav");
    struct section *sections;
    size_t n;
    if (store_sections(app->store, r->arena, &sections, &n) == STORE_OK) {
        for (size_t i = 0; i < n; i++) {
            char url[300];
            snprintf(url, sizeof url, "/sections/%s", sections[i].slug);
            int is_current = current && current->section_slug &&
                             !strcmp(current->section_slug, sections[i].slug);
            nav = render_append(nav, render_pack("{s:s, s:s, s:s, s:b}", "name", sections[i].name,
                                                 "slug", sections[i].slug, "url", url, "current",
                                                 is_current));
        }
    }
    struct publication *publications;
    if (store_publications(app->store, r->arena, &publications, &n) == STORE_OK) {
        for (size_t i = 0; i < n; i++) {
            if (publications[i].is_host) {
                site_name = publications[i].name;
                site_description = publications[i].description;
            }
            char url[300];
            snprintf(url, sizeof url, "/publications/%s", publications[i].slug);
            int is_current = current && current->publication_slug &&
                             !strcmp(current->publication_slug, publications[i].slug);
            pubs = render_append(
                pubs, render_pack("{s:s, s:s, s:s, s:b}", "name", publications[i].name, "slug",
                                  publications[i].slug, "url", url, "current", is_current));
        }
    }
    ctx = render_set(ctx, "nav", nav);
    ctx = render_set(ctx, "publications", pubs);

    ctx = render_set(
        ctx, "site",
        render_pack("{s:s, s:s}", "name", site_name, "url", app->site_url ? app->site_url : ""));
    const char *css = assets_url(app->assets, "site.css");
    const char *js = assets_url(app->assets, "site.js");
    const char *ads_js = assets_url(app->assets, "ads.js");
    const char *notice_js = assets_url(app->assets, "browser-notice.js");
    ctx = render_set(ctx, "assets",
                     render_pack("{s:s, s:s, s:s, s:s}", "css", css ? css : "", "js", js ? js : "",
                                 "ads", ads_js ? ads_js : "", "browser_notice",
                                 notice_js ? notice_js : ""));

    /* Advertising: what static/ads.js needs to ask /ads/slots for this page's creatives. The
     * same for every reader (pages are cached); the server picks the creatives per reader.
     * publication and section are the current page's, for targeting ("" when none: the
     * article page writes its publication from article.publication.slug). */
    const struct config *cfg = app->config;
    ctx = render_set(
        ctx, "ads",
        render_pack("{s:b, s:s, s:i, s:s, s:s}", "enabled", has_names(cfg->ad_placements),
                    "placements", cfg->ad_placements ? cfg->ad_placements : "", "in_article_after",
                    cfg->ad_in_article_after, "publication",
                    current && current->publication_slug ? current->publication_slug : "",
                    "section", current && current->section_slug ? current->section_slug : ""));

    /* The outdated-browser notice: the same for every reader; static/browser-notice.js decides
     * in the browser whether to show it. */
    ctx = render_set(ctx, "browser_notice",
                     render_pack("{s:s, s:o}", "site_name", site_name, "browsers",
                                 render_browsers(cfg->supported_browsers)));

    /* In the arena, not a fixed buffer: a headline may have 300 characters (up to 1,200 bytes),
     * and text cut inside a character is not UTF-8, which render_pack refuses (a 500). */
    const char *full_title =
        title ? arena_printf(r->arena, "%s | %s", title, site_name) : site_name;
    json_t *page = render_pack("{s:s, s:s, s:s}", "title", full_title, "description",
                               description ? description : site_description, "kind", kind);
    if (path) /* a page without a path of its own (an error page) has no canonical link */
        page = render_set(page, "canonical",
                          json_string(arena_printf(r->arena, "%s%s", app->site_url, path)));
    ctx = render_set(ctx, "page", page);
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    ctx = render_set(ctx, "year", json_integer(tm.tm_year + 1900));
    return ctx;
}

unsigned render_page(struct req *r, const char *name, json_t *ctx, struct buf *out)
{
    if (!ctx) { /* the part that failed was logged by render_pack */
        fprintf(stderr, "broadsheet: page '%s': its template context could not be built\n", name);
        return 500;
    }
    int rc = tmpl_render(r->app->templates, name, ctx, out);
    json_decref(ctx);
    if (rc < 0) {
        /* The other failure, a render past tmpl.c's caps, has been logged by tmpl_render. */
        if (!tmpl_set_has(r->app->templates, name))
            fprintf(stderr, "broadsheet: the theme has no template '%s'\n", name);
        return 500;
    }
    return 200;
}

json_t *render_pack(const char *fmt, ...)
{
    json_error_t error;
    va_list ap;
    va_start(ap, fmt);
    json_t *value = json_vpack_ex(&error, 0, fmt, ap);
    va_end(ap);
    if (!value) /* the reason and the format, never the value (it may be a reader's) */
        fprintf(stderr, "broadsheet: template context: %s (building %s)\n", error.text, fmt);
    return value;
}

json_t *render_set(json_t *object, const char *key, json_t *value)
{
    if (!object || !value) {
        json_decref(object);
        json_decref(value);
        return NULL;
    }
    if (json_object_set_new(object, key, value) != 0) { /* it took value either way */
        json_decref(object);
        return NULL;
    }
    return object;
}

json_t *render_append(json_t *array, json_t *value)
{
    if (!array || !value) {
        json_decref(array);
        json_decref(value);
        return NULL;
    }
    if (json_array_append_new(array, value) != 0) { /* it took value either way */
        json_decref(array);
        return NULL;
    }
    return array;
}

json_t *render_prune_empty(json_t *obj)
{
    const char *key;
    json_t *value;
    void *tmp;
    json_object_foreach_safe(obj, tmp, key, value)
    {
        if (json_is_string(value) && json_string_length(value) == 0)
            json_object_del(obj, key);
    }
    return obj;
}

void render_depends(struct req *r, const char *fmt, ...)
{
    char tag[128];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tag, sizeof tag, fmt, ap);
    va_end(ap);
    if (n <= 0 || (size_t)n >= sizeof tag) {
        r->deps_full = 1;
        return;
    }
    /* already there? tags are separated by single spaces */
    for (const char *p = r->deps; (p = strstr(p, tag)) != NULL; p++)
        if ((p == r->deps || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0'))
            return;
    size_t need = (r->deps_len ? 1 : 0) + (size_t)n + 1;
    if (r->deps_len + need > sizeof r->deps) {
        r->deps_full = 1;
        return;
    }
    if (r->deps_len)
        r->deps[r->deps_len++] = ' ';
    memcpy(r->deps + r->deps_len, tag, (size_t)n + 1);
    r->deps_len += (size_t)n;
}
