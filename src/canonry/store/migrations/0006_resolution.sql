-- Entity resolution: one golden record per real-world entity, linked to the source rows
-- that describe it, with the rules that matched them and chose each field.

-- The active rule set per entity type; `version` is a hash of `config`, stamped on goldens.
CREATE TABLE canonry.resolution_rules (
    entity_type  text PRIMARY KEY,
    config       jsonb NOT NULL,
    version      text NOT NULL,
    updated_at   timestamptz NOT NULL DEFAULT now()
);

CREATE SEQUENCE canonry.golden_id_seq;

-- `data`: the surviving business values; `lineage`: per field, the rule, the winning source
-- row and the competing values. A golden whose members all left is kept with `retired`
-- (and `merged_into` when they joined another golden), so its id never dangles.
CREATE TABLE canonry.golden_records (
    entity_type    text NOT NULL,
    golden_id      bigint NOT NULL,
    data           jsonb NOT NULL,
    lineage        jsonb NOT NULL,
    members        integer NOT NULL,
    retired        boolean NOT NULL DEFAULT false,
    merged_into    bigint,
    rules_version  text NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (entity_type, golden_id)
);

-- Which golden each source row belongs to, why, and which version of the row was resolved
-- (`resolved_xmin`: the row's xmin then; a different xmin now means the row changed since).
CREATE TABLE canonry.entity_links (
    entity_type    text NOT NULL,
    connection_id  bigint NOT NULL REFERENCES canonry.connections (id) ON DELETE CASCADE,
    source_id      text NOT NULL,
    golden_id      bigint NOT NULL,
    matched_by     text NOT NULL,
    resolved_xmin  text NOT NULL,
    linked_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (entity_type, connection_id, source_id)
);
CREATE INDEX entity_links_golden ON canonry.entity_links (entity_type, golden_id);

-- Normalized match keys per source row and rule: what makes re-resolution local (a changed
-- row only pulls in the rows that share a key with it).
CREATE TABLE canonry.match_keys (
    entity_type    text NOT NULL,
    connection_id  bigint NOT NULL REFERENCES canonry.connections (id) ON DELETE CASCADE,
    source_id      text NOT NULL,
    rule           text NOT NULL,
    key            text NOT NULL,
    PRIMARY KEY (entity_type, connection_id, source_id, rule)
);
CREATE INDEX match_keys_key ON canonry.match_keys (entity_type, rule, key);

-- Manual crosswalk overrides. Rows pinned to the same label are one entity; no entity ever
-- holds two labels; an `exclusive` pin (a split) also ignores every rule match of its row.
CREATE TABLE canonry.crosswalk (
    entity_type    text NOT NULL,
    connection_id  bigint NOT NULL REFERENCES canonry.connections (id) ON DELETE CASCADE,
    source_id      text NOT NULL,
    pin            text NOT NULL,
    exclusive      boolean NOT NULL DEFAULT false,
    note           text,
    created_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (entity_type, connection_id, source_id)
);
