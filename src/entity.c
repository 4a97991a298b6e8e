/*
 * entity.c: prepared responses. See entity.h.
 */
#include "entity.h"

#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "respond.h"
#include "util.h"

/* What a libmicrohttpd response object with our dozen headers costs beside its body, roughly:
 * for the cache's byte budget. */
#define ENTITY_RESPONSE_OVERHEAD 1024

/* Smaller bodies are not worth compressing: the headers alone outweigh the saving. */
#define MIN_COMPRESS 256

/* One encoding of the entity. */
struct variant {
    struct MHD_Response *full;         /* the body */
    struct MHD_Response *not_modified; /* 304 with the same validators */
    char etag[40];                     /* quoted */
    size_t len;
    const void *gzip_body; /* the gzip variant's bytes (owned by full); NULL for identity */
};

struct entity {
    atomic_int refs; /* entity_ref/entity_free; freed at zero */
    size_t bytes;    /* what it holds in memory, roughly (entity_bytes) */
    unsigned status;
    char *content_type; /* for copies (entity_copy_headers) */
    char *cache_control;
    struct variant identity;
    struct variant gzip; /* full is NULL when not worth it */
    char *identity_body; /* owned by the identity response (MUST_FREE); kept for entity_body */
};

/* A thread's deflate streams, one per level, made on first use and reset for each body. */
struct deflaters {
    z_stream streams[10]; /* by level; level 0 unused */
    int ready[10];
};

static pthread_key_t deflaters_key;
static atomic_ulong deflate_setups; /* entity_deflate_setups */
static pthread_once_t deflaters_once = PTHREAD_ONCE_INIT;

/* The key's destructor: a thread ends, its streams go. */
static void deflaters_free(void *value)
{
    struct deflaters *d = value;
    for (int i = 0; i < 10; i++)
        if (d->ready[i])
            deflateEnd(&d->streams[i]);
    free(d);
}

static void deflaters_key_make(void)
{
    pthread_key_create(&deflaters_key, deflaters_free);
}

/* The calling thread's stream for level (1..9), ready for a new body; NULL if zlib fails. */
static z_stream *deflater(int level)
{
    pthread_once(&deflaters_once, deflaters_key_make);
    struct deflaters *d = pthread_getspecific(deflaters_key);
    if (!d) {
        d = xcalloc(1, sizeof *d);
        pthread_setspecific(deflaters_key, d);
    }
    z_stream *zs = &d->streams[level];
    if (d->ready[level])
        return deflateReset(zs) == Z_OK ? zs : NULL;
    memset(zs, 0, sizeof *zs);
    /* windowBits 15 + 16: a gzip header and trailer rather than zlib's */
    if (deflateInit2(zs, level, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY) != Z_OK)
        return NULL;
    atomic_fetch_add(&deflate_setups, 1);
    d->ready[level] = 1;
    return zs;
}

unsigned long entity_deflate_setups(void)
{
    return atomic_load(&deflate_setups);
}

unsigned char *entity_gzip(const void *in, size_t len, int level, size_t *out_len)
{
    if (level < 1 || level > 9)
        level = 6;
    z_stream *zs = deflater(level);
    if (!zs)
        return NULL;
    size_t cap = deflateBound(zs, (uLong)len);
    unsigned char *out = xmalloc(cap);
    zs->next_in = (Bytef *)(uintptr_t)in;
    zs->avail_in = (uInt)len;
    zs->next_out = out;
    zs->avail_out = (uInt)cap;
    int rc = deflate(zs, Z_FINISH);
    *out_len = zs->total_out;
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
        respond_security_headers(resp, NULL, 0);
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
    atomic_init(&e->refs, 1);
    e->status = status;
    e->content_type = xstrdup(content_type);
    e->cache_control = xstrdup(cache_control);

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
            e->gzip.gzip_body = gz;
        } else {
            free(gz);
        }
    }
    /* the bodies, and for each of the four response objects its header list and bookkeeping */
    e->bytes = sizeof *e + e->identity.len + e->gzip.len + 4 * ENTITY_RESPONSE_OVERHEAD;
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

struct entity *entity_ref(struct entity *e)
{
    atomic_fetch_add_explicit(&e->refs, 1, memory_order_relaxed);
    return e;
}

void entity_free(struct entity *e)
{
    if (!e || atomic_fetch_sub_explicit(&e->refs, 1, memory_order_acq_rel) != 1)
        return;
    variant_free(&e->identity);
    variant_free(&e->gzip);
    free(e->content_type);
    free(e->cache_control);
    free(e);
}

void entity_choose(struct entity *e, const struct req *r, struct entity_choice *c)
{
    int gzip = r->accept_gzip && e->gzip.full;
    struct variant *v = gzip ? &e->gzip : &e->identity;
    c->gzip = gzip;
    if (e->status == MHD_HTTP_OK && r->if_none_match &&
        req_etag_matches(r->if_none_match, v->etag)) {
        c->response = v->not_modified;
        c->status = MHD_HTTP_NOT_MODIFIED;
        c->body = NULL;
        c->len = 0;
        return;
    }
    c->response = v->full;
    c->status = e->status;
    c->body = gzip ? v->gzip_body : e->identity_body;
    c->len = v->len;
}

void entity_copy_headers(const struct entity *e, const struct entity_choice *c,
                         struct MHD_Response *resp)
{
    const struct variant *v = c->gzip ? &e->gzip : &e->identity;
    MHD_add_response_header(resp, "Cache-Control", e->cache_control);
    MHD_add_response_header(resp, "Vary", "Accept-Encoding");
    if (e->status == MHD_HTTP_OK)
        MHD_add_response_header(resp, "ETag", v->etag);
    if (c->status != MHD_HTTP_NOT_MODIFIED) {
        MHD_add_response_header(resp, "Content-Type", e->content_type);
        if (c->gzip)
            MHD_add_response_header(resp, "Content-Encoding", "gzip");
    }
}

const char *entity_body(const struct entity *e, size_t *len)
{
    *len = e->identity.len;
    return e->identity_body;
}

size_t entity_bytes(const struct entity *e)
{
    return e->bytes;
}

void entity_set_keys(struct entity *e, const char *keys)
{
    /* Surrogate-Key (Fastly, Varnish's xkey) separates keys by spaces, Cache-Tag (Cloudflare,
     * Akamai) by commas. */
    char *commas = xstrdup(keys);
    for (char *p = commas; *p; p++)
        if (*p == ' ')
            *p = ',';
    struct variant *both[2] = {&e->identity, &e->gzip};
    for (int i = 0; i < 2; i++) {
        struct MHD_Response *resps[2] = {both[i]->full, both[i]->not_modified};
        for (int j = 0; j < 2; j++) {
            if (!resps[j])
                continue;
            MHD_add_response_header(resps[j], "Surrogate-Key", keys);
            MHD_add_response_header(resps[j], "Cache-Tag", commas);
        }
    }
    free(commas);
    e->bytes += 4 * 2 * strlen(keys);
}

const char *entity_etag(const struct entity *e)
{
    return e->identity.etag;
}
