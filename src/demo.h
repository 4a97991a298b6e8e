/*
 * demo.h: seeds a fresh database with the demo newsroom (`broadsheet serve --demo`, `broadsheet
 * init --demo`), from a directory laid out as:
 *
 *     DIR/newsroom.json   {"publications": [{"slug", "name", "description", "producer",
 *                           "partner", "partner_short", "partner_url", "partner_description",
 *                           "is_host"}, …],
 *                          "sections": [{"slug", "name", "position"}, …]}
 *     DIR/articles/NAME.md  article files (import.h), imported in name order
 *
 * In newsroom.json slug and name are required strings; the other publication fields are optional
 * strings, is_host an optional boolean, position an optional integer (default 0). Unknown fields
 * are errors, so a misspelt field is caught rather than silently dropped.
 */
#ifndef BROADSHEET_DEMO_H
#define BROADSHEET_DEMO_H

#include <stddef.h>
#include <stdio.h>

#include "store.h"

/* Validates newsroom.json and every article (including that each names a publication and a
 * section that newsroom.json or the database has) before writing anything, then saves the
 * publications and sections and imports the articles in one transaction (import_files). Slugs
 * are upserted, so seeding again updates in place. Returns 0, or -1 with the reason in err,
 * naming the file (and the JSON field or the article line); it does not log, the caller does. */
int demo_seed(struct store *st, const char *demo_dir, char *err, size_t errlen);

/* Saves newsroom.json's house ad campaigns ("ads", see demo.c) with their creatives, copying
 * each image into the uploads directory (ads_store_image, as `broadsheet ads creative add`
 * does). A campaign already in the database is updated and keeps its creatives, so seeding
 * again adds none twice. Returns 0, or -1 with the reason in err (nothing is logged). */
int demo_seed_ads(struct store *st, const char *demo_dir, const char *uploads, char *err,
                  size_t errlen);

/* The demo's staff: an admin, an editor and a writer (demo.c lists their addresses), so a new
 * user can open /newsroom at once. Only on a demo database: when fresh is 1 (the demo newsroom
 * was just seeded into an empty database) or the demo admin's account already exists; any other
 * database is left alone (returns 0, prints nothing). Each account is created (with its address
 * verified) or kept with its role and state, and given a new random password, which is printed
 * on out with its address under a heading that says it is for the demo only: the one place
 * Broadsheet ever prints a password. Returns 0, or -1 with the reason in err. */
int demo_seed_staff(struct store *st, int fresh, FILE *out, char *err, size_t errlen);

/* The demo's contract-publishing partners (newsroom.json's "partners", demo.c; issue 13), on a
 * demo database only (fresh is 1, or the demo admin's account exists, as demo_seed_staff): each
 * is created with its product, or kept, and given a new random API key, printed on out as
 * "broadsheet: demo partner SLUG: API key bsk_…", for the demo only: the one place Broadsheet
 * prints a key it did not just make at an operator's command. Returns 0, or -1 with the reason
 * in err. */
int demo_seed_partners(struct store *st, const char *demo_dir, int fresh, FILE *out, char *err,
                       size_t errlen);

#endif
