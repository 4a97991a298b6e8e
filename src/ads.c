/*
 * ads.c: choosing creatives, ad images and the counters. See ads.h.
 */
#include "ads.h"

#include <errno.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cidr.h"
#include "util.h"

#define WEIGHT_MAX 1000000 /* a larger weight counts as this (keeps the total in 32 bits) */

const char *const ads_placements[4] = {"interstitial", "leaderboard", "in-article", "sidebar"};

int ads_placement_valid(const char *name)
{
    for (size_t i = 0; name && i < ARRAY_LEN(ads_placements); i++)
        if (!strcmp(name, ads_placements[i]))
            return 1;
    return 0;
}

int ads_list_has(const char *list, const char *placement)
{
    size_t want = strlen(placement);
    for (const char *p = list; p && *p;) {
        size_t len = strcspn(p, ",");
        const char *start = p, *end = p + len;
        while (start < end && (*start == ' ' || *start == '\t'))
            start++;
        while (end > start && (end[-1] == ' ' || end[-1] == '\t'))
            end--;
        if ((size_t)(end - start) == want && !memcmp(start, placement, want))
            return 1;
        p += len;
        if (*p == ',')
            p++;
    }
    return 0;
}

void ads_placement_size(const char *placement, int *width, int *height)
{
    if (placement && !strcmp(placement, "leaderboard")) {
        *width = 728;
        *height = 90;
    } else {
        *width = 300;
        *height = 250;
    }
}

/* ---- choosing ---------------------------------------------------------------------------- */

/* The index after the run of candidates that share c[i]'s campaign. */
static size_t campaign_end(const struct creative *c, size_t n, size_t i)
{
    size_t j = i + 1;
    while (j < n && c[j].campaign.id == c[i].campaign.id)
        j++;
    return j;
}

/* A campaign's weight as drawn: at least 1, at most WEIGHT_MAX, divided by scale. */
static uint64_t drawn_weight(const struct creative *c, uint64_t scale)
{
    uint64_t w = c->campaign.weight < 1            ? 1
                 : c->campaign.weight > WEIGHT_MAX ? WEIGHT_MAX
                                                   : (uint64_t)c->campaign.weight;
    w /= scale;
    return w ? w : 1;
}

size_t ads_pick(const struct creative *c, size_t n, uint32_t (*uniform)(uint32_t upper))
{
    if (n == 0)
        return n;
    uint64_t total = 0, scale = 1;
    for (size_t i = 0; i < n; i = campaign_end(c, n, i))
        total += drawn_weight(&c[i], 1);
    /* More than 4294 campaigns of the largest weight at once: shrink every weight alike. */
    if (total > UINT32_MAX) {
        scale = total / UINT32_MAX + 1;
        total = 0;
        for (size_t i = 0; i < n; i = campaign_end(c, n, i))
            total += drawn_weight(&c[i], scale);
    }
    uint64_t r = uniform((uint32_t)total);
    size_t start = 0, end = campaign_end(c, n, 0);
    for (;;) {
        uint64_t w = drawn_weight(&c[start], scale);
        if (r < w || end == n)
            break;
        r -= w;
        start = end;
        end = campaign_end(c, n, start);
    }
    return start + (end - start > 1 ? uniform((uint32_t)(end - start)) : 0);
}

/* randombytes_uniform with the signature ads_pick takes. */
static uint32_t random_below(uint32_t upper)
{
    return randombytes_uniform(upper);
}

int ads_choose(struct store *st, struct arena *a, const char *placement, const char *publication,
               const char *section, int64_t now, struct creative *out)
{
    struct creative *list;
    size_t n;
    int rc = store_creatives_eligible(st, a, placement, publication, section, now, &list, &n);
    if (rc != STORE_OK)
        return rc;
    if (n == 0)
        return STORE_NOT_FOUND;
    *out = list[ads_pick(list, n, random_below)];
    return STORE_OK;
}

/* ---- URLs --------------------------------------------------------------------------------- */

