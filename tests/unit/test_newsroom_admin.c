/*
 * test_newsroom_admin.c: the newsroom's management in the store (store_admin.c): the staff list;
 * an invitation (an account without a password, a 7-day "reset" token with payload "invite", its
 * audit entry; an address that has an account changes nothing); role changes and disabling,
 * which end the account's sessions and never leave no enabled admin; a disabled account read
 * with its session (disabled_at, one query); sections and publications created, edited (a slug
 * change leaves a redirect, and taking a slug back drops the loop), reordered, and deleted only
 * when no article of any state is in them (the count otherwise); the audit log's pages, newest
 * first, by action prefix and by article, with every action's entry.
 *
 * Runs on SQLite, and on PostgreSQL when BROADSHEET_TEST_STORE_PG names a server.
 */
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "store.h"
#include "test_support.h"

static struct tmpdb db;

/* A user with a password hash "x" (enough to tell it from an invited account). */
static int64_t user(struct store *st, const char *email, enum role role)
{
    int64_t id = 0;
    CHECK_INT(store_user_create(st, email, "", "x", role, &id), STORE_OK);
    return id;
}

static long long count(const char *sql)
{
    return tdb_int(&db, sql);
}

static void test_staff_and_invite(void)
{
    struct store *st = open_store(&db);
    if (!st)
        return;
    struct arena *a = arena_new(0);
    int64_t boss = user(st, "boss@example.test", ROLE_ADMIN);
    user(st, "reader@example.test", ROLE_READER);
    user(st, "ed@example.test", ROLE_EDITOR);
    int64_t id = 0;
    CHECK_INT(store_staff_invite(st, boss, "New@Example.test", "New Writer", ROLE_WRITER,
                                 "aa11aa11aa11aa11aa11aa11aa11aa11aa11aa11aa11aa11aa11aa11aa11aa11",
                                 1700000000, 1700000000 + 7 * 86400, &id),
              STORE_OK);
    CHECK(id > 0);
    char out[256];
    CHECK_STR(tdb_text(&db,
                       "SELECT role || '|' || password_hash || '|' || display_name FROM users "
                       "WHERE email = 'new@example.test'",
                       out, sizeof out),
              "writer||New Writer");
    CHECK_STR(tdb_text(&db,
                       "SELECT kind || '|' || payload || '|' || (expires_at - created_at) FROM "
                       "tokens WHERE user_id = (SELECT id FROM users WHERE email = "
                       "'new@example.test')",
                       out, sizeof out),
              "reset|invite|604800");
    CHECK_STR(tdb_text(&db,
                       "SELECT user_name || '|' || subject || '|' || detail FROM audit_log WHERE "
                       "action = 'staff.invite'",
                       out, sizeof out),
              "boss@example.test|new@example.test|invited as writer");
    /* An address with an account (any case): nothing changes. */
    long long users = count("SELECT count(*) FROM users"), audit = count("SELECT count(*) FROM "
                                                                         "audit_log");
    CHECK_INT(store_staff_invite(st, boss, "READER@example.test", "", ROLE_EDITOR,
                                 "bb11aa11aa11aa11aa11aa11aa11aa11aa11aa11aa11aa11aa11aa11aa11aa11",
                                 1700000000, 1700086400, NULL),
              STORE_CONFLICT);
    CHECK_INT(store_staff_invite(st, boss, "someone@example.test", "", ROLE_READER,
                                 "cc11aa11aa11aa11aa11aa11aa11aa11aa11aa11aa11aa11aa11aa11aa11aa11",
                                 1700000000, 1700086400, NULL),
              STORE_ERROR);
    CHECK_INT(count("SELECT count(*) FROM users"), users);
    CHECK_INT(count("SELECT count(*) FROM audit_log"), audit);
    CHECK_INT(count("SELECT count(*) FROM tokens WHERE token_hash LIKE 'bb%' OR token_hash LIKE "
                    "'cc%'"),
              0);

    /* The staff: admins, editors, writers, by email; no reader; "*" marks a password. */
    struct user *list = NULL;
    size_t n = 0;
    CHECK_INT(store_staff(st, a, &list, &n), STORE_OK);
    CHECK_INT(n, 3);
    if (n == 3) {
        CHECK_STR(list[0].email, "boss@example.test");
        CHECK_STR(list[1].email, "ed@example.test");
        CHECK_STR(list[2].email, "new@example.test");
        CHECK_STR(list[0].password_hash, "*");
        CHECK_STR(list[2].password_hash, "");
        CHECK_INT(list[2].role, ROLE_WRITER);
        CHECK_INT(list[2].disabled_at, 0);
    }
    arena_free(a);
    store_close(st);
}

