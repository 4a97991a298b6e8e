/*
 * splice.c: rendering and splicing the per-reader bytes. See splice.h.
 */
#include "splice.h"

#include <stdio.h>
#include <string.h>

#include "access.h"
#include "app.h"
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

/* Appends page[from..] up to and including <!--NAME-->, then fill's bytes, then resumes at
 * <!--/NAME-->; returns the offset in page where the caller goes on, or from when the markers
 * are missing (nothing appended then). */
static size_t splice_between(struct buf *out, const char *page, size_t len, size_t from,
                             const char *name, void (*fill)(struct req *r, struct buf *out),
                             struct req *r)
{
    char open[64], close[64];
    int open_len = snprintf(open, sizeof open, "<!--%s-->", name);
    int close_len = snprintf(close, sizeof close, "<!--/%s-->", name);
    const char *start = memmem(page + from, len - from, open, (size_t)open_len);
    if (!start)
        return from;
    const char *after_open = start + open_len;
    const char *end =
        memmem(after_open, len - (size_t)(after_open - page), close, (size_t)close_len);
    if (!end)
        return from;
    buf_append(out, page + from, (size_t)(after_open - (page + from)));
    fill(r, out);
    return (size_t)(end - page); /* the closing marker is copied with what follows */
}

/* The offset of <!--NAME--> in page, or len when it is absent. */
static size_t marker_at(const char *page, size_t len, const char *name)
{
    char open[64];
    int open_len = snprintf(open, sizeof open, "<!--%s-->", name);
    const char *found = memmem(page, len, open, (size_t)open_len);
    return found ? (size_t)(found - page) : len;
}

void splice_personal(struct req *r, const char *page, size_t len, struct buf *out)
{
    buf_grow(out, len + 1024);
    /* The slots are filled in the order the page has them (the page is copied in one pass):
     * a theme may put the reader note above the masthead. */
    struct slot {
        const char *name;
        void (*fill)(struct req *r, struct buf *out);
        int wanted;
    } slots[2] = {{"account", fill_account, r->reader != NULL},
                  {"reader-note", fill_note, r->note != NULL}};
    if (slots[0].wanted && slots[1].wanted &&
        marker_at(page, len, slots[1].name) < marker_at(page, len, slots[0].name)) {
        struct slot first = slots[1];
        slots[1] = slots[0];
        slots[0] = first;
    }
    size_t at = 0;
    for (size_t i = 0; i < 2; i++)
        if (slots[i].wanted)
            at = splice_between(out, page, len, at, slots[i].name, slots[i].fill, r);
    buf_append(out, page + at, len - at);
}
