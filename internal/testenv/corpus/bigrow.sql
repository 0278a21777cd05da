-- bigrow: one row of tens of MB between two small ones, so a reader with a
-- line length limit, or one that buffers whole tables, fails here. The
-- values are built by the server (repeat), not stored in this file; they
-- hold characters COPY escapes (tab, newline, backslash) and multi-byte
-- UTF-8, so the dump's line is longer than the value.

CREATE SCHEMA ai;
CREATE SCHEMA auth;
CREATE SCHEMA storage;
CREATE SCHEMA extensions;
CREATE EXTENSION pgcrypto WITH SCHEMA extensions;
CREATE EXTENSION "uuid-ossp" WITH SCHEMA extensions;

CREATE TABLE public.blobs (
  id integer PRIMARY KEY,
  name text NOT NULL,
  body text,
  data bytea
);

INSERT INTO public.blobs VALUES (1, 'before', 'a small row', '\x00ff');
-- A 32-byte unit (27 characters) 1,000,000 times: a 32 MB text value, and a 4 MB bytea
-- value (8 MB of hex in the dump).
INSERT INTO public.blobs
SELECT 2, 'big',
       repeat(E'0123456789\tTAB\\BS\nNL ünï 🎉|', 1000000),
       decode(repeat('00deadbeef0a5c7f', 500000), 'hex');
INSERT INTO public.blobs VALUES (3, 'after', E'the row after the big one\n\\.', NULL);

-- Another table after the big one, so a reader must find its way past it.
CREATE TABLE public.after_big (id integer PRIMARY KEY, note text);
INSERT INTO public.after_big SELECT i, 'note ' || i FROM generate_series(1, 10) AS i;
