/*
 * page_ads.c: /ads/…, the advertising endpoints. Pages stay cacheable because they carry no ad:
 * the theme's script asks /ads/slots which creatives this reader gets, shows them, and reports
 * what it showed with a beacon.
 *
 *   GET  /ads/slots?placements=…&publication=SLUG&section=SLUG
 *                          a creative per placement asked for, enabled (ad_placements) and
 *                          filled, as JSON, private and never stored: it is per reader (the
 *                          interstitial's frequency cap, ad-free subscribers) and random
 *   GET  /ads/image/ID     an image creative's file, under a CSP sandbox (an SVG opened on its
 *                          own runs no script)
 *   GET  /ads/frame/ID     an HTML creative's ad tag in a document of its own, sandboxed into an
 *                          opaque origin: it can run its script but cannot read the site's
 *                          cookies or touch the page that frames it
 *   POST /ads/impression/ID  the beacon: counts an impression (any body, or none), 204
 *   GET  /ads/click/ID     redirects to the creative's stored URL, only, and counts a click
 *                          when it is a reader's top-level navigation from our pages
 *
 * The interstitial's cap is a cookie holding when it was last shown (bs_ad_cap=UNIX TIME), for
 * ad_interstitial_cap_hours: no identifier, nothing on the server. Counting is ads.h's, in
 * memory until the server's next flush.
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "access.h"
#include "ads.h"
#include "app.h"
#include "pages.h"
#include "reader.h"
#include "respond.h"
#include "util.h"

#define CAP_COOKIE "bs_ad_cap"
#define CAP_FUTURE_SLACK 60 /* a cap time this far ahead of our clock still counts (skew) */
#define SLUG_MAX 200        /* longer publication or section values match nothing anyway */

/* An image may be opened on its own (a new tab): nothing in it may run or load. */
#define IMAGE_CSP "default-src 'none'; style-src 'unsafe-inline'; sandbox"
/* The ad tag runs in an opaque origin (no allow-same-origin), may open the advertiser's page,
 * and may be framed by this site only. */
#define FRAME_CSP                                                                                  \
    "sandbox allow-scripts allow-popups allow-popups-to-escape-sandbox; frame-ancestors 'self'"

/* The creative named by the route's ID into *out. Returns 0, or the status to answer with (404
 * for a malformed or unknown id, 500 when the database fails). */
static unsigned find_creative(struct req *r, struct creative *out)
{
    int64_t id = util_parse_path_id(r->params[0]);
    if (!id)
        return 404;
    switch (store_creative_by_id(r->app->store, r->arena, id, out)) {
    case STORE_OK: return 0;
    case STORE_NOT_FOUND: return 404;
    default: return 500;
    }
}

/* ---- /ads/slots ------------------------------------------------------------------------------ */

/* 1 if the request's cap cookie says the interstitial was shown within the cap window: a time
 * in unix seconds, not older than the window and not in the future beyond a minute's skew. A
 * cookie that is not such a number caps nothing. */
static int interstitial_capped(struct req *r, int64_t now)
{
    const char *value = req_cookie(r, CAP_COOKIE);
    size_t n = value ? strlen(value) : 0;
    if (n == 0 || n > 15 || strspn(value, "0123456789") != n)
        return 0;
    int64_t shown = (int64_t)strtoll(value, NULL, 10);
    int64_t window = (int64_t)r->app->config->ad_interstitial_cap_hours * 3600;
    return shown <= now + CAP_FUTURE_SLACK && now - shown < window;
}

/* Starts the cap window now: a Set-Cookie on this response. */
static void set_cap_cookie(struct req *r, int64_t now)
{
    char value[24];
    snprintf(value, sizeof value, "%lld", (long long)now);
    respond_cookie(r, CAP_COOKIE, value, (int64_t)r->app->config->ad_interstitial_cap_hours * 3600);
}

/* 1 if the reader is spared ads: ad_free_subscribers is on and they are signed in with an
 * active subscription (read with their session, reader_load). */
static int reader_ad_free(struct req *r, int64_t now)
{
    return r->app->config->ad_free_subscribers && r->reader &&
           access_subscription_active(&r->reader->subscription, now);
}

/* A query value used for targeting: "" when absent or too long to be a slug. */
static const char *target(struct req *r, const char *name)
{
    const char *value = req_query(r, name);
    return value && strlen(value) <= SLUG_MAX ? value : "";
}

