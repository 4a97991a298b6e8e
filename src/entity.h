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

#include "arena.h"
#include "req.h"

struct entity;

/* A new entity for body[0..len), which it copies. status: the HTTP status it is sent with;
 * content_type and cache_control: header values; compress: try gzip (text types). The caller
 * owns the entity (entity_free). */
struct entity *entity_new(unsigned status, const char *content_type, const char *cache_control,
                          const void *body, size_t len, int compress);

/* A span of a page that a personal response replaces with a reader's own bytes (splice.h finds
 * them: the account links, the paywall's note): body[start..end), filled by fills[slot] (see
 * entity_parts). */
struct entity_hole {
    size_t start, end;
    int slot;
};
#define ENTITY_MAX_HOLES 4

/* entity_new for a page with holes (at most ENTITY_MAX_HOLES, in body order, not overlapping,
 * within body; any that are not are left out with a log line). The entity is cut into pieces
 * at the holes' edges once, here: the identity body stays one buffer, and beside the shared
 * gzip variant (one deflate stream, the smallest) the pieces are compressed once more as one
 * deflate segment each, ended by a full flush so that none refers to the bytes of another,
 * which lets entity_parts put other bytes in place of a hole's segment without compressing
 * anything per request. */
struct entity *entity_new_holes(unsigned status, const char *content_type,
                                const char *cache_control, const void *body, size_t len,
                                int compress, const struct entity_hole *holes, size_t n);
/* compress for entity_new_holes: gzip from the pieces' segments only, with no shared gzip
 * variant of the page as it is. For a page whose shared responses are always built from its
 * parts (one with the "Most read" box's slot: send_page in respond.c), where that variant,
 * compressed at every miss, would never be sent; a reader who takes gzip gets the parts
 * (entity_parts) with the ETag the variant would have had ("HEX-gz"). */
#define ENTITY_GZIP_PARTS 2

/* 1 if e has a gzip encoding: its shared variant, or (ENTITY_GZIP_PARTS) its parts'. */
int entity_has_gzip(const struct entity *e);
/* The value of header name in e's shared responses (Surrogate-Key, Cache-Tag…), or NULL. */
const char *entity_header(const struct entity *e, const char *name);

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

/* Gives e a Last-Modified time (unix seconds, > 0): every response of e carries it as the header
 * (an HTTP date), and entity_choose answers If-Modified-Since with it. Only before e is first
 * sent or shared, as entity_set_keys. Entities without one (pages) send no Last-Modified and
 * ignore If-Modified-Since. */
void entity_set_last_modified(struct entity *e, int64_t when);

/* The HTTP date (IMF-fixdate, "Sun, 06 Nov 1994 08:49:37 GMT") of when into out (at least 30
 * bytes). */
void entity_http_date(int64_t when, char *out, size_t size);
/* Parses an HTTP date in IMF-fixdate form into *when: 0, or -1 when text is not one (the
 * obsolete RFC 850 and asctime forms too, which RFC 9110 lets a server ignore). */
int entity_http_date_parse(const char *text, int64_t *when);

/* What e answers r with: the gzip variant when r accepts it; 304 (only for a 200 entity) when
 * r's If-None-Match names the chosen variant's ETag or, when r sends no If-None-Match (RFC 9110
 * 13.2.2: it takes precedence), when e has a Last-Modified time no later than r's valid
 * If-Modified-Since. respond_entity (respond.h) queues it. */
struct entity_choice {
    struct MHD_Response *response; /* the shared response object (owned by e) */
    unsigned status;               /* e's status, or 304 */
    const void *body;              /* the chosen bytes (none for 304) */
    size_t len;
    int gzip; /* the gzip variant was chosen */
};
void entity_choose(struct entity *e, const struct req *r, struct entity_choice *c);
/* Adds the headers c's response carries (Content-Type, Cache-Control, Vary, ETag, Last-Modified,
 * Content-Encoding), without the security headers, to resp: for a copy of it made for one
 * request. */
void entity_copy_headers(const struct entity *e, const struct entity_choice *c,
                         struct MHD_Response *resp);

/* gzip-compresses in[0..len) at zlib level (1 fast … 9 small) into a heap buffer the caller
 * frees; NULL if zlib fails. Cached entities use 9, once (entity_new, which may run on an HTTP
 * thread on a cache miss). Each thread keeps its deflate state for each level and resets it per
 * call: setting one up costs about 400 KB of allocation, which per request made the allocator
 * hand memory back to the kernel and fault it in again on every request that compressed (a
 * 20-30 % throughput loss after some minutes of load, when personal pages were compressed per
 * send). */
unsigned char *entity_gzip(const void *in, size_t len, int level, size_t *out_len);

