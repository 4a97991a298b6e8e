/*
 * splice.c: rendering and splicing the per-reader bytes. See splice.h.
 */
#include "splice.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "access.h"
#include "app.h"
#include "buf.h"
#include "most_read.h"
#include "paywall.h"
#include "reader.h"
#include "tmpl.h"
#include "util.h"

/* The account links for r (template account-links): the signed-in reader's, or "Log in". */
static void fill_account(struct req *r, struct buf *out)
{
    if (!r->reader) {
        tmpl_render(r->app->templates, "account-links", NULL, out);
        return;
    }
    json_t *ctx = json_pack("{s:o, s:s}", "reader", reader_json(&r->reader->user), "csrf",
                            reader_csrf_token(r));
    if (!ctx) { /* a value jansson refused (never for valid UTF-8): the signed-out links */
        fprintf(stderr, "broadsheet: cannot build the account links\n");
        tmpl_render(r->app->templates, "account-links", NULL, out);
        return;
    }
    tmpl_render(r->app->templates, "account-links", ctx, out);
    json_decref(ctx);
}

/* What the meter's sentence depends on: its kind and one number (see meter_kind). */
enum note_kind {
    NOTE_UNAVAILABLE, /* the meter could not be read: no number */
    NOTE_LAST,        /* this read was the last free one: no number */
    NOTE_READ_ALL,    /* a preview, the allowance spent: the allowance */
    NOTE_USED_ALL,    /* a re-read with nothing left: the allowance */
    NOTE_LEFT,        /* reads left: that count */
    NOTE_KINDS
};

/* The kind of n's meter sentence, its number in *count; -1 when n says nothing about the meter.
 * The sentence is a function of these two alone (note_sentence), which is what lets the notes'
 * table key the rendered note by them. */
static int meter_kind(const struct paywall_note *n, int *count)
{
    *count = 0;
    if (!n || !n->metered)
        return -1;
    if (n->unavailable)
        return NOTE_UNAVAILABLE;
    if (n->remaining == 0 && n->reason == ACCESS_REASON_METER_COUNTED)
        return NOTE_LAST;
    if (n->outcome == ACCESS_PREVIEW) {
        *count = n->allowance;
        return NOTE_READ_ALL;
    }
    if (n->remaining == 0) { /* a re-read, with nothing left for new articles */
        *count = n->allowance;
        return NOTE_USED_ALL;
    }
    *count = n->remaining;
    return NOTE_LEFT;
}

/* The meter's sentence of kind (enum note_kind) and count, in arena. */
static const char *note_sentence(struct arena *arena, int kind, int count)
{
    const char *s = count == 1 ? "" : "s";
    switch (kind) {
    case NOTE_UNAVAILABLE:
        return "We could not check your free articles just now, so this is a preview. Please "
               "reload the page in a moment.";
    case NOTE_LAST: return "This is your last free article this month.";
    case NOTE_READ_ALL:
        return arena_printf(arena, "You have read your %d free article%s this month.", count, s);
    case NOTE_USED_ALL:
        return arena_printf(arena, "You have used all %d free article%s this month.", count, s);
    default: return arena_printf(arena, "%d free article%s left this month.", count, s);
    }
}

const char *splice_meter_message(struct req *r)
{
    int count;
    int kind = meter_kind(r->note, &count);
    return kind < 0 ? NULL : note_sentence(r->arena, kind, count);
}

/* The reader note (template reader-note) for an institution and a meter sentence (either may be
 * NULL) into out. */
static void render_note(struct req *r, const char *institution, const char *meter, struct buf *out)
{
    json_t *ctx = json_pack("{s:b, s:{s:s}, s:b, s:{s:s}}", "has_institution", institution != NULL,
                            "institution", "name", institution ? institution : "", "has_meter",
                            meter != NULL, "meter", "message", meter ? meter : "");
    if (!ctx) {
        fprintf(stderr, "broadsheet: cannot build the reader note\n");
        return;
    }
    tmpl_render(r->app->templates, "reader-note", ctx, out);
    json_decref(ctx);
}

