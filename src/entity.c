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
#include <time.h>
#include <zlib.h>

#include "respond.h"
#include "util.h"

/* What a libmicrohttpd response object with our dozen headers costs beside its body (the
 * response, and each header's node, name and value on the heap), for the cache's byte budget:
 * measured with mallinfo2 by tests/unit/test_entity.c (test_bytes_count_the_heap), which checks
 * that an entity never holds more heap than entity_bytes says. */
#define ENTITY_RESPONSE_OVERHEAD 1536

/* Smaller bodies are not worth compressing: the headers alone outweigh the saving. */
#define MIN_COMPRESS 256

/* gzip's framing around the deflate data: a 10-byte header (zlib writes no name, comment or
 * extra field) and an 8-byte trailer (CRC-32 and length, little-endian). */
#define GZIP_HEADER 10
#define GZIP_TRAILER 8

/* A stored deflate block holds at most this many bytes. */
#define STORED_MAX 65535

/* One encoding of the entity. */
struct variant {
    struct MHD_Response *full;         /* the body */
    struct MHD_Response *not_modified; /* 304 with the same validators */
    char etag[64];                     /* quoted (a filled variant's is longer: entity_filled) */
    size_t len;
    const void *gzip_body; /* the gzip variant's bytes (owned by full); NULL for identity */
};

/* A piece of a page with holes: the bytes between two holes (a gap) or a hole's own bytes. */
struct piece {
    size_t start, len; /* identity_body[start..start+len) */
    uLong crc;         /* CRC-32 of its bytes */
    uLong crc_op;      /* crc32_combine_gen(len): appends its CRC to a running one */
    int slot;          /* the hole's slot, or -1 for a gap */
};

struct entity {
    atomic_int refs;     /* entity_ref/entity_free; freed at zero */
    atomic_size_t bytes; /* what it holds in memory (entity_bytes); grows once, see pieces_gz */
    unsigned status;
    char *content_type; /* for copies (entity_copy_headers) */
    char *cache_control;
    int64_t last_modified; /* entity_set_last_modified's; 0 none */
    struct variant identity;
    struct variant gzip;  /* full is NULL when not worth it */
    char *identity_body;  /* owned by the identity response (MUST_FREE); kept for entity_body */
    int gzip_parts;       /* ENTITY_GZIP_PARTS: gzip from the pieces only (gzip.full NULL) */
    struct piece *pieces; /* 2 holes + 1, in body order; NULL for an entity without holes */
    size_t npieces;
    /* the pieces' gzip segments, made by the first personal response that takes gzip (most
     * pages are only ever sent whole: compressing twice on every miss was half a miss's CPU);
     * published once with a compare-and-swap, NULL until then */
    _Atomic(struct pieces_gz *) pieces_gz;
    /* The shared variant with its holes filled (entity_filled), for one tag at a time; all four
     * guarded by filled_lock. */
    pthread_mutex_t filled_lock;
    struct entity *filled;                /* NULL until made for filled_tag */
    char filled_tag[ENTITY_FILL_TAG_MAX]; /* "" at first */
    unsigned filled_uses;                 /* requests for filled_tag so far */
    int filled_charged;                   /* a variant's bytes were reported once */
};

/* The pieces' gzip member: each piece's deflate segment in it, in piece order. */
struct pieces_gz {
    unsigned char *data; /* the whole member, header and trailer included */
    size_t len;
    struct segment {
        size_t start, len;
    } seg[];
};

/* The zlib level of every body we compress: 6, zlib's default. On our pages it gives the same
 * bytes as 9 (an article page: 3,717 of 12,344 at 6, 7, 8 and 9) in four fifths of the time. */
#define GZIP_LEVEL 6

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

/* out (len bytes used) shrunk to len: the buffer was sized for deflateBound, about the input's
 * size, and kept at that it would hold two to three times what the page cache counts for it
 * (glibc's realloc splits the chunk in place and frees the tail). */
