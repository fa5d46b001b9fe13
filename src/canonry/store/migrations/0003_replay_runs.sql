-- Replays are runs too: they re-map archived pages and are recorded like syncs.
ALTER TABLE canonry.sync_runs DROP CONSTRAINT sync_runs_mode_check;
ALTER TABLE canonry.sync_runs ADD CONSTRAINT sync_runs_mode_check
    CHECK (mode IN ('full', 'incremental', 'replay'));
CREATE INDEX raw_pages_fetched ON canonry.raw_pages (connection_id, stream, fetched_at);
