/*
 * store_sql.c: the store's SQL, one compile-time literal per statement (store_impl.h), written
 * once in the SQL both backends speak (db.h).
 */
#include "store_impl.h"

/* The tat a hit on an existing rate_limits row moves it to (STMT_LIMIT_HIT): a window's worth
 * of units past the stored tat, or past now when the bucket is full (tat <= now); the fresh
 * tat (excluded's) when the row was written under another rule. */
#define LIMIT_NEXT_TAT                                                                             \
    "(CASE WHEN rate_limits.per_window = excluded.per_window AND "                                 \
    "rate_limits.window_ms = excluded.window_ms AND rate_limits.tat > ?6 "                         \
    "THEN rate_limits.tat + excluded.window_ms ELSE excluded.tat END)"

/* A published article's lastmod in the sitemaps: the later of its last update and its
 * publication (a scheduled article is published after its last save). */
#define SITEMAP_LASTMOD                                                                            \
    "CASE WHEN a.updated_at > a.published_at THEN a.updated_at ELSE a.published_at END"

/* The newsroom's article row (store_newsroom_articles.c's read_row order), any state; BODY is
 * the two body columns or two empty strings. A person's name is their display name, else their
 * email. */
// clang-format off
#define NR_USER_NAME(T)                                                                            \
    "COALESCE(CASE WHEN " T ".display_name <> '' THEN " T ".display_name ELSE " T ".email END, '')"
#define NR_SELECT(BODY)                                                                            \
    "SELECT a.id, a.slug, a.headline, a.dek, a.byline, " BODY ", a.publication_id, p.name, "       \
    "a.section_id, s.name, a.access, a.state, a.version, a.published_at, a.created_at, "           \
    "a.updated_at, COALESCE(a.created_by, 0), COALESCE(a.updated_by, 0), " NR_USER_NAME("cu")    \
    ", " NR_USER_NAME("uu") ", a.seo_title, a.seo_description, a.editor_note, a.original_url, "    \
    "a.embargoed, a.killed_at, a.kill_note FROM articles a "                                                                             \
    "JOIN publications p ON p.id = a.publication_id JOIN sections s ON s.id = a.section_id "       \
    "LEFT JOIN users cu ON cu.id = a.created_by LEFT JOIN users uu ON uu.id = a.updated_by "
/* The list's filters, each off when its parameter is '' or 0: ?1 state, ?2 section, ?3
 * publication, ?4 created_by, ?5 a LIKE pattern over the headline (issue 12's search will
 * replace it). */
#define NR_FILTER                                                                                  \
    "(CAST(?1 AS TEXT) = '' OR a.state = ?1) AND (CAST(?2 AS BIGINT) = 0 OR a.section_id = ?2) "   \
    "AND (CAST(?3 AS BIGINT) = 0 OR a.publication_id = ?3) "                                       \
    "AND (CAST(?4 AS BIGINT) = 0 OR a.created_by = ?4) "                                           \
    "AND (CAST(?5 AS TEXT) = '' OR lower(a.headline) LIKE ?5 ESCAPE '\\')"
// clang-format on

/* An author's columns, with the email of the staff account it is linked to ("" for none), in
 * the order read_author expects. */
#define AUTHOR_SELECT                                                                              \
    "SELECT au.id, au.slug, au.name, au.bio, au.bio_html, au.links, COALESCE(au.user_id, 0), "     \
    "COALESCE(u.email, ''), au.created_at FROM authors au LEFT JOIN users u ON u.id = au.user_id "

/* A tag's columns, in the order store_people.c's tag_row expects. */
#define TAG_SELECT "SELECT t.id, t.slug, t.name, t.created_at FROM tags t "

/* The rest of a reader's list of an author's or a tag's articles (store_people.c), after its
 * filter: published, after the cursor (?2, ?3), newest first, ?4 rows. */
#define PEOPLE_LIST_REST                                                                           \
    " AND " LIVE("a") " AND (a.published_at, a.id) < (?2, ?3) "                                    \
                      "ORDER BY a.published_at DESC, a.id DESC LIMIT ?4"

/* An author's list and a tag's are the same statements over a different link table: LINKS
 * (article_authors, article_tags) and its column KEY (author_id, tag_id) naming the author or
 * tag, ?1. See STMT_AUTHOR_ARTICLES below for the two plans. */
// clang-format off
#define PEOPLE_ARTICLE_KEY(LINKS, KEY)                                                             \
    "SELECT a.published_at, a.id FROM " LINKS " x JOIN articles a ON a.id = x.article_id "         \
    "WHERE x." KEY " = ?1 AND x.article_id = ?2 AND " LIVE("a")
#define PEOPLE_ARTICLES(LINKS, KEY)                                                                \
    ARTICLE_SELECT("'', ''") "JOIN " LINKS " x ON x.article_id = a.id WHERE x." KEY " = ?1"       \
    PEOPLE_LIST_REST
#define PEOPLE_ARTICLES_LATEST(LINKS, KEY)                                                         \
    ARTICLE_SELECT("'', ''") "WHERE EXISTS (SELECT 1 FROM " LINKS " x WHERE x.article_id = a.id " \
    "AND x." KEY " = ?1)" PEOPLE_LIST_REST
#define PEOPLE_ARTICLES_PGSQL(LINKS, KEY)                                                          \
    "WITH mine AS MATERIALIZED (SELECT x.article_id FROM " LINKS " x WHERE x." KEY " = ?1) "      \
    ARTICLE_SELECT("'', ''") "JOIN mine ON mine.article_id = a.id WHERE true" PEOPLE_LIST_REST
#define PEOPLE_LINKS_UP_TO(LINKS, KEY)                                                             \
    "SELECT count(*) FROM (SELECT 1 FROM " LINKS " WHERE " KEY " = ?1 LIMIT ?2) x"
/* An article's (?1) authors ('a' rows), then its tags ('t' rows), each in their order, in one
 * round trip; ONLY either joins the article to keep only a published one, or is "". */
#define PEOPLE_OF_ARTICLE(ONLY)                                                                    \
    "SELECT 'a', au.id, au.slug, au.name, x.position FROM article_authors x "                      \
    "JOIN authors au ON au.id = x.author_id" ONLY " WHERE x.article_id = ?1 UNION ALL "            \
    "SELECT 't', t.id, t.slug, t.name, x.position FROM article_tags x "                            \
    "JOIN tags t ON t.id = x.tag_id" ONLY " WHERE x.article_id = ?1 ORDER BY 1, 5, 2"
// clang-format on

/* Readers' lists in keyset pages (store_lists.c). A page: the list's published articles after
 * the cursor (?2, ?3), newest first, ?4 rows, FILTER on ?1. Newer: the ids of the ?4 articles
 * just before the cursor, oldest first (what finds a page's true previous page). Both search
 * from the cursor in the list's partial index (articles_section_latest,
 * articles_publication_latest, articles_latest), forwards or backwards. */
// clang-format off
#define LIST_PAGE(FILTER)                                                                          \
    ARTICLE_SELECT("'', ''") "WHERE " LIVE("a") " AND " FILTER                                     \
    " AND (a.published_at, a.id) < (?2, ?3) ORDER BY a.published_at DESC, a.id DESC LIMIT ?4"
#define LIST_NEWER_REST                                                                            \
    " AND " LIVE("a") " AND (a.published_at, a.id) > (?2, ?3) "                                    \
    "ORDER BY a.published_at, a.id LIMIT ?4"
#define LIST_NEWER(FILTER) "SELECT a.id FROM articles a WHERE " FILTER LIST_NEWER_REST
/* An author's (tag's) newer articles, by the two plans of their pages (STMT_AUTHOR_ARTICLES,
 * STMT_AUTHOR_ARTICLES_LATEST): from the links, or walking articles_latest up from the cursor. */
#define LIST_PEOPLE_NEWER(LINKS, KEY)                                                              \
    "SELECT a.id FROM " LINKS " x JOIN articles a ON a.id = x.article_id WHERE x." KEY " = ?1"    \
    LIST_NEWER_REST
#define LIST_PEOPLE_NEWER_LATEST(LINKS, KEY)                                                       \
    LIST_NEWER("EXISTS (SELECT 1 FROM " LINKS " x WHERE x.article_id = a.id AND x." KEY " = ?1)")
#define LIST_PEOPLE_NEWER_PGSQL(LINKS, KEY)                                                        \
    "WITH mine AS MATERIALIZED (SELECT x.article_id FROM " LINKS " x WHERE x." KEY " = ?1) "      \
    "SELECT a.id FROM articles a JOIN mine ON mine.article_id = a.id WHERE true" LIST_NEWER_REST
// clang-format on

/* Readers' search (store_search.c). A hit is an article joined to its index row, published
 * (LIVE: the index does not know what is published, so publishing and taking down write
 * nothing there), in section ?2 and publication ?3 (0: any), published in [?4, ?5]; a page is
 * ?6 rows from ?7. The columns are read_article's (without the bodies), then the snippet of the
 * visible text and that of the withheld text ('' for a reader who is not entitled: it is never
 * computed for them). Snippets mark matches with the control characters 2 and 3, which the
 * index's text never holds (store_search.c strips them), for the page to turn into <mark>. */
// clang-format off
#define SEARCH_FILTER                                                                              \
    " AND " LIVE("a") " AND (CAST(?2 AS BIGINT) = 0 OR a.section_id = ?2) "                       \
    "AND (CAST(?3 AS BIGINT) = 0 OR a.publication_id = ?3) "                                       \
    "AND a.published_at >= ?4 AND a.published_at <= ?5"
#define SEARCH_COLUMNS                                                                             \
    "a.id, a.slug, a.headline, a.dek, a.byline, '', '', a.published_at, a.updated_at, "            \
    "a.access, " PUBLICATION_COLUMNS("p") ", " SECTION_COLUMNS("s")
#define SEARCH_JOINS                                                                               \
    " JOIN publications p ON p.id = a.publication_id JOIN sections s ON s.id = a.section_id "
/* SQLite: ?1 is FTS5 MATCH text the store built (every term quoted; a column filter for a
 * reader who is not entitled). bm25 weighs a match in the headline most, then the dek. */
#define SEARCH_SNIPPET(COLUMN)                                                                     \
    "snippet(search_index, " COLUMN ", char(2), char(3), '…', 40)"
#define SEARCH_BM25(T) "bm25(" T ", 10.0, 4.0, 1.0, 1.0)"
/* What a query costs is bounded: the matches ranked are the SEARCH_WINDOW newest (by id, the
 * order articles were made in), walked from the index in that order, so a word in most of a
 * million articles ranks 10,000 of them, not 700,000 (README "Search"). The page's rows are
 * chosen first (the inner SELECTs), and snippet(), which reads a row's text, runs for those 20
 * alone: in one SELECT, SQLite computes every column of every match before its sort keeps 20.
 * The page's 20 rows drive the outer query (CROSS JOIN: FTS5 then matches each by its rowid);
 * written as "MATCH ?1 AND rowid IN (the page)", FTS5 walked every match of the whole index
 * and tested each against the 20, 0.3 to 3 s a query at 1,000,000 articles, 30 to 200 ms now.
 * A match is checked against migration 018's articles_search (INDEXED BY: the planner would
 * take the primary key and read each article's row, body and all, for its state). */