/* How many deflate streams have been set up since the process started (one per thread and
 * level): for the unit test of the reuse above. */
unsigned long entity_deflate_setups(void);

/* What goes in one hole of a personal response: data[0..len) when set (len may be 0: the hole
 * is emptied), else the page's own bytes stay. */
struct entity_fill {
    const char *data;
    size_t len;
    int set;
};

/* A personal response's body as parts to be sent one after another without being copied:
 * pointers into e's bodies (valid while e lives) and, for the gzip variant, a few bytes made
 * for the request in its arena (deflate stored-block headers, the gzip trailer). */
struct entity_parts {
    struct MHD_IoVec *iov; /* in the arena */
    size_t count;
    size_t len;  /* the sum of the parts' lengths: the body's length */
    int gzip;    /* the parts are the gzip variant */
    size_t made; /* bytes this call added to the entity (its pieces' gzip segments, made on
                  * first use), for the cache's count (cache_charge); 0 almost always */
};

/* e's body with each hole filled from fills[hole's slot] (fills has nfills entries; a slot
 * beyond them, or not set, keeps the page's bytes): the gzip variant when gzip is asked and e
 * has one, else identity. Nothing of the page is copied or compressed: the gzip variant is the
 * entity's deflate segments with each fill as a stored (uncompressed) deflate block in place of
 * its hole's segment, then a trailer whose CRC-32 is combined from the pieces' precomputed ones
 * and the fills'. An entity made without holes gives its whole body as one part. Only the iovec
 * array and the few framing bytes come from arena; the fills' bytes must outlive the send (the
 * request's arena does: libmicrohttpd is done with a body before it reports the request
 * completed). */
void entity_parts(struct entity *e, const struct entity_fill *fills, size_t nfills, int gzip,
                  struct arena *arena, struct entity_parts *parts);

/* A response object sending parts (from entity_parts on e). A body of one part, or of more than
 * ENTITY_GATHER_MAX bytes, is sent where it is (MHD_create_response_from_iovec), and the
 * response holds a reference to e, dropped when libmicrohttpd destroys it, so e's bytes stay
 * while they are being sent whatever the cache does meanwhile. A smaller body of several parts
 * is gathered into one buffer from arena, which must live until the response is sent (the
 * request's arena does): libmicrohttpd 0.9.75 writes an iovec body in a system call of its own
 * after the headers, where a buffer goes out with them in one, and here that second call cost
 * more than copying a page (see docs/architecture.md). No headers are set. The caller owns the
 * response (queue it, then MHD_destroy_response); NULL if libmicrohttpd fails. */
#define ENTITY_GATHER_MAX (64 * 1024)
struct MHD_Response *entity_parts_response(struct entity *e, const struct entity_parts *parts,
                                           struct arena *arena);

/* A shared variant of e with fills in its holes, for the fills that tag names (a short text:
 * the same tag, the same fills; at most ENTITY_FILL_TAG_MAX - 1 bytes): what the "Most read"
 * box (most_read.h) makes of a cached page, the same for every reader until the box changes.
 * The variant is made on the ENTITY_FILLED_AFTER-th request for a tag (so a page read less
 * often than that per refresh never holds one: the caller sends entity_parts instead), kept in
 * e, and dropped when a request brings another tag. It holds one body, gathered from e's
 * parts, nothing compressed: the gzip one when e has a gzip variant, else identity (the one a
 * reader who takes gzip is sent; a copy of the identity body too would be the biggest thing
 * in a cache entry, for the few readers who do not take gzip). Its ETag is e's with "-mr" TAG
 * appended ("HEX-gz-mrTAG", or "HEX-mrTAG"), what a response of parts must carry too; its
 * headers and Surrogate-Key are e's. Returns a new reference (entity_free), or NULL when there
 * is none yet, or when accept_gzip is 0 and e has a gzip variant (not counted as a request:
 * the caller sends entity_parts). *made: bytes to charge to e's cache entry (cache_charge): the
 * pieces' gzip segments if this made them, and the first variant's size, once per entity.
 * arena: for the parts, during the call. Thread-safe. */
#define ENTITY_FILL_TAG_MAX 24
#define ENTITY_FILLED_AFTER 3
struct entity *entity_filled(struct entity *e, const struct entity_fill *fills, size_t nfills,
                             const char *tag, int accept_gzip, struct arena *arena, size_t *made);

/* 1 if e was made with a hole for slot (entity_new_holes), else 0. */
int entity_has_hole(const struct entity *e, int slot);

/* The identity body and its length; the ETag of the identity variant; the Content-Type. */
const char *entity_body(const struct entity *e, size_t *len);
const char *entity_etag(const struct entity *e);
const char *entity_content_type(const struct entity *e);

#endif
