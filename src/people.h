/*
 * people.h: the fields of authors and tags as the newsroom's forms take them, checked before
 * the store writes them: slugs (made from a name, or typed), names, an author's Markdown bio and
 * links. Every check returns a sentence for the person at the form, or NULL when the value is
 * fine; nothing here touches the database (a taken slug is the store's to say: STORE_CONFLICT).
 */
#ifndef BROADSHEET_PEOPLE_H
#define BROADSHEET_PEOPLE_H

#include "arena.h"

#define PEOPLE_SLUG_MAX 80  /* bytes, as an article's */
#define PEOPLE_BIO_MAX 5000 /* bytes of Markdown */
#define PEOPLE_LINKS_MAX 10 /* links an author may list */
#define PEOPLE_LINK_MAX 500 /* bytes of one link */

/* Slugs are slug.h's: made by slug_make, checked by slug_valid(s, PEOPLE_SLUG_MAX). */

/* A name (trimmed by the caller): required, then account_name_problem's rule (UTF-8, at most
 * ACCOUNT_NAME_MAX characters, no control characters), as a staff member's own name. */
const char *people_name_problem(const char *name);
/* A typed slug (trimmed; "" means "make it from the name", which the caller does first). */
const char *people_slug_problem(const char *slug);
/* A bio in Markdown: UTF-8, at most PEOPLE_BIO_MAX bytes ("" is fine). */
const char *people_bio_problem(const char *bio);
/* Links typed one a line: each line trimmed, blank lines dropped, each an http:// or https://
 * URL with a host, printable ASCII without spaces, at most PEOPLE_LINK_MAX bytes, at most
 * PEOPLE_LINKS_MAX of them. On success *clean (from a) is the links joined by '\n' ("" for
 * none) and NULL is returned; else the problem, naming the line. */
const char *people_links_check(struct arena *a, const char *text, const char **clean);

#endif