int ads_url_valid(const char *url)
{
    if (!url)
        return 0;
    size_t len = strlen(url);
    const char *host;
    if (len > ADS_URL_MAX)
        return 0;
    if (!strncmp(url, "https://", 8))
        host = url + 8;
    else if (!strncmp(url, "http://", 7))
        host = url + 7;
    else
        return 0;
    size_t host_len = strcspn(host, "/?#");
    if (host_len == 0 || host[0] == '@' || host[0] == ':')
        return 0;
    for (const unsigned char *p = (const unsigned char *)url; *p; p++)
        if (*p <= 0x20 || *p >= 0x7f || *p == '"' || *p == '<' || *p == '>' || *p == '\\' ||
            *p == '`')
            return 0;
    return 1;
}

/* ---- image types and sizes ------------------------------------------------------------------ */

/* Big- and little-endian unsigned integers of 2, 3 or 4 bytes at p (image headers). */
static uint32_t be16(const unsigned char *p)
{
    return (uint32_t)p[0] << 8 | p[1];
}

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint32_t le16(const unsigned char *p)
{
    return (uint32_t)p[1] << 8 | p[0];
}

static uint32_t le24(const unsigned char *p)
{
    return (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}

/* 1 if data[0..len) starts with the n bytes of prefix. */
static int starts(const unsigned char *data, size_t len, const char *prefix, size_t n)
{
    return len >= n && !memcmp(data, prefix, n);
}

/* 1 for XML's blanks: space, tab, carriage return, line feed. */
static int is_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Where `needle` (n bytes) occurs in p[0..end), or NULL. */
static const unsigned char *find(const unsigned char *p, const unsigned char *end,
                                 const char *needle, size_t n)
{
    if (end < p || (size_t)(end - p) < n)
        return NULL;
    return memmem(p, (size_t)(end - p), needle, n);
}

/* The offset of the "<svg" that opens the root element of an SVG document in data[0..len), or
 * -1 when it is not one: UTF-8 without NUL, then after an optional BOM only blanks, an XML
 * declaration, comments and a doctype without an internal subset (no entity definitions) may
 * come before it. */
static long svg_root(const unsigned char *data, size_t len)
{
    if (memchr(data, '\0', len) || !util_utf8_valid((const char *)data, len))
        return -1;
    const unsigned char *p = data, *end = data + len, *close;
    if (starts(p, len, "\xEF\xBB\xBF", 3))
        p += 3;
    for (;;) {
        while (p < end && is_space(*p))
            p++;
        size_t left = (size_t)(end - p);
        if (starts(p, left, "<?xml", 5)) {
            if (!(close = find(p, end, "?>", 2)))
                return -1;
            p = close + 2;
        } else if (starts(p, left, "<!--", 4)) {
            if (!(close = find(p + 4, end, "-->", 3)))
                return -1;
            p = close + 3;
        } else if (starts(p, left, "<!DOCTYPE", 9)) {
            if (!(close = find(p, end, ">", 1)) || memchr(p, '[', (size_t)(close - p)))
                return -1;
            p = close + 1;
        } else if (starts(p, left, "<svg", 4) &&
                   (left == 4 || is_space(p[4]) || p[4] == '>' || p[4] == '/')) {
            return (long)(p - data);
        } else {
            return -1;
        }
    }
}

const char *ads_image_type(const unsigned char *data, size_t len)
{
    if (!data || len == 0)
        return NULL;
    if (starts(data, len, "\x89PNG\r\n\x1a\n", 8))
        return "image/png";
    if (starts(data, len, "\xFF\xD8\xFF", 3))
        return "image/jpeg";
    if (starts(data, len, "GIF87a", 6) || starts(data, len, "GIF89a", 6))
        return "image/gif";
    if (len >= 16 && starts(data, len, "RIFF", 4) && !memcmp(data + 8, "WEBP", 4))
        return "image/webp";
    if (svg_root(data, len) >= 0)
        return "image/svg+xml";
    return NULL;
}

const char *ads_image_extension(const char *type)
{
    static const struct {
        const char *type, *extension;
    } table[] = {{"image/png", "png"},
                 {"image/jpeg", "jpg"},
                 {"image/gif", "gif"},
                 {"image/webp", "webp"},
                 {"image/svg+xml", "svg"}};
    for (size_t i = 0; type && i < ARRAY_LEN(table); i++)
        if (!strcmp(type, table[i].type))
            return table[i].extension;
    return NULL;
}

/* The size in a JPEG's first start-of-frame segment. 0 or -1. */
static int jpeg_size(const unsigned char *d, size_t len, uint32_t *w, uint32_t *h)
{
    size_t i = 2;
    while (i + 9 <= len) {
        if (d[i] != 0xFF)
            return -1;
        unsigned marker = d[i + 1];
        if (marker == 0xFF) { /* fill byte */
            i++;
            continue;
        }
        if (marker == 0xD8 || marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7)) {
            i += 2; /* markers without a length */
            continue;
        }
        if (marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 &&
            marker != 0xCC) {
            *h = be16(d + i + 5);
            *w = be16(d + i + 7);
            return 0;
        }
        if (marker == 0xDA || marker == 0xD9) /* image data or the end, and no frame yet */
            return -1;
        i += 2 + be16(d + i + 2);
    }
    return -1;
}

