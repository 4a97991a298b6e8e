/*
 * page_newsroom_states.c: the changes of an article's state in the newsroom (issue 11,
 * "Articles": POST /newsroom/articles/ID/submit, publish, schedule, unpublish, draft, delete),
 * and the kill (issue 13, "Embargo, corrections, kills": /newsroom/articles/ID/kill).
 *
 * The editor's buttons for the changes of state post the whole form to the change's own
 * address (formaction), which first saves what was typed (when it differs from the stored
 * article) and then changes the state, each step under the article's version (store.h), so
 * that what the person checked the rule against is what changes. The permission rules are
 * store_newsroom_may's, checked here on the article as loaded, before anything is written: a
 * refused action answers 403 and changes nothing. The form, its save and the editor page that
 * answers a refusal are page_newsroom_editor.c's (newsroom_editor.h).
 *
 * Scheduling with the editor's "Embargo" box ticked (field embargo=1) embargoes instead
 * (store_newsroom_embargo): partners receive the article at once, marked not for use before
 * the time, while readers see nothing of it until the scheduler publishes it. A kill (GET a
 * confirmation that says what a kill does and asks why, POST kill_note and version) withdraws
 * an article for good (store_newsroom_kill): its page answers 410, it leaves every listing,
 * partners get a canceled version with the reason; the list and the editor then show "Killed"
 * with when, by whom and why, and the editor is read-only (store_newsroom_may allows nothing on
 * a killed article).
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "app.h"
#include "newsroom.h"
#include "newsroom_editor.h"
#include "pages.h"
#include "reader.h"
#include "render.h"
#include "respond.h"
#include "util.h"

/* Parses a datetime-local value in UTC ("YYYY-MM-DDTHH:MM" with optional ":SS"). 0 with *t
 * set, or -1. */
static int parse_datetime(const char *s, int64_t *t)
{
    struct tm tm = {0};
    int n = 0;
    if (!s)
        return -1;
    if (sscanf(s, "%4d-%2d-%2dT%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
               &tm.tm_min, &n) != 5)
        return -1;
    if (s[n] == ':') {
        int m = 0;
        if (sscanf(s + n + 1, "%2d%n", &tm.tm_sec, &m) != 1)
            return -1;
        n += 1 + m;
    }
    if (s[n] || tm.tm_mon < 1 || tm.tm_mon > 12 || tm.tm_mday < 1 || tm.tm_mday > 31 ||
        tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 59 || tm.tm_year < 1970)
        return -1;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    *t = (int64_t)timegm(&tm);
    return 0;
}

/* A change of state (act) of the article :id, posted from the editor (with its fields: saved
 * first when they differ) or alone (csrf and version). */