#define SEARCH_WINDOW "10000"
#define SEARCH_SQLITE(REST)                                                                        \
    "SELECT " SEARCH_COLUMNS ", " SEARCH_SNIPPET("2") ", " REST " FROM (SELECT w.rowid AS rowid, " \
    "w.score AS score, w.published_at AS published_at FROM (SELECT f.rowid AS rowid, "             \
    SEARCH_BM25("f.search_index") " AS score, a.published_at AS published_at, a.id AS id "        \
    "FROM search_index f JOIN articles a INDEXED BY articles_search ON a.id = f.rowid "          \
    "WHERE f.search_index MATCH ?1"                                                                \
    SEARCH_FILTER " ORDER BY f.rowid DESC LIMIT " SEARCH_WINDOW ") w ORDER BY w.score, "         \
    "w.published_at DESC, w.id DESC LIMIT ?6 OFFSET ?7) hit CROSS JOIN search_index "              \
    "ON search_index.rowid = hit.rowid JOIN articles a ON a.id = hit.rowid" SEARCH_JOINS          \
    "WHERE search_index MATCH ?1 ORDER BY hit.score, hit.published_at DESC, hit.rowid DESC"
#define SEARCH_COUNT_SQLITE                                                                        \
    "SELECT count(*) FROM (SELECT 1 FROM search_index JOIN articles a INDEXED BY articles_search " \
    "ON a.id = search_index.rowid WHERE search_index MATCH ?1" SEARCH_FILTER " LIMIT ?6) x"
/* PostgreSQL: ?1 is to_tsquery text the store built (quoted lexemes). TSV is what the reader
 * may match: visible_tsv, or visible_tsv || rest_tsv (each has its GIN index, migration 014).
 * The page's rows are found and ranked first; ts_headline, which reads the whole text, runs for
 * them alone. */
#define SEARCH_TSQUERY "to_tsquery('english', CAST(?1 AS TEXT))"
/* A query that is only negations once the english stop words are gone ("the -iran" is !'iran')
 * would match nearly every row by a scan: querytree() says 'T' for one the index cannot
 * answer, and it finds nothing instead, as a query of stop words alone does. */
#define SEARCH_INDEXABLE "querytree(" SEARCH_TSQUERY ") <> 'T' AND "
#define SEARCH_HEADLINE(TEXT)                                                                      \
    "ts_headline('english', " TEXT ", q.q, 'StartSel=' || chr(2) || ', StopSel=' || chr(3) || "  \
    "', MaxWords=40, MinWords=20, ShortWord=2, MaxFragments=2, FragmentDelimiter=\" … \"')"
#define SEARCH_PGSQL(TSV, REST)                                                                    \
    "WITH q AS (SELECT " SEARCH_TSQUERY " AS q), recent AS (SELECT d.article_id "                  \
    "FROM search_docs d JOIN articles a ON a.id = d.article_id WHERE " SEARCH_INDEXABLE TSV " @@ " \
    SEARCH_TSQUERY SEARCH_FILTER " ORDER BY d.article_id DESC LIMIT " SEARCH_WINDOW "), "          \
    "hits AS (SELECT d.article_id, ts_rank(" TSV ", q.q) AS rank, a.published_at, a.id "          \
    "FROM q, recent r JOIN search_docs d ON d.article_id = r.article_id "                          \
    "JOIN articles a ON a.id = d.article_id "                                                      \
    "ORDER BY rank DESC, a.published_at DESC, a.id DESC LIMIT ?6 OFFSET ?7) "                     \
    "SELECT " SEARCH_COLUMNS ", " SEARCH_HEADLINE("d.visible_text") ", " REST " FROM hits "       \
    "JOIN articles a ON a.id = hits.article_id JOIN search_docs d ON d.article_id = a.id"         \
    SEARCH_JOINS "CROSS JOIN q ORDER BY hits.rank DESC, hits.published_at DESC, hits.id DESC"
#define SEARCH_COUNT_PGSQL(TSV)                                                                    \
    "SELECT count(*) FROM (SELECT 1 FROM search_docs d JOIN articles a ON a.id = d.article_id "   \
    "WHERE " SEARCH_INDEXABLE TSV " @@ " SEARCH_TSQUERY SEARCH_FILTER " LIMIT ?6) x"
#define SEARCH_TSV_ALL "(d.visible_tsv || d.rest_tsv)"
// clang-format on

/* Indexed by enum statement. The latest-article statements take the ids they filter by
 * (publication, then section), then the limit and the offset, one statement per filter so that
 * each can use its own index. */
/* The item log's rows with their version's content (store_items.c, read_item's order): the
 * version's revision, else the article while the version is its current one. ?1 the partner
 * (0: any). */
// clang-format off
#define ITEM_SELECT                                                                                \
    "SELECT l.seq, l.article_id, l.version, l.pubstatus, l.embargoed, l.ednote, l.created_at, "    \
    "l.publication_id, s.name, s.slug, COALESCE(r.slug, a.slug), COALESCE(r.headline, a.headline), " \
    "COALESCE(r.dek, a.dek), COALESCE(r.byline, a.byline), "                                       \
    "COALESCE(r.seo_description, a.seo_description), COALESCE(r.body_markdown, a.body_markdown), " \
    "CASE WHEN r.id IS NULL THEN 1 ELSE 0 END, r.tag_ids, a.created_at, a.published_at "           \
    "FROM item_log l JOIN articles a ON a.id = l.article_id "                                      \
    "LEFT JOIN article_revisions r ON r.article_id = l.article_id AND r.version = l.version "       \
    "JOIN sections s ON s.id = l.section_id "
#define ITEM_WHERE                                                                                 \
    "(r.id IS NOT NULL OR a.version = l.version) AND (CAST(?1 AS BIGINT) = 0 OR "                  \
    PARTNER_SEES("?1", "l") ")"
// clang-format on