/* The size in a WebP's first chunk (VP8X, VP8 or VP8L). 0 or -1. */
static int webp_size(const unsigned char *d, size_t len, uint32_t *w, uint32_t *h)
{
    if (len < 30)
        return -1;
    if (!memcmp(d + 12, "VP8X", 4)) {
        *w = 1 + le24(d + 24);
        *h = 1 + le24(d + 27);
        return 0;
    }
    if (!memcmp(d + 12, "VP8 ", 4) && d[23] == 0x9d && d[24] == 0x01 && d[25] == 0x2a) {
        *w = le16(d + 26) & 0x3fff;
        *h = le16(d + 28) & 0x3fff;
        return 0;
    }
    if (!memcmp(d + 12, "VP8L", 4) && d[20] == 0x2f) {
        const unsigned char *b = d + 21;
        *w = 1 + (((uint32_t)(b[1] & 0x3F) << 8) | b[0]);
        *h = 1 + (((uint32_t)(b[3] & 0x0F) << 10) | ((uint32_t)b[2] << 2) |
                  ((uint32_t)(b[1] & 0xC0) >> 6));
        return 0;
    }
    return -1;
}

/* Parses a length attribute's value v[0..n): digits, an optional fraction, an optional "px".
 * Returns the rounded value, or 0 when it is not such a number (percentages, ems). */
static uint32_t svg_length(const unsigned char *v, size_t n)
{
    double value = 0, scale = 0.1;
    size_t i = 0, digits = 0;
    while (i < n && is_space(v[i]))
        i++;
    for (; i < n && v[i] >= '0' && v[i] <= '9'; i++, digits++)
        if (value < 1e6)
            value = value * 10 + (v[i] - '0');
    if (i < n && v[i] == '.')
        for (i++; i < n && v[i] >= '0' && v[i] <= '9'; i++, digits++, scale /= 10)
            value += (v[i] - '0') * scale;
    if (!digits)
        return 0;
    if (i + 2 <= n && v[i] == 'p' && v[i + 1] == 'x')
        i += 2;
    while (i < n && is_space(v[i]))
        i++;
    return i == n ? (uint32_t)(value + 0.5) : 0;
}

