-- Archived bodies arrive zstd-compressed, and a page's seen ids live only until its refresh
-- reconciles: PostgreSQL's own compression (pglz) of them cost about 1 ms of a full sync's
-- 10-12 ms of PostgreSQL CPU per 1,000-record page, to gain nothing on a body and a few kB
-- on the ids. EXTERNAL still stores them out of line, uncompressed. Rows already stored
-- keep their form; new rows take this one.
ALTER TABLE canonry.raw_bodies ALTER COLUMN body SET STORAGE EXTERNAL;
ALTER TABLE canonry.refresh_seen ALTER COLUMN source_ids SET STORAGE EXTERNAL;
