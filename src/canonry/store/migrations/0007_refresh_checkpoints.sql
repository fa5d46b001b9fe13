-- A full refresh in progress, one row per stream: where its walk got to and under which run
-- its "seen" ids are kept (refresh_seen.sync_run_id). Updated in each page's transaction, so
-- a `--full` sync killed mid-way resumes from its last committed page and still reconciles
-- with everything seen before the kill. Deleted when the refresh reconciles.
CREATE TABLE canonry.refresh_checkpoints (
    connection_id   bigint NOT NULL REFERENCES canonry.connections (id) ON DELETE CASCADE,
    stream          text NOT NULL,
    refresh_run_id  bigint NOT NULL,          -- the run that began the refresh
    next_params     jsonb,                    -- the request after the last committed page
    complete        boolean NOT NULL DEFAULT false,  -- the walk ended; only reconciling is left
    pages           bigint NOT NULL DEFAULT 0,
    sync_run_id     bigint,                   -- the run that last worked on it
    started_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (connection_id, stream)
);
