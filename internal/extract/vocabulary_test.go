package extract

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"os/exec"
	"strings"
	"testing"

	"github.com/powabase/restorectl/internal/testenv"
)

// vocabPrelude is what pg_dump 17/18 writes before the first object.
const vocabPrelude = `--
-- PostgreSQL database dump
--

\restrict sKzXq1b2c3

-- Dumped from database version 18.1
-- Dumped by pg_dump version 18.1

SET statement_timeout = 0;
SET lock_timeout = 0;
SET idle_in_transaction_session_timeout = 0;
SET transaction_timeout = 0;
SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;
SELECT pg_catalog.set_config('search_path', '', false);
SET check_function_bodies = false;
SET xmloption = content;
SET client_min_messages = warning;
SET row_security = off;

--
-- Name: t; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.t (
    id integer NOT NULL
);

`

const vocabTrailer = `

--
-- PostgreSQL database dump complete
--

\unrestrict sKzXq1b2c3

`

// refusedItems are items pg_dump never writes, each with what the refusal
// must call it. Each is put in a dump after vocabPrelude.
var refusedItems = []struct {
	name, item, what string
}{
	{"copy from program", "COPY public.t (id) FROM PROGRAM 'touch /tmp/restorectl-pwned';", "COPY ... FROM PROGRAM"},
	{"copy to program", "COPY public.t TO PROGRAM 'id > /tmp/x';", "COPY ... TO PROGRAM"},
	{"copy to file", "COPY public.t TO '/tmp/x';", "COPY ... TO a file"},
	{"copy to stdout", "COPY public.t TO stdout;", "COPY ... TO stdout"},
	{"copy query to", "COPY (SELECT 1 FROM stdin) TO stdout;\n1\n\\.", "COPY (query) TO"},
	{"copy from file", "COPY public.t FROM '/etc/passwd';", "COPY ... FROM a file"},
	{"copy with options", "COPY public.t (id) FROM stdin WITH (FORMAT csv);\n1\n\\.", "COPY ... FROM stdin with options"},
	{"copy binary", "COPY public.t (id) FROM stdin BINARY;\n1\n\\.", "COPY ... FROM stdin with options"},
	{"copy where", "COPY public.t (id) FROM stdin WHERE id > 0;\n1\n\\.", "COPY ... FROM stdin WHERE"},
	{"meta shell", `\! touch /tmp/restorectl-pwned`, `psql meta-command \!`},
	{"meta copy", `\copy public.t from program 'id'`, `psql meta-command \copy`},
	{"meta include", `\i /etc/passwd`, `psql meta-command \i`},
	{"meta set", `\set ON_ERROR_STOP off`, `psql meta-command \set`},
	{"meta restrict odd key", `\restrict abc; \! id`, `psql meta-command \restrict`},
	{"meta stray end", `\.`, `psql meta-command`},
	{"do", "DO $$ BEGIN PERFORM 1; END $$;", "DO block"},
	{"alter system", "ALTER SYSTEM SET archive_command = 'id';", "ALTER SYSTEM"},
	{"create role", "CREATE ROLE evil SUPERUSER;", "CREATE ROLE"},
	{"create user", "CREATE USER evil;", "CREATE ROLE"},
	{"alter role", "ALTER ROLE cust1 SUPERUSER;", "ALTER ROLE"},
	{"alter role set", "ALTER ROLE cust1 SET search_path = evil;", "ALTER ROLE"},
	{"drop role", "DROP ROLE cust1;", "DROP ROLE"},
	{"grant role", "GRANT pg_execute_server_program TO cust1;", "role membership"},
	{"create database", "CREATE DATABASE other;", "CREATE DATABASE"},
	{"alter database", "ALTER DATABASE postgres SET search_path = evil;", "ALTER DATABASE"},
	{"alter database owner", "ALTER DATABASE postgres OWNER TO cust1;", "ALTER DATABASE"},
	{"comment on database", "COMMENT ON DATABASE postgres IS 'restorectl: restoring x';", "COMMENT ON DATABASE"},
	{"grant on database", "GRANT CREATE ON DATABASE postgres TO cust1;", "ON DATABASE"},
	{"grant all in schema", "GRANT SELECT ON ALL TABLES IN SCHEMA public TO cust1;", "ALL ... IN SCHEMA"},
	{"set role", "SET ROLE postgres;", "SET ROLE"},
	{"set session authorization", "SET SESSION AUTHORIZATION 'postgres';", "SET SESSION AUTHORIZATION"},
	{"reset", "RESET ALL;", "RESET"},
	{"reset role", "RESET ROLE;", "RESET"},
	{"set replication role", "SET session_replication_role = replica;", "SET session_replication_role"},
	{"set search_path", "SET search_path = evil, public;", "SET search_path"},
	{"set local", "SET LOCAL statement_timeout = 0;", "SET LOCAL"},
	{"set lock_timeout value", "SET lock_timeout = '1d';", "SET lock_timeout to a value"},
	{"set scs off", "SET standard_conforming_strings = off;", "SET standard_conforming_strings to a value"},
	{"set client-only encoding", "SET client_encoding = 'SJIS';", "SET client_encoding to a value"},
	{"set names", "SET NAMES 'BIG5';", "SET client_encoding to a value"},
	{"set default", "SET statement_timeout TO DEFAULT;", "other than to a value"},
	{"set transaction", "SET TRANSACTION READ WRITE;", "SET"},
	{"load", "LOAD '/tmp/evil.so';", "LOAD"},
	{"call", "CALL public.p();", "CALL"},
	{"select", "SELECT 1;", "SELECT"},
	{"select function", "SELECT public.evil();", "SELECT public.evil(...)"},
	{"select unqualified setval", "SELECT setval('public.s', 1, true);", "SELECT setval(...)"},
	{"select lo_import", "SELECT pg_catalog.lo_import('/etc/passwd');", "SELECT pg_catalog.lo_import(...)"},
	{"select lo_export", "SELECT pg_catalog.lo_export(16384, '/tmp/x');", "SELECT pg_catalog.lo_export(...)"},
	{"select pg_read_file", "SELECT pg_catalog.pg_read_file('/etc/passwd');", "pg_read_file"},
	{"setval of a subquery", "SELECT pg_catalog.setval('public.s', (SELECT count(*) FROM public.t), true);", "arguments pg_dump never writes"},
	{"lowrite of a call", "SELECT pg_catalog.lowrite(0, public.evil());", "arguments pg_dump never writes"},
	{"set_config other", "SELECT pg_catalog.set_config('search_path', 'evil', false);", "arguments pg_dump never writes"},
	{"set_config role", "SELECT pg_catalog.set_config('role', 'postgres', false);", "arguments pg_dump never writes"},
	{"setval with from", "SELECT pg_catalog.setval('public.s', 1, true) FROM public.t;", "SELECT"},
	{"setval aliased twice", "SELECT pg_catalog.setval('public.s', 1, true), public.evil();", "SELECT"},
	{"stats of a call", "SELECT * FROM pg_catalog.pg_restore_relation_stats('relation', public.evil());", "SELECT * FROM pg_catalog.pg_restore_relation_stats"},
	{"select from other", "SELECT * FROM public.evil('x');", "SELECT * FROM public.evil(...)"},
	{"select into", "SELECT * INTO public.copy FROM public.t;", "SELECT INTO"},
	{"insert", "INSERT INTO public.t VALUES (1);", "INSERT"},
	{"update", "UPDATE public.t SET id = 2;", "UPDATE"},
	{"delete", "DELETE FROM public.t;", "DELETE"},
	{"merge", "MERGE INTO public.t USING public.t s ON true WHEN MATCHED THEN DELETE;", "MERGE"},
	{"truncate", "TRUNCATE public.t;", "TRUNCATE"},
	{"drop", "DROP TABLE public.t;", "DROP"},
	{"drop if exists", "DROP SCHEMA IF EXISTS public CASCADE;", "DROP"},
	{"vacuum", "VACUUM public.t;", "VACUUM"},
	{"analyze", "ANALYZE public.t;", "VACUUM/ANALYZE"},
	{"cluster", "CLUSTER public.t USING t_pkey;", "CLUSTER"},
	{"reindex", "REINDEX TABLE public.t;", "REINDEX"},
	{"checkpoint", "CHECKPOINT;", "CHECKPOINT"},
	{"listen", "LISTEN x;", "LISTEN"},
	{"notify", "NOTIFY x, 'y';", "NOTIFY"},
	{"prepare", "PREPARE p AS SELECT 1;", "PREPARE"},
	{"execute", "EXECUTE p;", "EXECUTE"},
	{"lock", "LOCK TABLE public.t;", "LOCK"},
	{"discard", "DISCARD ALL;", "DISCARD"},
	{"explain analyze", "EXPLAIN ANALYZE DELETE FROM public.t;", "EXPLAIN"},
	{"create table as", "CREATE TABLE public.c AS SELECT * FROM public.t;", "CREATE TABLE AS"},
	{"matview with data", "CREATE MATERIALIZED VIEW public.mv AS SELECT 1 AS x;", "WITH NO DATA"},
	{"create temp table", "CREATE TEMPORARY TABLE t2 (x int);", "CREATE TEMPORARY TABLE"},
	{"create schema authorization", "CREATE SCHEMA evil AUTHORIZATION postgres;", "AUTHORIZATION"},
	{"create or replace function", "CREATE OR REPLACE FUNCTION pg_catalog.now() RETURNS int LANGUAGE sql AS 'SELECT 1';", "CREATE OR REPLACE FUNCTION"},
	{"index concurrently", "CREATE INDEX CONCURRENTLY i ON public.t (id);", "CONCURRENTLY"},
	{"refresh concurrently", "REFRESH MATERIALIZED VIEW CONCURRENTLY public.mv;", "CONCURRENTLY"},
	{"subscription that connects", "CREATE SUBSCRIPTION s CONNECTION 'host=evil' PUBLICATION p;", "connect = false"},
	{"alter subscription", "ALTER SUBSCRIPTION s ENABLE;", "ALTER SUBSCRIPTION"},
	{"import foreign schema", "IMPORT FOREIGN SCHEMA x FROM SERVER s INTO public;", "IMPORT FOREIGN SCHEMA"},
	{"alter extension", "ALTER EXTENSION pgcrypto UPDATE;", "ALTER EXTENSION"},
	{"alter type add value", "ALTER TYPE public.status ADD VALUE 'x';", "ALTER TYPE"},
	{"alter function", "ALTER FUNCTION public.f() SECURITY DEFINER;", "ALTER FUNCTION"},
	{"rename", "ALTER TABLE public.t RENAME TO u;", "RENAME"},
	{"alter table drop column", "ALTER TABLE public.t DROP COLUMN id;", "DropColumn"},
	{"alter table alter type", "ALTER TABLE public.t ALTER COLUMN id TYPE bigint USING public.evil(id);", "AlterColumnType"},
	{"alter table add column", "ALTER TABLE ONLY public.t ADD COLUMN x int, ADD CONSTRAINT c CHECK (x > 0);", "AddColumn"},
	{"alter table detach", "ALTER TABLE public.p DETACH PARTITION public.c;", "DetachPartition"},
	{"alter table disable rls", "ALTER TABLE public.t DISABLE ROW LEVEL SECURITY;", "DisableRowSecurity"},
	{"alter sequence restart", "ALTER SEQUENCE public.s RESTART WITH 1;", "ALTER SEQUENCE other than OWNED BY"},
	{"alter publication drop", "ALTER PUBLICATION p DROP TABLE public.t;", "ALTER PUBLICATION other than ADD"},
	{"security label on role", "SECURITY LABEL FOR selinux ON ROLE cust1 IS 'x';", "SECURITY LABEL ON ROLE"},
	// psql and the Reader take BEGIN ... END in CREATE FUNCTION for a body:
	// here it is a name, and the server would run three statements.
	{"three statements", "CREATE FUNCTION public.begin() RETURNS integer LANGUAGE sql AS 'SELECT 1'; DROP TABLE public.t; SELECT 1 AS end;", "3 statements in one"},
	{"empty", ";", "an empty statement"},
	{"nul byte", "CREATE TABLE public.a (x int)\x00 DROP TABLE public.t;", "NUL byte"},
	{"unparseable", "CREATE TABLE public.a (x int) WITH SYSTEM VERSIONING;", "parser cannot read"},
	{"psql backslash in a statement", "CREATE TABLE public.a (x int) \\! id\n;", "parser cannot read"},
	{"start transaction", "START TRANSACTION;", "BEGIN or COMMIT"},
	{"rollback", "ROLLBACK;", "BEGIN or COMMIT"},
	{"commit and chain", "COMMIT AND CHAIN;", "BEGIN or COMMIT"},
}

