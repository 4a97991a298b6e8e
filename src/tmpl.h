/*
 * tmpl.h: Mustache templates (https://mustache.github.io/mustache.5.html), compiled once and
 * rendered many times against jansson values.
 *
 * A template set holds named templates; partials ({{> name}}) resolve by name within the set at
 * render time, so a set is loaded as a whole (a theme directory) and then only read. Rendering
 * is safe from many threads at once on one set.
 *
 * Escaping is the default: {{name}} HTML-escapes (html_text). In the site's mode {{{name}}} and
 * {{&name}} write a value unescaped only when it is trusted HTML (html_trusted); any other
 * value is escaped all the same, so a template cannot be tricked into emitting a reader's
 * markup. TMPL_RAW_TRIPLE gives the spec's behaviour (triple writes any string raw); it exists
 * for the conformance tests and is never used for pages.
 */
#ifndef BROADSHEET_TMPL_H
#define BROADSHEET_TMPL_H

#include <jansson.h>
#include <stddef.h>

#include "buf.h"

struct tmpl_set;

enum tmpl_flags {
    TMPL_RAW_TRIPLE = 1 << 0, /* spec mode: {{{x}}} / {{&x}} write any string unescaped */
};

/* An empty set. flags: a mask of enum tmpl_flags. Free with tmpl_set_free. */
struct tmpl_set *tmpl_set_new(unsigned flags);
void tmpl_set_free(struct tmpl_set *set);

/* Compiles source[0..len) and adds it to the set under name (replacing one of that name).
 * On a syntax error (unclosed tag or section, mismatched section end, bad delimiter change)
 * returns -1 and writes "NAME:LINE: message" into err (errlen bytes); the set is unchanged. */
int tmpl_set_add(struct tmpl_set *set, const char *name, const char *source, size_t len, char *err,
                 size_t errlen);

/* Adds every DIR/ *.mustache file, named by its file name without the extension
 * ("article.mustache" -> "article"). Returns the number added, or -1 with err set (the file
 * and line of the first error, or the directory that could not be read). */
int tmpl_set_load_dir(struct tmpl_set *set, const char *dir, char *err, size_t errlen);

/* 1 if the set has a template of that name. */
int tmpl_set_has(const struct tmpl_set *set, const char *name);

/* Renders template name with data as the root context, appending to out. A missing partial
 * renders as nothing (as the spec says). Returns 0, or -1 (out unchanged) if there is no
 * template of that name, or if the render passed its caps on work (a generous number of partial
 * and section expansions, and of output bytes: tmpl.c says how many and why), which it reports
 * on standard error: a template that includes itself twice fails quickly instead of running
 * for ever. */
int tmpl_render(const struct tmpl_set *set, const char *name, const json_t *data, struct buf *out);

#endif