/* The size of an SVG from its root's width and height, else its viewBox. 0 or -1. */
static int svg_size(const unsigned char *d, size_t len, uint32_t *w, uint32_t *h)
{
    long root = svg_root(d, len);
    if (root < 0)
        return -1;
    const unsigned char *p = d + root + 4, *end = d + len;
    uint32_t width = 0, height = 0, box_w = 0, box_h = 0;
    for (;;) {
        while (p < end && is_space(*p))
            p++;
        if (p >= end || *p == '>' || *p == '/')
            break;
        const unsigned char *name = p;
        while (p < end && !is_space(*p) && *p != '=' && *p != '>' && *p != '/')
            p++;
        size_t name_len = (size_t)(p - name);
        while (p < end && is_space(*p))
            p++;
        if (p >= end || *p != '=')
            continue; /* an attribute without a value */
        p++;
        while (p < end && is_space(*p))
            p++;
        if (p >= end || (*p != '"' && *p != '\''))
            return -1;
        unsigned char quote = *p++;
        const unsigned char *value = p;
        while (p < end && *p != quote)
            p++;
        if (p >= end)
            return -1;
        size_t value_len = (size_t)(p - value);
        p++;
        if (name_len == 5 && !memcmp(name, "width", 5)) {
            width = svg_length(value, value_len);
        } else if (name_len == 6 && !memcmp(name, "height", 6)) {
            height = svg_length(value, value_len);
        } else if (name_len == 7 && !memcmp(name, "viewBox", 7)) {
            /* "min-x min-y width height", separated by blanks and/or commas */
            uint32_t numbers[4] = {0};
            size_t i = 0, k = 0;
            while (k < 4 && i < value_len) {
                while (i < value_len && (is_space(value[i]) || value[i] == ','))
                    i++;
                size_t start = i;
                while (i < value_len && !is_space(value[i]) && value[i] != ',')
                    i++;
                if (i > start)
                    numbers[k++] = value[start] == '-' ? 0 : svg_length(value + start, i - start);
            }
            if (k == 4) {
                box_w = numbers[2];
                box_h = numbers[3];
            }
        }
    }
    if (width && height) {
        *w = width;
        *h = height;
        return 0;
    }
    if (box_w && box_h) {
        *w = box_w;
        *h = box_h;
        return 0;
    }
    return -1;
}

int ads_image_size(const char *type, const unsigned char *data, size_t len, int *width, int *height)
{
    uint32_t w = 0, h = 0;
    int rc = -1;
    if (!type || !data)
        return -1;
    if (!strcmp(type, "image/png") && len >= 24 && !memcmp(data + 12, "IHDR", 4)) {
        w = be32(data + 16);
        h = be32(data + 20);
        rc = 0;
    } else if (!strcmp(type, "image/gif") && len >= 10) {
        w = le16(data + 6);
        h = le16(data + 8);
        rc = 0;
    } else if (!strcmp(type, "image/jpeg")) {
        rc = jpeg_size(data, len, &w, &h);
    } else if (!strcmp(type, "image/webp")) {
        rc = webp_size(data, len, &w, &h);
    } else if (!strcmp(type, "image/svg+xml")) {
        rc = svg_size(data, len, &w, &h);
    }
    if (rc != 0 || w < 1 || h < 1 || w > ADS_DIMENSION_MAX || h > ADS_DIMENSION_MAX)
        return -1;
    *width = (int)w;
    *height = (int)h;
    return 0;
}

int ads_image_path_valid(const char *path)
{
    if (!path || strncmp(path, "ads/", 4) != 0)
        return 0;
    const char *hex = path + 4;
    for (int i = 0; i < 64; i++)
        if (!((hex[i] >= '0' && hex[i] <= '9') || (hex[i] >= 'a' && hex[i] <= 'f')))
            return 0;
    if (hex[64] != '.')
        return 0;
    const char *ext = hex + 65;
    return !strcmp(ext, "png") || !strcmp(ext, "jpg") || !strcmp(ext, "gif") ||
           !strcmp(ext, "webp") || !strcmp(ext, "svg");
}

/* ---- storing an image ------------------------------------------------------------------------ */

/* Creates directory path and its missing parents (mode 0755). Returns 0, or -1 with errno. */
static int make_dirs(const char *path)
{
    char *copy = xstrdup(path);
    int rc = 0;
    for (char *p = copy + 1; *p && rc == 0; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(copy, 0755) != 0 && errno != EEXIST)
            rc = -1;
        *p = '/';
    }
    if (rc == 0 && mkdir(copy, 0755) != 0 && errno != EEXIST)
        rc = -1;
    struct stat sb;
    if (rc == 0 && (stat(copy, &sb) != 0 || !S_ISDIR(sb.st_mode))) {
        errno = ENOTDIR;
        rc = -1;
    }
    free(copy);
    return rc;
}

/* Writes data[0..len) to `final` through a temporary file in the same directory and a rename,
 * so no reader ever sees half a file. Returns 0, or -1 with err set. */
