-- 012_newsroom.sql: the newsroom: article states and versions, revisions, authors, tags,
-- corrections, slug redirects, autosaves, the audit log, and disabled accounts.
--
-- Articles of every state live in one table, told apart by state:
--
--   draft        being written; a writer edits their own
--   review       submitted for an editor
--   scheduled    published_at is in the future; the server publishes it at that time
--                (store_articles_publish_due, from the server's tick, on every node: the
--                conditional UPDATE makes one of them do it)
--   published    what readers see: the only state any reader's query reads
--   unpublished  taken down; can go back to draft
--
-- Readers' queries all say `a.state = 'published'` (store_impl.h's ARTICLE_SELECT users and
-- the lookups by slug), and their indexes are partial on that same predicate, so a list walks
-- only published rows and a draft can never be found by a reader. A draft's published_at is 0
-- until it is scheduled or published.
--
-- The change log notes an article's tags only when the row is or was published: a writer's
-- draft saves re-render nothing readers see.
--
-- articles is rebuilt (as in 009) so that every column a list reads comes before the bodies.
-- version counts saves (optimistic concurrency: a save names the version it was based on).
-- created_by and updated_by are users; a deleted user leaves NULL.

CREATE TABLE articles_new (
    id              INTEGER PRIMARY KEY,
    slug            TEXT NOT NULL UNIQUE,
    publication_id  INTEGER NOT NULL REFERENCES publications (id),
    section_id      INTEGER NOT NULL REFERENCES sections (id),
    published_at    INTEGER NOT NULL, -- unix seconds, UTC; 0 for a draft never published
    updated_at      INTEGER NOT NULL, -- unix seconds, UTC
    access          TEXT NOT NULL DEFAULT 'metered'
                    CHECK (access IN ('free', 'metered', 'subscribers')),
    headline        TEXT NOT NULL,
    dek             TEXT NOT NULL DEFAULT '',
    byline          TEXT NOT NULL DEFAULT '',
    state           TEXT NOT NULL DEFAULT 'published'
                    CHECK (state IN ('draft', 'review', 'scheduled', 'published', 'unpublished')),
    version         INTEGER NOT NULL DEFAULT 1,
    created_at      INTEGER NOT NULL DEFAULT 0,
    created_by      INTEGER REFERENCES users (id) ON DELETE SET NULL,
    updated_by      INTEGER REFERENCES users (id) ON DELETE SET NULL,
    seo_title       TEXT NOT NULL DEFAULT '',
    seo_description TEXT NOT NULL DEFAULT '',
    editor_note     TEXT NOT NULL DEFAULT '', -- internal: never shown to readers
    body_markdown   TEXT NOT NULL,
    body_html       TEXT NOT NULL
);
INSERT INTO articles_new (id, slug, publication_id, section_id, published_at, updated_at, access,
                          headline, dek, byline, created_at, body_markdown, body_html)
    SELECT id, slug, publication_id, section_id, published_at, updated_at, access, headline, dek,
           byline, published_at, body_markdown, body_html
    FROM articles;
DROP TABLE articles;
ALTER TABLE articles_new RENAME TO articles;

CREATE INDEX articles_latest ON articles (published_at DESC, id DESC)
    WHERE state = 'published';
CREATE INDEX articles_publication_latest ON articles (publication_id, published_at DESC, id DESC)
    WHERE state = 'published';
CREATE INDEX articles_section_latest ON articles (section_id, published_at DESC, id DESC)
    WHERE state = 'published';
CREATE INDEX articles_publication_section_latest
    ON articles (publication_id, section_id, published_at DESC, id DESC)
    WHERE state = 'published';
-- The newsroom's list (every state, most recently changed first) and its filters.
CREATE INDEX articles_newsroom ON articles (updated_at DESC, id DESC);
-- Articles on their way (draft, review, scheduled, unpublished) by state, for the newsroom's
-- filters and counters, whose statements say `a.state <> 'published'` too. Partial, so that no
-- reader's query (state = 'published') is ever planned over it.
CREATE INDEX articles_workflow ON articles (state, updated_at DESC, id DESC)
    WHERE state <> 'published';