// craftDump puts item after vocabPrelude: the dump and the item's offset.
func craftDump(item string) (string, int64) {
	return vocabPrelude + item + vocabTrailer, int64(len(vocabPrelude))
}

func gzipped(t testing.TB, s string) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	if _, err := zw.Write([]byte(s)); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// checkRefused fails unless err is a *RefusedStatementError for the item
// at offset, whose message says what the item is.
func checkRefused(t *testing.T, how string, err error, offset int64, what string) {
	t.Helper()
	var re *RefusedStatementError
	if !errors.As(err, &re) {
		t.Fatalf("%s: %v, want a RefusedStatementError", how, err)
	}
	if re.Offset != offset || !strings.Contains(re.What, what) {
		t.Fatalf("%s: refused at byte %d as %q, want byte %d as %q", how, re.Offset, re.What, offset, what)
	}
	msg := err.Error()
	if !strings.Contains(msg, "snapshot statement at byte ") || !strings.Contains(msg, "is not something pg_dump writes") || !strings.Contains(msg, "refusing the snapshot") {
		t.Fatalf("%s: message %q", how, msg)
	}
	for _, r := range msg {
		if r < ' ' || r == 0x7f {
			t.Fatalf("%s: message holds a control character: %q", how, msg)
		}
	}
}

// TestVocabularyRefusesScan: each form pg_dump never writes is refused at
// its offset by ReadTOC, over a plain and a gzipped stream.
func TestVocabularyRefusesScan(t *testing.T) {
	for _, tt := range refusedItems {
		t.Run(tt.name, func(t *testing.T) {
			dump, off := craftDump(tt.item)
			_, err := ReadTOC(t.Context(), NewReader(strings.NewReader(dump)), nil)
			checkRefused(t, "ReadTOC .sql", err, off, tt.what)
			r, err := NewDumpReader(bytes.NewReader(gzipped(t, dump)))
			if err != nil {
				t.Fatal(err)
			}
			_, err = ReadTOC(t.Context(), r, nil)
			checkRefused(t, "ReadTOC .sql.gz", err, off, tt.what)
		})
	}
}