static int write_whole(struct arena *a, const char *dir, const char *final, const void *data,
                       size_t len, char *err, size_t errlen)
{
    char *tmp = arena_printf(a, "%s/.upload-XXXXXX", dir);
    int fd = mkstemp(tmp);
    if (fd < 0) {
        snprintf(err, errlen, "%s: cannot create a file: %s", dir, strerror(errno));
        return -1;
    }
    const char *p = data;
    size_t left = len;
    while (left) {
        ssize_t n = write(fd, p, left);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        p += n;
        left -= (size_t)n;
    }
    int ok = left == 0 && fchmod(fd, 0644) == 0 && fsync(fd) == 0;
    int saved = errno;
    if (close(fd) != 0 && ok) {
        ok = 0;
        saved = errno;
    }
    if (ok && rename(tmp, final) != 0) {
        ok = 0;
        saved = errno;
    }
    if (!ok) {
        unlink(tmp);
        snprintf(err, errlen, "%s: cannot write: %s", final, strerror(saved));
        return -1;
    }
    return 0;
}

enum ads_image_status ads_store_image(const char *uploads, const char *src, struct arena *a,
                                      const char **path, const char **type, int *width, int *height,
                                      char *err, size_t errlen)
{
    enum ads_image_status rc = ADS_IMAGE_ERROR;
    char *data = NULL;
    size_t len = 0;
    struct stat sb;
    if (stat(src, &sb) != 0) {
        snprintf(err, errlen, "%s: cannot read: %s", src, strerror(errno));
        goto out;
    }
    if (!S_ISREG(sb.st_mode)) {
        snprintf(err, errlen, "%s: not a file", src);
        rc = ADS_IMAGE_INVALID;
        goto out;
    }
    if (sb.st_size > ADS_IMAGE_MAX_BYTES) {
        snprintf(err, errlen, "%s: larger than 2 MiB (%lld bytes)", src, (long long)sb.st_size);
        rc = ADS_IMAGE_INVALID;
        goto out;
    }
    if (!(data = util_read_file(src, &len))) {
        snprintf(err, errlen, "%s: cannot read: %s", src, strerror(errno));
        goto out;
    }
    if (len > ADS_IMAGE_MAX_BYTES) { /* it grew since stat */
        snprintf(err, errlen, "%s: larger than 2 MiB", src);
        rc = ADS_IMAGE_INVALID;
        goto out;
    }
    const char *kind = ads_image_type((const unsigned char *)data, len);
    if (!kind) {
        snprintf(err, errlen, "%s: not a PNG, JPEG, GIF, WebP or SVG image", src);
        rc = ADS_IMAGE_INVALID;
        goto out;
    }
    if (sodium_init() < 0) {
        snprintf(err, errlen, "cannot initialise libsodium");
        goto out;
    }
    unsigned char hash[32];
    char hex[65];
    crypto_generichash(hash, sizeof hash, (const unsigned char *)data, len, NULL, 0);
    sodium_bin2hex(hex, sizeof hex, hash, sizeof hash);
    const char *relative = arena_printf(a, "ads/%s.%s", hex, ads_image_extension(kind));
    const char *dir = arena_printf(a, "%s/ads", uploads);
    const char *final = arena_printf(a, "%s/%s", uploads, relative);
    if (make_dirs(dir) != 0) {
        snprintf(err, errlen, "%s: cannot create the directory: %s", dir, strerror(errno));
        goto out;
    }
    /* Named by its content: a file of that name already holds these very bytes. */
    if (access(final, F_OK) != 0 && write_whole(a, dir, final, data, len, err, errlen) != 0)
        goto out;
    *path = relative;
    *type = kind;
    int w, h;
    if (ads_image_size(kind, (const unsigned char *)data, len, &w, &h) == 0) {
        *width = w;
        *height = h;
    }
    rc = ADS_IMAGE_OK;
out:
    free(data);
    return rc;
}

/* ---- counting -------------------------------------------------------------------------------- */

/* The counts not yet flushed: a few creatives times a day or two, so a list searched from the
 * end (the newest entries are the likeliest) is all it takes. */
static pthread_mutex_t counts_lock = PTHREAD_MUTEX_INITIALIZER;
static struct ad_count *counts;
static size_t counts_n, counts_cap;