CREATE INDEX articles_created_by ON articles (created_by, updated_at DESC, id DESC);
-- What the scheduler looks at every tick: only the scheduled rows.
CREATE INDEX articles_due ON articles (published_at) WHERE state = 'scheduled';

CREATE TRIGGER articles_insert_change AFTER INSERT ON articles
    WHEN NEW.state = 'published' BEGIN
    UPDATE meta SET value = value + 1 WHERE key = 'change_seq';
    INSERT INTO changes (tag, seq, changed_at)
        SELECT column1, (SELECT value FROM meta WHERE key = 'change_seq'), unixepoch()
        FROM (VALUES ('article:' || NEW.id), ('list:all'), ('list:section:' || NEW.section_id), ('list:publication:' || NEW.publication_id)) WHERE true
        ON CONFLICT (tag) DO UPDATE SET seq = excluded.seq, changed_at = excluded.changed_at;
END;
CREATE TRIGGER articles_update_change AFTER UPDATE ON articles
    WHEN NEW.state = 'published' OR OLD.state = 'published' BEGIN
    UPDATE meta SET value = value + 1 WHERE key = 'change_seq';
    INSERT INTO changes (tag, seq, changed_at)
        SELECT column1, (SELECT value FROM meta WHERE key = 'change_seq'), unixepoch()
        FROM (VALUES ('article:' || NEW.id), ('list:all'), ('list:section:' || NEW.section_id), ('list:publication:' || NEW.publication_id), ('list:section:' || OLD.section_id), ('list:publication:' || OLD.publication_id)) WHERE true
        ON CONFLICT (tag) DO UPDATE SET seq = excluded.seq, changed_at = excluded.changed_at;
END;
CREATE TRIGGER articles_delete_change AFTER DELETE ON articles
    WHEN OLD.state = 'published' BEGIN
    UPDATE meta SET value = value + 1 WHERE key = 'change_seq';
    INSERT INTO changes (tag, seq, changed_at)
        SELECT column1, (SELECT value FROM meta WHERE key = 'change_seq'), unixepoch()
        FROM (VALUES ('article:' || OLD.id), ('list:all'), ('list:section:' || OLD.section_id), ('list:publication:' || OLD.publication_id)) WHERE true
        ON CONFLICT (tag) DO UPDATE SET seq = excluded.seq, changed_at = excluded.changed_at;
END;

-- Every save of an article, as it was saved: the list, the diff and restore read these. The
-- lists of authors and tags are kept as their ids, comma-separated in order ("3,7").
CREATE TABLE article_revisions (
    id              INTEGER PRIMARY KEY,
    article_id      INTEGER NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    version         INTEGER NOT NULL,
    user_id         INTEGER REFERENCES users (id) ON DELETE SET NULL,
    created_at      INTEGER NOT NULL,
    state           TEXT NOT NULL,
    slug            TEXT NOT NULL,
    publication_id  INTEGER NOT NULL,
    section_id      INTEGER NOT NULL,
    access          TEXT NOT NULL,
    headline        TEXT NOT NULL,
    dek             TEXT NOT NULL DEFAULT '',
    byline          TEXT NOT NULL DEFAULT '',
    author_ids      TEXT NOT NULL DEFAULT '',
    tag_ids         TEXT NOT NULL DEFAULT '',
    seo_title       TEXT NOT NULL DEFAULT '',
    seo_description TEXT NOT NULL DEFAULT '',
    editor_note     TEXT NOT NULL DEFAULT '',
    body_markdown   TEXT NOT NULL,
    UNIQUE (article_id, version)
);