/* The JSON for creative k in placement (the contract the theme's ads.js reads), its members in
 * the contract's order: id, kind, image (or frame), width, height, alt (images), href (null
 * without a click-through URL), beacon, and seconds for the interstitial. */
static json_t *creative_json(struct req *r, const struct creative *k, const char *placement)
{
    long long id = (long long)k->id;
    int image = !strcmp(k->kind, "image");
    json_t *o = json_object();
    json_object_set_new(o, "id", json_integer((json_int_t)k->id));
    json_object_set_new(o, "kind", json_string(k->kind));
    json_object_set_new(
        o, image ? "image" : "frame",
        json_string(arena_printf(r->arena, "/ads/%s/%lld", image ? "image" : "frame", id)));
    json_object_set_new(o, "width", json_integer(k->width));
    json_object_set_new(o, "height", json_integer(k->height));
    if (image)
        json_object_set_new(o, "alt", json_string(k->alt));
    json_object_set_new(o, "href",
                        *k->click_url ? json_string(arena_printf(r->arena, "/ads/click/%lld", id))
                                      : json_null());
    json_object_set_new(o, "beacon",
                        json_string(arena_printf(r->arena, "/ads/impression/%lld", id)));
    if (!strcmp(placement, "interstitial"))
        json_object_set_new(o, "seconds", json_integer(r->app->config->ad_interstitial_seconds));
    return o;
}

enum MHD_Result page_ads_slots(struct req *r)
{
    const struct config *c = r->app->config;
    int64_t now = util_now();
    const char *wanted = req_query(r, "placements"); /* absent: every enabled placement */
    const char *publication = target(r, "publication"), *section = target(r, "section");
    json_t *ads = json_object();
    if (!reader_ad_free(r, now)) {
        for (size_t i = 0; i < ARRAY_LEN(ads_placements); i++) {
            const char *placement = ads_placements[i];
            if (!ads_list_has(c->ad_placements, placement) ||
                (wanted && !ads_list_has(wanted, placement)))
                continue;
            int interstitial = !strcmp(placement, "interstitial");
            if (interstitial && interstitial_capped(r, now))
                continue;
            struct creative k;
            int rc = ads_choose(r->app->store, r->arena, placement, publication, section, now, &k);
            if (rc == STORE_NOT_FOUND)
                continue;
            if (rc != STORE_OK) {
                json_decref(ads);
                return respond_error(r, 500);
            }
            json_object_set_new(ads, placement, creative_json(r, &k, placement));
            if (interstitial)
                set_cap_cookie(r, now);
        }
    }
    json_t *root = json_pack("{s:o}", "ads", ads);
    if (!root)
        return respond_error(r, 500);
    enum MHD_Result result = respond_json(r, MHD_HTTP_OK, root);
    json_decref(root);
    return result;
}

/* ---- /ads/image/ID and /ads/frame/ID ----------------------------------------------------------
 */

enum MHD_Result page_ads_image(struct req *r)
{
    struct creative k;
    unsigned status = find_creative(r, &k);
    if (status)
        return respond_error(r, status);
    /* The stored name is checked again before it touches the file system: only names
     * ads_store_image makes, so nothing in the database can point outside the uploads. */
    if (strcmp(k.kind, "image") != 0 || !ads_image_path_valid(k.image_path))
        return respond_error(r, 404);
    /* The name is the content's hash: a strong validator as it stands. */
    char etag[80];
    snprintf(etag, sizeof etag, "\"%.64s\"", k.image_path + 4);
    struct respond_options o = {
        .content_type = k.image_type, .cache_control = "public, max-age=86400", .csp = IMAGE_CSP};
    if (r->if_none_match && req_etag_matches(r->if_none_match, etag)) {
        respond_header(r, "ETag", etag);
        return respond_buffer(r, MHD_HTTP_NOT_MODIFIED, &o, "", 0);
    }
    const char *file = arena_printf(r->arena, "%s/%s", r->app->config->uploads, k.image_path);
    int fd = open(file, O_RDONLY | O_CLOEXEC);
    struct stat sb;
    if (fd < 0 || fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        fprintf(stderr, "broadsheet: ads: creative %lld: %s: %s\n", (long long)k.id, file,
                fd < 0 ? strerror(errno) : "not a file");
        if (fd >= 0)
            close(fd);
        return respond_error(r, 404);
    }
    /* libmicrohttpd sends from the descriptor and closes it. */
    respond_header(r, "ETag", etag);
    return respond_file(r, MHD_HTTP_OK, &o, fd, (uint64_t)sb.st_size);
}

