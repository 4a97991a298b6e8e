/*
 * assets.c: fingerprinted static files. See assets.h.
 */
#include "assets.h"

#include <dirent.h>
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "util.h"

struct asset {
    char *name;                /* "site.css" */
    char *url;                 /* "/static/site.3fa9c02b1d.css" */
    const char *fingerprinted; /* url + strlen("/static/") */
    struct entity *immutable;  /* sent under the fingerprinted name */
    struct entity *revalidate; /* sent under the plain name */
};

struct assets {
    struct asset *items;
    size_t count;
};

/* The Content-Type for a file name, and whether it is worth compressing. */
static const char *content_type(const char *name, int *compress)
{
    static const struct {
        const char *ext, *type;
        int compress;
    } types[] = {
        {".css", "text/css; charset=utf-8", 1},
        {".js", "text/javascript; charset=utf-8", 1},
        {".svg", "image/svg+xml", 1},
        {".png", "image/png", 0},
        {".jpg", "image/jpeg", 0},
        {".webp", "image/webp", 0},
        {".ico", "image/x-icon", 1},
        {".txt", "text/plain; charset=utf-8", 1},
        {".woff2", "font/woff2", 0},
    };
    const char *dot = strrchr(name, '.');
    for (size_t i = 0; dot && i < ARRAY_LEN(types); i++) {
        if (!strcmp(dot, types[i].ext)) {
            *compress = types[i].compress;
            return types[i].type;
        }
    }
    *compress = 0;
    return "application/octet-stream";
}

/* Sorts assets by name, for a stable order. */
static int by_name(const void *a, const void *b)
{
    return strcmp(((const struct asset *)a)->name, ((const struct asset *)b)->name);
}

struct assets *assets_load(const char *dir, char *err, size_t errlen)
{
    struct assets *a = xcalloc(1, sizeof *a);
    DIR *d = opendir(dir);
    if (!d)
        return a; /* a theme without static files */
    size_t cap = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.')
            continue;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        struct stat st;
        if (stat(path, &st) < 0 || !S_ISREG(st.st_mode))
            continue;
        size_t len;
        char *data = util_read_file(path, &len);
        if (!data) {
            snprintf(err, errlen, "%s: cannot read: %s", path, strerror(errno));
            closedir(d);
            assets_free(a);
            return NULL;
        }
        unsigned char digest[5];
        crypto_generichash(digest, sizeof digest, (unsigned char *)data, len, NULL, 0);
        char hex[sizeof digest * 2 + 1];
        sodium_bin2hex(hex, sizeof hex, digest, sizeof digest);

        if (a->count == cap) {
            cap = cap ? cap * 2 : 16;
            a->items = xrealloc(a->items, cap * sizeof *a->items);
        }
        struct asset *as = &a->items[a->count++];
        as->name = xstrdup(de->d_name);
        const char *dot = strrchr(de->d_name, '.');
        size_t stem = dot ? (size_t)(dot - de->d_name) : strlen(de->d_name);
        size_t url_len = strlen("/static/") + strlen(de->d_name) + sizeof hex + 2;
        as->url = xmalloc(url_len);
        snprintf(as->url, url_len, "/static/%.*s.%s%s", (int)stem, de->d_name, hex, dot ? dot : "");
        as->fingerprinted = as->url + strlen("/static/");
        int compress;
        const char *type = content_type(de->d_name, &compress);
        as->immutable =
            entity_new(200, type, "public, max-age=31536000, immutable", data, len, compress);
        as->revalidate = entity_new(200, type, "public, no-cache", data, len, compress);
        free(data);
    }
    closedir(d);
    if (a->count)
        qsort(a->items, a->count, sizeof *a->items, by_name);
    return a;
}

void assets_free(struct assets *a)
{
    if (!a)
        return;
    for (size_t i = 0; i < a->count; i++) {
        free(a->items[i].name);
        free(a->items[i].url);
        entity_free(a->items[i].immutable);
        entity_free(a->items[i].revalidate);
    }
    free(a->items);
    free(a);
}

const char *assets_url(const struct assets *a, const char *name)
{
    for (size_t i = 0; i < a->count; i++)
        if (!strcmp(a->items[i].name, name))
            return a->items[i].url;
    return NULL;
}

struct entity *assets_find(const struct assets *a, const char *file)
{
    for (size_t i = 0; i < a->count; i++) {
        if (!strcmp(a->items[i].fingerprinted, file))
            return a->items[i].immutable;
        if (!strcmp(a->items[i].name, file))
            return a->items[i].revalidate;
    }
    return NULL;
}