const char *const store_statements[STMT_COUNT] = {
    /* SQLite only: after a migration, a row whose foreign key points nowhere */
    [STMT_FOREIGN_KEY_CHECK] = "PRAGMA foreign_key_check",
    [STMT_CHANGE_SEQ] = "SELECT value FROM meta WHERE key = 'change_seq'",
    [STMT_CHANGES_SINCE] = "SELECT tag, seq FROM changes WHERE seq > ?1 ORDER BY seq LIMIT ?2",
    [STMT_ANY_PUBLICATION] =
        "SELECT CASE WHEN EXISTS (SELECT 1 FROM publications) THEN 1 ELSE 0 END",
    [STMT_PUBLICATION_UPSERT] =
        "INSERT INTO publications (slug, name, description, producer, partner, partner_short, "
        "partner_url, partner_description, is_host) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) "
        "ON CONFLICT (slug) DO UPDATE SET name = excluded.name, "
        "description = excluded.description, producer = excluded.producer, "
        "partner = excluded.partner, partner_short = excluded.partner_short, "
        "partner_url = excluded.partner_url, partner_description = excluded.partner_description, "
        "is_host = excluded.is_host",
    [STMT_SECTION_UPSERT] = "INSERT INTO sections (slug, name, position) VALUES (?1, ?2, ?3) "
                            "ON CONFLICT (slug) DO UPDATE SET name = excluded.name, "
                            "position = excluded.position",
    [STMT_PUBLICATION_ID] = "SELECT id FROM publications WHERE slug = ?1",
    [STMT_SECTION_ID] = "SELECT id FROM sections WHERE slug = ?1",
    [STMT_ARTICLE_UPSERT] =
        "INSERT INTO articles (slug, publication_id, section_id, headline, dek, byline, "
        "body_markdown, body_html, published_at, updated_at, access) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11) "
        "ON CONFLICT (slug) DO UPDATE SET publication_id = excluded.publication_id, "
        "section_id = excluded.section_id, headline = excluded.headline, dek = excluded.dek, "
        "byline = excluded.byline, body_markdown = excluded.body_markdown, "
        "body_html = excluded.body_html, published_at = excluded.published_at, "
        "updated_at = excluded.updated_at, access = excluded.access, version = articles.version + "
        "1 WHERE articles.killed_at = 0 RETURNING id",
    [STMT_PUBLICATION_BY_SLUG] =
        "SELECT " PUBLICATION_COLUMNS("p") " FROM publications p WHERE p.slug = ?1",
    [STMT_SECTION_BY_SLUG] = "SELECT " SECTION_COLUMNS("s") " FROM sections s WHERE s.slug = ?1",
    [STMT_PUBLICATIONS] =
        "SELECT " PUBLICATION_COLUMNS("p") " FROM publications p ORDER BY p.is_host DESC, p.name, "
                                           "p.id",
    [STMT_SECTIONS] = "SELECT " SECTION_COLUMNS("s") " FROM sections s ORDER BY s.position, s.id",
    [STMT_ARTICLE_BY_SLUG] =
        ARTICLE_SELECT("a.body_html, a.body_markdown") "WHERE " LIVE("a") " AND a.slug = ?1",
    [STMT_ARTICLE_META] =
        "SELECT a.id, a.access FROM articles a WHERE " LIVE("a") " AND a.slug = ?1",
    [STMT_LATEST] = ARTICLE_SELECT("'', ''") "WHERE " LIVE("a") LATEST_ORDER("?1", "?2"),
    [STMT_LATEST_PUBLICATION] = ARTICLE_SELECT("'', ''") "WHERE " LIVE(
        "a") " AND a.publication_id = ?1" LATEST_ORDER("?2", "?3"),
    [STMT_LATEST_SECTION] = ARTICLE_SELECT("'', ''") "WHERE " LIVE(
        "a") " AND a.section_id = ?1" LATEST_ORDER("?2", "?3"),
    [STMT_LATEST_PUBLICATION_SECTION] = ARTICLE_SELECT("'', ''") "WHERE " LIVE(
        "a") " AND a.publication_id = ?1 AND a.section_id = ?2" LATEST_ORDER("?3", "?4"),
    /* Keyset paging (store_articles_page): the row value compares (published_at, id) as one
     * key, in the order of the articles_latest index, which the search starts from. */
    [STMT_ARTICLES_PAGE] =
        ARTICLE_SELECT("'', ''") "WHERE " LIVE("a") " AND (a.published_at, a.id) < (?1, ?2) "
                                                    "ORDER BY a.published_at DESC, a.id DESC "
                                                    "LIMIT ?3",
    [STMT_ARTICLES_COUNT] = "SELECT count(*) FROM articles a WHERE " LIVE("a"),
    /* Accounts. Addresses are stored and looked up lower-cased (store_accounts.c); on SQLite
     * users.email is also COLLATE NOCASE, whose UNIQUE index `email = ?1` uses. */
    [STMT_USER_INSERT] = USER_INSERT(EMAIL_HELD),
    [STMT_USER_BY_EMAIL] = "SELECT " USER_COLUMNS("u") " FROM users u WHERE u.email = ?1",
    [STMT_USER_BY_ID] = "SELECT " USER_COLUMNS("u") " FROM users u WHERE u.id = ?1",
    [STMT_USERS] = "SELECT u.id, u.email, u.display_name, '', u.role, u.email_verified_at, "
                   "u.created_at, u.disabled_at FROM users u ORDER BY u.id",
    [STMT_USER_SET_NAME] = "UPDATE users SET display_name = ?2, updated_at = ?3 WHERE id = ?1",
    [STMT_USER_SET_EMAIL] = USER_SET_EMAIL(EMAIL_HELD),
    [STMT_USER_SET_PASSWORD_HASH] =
        "UPDATE users SET password_hash = ?2, updated_at = ?3 WHERE id = ?1",
    [STMT_USER_SET_ROLE] = "UPDATE users SET role = ?2, updated_at = ?3 WHERE id = ?1",
    [STMT_USER_MARK_VERIFIED] =
        "UPDATE users SET email_verified_at = ?2, updated_at = ?3 WHERE id = ?1",
    [STMT_USER_DELETE] = "DELETE FROM users WHERE id = ?1",
    [STMT_SESSION_INSERT] = "INSERT INTO sessions (user_id, token_hash, created_at, last_seen_at, "
                            "expires_at, user_agent, ip) VALUES (?1, ?2, ?3, ?3, ?4, ?5, ?6) "
                            "RETURNING id",
    /* A session, its user and the user's current subscription (NULLs for none), in one round
     * trip: a signed-in reader's request needs all three. */
    [STMT_SESSION_READER] =
        "SELECT " SESSION_COLUMNS("s") ", " USER_COLUMNS("u") ", " SUBSCRIPTION_COLUMNS(
            "b") " FROM sessions s JOIN users u ON u.id = s.user_id "
                 "LEFT JOIN subscriptions b ON b.id = (SELECT x.id FROM subscriptions x "
                 "WHERE x.user_id = s.user_id ORDER BY " SUBSCRIPTION_ORDER(
                     "x") " LIMIT 1) "
                          "WHERE s.token_hash = ?1",
    [STMT_SESSION_TOUCH] = "UPDATE sessions SET last_seen_at = ?2 WHERE id = ?1",
    [STMT_SESSION_DELETE] = "DELETE FROM sessions WHERE id = ?1",
    [STMT_SESSIONS_DELETE_FOR_USER] = "DELETE FROM sessions WHERE user_id = ?1 AND id <> ?2",
    [STMT_SESSIONS_FOR_USER] = "SELECT " SESSION_COLUMNS(
        "s") " FROM sessions s WHERE s.user_id = ?1 ORDER BY s.last_seen_at DESC, s.id DESC",
    [STMT_SESSIONS_PURGE] = "DELETE FROM sessions WHERE expires_at <= ?1",
    [STMT_TOKEN_INSERT] = "INSERT INTO tokens (user_id, kind, token_hash, payload, created_at, "
                          "expires_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    [STMT_TOKEN_FIND] =
        "SELECT id, user_id, payload, expires_at, CASE WHEN used_at IS NULL THEN 0 ELSE 1 END "
        "FROM tokens "
        "WHERE token_hash = ?1 AND kind = ?2",
    [STMT_TOKEN_USE] = "UPDATE tokens SET used_at = ?2 WHERE id = ?1 AND used_at IS NULL",
    [STMT_TOKENS_DELETE_FOR_USER] =
        "DELETE FROM tokens WHERE user_id = ?1 AND (?2 = '' OR kind = ?2) AND used_at IS NULL",
    [STMT_TOKENS_PURGE] = "DELETE FROM tokens WHERE expires_at <= ?1",
    [STMT_TOKENS_VOID] = "DELETE FROM tokens WHERE user_id = ?1 AND used_at IS NULL AND "
                         "(kind <> 'email_undo' OR id > (SELECT id FROM tokens WHERE "
                         "token_hash = ?2 AND kind = 'email_undo'))",
    [STMT_SECRET_INSERT] = "INSERT INTO secrets (name, value) VALUES (?1, ?2) "
                           "ON CONFLICT (name) DO NOTHING",
    [STMT_SECRET_GET] = "SELECT value FROM secrets WHERE name = ?1",
    [STMT_MAIL_INSERT] = "INSERT INTO mail_queue (recipient, subject, body_text, body_html, "
                         "created_at, next_attempt_at) VALUES (?1, ?2, ?3, ?4, ?5, ?5)",
    /* The mail queue (store_mail_claim). A leased message's next_attempt_at is its lease's
     * expiry, so an expired lease is simply due. Ordered by the index's column alone: with
     * `, id` PostgreSQL's index (next_attempt_at) leaves ties to a sort that reads every
     * message due in the same second (50,000 queued at once: 15 ms a claim, not 0.03 ms);
     * ties come in the index's order (SQLite: id; PostgreSQL: the rows' places). */
    [STMT_MAIL_NEXT_DUE] = "SELECT id FROM mail_queue WHERE next_attempt_at IS NOT NULL AND "
                           "next_attempt_at <= ?1 ORDER BY next_attempt_at LIMIT 1",
    /* ?1 id, ?2 now, ?3 lease expiry, ?4 owner. Changes the row only while it is still due, so
     * of two mailers that chose the same message only one takes it: on PostgreSQL the second
     * UPDATE waits for the first's row lock, then evaluates its WHERE again on the row the
     * first committed (READ COMMITTED), whose next_attempt_at is now a lease ahead. */
    [STMT_MAIL_CLAIM] = "UPDATE mail_queue SET next_attempt_at = ?3, lease_owner = ?4 "
                        "WHERE id = ?1 AND next_attempt_at IS NOT NULL AND next_attempt_at <= ?2",
    [STMT_MAIL_BY_ID] = "SELECT id, recipient, subject, body_text, body_html, attempts FROM "
                        "mail_queue WHERE id = ?1",
    /* Once a message has gone (or been given up on) its bodies are cleared: they hold live
     * single-use links, which must not stay at rest in the database. A delivery is a fact, so
     * whoever holds the lease now, it is recorded (once: sent_at is only set when unset). */
    [STMT_MAIL_SENT] = "UPDATE mail_queue SET sent_at = ?2, next_attempt_at = NULL, "
                       "lease_owner = '', body_text = '', body_html = '' "
                       "WHERE id = ?1 AND sent_at IS NULL",
    /* ?4 owner: a failed attempt is recorded only by the lease's owner, so a mailer whose lease
     * expired cannot push back a message another mailer has taken (or delivered) since. */
    [STMT_MAIL_FAILED] = "UPDATE mail_queue SET attempts = attempts + 1, next_attempt_at = "
                         "NULLIF(CAST(?2 AS BIGINT), 0), lease_owner = '', last_error = ?3, "
                         "body_text = CASE WHEN ?2 = 0 THEN '' ELSE body_text END, "
                         "body_html = CASE WHEN ?2 = 0 THEN '' ELSE body_html END "
                         "WHERE id = ?1 AND lease_owner = ?4 AND sent_at IS NULL",
    /* Messages not yet delivered nor given up (leased ones too): a count over the partial
     * index mail_queue_due, never the rows. */
    [STMT_MAIL_WAITING] = "SELECT count(*) FROM mail_queue WHERE next_attempt_at IS NOT NULL",
    /* Paywall. The upserts name a partial unique index as their conflict target together with
     * its WHERE clause, as SQLite (and PostgreSQL) require for a partial index. */
    [STMT_PLAN_UPSERT] =
        "INSERT INTO plans (slug, name, description, benefits, period, price_cents, currency, "
        "position, stripe_price_id, active) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) "
        "ON CONFLICT (slug) DO UPDATE SET name = excluded.name, "
        "description = excluded.description, benefits = excluded.benefits, "
        "period = excluded.period, price_cents = excluded.price_cents, "
        "currency = excluded.currency, position = excluded.position, "
        "stripe_price_id = excluded.stripe_price_id, active = excluded.active",
    [STMT_PLANS] =
        "SELECT " PLAN_COLUMNS("p") " FROM plans p WHERE p.active = 1 OR CAST(?1 AS BIGINT) = 1 "
                                    "ORDER BY p.position, p.id",
    [STMT_PLAN_BY_SLUG] = "SELECT " PLAN_COLUMNS("p") " FROM plans p WHERE p.slug = ?1",
    [STMT_PLAN_DELETE] = "DELETE FROM plans WHERE slug = ?1",
    [STMT_SUBSCRIPTION_GRANT] =
        "INSERT INTO subscriptions (user_id, plan_slug, status, current_period_end, source, "
        "created_at, updated_at) VALUES (?1, ?2, 'active', ?3, 'admin', ?4, ?4) "
        "ON CONFLICT (user_id) WHERE source = 'admin' DO UPDATE SET "
        "plan_slug = excluded.plan_slug, status = 'active', "
        "current_period_end = excluded.current_period_end, updated_at = excluded.updated_at",
    [STMT_SUBSCRIPTION_REVOKE] = "UPDATE subscriptions SET status = 'canceled', updated_at = ?2 "
                                 "WHERE user_id = ?1 AND source = 'admin' AND status <> 'canceled'",
    [STMT_SUBSCRIPTION_CURRENT] =
        "SELECT " SUBSCRIPTION_COLUMNS("s") " FROM subscriptions s WHERE s.user_id = ?1 ORDER "
                                            "BY " SUBSCRIPTION_ORDER("s") " LIMIT 1",
    /* STRIPE_UPSERT_SQL (above) says what each parameter is and how events are ordered. */
    [STMT_SUBSCRIPTION_STRIPE_UPSERT] = STRIPE_UPSERT_SQL,
    [STMT_SUBSCRIPTION_BY_CUSTOMER] = "SELECT " SUBSCRIPTION_COLUMNS(
        "s") " FROM subscriptions s "
             "WHERE s.stripe_customer_id = ?1 AND ?1 <> '' "
             "ORDER BY s.status = 'active' DESC, s.updated_at DESC, s.id DESC LIMIT 1",
    [STMT_ORG_UPSERT] = "INSERT INTO organisations (slug, name, ends_at, created_at) "
                        "VALUES (?1, ?2, ?3, ?4) ON CONFLICT (slug) DO UPDATE SET "
                        "name = excluded.name, ends_at = excluded.ends_at RETURNING id",
    /* Inserts nothing for an unknown organisation: the store reports STORE_NOT_FOUND. */
    [STMT_ORG_ADD_RANGE] = "INSERT INTO organisation_ranges (organisation_id, cidr) "
                           "SELECT id, ?2 FROM organisations WHERE slug = ?1",
    [STMT_ORG_REMOVE_RANGE] = "DELETE FROM organisation_ranges WHERE cidr = ?2 AND "
                              "organisation_id = (SELECT id FROM organisations WHERE slug = ?1)",
    [STMT_ORGS] = "SELECT " ORGANISATION_COLUMNS("o") " FROM organisations o ORDER BY o.slug",
    [STMT_ORG_RANGES] = "SELECT " ORGANISATION_COLUMNS(
        "o") ", r.cidr FROM organisation_ranges r "
             "JOIN organisations o ON o.id = r.organisation_id ORDER BY o.slug, r.cidr, r.id",
    [STMT_ORG_DELETE] = "DELETE FROM organisations WHERE slug = ?1",
    [STMT_METER_COUNT] = "SELECT count(*) FROM meter_reads WHERE user_id = ?1 AND read_at >= ?2",
    [STMT_METER_READ_AT] = "SELECT read_at FROM meter_reads WHERE user_id = ?1 AND article_id = ?2",
    /* ?3 since, ?4 now: a read inside the period keeps its time, an older one restarts at now. */
    [STMT_METER_RECORD] = "INSERT INTO meter_reads (user_id, article_id, read_at) "
                          "VALUES (?1, ?2, ?4) ON CONFLICT (user_id, article_id) DO UPDATE SET "
                          "read_at = excluded.read_at WHERE meter_reads.read_at < ?3",
    [STMT_METER_PURGE] = "DELETE FROM meter_reads WHERE read_at < ?1",
    /* The reader's row, locked on PostgreSQL (store_statements_pgsql) so that one reader's
     * parallel reads are judged one after another; on SQLite the transaction's write lock
     * does that already, and this only reads. */
    [STMT_METER_LOCK] = "SELECT 1 FROM users WHERE id = ?1",
    /* ?1 user, ?2 article, ?3 since: when the article was counted (NULL: never) and how many
     * reads the period holds, from one snapshot (store_meter_take). */
    [STMT_METER_STATE] =
        "SELECT (SELECT read_at FROM meter_reads WHERE user_id = ?1 AND article_id = ?2), "
        "(SELECT count(*) FROM meter_reads WHERE user_id = ?1 AND read_at >= ?3)",
    [STMT_STRIPE_EVENT_INSERT] =
        "INSERT INTO stripe_events (id, type, received_at) VALUES (?1, ?2, ?3)",
    [STMT_STRIPE_EVENT_DELETE] = "DELETE FROM stripe_events WHERE id = ?1",
    [STMT_PUBLICATION_SET_DEFAULT_ACCESS] =
        "UPDATE publications SET default_access = ?2 WHERE slug = ?1",
    [STMT_SECTION_SET_DEFAULT_ACCESS] = "UPDATE sections SET default_access = ?2 WHERE slug = ?1",
    [STMT_PAYWALL_VERSION] = "SELECT value FROM meta WHERE key = 'paywall_version'",
    /* Advertising. created_at is kept when a campaign is updated. */
    [STMT_CAMPAIGN_UPSERT] =
        "INSERT INTO campaigns (slug, name, starts_at, ends_at, weight, publication_slug, "
        "section_slug, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) "
        "ON CONFLICT (slug) DO UPDATE SET name = excluded.name, starts_at = excluded.starts_at, "
        "ends_at = excluded.ends_at, weight = excluded.weight, "
        "publication_slug = excluded.publication_slug, section_slug = excluded.section_slug "
        "RETURNING id",
    [STMT_CAMPAIGN_BY_SLUG] = "SELECT " CAMPAIGN_COLUMNS("c") " FROM campaigns c WHERE c.slug = ?1",
    [STMT_CAMPAIGNS] =
        "SELECT " CAMPAIGN_COLUMNS("c") " FROM campaigns c ORDER BY c.starts_at, c.slug",
    [STMT_CAMPAIGN_DELETE] = "DELETE FROM campaigns WHERE slug = ?1",
    /* Inserts nothing for an unknown campaign: the store reports STORE_NOT_FOUND. */
    [STMT_CREATIVE_INSERT] =
        "INSERT INTO creatives (campaign_id, placement, kind, image_path, image_type, width, "
        "height, alt, click_url, html, created_at) "
        "SELECT id, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11 FROM campaigns WHERE slug = ?1 "
        "RETURNING id",
    [STMT_CREATIVE_BY_ID] = CREATIVE_SELECT "WHERE k.id = ?1",
    [STMT_CREATIVES] = CREATIVE_SELECT "ORDER BY c.slug, k.id",
    [STMT_CREATIVE_DELETE] = "DELETE FROM creatives WHERE id = ?1",
    /* ?1 placement, ?2 publication slug, ?3 section slug, ?4 now. */
    [STMT_CREATIVES_ELIGIBLE] =
        CREATIVE_SELECT "WHERE k.placement = ?1 AND c.starts_at <= ?4 AND c.ends_at > ?4 "
                        "AND (c.publication_slug = '' OR c.publication_slug = ?2) "
                        "AND (c.section_slug = '' OR c.section_slug = ?3) ORDER BY c.id, k.id",
    /* The counts add up; a creative deleted since it was counted inserts nothing (on PostgreSQL a
     * failed statement would abort the flush's whole transaction). */
    [STMT_AD_STATS_ADD] =
        "INSERT INTO ad_stats (creative_id, day, impressions, clicks) SELECT ?1, ?2, ?3, ?4 "
        "WHERE EXISTS (SELECT 1 FROM creatives WHERE id = ?1) "
        "ON CONFLICT (creative_id, day) DO UPDATE SET "
        "impressions = ad_stats.impressions + excluded.impressions, "
        "clicks = ad_stats.clicks + excluded.clicks",
    [STMT_AD_REPORT] =
        "SELECT s.day, c.slug, k.id, k.placement, s.impressions, s.clicks FROM ad_stats s "
        "JOIN creatives k ON k.id = s.creative_id JOIN campaigns c ON c.id = k.campaign_id "
        "WHERE (?1 = '' OR s.day >= ?1) AND (?2 = '' OR s.day <= ?2) "
        "ORDER BY s.day, c.slug, k.id",
    /* The import's slugs (store_import_slugs_begin makes the table). */
    [STMT_IMPORT_SLUG_ADD] = "INSERT INTO import_slugs (position, slug, path) "
                             "VALUES (?1, ?2, ?3) ON CONFLICT (slug) DO NOTHING",
    [STMT_IMPORT_SLUG_PATH] = "SELECT path FROM import_slugs WHERE slug = ?1",
    [STMT_IMPORT_SLUG_AT] = "SELECT slug FROM import_slugs WHERE position = ?1",
    /* Rate limits (store_limits.c): one hit decided and recorded by one statement. ?1 key,
     * ?2 per window, ?3 window in ms, ?4 and ?5 the tat and forget_at_ms of a bucket that starts
     * afresh with this hit, ?6 now and ?7 the burst (a window), both in units of 1/?2 ms. */
    // clang-format off
    [STMT_LIMIT_HIT] =
        "INSERT INTO rate_limits (key, per_window, window_ms, tat, forget_at_ms) "
        "VALUES (?1, ?2, ?3, ?4, ?5) "
        "ON CONFLICT (key) DO UPDATE SET tat = " LIMIT_NEXT_TAT ", "
        "forget_at_ms = (" LIMIT_NEXT_TAT " + excluded.per_window - 1) / excluded.per_window, "
        "per_window = excluded.per_window, window_ms = excluded.window_ms "
        "WHERE " LIMIT_NEXT_TAT " - ?6 <= ?7 RETURNING 1",
    // clang-format on
    [STMT_LIMIT_STATE] = "SELECT per_window, window_ms, tat FROM rate_limits WHERE key = ?1",
    [STMT_LIMITS_PURGE] = "DELETE FROM rate_limits WHERE forget_at_ms <= ?1",
    /* The newsroom (store_newsroom.c). The audit log keeps the user's name as it was. */
    [STMT_AUDIT_ADD] =
        "INSERT INTO audit_log (at, user_id, user_name, action, article_id, subject, detail) "
        "SELECT ?1, u.id, COALESCE(CASE WHEN u.display_name <> '' THEN u.display_name "
        "ELSE u.email END, ?7), "
        "?3, NULLIF(CAST(?4 AS BIGINT), 0), ?5, ?6 FROM (SELECT CAST(?2 AS BIGINT) AS want) w "
        "LEFT JOIN users u ON u.id = w.want",
    [STMT_ARTICLE_AUTHOR_IDS] = "SELECT author_id FROM article_authors WHERE article_id = ?1 "
                                "ORDER BY position, author_id",
    [STMT_ARTICLE_TAG_IDS] =
        "SELECT tag_id FROM article_tags WHERE article_id = ?1 ORDER BY position, tag_id",
    /* The article as it is now, as its revision of its current version. */
    [STMT_REVISION_SNAPSHOT] =
        "INSERT INTO article_revisions (article_id, version, user_id, created_at, state, slug, "
        "publication_id, section_id, access, headline, dek, byline, author_ids, tag_ids, "
        "seo_title, seo_description, editor_note, body_markdown, original_url) "
        "SELECT a.id, a.version, (SELECT u.id FROM users u WHERE u.id = ?2), ?3, a.state, "
        "a.slug, a.publication_id, a.section_id, a.access, a.headline, a.dek, a.byline, ?4, ?5, "
        "a.seo_title, a.seo_description, a.editor_note, a.body_markdown, a.original_url "
        "FROM articles a "
        "WHERE a.id = ?1 RETURNING id",
    /* --- The newsroom's articles (issue 11, "Articles": store_newsroom_articles.c) --- */
    // clang-format off
    [STMT_NR_ARTICLE] = NR_SELECT("a.body_markdown, a.body_html") "WHERE a.id = ?1",
    /* The article's own tag called ?2 (by its primary key's prefix: a few rows). */
    [STMT_NR_ARTICLE_TAG_NAMED] = "SELECT t.id FROM article_tags x JOIN tags t ON t.id = x.tag_id "
                                  "WHERE x.article_id = ?1 AND t.name = ?2 ORDER BY x.position",
    [STMT_NR_ARTICLE_TAGS] =
        "SELECT t.id, t.name FROM article_tags x JOIN tags t ON t.id = x.tag_id "
        "WHERE x.article_id = ?1 ORDER BY x.position, t.id",
    /* Whether slug ?1 (path ?3) is another article's, or an old URL of another article's. */
    [STMT_NR_SLUG_TAKEN] =
        "SELECT 1 FROM articles WHERE slug = ?1 AND id <> ?2 UNION ALL "
        "SELECT 1 FROM redirects WHERE path = ?3 AND (article_id IS NULL OR article_id <> ?2)",
    [STMT_NR_INSERT] =
        "INSERT INTO articles (slug, publication_id, section_id, published_at, updated_at, "
        "access, headline, dek, byline, state, version, created_at, created_by, updated_by, "
        "seo_title, seo_description, editor_note, body_markdown, body_html, original_url) "
        "VALUES (?1, ?2, ?3, 0, ?4, ?5, ?6, ?7, ?8, 'draft', 1, ?4, NULLIF(CAST(?9 AS BIGINT), 0), "
        "NULLIF(CAST(?9 AS BIGINT), 0), ?10, ?11, ?12, ?13, ?14, ?15) RETURNING id",
    [STMT_NR_UPDATE] =
        "UPDATE articles SET slug = ?3, publication_id = ?4, section_id = ?5, access = ?6, "
        "headline = ?7, dek = ?8, byline = ?9, seo_title = ?10, seo_description = ?11, "
        "editor_note = ?12, body_markdown = ?13, body_html = ?14, version = version + 1, "
        "updated_at = ?15, updated_by = NULLIF(CAST(?16 AS BIGINT), 0), original_url = ?17 "
        "WHERE id = ?1 AND version = ?2 AND killed_at = 0",
    [STMT_NR_AUTHORS_CLEAR] = "DELETE FROM article_authors WHERE article_id = ?1",
    [STMT_NR_AUTHOR_LINK] =
        "INSERT INTO article_authors (article_id, author_id, position) VALUES (?1, ?2, ?3)",
    [STMT_NR_TAGS_CLEAR] = "DELETE FROM article_tags WHERE article_id = ?1",
    [STMT_NR_TAG_LINK] =
        "INSERT INTO article_tags (article_id, tag_id, position) VALUES (?1, ?2, ?3)",
    [STMT_NR_TAG_INSERT] = "INSERT INTO tags (slug, name, created_at) VALUES (?1, ?2, ?3) "
                           "ON CONFLICT (slug) DO NOTHING",
    [STMT_NR_TAG_ID] = "SELECT id FROM tags WHERE slug = ?1",
    [STMT_NR_REDIRECT_DROP] = "DELETE FROM redirects WHERE path = ?1",
    [STMT_NR_REDIRECT_ADD] =
        "INSERT INTO redirects (path, article_id, target, created_at) VALUES (?1, ?2, '', ?3) "
        "ON CONFLICT (path) DO UPDATE SET article_id = excluded.article_id, target = '', "
        "created_at = excluded.created_at",
    /* A change of state: to ?3 from one of ?7…?10, published_at set to ?4 unless it is -1. */
    [STMT_NR_TRANSITION] =
        "UPDATE articles SET state = ?3, published_at = CASE WHEN CAST(?4 AS BIGINT) < 0 THEN "
        "published_at ELSE ?4 END, version = version + 1, updated_at = ?5, "
        "updated_by = NULLIF(CAST(?6 AS BIGINT), 0), embargoed = ?11 "
        "WHERE id = ?1 AND version = ?2 AND state IN (?7, ?8, ?9, ?10) AND killed_at = 0",
    [STMT_NR_DELETE] = "DELETE FROM articles WHERE id = ?1 AND version = ?2 "
                       "AND state IN ('draft', 'review', 'unpublished') AND killed_at = 0",
    /* The scheduler (articles_due): is anything due, and publishing what is. Its change is
     * dated at its scheduled time (published_at), also when a restart publishes it late, so
     * that readers' pages do not call it updated. */
    [STMT_NR_DUE_ANY] =
        "SELECT 1 FROM articles WHERE state = 'scheduled' AND published_at <= ?1 LIMIT 1",
    [STMT_NR_PUBLISH_DUE] =
        "UPDATE articles SET state = 'published', version = version + 1, "
        "updated_at = published_at, embargoed = 0 "
        "WHERE state = 'scheduled' AND published_at <= ?1 "
        "RETURNING id, COALESCE(updated_by, 0), headline",
    /* The list: one statement per index it walks (see store_newsroom_articles). */
    [STMT_NR_LIST_ALL] = NR_SELECT("'', ''") "WHERE " NR_FILTER
        " AND (a.updated_at, a.id) < (?6, ?7) ORDER BY a.updated_at DESC, a.id DESC LIMIT ?8",
    [STMT_NR_LIST_STATE] = NR_SELECT("'', ''") "WHERE a.state = ?1 AND a.state <> 'published' "
        "AND " NR_FILTER " AND (a.updated_at, a.id) < (?6, ?7) "
        "ORDER BY a.updated_at DESC, a.id DESC LIMIT ?8",
    [STMT_NR_LIST_AUTHOR] = NR_SELECT("'', ''") "WHERE a.created_by = ?4 AND " NR_FILTER
        " AND (a.updated_at, a.id) < (?6, ?7) ORDER BY a.updated_at DESC, a.id DESC LIMIT ?8",
    [STMT_NR_LIST_PUBLISHED] = NR_SELECT("'', ''") "WHERE " LIVE("a") " AND " NR_FILTER
        " AND (a.published_at, a.id) < (?6, ?7) ORDER BY a.published_at DESC, a.id DESC "
        "LIMIT ?8",
    [STMT_NR_LIST_OFFSET] = NR_SELECT("'', ''") "WHERE " NR_FILTER
        " ORDER BY CASE WHEN CAST(?6 AS BIGINT) = 2 THEN a.published_at ELSE 0 END DESC, "
        "lower(a.headline), a.id DESC LIMIT ?8 OFFSET ?7",
    // clang-format on
    [STMT_NR_COUNT_MY_DRAFTS] = "SELECT count(*) FROM articles a WHERE a.created_by = ?1 "
                                "AND a.state = 'draft' AND a.state <> 'published'",
    [STMT_NR_COUNT_REVIEW] =
        "SELECT count(*) FROM articles a WHERE a.state = 'review' AND a.state <> 'published'",
    [STMT_NR_AUTHOR_CHOICES] =
        "SELECT id, name FROM authors ORDER BY name, id LIMIT " STORE_SQL_NUMBER(
            STORE_AUTHOR_CHOICES),
    [STMT_AUTOSAVE_PUT] =
        "INSERT INTO autosaves (article_id, user_id, base_version, saved_at, fields) "
        "VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (article_id, user_id) DO UPDATE SET "
        "base_version = excluded.base_version, saved_at = excluded.saved_at, "
        "fields = excluded.fields",
    [STMT_AUTOSAVE_GET] = "SELECT base_version, saved_at, fields FROM autosaves "
                          "WHERE article_id = ?1 AND user_id = ?2",
    [STMT_AUTOSAVE_DELETE] = "DELETE FROM autosaves WHERE article_id = ?1 AND user_id = ?2",
    /* Revisions, previews and corrections (store_newsroom_history.c). */
    // clang-format off
    [STMT_HISTORY_ARTICLE] =
        "SELECT a.id, a.slug, a.headline, a.dek, a.byline, a.body_html, a.body_markdown, "
        "a.published_at, a.updated_at, a.access, " PUBLICATION_COLUMNS("p") ", " SECTION_COLUMNS(
            "s") ", a.state, a.version, COALESCE(a.created_by, 0), COALESCE(a.updated_by, 0), "
        HISTORY_USER_NAME ", a.seo_title, a.seo_description, a.editor_note, a.killed_at "
        "FROM articles a "
        "JOIN publications p ON p.id = a.publication_id JOIN sections s ON s.id = a.section_id "
        "LEFT JOIN users u ON u.id = a.updated_by WHERE a.id = ?1",
    /* A page of an article's revisions, newest first, before version ?2 (keyset paging over
     * UNIQUE (article_id, version)). */
    [STMT_HISTORY_REVISIONS] = HISTORY_REVISION_SELECT(
        "''") "WHERE r.article_id = ?1 AND r.version < ?2 ORDER BY r.version DESC LIMIT ?3",
    [STMT_HISTORY_REVISION] =
        HISTORY_REVISION_SELECT("r.body_markdown") "WHERE r.article_id = ?1 AND r.version = ?2",
    /* The article's content becomes revision ?2's, as a new version, only when it is still at
     * the version the person saw (?3), is not killed (issue 13: a killed article stays as it
     * was) and they may edit it (?5 = 1: an editor; else its writer while it is a draft or in
     * review). Its slug and state stay; a publication or section deleted since keeps the
     * current one. */
    [STMT_HISTORY_RESTORE] =
        "UPDATE articles SET headline = r.headline, dek = r.dek, byline = r.byline, "
        "access = r.access, seo_title = r.seo_title, seo_description = r.seo_description, "
        "editor_note = r.editor_note, body_markdown = r.body_markdown, body_html = ?6, "
        "original_url = r.original_url, "
        "publication_id = COALESCE((SELECT p.id FROM publications p WHERE p.id = "
        "r.publication_id), articles.publication_id), section_id = COALESCE((SELECT s.id FROM "
        "sections s WHERE s.id = r.section_id), articles.section_id), "
        "version = articles.version + 1, updated_at = ?7, "
        "updated_by = (SELECT u.id FROM users u WHERE u.id = ?4) FROM article_revisions r "
        "WHERE articles.id = ?1 AND r.article_id = articles.id AND r.version = ?2 AND "
        "articles.version = ?3 AND articles.killed_at = 0 AND (CAST(?5 AS BIGINT) = 1 OR "
        "(articles.created_by = ?4 AND articles.state IN ('draft', 'review'))) "
        "RETURNING articles.version",
    [STMT_HISTORY_AUTHORS_CLEAR] = "DELETE FROM article_authors WHERE article_id = ?1",
    /* Links author ?2 at position ?3, unless it was deleted since (no row). */
    [STMT_HISTORY_AUTHOR_LINK] =
        "INSERT INTO article_authors (article_id, author_id, position) SELECT ?1, au.id, ?3 "
        "FROM authors au WHERE au.id = ?2 ON CONFLICT DO NOTHING",
    [STMT_HISTORY_TAGS_CLEAR] = "DELETE FROM article_tags WHERE article_id = ?1",
    [STMT_HISTORY_TAG_LINK] = "INSERT INTO article_tags (article_id, tag_id, position) "
                              "SELECT ?1, t.id, ?3 FROM tags t WHERE t.id = ?2 "
                              "ON CONFLICT DO NOTHING",
    /* A correction, on a published article only (no row otherwise). */
    [STMT_HISTORY_CORRECTION_ADD] =
        "INSERT INTO article_corrections (article_id, user_id, created_at, body) "
        "SELECT a.id, (SELECT u.id FROM users u WHERE u.id = ?2), ?3, ?4 FROM articles a "
        "WHERE a.id = ?1 AND " LIVE("a") " RETURNING id",
    [STMT_HISTORY_CORRECTION_BUMP] =
        "UPDATE articles SET version = version + 1, updated_at = ?3, "
        "updated_by = (SELECT u.id FROM users u WHERE u.id = ?2) "
        "WHERE id = ?1 AND state = 'published'",
    /* The corrections readers see: a published article's. */
    [STMT_HISTORY_CORRECTIONS_LIVE] =
        "SELECT c.id, c.article_id, COALESCE(c.user_id, 0), '', c.created_at, c.body "
        "FROM article_corrections c JOIN articles a ON a.id = c.article_id "
        "WHERE " LIVE("a") " AND c.article_id = ?1 ORDER BY c.created_at, c.id LIMIT ?2",
    [STMT_HISTORY_CORRECTIONS] =
        "SELECT c.id, c.article_id, COALESCE(c.user_id, 0), " HISTORY_USER_NAME ", "
        "c.created_at, c.body FROM article_corrections c LEFT JOIN users u ON u.id = c.user_id "
        "WHERE c.article_id = ?1 ORDER BY c.created_at, c.id LIMIT ?2",
    /* When a published article was last changed after its publication: the newest revision
     * saved while it was published, more than ?2 seconds after it was published. */
    [STMT_HISTORY_MODIFIED_AT] =
        "SELECT COALESCE(max(r.created_at), 0) FROM article_revisions r "
        "JOIN articles a ON a.id = r.article_id WHERE " LIVE("a") " AND r.article_id = ?1 "
        "AND r.state = 'published' AND r.created_at > a.published_at + ?2",
    /* An old path: its article's slug when that article is published, or its target. */
    [STMT_HISTORY_REDIRECT] =
        "SELECT COALESCE(r.article_id, 0), r.target, COALESCE(a.slug, '') FROM redirects r "
        "LEFT JOIN articles a ON a.id = r.article_id AND " LIVE("a") " WHERE r.path = ?1",
    [STMT_HISTORY_AUTHOR_NAME] = "SELECT name FROM authors WHERE id = ?1",
    [STMT_HISTORY_TAG_NAME] = "SELECT name FROM tags WHERE id = ?1",
    // clang-format on
    /* Authors and tags (store_people.c). The newsroom's lists go by slug, which the UNIQUE
     * index keeps in order (a slug is made from the name, so it reads alphabetically), in keyset
     * pages: no sort of every row. */
    [STMT_AUTHORS_PAGE] = AUTHOR_SELECT "WHERE au.slug > ?1 ORDER BY au.slug LIMIT ?2",
    [STMT_AUTHOR_BY_ID] = AUTHOR_SELECT "WHERE au.id = ?1",
    [STMT_AUTHOR_BY_SLUG] = AUTHOR_SELECT "WHERE au.slug = ?1",
    [STMT_AUTHOR_INSERT] =
        "INSERT INTO authors (slug, name, bio, bio_html, links, user_id, created_at) "
        "VALUES (?1, ?2, ?3, ?4, ?5, NULLIF(CAST(?6 AS BIGINT), 0), ?7) RETURNING id",
    [STMT_AUTHOR_UPDATE] = "UPDATE authors SET slug = ?2, name = ?3, bio = ?4, bio_html = ?5, "
                           "links = ?6, user_id = NULLIF(CAST(?7 AS BIGINT), 0) WHERE id = ?1",
    /* Every article naming the author, whatever its state: a draft's byline needs it too. */
    [STMT_AUTHOR_USES] = "SELECT count(*) FROM article_authors WHERE author_id = ?1",
    [STMT_AUTHOR_DELETE] = "DELETE FROM authors WHERE id = ?1",
    [STMT_TAGS_PAGE] = TAG_SELECT "WHERE t.slug > ?1 ORDER BY t.slug LIMIT ?2",
    [STMT_TAG_BY_ID] = TAG_SELECT "WHERE t.id = ?1",
    [STMT_TAG_BY_SLUG] = TAG_SELECT "WHERE t.slug = ?1",
    [STMT_TAG_INSERT] =
        "INSERT INTO tags (slug, name, created_at) VALUES (?1, ?2, ?3) RETURNING id",
    [STMT_TAG_UPDATE] = "UPDATE tags SET slug = ?2, name = ?3 WHERE id = ?1",
    [STMT_TAG_USES] = "SELECT count(*) FROM article_tags WHERE tag_id = ?1",
    [STMT_TAG_DELETE] = "DELETE FROM tags WHERE id = ?1",
    /* Readers' lists of an author's or a tag's articles: published only, newest first, keyset
     * pages from the (published_at, id) of the article a page starts after. Two plans, which
     * store_people.c chooses between by how many articles name the author or tag (the schema
     * has no index of one author's articles in published order, docs/architecture.md): these
     * (STMT_*_ARTICLES) go from the author's links (article_authors_author) and sort them,
     * cheap for a few; the *_LATEST ones walk articles_latest from the cursor and probe each
     * article's links by primary key until the page is full, cheap for many. The key of a
     * cursor article is read only if it is one of the list's own (published, theirs). */
    [STMT_AUTHOR_ARTICLE_KEY] = PEOPLE_ARTICLE_KEY("article_authors", "author_id"),
    [STMT_AUTHOR_ARTICLES] = PEOPLE_ARTICLES("article_authors", "author_id"),
    [STMT_AUTHOR_ARTICLES_LATEST] = PEOPLE_ARTICLES_LATEST("article_authors", "author_id"),
    [STMT_TAG_ARTICLE_KEY] = PEOPLE_ARTICLE_KEY("article_tags", "tag_id"),
    [STMT_TAG_ARTICLES] = PEOPLE_ARTICLES("article_tags", "tag_id"),
    [STMT_TAG_ARTICLES_LATEST] = PEOPLE_ARTICLES_LATEST("article_tags", "tag_id"),
    /* How many articles name the author (tag), counted up to ?2 only: what chooses the plan
     * above, at a bounded cost whatever the author's output. */
    [STMT_AUTHOR_LINKS_UP_TO] = PEOPLE_LINKS_UP_TO("article_authors", "author_id"),
    [STMT_TAG_LINKS_UP_TO] = PEOPLE_LINKS_UP_TO("article_tags", "tag_id"),
    /* A published article's authors and tags (readers), and those of an article of any state
     * (the newsroom's preview of a draft). */
    [STMT_ARTICLE_PEOPLE] =
        PEOPLE_OF_ARTICLE(" JOIN articles a ON a.id = x.article_id AND " LIVE("a")),
    [STMT_ARTICLE_PEOPLE_ANY] = PEOPLE_OF_ARTICLE(""),
    /* Newsroom management (store_admin.c). The staff list and the admins' count say
     * `u.role <> 'reader'`, the predicate of migration 013's partial index users_staff, so that
     * both planners read the staff's rows only, never every reader's (the admins' count says
     * it besides `u.role = 'admin'` for that reason alone). */
    [STMT_STAFF] =
        "SELECT u.id, u.email, u.display_name, "
        "CASE WHEN u.password_hash = '' THEN '' ELSE '*' END, u.role, u.email_verified_at, "
        "u.created_at, u.disabled_at FROM users u WHERE u.role <> 'reader' "
        "ORDER BY CASE u.role WHEN 'admin' THEN 0 WHEN 'editor' THEN 1 ELSE 2 END, "
        "u.email",
    /* The enabled admins but ?1, in the write transaction (SQLite's is the only writer; on
     * PostgreSQL the pgsql text locks every enabled admin's row first). */
    [STMT_STAFF_OTHER_ADMINS] = "SELECT count(*) FROM users u WHERE u.role <> 'reader' "
                                "AND u.role = 'admin' AND u.disabled_at IS NULL AND u.id <> ?1",
    [STMT_USER_SET_DISABLED] = "UPDATE users SET disabled_at = ?2, updated_at = ?3 WHERE id = ?1",
    [STMT_SECTION_BY_ID] = "SELECT " SECTION_COLUMNS("s") " FROM sections s WHERE s.id = ?1",
    [STMT_PUBLICATION_BY_ID] =
        "SELECT " PUBLICATION_COLUMNS("p") " FROM publications p WHERE p.id = ?1",
    /* ?3 0: after the last section. */
    [STMT_SECTION_INSERT] =
        "INSERT INTO sections (slug, name, position, default_access) VALUES (?1, ?2, "
        "CASE WHEN CAST(?3 AS BIGINT) > 0 THEN CAST(?3 AS BIGINT) "
        "ELSE (SELECT COALESCE(max(x.position), 0) + 1 FROM sections x) END, ?4) RETURNING id",
    [STMT_SECTION_UPDATE] = "UPDATE sections SET slug = ?2, name = ?3, position = ?4, "
                            "default_access = ?5 WHERE id = ?1",
    [STMT_SECTION_SET_POSITION] =
        "UPDATE sections SET position = ?2 WHERE id = ?1 AND position <> ?2",
    /* Articles of every state: the published ones by the readers' partial index, the others
     * by the workflow's (few: drafts and the like). */
    [STMT_SECTION_ARTICLES] = "SELECT (SELECT count(*) FROM articles a WHERE " LIVE(
        "a") " AND a.section_id = ?1) + "
             "(SELECT count(*) FROM articles a WHERE a.state <> 'published' AND a.section_id = ?1)",
    [STMT_SECTION_DELETE] = "DELETE FROM sections WHERE id = ?1",
    [STMT_PUBLICATION_INSERT] =
        "INSERT INTO publications (slug, name, description, producer, partner, partner_short, "
        "partner_url, partner_description, is_host, default_access, copyright_holder, "
        "copyright_notice, usage_terms, rights_url) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14) RETURNING id",
    [STMT_PUBLICATION_UPDATE] =
        "UPDATE publications SET slug = ?2, name = ?3, description = ?4, producer = ?5, "
        "partner = ?6, partner_short = ?7, partner_url = ?8, partner_description = ?9, "
        "is_host = ?10, default_access = ?11, copyright_holder = ?12, copyright_notice = ?13, "
        "usage_terms = ?14, rights_url = ?15 WHERE id = ?1",
    [STMT_PUBLICATION_ARTICLES] = "SELECT (SELECT count(*) FROM articles a WHERE " LIVE(
        "a") " AND a.publication_id = ?1) + "
             "(SELECT count(*) FROM articles a WHERE a.state <> 'published' "
             "AND a.publication_id = ?1)",
    [STMT_PUBLICATION_DELETE] = "DELETE FROM publications WHERE id = ?1",
    /* The site has one host publication: saving one as the host makes it the only one. */
    [STMT_PUBLICATION_UNHOST] =
        "UPDATE publications SET is_host = 0 WHERE is_host = 1 AND id <> ?1",
    /* A redirect from an old path that names no article (a section's or publication's). */
    [STMT_REDIRECT_PATH_SET] =
        "INSERT INTO redirects (path, article_id, target, created_at) VALUES (?1, NULL, ?2, ?3) "
        "ON CONFLICT (path) DO UPDATE SET article_id = NULL, target = excluded.target, "
        "created_at = excluded.created_at",
    [STMT_REDIRECT_PATH_DELETE] = "DELETE FROM redirects WHERE path = ?1 AND article_id IS NULL",
    /* The audit log, newest first, below id ?1, actions starting with ?2 ('' any), ?3 rows;
     * the second of one article (?4), by audit_log_article. */
    [STMT_AUDIT_PAGE] = "SELECT " AUDIT_COLUMNS " WHERE l.id < ?1 AND (CAST(?2 AS TEXT) = '' OR "
                        "substr(l.action, 1, length(CAST(?2 AS TEXT))) = CAST(?2 AS TEXT)) "
                        "ORDER BY l.id DESC LIMIT ?3",
    [STMT_AUDIT_PAGE_ARTICLE] =
        "SELECT " AUDIT_COLUMNS " WHERE l.article_id = ?4 AND l.id < ?1 AND (CAST(?2 AS TEXT) = "
        "'' OR substr(l.action, 1, length(CAST(?2 AS TEXT))) = CAST(?2 AS TEXT)) "
        "ORDER BY l.id DESC LIMIT ?3",
    /* Feeds (issue 12): a published article's bodies by its id (the primary key), one per item
     * of a feed (lists carry none). */
    [STMT_FEED_ARTICLE_BODY] =
        "SELECT a.body_html, a.body_markdown FROM articles a WHERE a.id = ?1 AND " LIVE("a"),
    /* Readers' lists in keyset pages (store_lists.c; the macros above). A cursor's key: the
     * article's, if it is published (store_lists.c checks that it is in the list). A period
     * (a month) is published_at in [?1, its end): its first page starts from the cursor (end,
     * 0), and its newer articles stop before the end, ?1. */
    [STMT_LIST_KEY] = "SELECT a.published_at, a.id, a.section_id, a.publication_id "
                      "FROM articles a WHERE a.id = ?1 AND " LIVE("a"),
    [STMT_LIST_SECTION_PAGE] = LIST_PAGE("a.section_id = ?1"),
    [STMT_LIST_SECTION_NEWER] = LIST_NEWER("a.section_id = ?1"),
    [STMT_LIST_PUBLICATION_PAGE] = LIST_PAGE("a.publication_id = ?1"),
    [STMT_LIST_PUBLICATION_NEWER] = LIST_NEWER("a.publication_id = ?1"),
    [STMT_LIST_PERIOD_PAGE] = LIST_PAGE("a.published_at >= ?1"),
    [STMT_LIST_PERIOD_NEWER] = LIST_NEWER("a.published_at < ?1"),
    [STMT_LIST_AUTHOR_NEWER] = LIST_PEOPLE_NEWER("article_authors", "author_id"),
    [STMT_LIST_AUTHOR_NEWER_LATEST] = LIST_PEOPLE_NEWER_LATEST("article_authors", "author_id"),
    [STMT_LIST_TAG_NEWER] = LIST_PEOPLE_NEWER("article_tags", "tag_id"),
    [STMT_LIST_TAG_NEWER_LATEST] = LIST_PEOPLE_NEWER_LATEST("article_tags", "tag_id"),
    /* The newest published time before ?1: the archive's months, one seek each. */
    [STMT_LIST_NEWEST_BEFORE] = "SELECT a.published_at FROM articles a WHERE " LIVE(
        "a") " AND a.published_at < ?1 ORDER BY a.published_at DESC, a.id DESC LIMIT 1",
    /* Most read (issue 12; migrations/sqlite/015_article_views.sql). ?1 hour, ?2 article id,
     * ?3 views: the views add up; an article deleted since it was counted inserts nothing (on
     * PostgreSQL a failed statement would abort the flush's whole transaction). */
    [STMT_ARTICLE_VIEWS_ADD] =
        "INSERT INTO article_views (hour, article_id, views) SELECT ?1, ?2, ?3 "
        "WHERE EXISTS (SELECT 1 FROM articles WHERE id = ?2) "
        "ON CONFLICT (hour, article_id) DO UPDATE SET views = article_views.views + excluded.views",
    /* The hours before ?1: a range of the primary key. */
    [STMT_ARTICLE_VIEWS_PURGE] = "DELETE FROM article_views WHERE hour < ?1",
    /* The ?2 published articles most viewed in the hours from ?1 on (a range of the primary
     * key, summed per article), most views first, then the newer article. */
    [STMT_MOST_READ] = "SELECT a.id, a.slug, a.headline, v.total FROM "
                       "(SELECT article_id, sum(views) AS total FROM article_views "
                       "WHERE hour >= ?1 GROUP BY article_id) v "
                       "JOIN articles a ON a.id = v.article_id WHERE " LIVE(
                           "a") " ORDER BY v.total DESC, a.id DESC LIMIT ?2",
    /* --- Share metadata (issue 12: store_share.c) --- */
    /* What the article page's head says besides the article: its search-engine description
     * and the original it was carried from. One row by primary key, a reader's: LIVE. */
    [STMT_ARTICLE_SHARE] = "SELECT a.seo_description, a.original_url FROM articles a "
                           "WHERE a.id = ?1 AND " LIVE("a"),

    /* Sitemaps (issue 12: store_sitemap.c). Every one reads published articles only, over
     * articles_latest or articles_sitemap (migration 017), a range of published_at each; an
     * article's lastmod is the later of its update and its publication. */
    [STMT_SITEMAP_NEXT_PUBLISHED] =
        "SELECT MIN(a.published_at) FROM articles a WHERE " LIVE("a") " AND a.published_at >= ?1",
    [STMT_SITEMAP_RANGE] = "SELECT count(*), COALESCE(MAX(" SITEMAP_LASTMOD "), 0) FROM articles a "
                           "WHERE " LIVE("a") " AND a.published_at >= ?1 AND a.published_at < ?2",
    [STMT_SITEMAP_ARTICLES] =
        "SELECT a.slug, " SITEMAP_LASTMOD
        " FROM articles a WHERE " LIVE("a") " AND a.published_at >= ?1 AND a.published_at < ?2 "
                                            "ORDER BY a.published_at, a.id LIMIT ?3 OFFSET ?4",
    [STMT_SITEMAP_NEWS] = "SELECT a.slug, a.headline, a.published_at FROM articles a WHERE " LIVE(
        "a") " AND a.published_at > ?1 AND a.published_at <= ?2 "
             "ORDER BY a.published_at DESC, a.id DESC LIMIT ?3",
    /* Authors and tags in parts by ranges of id, by their primary keys. */
    [STMT_SITEMAP_NEXT_AUTHOR] = "SELECT MIN(id) FROM authors WHERE id >= ?1",
    [STMT_SITEMAP_AUTHORS] = "SELECT slug FROM authors WHERE id >= ?1 AND id < ?2 ORDER BY id",
    [STMT_SITEMAP_NEXT_TAG] = "SELECT MIN(id) FROM tags WHERE id >= ?1",
    [STMT_SITEMAP_TAGS] = "SELECT slug FROM tags WHERE id >= ?1 AND id < ?2 ORDER BY id",
    /* Readers' search (issue 12, "Search": store_search.c). What an article's index row is
     * made from: one article (?1), or a batch of ?2 from after id ?1 (a rebuild). */
    [STMT_SEARCH_SOURCE] =
        "SELECT a.headline, a.dek, a.body_markdown, a.access FROM articles a WHERE a.id = ?1",
    [STMT_SEARCH_SOURCES] = "SELECT a.id, a.headline, a.dek, a.body_markdown, a.access "
                            "FROM articles a WHERE a.id > ?1 ORDER BY a.id LIMIT ?2",
    /* ?1 id, ?2 headline, ?3 dek, ?4 visible text, ?5 withheld text. */
    [STMT_SEARCH_PUT] = "INSERT OR REPLACE INTO search_index (rowid, headline, dek, visible, rest) "
                        "VALUES (?1, ?2, ?3, ?4, ?5)",
    /* Whether the newest article has no index row (one written behind the store's back, by
     * SQL or by a binary from before the index): the last entry of two indexes, read at every
     * start, where a scan for any article without a row took 7 s at 1,000,000 articles. */
    [STMT_SEARCH_MISSING] = "SELECT 1 WHERE (SELECT max(id) FROM articles) > "
                            "coalesce((SELECT max(rowid) FROM search_index), 0)",
    [STMT_SEARCH_BUILT_WITH] = "SELECT value FROM meta WHERE key = 'search_preview_paragraphs'",
    [STMT_SEARCH_SET_BUILT_WITH] =
        "UPDATE meta SET value = ?1 WHERE key = 'search_preview_paragraphs'",
    [STMT_SEARCH_PUBLIC] = SEARCH_SQLITE("''"),
    [STMT_SEARCH_FULL] = SEARCH_SQLITE(SEARCH_SNIPPET("3")),
    [STMT_SEARCH_COUNT_PUBLIC] = SEARCH_COUNT_SQLITE,
    [STMT_SEARCH_COUNT_FULL] = SEARCH_COUNT_SQLITE,
    /* Publication rights (issue 13, store_content.c): ?1 slug, then holder, notice, terms, URL. */
    [STMT_PUBLICATION_SET_RIGHTS] =
        "UPDATE publications SET copyright_holder = ?2, copyright_notice = ?3, usage_terms = ?4, "
        "rights_url = ?5 WHERE slug = ?1",

    /* Partners and their products (issue 13, "Partners": store_partners.c). A partner is found
     * by slug or by its key's hash, each a unique index; its product by the primary keys of
     * partner_publications and partner_sections. A product's rows are added with ON CONFLICT
     * DO NOTHING, so a publication named twice is one row. */
    [STMT_PARTNER_INSERT] = "INSERT INTO partners (slug, name, content, key_hash, key_prefix, "
                            "created_at, key_created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6) "
                            "RETURNING id",
    [STMT_PARTNER_PUBLICATION_ADD] = "INSERT INTO partner_publications (partner_id, "
                                     "publication_id) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
    [STMT_PARTNER_SECTION_ADD] = "INSERT INTO partner_sections (partner_id, section_id) "
                                 "VALUES (?1, ?2) ON CONFLICT DO NOTHING",
    [STMT_PARTNER_BY_SLUG] = "SELECT " PARTNER_COLUMNS " FROM partners WHERE slug = ?1",
    [STMT_PARTNER_BY_KEY_HASH] = "SELECT " PARTNER_COLUMNS " FROM partners WHERE key_hash = ?1",
    [STMT_PARTNERS] = "SELECT " PARTNER_COLUMNS " FROM partners ORDER BY slug",
    [STMT_PARTNER_PUBLICATIONS] = "SELECT p.slug FROM partner_publications pp JOIN publications p "
                                  "ON p.id = pp.publication_id WHERE pp.partner_id = ?1 "
                                  "ORDER BY p.slug",
    [STMT_PARTNER_SECTIONS] = "SELECT s.slug FROM partner_sections ps JOIN sections s "
                              "ON s.id = ps.section_id WHERE ps.partner_id = ?1 ORDER BY s.slug",
    /* ?1 slug, ?2 the new key's hash, ?3 its prefix, ?4 now */
    [STMT_PARTNER_SET_KEY] = "UPDATE partners SET key_hash = ?2, key_prefix = ?3, "
                             "key_created_at = ?4 WHERE slug = ?1",
    [STMT_PARTNER_DELETE] = "DELETE FROM partners WHERE slug = ?1",
    /* ?1 partner id, ?2 article id: a row when the article is in the partner's product. */
    [STMT_PARTNER_SEES] = "SELECT 1 FROM articles a WHERE a.id = ?2 AND " PARTNER_SEES("?1", "a"),
    /* The item log (issue 13, store_items.c). What item_log_note decides from: the article's
     * state and the status of its latest noted version (NULL: none). */
    [STMT_ITEM_LOG_STATE] =
        "SELECT a.state, a.version, a.publication_id, a.section_id, a.embargoed, a.killed_at, "
        "a.kill_note, a.published_at, (SELECT l.pubstatus FROM item_log l WHERE l.article_id = "
        "a.id "
        "ORDER BY l.version DESC LIMIT 1) FROM articles a WHERE a.id = ?1",
    [STMT_ITEM_LOG_ADD] =
        "INSERT INTO item_log (article_id, version, publication_id, section_id, pubstatus, "
        "embargoed, ednote, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) "
        "ON CONFLICT (article_id, version) DO NOTHING",
    [STMT_ITEMS_AFTER] =
        ITEM_SELECT "WHERE l.seq > ?2 AND l.seq <= ?4 AND " ITEM_WHERE " ORDER BY l.seq LIMIT ?3",
    /* The end of the window store_items_after looks in: the ?2-th seq after ?1 (or the last). */
    [STMT_ITEMS_WINDOW] = "SELECT COALESCE(MAX(seq), ?1) FROM (SELECT seq FROM item_log "
                          "WHERE seq > ?1 ORDER BY seq LIMIT ?2) w",
    [STMT_ITEM_LATEST] =
        ITEM_SELECT "WHERE l.article_id = ?2 AND " ITEM_WHERE " ORDER BY l.version DESC LIMIT 1",
    [STMT_ITEM_VERSION] = ITEM_SELECT "WHERE l.article_id = ?2 AND l.version = ?3 AND " ITEM_WHERE,
    [STMT_ITEM_LOG_LAST] = "SELECT COALESCE(MAX(seq), 0) FROM item_log",
    [STMT_ITEM_TAG] = "SELECT name, slug FROM tags WHERE id = ?1",
    [STMT_ITEM_TAGS_NOW] =
        "SELECT t.name, t.slug FROM article_tags x JOIN tags t ON t.id = x.tag_id "
        "WHERE x.article_id = ?1 ORDER BY x.position, t.id",
    /* A kill (store_newsroom_kill): ?3 now, ?4 the note, ?5 who. */
    [STMT_NR_KILL] =
        "UPDATE articles SET state = 'unpublished', killed_at = ?3, kill_note = ?4, embargoed = 0, "
        "version = version + 1, updated_at = ?3, updated_by = NULLIF(CAST(?5 AS BIGINT), 0) "
        "WHERE id = ?1 AND version = ?2 AND killed_at = 0 "
        "AND state IN ('published', 'scheduled', 'unpublished')",
    [STMT_ARTICLE_KILLED] = "SELECT 1 FROM articles WHERE slug = ?1 AND killed_at > 0",
    /* An article whose current version has no revision (revision_keep): its id and when. */
    [STMT_REVISION_MISSING] = "SELECT a.id, a.updated_at FROM articles a WHERE a.id = ?1 AND "
                              "NOT EXISTS (SELECT 1 FROM article_revisions r WHERE "
                              "r.article_id = a.id AND r.version = a.version)",
    [STMT_REVISION_MISSING_SLUG] = "SELECT a.id, a.updated_at FROM articles a WHERE a.slug = ?1 "
                                   "AND NOT EXISTS (SELECT 1 FROM article_revisions r WHERE "
                                   "r.article_id = a.id AND r.version = a.version)",
    /* Webhooks: push to partners (issue 13, "Push": store_webhooks.c, migration 022). A
     * webhook's row with its partner's slug and content (read_webhook's order). */
    [STMT_WEBHOOK_GET] =
        "SELECT w.partner_id, p.slug, p.content, w.url, w.secret, w.cursor_seq, w.attempts, "
        "w.next_attempt_at, w.lease_owner, w.lease_until, w.last_status, w.last_error, "
        "w.created_at FROM partner_webhooks w JOIN partners p ON p.id = w.partner_id "
        "WHERE w.partner_id = ?1",
    /* ?1 partner, ?2 url, ?3 secret, ?4 now: a new webhook starts at the log's end (an index
     * probe); no row when the partner has one already. */
    [STMT_WEBHOOK_INSERT] =
        "INSERT INTO partner_webhooks (partner_id, url, secret, cursor_seq, created_at) "
        "VALUES (?1, ?2, ?3, (SELECT COALESCE(MAX(seq), 0) FROM item_log), ?4) "
        "ON CONFLICT (partner_id) DO NOTHING RETURNING partner_id",
    /* A new URL is tried at once: the failures counted were the old one's. */
    [STMT_WEBHOOK_SET_URL] = "UPDATE partner_webhooks SET url = ?2, attempts = 0, "
                             "next_attempt_at = 0, last_error = '' WHERE partner_id = ?1",
    [STMT_WEBHOOK_SET_SECRET] = "UPDATE partner_webhooks SET secret = ?2 WHERE partner_id = ?1",
    [STMT_WEBHOOK_DELETE] = "DELETE FROM partner_webhooks WHERE partner_id = ?1",
    /* ?1 now, ?2 the log's last seq, ?3 how many: webhooks due, not leased, with something in
     * the log past their cursor (an idle partner's cursor is at the log's end: it is not
     * claimed, so an idle site writes nothing). By partner_webhooks_due. */
    [STMT_WEBHOOK_DUE] = "SELECT partner_id FROM partner_webhooks WHERE next_attempt_at <= ?1 "
                         "AND lease_until <= ?1 AND cursor_seq < ?2 "
                         "ORDER BY next_attempt_at, partner_id LIMIT ?3",
    /* ?1 partner, ?2 now, ?3 owner, ?4 lease end: changes the row only while it is still due
     * and unleased, so of two workers that chose it only one takes it (as STMT_MAIL_CLAIM). */
    [STMT_WEBHOOK_CLAIM] = "UPDATE partner_webhooks SET lease_owner = ?3, lease_until = ?4 "
                           "WHERE partner_id = ?1 AND next_attempt_at <= ?2 AND lease_until <= ?2",
    /* ?1 partner, ?2 owner, ?3 seq delivered, ?4 the lease's new end, ?5 HTTP status. Only the
     * lease's owner moves the cursor, and never back. */
    [STMT_WEBHOOK_DELIVERED] =
        "UPDATE partner_webhooks SET cursor_seq = CASE WHEN ?3 > cursor_seq THEN ?3 "
        "ELSE cursor_seq END, attempts = 0, next_attempt_at = 0, lease_until = ?4, "
        "last_status = ?5, last_error = '' WHERE partner_id = ?1 AND lease_owner = ?2",
    /* ?1 partner, ?2 owner, ?3 next attempt, ?4 status (0: none), ?5 why: the lease ends. */
    [STMT_WEBHOOK_FAILED] =
        "UPDATE partner_webhooks SET attempts = attempts + 1, next_attempt_at = ?3, "
        "lease_owner = '', lease_until = 0, last_status = ?4, last_error = ?5 "
        "WHERE partner_id = ?1 AND lease_owner = ?2",
    /* ?1 partner, ?2 owner, ?3 a cursor past versions outside the product: the lease ends. */
    [STMT_WEBHOOK_RELEASE] =
        "UPDATE partner_webhooks SET cursor_seq = CASE WHEN ?3 > cursor_seq THEN ?3 "
        "ELSE cursor_seq END, lease_owner = '', lease_until = 0 "
        "WHERE partner_id = ?1 AND lease_owner = ?2",
    /* An attempt, unless the partner was removed meanwhile. */
    [STMT_WEBHOOK_LOG_ADD] =
        "INSERT INTO webhook_deliveries (partner_id, seq, article_id, version, attempt, status, "
        "error, duration_ms, at) SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9 "
        "WHERE EXISTS (SELECT 1 FROM partners WHERE id = ?1)",
    [STMT_WEBHOOK_DELIVERIES] =
        "SELECT id, seq, article_id, version, attempt, status, error, duration_ms, at "
        "FROM webhook_deliveries WHERE partner_id = ?1 ORDER BY id DESC LIMIT ?2",
    [STMT_WEBHOOK_PARTNERS_AFTER] = "SELECT partner_id FROM partner_webhooks "
                                    "WHERE partner_id > ?1 ORDER BY partner_id LIMIT 100",
    /* The newest attempt a partner's log no longer keeps (?2: how many it keeps). */
    [STMT_WEBHOOK_PRUNE_CUT] = "SELECT id FROM webhook_deliveries WHERE partner_id = ?1 "
                               "ORDER BY id DESC LIMIT 1 OFFSET ?2",
    [STMT_WEBHOOK_PRUNE] = "DELETE FROM webhook_deliveries WHERE partner_id = ?1 AND id <= ?2",
};

