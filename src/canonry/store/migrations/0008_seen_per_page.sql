-- A full refresh's seen ids, one row per page (an array) instead of one row per id: a page
-- commits one small row instead of a thousand index entries (about a quarter of the write
-- time of a full sync's page). Reconciliation unnests them into an analyzed temp table.
DROP TABLE canonry.refresh_seen;
CREATE TABLE canonry.refresh_seen (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    sync_run_id  bigint NOT NULL,
    stream       text NOT NULL,
    source_ids   text[] NOT NULL
);
CREATE INDEX refresh_seen_run ON canonry.refresh_seen (sync_run_id, stream);