// placeholder is an item of pg_dump's vocabulary of the given kind, at
// least n bytes long, to stand where a refused item is when the table of
// contents is read.
func placeholder(kind ItemKind, n int) string {
	switch kind {
	case CopyData:
		return "COPY public.t (id) FROM stdin;\n" + strings.Repeat("7\n", n/2+1) + "\\."
	case MetaCommand:
		return `\restrict sKzXq1b2c3` + strings.Repeat(" ", n)
	}
	return "CREATE TABLE public.placeholder (id integer)" + strings.Repeat(" ", n) + ";"
}

// itemKindAt returns the kind of the item of dump at offset.
func itemKindAt(t *testing.T, dump string, offset int64) ItemKind {
	t.Helper()
	r := NewReader(strings.NewReader(dump))
	for {
		it, err := r.Next()
		if err != nil {
			t.Fatalf("no item at byte %d: %v", offset, err)
		}
		if it.Offset == offset {
			return it.Kind
		}
	}
}

// TestVocabularyRefusesWalk: a walk whose table of contents was read from
// an honest snapshot (or comes from an index) refuses a forbidden item
// that stands in the snapshot now, before the visitor sees it, scanning
// (plain and gzipped) and with ranged reads.
func TestVocabularyRefusesWalk(t *testing.T) {
	for _, tt := range refusedItems {
		t.Run(tt.name, func(t *testing.T) {
			dump, off := craftDump(tt.item)
			honest, _ := craftDump(placeholder(itemKindAt(t, dump, off), len(tt.item)))
			toc, err := ReadTOC(t.Context(), NewReader(strings.NewReader(honest)), nil)
			if err != nil {
				t.Fatalf("ReadTOC of the honest dump: %v", err)
			}
			all := func(int) bool { return true }
			visit := func(_ int, it *Item) error {
				if it.Offset == off {
					t.Errorf("the visitor saw the forbidden item %q", it.SQL)
				}
				return nil
			}
			err = Walk(t.Context(), NewReader(strings.NewReader(dump)), toc, all, visit)
			checkRefused(t, "Walk .sql", err, off, tt.what)
			gz := gzipped(t, dump)
			err = Walk(t.Context(), mustDumpReader(t, gz), toc, all, visit)
			checkRefused(t, "Walk .sql.gz", err, off, tt.what)

			// An index describing the honest dump, over the crafted object.
			ix := BuildIndex(toc, []Member{{}}, int64(len(gz)), "")
			ix.UncompressedSize = max(ix.UncompressedSize, int64(len(dump)))
			rg := &Ranged{Index: ix, Open: (&byteOpener{t: t, obj: gz}).open}
			err = rg.Walk(t.Context(), ix.TOC(), all, visit)
			checkRefused(t, "Ranged.Walk", err, off, tt.what)
		})
	}
}

// TestVocabularyScriptNeverWritesRefused: a script of a selection whose
// table of contents is honest stops at the forbidden item without
// writing it.
func TestVocabularyScriptNeverWritesRefused(t *testing.T) {
	dump, off := craftDump("COPY public.t (id) FROM PROGRAM 'touch /tmp/restorectl-pwned';")
	honest, _ := craftDump("ALTER TABLE ONLY public.t ADD CONSTRAINT t_pkey PRIMARY KEY (id);")
	toc, err := ReadTOC(t.Context(), NewReader(strings.NewReader(honest)), nil)
	if err != nil {
		t.Fatal(err)
	}
	sel := toc.Select([]Name{{Schema: "public", Name: "t"}})
	var out bytes.Buffer
	_, err = WriteScript(t.Context(), &out, NewReader(strings.NewReader(dump)), sel, SchemaAndData)
	checkRefused(t, "WriteScript", err, off, "COPY ... FROM PROGRAM")
	if strings.Contains(out.String(), "PROGRAM") {
		t.Fatalf("the script holds the forbidden statement:\n%s", out.String())
	}
}

