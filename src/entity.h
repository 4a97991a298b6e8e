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

/* Headers every response carries (security policy and friends). */
void entity_add_common_headers(struct MHD_Response *response);

/* A new entity for body[0..len), which it copies. status: the HTTP status it is sent with;
 * content_type and cache_control: header values; compress: try gzip (text types). The caller
 * owns the entity (entity_free). */
struct entity *entity_new(unsigned status, const char *content_type, const char *cache_control,
                          const void *body, size_t len, int compress);
void entity_free(struct entity *e);

/* Queues e on r's connection: the gzip variant when r accepts it, 304 when r's If-None-Match
 * names the chosen variant's ETag (only for a 200 entity). Records status and bytes in r. */
enum MHD_Result entity_send(struct entity *e, struct req *r);

/* gzip-compresses in[0..len) at zlib level (1 fast … 9 small) into a heap buffer the caller
 * frees; NULL if zlib fails. Cached entities use 9, once; a per-reader page uses 1, per send. */
unsigned char *entity_gzip(const void *in, size_t len, int level, size_t *out_len);

/* The identity body and its length; the ETag of the identity variant. */
const char *entity_body(const struct entity *e, size_t *len);
const char *entity_etag(const struct entity *e);

#endif