/* The per-client caps (ads.h): a count-min sketch of how many impressions and clicks each
 * (client, creative) pair had today. CAP_ROWS rows of CAP_WIDTH cells, each cell two saturating
 * 16-bit counters (impressions, clicks): 4 × 65536 × 4 bytes = 1 MiB, fixed, whatever the number
 * of clients. A pair's count is the smallest of its CAP_ROWS cells (one per row, chosen by 16
 * bits each of a keyed SipHash of the pair), so it is never under the truth: a client is never
 * let past its cap. Other pairs sharing all of its cells can only make it look higher, so the
 * error is towards counting too little. Counting updates only the cells at that smallest value
 * ("conservative update"), which keeps the others from growing needlessly. With ~N pairs a day,
 * a cell holds N / 65536 pairs on average; a pair is capped early only if each of its four cells
 * has collected cap's worth from others, which takes around a million pairs a day per process
 * at a few impressions each. Past that (or under a flood from as many addresses) more and more
 * clients are capped early: counting fails towards too few, never too many. The hash is
 * keyed with a random key per process, so no one can choose addresses that collide with
 * another client's. Guarded by counts_lock; cleared when the UTC day changes. */
#define CAP_ROWS 4
#define CAP_WIDTH 65536 /* a power of two: 16 bits of the hash pick a cell */
#define CAP_IMPRESSION 0
#define CAP_CLICK 1
static uint16_t cap_cells[CAP_ROWS][CAP_WIDTH][2];
static int64_t cap_day = INT64_MIN; /* the UTC day (days since 1970) the cells are of */
static unsigned char cap_key[crypto_shorthash_KEYBYTES];

/* The days since 1970-01-01 of t, rounding towards the past (UTC). */
static int64_t day_number(int64_t t)
{
    return t >= 0 ? t / 86400 : -((-t + 86399) / 86400);
}

/* The sketch's 64-bit hash of the client at client_ip and creative id. The client is its
 * address, an IPv4-mapped IPv6 address as the IPv4 one, an IPv6 address by its /64 (what one
 * subscriber line or host is usually given, and what an attacker can change at will below it);
 * text that is not an address is one client of its own ("" and "-" for an unknown peer). */
static uint64_t cap_hash(const char *client_ip, int64_t creative_id)
{
    unsigned char key[1 + 16 + 8] = {0}; /* family, address, creative */
    int family = 0;
    unsigned char addr[16] = {0};
    if (ip_parse(client_ip, &family, addr) == 0) {
        static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
        if (family == AF_INET6 && !memcmp(addr, mapped, sizeof mapped)) {
            memmove(addr, addr + 12, 4);
            memset(addr + 4, 0, 12);
            family = AF_INET;
        }
        if (family == AF_INET6)
            memset(addr + 8, 0, 8); /* the /64 */
        key[0] = family == AF_INET ? 4 : 6;
        memcpy(key + 1, addr, 16);
    }
    for (int i = 0; i < 8; i++)
        key[17 + i] = (unsigned char)((uint64_t)creative_id >> (8 * i));
    unsigned char out[crypto_shorthash_BYTES];
    crypto_shorthash(out, key, sizeof key, cap_key);
    uint64_t h = 0;
    for (int i = 0; i < 8; i++)
        h |= (uint64_t)out[i] << (8 * i);
    return h;
}

/* Counts one of kind (CAP_IMPRESSION, CAP_CLICK) for the pair's cells in the sketch at now, unless
 * the pair has cap of them today (cap <= 0: no cap). Returns 1 if counted, 0 if capped. The
 * caller holds counts_lock. */