// TestVocabularyIndexCannotPromote: an index that calls a statement no
// selection includes (COMMIT) something a selection does include (a SET)
// is found out before the statement reaches the visitor.
func TestVocabularyIndexCannotPromote(t *testing.T) {
	dump, off := craftDump("COMMIT;")
	toc, err := ReadTOC(t.Context(), NewReader(strings.NewReader(dump)), nil)
	if err != nil {
		t.Fatal(err)
	}
	i := len(toc.Entries) - 2 // COMMIT, before \unrestrict
	if toc.Entries[i].Offset != off || toc.Entries[i].Kind != KindTransaction {
		t.Fatalf("entry %d: %+v", i, toc.Entries[i])
	}
	toc.Entries[i].Kind, toc.Entries[i].Detail = KindSet, "statement_timeout"
	err = Walk(t.Context(), NewReader(strings.NewReader(dump)), toc, func(j int) bool { return j == i }, func(int, *Item) error {
		t.Error("the visitor saw the COMMIT")
		return nil
	})
	var ce *ChangedError
	if !errors.As(err, &ce) || ce.Offset != off {
		t.Fatalf("walk with a promoted COMMIT: %v, want a ChangedError at byte %d", err, off)
	}
}

// TestVocabularyPreviewRefuses: a preview decodes rows only after a COPY
// of pg_dump's vocabulary.
func TestVocabularyPreviewRefuses(t *testing.T) {
	dump, off := craftDump("COPY public.t (id) FROM stdin WITH (FORMAT csv);\n1\n\\.")
	_, err := Preview(t.Context(), NewReader(strings.NewReader(dump)), Name{Schema: "public", Name: "t"}, 3)
	checkRefused(t, "Preview", err, off, "with options")
}

