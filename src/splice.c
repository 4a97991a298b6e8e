/*
 * splice.c: rendering and splicing the per-reader bytes. See splice.h.
 */
#include "splice.h"

#include <stdio.h>
#include <string.h>

#include "access.h"
#include "app.h"
#include "buf.h"
#include "paywall.h"
#include "reader.h"
#include "tmpl.h"

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

const char *splice_meter_message(struct req *r)
{
    const struct paywall_note *n = r->note;
    if (!n || !n->metered)
        return NULL;
    if (n->unavailable)
        return "We could not check your free articles just now, so this is a preview. Please "
               "reload the page in a moment.";
    int allowance = n->allowance;
    if (n->remaining == 0 && n->reason == ACCESS_REASON_METER_COUNTED)
        return "This is your last free article this month.";
    if (n->outcome == ACCESS_PREVIEW)
        return arena_printf(r->arena, "You have read your %d free article%s this month.", allowance,
                            allowance == 1 ? "" : "s");
    if (n->remaining == 0) /* a re-read, with nothing left for new articles */
        return arena_printf(r->arena, "You have used all %d free article%s this month.", allowance,
                            allowance == 1 ? "" : "s");
    return arena_printf(r->arena, "%d free article%s left this month.", n->remaining,
                        n->remaining == 1 ? "" : "s");
}

/* The reader note (template reader-note) from r->note. */
static void fill_note(struct req *r, struct buf *out)
{
    const char *institution = r->note ? r->note->institution : NULL;
    const char *meter = splice_meter_message(r);
    if (!institution && !meter)
        return;
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

/* The slots' names, by enum splice_slot. */
static const char *const slot_names[SPLICE_SLOTS] = {"account", "reader-note"};

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
    int order[SPLICE_SLOTS] = {SPLICE_ACCOUNT, SPLICE_NOTE};
    size_t ignored;
    if (marker_at(page, len, 0, slot_names[SPLICE_NOTE], 0, &ignored) <
        marker_at(page, len, 0, slot_names[SPLICE_ACCOUNT], 0, &ignored)) {
        order[0] = SPLICE_NOTE;
        order[1] = SPLICE_ACCOUNT;
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

void splice_fills(struct req *r, struct entity_fill fills[SPLICE_SLOTS])
{
    memset(fills, 0, SPLICE_SLOTS * sizeof *fills);
    if (r->reader)
        render_fill(r, fill_account, &fills[SPLICE_ACCOUNT]);
    if (r->note)
        render_fill(r, fill_note, &fills[SPLICE_NOTE]);
}
