/*
 * store_admin.c: the part of store.h for managing the newsroom: the staff (invitations, roles,
 * disabled accounts), sections and publications (create, edit, reorder, delete), and reading
 * the audit log.
 *
 * Every change is one transaction (store_begin, which joins a caller's as a savepoint) holding
 * the change and its audit log entry (store_audit_add): both are kept or neither. A rule that
 * depends on other rows (the last enabled admin, a section that still has articles) is judged
 * inside that transaction: on SQLite the transaction holds the write lock from its start; on
 * PostgreSQL the admins' rows are locked (STMT_STAFF_OTHER_ADMINS's pgsql text), and a section
 * or publication that gains an article between the count and the delete is refused by the
 * articles' foreign key.
 */
#include <stdio.h>
#include <string.h>

#include "ninjs.h"
#include "store_impl.h"
#include "util.h"

/* Writes the audit entry (by, action, subject, detail; no article). */
static int audit(struct store *st, int64_t by, const char *action, const char *subject,
                 const char *detail)
{
    struct audit_entry e = {
        .user_id = by, .action = action, .subject = subject, .detail = detail ? detail : ""};
    return store_audit_add(st, &e);
}

/* The count statement id (?1 = row_id) answers into *count (what names it in a report).
 * STORE_OK or STORE_ERROR. */
static int count_of(struct store *st, enum statement id, int64_t row_id, const char *what,
                    int64_t *count)
{
    struct db_conn *c = store_conn(st, NULL, 0);
    struct db_stmt *s = NULL;
    int rc = STORE_ERROR;
    if (!c || !(s = store_stmt(c, id, NULL, 0)))
        goto out;
    db_bind_int64(s, 1, row_id);
    rc = store_step_one(c, s, "%s", what);
    if (rc == STORE_OK)
        *count = db_column_int64(s, 0);
    else if (rc == STORE_NOT_FOUND)
        rc = STORE_ERROR; /* a count always has a row */
out:
    db_reset(s);
    return rc;
}

/* --- Staff ------------------------------------------------------------------------------- */

/* A user from the current row (STMT_STAFF's columns are USER_COLUMNS', but the password hash,
 * which is only "*" when a password is set: the staff page shows who has not chosen one yet). */
static void staff_row(struct db_stmt *s, struct arena *a, void *item)
{
    struct user *u = item;
    u->id = db_column_int64(s, 0);
    u->email = store_column_text(s, 1, a);
    u->display_name = store_column_text(s, 2, a);
    u->password_hash = store_column_text(s, 3, a); /* "*" when one is set, else "" */
    int role = store_role_parse(db_column_text(s, 4));
    u->role = role < 0 ? ROLE_READER : (enum role)role;
    u->email_verified_at = db_column_int64(s, 5);
    u->created_at = db_column_int64(s, 6);
    u->disabled_at = db_column_int64(s, 7);
}

int store_staff(struct store *st, struct arena *a, struct user **out, size_t *n)
{
    return store_list_all(st, STMT_STAFF, a, sizeof **out, staff_row, "listing the staff",
                          (void **)out, n);
}

int store_staff_invite(struct store *st, int64_t by, const char *email, const char *display_name,
                       enum role role, const char *token_hash_hex, int64_t now, int64_t expires_at,
                       int64_t *id)
{
    if (role < ROLE_WRITER || role > ROLE_ADMIN) {
        store_report(NULL, 0, "inviting staff: the role must be writer, editor or admin");
        return STORE_ERROR;
    }
    if (store_begin(st) != STORE_OK)
        return STORE_ERROR;
    int64_t user_id = 0;
    int rc = store_user_create(st, email, display_name ? display_name : "", "", role, &user_id);
    if (rc == STORE_OK)
        rc = store_token_create(st, user_id, "reset", token_hash_hex, "invite", now, expires_at);
    if (rc == STORE_OK) {
        struct arena *a = arena_new(0);
        struct user u;
        rc = store_user_by_id(st, a, user_id, &u); /* the address as stored (lowercased) */
        if (rc == STORE_OK)
            rc = audit(st, by, "staff.invite", u.email,
                       arena_printf(a, "invited as %s", store_role_name(role)));
        arena_free(a);
    }
    rc = store_finish(st, rc == STORE_NOT_FOUND ? STORE_ERROR : rc);
    if (rc == STORE_OK && id)
        *id = user_id;
    return rc;
}