static int cap_take_locked(const char *client_ip, int64_t creative_id, int64_t now, int kind,
                           int cap)
{
    if (cap <= 0)
        return 1;
    int64_t today = day_number(now);
    if (cap_day == INT64_MIN) { /* first use: the cells are zero (static), the key is not */
        if (sodium_init() < 0)
            abort(); /* as xmalloc does: nothing sensible is left to do */
        randombytes_buf(cap_key, sizeof cap_key);
    } else if (today != cap_day) {
        memset(cap_cells, 0, sizeof cap_cells);
    }
    cap_day = today;
    uint64_t h = cap_hash(client_ip, creative_id);
    uint16_t *cell[CAP_ROWS];
    unsigned least = UINT16_MAX;
    for (int row = 0; row < CAP_ROWS; row++) {
        cell[row] = &cap_cells[row][(h >> (16 * row)) & (CAP_WIDTH - 1)][kind];
        if (*cell[row] < least)
            least = *cell[row];
    }
    if (least >= (unsigned)cap || least == UINT16_MAX)
        return 0;
    for (int row = 0; row < CAP_ROWS; row++)
        if (*cell[row] == least)
            *cell[row] = (uint16_t)(least + 1);
    return 1;
}

/* The UTC day of t as "YYYY-MM-DD" into day. */
static void utc_day(int64_t t, char day[11])
{
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    if (strftime(day, 11, "%Y-%m-%d", &tm) != 10)
        memcpy(day, "0000-00-00", 11); /* a year past 9999: never, for the server's clock */
}

/* Adds impressions and clicks to (id, day) in the table. The caller holds counts_lock. */
static void add_locked(int64_t id, const char *day, int64_t impressions, int64_t clicks)
{
    for (size_t i = counts_n; i-- > 0;) {
        if (counts[i].creative_id == id && !strcmp(counts[i].day, day)) {
            counts[i].impressions += impressions;
            counts[i].clicks += clicks;
            return;
        }
    }
    if (counts_n == counts_cap) {
        counts_cap = counts_cap ? counts_cap * 2 : 16;
        counts = xrealloc(counts, counts_cap * sizeof *counts);
    }
    struct ad_count *c = &counts[counts_n++];
    c->creative_id = id;
    memcpy(c->day, day, sizeof c->day);
    c->impressions = impressions;
    c->clicks = clicks;
}

/* Counts one of kind for creative id by the client at client_ip at now, within cap. Returns 1
 * if counted, 0 if capped. */
static int count(const char *client_ip, int64_t id, int64_t now, int kind, int cap)
{
    char day[11];
    utc_day(now, day);
    pthread_mutex_lock(&counts_lock);
    int counted = cap_take_locked(client_ip, id, now, kind, cap);
    if (counted)
        add_locked(id, day, kind == CAP_IMPRESSION, kind == CAP_CLICK);
    pthread_mutex_unlock(&counts_lock);
    return counted;
}

int ads_count_impression(const char *client_ip, int64_t creative_id, int64_t now, int cap)
{
    return count(client_ip, creative_id, now, CAP_IMPRESSION, cap);
}

int ads_count_click(const char *client_ip, int64_t creative_id, int64_t now, int cap)
{
    return count(client_ip, creative_id, now, CAP_CLICK, cap);
}

void ads_flush(struct store *st)
{
    /* Take the table and write it outside the lock, so beacons never wait for the database. */
    pthread_mutex_lock(&counts_lock);
    struct ad_count *taken = counts;
    size_t n = counts_n;
    counts = NULL;
    counts_n = counts_cap = 0;
    pthread_mutex_unlock(&counts_lock);
    if (n == 0) {
        free(taken);
        return;
    }
    if (store_ad_stats_add(st, taken, n) != STORE_OK) {
        fprintf(stderr, "broadsheet: ads: could not write %zu counts; keeping them for later\n", n);
        pthread_mutex_lock(&counts_lock);
        for (size_t i = 0; i < n; i++)
            add_locked(taken[i].creative_id, taken[i].day, taken[i].impressions, taken[i].clicks);
        pthread_mutex_unlock(&counts_lock);
    }
    free(taken);
}

void ads_ctr_format(int64_t clicks, int64_t impressions, char *out, size_t size)
{
    if (impressions <= 0 || clicks < 0) {
        snprintf(out, size, "-");
        return;
    }
    /* Hundredths of a percent, rounded half up, in integers: no binary fraction to misround. */
    int64_t hundredths = (clicks * 20000 + impressions) / (2 * impressions);
    snprintf(out, size, "%lld.%02lld%%", (long long)(hundredths / 100),
             (long long)(hundredths % 100));
}