// allowedDump holds every form of pg_dump's vocabulary, as pg_dump 13–18
// write them (taken from pg_dump's regression test and real dumps).
const allowedDump = vocabPrelude + `SET default_tablespace = '';

SET default_table_access_method = heap;

CREATE SCHEMA dump_test;

ALTER SCHEMA dump_test OWNER TO regress_dump_test_role;

COMMENT ON SCHEMA dump_test IS 'schema';

CREATE EXTENSION IF NOT EXISTS pgcrypto WITH SCHEMA dump_test;

COMMENT ON EXTENSION pgcrypto IS 'cryptographic functions';

CREATE TYPE dump_test.planets AS ENUM (
    'venus',
    'earth'
);

CREATE TYPE dump_test.textrange AS RANGE (
    subtype = text,
    multirange_type_name = dump_test.textmultirange,
    collation = pg_catalog."C"
);

CREATE TYPE dump_test.int42;

CREATE FUNCTION dump_test.int42_in(cstring) RETURNS dump_test.int42
    LANGUAGE internal IMMUTABLE STRICT
    AS $$int4in$$;

CREATE TYPE dump_test.int42 (
    INTERNALLENGTH = 4,
    INPUT = dump_test.int42_in,
    OUTPUT = dump_test.int42_out,
    DEFAULT = '42',
    ALIGNMENT = int4,
    STORAGE = plain,
    PASSEDBYVALUE
);

CREATE TYPE dump_test.composite AS (
	f1 integer,
	f2 dump_test.int42
);

CREATE DOMAIN dump_test.us_postal_code AS text COLLATE pg_catalog."C" DEFAULT '10014'::text
	CONSTRAINT us_postal_code_check CHECK (((VALUE ~ '^\d{5}$'::text) OR (VALUE ~ '^\d{5}-\d{4}$'::text)));

ALTER DOMAIN dump_test.us_postal_code
    ADD CONSTRAINT us_postal_code_short CHECK ((length(VALUE) < 20)) NOT VALID;

COMMENT ON CONSTRAINT us_postal_code_check ON DOMAIN dump_test.us_postal_code IS 'check it';

CREATE FUNCTION dump_test.trigger_func() RETURNS trigger
    LANGUAGE plpgsql
    AS $$ BEGIN RETURN NULL; END;$$;

CREATE FUNCTION dump_test.ordering_func() RETURNS SETOF integer
    LANGUAGE sql
    BEGIN ATOMIC
 SELECT 1;
END;

CREATE PROCEDURE dump_test.ptest1(IN a integer)
    LANGUAGE sql
    AS $$ INSERT INTO dump_test.test_table (col1) VALUES (a) $$;

CREATE FUNCTION dump_test.pltestlang_call_handler() RETURNS language_handler
    LANGUAGE c
    AS '$libdir/plpgsql', 'plpgsql_call_handler';

CREATE PROCEDURAL LANGUAGE pltestlang HANDLER dump_test.pltestlang_call_handler;

ALTER PROCEDURAL LANGUAGE pltestlang OWNER TO regress_dump_test_role;

CREATE AGGREGATE dump_test.newavg(integer) (
    SFUNC = int4_avg_accum,
    STYPE = bigint[],
    INITCOND = '{0,0}',
    FINALFUNC = int8_avg,
    FINALFUNC_MODIFY = SHAREABLE
);

CREATE OPERATOR dump_test.~~ (
    FUNCTION = int4eq,
    LEFTARG = integer,
    RIGHTARG = integer
);

CREATE OPERATOR FAMILY dump_test.op_family USING btree;

ALTER OPERATOR FAMILY dump_test.op_family USING btree ADD
    OPERATOR 1 <(bigint,integer) ,
    FUNCTION 1 (integer, integer) btint4cmp(integer,integer);

CREATE OPERATOR CLASS dump_test.op_class
    FOR TYPE bigint USING btree FAMILY dump_test.op_family AS
    OPERATOR 1 <(bigint,bigint) ,
    FUNCTION 1 (bigint, bigint) btint8cmp(bigint,bigint);

ALTER OPERATOR FAMILY dump_test.op_family USING btree OWNER TO regress_dump_test_role;

CREATE CAST (timestamp with time zone AS interval) WITH FUNCTION pg_catalog.age(timestamp with time zone) AS ASSIGNMENT;

CREATE COLLATION public.test0 (provider = libc, locale = 'C');

CREATE DEFAULT CONVERSION dump_test.test_conversion FOR 'LATIN1' TO 'UTF8' FROM iso8859_1_to_utf8;

CREATE TEXT SEARCH CONFIGURATION dump_test.alt_ts_conf1 (
    PARSER = pg_catalog."default" );

ALTER TEXT SEARCH CONFIGURATION dump_test.alt_ts_conf1
    ADD MAPPING FOR asciiword WITH english_stem;

CREATE TEXT SEARCH TEMPLATE dump_test.alt_ts_temp1 (
    LEXIZE = dsimple_lexize );

CREATE TEXT SEARCH PARSER dump_test.alt_ts_prs1 (
    START = prsd_start,
    GETTOKEN = prsd_nexttoken,
    END = prsd_end,
    LEXTYPES = prsd_lextype );

CREATE TEXT SEARCH DICTIONARY dump_test.alt_ts_dict1 (
    TEMPLATE = pg_catalog.simple );

CREATE FOREIGN DATA WRAPPER dummy;

CREATE SERVER s1 FOREIGN DATA WRAPPER dummy;

CREATE USER MAPPING FOR regress_dump_test_role SERVER s1;

CREATE FOREIGN TABLE dump_test.foreign_table (
    c1 integer
)
SERVER s1
OPTIONS (
    schema_name 'x1'
);

ALTER FOREIGN TABLE ONLY dump_test.foreign_table ALTER COLUMN c1 OPTIONS (
    column_name 'col1'
);

CREATE ACCESS METHOD gist2 TYPE INDEX HANDLER gisthandler;

CREATE TRANSFORM FOR integer LANGUAGE sql (FROM SQL WITH FUNCTION pg_catalog.prsd_lextype(internal), TO SQL WITH FUNCTION pg_catalog.int4recv(internal));

CREATE TABLE dump_test.test_table (
    col1 integer NOT NULL,
    col2 text,
    col3 text,
    col4 text,
    CONSTRAINT test_table_col1_check CHECK ((col1 <= 1000))
)
WITH (autovacuum_enabled='false', fillfactor='80');

ALTER TABLE ONLY dump_test.test_table ALTER COLUMN col1 SET STATISTICS 90;
ALTER TABLE ONLY dump_test.test_table ALTER COLUMN col2 SET STORAGE EXTERNAL;
ALTER TABLE ONLY dump_test.test_table ALTER COLUMN col4 SET (n_distinct=10);
ALTER TABLE ONLY dump_test.test_table ALTER COLUMN col3 SET COMPRESSION lz4;

ALTER TABLE dump_test.test_table OWNER TO regress_dump_test_role;

COMMENT ON TABLE dump_test.test_table IS 'comment on table';

COMMENT ON COLUMN dump_test.test_table.col1 IS 'comment on column';

CREATE SEQUENCE dump_test.test_table_col1_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE dump_test.test_table_col1_seq OWNED BY dump_test.test_table.col1;

ALTER SEQUENCE dump_test.test_table_col1_seq OWNER TO regress_dump_test_role;

CREATE UNLOGGED TABLE dump_test.unlogged (x integer);

CREATE TABLE dump_test.test_table_identity (
    col1 integer NOT NULL,
    col2 text
);

ALTER TABLE dump_test.test_table_identity ALTER COLUMN col1 ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME dump_test.test_table_identity_col1_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

CREATE TABLE dump_test.test_third_table (
    f1 integer,
    g1 integer GENERATED ALWAYS AS ((f1 * 2)) STORED
);

CREATE TABLE dump_test.measurement (
    city_id integer NOT NULL,
    logdate date NOT NULL,
    peaktemp integer,
    CONSTRAINT measurement_peaktemp_check CHECK ((peaktemp >= '-460'::integer))
)
PARTITION BY RANGE (logdate);

CREATE TABLE dump_test.measurement_y2006m2 (
    city_id integer DEFAULT nextval('dump_test.measurement_city_id_seq'::regclass) CONSTRAINT measurement_city_id_not_null NOT NULL,
    logdate date CONSTRAINT measurement_logdate_not_null NOT NULL,
    peaktemp integer
);

ALTER TABLE ONLY dump_test.measurement ATTACH PARTITION dump_test.measurement_y2006m2 FOR VALUES FROM ('2006-02-01') TO ('2006-03-01');

CREATE TABLE dump_test.test_inheritance_child (
    col1 integer NOT NULL
)
INHERITS (dump_test.test_table);

ALTER TABLE ONLY dump_test.test_inheritance_child INHERIT dump_test.test_table;

ALTER TABLE ONLY dump_test.test_inheritance_child ALTER COLUMN col1 SET NOT NULL;

CREATE TABLE dump_test.typed OF dump_test.composite;

ALTER TABLE dump_test.regress_pg_dump_table_am_parent SET ACCESS METHOD regress_table_am;

ALTER TABLE ONLY dump_test.test_table ALTER COLUMN col2 SET DEFAULT 'x'::text;

CREATE VIEW dump_test.test_view WITH (security_barrier='true') AS
 SELECT col1
   FROM dump_test.test_table
  WITH LOCAL CHECK OPTION;

CREATE OR REPLACE VIEW dump_test.test_view AS
 SELECT col1
   FROM dump_test.test_table;

ALTER TABLE ONLY dump_test.test_view ALTER COLUMN col1 SET DEFAULT 1;

CREATE MATERIALIZED VIEW dump_test.matview AS
 SELECT col1
   FROM dump_test.test_table
  WITH NO DATA;

COPY dump_test.test_table (col1, col2, col3, col4) FROM stdin;
1	\N	\N	\N
\.

COPY dump_test.test_fourth_table  FROM stdin;


\.

SELECT pg_catalog.setval('dump_test.test_table_col1_seq', 9, true);

SELECT pg_catalog.setval('dump_test.big_seq', -9223372036854775808, false);

SELECT pg_catalog.lo_create('16384');

ALTER LARGE OBJECT 16384 OWNER TO regress_dump_test_role;

COMMENT ON LARGE OBJECT 16384 IS 'comment on large object';

BEGIN;

SELECT pg_catalog.lo_open('16384', 131072);
SELECT pg_catalog.lowrite(0, '\x310a320a');
SELECT pg_catalog.lo_close(0);

COMMIT;

GRANT ALL ON LARGE OBJECT 16384 TO regress_dump_test_role;

SELECT * FROM pg_catalog.pg_restore_relation_stats(
	'version', '180000'::integer,
	'schemaname', 'dump_test',
	'relname', 'test_table',
	'relpages', '0'::integer,
	'reltuples', '-1'::real,
	'relallvisible', '0'::integer
);

SELECT * FROM pg_catalog.pg_restore_attribute_stats(
	'version', '180000'::integer,
	'relation', 'dump_test.test_table'::regclass,
	'attnum', '2'::smallint,
	'inherited', 'f'::boolean,
	'null_frac', '0'::real,
	'histogram_bounds', '{1,2,3}'::text
);

ALTER TABLE ONLY dump_test.test_table
    ADD CONSTRAINT test_table_pkey PRIMARY KEY (col1);

ALTER TABLE ONLY dump_test.test_table
    ADD CONSTRAINT test_table_fk FOREIGN KEY (col1) REFERENCES dump_test.test_table(col1) NOT VALID;

CREATE INDEX measurement_city_id_logdate_idx ON ONLY dump_test.measurement USING btree (city_id, logdate);

CREATE UNIQUE INDEX idx ON dump_test.test_table USING btree (col2) WHERE (col2 IS NOT NULL);

ALTER INDEX dump_test.measurement_city_id_logdate_idx ATTACH PARTITION dump_test.measurement_y2006m2_city_id_logdate_idx;

ALTER INDEX dump_test.index_with_stats ALTER COLUMN 1 SET STATISTICS 400;

ALTER TABLE dump_test.test_table CLUSTER ON test_table_pkey;

ALTER TABLE ONLY dump_test.test_table REPLICA IDENTITY FULL;

ALTER TABLE ONLY dump_test.unlogged REPLICA IDENTITY USING INDEX idx;

CREATE TRIGGER test_trigger BEFORE INSERT ON dump_test.test_table FOR EACH ROW WHEN ((new.col1 > 10)) EXECUTE FUNCTION dump_test.trigger_func();

CREATE CONSTRAINT TRIGGER ctrig AFTER INSERT ON dump_test.test_table DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION dump_test.trigger_func();

ALTER TABLE dump_test.measurement_y2006m2 DISABLE TRIGGER test_trigger;
ALTER TABLE dump_test.measurement_y2006m2 ENABLE REPLICA TRIGGER test_trigger;
ALTER TABLE dump_test.measurement_y2006m2 ENABLE ALWAYS TRIGGER test_trigger;
ALTER TABLE dump_test.test_table DISABLE TRIGGER ALL;
ALTER TABLE dump_test.test_table ENABLE TRIGGER ALL;

CREATE EVENT TRIGGER test_event_trigger ON ddl_command_start
   EXECUTE FUNCTION dump_test.event_trigger_func();

ALTER EVENT TRIGGER test_event_trigger DISABLE;

CREATE RULE r AS
    ON DELETE TO dump_test.unlogged DO INSTEAD NOTHING;

ALTER TABLE dump_test.unlogged DISABLE RULE r;

ALTER TABLE dump_test.test_table ENABLE ROW LEVEL SECURITY;

ALTER TABLE ONLY dump_test.test_table FORCE ROW LEVEL SECURITY;

CREATE POLICY p1 ON dump_test.test_table USING (true) WITH CHECK (true);

CREATE POLICY p2 ON dump_test.test_table FOR SELECT TO regress_dump_test_role USING (true);

CREATE PUBLICATION pub1 WITH (publish = 'insert, update, delete, truncate');

ALTER PUBLICATION pub1 ADD TABLE ONLY dump_test.test_table;

ALTER PUBLICATION pub1 ADD TABLES IN SCHEMA dump_test;

ALTER PUBLICATION pub1 OWNER TO regress_dump_test_role;

COMMENT ON PUBLICATION pub1 IS 'comment on publication';

CREATE SUBSCRIPTION sub1 CONNECTION 'dbname=doesnotexist' PUBLICATION pub1 WITH (connect = false, slot_name = 'sub1', streaming = parallel);

COMMENT ON SUBSCRIPTION sub1 IS 'comment on subscription';

CREATE STATISTICS dump_test.test_ext_stats_opts (ndistinct) ON col1, col2 FROM dump_test.test_table;

ALTER STATISTICS dump_test.test_ext_stats_opts SET STATISTICS 1000;

ALTER FUNCTION dump_test.trigger_func() DEPENDS ON EXTENSION pgcrypto;

REFRESH MATERIALIZED VIEW dump_test.matview;

SECURITY LABEL FOR dummy ON TABLE dump_test.test_table IS 'classified';

REVOKE ALL ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA dump_test TO regress_dump_test_role;
GRANT SELECT ON TABLE dump_test.test_table TO regress_dump_test_role;
GRANT SELECT(col1) ON TABLE dump_test.test_table TO PUBLIC;
GRANT ALL ON FOREIGN DATA WRAPPER dummy TO regress_dump_test_role;
GRANT ALL ON FOREIGN SERVER s1 TO regress_dump_test_role;
GRANT ALL ON TYPE dump_test.planets TO regress_dump_test_role;
REVOKE ALL ON FUNCTION pg_catalog.pg_sleep(double precision) FROM PUBLIC;
REVOKE ALL ON LANGUAGE plpgsql FROM PUBLIC;

ALTER DEFAULT PRIVILEGES FOR ROLE regress_dump_test_role IN SCHEMA dump_test GRANT SELECT ON TABLES TO regress_dump_test_role;

ALTER DEFAULT PRIVILEGES FOR ROLE regress_dump_test_role REVOKE ALL ON FUNCTIONS FROM PUBLIC;
` + vocabTrailer

