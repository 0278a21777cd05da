-- types: values that are hard to get through COPY text format intact.
-- bytea holding all 256 byte values; text with tabs, newlines, carriage
-- returns, backslashes, a "\." line, the COPY null marker "\N" as text,
-- control characters, multi-byte UTF-8 and emoji; NULL in every column of
-- one row; arrays (NULL elements, quoting, several dimensions, lower bounds
-- other than 1); jsonb and json (which keeps whitespace and duplicate keys);
-- special numeric, float, date and time values; ranges and multiranges;
-- enums, domains and composite types (also nested and in arrays), and
-- extension types (citext, hstore).

CREATE SCHEMA ai;
CREATE SCHEMA auth;
CREATE SCHEMA storage;
CREATE SCHEMA extensions;
CREATE EXTENSION pgcrypto WITH SCHEMA extensions;
CREATE EXTENSION "uuid-ossp" WITH SCHEMA extensions;
CREATE EXTENSION citext WITH SCHEMA extensions;
CREATE EXTENSION hstore WITH SCHEMA extensions;

CREATE TYPE public.mood AS ENUM ('sad', 'ok', 'happy', 'it''s complicated', 'ünïcødé 🎉', 'with space');
CREATE DOMAIN public.percent AS numeric(5, 2) CHECK (VALUE BETWEEN 0 AND 100);
CREATE DOMAIN public.short_text AS varchar(20) NOT NULL DEFAULT 'n/a';
CREATE TYPE public.point3 AS (x double precision, y double precision, z double precision);
CREATE TYPE public.labelled AS (label text, at public.point3, tags text[], mood public.mood);

