/*
 * ads.h: advertising, apart from HTTP: which creative a slot gets, what an uploaded ad image is,
 * where its file goes, and the impression and click counters.
 *
 * Choosing: the store hands out the creatives of the campaigns running now for a placement and
 * matching the page's publication and section (store_creatives_eligible); ads_pick draws one
 * campaign among them with probability proportional to its weight (libsodium's
 * randombytes_uniform: no modulo bias), then one of that campaign's creatives uniformly, so a
 * campaign with two banners gets no more than its weight's share.
 *
 * Counting: impressions and clicks are added to a small in-memory table (creative, UTC day) under
 * a mutex, so a beacon costs no database write; ads_flush moves the table into ad_stats in one
 * transaction. The server calls it from app_tick (every fifth tick of APP_TICK_MS: half a
 * second, a no-op when nothing was counted) and once more at shutdown. Counts are aggregates:
 * nothing about the reader is kept. What a kill -9 (or a crash) loses is the counts not yet
 * flushed: those of the last half second, or more while the database refuses the write (they are
 * kept in memory and tried again each tick). A SIGTERM drains and flushes, and loses nothing.
 *
 * Capping: each client (its address; IPv6 by /64) counts at most a cap of impressions and of
 * clicks per creative per UTC day (config ad_cap_impressions, ad_cap_clicks), so no one can
 * inflate a creative's counts without limit from one address. The per-client counts are a
 * count-min sketch of fixed size (1 MiB, whatever the number of clients), keyed with a random
 * per-process key and cleared when the day changes: it never lets a client past its cap, and
 * errs, when very many clients share it, towards capping some early (ads.c says how many). It is
 * per process and in memory: a restart, or a second app node, gives a client a new allowance.
 *
 * Images: the type is told by the file's bytes (magic numbers, or an <svg> root element), never
 * by its name, and the file is copied under the uploads directory as ads/<BLAKE2b-256 hex>.<ext>,
 * so the same image uploaded twice is one file, and a stored name is never a client's.
 */
#ifndef BROADSHEET_ADS_H
#define BROADSHEET_ADS_H

#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "store.h"

#define ADS_IMAGE_MAX_BYTES (2 * 1024 * 1024) /* larger uploads are refused */
#define ADS_HTML_MAX_BYTES (64 * 1024)        /* an ad tag is a few lines */
#define ADS_URL_MAX 2048
#define ADS_DIMENSION_MAX 4096 /* widths and heights, pixels */

/* The placements, in the order the JSON endpoint and the documentation list them. */
extern const char *const ads_placements[4];

/* 1 if name is a placement ("interstitial", "leaderboard", "in-article", "sidebar"). */
int ads_placement_valid(const char *name);

/* 1 if the comma-separated list (config ad_placements, a query's placements=) names placement;
 * blanks around names are ignored. NULL names nothing. */
int ads_list_has(const char *list, const char *placement);

/* The usual size of a placement's creative (IAB: 728x90 leaderboard, 300x250 the others), for an
 * HTML creative added without --width and --height. */
void ads_placement_size(const char *placement, int *width, int *height);

/* Picks one of candidates[0..n) (store_creatives_eligible's order: grouped by campaign): a
 * campaign with probability weight / total weight, then one of its creatives uniformly. uniform
 * returns a number in [0, upper) uniformly (randombytes_uniform; tests pass their own). Returns
 * the index, or n when n is 0. */
size_t ads_pick(const struct creative *candidates, size_t n, uint32_t (*uniform)(uint32_t upper));

/* Chooses a creative for placement on a page of publication and section (slugs; "" for none)
 * at now, into *out (strings from a). Returns STORE_OK, STORE_NOT_FOUND when no campaign has a
 * creative for it, or STORE_ERROR. */
int ads_choose(struct store *st, struct arena *a, const char *placement, const char *publication,
               const char *section, int64_t now, struct creative *out);

/* 1 if url is one a click may redirect to: http:// or https://, a host, at most ADS_URL_MAX
 * bytes of printable ASCII with no space, quote, angle bracket or backslash (so it can go in a
 * Location header and an attribute as it is). */
int ads_url_valid(const char *url);

/* The image type of data[0..len) by its content: "image/png", "image/jpeg", "image/gif",
 * "image/webp", or "image/svg+xml" (UTF-8 text whose root element is <svg>, after an optional
 * BOM, XML declaration, comments and doctype); NULL for anything else. */
const char *ads_image_type(const unsigned char *data, size_t len);

/* The file extension for an image type ("png", "jpg", "gif", "webp", "svg"), or NULL. */
const char *ads_image_extension(const char *type);

/* The pixel size of an image of type (ads_image_type) from its header: PNG's IHDR, GIF's
 * screen, JPEG's first frame, WebP's VP8/VP8L/VP8X header, an SVG root's width and height (in
 * plain numbers or px) or else its viewBox. Returns 0 with *width and *height set (each 1 to
 * ADS_DIMENSION_MAX), or -1 when the header does not say. */
int ads_image_size(const char *type, const unsigned char *data, size_t len, int *width,
                   int *height);

/* 1 if path is a name ads_store_image makes ("ads/" 64 hex digits "." extension): what the image
 * route checks before opening a stored path under the uploads directory. */
int ads_image_path_valid(const char *path);

enum ads_image_status {
    ADS_IMAGE_OK = 0,
    ADS_IMAGE_ERROR = -1,   /* the file could not be read or written (err says why) */
    ADS_IMAGE_INVALID = -2, /* not an accepted image type, empty, or too large */
};

/* Stores the image file at src under the uploads directory as ads/<hex>.<ext> (creating the
 * directories; an identical file already there is kept), after checking its type by content
 * and its size (at most ADS_IMAGE_MAX_BYTES). On ADS_IMAGE_OK, *path (relative to uploads),
 * *type and, when the header tells, *width and *height (else left alone) are set; strings from
 * a. Otherwise err says why. */
enum ads_image_status ads_store_image(const char *uploads, const char *src, struct arena *a,
                                      const char **path, const char **type, int *width, int *height,
                                      char *err, size_t errlen);

/* Counts an impression or a click of creative id at now (its UTC day), in memory until
 * ads_flush, unless the client at client_ip (req_client_ip's text) has had cap of them counted
 * for this creative today (cap <= 0: no cap). Returns 1 if counted, 0 if capped. Thread-safe. */
int ads_count_impression(const char *client_ip, int64_t creative_id, int64_t now, int cap);
int ads_count_click(const char *client_ip, int64_t creative_id, int64_t now, int cap);

/* Writes the counts gathered since the last flush into the store (store_ad_stats_add) and
 * clears them; if the write fails they are kept for the next flush. Thread-safe; call it from
 * one thread at a time (the server's main loop, then at shutdown). */
void ads_flush(struct store *st);

/* The click-through rate for the report: clicks / impressions as a percentage with two
 * decimals, rounded half up ("2.50%"), or "-" with no impressions, into out. */
void ads_ctr_format(int64_t clicks, int64_t impressions, char *out, size_t size);

#endif
