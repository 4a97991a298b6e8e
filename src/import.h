/*
 * import.h: article files into the store (`broadsheet article import`, and the demo seeder).
 *
 * An article file is UTF-8 Markdown preceded by a front-matter header between two `---` lines,
 * one `key: value` per line (blank lines allowed; a value may be wrapped in double quotes, which
 * are removed; a value is everything after the first ':' so it may contain more):
 *
 *     ---
 *     headline: Tehran Could Help U.S. Combat Militants in Iraq: Iranian Official
 *     dek: Iran is so worried about the advance of Sunni militants…
 *     publication: gsn                    (a publication slug; required)
 *     section: security                   (a section slug; required)
 *     byline: Global Security Newswire Staff
 *     published: 2014-06-13T10:30:00Z     (or 2014-06-13; UTC; required)
 *     access: metered                     (free, metered or subscribers; optional, below)
 *     slug: tehran-could-help             (optional: derived from the headline)
 *     ---
 *     The body, in Markdown.
 *
 * A file without an `access:` line gets its default level when it is imported: the section's
 * default access if it has one, else the publication's, else metered (access_effective_level;
 * set with `broadsheet section access` and `broadsheet publication access`). The default is read
 * at import and stored in the article: changing a default later changes no article already
 * imported; importing the file again (still without `access:`) gives it the new default. A file
 * with its own `access:` line keeps that level whatever the defaults.
 *
 * A derived slug is the headline's ASCII letters and digits, lowercased, with every other run of
 * characters turned into one '-', trimmed of '-' and cut to 80 characters.
 *
 * Errors are written into err as "path:LINE: what is wrong" (line numbers from 1) so an editor
 * can go straight to the mistake; these functions do not log, their caller does.
 */
#ifndef BROADSHEET_IMPORT_H
#define BROADSHEET_IMPORT_H

#include <stddef.h>

#include "arena.h"
#include "store.h"

/* Parses the article file text[0..len) (path is only used in error messages) into *out, with
 * body_html rendered by markdown_to_html; every string in *out is allocated from a. Does not
 * check that the publication and section exist (import_files does), nor apply their default
 * access: without an `access:` line, out->access is metered. Returns 0, or -1 with
 * "path:LINE: reason" in err. */
int import_parse(const char *path, const char *text, size_t len, struct arena *a,
                 struct article_input *out, char *err, size_t errlen);

/* Reads and parses the n files at paths, checks every publication and section they name exists
 * and that no two share a slug, gives each file without an `access:` line its section's or
 * publication's default level (as above, read now), then saves them all in one transaction
 * (store_articles_save): either every file is imported or none is. An existing slug is updated
 * in place. Returns 0, or -1 with the first problem in err, naming the file and (where there is
 * one) the line. */
int import_files(struct store *st, char *const *paths, int n, char *err, size_t errlen);

#endif
