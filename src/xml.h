/*
 * xml.h: the two things every XML document we write by hand needs (feeds, sitemaps; later the
 * partners' API): text escaped for character data and attribute values, and dates as RFC 3339.
 *
 * The documents themselves are written as html.c writes pages: every piece of markup is a
 * literal in the writer and every value goes through xml_text.
 */
#ifndef BROADSHEET_XML_H
#define BROADSHEET_XML_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/* s[0..len) as XML 1.0 character data or attribute value, appended to out: & < > " ' escaped;
 * the characters XML 1.0 does not allow dropped (C0 controls other than tab, newline and
 * return, NUL, U+FFFE, U+FFFF); each byte that starts no well-formed UTF-8 sequence (a stray
 * byte, an overlong form, a surrogate, past U+10FFFF, a sequence cut short) written as U+FFFD,
 * so that a damaged string shows where it was damaged and the document stays well-formed. */
void xml_text(struct buf *out, const char *s, size_t len);

/* when (Unix seconds) as RFC 3339 in UTC ("2026-12-06T16:58:19Z", the W3C datetime sitemaps
 * and Atom use) into out (at least 21 bytes). */
void xml_time(int64_t when, char *out, size_t size);

#endif