static enum MHD_Result change_state(struct req *r, enum newsroom_action act)
{
    struct store *st = r->app->store;
    const struct user *u = &r->reader->user;
    struct newsroom_article art;
    int rc = newsroom_load_article(r, &art);
    if (rc != STORE_OK)
        return newsroom_store_failed(r, rc);
    if (!store_newsroom_may(&art, u->id, u->role, act))
        return respond_error(r, 403);
    int64_t version = util_parse_id(req_form(r, "version"));
    if (!version)
        return respond_error(r, 400);
    int with_form = req_form_field(r, "headline") != NULL && act != NEWSROOM_DELETE;
    struct editor_form f;
    const char *problem = with_form ? editor_form_from_post(r, &f) : NULL;
    if (!with_form)
        editor_form_from_article(&art, &f);
    /* The time to schedule at is checked before anything is saved. */
    int64_t now = util_now(), at = 0;
    if (!problem && act == NEWSROOM_SCHEDULE) {
        if (parse_datetime(req_form(r, "publish_at"), &at) != 0)
            problem = "Give the time to publish it at (UTC).";
        else if (at <= now)
            problem = "Choose a time in the future to schedule it.";
    }
    if (problem) {
        struct editor_view v = {.art = &art, .error = problem};
        return editor_page(r, 422, &f, &v);
    }
    if (with_form) {
        int editable = store_newsroom_may(&art, u->id, u->role, NEWSROOM_EDIT);
        if (!editable && (f.version != art.version || editor_form_differs(&f, &art)))
            return respond_error(r, 403);
        enum MHD_Result answer;
        if (editable && editor_save_form(r, &art, &f, &version, &answer))
            return answer;
    }
    struct newsroom_conflict conflict;
    const char *done = "";
    switch (act) {
    case NEWSROOM_SUBMIT:
        rc = store_newsroom_submit(st, art.id, version, u->id, now, &conflict);
        done = "submitted";
        break;
    case NEWSROOM_PUBLISH:
        rc = store_newsroom_publish(st, art.id, version, u->id, now, &conflict);
        done = "published";
        break;
    case NEWSROOM_SCHEDULE:
        if (editor_embargo_ticked(r)) { /* issue 13: to partners now, to readers at the time */
            rc = store_newsroom_embargo(st, art.id, version, u->id, now, at, &conflict);
            done = "embargoed";
        } else {
            rc = store_newsroom_schedule(st, art.id, version, u->id, now, at, &conflict);
            done = "scheduled";
        }
        break;
    case NEWSROOM_UNPUBLISH:
        rc = store_newsroom_unpublish(st, art.id, version, u->id, now, &conflict);
        done = "unpublished";
        break;
    case NEWSROOM_TO_DRAFT:
        rc = store_newsroom_to_draft(st, art.id, version, u->id, now, &conflict);
        done = "draft";
        break;
    case NEWSROOM_DELETE:
        rc = store_newsroom_delete(st, art.id, version, u->id, now, &conflict);
        done = "deleted";
        break;
    case NEWSROOM_EDIT:
    case NEWSROOM_KILL: return respond_error(r, 500); /* not a change of state's (see below) */
    }
    if (rc == STORE_CONFLICT) {
        struct newsroom_article stored;
        if (store_newsroom_article(st, r->arena, art.id, &stored) != STORE_OK)
            return respond_error(r, 500);
        if (!with_form)
            editor_form_from_article(&stored, &f);
        f.version = stored.version;
        struct editor_view v = {
            .art = &stored,
            .error = arena_printf(r->arena,
                                  "Changed by %s at %s since you opened it: nothing was done. "
                                  "Check the article and try again.",
                                  *conflict.updated_by_name ? conflict.updated_by_name : "someone",
                                  render_when(r->arena, conflict.updated_at))};
        return editor_page(r, 409, &f, &v);
    }
    if (rc != STORE_OK)
        return newsroom_store_failed(r, rc);
    if (act == NEWSROOM_DELETE)
        return respond_redirect(r, 303, "/newsroom?done=deleted");
    return respond_redirect(
        r, 303, arena_printf(r->arena, "/newsroom/articles/%lld?done=%s", (long long)art.id, done));
}

enum MHD_Result page_newsroom_submit(struct req *r)
{
    return change_state(r, NEWSROOM_SUBMIT);
}

enum MHD_Result page_newsroom_publish(struct req *r)
{
    return change_state(r, NEWSROOM_PUBLISH);
}

enum MHD_Result page_newsroom_schedule(struct req *r)
{
    return change_state(r, NEWSROOM_SCHEDULE);
}

enum MHD_Result page_newsroom_unpublish(struct req *r)
{
    return change_state(r, NEWSROOM_UNPUBLISH);
}

enum MHD_Result page_newsroom_to_draft(struct req *r)
{
    return change_state(r, NEWSROOM_TO_DRAFT);
}

enum MHD_Result page_newsroom_delete(struct req *r)
{
    return change_state(r, NEWSROOM_DELETE);
}

/* ---- the kill (issue 13) -------------------------------------------------------------------- */

/* The kill's page for art: what a kill does, and the form (may: the person may kill it as it
 * is) asking why, with note (as typed) and version (what the kill is based on); error, when
 * not NULL, says what is wrong. */
