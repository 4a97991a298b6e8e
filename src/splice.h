/*
 * splice.h: the per-reader bytes of a cached page. A page is rendered once for everyone and
 * cached; what differs per reader (the account links in the masthead, and the paywall's note:
 * "2 free articles left this month", "Access provided by …") is rendered here, from the
 * request's facts (r->reader, r->note), and spliced between the theme's markers
 * (<!--account-->…<!--/account--> and <!--reader-note-->…<!--/reader-note-->, exact strings)
 * as the page is sent.
 *
 * The markers are found once per cached page (splice_find_holes, when the page's entity is
 * made): the bytes between a pair are a hole of the entity, and each personal response sends
 * the page's pieces around the reader's bytes without copying the page (entity_parts).
 */
#ifndef BROADSHEET_SPLICE_H
#define BROADSHEET_SPLICE_H

#include <stddef.h>

#include "entity.h"
#include "req.h"

/* The slots of a page, and the index of each one's fill. SPLICE_MOST_READ (issue 12,
 * <!--most-read-->…<!--/most-read-->) is not the reader's: it is the "Most read" box
 * (most_read.h), the same for everyone and new each refresh, so the page's cached bytes never
 * hold it and every response of a page that has the slot fills it (respond.c). */
enum splice_slot { SPLICE_ACCOUNT, SPLICE_NOTE, SPLICE_MOST_READ, SPLICE_SLOTS };

/* The holes of page[0..len), in page order, written to holes; returns how many (0 to
 * SPLICE_SLOTS). A slot's hole is the bytes between its first <!--NAME--> and the first
 * <!--/NAME--> after it; a slot whose markers are missing has none. The slots are taken in
 * the order of their first opening markers, and the second is looked for after the first's
 * closing marker, so holes never overlap (a slot nested in another is not found there). */
size_t splice_find_holes(const char *page, size_t len, struct entity_hole holes[SPLICE_SLOTS]);

/* r's bytes for each slot, rendered into r's arena: the account links for a signed-in reader
 * (r->reader), the note for r->note (possibly empty: the slot is emptied), and the most-read
 * box as published (its tag into box_tag, "" when there is none; box_tag may be NULL). A slot
 * r has nothing for is left unset, so the page keeps its own bytes there (the signed-out
 * links; an empty box). */
void splice_fills(struct req *r, struct entity_fill fills[SPLICE_SLOTS], char *box_tag);

/* Sets fills[SPLICE_MOST_READ] to the most-read box as published (a copy in r's arena) and its
 * tag into box_tag (MOST_READ_TAG_LEN + 1 bytes; may be NULL). Returns 1, or 0 (the fill left
 * unset, box_tag "") when there is no box. */
int splice_most_read_fill(struct req *r, struct entity_fill fills[SPLICE_SLOTS], char *box_tag);

/* The meter's notes as rendered, kept for the app's life (see splice.c): each distinct note is
 * rendered once, from the app's templates, which must not change while the table lives. Made by
 * app_init (r->app->notes); without one (NULL) every note is rendered per request. Thread-safe.
 * splice_notes_free frees the table and every note in it, once no response can be sending
 * them. */
struct splice_notes *splice_notes_new(void);
void splice_notes_free(struct splice_notes *notes);

/* The meter's sentence for r->note, in the arena; NULL when the note says nothing about the
 * meter. Exposed for the unit test. */
const char *splice_meter_message(struct req *r);

#endif
