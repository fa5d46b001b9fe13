-- The runs that have worked on a full refresh, in order (a refresh killed and resumed has
-- several). When every live row of the stream was last written by one of them, the refresh
-- saw every row, and reconciling it needs no comparison with the seen ids: the first full
-- sync of a stream skips the anti-join over all its rows. Checkpoints from before this
-- migration start with no runs, so they reconcile the long way.
ALTER TABLE canonry.refresh_checkpoints ADD COLUMN runs bigint[] NOT NULL DEFAULT '{}';