static enum MHD_Result kill_page(struct req *r, unsigned status, const struct newsroom_article *art,
                                 int may, int64_t version, const char *note, const char *error)
{
    const char *headline = *art->headline ? art->headline : "Untitled draft";
    const char *base = arena_printf(r->arena, "/newsroom/articles/%lld", (long long)art->id);
    json_t *ctx = newsroom_context(r, "articles", arena_printf(r->arena, "Kill: %s", headline));
    ctx = render_set(ctx, "kill",
                     render_pack("{s:I, s:s, s:s, s:s, s:s, s:I, s:s, s:b, s:i}", "id",
                                 (json_int_t)art->id, "headline", headline, "state",
                                 store_article_state_name(art->state), "editor_url", base, "action",
                                 arena_printf(r->arena, "%s/kill", base), "version",
                                 (json_int_t)version, "note", note, "may", may, "note_max",
                                 KILL_NOTE_MAX));
    if (error)
        json_object_set_new(ctx, "error", json_string(error));
    return newsroom_send(r, status, "newsroom-kill", ctx);
}

enum MHD_Result page_newsroom_kill(struct req *r)
{
    struct store *st = r->app->store;
    const struct user *u = &r->reader->user;
    struct newsroom_article art;
    int rc = newsroom_load_article(r, &art);
    if (rc != STORE_OK)
        return newsroom_store_failed(r, rc);
    if (!store_newsroom_may(&art, u->id, u->role, NEWSROOM_KILL))
        return respond_error(r, 403); /* a writer's, a draft, or killed already */
    if (r->method != METHOD_POST)
        return kill_page(r, 200, &art, 1, art.version, "", NULL);
    int64_t version = util_parse_id(req_form(r, "version"));
    if (!version)
        return respond_error(r, 400);
    /* The reason, checked by the store's rule here for the page's words. */
    const struct form_field *field = req_form_field(r, "kill_note");
    const char *note = field ? field->value : "";
    size_t len = field ? field->len : 0;
    const char *problem = NULL;
    switch (field && field->too_long ? KILL_NOTE_LONG : store_kill_note_check(note, len)) {
    case KILL_NOTE_OK: break;
    case KILL_NOTE_NOT_TEXT:
        problem = "The reason is not valid text.";
        note = "";
        break;
    case KILL_NOTE_LONG:
        problem = "The reason is too long: at most 1,000 bytes (partners receive it whole).";
        break;
    case KILL_NOTE_BLANK:
        problem = "Say why it is killed: partners are told the reason with the kill.";
        break;
    }
    if (problem)
        return kill_page(r, 422, &art, 1, version, note, problem);
    struct newsroom_conflict conflict;
    rc = store_newsroom_kill(st, art.id, version, u->id, util_now(), note, &conflict);
    if (rc == STORE_CONFLICT) {
        struct newsroom_article stored;
        if (store_newsroom_article(st, r->arena, art.id, &stored) != STORE_OK)
            return respond_error(r, 500);
        int may = store_newsroom_may(&stored, u->id, u->role, NEWSROOM_KILL);
        const char *who = *conflict.updated_by_name ? conflict.updated_by_name : "someone";
        const char *error =
            may ? arena_printf(r->arena,
                               "Changed by %s at %s since you opened it: nothing was done. "
                               "Check the article, then kill it if you still mean to.",
                               who, render_when(r->arena, conflict.updated_at))
                : arena_printf(r->arena,
                               "Changed by %s at %s since you opened it, and it can no longer "
                               "be killed as it is: nothing was done.",
                               who, render_when(r->arena, conflict.updated_at));
        return kill_page(r, 409, &stored, may, stored.version, note, error);
    }
    if (rc == STORE_INVALID)
        return kill_page(r, 422, &art, 1, version, note,
                         "Say why it is killed: partners are told the reason with the kill.");
    if (rc != STORE_OK)
        return newsroom_store_failed(r, rc);
    return respond_redirect(
        r, 303, arena_printf(r->arena, "/newsroom/articles/%lld?done=killed", (long long)art.id));
}