-- People who write: staff (user_id) or contributors without an account.
CREATE TABLE authors (
    id         INTEGER PRIMARY KEY,
    slug       TEXT NOT NULL UNIQUE,
    name       TEXT NOT NULL,
    bio        TEXT NOT NULL DEFAULT '', -- Markdown
    bio_html   TEXT NOT NULL DEFAULT '', -- its safe rendering
    links      TEXT NOT NULL DEFAULT '', -- URLs, one a line
    user_id    INTEGER UNIQUE REFERENCES users (id) ON DELETE SET NULL,
    created_at INTEGER NOT NULL
);
CREATE TABLE article_authors (
    article_id INTEGER NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    author_id  INTEGER NOT NULL REFERENCES authors (id),
    position   INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (article_id, author_id)
) WITHOUT ROWID;
CREATE INDEX article_authors_author ON article_authors (author_id, article_id);

CREATE TABLE tags (
    id         INTEGER PRIMARY KEY,
    slug       TEXT NOT NULL UNIQUE,
    name       TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE TABLE article_tags (
    article_id INTEGER NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    tag_id     INTEGER NOT NULL REFERENCES tags (id),
    position   INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (article_id, tag_id)
) WITHOUT ROWID;
CREATE INDEX article_tags_tag ON article_tags (tag_id, article_id);

-- Pages that show an author or a tag record author:ID or tag:ID; their lists list:author:ID
-- and list:tag:ID; an article's own page shows its authors and tags (article:ID).
CREATE TRIGGER authors_update_change AFTER UPDATE OF slug, name, bio_html, links ON authors BEGIN
    UPDATE meta SET value = value + 1 WHERE key = 'change_seq';
    INSERT INTO changes (tag, seq, changed_at)
        SELECT column1, (SELECT value FROM meta WHERE key = 'change_seq'), unixepoch()
        FROM (VALUES ('author:' || NEW.id)) WHERE true
        ON CONFLICT (tag) DO UPDATE SET seq = excluded.seq, changed_at = excluded.changed_at;
END;
CREATE TRIGGER authors_delete_change AFTER DELETE ON authors BEGIN
    UPDATE meta SET value = value + 1 WHERE key = 'change_seq';
    INSERT INTO changes (tag, seq, changed_at)
        SELECT column1, (SELECT value FROM meta WHERE key = 'change_seq'), unixepoch()
        FROM (VALUES ('author:' || OLD.id)) WHERE true
        ON CONFLICT (tag) DO UPDATE SET seq = excluded.seq, changed_at = excluded.changed_at;
END;
CREATE TRIGGER tags_update_change AFTER UPDATE OF slug, name ON tags BEGIN
    UPDATE meta SET value = value + 1 WHERE key = 'change_seq';
    INSERT INTO changes (tag, seq, changed_at)
        SELECT column1, (SELECT value FROM meta WHERE key = 'change_seq'), unixepoch()
        FROM (VALUES ('tag:' || NEW.id)) WHERE true
        ON CONFLICT (tag) DO UPDATE SET seq = excluded.seq, changed_at = excluded.changed_at;
END;
CREATE TRIGGER tags_delete_change AFTER DELETE ON tags BEGIN
    UPDATE meta SET value = value + 1 WHERE key = 'change_seq';
    INSERT INTO changes (tag, seq, changed_at)
        SELECT column1, (SELECT value FROM meta WHERE key = 'change_seq'), unixepoch()
        FROM (VALUES ('tag:' || OLD.id)) WHERE true
        ON CONFLICT (tag) DO UPDATE SET seq = excluded.seq, changed_at = excluded.changed_at;
END;
CREATE TRIGGER article_authors_insert_change AFTER INSERT ON article_authors BEGIN
    UPDATE meta SET value = value + 1 WHERE key = 'change_seq';
    INSERT INTO changes (tag, seq, changed_at)
        SELECT column1, (SELECT value FROM meta WHERE key = 'change_seq'), unixepoch()
        FROM (VALUES ('article:' || NEW.article_id), ('list:author:' || NEW.author_id)) WHERE true
        ON CONFLICT (tag) DO UPDATE SET seq = excluded.seq, changed_at = excluded.changed_at;
END;
CREATE TRIGGER article_authors_delete_change AFTER DELETE ON article_authors BEGIN
    UPDATE meta SET value = value + 1 WHERE key = 'change_seq';
    INSERT INTO changes (tag, seq, changed_at)
        SELECT column1, (SELECT value FROM meta WHERE key = 'change_seq'), unixepoch()
        FROM (VALUES ('article:' || OLD.article_id), ('list:author:' || OLD.author_id)) WHERE true
        ON CONFLICT (tag) DO UPDATE SET seq = excluded.seq, changed_at = excluded.changed_at;
END;
CREATE TRIGGER article_tags_insert_change AFTER INSERT ON article_tags BEGIN
    UPDATE meta SET value = value + 1 WHERE key = 'change_seq';
    INSERT INTO changes (tag, seq, changed_at)
        SELECT column1, (SELECT value FROM meta WHERE key = 'change_seq'), unixepoch()
        FROM (VALUES ('article:' || NEW.article_id), ('list:tag:' || NEW.tag_id)) WHERE true
        ON CONFLICT (tag) DO UPDATE SET seq = excluded.seq, changed_at = excluded.changed_at;
END;
CREATE TRIGGER article_tags_delete_change AFTER DELETE ON article_tags BEGIN
    UPDATE meta SET value = value + 1 WHERE key = 'change_seq';
    INSERT INTO changes (tag, seq, changed_at)
        SELECT column1, (SELECT value FROM meta WHERE key = 'change_seq'), unixepoch()
        FROM (VALUES ('article:' || OLD.article_id), ('list:tag:' || OLD.tag_id)) WHERE true
        ON CONFLICT (tag) DO UPDATE SET seq = excluded.seq, changed_at = excluded.changed_at;
END;

-- Corrections appended to a published article, shown under it with their date. Writing one
-- also saves the article (a new version and updated_at), which notes its tags.
CREATE TABLE article_corrections (
    id         INTEGER PRIMARY KEY,
    article_id INTEGER NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    user_id    INTEGER REFERENCES users (id) ON DELETE SET NULL,
    created_at INTEGER NOT NULL,
    body       TEXT NOT NULL
);
CREATE INDEX article_corrections_article ON article_corrections (article_id, created_at);

-- Old URLs answering 301: a published article's former slug (the store adds one when the slug
-- of a published article changes), and later an imported site's old paths. Kept forever.
CREATE TABLE redirects (
    path       TEXT PRIMARY KEY,  -- "/articles/old-slug"
    article_id INTEGER REFERENCES articles (id) ON DELETE CASCADE,
    target     TEXT NOT NULL DEFAULT '', -- a path, when no article is named
    created_at INTEGER NOT NULL
);
CREATE INDEX redirects_article ON redirects (article_id);

-- The editor's autosaves: one per article and person, never the article itself. fields is
-- the form as JSON; base_version the version the person opened.
CREATE TABLE autosaves (
    article_id   INTEGER NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    base_version INTEGER NOT NULL,
    saved_at     INTEGER NOT NULL,
    fields       TEXT NOT NULL,
    PRIMARY KEY (article_id, user_id)
);

-- Every editorial and staff action: who (kept by name too, for a user deleted since), what,
-- when, on which article (kept after the article is deleted: no foreign key) or what else.
CREATE TABLE audit_log (
    id         INTEGER PRIMARY KEY,
    at         INTEGER NOT NULL,
    user_id    INTEGER REFERENCES users (id) ON DELETE SET NULL,
    user_name  TEXT NOT NULL DEFAULT '',
    action     TEXT NOT NULL,           -- "article.publish", "staff.role"…
    article_id INTEGER,
    subject    TEXT NOT NULL DEFAULT '', -- what the action was on, in words
    detail     TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_log_article ON audit_log (article_id, id) WHERE article_id IS NOT NULL;

-- A disabled account cannot log in and has no sessions (the store ends them when it disables).
ALTER TABLE users ADD COLUMN disabled_at INTEGER;