static void test_roles_and_last_admin(void)
{
    struct store *st = open_store(&db);
    if (!st)
        return;
    struct arena *a = arena_new(0);
    /* Only enabled admins count: disable the ones earlier tests made. */
    CHECK_INT(tdb_exec(&db, "UPDATE users SET disabled_at = 1 WHERE role = 'admin'"), 0);
    int64_t solo = user(st, "solo@example.test", ROLE_ADMIN);
    int64_t w = user(st, "w@example.test", ROLE_WRITER);
    CHECK_INT(store_session_create(st, w,
                                   "dd11aa11aa11aa11aa11aa11aa11aa11aa11aa11aa11aa11aa11aa1"
                                   "1aa11aa11",
                                   1700000000, 1900000000, "", "", NULL),
              STORE_OK);
    CHECK_INT(store_staff_set_role(st, solo, w, ROLE_EDITOR), STORE_OK);
    char out[256], sql[256];
    snprintf(sql, sizeof sql, "SELECT role FROM users WHERE id = %lld", (long long)w);
    CHECK_STR(tdb_text(&db, sql, out, sizeof out), "editor");
    snprintf(sql, sizeof sql, "SELECT count(*) FROM sessions WHERE user_id = %lld", (long long)w);
    CHECK_INT(count(sql), 0); /* its sessions ended */
    CHECK_STR(tdb_text(&db,
                       "SELECT subject || '|' || detail FROM audit_log WHERE action = "
                       "'staff.role' ORDER BY id DESC LIMIT 1",
                       out, sizeof out),
              "w@example.test|writer to editor");
    /* The same role again: nothing to change, nothing logged. */
    long long audit = count("SELECT count(*) FROM audit_log");
    CHECK_INT(store_staff_set_role(st, solo, w, ROLE_EDITOR), STORE_OK);
    CHECK_INT(count("SELECT count(*) FROM audit_log"), audit);

    /* The last enabled admin can be neither demoted nor disabled, by anyone. */
    CHECK_INT(store_staff_set_role(st, solo, solo, ROLE_EDITOR), STORE_CONFLICT);
    CHECK_INT(store_staff_set_role(st, w, solo, ROLE_READER), STORE_CONFLICT);
    CHECK_INT(store_staff_set_disabled(st, solo, solo, 1, 1700000000), STORE_CONFLICT);
    snprintf(sql, sizeof sql,
             "SELECT role || '|' || COALESCE(disabled_at, 0) FROM users WHERE id = %lld",
             (long long)solo);
    CHECK_STR(tdb_text(&db, sql, out, sizeof out), "admin|0");
    CHECK_INT(count("SELECT count(*) FROM audit_log"), audit);
    /* With a second admin, it can step down. */
    CHECK_INT(store_staff_set_role(st, solo, w, ROLE_ADMIN), STORE_OK);
    CHECK_INT(store_staff_set_role(st, solo, solo, ROLE_WRITER), STORE_OK);
    CHECK_STR(tdb_text(&db, sql, out, sizeof out), "writer|0");
    CHECK_INT(store_staff_set_role(st, solo, 999999, ROLE_WRITER), STORE_NOT_FOUND);
    CHECK_INT(store_staff_set_role(st, solo, w, (enum role)7), STORE_ERROR);
    arena_free(a);
    store_close(st);
}