/* Inside the transaction: STORE_CONFLICT when user u is an enabled admin and no other enabled
 * admin exists (taking u's admin rights away would leave none), STORE_OK when another does or u
 * is not one, STORE_ERROR. */
static int keeps_an_admin(struct store *st, const struct user *u)
{
    if (u->role != ROLE_ADMIN || u->disabled_at)
        return STORE_OK;
    int64_t others = 0;
    int rc = count_of(st, STMT_STAFF_OTHER_ADMINS, u->id, "counting the admins", &others);
    return rc != STORE_OK ? rc : others > 0 ? STORE_OK : STORE_CONFLICT;
}

int store_staff_set_role(struct store *st, int64_t by, int64_t user_id, enum role role)
{
    if ((unsigned)role > ROLE_ADMIN) {
        store_report(NULL, 0, "setting a role: invalid role %d", (int)role);
        return STORE_ERROR;
    }
    if (store_begin(st) != STORE_OK)
        return STORE_ERROR;
    struct arena *a = arena_new(0);
    struct user u;
    int rc = store_user_by_id(st, a, user_id, &u);
    if (rc == STORE_OK && u.role == role)
        goto out; /* nothing to change, nothing to log */
    if (rc == STORE_OK && role < ROLE_ADMIN)
        rc = keeps_an_admin(st, &u);
    if (rc == STORE_OK)
        rc = store_user_set_role(st, user_id, role);
    if (rc == STORE_OK)
        rc = store_session_delete_for_user(st, user_id, 0);
    if (rc == STORE_OK)
        rc = audit(st, by, "staff.role", u.email,
                   arena_printf(a, "%s to %s", store_role_name(u.role), store_role_name(role)));
out:
    arena_free(a);
    return store_finish(st, rc);
}

int store_staff_set_disabled(struct store *st, int64_t by, int64_t user_id, int disable,
                             int64_t now)
{
    if (store_begin(st) != STORE_OK)
        return STORE_ERROR;
    struct arena *a = arena_new(0);
    struct user u;
    struct db_conn *c = store_conn(st, NULL, 0);
    struct db_stmt *s = NULL;
    int rc = store_user_by_id(st, a, user_id, &u);
    if (rc == STORE_OK && (u.disabled_at != 0) == (disable != 0))
        goto out; /* already so */
    if (rc == STORE_OK && disable)
        rc = keeps_an_admin(st, &u);
    if (rc == STORE_OK && (!c || !(s = store_stmt(c, STMT_USER_SET_DISABLED, NULL, 0))))
        rc = STORE_ERROR;
    if (rc == STORE_OK) {
        db_bind_int64(s, 1, user_id);
        if (disable)
            db_bind_int64(s, 2, now);
        else
            db_bind_null(s, 2);
        db_bind_int64(s, 3, now);
        rc = store_step_write(c, s, 1, disable ? "disabling an account" : "enabling an account");
    }
    if (rc == STORE_OK && disable &&
        (store_session_delete_for_user(st, user_id, 0) != STORE_OK ||
         store_tokens_void(st, user_id, NULL) != STORE_OK))
        rc = STORE_ERROR;
    if (rc == STORE_OK)
        rc = audit(st, by, disable ? "staff.disable" : "staff.enable", u.email,
                   disable ? "sessions ended" : "");
out:
    db_reset(s);
    arena_free(a);
    return store_finish(st, rc);
}

/* --- Sections and publications ------------------------------------------------------------- */

/* Runs the one-row lookup id (?1 = row_id) and reads it with read (publication or section).
 * STORE_OK, STORE_NOT_FOUND or STORE_ERROR. */
