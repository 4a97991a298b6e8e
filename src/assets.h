/*
 * assets.h: the theme's static files (CSS, JavaScript, images), loaded into memory at start and
 * served under fingerprinted names: static/site.css is /static/site.3fa9c02b1d.css, where the
 * fingerprint is a hash of the content. A fingerprinted URL never changes meaning, so it is
 * sent with a one-year immutable Cache-Control, and a changed file gets a new URL. Templates
 * get the URLs from the page context (assets.css, assets.js); the plain name is also served,
 * with no-cache, for links from outside.
 */
#ifndef BROADSHEET_ASSETS_H
#define BROADSHEET_ASSETS_H

#include <stddef.h>

#include "entity.h"

struct assets;

/* Loads every regular file in dir (not recursive). A missing dir gives an empty set. Returns
 * NULL with err set when a file cannot be read. */
struct assets *assets_load(const char *dir, char *err, size_t errlen);
void assets_free(struct assets *a);

/* The fingerprinted URL of file name ("site.css" -> "/static/site.3fa9c02b1d.css"), or NULL. */
const char *assets_url(const struct assets *a, const char *name);

/* The entity for a request under /static/: file is the part after "/static/", fingerprinted or
 * plain. NULL if there is no such file. */
struct entity *assets_find(const struct assets *a, const char *file);

#endif
