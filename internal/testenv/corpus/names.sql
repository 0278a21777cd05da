-- names: identifiers that need quoting. Dots, semicolons, spaces, double
-- quotes, mixed case, reserved words, non-ASCII letters and emoji, a name
-- that reads like a pg_dump "-- Name:" comment, a newline inside a name,
-- and names told apart only by schema or by case ("My Schema"."a.b" and
-- "dotted.schema"."a.b", public.items and public."Items"), in table, column,
-- schema, index, constraint, sequence, trigger, policy and type names.

CREATE SCHEMA ai;
CREATE SCHEMA auth;
CREATE SCHEMA storage;
CREATE SCHEMA extensions;
CREATE EXTENSION pgcrypto WITH SCHEMA extensions;
CREATE EXTENSION "uuid-ossp" WITH SCHEMA extensions;

CREATE SCHEMA "My Schema";
CREATE SCHEMA "dotted.schema";
CREATE SCHEMA "Ünïcødé";

CREATE TYPE "My Schema"."Status Type" AS ENUM ('on', 'off', 'a.b', 'semi;colon');

CREATE TABLE "My Schema"."a.b" (
  "x.y" serial PRIMARY KEY,
  "Spaced Column" text,
  "UPPER" text,
  "status" "My Schema"."Status Type" DEFAULT 'on'
);
COMMENT ON TABLE "My Schema"."a.b" IS 'A table whose name has a dot, in a schema whose name has a space.';
COMMENT ON COLUMN "My Schema"."a.b"."x.y" IS 'A column whose name has a dot.';
INSERT INTO "My Schema"."a.b" ("Spaced Column", "UPPER", "status")
SELECT 'row ' || i, upper('row ' || i), (ARRAY['on', 'off', 'a.b', 'semi;colon']::"My Schema"."Status Type"[])[1 + i % 4]
FROM generate_series(1, 20) AS i;

-- The same table name in another schema, itself with a dot.
CREATE TABLE "dotted.schema"."a.b" (
  id integer PRIMARY KEY,
  ref integer REFERENCES "My Schema"."a.b" ("x.y")
);
INSERT INTO "dotted.schema"."a.b" SELECT i, i FROM generate_series(1, 5) AS i;

CREATE TABLE "dotted.schema"."x.y.z" (
  "a.b.c" text PRIMARY KEY,
  "d" text
);
INSERT INTO "dotted.schema"."x.y.z" VALUES ('1.2.3', 'dots'), ('public.items', 'looks like a qualified name');

CREATE TABLE "Ünïcødé"."Ünïcødé tåble" (
  "ïd" integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  "naïve" text,
  "日本語" integer,
  "emoji 🎉" text
);
INSERT INTO "Ünïcødé"."Ünïcødé tåble" ("naïve", "日本語", "emoji 🎉") VALUES ('café', 1, '🎉'), ('crème brûlée', 2, NULL);

CREATE TABLE public."Ünïcødé tåble" (
  id integer PRIMARY KEY,
  "Straße" text
);
INSERT INTO public."Ünïcødé tåble" VALUES (1, 'Hauptstraße'), (2, NULL);

CREATE TABLE public."semi;colon" (
  id integer PRIMARY KEY,
  "a;b" text,
  "--not a comment" text,
  "/*nor this*/" text
);
CREATE INDEX "idx;semi;colon" ON public."semi;colon" ("a;b");
INSERT INTO public."semi;colon" VALUES (1, 'a;b', '--', '/* */'), (2, ';', NULL, NULL);

CREATE TABLE public."with""quote" (
  id integer PRIMARY KEY,
  "col""q" text,
  "'single'" text
);
ALTER TABLE public."with""quote" ADD CONSTRAINT "check ""quoted""" CHECK ("col""q" <> 'forbidden');
INSERT INTO public."with""quote" VALUES (1, 'a "quoted" value', '''single'''), (2, NULL, NULL);

-- Told apart only by case.
CREATE TABLE public.items (id integer PRIMARY KEY, name text);
CREATE TABLE public."Items" (id integer PRIMARY KEY, name text);
CREATE TABLE public."ITEMS" (id integer PRIMARY KEY, name text);
INSERT INTO public.items VALUES (1, 'lower');
INSERT INTO public."Items" VALUES (1, 'Capitalised'), (2, 'Capitalised');
INSERT INTO public."ITEMS" VALUES (1, 'UPPER'), (2, 'UPPER'), (3, 'UPPER');

-- Reserved words.
CREATE TABLE public."select" (
  "from" integer PRIMARY KEY,
  "where" text,
  "order" integer,
  "table" text,
  "user" text
);
INSERT INTO public."select" VALUES (1, 'here', 2, 't', 'me');
CREATE TABLE public."COPY" ("stdin" text, "\." text);
INSERT INTO public."COPY" VALUES ('FROM stdin;', E'\\.');

-- A table named like the comment pg_dump writes before each object.
CREATE TABLE public."-- Name: trick; Type: TABLE; Schema: public; Owner: -" (x integer);
INSERT INTO public."-- Name: trick; Type: TABLE; Schema: public; Owner: -" VALUES (1), (2);

-- A newline inside a name: pg_dump prints it inside the quoted identifier,
-- so a COPY header can span two lines.
CREATE TABLE public."line
break" (
  "col
umn" integer
);
INSERT INTO public."line
break" VALUES (42);

-- A name at the 63-byte limit.
CREATE TABLE public.a_table_name_that_is_exactly_sixty_three_bytes_long_abcdefghijk (
  id bigserial PRIMARY KEY
);
INSERT INTO public.a_table_name_that_is_exactly_sixty_three_bytes_long_abcdefghijk DEFAULT VALUES;

-- Quoted names on everything attached to a table.
CREATE SEQUENCE "My Schema"."seq.with.dots" START 100;
SELECT setval('"My Schema"."seq.with.dots"', 150);
CREATE TABLE "My Schema"."Orders; DROP TABLE x" (
  "Id" bigint PRIMARY KEY DEFAULT nextval('"My Schema"."seq.with.dots"'),
  "Amount €" numeric CONSTRAINT "amount must be ≥ 0" CHECK ("Amount €" >= 0),
  "Parent" bigint CONSTRAINT "fk: self.parent" REFERENCES "My Schema"."Orders; DROP TABLE x" ("Id")
);
CREATE UNIQUE INDEX "Index: Ünïcødé.Amount" ON "My Schema"."Orders; DROP TABLE x" ("Amount €") WHERE "Amount €" > 1000;
CREATE FUNCTION "My Schema"."trigger fn; x"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW."Amount €" := coalesce(NEW."Amount €", 0);
  RETURN NEW;
END
$$;
CREATE TRIGGER "Trigger: default amount" BEFORE INSERT ON "My Schema"."Orders; DROP TABLE x"
  FOR EACH ROW EXECUTE FUNCTION "My Schema"."trigger fn; x"();
ALTER TABLE "My Schema"."Orders; DROP TABLE x" ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Policy; with ""quotes""" ON "My Schema"."Orders; DROP TABLE x" USING ("Amount €" < 1000000);
COMMENT ON COLUMN "My Schema"."Orders; DROP TABLE x"."Amount €" IS 'Euro; not "dollars".';
INSERT INTO "My Schema"."Orders; DROP TABLE x" ("Amount €", "Parent") VALUES (10, NULL), (NULL, 151), (2000, 152);
CREATE VIEW "My Schema"."View.of; orders" AS SELECT "Id", "Amount €" FROM "My Schema"."Orders; DROP TABLE x";
