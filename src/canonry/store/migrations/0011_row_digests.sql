-- Each entity row keeps the digest of the values it was written with (xxh3-128 of their
-- binary COPY encoding, computed by the mapping worker). A replay or a full refresh checks a
-- page's digests against these first, and stages and compares only the rows that differ.
-- NULL (rows written before this column, or changed since by a statement that does not
-- compute digests: deletions) simply means "compare the values".
DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['employee', 'department', 'location', 'job', 'compensation',
                             'vendor', 'customer', 'invoice', 'payment', 'gl_account',
                             'merchant_location', 'menu_item', 'order']
    LOOP
        EXECUTE format('ALTER TABLE canonry.%I ADD COLUMN row_digest bytea', t);
    END LOOP;
END
$$;
