-- 020_partners.sql: contract publishing's partners (issue 13), the outlets that receive the
-- publications we produce for them, and their products.
--
-- A partner authenticates with an API key (src/partner.h): only the hex of its BLAKE2b-256
-- hash is kept (key_hash, unique: the API finds the partner by it in one index lookup), and
-- its first 8 characters (key_prefix, "bsk_" and four more) to tell keys apart in lists and
-- logs. key_created_at is when the current key was made (a rotation replaces both).
--
-- The product: a partner receives an article when its publication is one of the partner's
-- publications and, if the partner lists sections, its section is one of them; in full or as
-- the paywall's preview only, per content. The reverse indexes serve "which partners receive
-- this publication / section" (the change log's fan-out to partners, and a publication's or a
-- section's deletion, which cascades).

CREATE TABLE partners (
    id             INTEGER PRIMARY KEY,
    slug           TEXT NOT NULL UNIQUE,
    name           TEXT NOT NULL CHECK (name <> ''),
    content        TEXT NOT NULL CHECK (content IN ('full', 'preview')),
    key_hash       TEXT NOT NULL UNIQUE,
    key_prefix     TEXT NOT NULL,
    created_at     INTEGER NOT NULL,
    key_created_at INTEGER NOT NULL
);

CREATE TABLE partner_publications (
    partner_id     INTEGER NOT NULL REFERENCES partners (id) ON DELETE CASCADE,
    publication_id INTEGER NOT NULL REFERENCES publications (id) ON DELETE CASCADE,
    PRIMARY KEY (partner_id, publication_id)
);
CREATE INDEX partner_publications_publication ON partner_publications (publication_id);

CREATE TABLE partner_sections (
    partner_id INTEGER NOT NULL REFERENCES partners (id) ON DELETE CASCADE,
    section_id INTEGER NOT NULL REFERENCES sections (id) ON DELETE CASCADE,
    PRIMARY KEY (partner_id, section_id)
);
CREATE INDEX partner_sections_section ON partner_sections (section_id);