static int by_id(struct store *st, enum statement id, int64_t row_id, const char *what,
                 void (*read)(struct db_stmt *, int, struct arena *, void *), struct arena *a,
                 void *out)
{
    struct db_conn *c = store_conn(st, NULL, 0);
    struct db_stmt *s = NULL;
    int rc = STORE_ERROR;
    if (!c || !(s = store_stmt(c, id, NULL, 0)))
        goto out;
    db_bind_int64(s, 1, row_id);
    rc = store_step_one(c, s, "%s", what);
    if (rc == STORE_OK)
        read(s, 0, a, out);
out:
    db_reset(s);
    return rc;
}

static void read_section(struct db_stmt *s, int col, struct arena *a, void *out)
{
    store_read_section(s, col, a, out);
}

static void read_publication(struct db_stmt *s, int col, struct arena *a, void *out)
{
    store_read_publication(s, col, a, out);
}

int store_section_by_id(struct store *st, struct arena *a, int64_t id, struct section *out)
{
    return by_id(st, STMT_SECTION_BY_ID, id, "looking up a section", read_section, a, out);
}

int store_publication_by_id(struct store *st, struct arena *a, int64_t id, struct publication *out)
{
    return by_id(st, STMT_PUBLICATION_BY_ID, id, "looking up a publication", read_publication, a,
                 out);
}

/* 1 if level is a stored default access ("" inherit, or a level's name). */
static int default_access_valid(const char *level)
{
    return level && (!*level || store_access_parse(level) >= 0);
}

/* Points the old path at target (a path on this site) at now: STMT_REDIRECT_PATH_SET. */
static int redirect_set(struct store *st, const char *path, const char *target)
{
    struct db_conn *c = store_conn(st, NULL, 0);
    struct db_stmt *s = NULL;
    int rc = STORE_ERROR;
    if (!c || !(s = store_stmt(c, STMT_REDIRECT_PATH_SET, NULL, 0)))
        goto out;
    db_bind_text(s, 1, path);
    db_bind_text(s, 2, target);
    db_bind_int64(s, 3, util_now());
    rc = store_step_write(c, s, 0, "saving a redirect");
out:
    db_reset(s);
    return rc;
}

/* In the transaction: the redirects for a slug that moved from old_slug to new_slug under
 * prefix ("/sections/"): the new path is no longer an old one (a redirect from it would never
 * be reached, and would loop if the slug moved back), and the old path answers 301 to the new.
 * No redirect is added when the slug did not change. */
static int slug_moved(struct store *st, struct arena *a, const char *prefix, const char *old_slug,
                      const char *new_slug)
{
    const char *to = arena_printf(a, "%s%s", prefix, new_slug);
    if (store_write_texts(st, STMT_REDIRECT_PATH_DELETE, 1, to, NULL, 0, "dropping a redirect") !=
        STORE_OK)
        return STORE_ERROR;
    if (!old_slug || !strcmp(old_slug, new_slug))
        return STORE_OK;
    return redirect_set(st, arena_printf(a, "%s%s", prefix, old_slug), to);
}

/* Binds a section's fields from ?first: slug, name, position, default_access. */
static void bind_section(struct db_stmt *s, int first, const struct section *sec)
{
    db_bind_text(s, first, sec->slug);
    db_bind_text(s, first + 1, sec->name);
    db_bind_int64(s, first + 2, sec->position);
    db_bind_text(s, first + 3, sec->default_access ? sec->default_access : "");
}

/* 1 if sec can be written (slug, name, a valid default), else 0 (reported). */
static int section_valid(const struct section *sec)
{
    if (store_present(sec->slug) && store_present(sec->name) &&
        default_access_valid(sec->default_access ? sec->default_access : ""))
        return 1;
    store_report(NULL, 0, "saving a section: slug, name and a valid default access are required");
    return 0;
}

