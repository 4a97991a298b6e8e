/*
 * newsroom_editor.h: the article editor's form and page (page_newsroom_editor.c), as the changes
 * of state (page_newsroom_states.c) use them: those post the editor's whole form, save it first
 * when it differs from the stored article, and answer a refusal with the editor page. Internal
 * to the article pages of the newsroom; what every newsroom page shares is newsroom.h's.
 */
#ifndef BROADSHEET_NEWSROOM_EDITOR_H
#define BROADSHEET_NEWSROOM_EDITOR_H

#include <stddef.h>
#include <stdint.h>

#include "req.h"
#include "store.h"

/* What the editor's form holds: as typed (a POST), restored (an autosave) or stored. */
struct editor_form {
    const char *headline, *dek, *byline, *body, *slug, *tags;
    const char *seo_title, *seo_description, *editor_note;
    const char *original_url; /* "Originally published at": "" or an absolute http(s) URL */
    int64_t section_id, publication_id;
    int access;
    int64_t authors[64];
    size_t author_count;
    int64_t version;
    const char *publish_at; /* the schedule field, as typed */
    int embargo;            /* the schedule's "Embargo" box (issue 13): ticked, or embargoed */
};

/* What the editor page shows besides the form. */
struct editor_view {
    const struct newsroom_article *art; /* NULL for a new article */
    const char *notice;                 /* a done message, a restored autosave… */
    int restored;                       /* the form is an autosave: offer to discard it */
    const char *error;                  /* what is wrong (a refused save) */
    const struct newsroom_conflict *conflict;
    const struct newsroom_article *stored; /* with a conflict: the article as it is now */
};

/* The form of a stored article. A placeholder slug ("draft-…", given to a draft autosaved
 * before it had a headline) shows as empty: the first save makes one from the headline. */
void editor_form_from_article(const struct newsroom_article *art, struct editor_form *f);

/* 1 if the posted form ticks the schedule's "Embargo" box (embargo=1), else 0. */
int editor_embargo_ticked(struct req *r);

/* The editor's form from the posted fields into *f, for a save (page_newsroom_editor.c's
 * form_read_post): NULL, or what is wrong with it. */
const char *editor_form_from_post(struct req *r, struct editor_form *f);

/* 1 if the form differs from the stored article (a save would change something). */
int editor_form_differs(const struct editor_form *f, const struct newsroom_article *art);

/* The editor page for the form f. */
enum MHD_Result editor_page(struct req *r, unsigned status, const struct editor_form *f,
                            const struct editor_view *v);

/* Saves the posted form f over art (based on f->version) when it differs, re-showing the
 * editor on a refusal. Returns 0 with *version the article's version after it (saved or not),
 * or 1 with *answer the response already queued. */
int editor_save_form(struct req *r, const struct newsroom_article *art, struct editor_form *f,
                     int64_t *version, enum MHD_Result *answer);

#endif
