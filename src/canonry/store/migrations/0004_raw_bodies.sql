-- Raw archive at volume: identical bodies stored once, per-connection retention, blob backends.
-- raw_pages keeps one row per fetch; the compressed body lives once per content hash in
-- raw_bodies: inline (stored_in = 'db') or as a blob in a directory or S3 bucket named by
-- ``location`` (never a credential). A raw page always has its body row (foreign key).

CREATE TABLE canonry.raw_bodies (
    content_hash     bytea PRIMARY KEY,         -- sha256 of the uncompressed body
    body             bytea,                     -- zstd-compressed; NULL when stored elsewhere
    body_size        integer NOT NULL,          -- uncompressed bytes
    stored_size      integer NOT NULL,          -- compressed bytes, wherever they are kept
    compression      text NOT NULL DEFAULT 'zstd',
    stored_in        text NOT NULL DEFAULT 'db' CHECK (stored_in IN ('db', 'fs', 's3')),
    location         text,                      -- fs: directory; s3: endpoint/bucket/prefix
    created_at       timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT raw_bodies_where CHECK ((stored_in = 'db') = (body IS NOT NULL))
);

INSERT INTO canonry.raw_bodies (content_hash, body, body_size, stored_size)
SELECT DISTINCT ON (content_hash) content_hash, body, body_size, octet_length(body)
FROM canonry.raw_pages ORDER BY content_hash, id;

ALTER TABLE canonry.raw_pages DROP COLUMN body, DROP COLUMN body_size;
ALTER TABLE canonry.raw_pages ADD CONSTRAINT raw_pages_body
    FOREIGN KEY (content_hash) REFERENCES canonry.raw_bodies (content_hash);
CREATE INDEX raw_pages_content_hash ON canonry.raw_pages (content_hash);

-- Retention: raw pages older than keep_days are pruned, except those provenance or an open
-- dead letter still points at. NULL keeps everything.
CREATE TABLE canonry.archive_policies (
    connection_id  bigint PRIMARY KEY REFERENCES canonry.connections (id) ON DELETE CASCADE,
    keep_days      integer CHECK (keep_days > 0),
    updated_at     timestamptz NOT NULL DEFAULT now()
);