int store_section_create(struct store *st, int64_t by, const struct section *sec, int64_t *id)
{
    if (!section_valid(sec) || store_begin(st) != STORE_OK)
        return STORE_ERROR;
    struct arena *a = arena_new(0);
    struct db_conn *c = store_conn(st, NULL, 0);
    struct db_stmt *s = NULL;
    int64_t new_id = 0;
    int rc = STORE_ERROR;
    if (!c || !(s = store_stmt(c, STMT_SECTION_INSERT, NULL, 0)))
        goto out;
    bind_section(s, 1, sec);
    rc = store_step_insert(c, s, &new_id, "creating a section");
    db_reset(s);
    if (rc == STORE_NOT_FOUND)
        rc = STORE_ERROR;
    if (rc == STORE_OK)
        rc = slug_moved(st, a, "/sections/", NULL, sec->slug);
    if (rc == STORE_OK)
        rc = audit(st, by, "section.create", arena_printf(a, "section %s", sec->slug), sec->name);
out:
    arena_free(a);
    rc = store_finish(st, rc);
    if (rc == STORE_OK && id)
        *id = new_id;
    return rc;
}

int store_section_update(struct store *st, int64_t by, const struct section *sec)
{
    if (!section_valid(sec) || store_begin(st) != STORE_OK)
        return STORE_ERROR;
    struct arena *a = arena_new(0);
    struct db_conn *c = store_conn(st, NULL, 0);
    struct db_stmt *s = NULL;
    struct section old;
    int rc = store_section_by_id(st, a, sec->id, &old);
    if (rc != STORE_OK)
        goto out;
    if (!c || !(s = store_stmt(c, STMT_SECTION_UPDATE, NULL, 0))) {
        rc = STORE_ERROR;
        goto out;
    }
    db_bind_int64(s, 1, sec->id);
    bind_section(s, 2, sec);
    rc = store_step_write(c, s, 1, "saving a section");
    db_reset(s);
    if (rc == STORE_OK)
        rc = slug_moved(st, a, "/sections/", old.slug, sec->slug);
    if (rc == STORE_OK)
        rc = audit(st, by, "section.edit", arena_printf(a, "section %s", sec->slug),
                   strcmp(old.slug, sec->slug)
                       ? arena_printf(a, "slug %s to %s (/sections/%s redirects)", old.slug,
                                      sec->slug, old.slug)
                       : "");
out:
    arena_free(a);
    return store_finish(st, rc);
}

int store_section_move(struct store *st, int64_t by, int64_t id, int direction)
{
    if (store_begin(st) != STORE_OK)
        return STORE_ERROR;
    struct arena *a = arena_new(0);
    struct db_conn *c = store_conn(st, NULL, 0);
    struct db_stmt *s = NULL;
    struct section *list = NULL;
    size_t n = 0, at = 0;
    int rc = store_sections(st, a, &list, &n); /* in navigation order (position, id) */
    if (rc != STORE_OK)
        goto out;
    while (at < n && list[at].id != id)
        at++;
    if (at == n) {
        rc = STORE_NOT_FOUND;
        goto out;
    }
    size_t to = direction < 0 ? (at ? at - 1 : at) : (at + 1 < n ? at + 1 : at);
    if (to == at)
        goto out; /* first or last already */
    struct section moved = list[at];
    list[at] = list[to];
    list[to] = moved;
    if (!c || !(s = store_stmt(c, STMT_SECTION_SET_POSITION, NULL, 0))) {
        rc = STORE_ERROR;
        goto out;
    }
    for (size_t i = 0; i < n && rc == STORE_OK; i++) {
        db_bind_int64(s, 1, list[i].id);
        db_bind_int64(s, 2, (int64_t)i + 1);
        rc = store_step_write(c, s, 0, "moving a section");
        db_reset(s);
    }
    if (rc == STORE_OK)
        rc = audit(
            st, by, "section.move", arena_printf(a, "section %s", moved.slug),
            arena_printf(a, "%s, to place %zu of %zu", direction < 0 ? "up" : "down", to + 1, n));
out:
    arena_free(a);
    return store_finish(st, rc);
}

/* Deletes row id (a section or a publication) with delete_id unless count_id counts articles in
 * it (their number into *articles), with the audit entry action on subject (prefix + slug). */
