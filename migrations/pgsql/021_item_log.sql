-- 021_item_log.sql (PostgreSQL): contract publishing's change log, embargoes and kills; see
-- migrations/sqlite/021_item_log.sql for what each column means.
--
-- Commit order. A partner pages through the log by seq, so seq must be handed out in commit
-- order: a transaction that took 10 and commits after another took 11 would be missed by a
-- partner that read 11 in between. An identity alone does not give that. Every transaction
-- that writes the log therefore first takes `LOCK TABLE item_log IN EXCLUSIVE MODE`
-- (store_item_log_lock, at its start, before it locks any article row, so that two writers
-- never wait on each other in opposite orders): writers of the log go one at a time until
-- commit, readers never wait, and the numbers follow the commits. The writers are the
-- newsroom's saves and changes of state, corrections, the scheduler and imports: a transaction
-- of an import holds the lock for its batch.
ALTER TABLE articles ADD COLUMN embargoed BIGINT NOT NULL DEFAULT 0
    CONSTRAINT articles_embargoed_check CHECK (embargoed IN (0, 1));
ALTER TABLE articles ADD COLUMN killed_at BIGINT NOT NULL DEFAULT 0;
ALTER TABLE articles ADD COLUMN kill_note TEXT COLLATE "C" NOT NULL DEFAULT '';

CREATE TABLE item_log (
    seq            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    article_id     BIGINT NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    version        BIGINT NOT NULL,
    publication_id BIGINT NOT NULL,
    section_id     BIGINT NOT NULL,
    pubstatus      TEXT COLLATE "C" NOT NULL
                   CHECK (pubstatus IN ('usable', 'withheld', 'canceled')),
    embargoed      BIGINT NOT NULL DEFAULT 0, -- unix seconds: not before then; 0: none
    ednote         TEXT COLLATE "C" NOT NULL DEFAULT '',
    created_at     BIGINT NOT NULL,
    UNIQUE (article_id, version)
);

INSERT INTO item_log (article_id, version, publication_id, section_id, pubstatus, created_at)
    SELECT id, version, publication_id, section_id, 'usable', greatest(updated_at, published_at)
    FROM articles WHERE state = 'published' ORDER BY published_at, id;
