-- Full-refresh reconciliation: which records a full sync saw, and what it soft-deleted.
CREATE TABLE canonry.refresh_seen (
    sync_run_id  bigint NOT NULL,
    stream       text NOT NULL,
    source_id    text NOT NULL,
    PRIMARY KEY (sync_run_id, stream, source_id)
);

-- Why a row became deleted when no source record says so (its provenance of deletion).
CREATE TABLE canonry.deletions (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    connection_id  bigint NOT NULL REFERENCES canonry.connections (id) ON DELETE CASCADE,
    entity         text NOT NULL,
    stream         text NOT NULL,
    source_id      text NOT NULL,
    sync_run_id    bigint NOT NULL,
    reason         text NOT NULL,
    deleted_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX deletions_record ON canonry.deletions (connection_id, entity, source_id);