/* PostgreSQL's own text where the two differ (db.h: struct db_sql). */
const char *const store_statements_pgsql[STMT_COUNT] = {
    [STMT_METER_LOCK] = "SELECT 1 FROM users WHERE id = ?1 FOR NO KEY UPDATE",
    [STMT_USER_INSERT] = USER_INSERT(EMAIL_HELD_PG),
    [STMT_USER_SET_EMAIL] = USER_SET_EMAIL(EMAIL_HELD_PG),
    /* Authors and tags: from the links first, which PostgreSQL's planner would otherwise turn
     * into a walk of every published article for a rare author (a materialized CTE is its
     * fence). SQLite plans the plain join that way by itself. */
    [STMT_AUTHOR_ARTICLES] = PEOPLE_ARTICLES_PGSQL("article_authors", "author_id"),
    [STMT_TAG_ARTICLES] = PEOPLE_ARTICLES_PGSQL("article_tags", "tag_id"),
    /* Locks every enabled admin's row (READ COMMITTED re-reads them once a concurrent change
     * commits), so two admins demoting or disabling each other at once cannot both succeed. */
    [STMT_STAFF_OTHER_ADMINS] =
        "SELECT count(*) FROM (SELECT u.id FROM users u "
        "WHERE u.role <> 'reader' AND u.role = 'admin' AND u.disabled_at IS NULL "
        "FOR UPDATE) x "
        "WHERE x.id <> ?1",
    /* Readers' lists (store_lists.c): an author's (tag's) newer articles from the links, fenced
     * as STMT_AUTHOR_ARTICLES is. */
    [STMT_LIST_AUTHOR_NEWER] = LIST_PEOPLE_NEWER_PGSQL("article_authors", "author_id"),
    [STMT_LIST_TAG_NEWER] = LIST_PEOPLE_NEWER_PGSQL("article_tags", "tag_id"),
    /* Readers' search: search_docs, with the tsvectors computed here from the same texts. */
    [STMT_SEARCH_PUT] =
        "INSERT INTO search_docs (article_id, visible_text, rest_text, visible_tsv, rest_tsv) "
        "VALUES (?1, ?4, ?5, setweight(to_tsvector('english', ?2), 'A') || "
        "setweight(to_tsvector('english', ?3), 'B') || setweight(to_tsvector('english', ?4), "
        "'C'), setweight(to_tsvector('english', ?5), 'D')) ON CONFLICT (article_id) DO UPDATE "
        "SET visible_text = excluded.visible_text, rest_text = excluded.rest_text, "
        "visible_tsv = excluded.visible_tsv, rest_tsv = excluded.rest_tsv",
    [STMT_SEARCH_MISSING] = "SELECT 1 WHERE (SELECT max(id) FROM articles) > "
                            "coalesce((SELECT max(article_id) FROM search_docs), 0)",
    [STMT_SEARCH_PUBLIC] = SEARCH_PGSQL("d.visible_tsv", "''"),
    [STMT_SEARCH_FULL] = SEARCH_PGSQL(SEARCH_TSV_ALL, SEARCH_HEADLINE("d.rest_text")),
    [STMT_SEARCH_COUNT_PUBLIC] = SEARCH_COUNT_PGSQL("d.visible_tsv"),
    [STMT_SEARCH_COUNT_FULL] = SEARCH_COUNT_PGSQL(SEARCH_TSV_ALL),
};