/* The reader note (template reader-note) from r->note, rendered for this request. */
static void fill_note(struct req *r, struct buf *out)
{
    const char *institution = r->note ? r->note->institution : NULL;
    const char *meter = splice_meter_message(r);
    if (!institution && !meter)
        return;
    render_note(r, institution, meter, out);
}

/*
 * The meter's notes, each rendered once. Every anonymous read of a metered article carries a
 * note, and rendering it (a JSON context and the template) was about a twentieth of such a
 * request, for a handful of distinct outputs: the note is a function of the meter's sentence,
 * which is a function of (kind, count) (meter_kind), and of the templates, which are loaded once
 * at start and never change while the app lives. So the rendered bytes are kept for the
 * process's life, in a table indexed by kind and count: no invalidation, and at most
 * NOTE_KINDS * NOTE_COUNT_LIMIT small strings. Counts from NOTE_COUNT_LIMIT up (an allowance
 * that large) and notes that name an institution (the names come from the store, and change)
 * are rendered per request as before.
 *
 * Threads: a slot is published once, with a compare-and-swap; a thread that finds it empty
 * renders the note itself, and if another thread published first it frees its own copy and uses
 * the published one, which is identical. Published notes are never changed, nor freed before
 * splice_notes_free (after the server has stopped).
 */
#define NOTE_COUNT_LIMIT 64

struct note_text {
    size_t len;
    char data[];
};

struct splice_notes {
    _Atomic(struct note_text *) slots[NOTE_KINDS][NOTE_COUNT_LIMIT];
};

struct splice_notes *splice_notes_new(void)
{
    struct splice_notes *notes = xcalloc(1, sizeof *notes);
    for (int k = 0; k < NOTE_KINDS; k++)
        for (int c = 0; c < NOTE_COUNT_LIMIT; c++)
            atomic_init(&notes->slots[k][c], NULL);
    return notes;
}

void splice_notes_free(struct splice_notes *notes)
{
    if (!notes)
        return;
    for (int k = 0; k < NOTE_KINDS; k++)
        for (int c = 0; c < NOTE_COUNT_LIMIT; c++)
            free(atomic_load_explicit(&notes->slots[k][c], memory_order_relaxed));
    free(notes);
}

/* The rendered meter note for (kind, count) from r->app->notes, rendered and published the
 * first time it is asked for; NULL when it is not kept (no table, or count out of its range). */
static const struct note_text *kept_note(struct req *r, int kind, int count)
{
    struct splice_notes *notes = r->app->notes;
    if (!notes || count < 0 || count >= NOTE_COUNT_LIMIT)
        return NULL;
    _Atomic(struct note_text *) *slot = &notes->slots[kind][count];
    struct note_text *note = atomic_load_explicit(slot, memory_order_acquire);
    if (note)
        return note;
    struct buf out = BUF_INIT;
    render_note(r, NULL, note_sentence(r->arena, kind, count), &out);
    struct note_text *made = xmalloc(sizeof *made + out.len + 1);
    made->len = out.len;
    if (out.len)
        memcpy(made->data, out.data, out.len);
    made->data[out.len] = '\0';
    buf_free(&out);
    struct note_text *expected = NULL;
    if (atomic_compare_exchange_strong_explicit(slot, &expected, made, memory_order_acq_rel,
                                                memory_order_acquire))
        return made;
    free(made); /* another thread published the same bytes first */
    return expected;
}

/* The slots' names, by enum splice_slot. */
static const char *const slot_names[SPLICE_SLOTS] = {"account", "reader-note", "most-read"};

/* The offset of the first "<!--NAME-->" (close: "<!--/NAME-->") in page[from..len), or len; its
 * length in *marker_len. */