static void test_disable(void)
{
    struct store *st = open_store(&db);
    if (!st)
        return;
    struct arena *a = arena_new(0);
    int64_t admin = user(st, "admin2@example.test", ROLE_ADMIN);
    int64_t w = user(st, "off@example.test", ROLE_WRITER);
    const char *session_hash = "ee11aa11aa11aa11aa11aa11aa11aa11aa11aa11aa11aa11aa11aa11aa11aa11";
    CHECK_INT(store_session_create(st, w, session_hash, 1700000000, 1900000000, "", "", NULL),
              STORE_OK);
    CHECK_INT(store_token_create(st, w, "reset",
                                 "ff11aa11aa11aa11aa11aa11aa11aa11aa11aa11aa11aa11aa11aa11aa11aa11",
                                 "invite", 1700000000, 1900000000),
              STORE_OK);
    /* Read with its session: not disabled. */
    struct session sess;
    struct user u;
    struct subscription sub;
    CHECK_INT(store_session_reader(st, a, session_hash, 1700000001, &sess, &u, &sub), STORE_OK);
    CHECK_INT(u.disabled_at, 0);
    /* A session made behind the store's back after a disable is read with disabled_at set, so
     * the reader refuses it (reader.c); first the store's own disable. */
    CHECK_INT(store_staff_set_disabled(st, admin, w, 1, 1700000100), STORE_OK);
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM sessions WHERE user_id = %lld", (long long)w);
    CHECK_INT(count(sql), 0);
    snprintf(sql, sizeof sql, "SELECT count(*) FROM tokens WHERE user_id = %lld", (long long)w);
    CHECK_INT(count(sql), 0); /* the invitation is void */
    CHECK_INT(store_user_by_id(st, a, w, &u), STORE_OK);
    CHECK_INT(u.disabled_at, 1700000100);
    CHECK_INT(store_session_create(st, w, session_hash, 1700000200, 1900000000, "", "", NULL),
              STORE_OK);
    CHECK_INT(store_session_reader(st, a, session_hash, 1700000201, &sess, &u, &sub), STORE_OK);
    CHECK_INT(u.disabled_at, 1700000100);
    /* Again: already so, nothing logged. */
    long long audit = count("SELECT count(*) FROM audit_log");
    CHECK_INT(store_staff_set_disabled(st, admin, w, 1, 1700000300), STORE_OK);
    CHECK_INT(count("SELECT count(*) FROM audit_log"), audit);
    CHECK_INT(store_staff_set_disabled(st, admin, w, 0, 1700000400), STORE_OK);
    CHECK_INT(store_user_by_id(st, a, w, &u), STORE_OK);
    CHECK_INT(u.disabled_at, 0);
    CHECK_INT(count("SELECT count(*) FROM audit_log WHERE action = 'staff.disable' AND subject "
                    "= 'off@example.test' AND detail = 'sessions ended'"),
              1);
    CHECK_INT(count("SELECT count(*) FROM audit_log WHERE action = 'staff.enable' AND subject = "
                    "'off@example.test'"),
              1);
    CHECK_INT(store_staff_set_disabled(st, admin, 999999, 1, 1700000500), STORE_NOT_FOUND);
    arena_free(a);
    store_close(st);
}

