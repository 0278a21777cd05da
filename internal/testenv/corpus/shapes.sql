-- shapes: tables of unusual shape. A very wide table (100 columns), an
-- empty table, a table without a primary key holding duplicate rows, a
-- table with no columns at all but three rows (its COPY rows are empty
-- lines), a table with dropped columns, an unlogged table, a table whose
-- only column is an identity, and a table of a composite type (CREATE
-- TABLE ... OF).

CREATE SCHEMA ai;
CREATE SCHEMA auth;
CREATE SCHEMA storage;
CREATE SCHEMA extensions;
CREATE EXTENSION pgcrypto WITH SCHEMA extensions;
CREATE EXTENSION "uuid-ossp" WITH SCHEMA extensions;

-- 100 columns c001..c100 cycling through integer, text, numeric,
-- timestamptz and boolean; each row leaves a different column NULL.
DO $$
DECLARE
  types text[] := ARRAY['integer', 'text', 'numeric', 'timestamptz', 'boolean'];
  columns text := '';
  exprs text := '';
BEGIN
  FOR c IN 1..100 LOOP
    columns := columns || format(', c%s %s', lpad(c::text, 3, '0'), types[1 + (c - 1) % 5]);
    exprs := exprs || format(', CASE WHEN i %% 100 = %s THEN NULL ELSE %s END', c % 100,
      CASE (c - 1) % 5
        WHEN 0 THEN format('i * %s', c)
        WHEN 1 THEN format('''r'' || i || E''\tc%s''', c)
        WHEN 2 THEN format('i / %s.0', c)
        WHEN 3 THEN format('timestamptz ''2025-01-01 00:00:00+00'' + (i * %s) * interval ''1 second''', c)
        ELSE format('(i + %s) %% 2 = 0', c)
      END);
  END LOOP;
  EXECUTE format('CREATE TABLE public.wide (id integer PRIMARY KEY%s)', columns);
  EXECUTE format('INSERT INTO public.wide SELECT i%s FROM generate_series(1, 200) AS i', exprs);
END
$$;
COMMENT ON TABLE public.wide IS '100 columns besides id.';

CREATE TABLE public.empty (
  id integer PRIMARY KEY,
  note text
);
COMMENT ON TABLE public.empty IS 'Never had a row.';

CREATE TABLE storage.emptied (
  id bigserial PRIMARY KEY,
  note text
);
INSERT INTO storage.emptied (note) SELECT 'gone ' || i FROM generate_series(1, 10) AS i;
DELETE FROM storage.emptied;

-- No primary key, no unique key: duplicate rows are data too.
CREATE TABLE public.no_pk (
  a integer,
  b text
);
INSERT INTO public.no_pk VALUES (1, 'x'), (1, 'x'), (1, 'x'), (2, NULL), (2, NULL), (NULL, NULL), (NULL, NULL);

-- No columns: each row is an empty line in the dump's COPY block.
CREATE TABLE public.no_columns ();
INSERT INTO public.no_columns DEFAULT VALUES;
INSERT INTO public.no_columns DEFAULT VALUES;
INSERT INTO public.no_columns DEFAULT VALUES;

-- Dropped columns leave holes in the table's physical layout.
CREATE TABLE public.dropped (
  id integer PRIMARY KEY,
  gone text,
  kept text,
  also_gone integer,
  added_later text
);
INSERT INTO public.dropped SELECT i, 'gone', 'kept ' || i, i, NULL FROM generate_series(1, 5) AS i;
ALTER TABLE public.dropped DROP COLUMN gone;
ALTER TABLE public.dropped DROP COLUMN also_gone;
ALTER TABLE public.dropped ADD COLUMN newest integer DEFAULT 7;
UPDATE public.dropped SET added_later = 'later' WHERE id % 2 = 0;

CREATE UNLOGGED TABLE public.cache (
  key text PRIMARY KEY,
  value jsonb,
  expires_at timestamptz
);
INSERT INTO public.cache SELECT 'key' || i, jsonb_build_object('v', i), '2030-01-01 00:00:00+00' FROM generate_series(1, 10) AS i;

CREATE TABLE public.only_identity (
  id bigint GENERATED ALWAYS AS IDENTITY (START WITH 100 INCREMENT BY 10) PRIMARY KEY
);
INSERT INTO public.only_identity DEFAULT VALUES;
INSERT INTO public.only_identity DEFAULT VALUES;

CREATE TYPE public.pair AS (left_side text, right_side text);
CREATE TABLE public.pairs OF public.pair (PRIMARY KEY (left_side));
INSERT INTO public.pairs VALUES ('l', 'r'), ('left', NULL);

-- Many medium-sized rows.
CREATE TABLE ai.chunks (
  id integer PRIMARY KEY,
  content text NOT NULL
);
INSERT INTO ai.chunks SELECT i, repeat(md5(i::text) || E'\n', 64) FROM generate_series(1, 2000) AS i;
