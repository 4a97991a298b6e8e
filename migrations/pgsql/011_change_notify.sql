-- 011_change_notify.sql (PostgreSQL): a commit that moves a meta counter notifies the nodes.
--
-- meta_flush (001's deferred trigger, extended by 009) adds a transaction's pending counts to
-- meta at commit. It now also sends pg_notify('broadsheet_changes', key) for each key it moved:
-- 'change_seq' (articles, sections, publications: the change log the page caches follow) and
-- 'paywall_version' (plans, organisations and their address ranges). Every server LISTENs on
-- the channel on a connection of its own (db_listen_open) and, woken, reads the change log
-- after the last number it has seen (store_changes_since) and reloads the address ranges if
-- their version moved: what another node or the CLI commits is on every node's pages at once.
-- The poll (every 100 ms while the listener is down, every second while it is up) stays, so a
-- lost notification or connection delays a change, never loses it.
--
-- A notification is delivered only when its transaction commits, and after the commit's
-- changes are visible, so a woken node reads them. PostgreSQL folds identical notifications of
-- one transaction into one, so a transaction notifies once per key however many rows and
-- deferred events it had. The payload is only a hint (which counter moved): the nodes read the
-- log itself, so a notification that is lost, or arrives late, changes nothing but the delay.
-- Ad campaigns and creatives need nothing here: they are read from the database per request
-- (store_creatives_eligible), never cached by a node.
--
-- The cost: a committing transaction that notifies takes PostgreSQL's global notify lock for
-- the end of its commit. Only the commits that move a counter notify, and those already queue
-- on their meta row (009: "Commit order"), so this adds no new waiting between writers of
-- anything else.

CREATE OR REPLACE FUNCTION meta_flush() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    meta_key TEXT;
    pending BIGINT;
    last_seq BIGINT;
BEGIN
    FOR meta_key IN SELECT key FROM meta ORDER BY key LOOP
        pending := coalesce(nullif(current_setting('broadsheet.pending_' || meta_key, true), ''),
                            '0')::BIGINT;
        CONTINUE WHEN pending = 0;
        UPDATE meta SET value = value + pending WHERE key = meta_key RETURNING value INTO last_seq;
        IF meta_key = 'change_seq' THEN
            -- latest: [n, changed_at] of the tag's last row (arrays compare element by element)
            INSERT INTO changes (tag, seq, changed_at)
                SELECT tag, last_seq - pending + latest[1], latest[2]
                FROM (SELECT tag, max(ARRAY[n, changed_at]) AS latest
                      FROM pg_temp.changes_pending, unnest(tags) AS tag
                      GROUP BY tag) AS noted
                ON CONFLICT (tag) DO UPDATE SET seq = excluded.seq,
                                                changed_at = excluded.changed_at;
            DELETE FROM pg_temp.changes_pending;
        END IF;
        PERFORM set_config('broadsheet.pending_' || meta_key, '0', true);
        PERFORM pg_notify('broadsheet_changes', meta_key);
    END LOOP;
    RETURN NULL;
END
$$;