// TestVocabularyAccepts: a dump holding every form of pg_dump's vocabulary
// is read whole, and walked whole, plain and gzipped.
func TestVocabularyAccepts(t *testing.T) {
	toc, err := ReadTOC(t.Context(), NewReader(strings.NewReader(allowedDump)), nil)
	if err != nil {
		t.Fatalf("ReadTOC: %v", err)
	}
	var visited int
	err = Walk(t.Context(), mustDumpReader(t, gzipped(t, allowedDump)), toc, func(int) bool { return true }, func(int, *Item) error {
		visited++
		return nil
	})
	if err != nil || visited != len(toc.Entries) {
		t.Fatalf("Walk visited %d of %d entries: %v", visited, len(toc.Entries), err)
	}
	for _, e := range toc.Entries {
		if e.Refused != "" {
			t.Errorf("entry at byte %d refused as %q", e.Offset, e.Refused)
		}
	}
}

// kitchenSinkSQL builds a database with every kind of object pg_dump dumps
// that a test cluster can hold (no security label provider, no
// subscription: it would outlive the database).
const kitchenSinkSQL = `
DO $$ BEGIN CREATE ROLE restorectl_vocab_grantee NOLOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$;
CREATE SCHEMA s1;
COMMENT ON SCHEMA s1 IS 'a schema';
CREATE EXTENSION pgcrypto WITH SCHEMA s1;
CREATE TYPE s1.mood AS ENUM ('a', 'b');
CREATE TYPE s1.comp AS (x int, y text);
CREATE TYPE s1.rng AS RANGE (subtype = int4);
CREATE TYPE s1.shell;
CREATE DOMAIN s1.posint AS int CHECK (VALUE > 0);
ALTER DOMAIN s1.posint ADD CONSTRAINT posint_small CHECK (VALUE < 1000000) NOT VALID;
CREATE FUNCTION s1.f(a int) RETURNS int LANGUAGE sql IMMUTABLE AS $$ SELECT a + 1 $$;
CREATE FUNCTION s1.g(a int) RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT a * 2; END;
CREATE PROCEDURE s1.p() LANGUAGE sql AS $$ SELECT 1 $$;
CREATE FUNCTION s1.trg() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
CREATE FUNCTION s1.evt() RETURNS event_trigger LANGUAGE plpgsql AS $$ BEGIN END $$;
CREATE AGGREGATE s1.agg(int) (SFUNC = int4pl, STYPE = int);
CREATE OPERATOR s1.=== (LEFTARG = int, RIGHTARG = int, FUNCTION = int4eq);
CREATE OPERATOR FAMILY s1.fam USING btree;
CREATE OPERATOR CLASS s1.cls FOR TYPE int USING btree FAMILY s1.fam AS OPERATOR 3 s1.===;
ALTER OPERATOR FAMILY s1.fam USING btree ADD FUNCTION 1 (int4, int4) btint4cmp(int4, int4);
CREATE CAST (s1.comp AS text) WITH INOUT;
CREATE COLLATION s1.coll (provider = libc, locale = 'C');
CREATE CONVERSION s1.conv FOR 'LATIN1' TO 'UTF8' FROM iso8859_1_to_utf8;
CREATE TEXT SEARCH CONFIGURATION s1.tsc (COPY = english);
CREATE TEXT SEARCH DICTIONARY s1.tsd (TEMPLATE = simple);
CREATE TEXT SEARCH TEMPLATE s1.tst (LEXIZE = dsimple_lexize);
CREATE TEXT SEARCH PARSER s1.tsp (START = prsd_start, GETTOKEN = prsd_nexttoken, END = prsd_end, LEXTYPES = prsd_lextype);
CREATE FOREIGN DATA WRAPPER vocab_fdw;
CREATE SERVER vocab_srv FOREIGN DATA WRAPPER vocab_fdw OPTIONS (host 'x');
CREATE USER MAPPING FOR restorectl_vocab_grantee SERVER vocab_srv OPTIONS (user 'u');
CREATE FOREIGN TABLE s1.ft (c1 int OPTIONS (column_name 'col1')) SERVER vocab_srv OPTIONS (schema_name 'x');
CREATE ACCESS METHOD vocab_am TYPE INDEX HANDLER bthandler;
CREATE TRANSFORM FOR int LANGUAGE SQL (FROM SQL WITH FUNCTION prsd_lextype(internal), TO SQL WITH FUNCTION int4recv(internal));
CREATE FUNCTION s1.lang_handler() RETURNS language_handler AS '$libdir/plpgsql', 'plpgsql_call_handler' LANGUAGE C;
CREATE LANGUAGE vocab_lang HANDLER s1.lang_handler;
CREATE SEQUENCE s1.seq;
CREATE TABLE s1.t (
	id int GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	m s1.mood,
	p s1.posint,
	c text COMPRESSION pglz,
	g int GENERATED ALWAYS AS (id * 2) STORED,
	n bigint DEFAULT nextval('s1.seq'),
	CHECK (id > 0)
) WITH (fillfactor = 80);
ALTER TABLE s1.t ALTER COLUMN c SET STATISTICS 90, ALTER COLUMN c SET STORAGE EXTERNAL, ALTER COLUMN m SET (n_distinct = 10);
ALTER SEQUENCE s1.seq OWNED BY s1.t.n;
CREATE UNLOGGED TABLE s1.u (x int NOT NULL);
CREATE UNIQUE INDEX u_x_idx ON s1.u (x);
ALTER TABLE s1.u REPLICA IDENTITY USING INDEX u_x_idx;
CREATE TABLE s1.parent (id int, at date) PARTITION BY RANGE (at);
CREATE TABLE s1.part1 PARTITION OF s1.parent FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE INDEX ON s1.parent (id);
CREATE TABLE s1.inh (extra int) INHERITS (s1.u);
CREATE TABLE s1.typed OF s1.comp;
CREATE TABLE s1.ref (id int REFERENCES s1.t (id) DEFERRABLE);
ALTER TABLE s1.ref ADD CONSTRAINT ref_pos CHECK (id > 0) NOT VALID;
CREATE UNIQUE INDEX t_m_idx ON s1.t (m) WHERE m IS NOT NULL;
CREATE INDEX t_expr_idx ON s1.t ((id + 1));
ALTER INDEX s1.t_expr_idx ALTER COLUMN 1 SET STATISTICS 400;
ALTER TABLE s1.t CLUSTER ON t_pkey;
CREATE VIEW s1.v WITH (security_barrier = true) AS SELECT id, m FROM s1.t;
ALTER VIEW s1.v ALTER COLUMN m SET DEFAULT 'a';
CREATE VIEW s1.loop1 AS SELECT 1 AS x;
CREATE VIEW s1.loop2 AS SELECT x FROM s1.loop1;
CREATE OR REPLACE VIEW s1.loop1 AS SELECT 1 AS x FROM s1.loop2 WHERE false;
CREATE MATERIALIZED VIEW s1.mv AS SELECT id FROM s1.t;
CREATE INDEX mv_idx ON s1.mv (id);
CREATE TRIGGER t_trg BEFORE INSERT ON s1.t FOR EACH ROW EXECUTE FUNCTION s1.trg();
CREATE CONSTRAINT TRIGGER t_ctrg AFTER INSERT ON s1.t DEFERRABLE FOR EACH ROW EXECUTE FUNCTION s1.trg();
CREATE TRIGGER part_trg AFTER INSERT ON s1.parent FOR EACH ROW EXECUTE FUNCTION s1.trg();
CREATE RULE r AS ON DELETE TO s1.u DO INSTEAD NOTHING;
ALTER TABLE s1.u DISABLE RULE r;
ALTER TABLE s1.t ENABLE ROW LEVEL SECURITY;
ALTER TABLE s1.t FORCE ROW LEVEL SECURITY;
CREATE POLICY pol ON s1.t FOR SELECT TO restorectl_vocab_grantee USING (id > 0);
SET client_min_messages = error;
CREATE PUBLICATION vocab_pub FOR TABLE s1.t;
CREATE PUBLICATION vocab_pub2;
ALTER PUBLICATION vocab_pub2 ADD TABLES IN SCHEMA s1;
RESET client_min_messages;
COMMENT ON PUBLICATION vocab_pub IS 'pub';
CREATE STATISTICS s1.st ON id, m FROM s1.t;
ALTER STATISTICS s1.st SET STATISTICS 1000;
ALTER FUNCTION s1.f(int) DEPENDS ON EXTENSION pgcrypto;
COMMENT ON TABLE s1.t IS 'x';
COMMENT ON COLUMN s1.t.id IS 'y';
COMMENT ON FUNCTION s1.f(int) IS 'f';
GRANT USAGE ON SCHEMA s1 TO restorectl_vocab_grantee;
GRANT SELECT ON s1.t TO restorectl_vocab_grantee;
GRANT SELECT (id) ON s1.v TO restorectl_vocab_grantee;
REVOKE EXECUTE ON FUNCTION s1.f(int) FROM PUBLIC;
GRANT USAGE ON FOREIGN SERVER vocab_srv TO restorectl_vocab_grantee;
GRANT USAGE ON TYPE s1.mood TO restorectl_vocab_grantee;
ALTER DEFAULT PRIVILEGES IN SCHEMA s1 GRANT SELECT ON TABLES TO restorectl_vocab_grantee;
INSERT INTO s1.t (m, p, c) VALUES ('a', 1, 'x'), ('b', 2, E'tab\there');
INSERT INTO s1.u VALUES (1), (2);
INSERT INTO s1.parent VALUES (1, '2024-02-01');
REFRESH MATERIALIZED VIEW s1.mv;
SELECT setval('s1.seq', 42);
DO $$
DECLARE o oid;
BEGIN
	o := lo_from_bytea(0, '\x310a320a');
	EXECUTE format('COMMENT ON LARGE OBJECT %s IS %L', o, 'a large object');
	EXECUTE format('GRANT SELECT ON LARGE OBJECT %s TO restorectl_vocab_grantee', o);
END $$;
CREATE EVENT TRIGGER vocab_evt ON ddl_command_start EXECUTE FUNCTION s1.evt();
ALTER EVENT TRIGGER vocab_evt DISABLE;
ALTER TABLE s1.t DISABLE TRIGGER t_trg;
ALTER TABLE s1.part1 ENABLE REPLICA TRIGGER part_trg;
`