static int delete_empty(struct store *st, int64_t by, int64_t id, enum statement count_id,
                        enum statement delete_id, const char *action, const char *prefix,
                        const char *slug, int64_t *articles)
{
    struct arena *a = arena_new(0);
    int64_t count = 0;
    int rc = count_of(st, count_id, id, "counting articles", &count);
    if (rc == STORE_OK && count > 0)
        rc = STORE_CONFLICT;
    if (rc == STORE_OK)
        rc = store_write_ids(st, delete_id, 1, id, 0, 1, "deleting a section or publication");
    if (rc == STORE_NOT_FOUND) { /* the row was read above: an article's reference refused it */
        rc = STORE_CONFLICT;
        count = 1;
    }
    if (rc == STORE_OK)
        rc = audit(st, by, action, arena_printf(a, "%s %s", prefix, slug), "");
    if (articles)
        *articles = count;
    arena_free(a);
    return rc;
}

int store_section_delete(struct store *st, int64_t by, int64_t id, int64_t *articles)
{
    if (articles)
        *articles = 0;
    if (store_begin(st) != STORE_OK)
        return STORE_ERROR;
    struct arena *a = arena_new(0);
    struct section sec;
    int rc = store_section_by_id(st, a, id, &sec);
    if (rc == STORE_OK)
        rc = delete_empty(st, by, id, STMT_SECTION_ARTICLES, STMT_SECTION_DELETE, "section.delete",
                          "section", sec.slug, articles);
    arena_free(a);
    return store_finish(st, rc);
}

/* Binds a publication's fields from ?first, in STMT_PUBLICATION_INSERT's order. */
static void bind_publication(struct db_stmt *s, int first, const struct publication *p)
{
    const char *texts[] = {p->slug,    p->name,          p->description, p->producer,
                           p->partner, p->partner_short, p->partner_url, p->partner_description};
    for (size_t i = 0; i < ARRAY_LEN(texts); i++)
        db_bind_text(s, first + (int)i, texts[i] ? texts[i] : "");
    db_bind_int64(s, first + 8, p->is_host ? 1 : 0);
    db_bind_text(s, first + 9, p->default_access ? p->default_access : "");
    const char *rights[] = {p->copyright_holder, p->copyright_notice, p->usage_terms,
                            p->rights_url};
    for (size_t i = 0; i < ARRAY_LEN(rights); i++)
        db_bind_text(s, first + 10 + (int)i, rights[i] ? rights[i] : "");
}

/* The site has one host publication (its name is the site's, render.c): when is_host, every
 * other publication stops being the host, in the caller's transaction. */
static int only_host(struct store *st, int is_host, int64_t id)
{
    if (!is_host)
        return STORE_OK;
    return store_write_ids(st, STMT_PUBLICATION_UNHOST, 1, id, 0, 0, "making one host publication");
}

static int publication_valid(const struct publication *p)
{
    const char *rights = ninjs_rights_problem(p);
    if (rights) {
        store_report(NULL, 0, "saving a publication: %s", rights);
        return 0;
    }
    if (store_present(p->slug) && store_present(p->name) &&
        default_access_valid(p->default_access ? p->default_access : ""))
        return 1;
    store_report(NULL, 0,
                 "saving a publication: slug, name and a valid default access are required");
    return 0;
}

int store_publication_create(struct store *st, int64_t by, const struct publication *p, int64_t *id)
{
    if (!publication_valid(p) || store_begin(st) != STORE_OK)
        return STORE_ERROR;
    struct arena *a = arena_new(0);
    struct db_conn *c = store_conn(st, NULL, 0);
    struct db_stmt *s = NULL;
    int64_t new_id = 0;
    int rc = STORE_ERROR;
    if (!c || !(s = store_stmt(c, STMT_PUBLICATION_INSERT, NULL, 0)))
        goto out;
    bind_publication(s, 1, p);
    rc = store_step_insert(c, s, &new_id, "creating a publication");
    db_reset(s);
    if (rc == STORE_NOT_FOUND)
        rc = STORE_ERROR;
    if (rc == STORE_OK)
        rc = only_host(st, p->is_host, new_id);
    if (rc == STORE_OK)
        rc = slug_moved(st, a, "/publications/", NULL, p->slug);
    if (rc == STORE_OK)
        rc = audit(st, by, "publication.create", arena_printf(a, "publication %s", p->slug),
                   p->name);
out:
    arena_free(a);
    rc = store_finish(st, rc);
    if (rc == STORE_OK && id)
        *id = new_id;
    return rc;
}

