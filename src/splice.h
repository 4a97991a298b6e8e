/*
 * splice.h: the per-reader bytes of a cached page. A page is rendered once for everyone and
 * cached; what differs per reader (the account links in the masthead, and the paywall's note:
 * "2 free articles left this month", "Access provided by …") is rendered here, from the
 * request's facts (r->reader, r->note), and spliced between the theme's markers
 * (<!--account-->…<!--/account--> and <!--reader-note-->…<!--/reader-note-->, exact strings)
 * as the page is sent.
 */
#ifndef BROADSHEET_SPLICE_H
#define BROADSHEET_SPLICE_H

#include <stddef.h>

#include "buf.h"
#include "req.h"

/* Appends page[0..len) to out with r's account links and note spliced in, in page order. A
 * marker pair the page lacks is left alone (its bytes are copied as they are). */
void splice_personal(struct req *r, const char *page, size_t len, struct buf *out);

/* The meter's sentence for r->note, in the arena; NULL when the note says nothing about the
 * meter. Exposed for the unit test. */
const char *splice_meter_message(struct req *r);

#endif
