/*
 * slug.h: URL names (slugs): runs of lowercase ASCII letters and digits joined by single
 * hyphens, as in /articles/tehran-could-help. One rule for every kind of record: articles made
 * in the newsroom, authors, tags, sections, publications, plans and campaigns. (An import derives
 * a missing slug by its own documented rule, import.h, which must not change under files
 * imported before.)
 */
#ifndef BROADSHEET_SLUG_H
#define BROADSHEET_SLUG_H

#include <stddef.h>

#define SLUG_MADE_MAX 80 /* bytes of a slug made from a headline or a name */

/* 1 if s is a well-formed slug of 1 to max bytes, else 0 (also for NULL). */
int slug_valid(const char *s, size_t max);

/* The slug made from text (UTF-8) into out (size bytes, at least 1): ASCII letters lowercased
 * and digits kept; the Latin letters with accents of U+00C0 to U+017F folded to their base
 * letters ("Café Łódź" → "cafe-lodz", "ß" → "ss"); apostrophes dropped ("don't" → "dont");
 * every other run of characters one hyphen. At most SLUG_MADE_MAX and size - 1 bytes, cut at the
 * last whole word when there is one, never starting or ending with a hyphen; "" when text has no
 * letter or digit it can use. */
void slug_make(const char *text, char *out, size_t size);

#endif
