-- 005_ads.sql: advertising. Campaigns (dates, weight, targeting), their creatives (an uploaded
-- image with alt text and a click-through URL, or an admin's HTML ad tag shown in a sandboxed
-- frame), and the counts: impressions and clicks aggregated per creative per day. Nothing is
-- kept per reader.
--
-- Times are unix seconds, UTC. A campaign runs while starts_at <= now < ends_at (ends_at is
-- exclusive: `--end 2099-12-31` stores the first second of 2100-01-01). Targeting is by slug,
-- '' meaning any publication or any section. Text columns are NOT NULL with '' for "unset", as
-- store.h hands them out.

CREATE TABLE campaigns (
    id               INTEGER PRIMARY KEY,
    slug             TEXT NOT NULL UNIQUE,
    name             TEXT NOT NULL,
    starts_at        INTEGER NOT NULL,
    ends_at          INTEGER NOT NULL,
    weight           INTEGER NOT NULL DEFAULT 1 CHECK (weight >= 1),
    publication_slug TEXT NOT NULL DEFAULT '', -- '': any publication
    section_slug     TEXT NOT NULL DEFAULT '', -- '': any section
    created_at       INTEGER NOT NULL,
    CHECK (ends_at > starts_at)
);

-- An image creative names its file under the uploads directory by content hash
-- ("ads/<blake2b hex>.png"), so the same file uploaded twice is stored once; an html creative
-- holds the ad tag itself. click_url is the only place /ads/click/ID redirects to.
CREATE TABLE creatives (
    id          INTEGER PRIMARY KEY,
    campaign_id INTEGER NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    placement   TEXT NOT NULL
                CHECK (placement IN ('interstitial', 'leaderboard', 'in-article', 'sidebar')),
    kind        TEXT NOT NULL CHECK (kind IN ('image', 'html')),
    image_path  TEXT NOT NULL DEFAULT '',
    image_type  TEXT NOT NULL DEFAULT ''
                CHECK (image_type IN ('', 'image/png', 'image/jpeg', 'image/gif', 'image/webp',
                                      'image/svg+xml')),
    width       INTEGER NOT NULL DEFAULT 0 CHECK (width >= 0),
    height      INTEGER NOT NULL DEFAULT 0 CHECK (height >= 0),
    alt         TEXT NOT NULL DEFAULT '',
    click_url   TEXT NOT NULL DEFAULT ''
                CHECK (click_url = '' OR substr(click_url, 1, 7) = 'http://'
                       OR substr(click_url, 1, 8) = 'https://'),
    html        TEXT NOT NULL DEFAULT '',
    created_at  INTEGER NOT NULL,
    CHECK ((kind = 'image' AND image_path <> '' AND image_type <> '' AND html = '')
           OR (kind = 'html' AND html <> '' AND image_path = '' AND image_type = ''))
);

-- Choosing a creative: a campaign's creatives for one placement.
CREATE INDEX creatives_campaign ON creatives (campaign_id, placement);
-- Campaigns running at a time.
CREATE INDEX campaigns_dates ON campaigns (starts_at, ends_at);

CREATE TABLE ad_stats (
    creative_id INTEGER NOT NULL REFERENCES creatives (id) ON DELETE CASCADE,
    day         TEXT NOT NULL, -- 'YYYY-MM-DD', UTC
    impressions INTEGER NOT NULL DEFAULT 0 CHECK (impressions >= 0),
    clicks      INTEGER NOT NULL DEFAULT 0 CHECK (clicks >= 0),
    PRIMARY KEY (creative_id, day)
) WITHOUT ROWID;

-- The report reads a range of days.
CREATE INDEX ad_stats_day ON ad_stats (day);