static unsigned char *shrink(unsigned char *out, size_t len)
{
    unsigned char *fit = realloc(out, len ? len : 1);
    return fit ? fit : out;
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
    return shrink(out, *out_len);
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

/* Cuts body[0..len) at the holes' edges into e->pieces: gap, hole, gap, … gap. Holes that are
 * out of order, overlapping or outside the body are left out. */
static void cut_pieces(struct entity *e, const char *body, size_t len,
                       const struct entity_hole *holes, size_t n)
{
    if (n > ENTITY_MAX_HOLES)
        n = ENTITY_MAX_HOLES;
    e->pieces = xcalloc(2 * n + 1, sizeof *e->pieces);
    size_t at = 0, count = 0;
    for (size_t i = 0; i < n; i++) {
        const struct entity_hole *h = &holes[i];
        if (h->start < at || h->end < h->start || h->end > len || h->slot < 0) {
            fprintf(stderr, "broadsheet: a page's hole %zu is out of order; left out\n", i);
            continue;
        }
        e->pieces[count++] = (struct piece){.start = at, .len = h->start - at, .slot = -1};
        e->pieces[count++] =
            (struct piece){.start = h->start, .len = h->end - h->start, .slot = h->slot};
        at = h->end;
    }
    e->pieces[count++] = (struct piece){.start = at, .len = len - at, .slot = -1};
    if (count == 1) { /* no hole after all: the page is sent whole */
        free(e->pieces);
        e->pieces = NULL;
        return;
    }
    e->npieces = count;
    for (size_t i = 0; i < count; i++) {
        struct piece *p = &e->pieces[i];
        p->crc = crc32(0, (const Bytef *)body + p->start, (uInt)p->len);
        p->crc_op = crc32_combine_gen((z_off_t)p->len);
    }
}

/* gzip-compresses e's identity body as its pieces' segments: each piece's deflate data ends
 * with a full flush (the last with the final block), so it starts on a byte boundary and refers
 * to no byte of another piece. Records each segment (the first after the gzip header, the last
 * before the trailer). Returns NULL if zlib fails. It is not the shared gzip variant: the
 * restarts cost the page's later pieces every match in the earlier ones (the demo's metered
 * article: 4,058 bytes against 3,439 in one stream). */
static struct pieces_gz *gzip_pieces(const struct entity *e)
{
    z_stream *zs = deflater(GZIP_LEVEL);
    if (!zs)
        return NULL;
    struct pieces_gz *pg = xmalloc(sizeof *pg + e->npieces * sizeof pg->seg[0]);
    /* a full flush costs at most an empty stored block (5 bytes) and a partial byte beyond
     * deflateBound, which counts one final flush */
    size_t cap = deflateBound(zs, (uLong)e->identity.len) + 8 * e->npieces + 16;
    unsigned char *out = xmalloc(cap);
    zs->next_out = out;
    zs->avail_out = (uInt)cap;
    int ok = 1;
    for (size_t i = 0; ok && i < e->npieces; i++) {
        const struct piece *p = &e->pieces[i];
        int last = i + 1 == e->npieces;
        size_t before = zs->total_out;
        zs->next_in = (Bytef *)(uintptr_t)(e->identity_body + p->start);
        zs->avail_in = (uInt)p->len;
        int rc = deflate(zs, last ? Z_FINISH : Z_FULL_FLUSH);
        /* Z_BUF_ERROR: an empty piece right after a flush, which adds nothing */
        ok = (last ? rc == Z_STREAM_END : (rc == Z_OK || rc == Z_BUF_ERROR) && zs->avail_out > 0) &&
             zs->avail_in == 0;
        pg->seg[i].start = before;
        pg->seg[i].len = zs->total_out - before;
    }
    pg->len = zs->total_out;
    struct segment *first = &pg->seg[0], *final = &pg->seg[e->npieces - 1];
    if (!ok || pg->len < GZIP_HEADER + GZIP_TRAILER || first->len < GZIP_HEADER) {
        free(out);
        free(pg);
        return NULL;
    }
    first->start += GZIP_HEADER;
    first->len -= GZIP_HEADER;
    final->len -= GZIP_TRAILER; /* the last piece's data ends where the trailer starts */
    pg->data = shrink(out, pg->len);
    return pg;
}

/* What pg holds in memory. */
static size_t pieces_gz_bytes(const struct pieces_gz *pg, size_t npieces)
{
    return sizeof *pg + npieces * sizeof pg->seg[0] + pg->len;
}

/* e's pieces' gzip segments, made now if no response has needed them before (adding what they
 * hold to *made and to e's bytes); NULL if zlib fails. Two threads may both make them: one's
 * are kept, the other's freed. */
static const struct pieces_gz *pieces_gz(struct entity *e, size_t *made_bytes)
{
    struct pieces_gz *pg = atomic_load_explicit(&e->pieces_gz, memory_order_acquire);
    if (pg)
        return pg;
    struct pieces_gz *made = gzip_pieces(e);
    if (!made)
        return NULL;
    if (atomic_compare_exchange_strong_explicit(&e->pieces_gz, &pg, made, memory_order_acq_rel,
                                                memory_order_acquire)) {
        *made_bytes = pieces_gz_bytes(made, e->npieces);
        atomic_fetch_add_explicit(&e->bytes, *made_bytes, memory_order_relaxed);
        return made;
    }
    free(made->data);
    free(made);
    return pg;
}

struct entity *entity_new(unsigned status, const char *content_type, const char *cache_control,
                          const void *body, size_t len, int compress)
{
    return entity_new_holes(status, content_type, cache_control, body, len, compress, NULL, 0);
}

/* A new entity with one reference and no bodies yet. */
static struct entity *entity_alloc(unsigned status, const char *content_type,
                                   const char *cache_control)
{
    struct entity *e = xcalloc(1, sizeof *e);
    atomic_init(&e->refs, 1);
    e->status = status;
    e->content_type = xstrdup(content_type);
    e->cache_control = xstrdup(cache_control);
    pthread_mutex_init(&e->filled_lock, NULL);
    return e;
}

struct entity *entity_new_holes(unsigned status, const char *content_type,
                                const char *cache_control, const void *body, size_t len,
                                int compress, const struct entity_hole *holes, size_t n)
{
    struct entity *e = entity_alloc(status, content_type, cache_control);

    /* A strong validator from the content: 64 bits of BLAKE2b are plenty to tell versions of
     * one URL apart. */
    unsigned char digest[8];
    crypto_generichash(digest, sizeof digest, body, len, NULL, 0);
    char hex[sizeof digest * 2 + 1];
    sodium_bin2hex(hex, sizeof hex, digest, sizeof digest);
    char etag[64];

    e->identity_body = xmalloc(len ? len : 1);
    memcpy(e->identity_body, body, len);
    snprintf(etag, sizeof etag, "\"%s\"", hex);
    variant_init(&e->identity, status, e->identity_body, len, content_type, cache_control, NULL,
                 etag);

    if (holes)
        cut_pieces(e, body, len, holes, n);
    if (compress == ENTITY_GZIP_PARTS && e->pieces && len >= MIN_COMPRESS) {
        /* no shared gzip body: the ETag a response of the parts in gzip carries */
        e->gzip_parts = 1;
        snprintf(e->gzip.etag, sizeof e->gzip.etag, "\"%s-gz\"", hex);
    } else if (compress && len >= MIN_COMPRESS) {
        size_t gz_len;
        unsigned char *gz = entity_gzip(body, len, GZIP_LEVEL, &gz_len);
        if (gz && gz_len < len) {
            snprintf(etag, sizeof etag, "\"%s-gz\"", hex);
            variant_init(&e->gzip, status, gz, gz_len, content_type, cache_control, "gzip", etag);
            e->gzip.gzip_body = gz;
        } else {
            free(gz);
        }
    }
    /* the bodies, and for each response object (two a variant) its header list and
     * bookkeeping; the pieces' gzip segments are added when they are made (entity_parts) */
    atomic_init(&e->bytes, sizeof *e + e->identity.len + e->gzip.len +
                               (e->gzip.full ? 4 : 2) * ENTITY_RESPONSE_OVERHEAD +
                               e->npieces * sizeof *e->pieces);
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
    entity_free(e->filled);
    pthread_mutex_destroy(&e->filled_lock);
    free(e->content_type);
    free(e->cache_control);
    free(e->pieces);
    struct pieces_gz *pg = atomic_load_explicit(&e->pieces_gz, memory_order_acquire);
    if (pg)
        free(pg->data);
    free(pg);
    free(e);
}

static const char *const day_names[7] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
static const char *const month_names[12] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

void entity_http_date(int64_t when, char *out, size_t size)
{
    time_t t = (time_t)when;
    struct tm tm;
    gmtime_r(&t, &tm);
    /* by hand, not strftime's %a and %b, which follow the locale */
    snprintf(out, size, "%s, %02d %s %04d %02d:%02d:%02d GMT", day_names[tm.tm_wday], tm.tm_mday,
             month_names[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* The n digits at s as a number, or -1 if they are not all digits. */
static int digits(const char *s, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

int entity_http_date_parse(const char *text, int64_t *when)
{
    /* "Sun, 06 Nov 1994 08:49:37 GMT": exactly 29 bytes, fixed positions */
    if (!text || strlen(text) != 29 || memcmp(text + 3, ", ", 2) || text[7] != ' ' ||
        text[11] != ' ' || text[16] != ' ' || text[19] != ':' || text[22] != ':' ||
        memcmp(text + 25, " GMT", 4))
        return -1;
    int wday = -1, mon = -1;
    for (int i = 0; i < 7; i++)
        if (!memcmp(text, day_names[i], 3))
            wday = i;
    for (int i = 0; i < 12; i++)
        if (!memcmp(text + 8, month_names[i], 3))
            mon = i;
    int day = digits(text + 5, 2), year = digits(text + 12, 4), hour = digits(text + 17, 2),
        min = digits(text + 20, 2), sec = digits(text + 23, 2);
    if (wday < 0 || mon < 0 || day < 1 || day > 31 || year < 1970 || hour < 0 || hour > 23 ||
        min < 0 || min > 59 || sec < 0 || sec > 60)
        return -1;
    struct tm tm = {.tm_year = year - 1900,
                    .tm_mon = mon,
                    .tm_mday = day,
                    .tm_hour = hour,
                    .tm_min = min,
                    .tm_sec = sec > 59 ? 59 : sec};
    time_t t = timegm(&tm);
    if (t == (time_t)-1 || tm.tm_mday != day) /* timegm normalised a day the month lacks */
        return -1;
    *when = (int64_t)t;
    return 0;
}

void entity_set_last_modified(struct entity *e, int64_t when)
{
    if (when <= 0)
        return;
    e->last_modified = when;
    char date[40];
    entity_http_date(when, date, sizeof date);
    struct variant *variants[2] = {&e->identity, &e->gzip};
    for (int i = 0; i < 2; i++) {
        if (!variants[i]->full)
            continue;
        MHD_add_response_header(variants[i]->full, MHD_HTTP_HEADER_LAST_MODIFIED, date);
        MHD_add_response_header(variants[i]->not_modified, MHD_HTTP_HEADER_LAST_MODIFIED, date);
    }
    /* a header node, its name and value, on each of the four responses: about 140 bytes of heap
     * each, as test_bytes_count_the_heap measures; counted with room to spare */
    atomic_fetch_add_explicit(&e->bytes, 4 * 192, memory_order_relaxed);
}

/* 1 if r's conditional headers say its copy of e is current: If-None-Match names the chosen
 * variant's ETag or, without If-None-Match, If-Modified-Since is a valid date no earlier than
 * e's Last-Modified. */
static int not_modified(const struct entity *e, const struct variant *v, const struct req *r)
{
    if (e->status != MHD_HTTP_OK)
        return 0;
    if (r->if_none_match)
        return req_etag_matches(r->if_none_match, v->etag);
    int64_t since;
    return e->last_modified && r->if_modified_since &&
           entity_http_date_parse(r->if_modified_since, &since) == 0 && e->last_modified <= since;
}

void entity_choose(struct entity *e, const struct req *r, struct entity_choice *c)
{
    int gzip = r->accept_gzip && e->gzip.full;
    struct variant *v = gzip ? &e->gzip : &e->identity;
    c->gzip = gzip;
    if (not_modified(e, v, r)) {
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
    if (e->last_modified) {
        char date[40];
        entity_http_date(e->last_modified, date, sizeof date);
        MHD_add_response_header(resp, MHD_HTTP_HEADER_LAST_MODIFIED, date);
    }
    if (c->status != MHD_HTTP_NOT_MODIFIED) {
        MHD_add_response_header(resp, "Content-Type", e->content_type);
        if (c->gzip)
            MHD_add_response_header(resp, "Content-Encoding", "gzip");
    }
}

int entity_has_gzip(const struct entity *e)
{
    return e->gzip.full != NULL || e->gzip_parts;
}

const char *entity_header(const struct entity *e, const char *name)
{
    return MHD_get_response_header(e->identity.full, name);
}

const char *entity_body(const struct entity *e, size_t *len)
{
    *len = e->identity.len;
    return e->identity_body;
}

size_t entity_bytes(const struct entity *e)
{
    return atomic_load_explicit(&e->bytes, memory_order_relaxed);
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
    atomic_fetch_add_explicit(&e->bytes, 4 * 2 * strlen(keys), memory_order_relaxed);
}

/* parts' bytes gathered into one heap buffer (at least 1 byte), its length in *len. */
static char *gather(const struct entity_parts *parts, size_t *len)
{
    char *out = xmalloc(parts->len ? parts->len : 1), *p = out;
    for (size_t i = 0; i < parts->count; i++) {
        memcpy(p, parts->iov[i].iov_base, parts->iov[i].iov_len);
        p += parts->iov[i].iov_len;
    }
    *len = parts->len;
    return out;
}

struct entity *entity_filled(struct entity *e, const struct entity_fill *fills, size_t nfills,
                             const char *tag, int accept_gzip, struct arena *arena, size_t *made)
{
    *made = 0;
    if (!e->pieces || strlen(tag) >= sizeof e->filled_tag || e->status != MHD_HTTP_OK ||
        (!accept_gzip && entity_has_gzip(e)))
        return NULL;
    struct entity *old = NULL, *f = NULL;
    pthread_mutex_lock(&e->filled_lock);
    if (strcmp(e->filled_tag, tag) != 0) { /* new fills: the variant of the old ones goes */
        old = e->filled;
        e->filled = NULL;
        snprintf(e->filled_tag, sizeof e->filled_tag, "%s", tag);
        e->filled_uses = 0;
    }
    if (e->filled)
        f = entity_ref(e->filled);
    unsigned uses = ++e->filled_uses;
    pthread_mutex_unlock(&e->filled_lock);
    entity_free(old); /* a response still sending it holds its own reference */
    if (f || uses != ENTITY_FILLED_AFTER)
        return f;

    /* The ENTITY_FILLED_AFTER-th request with this tag makes the variant: one body, the one a
     * reader who takes gzip is sent (the gzip one when e has it, gathered from the pieces'
     * segments with the fills as stored blocks; else identity), nothing compressed here, with
     * the ETag a response of parts carries. A reader who does not take gzip is sent the parts
     * (entity_parts): a copy of the identity body for them would be the biggest thing in the
     * entry, for a few requests. */
    const char *page_etag = e->identity.etag; /* "HEX" */
    int base = (int)strlen(page_etag) - 1;    /* without its closing quote */
    char etag[64];
    struct entity_parts parts;
    size_t len;
    struct entity *n = entity_alloc(e->status, e->content_type, e->cache_control);
    int gzip = 0;
    if (entity_has_gzip(e)) {
        entity_parts(e, fills, nfills, 1, arena, &parts);
        *made += parts.made;
        gzip = parts.gzip; /* 0 if zlib failed: the identity body then */
    }
    if (gzip) {
        char *gz = gather(&parts, &len);
        snprintf(etag, sizeof etag, "%.*s-gz-mr%s\"", base, page_etag, tag);
        variant_init(&n->gzip, e->status, gz, len, e->content_type, e->cache_control, "gzip", etag);
        n->gzip.gzip_body = (const unsigned char *)gz;
    } else {
        entity_parts(e, fills, nfills, 0, arena, &parts);
        n->identity_body = gather(&parts, &len);
        snprintf(etag, sizeof etag, "%.*s-mr%s\"", base, page_etag, tag);
        variant_init(&n->identity, e->status, n->identity_body, len, e->content_type,
                     e->cache_control, NULL, etag);
    }
    atomic_init(&n->bytes,
                sizeof *n + n->identity.len + n->gzip.len + 2 * ENTITY_RESPONSE_OVERHEAD);
    const char *keys = entity_header(e, "Surrogate-Key");
    if (keys)
        entity_set_keys(n, keys);
    pthread_mutex_lock(&e->filled_lock);
    if (!e->filled && !strcmp(e->filled_tag, tag)) {
        e->filled = entity_ref(n);
        /* Reported once per page: each tag's variant is about the same size, and the cache's
         * count of an entry only grows (cache_charge), so charging every refresh would make a
         * long-lived page look ever larger. */
        if (!e->filled_charged) {
            e->filled_charged = 1;
            *made += entity_bytes(n);
        }
    }
    pthread_mutex_unlock(&e->filled_lock);
    return n;
}

int entity_has_hole(const struct entity *e, int slot)
{
    for (size_t i = 0; i < e->npieces; i++)
        if (e->pieces[i].slot == slot)
            return 1;
    return 0;
}

const char *entity_etag(const struct entity *e)
{
    return e->identity.etag;
}

const char *entity_content_type(const struct entity *e)
{
    return e->content_type;
}

/* ---- personal responses: parts ------------------------------------------------------------ */

/* Appends a part to parts (room was counted by the caller); empty parts are left out. */
static void add_part(struct entity_parts *parts, const void *data, size_t len)
{
    if (!len)
        return;
    parts->iov[parts->count].iov_base = data;
    parts->iov[parts->count].iov_len = len;
    parts->count++;
    parts->len += len;
}

/* The fill for piece p, or NULL when the page's own bytes stay. */
static const struct entity_fill *fill_for(const struct piece *p, const struct entity_fill *fills,
                                          size_t nfills)
{
    if (p->slot < 0 || (size_t)p->slot >= nfills || !fills[p->slot].set)
        return NULL;
    return &fills[p->slot];
}

/* Writes v as 4 little-endian bytes. */
static void put_le32(unsigned char *out, uLong v)
{
    for (int i = 0; i < 4; i++)
        out[i] = (unsigned char)(v >> (8 * i));
}

void entity_parts(struct entity *e, const struct entity_fill *fills, size_t nfills, int gzip,
                  struct arena *arena, struct entity_parts *parts)
{
    memset(parts, 0, sizeof *parts);
    /* without the pieces' segments (zlib failed) they go uncompressed */
    gzip = gzip && entity_has_gzip(e);
    const struct pieces_gz *pg = gzip && e->pieces ? pieces_gz(e, &parts->made) : NULL;
    parts->gzip = gzip && (!e->pieces || pg);
    if (!e->pieces) { /* no holes: the body as it is */
        parts->iov = arena_alloc(arena, sizeof *parts->iov);
        if (parts->gzip)
            add_part(parts, e->gzip.gzip_body, e->gzip.len);
        else
            add_part(parts, e->identity_body, e->identity.len);
        return;
    }
    /* room: a part per piece, the gzip header and trailer, and per fill its stored blocks,
     * each a header and its bytes */
    size_t room = e->npieces + 2;
    for (size_t i = 0; i < e->npieces; i++) {
        const struct entity_fill *f = fill_for(&e->pieces[i], fills, nfills);
        if (f)
            room += 2 * (f->len / STORED_MAX + 1);
    }
    parts->iov = arena_alloc(arena, room * sizeof *parts->iov);

    if (!parts->gzip) {
        for (size_t i = 0; i < e->npieces; i++) {
            const struct piece *p = &e->pieces[i];
            const struct entity_fill *f = fill_for(p, fills, nfills);
            if (f)
                add_part(parts, f->data, f->len);
            else
                add_part(parts, e->identity_body + p->start, p->len);
        }
        return;
    }

    /* gzip: the header, each piece's segment or a fill as stored blocks, the trailer. A stored
     * block after a flushed segment starts on a byte boundary: one byte of block header (not
     * final, type 00, padding), LEN and its complement NLEN, then the bytes. */
    const unsigned char *gz = pg->data;
    add_part(parts, gz, GZIP_HEADER);
    uLong crc = crc32(0, NULL, 0);
    size_t total = 0; /* identity bytes, for ISIZE */
    for (size_t i = 0; i < e->npieces; i++) {
        const struct piece *p = &e->pieces[i];
        const struct entity_fill *f = fill_for(p, fills, nfills);
        if (!f) {
            add_part(parts, gz + pg->seg[i].start, pg->seg[i].len);
            crc = crc32_combine_op(crc, p->crc, p->crc_op);
            total += p->len;
            continue;
        }
        for (size_t done = 0; done < f->len;) {
            size_t n = f->len - done < STORED_MAX ? f->len - done : STORED_MAX;
            unsigned char *h = arena_alloc(arena, 5);
            h[0] = 0x00;
            h[1] = (unsigned char)(n & 0xff);
            h[2] = (unsigned char)(n >> 8);
            h[3] = (unsigned char)(~n & 0xff);
            h[4] = (unsigned char)((~n >> 8) & 0xff);
            add_part(parts, h, 5);
            add_part(parts, f->data + done, n);
            done += n;
        }
        crc = crc32(crc, (const Bytef *)f->data, (uInt)f->len);
        total += f->len;
    }
    unsigned char *trailer = arena_alloc(arena, GZIP_TRAILER);
    put_le32(trailer, crc);
    put_le32(trailer + 4, (uLong)(total & 0xffffffffu));
    add_part(parts, trailer, GZIP_TRAILER);
}

/* libmicrohttpd is done with a parts response: its entity may go. */
static void release_entity(void *cls)
{
    entity_free(cls);
}

struct MHD_Response *entity_parts_response(struct entity *e, const struct entity_parts *parts,
                                           struct arena *arena)
{
    /* Gathered, the body leaves with the headers in one sendmsg; as an iovec it would take a
     * second, which costs more than copying a page of this size (entity.h). */
    if (parts->count > 1 && parts->len <= ENTITY_GATHER_MAX) {
        char *body = arena_alloc(arena, parts->len);
        size_t at = 0;
        for (size_t i = 0; i < parts->count; i++) {
            memcpy(body + at, parts->iov[i].iov_base, parts->iov[i].iov_len);
            at += parts->iov[i].iov_len;
        }
        return MHD_create_response_from_buffer(parts->len, body, MHD_RESPMEM_PERSISTENT);
    }
    entity_ref(e);
    struct MHD_Response *resp =
        MHD_create_response_from_iovec(parts->iov, (unsigned int)parts->count, release_entity, e);
    if (!resp)
        entity_free(e);
    return resp;
}
