/*
 * entity.c: prepared responses. See entity.h.
 */
#include "entity.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "util.h"

/* Smaller bodies are not worth compressing: the headers alone outweigh the saving. */
#define MIN_COMPRESS 256

/* One encoding of the entity. */
struct variant {
    struct MHD_Response *full;         /* the body */
    struct MHD_Response *not_modified; /* 304 with the same validators */
    char etag[40];                     /* quoted */
    size_t len;
};

struct entity {
    unsigned status;
    struct variant identity;
    struct variant gzip; /* full is NULL when not worth it */
    char *identity_body; /* owned by the identity response (MUST_FREE); kept for entity_body */
};

void entity_add_common_headers(struct MHD_Response *response)
{
    MHD_add_response_header(response, "Content-Security-Policy",
                            "default-src 'self'; script-src 'self'; style-src 'self'; "
                            "img-src 'self' data:; object-src 'none'; base-uri 'self'; "
                            "form-action 'self'; frame-ancestors 'none'");
    MHD_add_response_header(response, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(response, "Referrer-Policy", "strict-origin-when-cross-origin");
    MHD_add_response_header(response, "X-Frame-Options", "DENY");
}

unsigned char *entity_gzip(const void *in, size_t len, int level, size_t *out_len)
{
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    /* windowBits 15 + 16: a gzip header and trailer rather than zlib's */
    if (deflateInit2(&zs, level, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY) != Z_OK)
        return NULL;
    size_t cap = deflateBound(&zs, (uLong)len);
    unsigned char *out = xmalloc(cap);
    zs.next_in = (Bytef *)(uintptr_t)in;
    zs.avail_in = (uInt)len;
    zs.next_out = out;
    zs.avail_out = (uInt)cap;
    int rc = deflate(&zs, Z_FINISH);
    *out_len = zs.total_out;
    deflateEnd(&zs);
    if (rc != Z_STREAM_END) {
        free(out);
        return NULL;
    }
    return out;
}

/* Fills v's responses for body (taken: freed by libmicrohttpd with the response). */
static void variant_init(struct variant *v, unsigned status, void *body, size_t len,
                         const char *content_type, const char *cache_control, const char *encoding,
                         const char *etag)
{
    v->len = len;
    snprintf(v->etag, sizeof v->etag, "%s", etag);
    v->full = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
    if (!v->full) {
        fprintf(stderr, "broadsheet: cannot create a response\n");
        abort();
    }
    v->not_modified = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
    struct MHD_Response *both[2] = {v->full, v->not_modified};
    for (int i = 0; i < 2; i++) {
        struct MHD_Response *resp = both[i];
        entity_add_common_headers(resp);
        MHD_add_response_header(resp, "Cache-Control", cache_control);
        MHD_add_response_header(resp, "Vary", "Accept-Encoding");
        if (status == MHD_HTTP_OK)
            MHD_add_response_header(resp, "ETag", v->etag);
    }
    MHD_add_response_header(v->full, "Content-Type", content_type);
    if (encoding)
        MHD_add_response_header(v->full, "Content-Encoding", encoding);
}

struct entity *entity_new(unsigned status, const char *content_type, const char *cache_control,
                          const void *body, size_t len, int compress)
{
    struct entity *e = xcalloc(1, sizeof *e);
    e->status = status;

    /* A strong validator from the content: 64 bits of BLAKE2b are plenty to tell versions of
     * one URL apart. */
    unsigned char digest[8];
    crypto_generichash(digest, sizeof digest, body, len, NULL, 0);
    char hex[sizeof digest * 2 + 1];
    sodium_bin2hex(hex, sizeof hex, digest, sizeof digest);
    char etag[40];

    e->identity_body = xmalloc(len ? len : 1);
    memcpy(e->identity_body, body, len);
    snprintf(etag, sizeof etag, "\"%s\"", hex);
    variant_init(&e->identity, status, e->identity_body, len, content_type, cache_control, NULL,
                 etag);

    if (compress && len >= MIN_COMPRESS) {
        size_t gz_len;
        unsigned char *gz = entity_gzip(body, len, 9, &gz_len);
        if (gz && gz_len < len) {
            snprintf(etag, sizeof etag, "\"%s-gz\"", hex);
            variant_init(&e->gzip, status, gz, gz_len, content_type, cache_control, "gzip", etag);
        } else {
            free(gz);
        }
    }
    return e;
}

/* Drops the entity's references to v's responses. */
static void variant_free(struct variant *v)
{
    if (v->full)
        MHD_destroy_response(v->full);
    if (v->not_modified)
        MHD_destroy_response(v->not_modified);
}

void entity_free(struct entity *e)
{
    if (!e)
        return;
    variant_free(&e->identity);
    variant_free(&e->gzip);
    free(e);
}

enum MHD_Result entity_send(struct entity *e, struct req *r)
{
    struct variant *v = (r->accept_gzip && e->gzip.full) ? &e->gzip : &e->identity;
    r->answered = 1;
    if (e->status == MHD_HTTP_OK && r->if_none_match &&
        req_etag_matches(r->if_none_match, v->etag)) {
        r->status = MHD_HTTP_NOT_MODIFIED;
        r->bytes = 0;
        return MHD_queue_response(r->conn, MHD_HTTP_NOT_MODIFIED, v->not_modified);
    }
    r->status = e->status;
    r->bytes = (r->method == METHOD_HEAD) ? 0 : v->len;
    return MHD_queue_response(r->conn, e->status, v->full);
}

const char *entity_body(const struct entity *e, size_t *len)
{
    *len = e->identity.len;
    return e->identity_body;
}

const char *entity_etag(const struct entity *e)
{
    return e->identity.etag;
}