static size_t marker_at(const char *page, size_t len, size_t from, const char *name, int close,
                        size_t *marker_len)
{
    char marker[64];
    int n = snprintf(marker, sizeof marker, "<!--%s%s-->", close ? "/" : "", name);
    *marker_len = (size_t)n;
    const char *found = memmem(page + from, len - from, marker, (size_t)n);
    return found ? (size_t)(found - page) : len;
}

/* The hole of slot in page[from..len): from after its first opening marker to its closing
 * marker; 0, or -1 when a marker is missing. */
static int find_hole(const char *page, size_t len, size_t from, int slot, struct entity_hole *h)
{
    size_t open_len, close_len;
    size_t open = marker_at(page, len, from, slot_names[slot], 0, &open_len);
    if (open == len)
        return -1;
    size_t close = marker_at(page, len, open + open_len, slot_names[slot], 1, &close_len);
    if (close == len)
        return -1;
    *h = (struct entity_hole){.start = open + open_len, .end = close, .slot = slot};
    return 0;
}

size_t splice_find_holes(const char *page, size_t len, struct entity_hole holes[SPLICE_SLOTS])
{
    /* The slots in the order of their first opening markers (a theme may put the reader note
     * above the masthead); each after the one before it, searched from that one's closing
     * marker, so that holes never overlap. */
    int order[SPLICE_SLOTS];
    size_t first[SPLICE_SLOTS], ignored;
    for (int i = 0; i < SPLICE_SLOTS; i++) {
        first[i] = marker_at(page, len, 0, slot_names[i], 0, &ignored);
        int j = i; /* insertion by first marker; a tie (both missing) keeps the enum's order */
        while (j > 0 && first[order[j - 1]] > first[i]) {
            order[j] = order[j - 1];
            j--;
        }
        order[j] = i;
    }
    size_t n = 0, from = 0;
    for (int i = 0; i < SPLICE_SLOTS; i++)
        if (find_hole(page, len, from, order[i], &holes[n]) == 0)
            from = holes[n++].end;
    return n;
}

/* Renders fill's bytes for r into the arena as f. */
static void render_fill(struct req *r, void (*fill)(struct req *r, struct buf *out),
                        struct entity_fill *f)
{
    struct buf out = BUF_INIT;
    fill(r, &out);
    f->data = out.len ? arena_strndup(r->arena, out.data, out.len) : "";
    f->len = out.len;
    f->set = 1;
    buf_free(&out);
}

int splice_most_read_fill(struct req *r, struct entity_fill fills[SPLICE_SLOTS], char *box_tag)
{
    const char *html;
    size_t len;
    char tag[MOST_READ_TAG_LEN + 1];
    if (box_tag)
        *box_tag = '\0';
    if (most_read_box(r->app ? r->app->most_read : NULL, r->arena, &html, &len, tag) != 0)
        return 0;
    fills[SPLICE_MOST_READ] = (struct entity_fill){.data = html, .len = len, .set = 1};
    if (box_tag)
        memcpy(box_tag, tag, sizeof tag);
    return 1;
}

void splice_fills(struct req *r, struct entity_fill fills[SPLICE_SLOTS], char *box_tag)
{
    memset(fills, 0, SPLICE_SLOTS * sizeof *fills);
    splice_most_read_fill(r, fills, box_tag);
    if (r->reader)
        render_fill(r, fill_account, &fills[SPLICE_ACCOUNT]);
    if (r->note) {
        int count;
        int kind = r->note->institution ? -1 : meter_kind(r->note, &count);
        const struct note_text *kept = kind < 0 ? NULL : kept_note(r, kind, count);
        if (kept) /* process-lifetime bytes: they outlive the response */
            fills[SPLICE_NOTE] =
                (struct entity_fill){.data = kept->data, .len = kept->len, .set = 1};
        else
            render_fill(r, fill_note, &fills[SPLICE_NOTE]);
    }
}
