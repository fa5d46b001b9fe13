-- Canonry's first schema: connections, runs, watermarks, raw archive, DLQ, HR entities.

CREATE TABLE canonry.connections (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name        text NOT NULL UNIQUE CHECK (name ~ '^[a-z0-9][a-z0-9_-]{0,62}$'),
    connector   text NOT NULL,
    config      jsonb NOT NULL,            -- non-secret fields only
    secrets     bytea,                     -- Fernet token of the secret fields (JSON)
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE canonry.sync_runs (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    connection_id  bigint NOT NULL REFERENCES canonry.connections (id) ON DELETE CASCADE,
    mode           text NOT NULL CHECK (mode IN ('full', 'incremental')),
    status         text NOT NULL CHECK (status IN ('running', 'succeeded', 'failed', 'interrupted')),
    streams        text[] NOT NULL,
    started_at     timestamptz NOT NULL DEFAULT clock_timestamp(),
    finished_at    timestamptz,
    pages          bigint NOT NULL DEFAULT 0,
    fetched        bigint NOT NULL DEFAULT 0,
    inserted       bigint NOT NULL DEFAULT 0,
    updated        bigint NOT NULL DEFAULT 0,
    unchanged      bigint NOT NULL DEFAULT 0,
    deleted        bigint NOT NULL DEFAULT 0,
    dead_lettered  bigint NOT NULL DEFAULT 0,
    error          text,
    stats          jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX sync_runs_connection ON canonry.sync_runs (connection_id, id DESC);

-- The watermark of a stream moves only in the transaction that stores the data it covers.
CREATE TABLE canonry.watermarks (
    connection_id  bigint NOT NULL REFERENCES canonry.connections (id) ON DELETE CASCADE,
    stream         text NOT NULL,
    cursor_value   timestamptz,
    sync_run_id    bigint,
    updated_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (connection_id, stream)
);

CREATE TABLE canonry.raw_pages (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    connection_id  bigint NOT NULL REFERENCES canonry.connections (id) ON DELETE CASCADE,
    stream         text NOT NULL,
    sync_run_id    bigint,
    request        jsonb NOT NULL,          -- method, url, params; secrets redacted
    status         smallint NOT NULL,
    headers        jsonb NOT NULL,
    body           bytea NOT NULL,          -- zstd-compressed, as received
    body_size      integer NOT NULL,
    content_hash   bytea NOT NULL,          -- sha256 of the uncompressed body
    record_count   integer NOT NULL,
    fetched_at     timestamptz NOT NULL
);
CREATE INDEX raw_pages_stream ON canonry.raw_pages (connection_id, stream, id);

-- Mapping versions know each field's source path: provenance is stored by reference.
CREATE TABLE canonry.mapping_versions (
    version        text PRIMARY KEY,
    connector      text NOT NULL,
    stream         text NOT NULL,
    entity         text NOT NULL,
    records_path   text NOT NULL,
    field_paths    jsonb NOT NULL,
    registered_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE canonry.dead_letters (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    connection_id  bigint NOT NULL REFERENCES canonry.connections (id) ON DELETE CASCADE,
    stream         text NOT NULL,
    sync_run_id    bigint,
    raw_page_id    bigint,
    record_index   integer,
    source_id      text,
    stage          text NOT NULL,
    reason         text NOT NULL,
    field          text,
    value          text,
    record         jsonb,
    mapping_version text,
    status         text NOT NULL DEFAULT 'open'
                   CHECK (status IN ('open', 'resolved', 'superseded', 'discarded')),
    created_at     timestamptz NOT NULL DEFAULT now(),
    resolved_at    timestamptz
);
CREATE INDEX dead_letters_open ON canonry.dead_letters (connection_id, stream, source_id)
    WHERE status = 'open';

-- Canonical entities, one row per (connection, source record). Provenance columns point at
-- the raw page and record the values came from; mapping_versions gives each field's path.
CREATE TABLE canonry.employee (
    connection_id        bigint NOT NULL REFERENCES canonry.connections (id) ON DELETE CASCADE,
    source_id            text NOT NULL,
    employee_number      text,
    first_name           text NOT NULL,
    last_name            text NOT NULL,
    preferred_name       text,
    email                text,
    phone                text,
    status               text NOT NULL,
    employment_type      text,
    job_title            text,
    department_source_id text,
    manager_source_id    text,
    hire_date            date,
    termination_date     date,
    address_line1        text,
    address_city         text,
    address_region       text,
    address_postal_code  text,
    address_country      text,
    salary_amount        numeric,
    salary_currency      text,
    salary_period        text,
    source_updated_at    timestamptz,
    deleted              boolean NOT NULL DEFAULT false,
    raw_page_id          bigint NOT NULL,
    record_index         integer NOT NULL,
    mapping_version      text NOT NULL,
    observed_at          timestamptz NOT NULL,
    sync_run_id          bigint,
    PRIMARY KEY (connection_id, source_id)
);

CREATE TABLE canonry.department (
    connection_id        bigint NOT NULL REFERENCES canonry.connections (id) ON DELETE CASCADE,
    source_id            text NOT NULL,
    name                 text NOT NULL,
    code                 text,
    parent_source_id     text,
    cost_center          text,
    source_updated_at    timestamptz,
    deleted              boolean NOT NULL DEFAULT false,
    raw_page_id          bigint NOT NULL,
    record_index         integer NOT NULL,
    mapping_version      text NOT NULL,
    observed_at          timestamptz NOT NULL,
    sync_run_id          bigint,
    PRIMARY KEY (connection_id, source_id)
);