CREATE TABLE public.texts (
  id integer PRIMARY KEY,
  note text NOT NULL,
  value text,
  fixed char(8),
  limited varchar(50),
  ci extensions.citext
);
INSERT INTO public.texts (id, note, value, fixed, limited, ci) VALUES
  (1, 'plain', 'hello world', 'abc', 'abc', 'Hello'),
  (2, 'tab', E'a\tb\t', E'\t', E'x\ty', 'Tab'),
  (3, 'newline', E'line 1\nline 2\n', E'\n', E'\n\n', 'NEW'),
  (4, 'carriage return', E'crlf\r\nend\r', E'\r', NULL, NULL),
  (5, 'backslashes', E'C:\\Users\\x\\ and \\\\ double', E'\\', E'\\n is not a newline', E'\\'),
  (6, 'copy end marker alone', E'\\.', E'\\.', E'\\.', E'\\.'),
  (7, 'copy end marker as a line', E'first\n\\.\nlast', NULL, E'\n\\.\n', NULL),
  (8, 'null marker as text', E'\\N', E'\\N', 'NULL', 'null'),
  (9, 'empty string', '', '', '', ''),
  (10, 'control characters', E'\x01\x02\x07\x08\x0b\x0c\x1b\x7f', E'\x08\x0c', E'\x0b', NULL),
  (11, 'unicode', 'Ünïcødé — ñ ß Ω 日本語 中文 한국어 עברית العربية', 'ü', 'ß', 'ÄÖÜ'),
  (12, 'emoji', '🎉 👩‍👩‍👧‍👦 🏳️‍🌈 🇨🇭 ✔︎', '🎉', '👍🏽', '😀'),
  (13, 'quotes and semicolons', E'it''s "quoted"; DROP TABLE public.texts; --', '''', '"', ';'),
  (14, 'dollar quotes', '$$ $fn$ $_$ $', '$$', '$a$', '$'),
  (15, 'dump-like lines', E'--\n-- Name: fake; Type: TABLE; Schema: public; Owner: -\n--\n\nCREATE TABLE fake (x int);\nCOPY public.fake (x) FROM stdin;\n1\n\\.\n', NULL, NULL, NULL),
  (16, 'trailer-like', E'\n--\n-- PostgreSQL database dump complete\n--\n', NULL, NULL, NULL),
  (17, 'psql meta-commands', E'\\connect other\n\\restrict abc\n\\unrestrict abc\n\\! rm -rf /', NULL, NULL, NULL),
  (18, 'spaces', '  leading and trailing  ', '  ', ' ', ' '),
  (19, 'all null', NULL, NULL, NULL, NULL);

CREATE TABLE public.binary_data (
  id integer PRIMARY KEY,
  note text NOT NULL,
  data bytea
);
INSERT INTO public.binary_data (id, note, data)
SELECT 1, 'all 256 byte values', decode(string_agg(lpad(to_hex(b), 2, '0'), '' ORDER BY b), 'hex')
FROM generate_series(0, 255) AS b;
INSERT INTO public.binary_data (id, note, data)
SELECT 2, 'all 256 byte values, descending', decode(string_agg(lpad(to_hex(b), 2, '0'), '' ORDER BY b DESC), 'hex')
FROM generate_series(0, 255) AS b;
INSERT INTO public.binary_data VALUES
  (3, 'empty', ''),
  (4, 'null', NULL),
  (5, 'backslash-dot newline', E'\\x5c2e0a'),
  (6, 'NUL bytes', '\x000000');
INSERT INTO public.binary_data (id, note, data)
SELECT 7, 'pseudo-random 1 KiB', string_agg(extensions.digest(i::text, 'sha256'), '' ORDER BY i)
FROM generate_series(1, 32) AS i;

CREATE TABLE public.numbers (
  id integer PRIMARY KEY,
  note text NOT NULL,
  small smallint,
  normal integer,
  big bigint,
  exact numeric,
  money_like numeric(19, 4),
  pct public.percent,
  approx real,
  dbl double precision,
  flag boolean
);
INSERT INTO public.numbers VALUES
  (1, 'zeros', 0, 0, 0, 0, 0, 0, 0, 0, false),
  (2, 'limits', -32768, -2147483648, -9223372036854775808, -1e-30, -999999999999999.9999, 0, -3.4028235e38, -1.7976931348623157e308, true),
  (3, 'limits', 32767, 2147483647, 9223372036854775807, 123456789012345678901234567890.123456789012345678901234567890, 999999999999999.9999, 100, 1.4e-45, 5e-324, true),
  (4, 'specials', NULL, NULL, NULL, 'NaN', NULL, NULL, 'NaN', 'NaN', NULL),
  (5, 'infinities', NULL, NULL, NULL, 'Infinity', NULL, NULL, 'Infinity', '-Infinity', NULL),
  (6, 'negative zero', 0, 0, 0, -0.000, -0.0000, 0.00, '-0', '-0', NULL),
  (7, 'fractions', 1, 1, 1, 0.1, 0.3333, 33.33, 0.1, 0.1, true),
  (8, 'all null', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);

CREATE TABLE public.times (
  id integer PRIMARY KEY,
  note text NOT NULL,
  ts timestamp,
  tstz timestamptz,
  d date,
  t time,
  ttz timetz,
  iv interval
);
INSERT INTO public.times VALUES
  (1, 'ordinary', '2025-11-20 14:05:00', '2025-11-20 14:05:00+01', '2025-11-20', '14:05', '14:05+01', '1 day'),
  (2, 'microseconds', '2025-11-20 14:05:00.123456', '2025-11-20 14:05:00.000001+05:30', '2000-02-29', '23:59:59.999999', '00:00:00-12', '1 year 2 mons 3 days 04:05:06.789'),
  (3, 'infinities', 'infinity', '-infinity', 'infinity', '24:00', '24:00+14', '-1 day -00:00:01'),
  (4, 'far past', '4713-01-01 00:00:00 BC', '0001-01-01 00:00:00+00 BC', '4713-01-01 BC', '00:00', '00:00+00', '-178000000 years'),
  (5, 'far future', '294276-12-31 23:59:59', '294276-12-31 23:59:59+00', '5874897-12-31', NULL, NULL, '178000000 years'),
  (6, 'dst switch', '2025-03-30 02:30:00', '2025-03-30 01:30:00+00', NULL, NULL, NULL, 'P1Y2M3DT4H5M6S'),
  (7, 'all null', NULL, NULL, NULL, NULL, NULL, NULL);

CREATE TABLE public.arrays (
  id integer PRIMARY KEY,
  note text NOT NULL,
  ints integer[],
  texts text[],
  reals real[],
  matrix integer[][],
  moods public.mood[],
  points public.point3[]
);
INSERT INTO public.arrays VALUES
  (1, 'ordinary', '{1,2,3}', '{a,b,c}', '{0.5,1.5}', '{{1,2},{3,4}}', '{sad,happy}', ARRAY[ROW(1, 2, 3)::public.point3]),
  (2, 'empty', '{}', '{}', '{}', '{}', '{}', '{}'),
  (3, 'null elements', '{NULL,1,NULL}', '{NULL,"NULL",null,""}', '{NULL}', '{{NULL,1},{2,NULL}}', '{NULL}', ARRAY[NULL::public.point3, ROW(NULL, NULL, NULL)::public.point3]),
  (4, 'quoting', '{-1}', ARRAY['a,b', 'c"d', E'e\\f', '{g}', ' h ', E'tab\tnl\n', 'ünï🎉', '\.'], '{NaN,Infinity,-Infinity}', '{{{1}},{{2}}}', '{"it''s complicated","with space"}', NULL),
  (5, 'lower bounds', '[0:2]={7,8,9}', '[-1:0]={x,y}', '[5:5]={1}', '[2:3][4:5]={{1,2},{3,4}}', NULL, NULL),
  (6, 'all null', NULL, NULL, NULL, NULL, NULL, NULL);

CREATE TABLE public.documents (
  id integer PRIMARY KEY,
  note text NOT NULL,
  j json,
  jb jsonb,
  kv extensions.hstore
);
INSERT INTO public.documents VALUES
  (1, 'object', '{"b": 1, "a": [1, 2.50, {"c": null}]}', '{"b": 1, "a": [1, 2.50, {"c": null}]}', 'a=>1, b=>2'),
  (2, 'json keeps text', E'{ "dup": 1,\n  "dup": 2 }', E'{ "dup": 1,\n  "dup": 2 }', '"spaced key"=>"spaced value", "null"=>NULL'),
  (3, 'escapes', '{"s": "tab\tnl\nquote\"backslash\\\\slash\/u\u00fc\ud83c\udf89"}', '{"s": "tab\tnl\nquote\"backslash\\\\slash\/u\u00fc\ud83c\udf89"}', E'"back\\\\slash"=>"\\"quoted\\""'),
  (4, 'scalars', '"just a string"', '12345678901234567890.123456789', ''),
  (5, 'deep', '[[[[[[[[[[1]]]]]]]]]]', '{"a": {"b": {"c": {"d": {"e": [true, false, null]}}}}}', NULL),
  (6, 'unicode', '{"ü": "🎉", "日本": "語"}', '{"ü": "🎉", "日本": "語", "": ""}', 'ü=>🎉'),
  (7, 'all null', NULL, NULL, NULL);

CREATE TABLE public.misc (
  id integer PRIMARY KEY,
  note text NOT NULL,
  u uuid,
  ip inet,
  net cidr,
  mac macaddr,
  bits bit(8),
  varbits bit varying(16),
  ir int4range,
  tr tstzrange,
  nr numrange,
  mr int4multirange,
  tsv tsvector,
  tsq tsquery,
  pt point,
  bx box,
  poly polygon,
  mood public.mood,
  pct public.percent,
  short public.short_text,
  loc public.point3,
  thing public.labelled,
  "char" "char",
  raw_oid oid
);
INSERT INTO public.misc VALUES
  (1, 'ordinary', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '192.168.0.1/24', '10.0.0.0/8', '08:00:2b:01:02:03', B'10101010', B'101', '[1,10)', '[2025-01-01,2025-02-01)', '(0.5,1.5]', '{[1,3),[5,7)}', 'a fat cat sat on a mat', 'fat & (rat | cat)', '(1.5,2.5)', '((0,0),(1,1))', '((0,0),(1,0),(0,1))', 'happy', 42.5, 'short', ROW(1, 2, 3), ROW('here', ROW(0.1, 0.2, 0.3), '{x,"y z"}', 'it''s complicated'), 'x', 12345),
  (2, 'edges', '00000000-0000-0000-0000-000000000000', '::1', '2001:db8::/32', 'ff:ff:ff:ff:ff:ff', B'00000000', B'', 'empty', '(,)', '[-Infinity,Infinity]', '{}', '', 'a:*', '(-0,NaN)', '((-1e300,-1e300),(1e300,1e300))', '((0,0))', 'ünïcødé 🎉', 0, 'n/a', ROW(NULL, NULL, NULL), ROW(E'tab\there, "comma", (paren)', NULL, '{}', NULL), E'\\', 0),
  (3, 'all null', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 'x', NULL, NULL, NULL, NULL);