// TestVocabularyRealPgDump: the real pg_dump's output of a database with
// every kind of object is accepted whole in the modes the backups use and
// a few more; the options whose output pg_dump's vocabulary (as restorectl
// takes it) leaves out are refused, for the reason given.
func TestVocabularyRealPgDump(t *testing.T) {
	pg := testenv.StartPostgres(t)
	db, url := pg.CreateDatabase(t)
	pg.Exec(t, db, kitchenSinkSQL)
	for _, tt := range []struct {
		args []string
		what string // "" if accepted, else what is refused
	}{
		{[]string{"--no-owner", "--no-privileges"}, ""}, // as the backup job runs it
		{nil, ""},
		{[]string{"--schema-only"}, ""},
		{[]string{"--data-only"}, ""},
		{[]string{"--no-owner", "--no-privileges", "--quote-all-identifiers"}, ""},
		{[]string{"--clean"}, "DROP"},
		{[]string{"--inserts"}, "INSERT"},
		{[]string{"--create"}, "CREATE DATABASE"},
		{[]string{"--use-set-session-authorization"}, "SET SESSION AUTHORIZATION"},
		{[]string{"--data-only", "--disable-triggers"}, "SET SESSION AUTHORIZATION"},
	} {
		t.Run(strings.Join(append([]string{"pg_dump"}, tt.args...), " "), func(t *testing.T) {
			cmd := exec.CommandContext(t.Context(), pg.Bin("pg_dump"), append(tt.args, url)...)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("pg_dump: %v\n%s", err, stderr.String())
			}
			toc, err := ReadTOC(t.Context(), NewReader(bytes.NewReader(out)), nil)
			if tt.what != "" {
				var re *RefusedStatementError
				if !errors.As(err, &re) || !strings.Contains(re.What, tt.what) {
					t.Fatalf("ReadTOC: %v, want a refusal of %s", err, tt.what)
				}
				return
			}
			if err != nil {
				t.Fatalf("ReadTOC: %v", err)
			}
			n := 0
			err = Walk(context.Background(), NewReader(bytes.NewReader(out)), toc, func(int) bool { return true }, func(_ int, it *Item) error {
				n++
				if it.Kind == CopyData {
					_, err := io.Copy(io.Discard, it.Rows)
					return err
				}
				return nil
			})
			if err != nil || n != len(toc.Entries) {
				t.Fatalf("Walk: %d of %d entries, %v", n, len(toc.Entries), err)
			}
		})
	}
}