int store_publication_update(struct store *st, int64_t by, const struct publication *p)
{
    if (!publication_valid(p) || store_begin(st) != STORE_OK)
        return STORE_ERROR;
    struct arena *a = arena_new(0);
    struct db_conn *c = store_conn(st, NULL, 0);
    struct db_stmt *s = NULL;
    struct publication old;
    int rc = store_publication_by_id(st, a, p->id, &old);
    if (rc != STORE_OK)
        goto out;
    if (!c || !(s = store_stmt(c, STMT_PUBLICATION_UPDATE, NULL, 0))) {
        rc = STORE_ERROR;
        goto out;
    }
    db_bind_int64(s, 1, p->id);
    bind_publication(s, 2, p);
    rc = store_step_write(c, s, 1, "saving a publication");
    db_reset(s);
    if (rc == STORE_OK)
        rc = only_host(st, p->is_host, p->id);
    if (rc == STORE_OK)
        rc = slug_moved(st, a, "/publications/", old.slug, p->slug);
    if (rc == STORE_OK)
        rc = audit(st, by, "publication.edit", arena_printf(a, "publication %s", p->slug),
                   strcmp(old.slug, p->slug)
                       ? arena_printf(a, "slug %s to %s (/publications/%s redirects)", old.slug,
                                      p->slug, old.slug)
                       : "");
out:
    arena_free(a);
    return store_finish(st, rc);
}

int store_publication_delete(struct store *st, int64_t by, int64_t id, int64_t *articles)
{
    if (articles)
        *articles = 0;
    if (store_begin(st) != STORE_OK)
        return STORE_ERROR;
    struct arena *a = arena_new(0);
    struct publication p;
    int rc = store_publication_by_id(st, a, id, &p);
    if (rc == STORE_OK)
        rc = delete_empty(st, by, id, STMT_PUBLICATION_ARTICLES, STMT_PUBLICATION_DELETE,
                          "publication.delete", "publication", p.slug, articles);
    arena_free(a);
    return store_finish(st, rc);
}

/* --- The audit log ------------------------------------------------------------------------- */

static void audit_row(struct db_stmt *s, struct arena *a, void *item)
{
    struct audit_row *e = item;
    e->id = db_column_int64(s, 0);
    e->at = db_column_int64(s, 1);
    e->user_id = db_column_int64(s, 2);
    e->user_name = store_column_text(s, 3, a);
    e->action = store_column_text(s, 4, a);
    e->article_id = db_column_int64(s, 5);
    e->headline = store_column_text(s, 6, a);
    e->subject = store_column_text(s, 7, a);
    e->detail = store_column_text(s, 8, a);
}

int store_audit_page(struct store *st, struct arena *a, int64_t before_id, int64_t article_id,
                     const char *action_prefix, int limit, struct audit_row **out, size_t *n,
                     int *more)
{
    struct db_conn *c = store_conn(st, NULL, 0);
    struct db_stmt *s = NULL;
    int rc = STORE_ERROR;
    *out = NULL;
    *n = 0;
    *more = 0;
    if (limit < 1)
        limit = 1;
    if (limit > STORE_AUDIT_PAGE_MAX)
        limit = STORE_AUDIT_PAGE_MAX;
    if (!c || !(s = store_stmt(c, article_id ? STMT_AUDIT_PAGE_ARTICLE : STMT_AUDIT_PAGE, NULL, 0)))
        goto out;
    db_bind_int64(s, 1, before_id > 0 ? before_id : INT64_MAX);
    db_bind_text(s, 2, action_prefix ? action_prefix : "");
    db_bind_int64(s, 3, limit + 1); /* one more: whether there are older ones */
    if (article_id)
        db_bind_int64(s, 4, article_id);
    rc =
        store_read_rows(c, s, a, sizeof **out, audit_row, "reading the audit log", (void **)out, n);
    if (rc == STORE_OK && *n > (size_t)limit) {
        *n = (size_t)limit;
        *more = 1;
    }
out:
    db_reset(s);
    return rc;
}
