/*
 * entity.h: a response body prepared once and sent many times. An entity holds a body in up to
 * two encodings (identity, and gzip when that is smaller), a strong ETag for each, and
 * libmicrohttpd response objects for each encoding and for 304 Not Modified, all with their
 * headers already set. Sending one is a lookup and MHD_queue_response: no rendering, no
 * compression, no allocation. Cached pages, error pages and static assets are all entities.
 *
 * libmicrohttpd reference-counts response objects, so an entity may be freed (say, by a cache
 * flush) while a response of it is still being sent: the bytes stay until the send ends.
 */
#ifndef BROADSHEET_ENTITY_H
#define BROADSHEET_ENTITY_H

#include <microhttpd.h>
#include <stddef.h>

#include "req.h"

struct entity;

/* A new entity for body[0..len), which it copies. status: the HTTP status it is sent with;
 * content_type and cache_control: header values; compress: try gzip (text types). The caller
 * owns the entity (entity_free). */
struct entity *entity_new(unsigned status, const char *content_type, const char *cache_control,
                          const void *body, size_t len, int compress);

/* Entities are reference-counted, so that the page cache can hand one out under its lock and
 * the request sends it after the lock is released, while an eviction may drop the cache's own
 * reference meanwhile. entity_new returns one reference; entity_ref takes another (and returns
 * e); entity_free drops one and frees the entity with the last. */
struct entity *entity_ref(struct entity *e);
void entity_free(struct entity *e);

/* What e holds in memory, roughly: its bodies plus the response objects' headers. The page
 * cache counts this against its byte budget. */
size_t entity_bytes(const struct entity *e);

/* Adds the cache keys keys (space-separated, as "article:12 list:all nav") to every response
 * of e as `Surrogate-Key` (spaces) and `Cache-Tag` (commas), so a CDN in front can purge the
 * very set our own cache drops on a change. Only before e is first sent or shared. */
void entity_set_keys(struct entity *e, const char *keys);

/* What e answers r with: the gzip variant when r accepts it, 304 when r's If-None-Match names
 * the chosen variant's ETag (only for a 200 entity). respond_entity (respond.h) queues it. */
struct entity_choice {
    struct MHD_Response *response; /* the shared response object (owned by e) */
    unsigned status;               /* e's status, or 304 */
    const void *body;              /* the chosen bytes (none for 304) */
    size_t len;
    int gzip; /* the gzip variant was chosen */
};
void entity_choose(struct entity *e, const struct req *r, struct entity_choice *c);
/* Adds the headers c's response carries (Content-Type, Cache-Control, Vary, ETag,
 * Content-Encoding), without the security headers, to resp: for a copy of it made for one
 * request. */
void entity_copy_headers(const struct entity *e, const struct entity_choice *c,
                         struct MHD_Response *resp);

/* gzip-compresses in[0..len) at zlib level (1 fast … 9 small) into a heap buffer the caller
 * frees; NULL if zlib fails. Cached entities use 9, once; a per-reader page uses 1, per send.
 * Each thread keeps its deflate state for each level and resets it per call: setting one up
 * costs about 400 KB of allocation, which per request made the allocator hand memory back to
 * the kernel and fault it in again on every personal response (a 20-30 % throughput loss after
 * some minutes of load). */
unsigned char *entity_gzip(const void *in, size_t len, int level, size_t *out_len);

/* How many deflate streams have been set up since the process started (one per thread and
 * level): for the unit test of the reuse above. */
unsigned long entity_deflate_setups(void);

/* The identity body and its length; the ETag of the identity variant. */
const char *entity_body(const struct entity *e, size_t *len);
const char *entity_etag(const struct entity *e);

#endif