static void test_sections(void)
{
    struct store *st = open_store(&db);
    if (!st)
        return;
    struct arena *a = arena_new(0);
    char err[256] = "";
    struct publication p = {.slug = "nj", .name = "National Journal", .is_host = 1};
    CHECK_INT(store_publication_save(st, &p, err, sizeof err), STORE_OK);
    int64_t ed = user(st, "sections@example.test", ROLE_EDITOR);
    struct section world = {.slug = "world", .name = "World", .default_access = "free"};
    struct section nation = {.slug = "nation", .name = "Nation", .default_access = ""};
    struct section third = {
        .slug = "third", .name = "Third", .position = 50, .default_access = "metered"};
    int64_t world_id = 0, nation_id = 0, third_id = 0;
    CHECK_INT(store_section_create(st, ed, &world, &world_id), STORE_OK);
    CHECK_INT(store_section_create(st, ed, &nation, &nation_id), STORE_OK);
    CHECK_INT(store_section_create(st, ed, &third, &third_id), STORE_OK);
    struct section got;
    CHECK_INT(store_section_by_id(st, a, nation_id, &got), STORE_OK);
    CHECK_INT(got.position, 2); /* after the last */
    CHECK_INT(store_section_by_id(st, a, third_id, &got), STORE_OK);
    CHECK_INT(got.position, 50);
    CHECK_STR(got.default_access, "metered");
    struct section dup = {.slug = "world", .name = "Again", .default_access = ""};
    CHECK_INT(store_section_create(st, ed, &dup, NULL), STORE_CONFLICT);
    struct section bad = {.slug = "bad", .name = "Bad", .default_access = "premium"};
    CHECK_INT(store_section_create(st, ed, &bad, NULL), STORE_ERROR);
    CHECK_INT(count("SELECT count(*) FROM sections WHERE slug = 'bad'"), 0);

    /* Reorder: third up one place; positions become 1, 2, 3. */
    CHECK_INT(store_section_move(st, ed, third_id, -1), STORE_OK);
    char out[256];
    CHECK_INT(count("SELECT position FROM sections WHERE slug = 'world'"), 1);
    CHECK_INT(count("SELECT position FROM sections WHERE slug = 'third'"), 2);
    CHECK_INT(count("SELECT position FROM sections WHERE slug = 'nation'"), 3);
    CHECK_INT(store_section_move(st, ed, world_id, -1), STORE_OK); /* first already */
    CHECK_INT(count("SELECT position FROM sections WHERE slug = 'world'"), 1);
    CHECK_INT(store_section_move(st, ed, 999999, 1), STORE_NOT_FOUND);

    /* Edit every field; the slug change leaves a redirect; taking it back drops the loop. */
    struct section edit = {.id = world_id,
                           .slug = "world-news",
                           .name = "World News",
                           .position = 7,
                           .default_access = "subscribers"};
    CHECK_INT(store_section_update(st, ed, &edit), STORE_OK);
    CHECK_INT(store_section_by_id(st, a, world_id, &got), STORE_OK);
    CHECK_STR(got.slug, "world-news");
    CHECK_STR(got.name, "World News");
    CHECK_INT(got.position, 7);
    CHECK_STR(got.default_access, "subscribers");
    CHECK_STR(tdb_text(&db, "SELECT target FROM redirects WHERE path = '/sections/world'", out,
                       sizeof out),
              "/sections/world-news");
    CHECK_INT(count("SELECT count(*) FROM redirects WHERE path = '/sections/world-news'"), 0);
    edit.slug = "world";
    CHECK_INT(store_section_update(st, ed, &edit), STORE_OK);
    CHECK_INT(count("SELECT count(*) FROM redirects WHERE path = '/sections/world'"), 0);
    CHECK_STR(tdb_text(&db, "SELECT target FROM redirects WHERE path = '/sections/world-news'", out,
                       sizeof out),
              "/sections/world");
    edit.slug = "nation";
    CHECK_INT(store_section_update(st, ed, &edit), STORE_CONFLICT);
    CHECK_INT(store_section_by_id(st, a, world_id, &got), STORE_OK);
    CHECK_STR(got.slug, "world");
    edit.id = 999999;
    edit.slug = "nowhere";
    CHECK_INT(store_section_update(st, ed, &edit), STORE_NOT_FOUND);

    /* Delete: refused with the count while articles (a draft too) are in it. */
    struct article_input in = {.slug = "in-world",
                               .headline = "In World",
                               .publication_slug = "nj",
                               .section_slug = "world",
                               .body_markdown = "x",
                               .body_html = "<p>x</p>",
                               .published_at = 1700000000,
                               .access = ACCESS_FREE};
    CHECK_INT(store_articles_save(st, &in, 1, err, sizeof err), STORE_OK);
    char sql[512];
    snprintf(sql, sizeof sql,
             "INSERT INTO articles (slug, publication_id, section_id, published_at, updated_at, "
             "headline, body_markdown, body_html, state) VALUES ('draft-in-world', %lld, %lld, "
             "0, 1, 'Draft', 'x', '<p>x</p>', 'draft')",
             (long long)count("SELECT id FROM publications WHERE slug = 'nj'"),
             (long long)world_id);
    CHECK_INT(tdb_exec(&db, sql), 0);
    int64_t articles = -1;
    long long audit = count("SELECT count(*) FROM audit_log");
    CHECK_INT(store_section_delete(st, ed, world_id, &articles), STORE_CONFLICT);
    CHECK_INT(articles, 2);
    CHECK_INT(count("SELECT count(*) FROM sections WHERE slug = 'world'"), 1);
    CHECK_INT(count("SELECT count(*) FROM audit_log"), audit);
    CHECK_INT(store_section_delete(st, ed, nation_id, &articles), STORE_OK);
    CHECK_INT(articles, 0);
    CHECK_INT(count("SELECT count(*) FROM sections WHERE slug = 'nation'"), 0);
    CHECK_INT(store_section_delete(st, ed, nation_id, &articles), STORE_NOT_FOUND);

    /* Every action's entry, by the editor. */
    const char *actions[] = {"section.create", "section.move", "section.edit", "section.delete"};
    for (size_t i = 0; i < sizeof actions / sizeof actions[0]; i++) {
        snprintf(sql, sizeof sql,
                 "SELECT count(*) FROM audit_log WHERE action = '%s' AND user_name = "
                 "'sections@example.test'",
                 actions[i]);
        CHECK(count(sql) >= 1);
    }
    arena_free(a);
    store_close(st);
}