enum MHD_Result page_ads_frame(struct req *r)
{
    struct creative k;
    unsigned status = find_creative(r, &k);
    if (status)
        return respond_error(r, status);
    if (strcmp(k.kind, "html") != 0)
        return respond_error(r, 404);
    /* The tag is the admin's markup, placed as it is: that is what an ad tag is. What keeps it
     * from the site is the sandbox (FRAME_CSP and the iframe's sandbox attribute), not escaping. */
    char *body = NULL;
    int len = asprintf(&body,
                       "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                       "<title>Advertisement</title><style>html,body{margin:0;padding:0;"
                       "overflow:hidden;background:transparent}</style></head>\n<body>\n%s\n"
                       "</body></html>\n",
                       k.html);
    if (len < 0)
        return respond_error(r, 500);
    struct respond_options o = {.cache_control = "no-cache", .csp = FRAME_CSP};
    enum MHD_Result result = respond_buffer(r, MHD_HTTP_OK, &o, body, (size_t)len);
    free(body);
    return result;
}

/* ---- counting: /ads/impression/ID and /ads/click/ID -------------------------------------------
 *
 * Both count at most ad_cap_impressions and ad_cap_clicks per client address (IPv6: /64) per
 * creative per UTC day (ads.h), and answer the same whether they counted or not: a client learns
 * nothing from probing the caps.
 */

/* 1 if the request is a reader following a link on one of this site's pages: a top-level
 * navigation (Sec-Fetch-Mode: navigate, Sec-Fetch-Dest: document) started by this site
 * (Sec-Fetch-Site: same-origin, or same-site for a sibling host). An <img>, fetch() or a frame
 * pointed at the click URL is no click, nor is another site opening it in a window (that is
 * another site's doing, not a reader's click on our ad).
 *
 * A request without Fetch Metadata is not counted either. Every browser the site supports sends
 * it (Chrome and Edge since 76/79, Firefox since 90, Safari since 16.4; the supported minimums,
 * config supported_browsers, are far above), so what comes without it is a browser older than
 * any supported one, which gets the outdated-browser notice, or no browser at all: scripts,
 * link checkers, mail scanners that follow every link. Counting those would let a bare GET from
 * anywhere (an <img> in an old browser included) add clicks, and would count scanners as
 * readers; not counting them loses only the clicks of unsupported browsers. Either way the
 * reader is redirected. */
static int top_level_navigation(struct req *r)
{
    const char *mode = req_header(r, "Sec-Fetch-Mode");
    const char *dest = req_header(r, "Sec-Fetch-Dest");
    const char *site = req_header(r, "Sec-Fetch-Site");
    return mode && dest && site && !strcmp(mode, "navigate") && !strcmp(dest, "document") &&
           (!strcmp(site, "same-origin") || !strcmp(site, "same-site"));
}

enum MHD_Result page_ads_impression(struct req *r)
{
    /* A beacon comes from our own pages; a cross-site page posting here only inflates counts. */
    const char *site = req_header(r, "Sec-Fetch-Site");
    if (site && !strcmp(site, "cross-site"))
        return respond_error(r, 403);
    struct creative k;
    unsigned status = find_creative(r, &k);
    if (status)
        return respond_error(r, status);
    char ip[64];
    req_client_ip(r, ip, sizeof ip);
    ads_count_impression(ip, k.id, util_now(), r->app->config->ad_cap_impressions);
    return respond_empty(r, MHD_HTTP_NO_CONTENT, NULL);
}

enum MHD_Result page_ads_click(struct req *r)
{
    struct creative k;
    unsigned status = find_creative(r, &k);
    if (status)
        return respond_error(r, status);
    /* The stored URL and nothing else, whatever the query says: no open redirect. It was
     * checked when added; checked again so a bad row can never become a header. */
    if (!ads_url_valid(k.click_url))
        return respond_error(r, 404);
    if (r->method == METHOD_GET && top_level_navigation(r)) {
        char ip[64];
        req_client_ip(r, ip, sizeof ip);
        ads_count_click(ip, k.id, util_now(), r->app->config->ad_cap_clicks);
    }
    return respond_redirect(r, MHD_HTTP_FOUND, k.click_url);
}