// TestVocabularyClassify: Refused, straight from Classify.
func TestVocabularyClassify(t *testing.T) {
	for _, sql := range []string{
		"SET statement_timeout = 0;",
		"SET client_encoding = 'LATIN1';",
		"SET row_security = on;",
		"SET default_tablespace = ts1;",
		"SELECT pg_catalog.set_config('search_path', '', false);",
		"SELECT pg_catalog.setval('public.s', 1, false);",
		"SELECT pg_catalog.setval('public.s', 9223372036854775807);",
		"COPY public.t (id) FROM stdin;",
		"COPY t FROM STDIN;",
		"BEGIN;",
		"COMMIT;",
	} {
		if c := Classify(sql, nil); c.Refused != "" {
			t.Errorf("Classify(%q) refused: %q (%s)", sql, c.Refused, c.RefusedWhy)
		}
	}
	// A COPY ... FROM stdin whose rows the Reader did not see.
	if _, err := Vet(&Item{Kind: Statement, SQL: "COPY public.t (id) FROM stdin;", Offset: 5}); err == nil {
		t.Error("Vet of a COPY ... FROM stdin statement without rows: accepted")
	}
	if _, err := Vet(&Item{Kind: CopyData, SQL: "CREATE TABLE public.x (id integer);", Offset: 5}); err == nil {
		t.Error("Vet of rows after a CREATE TABLE: accepted")
	}
	for _, tt := range refusedItems {
		if strings.HasPrefix(tt.item, `\`) || tt.what == "" || strings.Contains(tt.item, "\n") {
			continue
		}
		if c := Classify(tt.item, nil); c.Refused == "" || !strings.Contains(c.Refused, tt.what) {
			t.Errorf("Classify(%q).Refused = %q, want %q", tt.item, c.Refused, tt.what)
		}
	}
}