static void test_publications(void)
{
    struct store *st = open_store(&db);
    if (!st)
        return;
    struct arena *a = arena_new(0);
    int64_t admin = user(st, "pubs@example.test", ROLE_ADMIN);
    struct publication p = {.slug = "wire",
                            .name = "The Wire",
                            .description = "News.",
                            .producer = "NJG",
                            .partner = "Partner Org",
                            .partner_short = "PO",
                            .partner_url = "https://partner.example.org/",
                            .partner_description = "PO is a group.",
                            .is_host = 0,
                            .default_access = "metered"};
    int64_t id = 0;
    CHECK_INT(store_publication_create(st, admin, &p, &id), STORE_OK);
    struct publication got;
    CHECK_INT(store_publication_by_id(st, a, id, &got), STORE_OK);
    CHECK_STR(got.partner_url, "https://partner.example.org/");
    CHECK_STR(got.default_access, "metered");
    CHECK_INT(store_publication_create(st, admin, &p, NULL), STORE_CONFLICT);
    struct publication edit = {.id = id,
                               .slug = "new-wire",
                               .name = "New Wire",
                               .description = "D",
                               .producer = "P",
                               .partner = "Q",
                               .partner_short = "R",
                               .partner_url = "http://s.example/",
                               .partner_description = "T",
                               .is_host = 1,
                               .default_access = ""};
    CHECK_INT(store_publication_update(st, admin, &edit), STORE_OK);
    char out[512];
    char sql[512];
    snprintf(sql, sizeof sql,
             "SELECT slug || '|' || name || '|' || description || '|' || producer || '|' || "
             "partner || '|' || partner_short || '|' || partner_url || '|' || "
             "partner_description || '|' || is_host || '|' || default_access FROM publications "
             "WHERE id = %lld",
             (long long)id);
    CHECK_STR(tdb_text(&db, sql, out, sizeof out),
              "new-wire|New Wire|D|P|Q|R|http://s.example/|T|1|");
    CHECK_STR(tdb_text(&db, "SELECT target FROM redirects WHERE path = '/publications/wire'", out,
                       sizeof out),
              "/publications/new-wire");
    /* One host: the edit made new-wire the host, so no other publication is any more; a new
     * host publication takes it over in turn. */
    CHECK_INT(count("SELECT count(*) FROM publications WHERE is_host = 1"), 1);
    struct publication host = {.slug = "other-host", .name = "Other Host", .is_host = 1};
    int64_t host_id = 0;
    CHECK_INT(store_publication_create(st, admin, &host, &host_id), STORE_OK);
    CHECK_INT(count("SELECT count(*) FROM publications WHERE is_host = 1"), 1);
    CHECK_STR(tdb_text(&db, "SELECT slug FROM publications WHERE is_host = 1", out, sizeof out),
              "other-host");
    /* Refused with the count while an article is in it. */
    struct section s = {.slug = "pubs-section", .name = "S"};
    char err[256] = "";
    CHECK_INT(store_section_save(st, &s, err, sizeof err), STORE_OK);
    struct article_input in = {.slug = "on-the-wire",
                               .headline = "On the wire",
                               .publication_slug = "new-wire",
                               .section_slug = "pubs-section",
                               .body_markdown = "x",
                               .body_html = "<p>x</p>",
                               .published_at = 1700000000,
                               .access = ACCESS_FREE};
    CHECK_INT(store_articles_save(st, &in, 1, err, sizeof err), STORE_OK);
    int64_t articles = 0;
    CHECK_INT(store_publication_delete(st, admin, id, &articles), STORE_CONFLICT);
    CHECK_INT(articles, 1);
    CHECK_INT(tdb_exec(&db, "DELETE FROM articles WHERE slug = 'on-the-wire'"), 0);
    CHECK_INT(store_publication_delete(st, admin, id, &articles), STORE_OK);
    CHECK_INT(store_publication_by_id(st, a, id, &got), STORE_NOT_FOUND);
    CHECK_INT(count("SELECT count(*) FROM audit_log WHERE action LIKE 'publication.%' AND "
                    "user_name = 'pubs@example.test'"),
              4); /* create, edit, the other host's create, delete */
    arena_free(a);
    store_close(st);
}

static void test_audit_page(void)
{
    struct store *st = open_store(&db);
    if (!st)
        return;
    struct arena *a = arena_new(0);
    CHECK_INT(tdb_exec(&db, "DELETE FROM audit_log"), 0);
    for (int i = 0; i < 7; i++) {
        struct audit_entry e = {.at = 1700000000 + i,
                                .action = i % 2 ? "staff.role" : "section.edit",
                                .article_id = i < 3 ? 4242 : 0,
                                .subject = "s",
                                .detail = "d"};
        CHECK_INT(store_audit_add(st, &e), STORE_OK);
    }
    struct audit_row *rows = NULL;
    size_t n = 0;
    int more = 0;
    CHECK_INT(store_audit_page(st, a, 0, 0, "", 5, &rows, &n, &more), STORE_OK);
    CHECK_INT(n, 5);
    CHECK_INT(more, 1);
    for (size_t i = 1; i < n; i++)
        CHECK(rows[i].id < rows[i - 1].id);
    if (n == 5) {
        CHECK_INT(rows[0].at, 1700000006);
        CHECK_STR(rows[0].user_name, "broadsheet (command line)");
        int64_t last = rows[4].id;
        CHECK_INT(store_audit_page(st, a, last, 0, NULL, 5, &rows, &n, &more), STORE_OK);
        CHECK_INT(n, 2);
        CHECK_INT(more, 0);
    }
    CHECK_INT(store_audit_page(st, a, 0, 0, "staff.", 50, &rows, &n, &more), STORE_OK);
    CHECK_INT(n, 3);
    for (size_t i = 0; i < n; i++)
        CHECK_STR(rows[i].action, "staff.role");
    CHECK_INT(store_audit_page(st, a, 0, 0, "staff.role.x", 50, &rows, &n, &more), STORE_OK);
    CHECK_INT(n, 0);
    CHECK_INT(store_audit_page(st, a, 0, 4242, "", 50, &rows, &n, &more), STORE_OK);
    CHECK_INT(n, 3);
    if (n == 3) {
        CHECK_INT(rows[0].article_id, 4242);
        CHECK_STR(rows[0].headline, ""); /* no such article (deleted) */
    }
    CHECK_INT(store_audit_page(st, a, 0, 4242, "staff.", 50, &rows, &n, &more), STORE_OK);
    CHECK_INT(n, 1);
    arena_free(a);
    store_close(st);
}

void suite_newsroom_admin(void)
{
    if (tmpdb_make(&db, "newsroom-admin") != 0) {
        CHECK(!"tmpdb_make");
        return;
    }
    RUN(test_staff_and_invite);
    RUN(test_roles_and_last_admin);
    RUN(test_disable);
    RUN(test_sections);
    RUN(test_publications);
    RUN(test_audit_page);
    tmpdb_remove(&db);
}
