package extract

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/jackc/pgx/v5"
	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/powabase/restorectl/internal/testenv"
)

// trailer is what pg_dump writes last.
const trailer = "\n--\n-- PostgreSQL database dump complete\n--\n\n"

// gotItem is an Item with its rows read.
type gotItem struct {
	Kind   ItemKind
	SQL    string
	Header *Header
	Rows   string
	Offset int64
	End    int64
}

// readItems reads every item of input, rows included, through a Reader with
// the given buffer size over src (nil: input itself).
func readItems(input string, bufSize int, src io.Reader) ([]gotItem, error) {
	if src == nil {
		src = strings.NewReader(input)
	}
	r := newReaderSize(src, bufSize)
	var items []gotItem
	for {
		it, err := r.Next()
		if err == io.EOF {
			return items, nil
		}
		if err != nil {
			return items, err
		}
		g := gotItem{Kind: it.Kind, SQL: it.SQL, Header: it.Header, Offset: it.Offset}
		if it.Rows != nil {
			b, err := io.ReadAll(it.Rows)
			if err != nil {
				return items, err
			}
			g.Rows = string(b)
		}
		g.End = it.End
		items = append(items, g)
	}
}

// checkCoverage checks the reader's invariant: items are in order, do not
// overlap, hold exactly the input's bytes, and the text between them is
// only whitespace and comments.
func checkCoverage(t testing.TB, input string, items []gotItem) {
	t.Helper()
	prev := int64(0)
	for i, it := range items {
		if it.Offset < prev || it.End < it.Offset || it.End > int64(len(input)) {
			t.Fatalf("item %d (%s) spans [%d,%d) after %d in %d bytes", i, it.Kind, it.Offset, it.End, prev, len(input))
		}
		if gap := input[prev:it.Offset]; !ignorable(gap) {
			t.Fatalf("text before item %d is not only comments and whitespace: %q", i, gap)
		}
		text := input[it.Offset:it.End]
		switch it.Kind {
		case Statement, MetaCommand:
			if text != it.SQL {
				t.Fatalf("item %d SQL %q, input holds %q", i, it.SQL, text)
			}
		case CopyData:
			if !strings.HasPrefix(text, it.SQL) {
				t.Fatalf("item %d COPY SQL %q not at its offset: %q", i, it.SQL, abbrev(text, 100))
			}
			rest := text[len(it.SQL):]
			_, rows, _ := strings.Cut(rest, "\n")
			rows = strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(rows, "\n"), "\r"), `\.`)
			if rows != it.Rows {
				t.Fatalf("item %d rows %q, input holds %q", i, abbrev(it.Rows, 100), abbrev(rows, 100))
			}
		}
		prev = it.End
	}
	if gap := input[prev:]; !ignorable(gap) {
		t.Fatalf("text after the last item is not only comments and whitespace: %q", gap)
	}
}

// ignorable reports whether s is only whitespace, -- comments and /* */
// comments (nested): the text a Reader may leave between items.
func ignorable(s string) bool {
	for len(s) > 0 {
		switch {
		case isSpace(s[0]):
			s = s[1:]
		case strings.HasPrefix(s, "--"):
			_, s, _ = strings.Cut(s, "\n")
		case strings.HasPrefix(s, "/*"):
			depth, i := 0, 0
			for ; i < len(s); i++ {
				if strings.HasPrefix(s[i:], "/*") {
					depth++
					i++
				} else if strings.HasPrefix(s[i:], "*/") {
					depth--
					i++
					if depth == 0 {
						break
					}
				}
			}
			if depth != 0 {
				return false
			}
			s = s[i+1:]
		default:
			return false
		}
	}
	return true
}

// readAllWays reads input with a large buffer, and with a tiny buffer fed
// one byte at a time (every construct then straddles a buffer boundary);
// both must agree.
func readAllWays(t *testing.T, input string) ([]gotItem, error) {
	t.Helper()
	items, err := readItems(input, defaultBufSize, nil)
	small, smallErr := readItems(input, 8, iotest.OneByteReader(strings.NewReader(input)))
	if !reflect.DeepEqual(items, small) || fmt.Sprint(err) != fmt.Sprint(smallErr) {
		t.Fatalf("a tiny buffer reads differently:\nbig:   %+v, %v\nsmall: %+v, %v", items, err, small, smallErr)
	}
	return items, err
}

type wantItem struct {
	Kind ItemKind
	SQL  string
	Rows string
}

func TestReaderSplitting(t *testing.T) {
	for _, tc := range []struct {
		name  string
		input string // the trailer is appended
		want  []wantItem
	}{
		{"simple statements", "SET a = 1;\nSELECT 2;\n",
			[]wantItem{{Statement, "SET a = 1;", ""}, {Statement, "SELECT 2;", ""}}},
		{"leading comments and blank lines excluded", "\n\n-- hello\n/* block */\n  SELECT 1;",
			[]wantItem{{Statement, "SELECT 1;", ""}}},
		{"string with semicolon and comment starts", "SELECT 'a;b -- c /* d';\nSELECT 'it''s; ok';",
			[]wantItem{{Statement, "SELECT 'a;b -- c /* d';", ""}, {Statement, "SELECT 'it''s; ok';", ""}}},
		{"standard strings: backslash is not an escape", `SELECT 'a\'; SELECT 2;`,
			[]wantItem{{Statement, `SELECT 'a\';`, ""}, {Statement, "SELECT 2;", ""}}},
		{"E string with backslash escapes", `SELECT E'it\'s;', e'\\'; SELECT 2;`,
			[]wantItem{{Statement, `SELECT E'it\'s;', e'\\';`, ""}, {Statement, "SELECT 2;", ""}}},
		{"E only when it starts a token", `SELECT fee'\'; SELECT 3;`,
			[]wantItem{{Statement, `SELECT fee'\';`, ""}, {Statement, "SELECT 3;", ""}}},
		{"quoted identifiers", `CREATE TABLE "a;b"".c" ("x--y" int, "/*" text);`,
			[]wantItem{{Statement, `CREATE TABLE "a;b"".c" ("x--y" int, "/*" text);`, ""}}},
		{"dollar quotes with semicolons and dump-like text",
			"CREATE FUNCTION f() RETURNS text AS $$\nSELECT 1;\n\\.\nCOPY x FROM stdin;\n-- Name: fake; Type: TABLE; Schema: public; Owner: -\n$$ LANGUAGE sql;\nSELECT 2;",
			[]wantItem{{Statement, "CREATE FUNCTION f() RETURNS text AS $$\nSELECT 1;\n\\.\nCOPY x FROM stdin;\n-- Name: fake; Type: TABLE; Schema: public; Owner: -\n$$ LANGUAGE sql;", ""}, {Statement, "SELECT 2;", ""}}},
		{"tagged dollar quote containing $$", "DO $fn$ BEGIN RAISE NOTICE '$$;'; PERFORM $$x;$$; END $fn$;SELECT $_x1$;$_x1$;",
			[]wantItem{{Statement, "DO $fn$ BEGIN RAISE NOTICE '$$;'; PERFORM $$x;$$; END $fn$;", ""}, {Statement, "SELECT $_x1$;$_x1$;", ""}}},
		{"positional parameters and $ in names are not dollar quotes", "PREPARE p AS SELECT $1, a$b, $2$x;\nSELECT 1$$;",
			[]wantItem{{Statement, "PREPARE p AS SELECT $1, a$b, $2$x;", ""}, {Statement, "SELECT 1$$;", ""}}},
		{"nested block comments", "SELECT /* a /* b; */ c; */ 1;",
			[]wantItem{{Statement, "SELECT /* a /* b; */ c; */ 1;", ""}}},
		{"line comment inside a statement", "SELECT 1 -- ; not the end\n, 2;",
			[]wantItem{{Statement, "SELECT 1 -- ; not the end\n, 2;", ""}}},
		{"semicolons in parentheses do not end a statement (psql)", "SELECT (1;2);\nSELECT 3;",
			[]wantItem{{Statement, "SELECT (1;2);", ""}, {Statement, "SELECT 3;", ""}}},
		{"SQL-standard function body", "CREATE FUNCTION public.f(a int) RETURNS int\n    LANGUAGE sql\n    BEGIN ATOMIC\n SELECT CASE WHEN a > 0 THEN 1 ELSE 2 END;\n SELECT 2;\nEND;\nSELECT 3;",
			[]wantItem{{Statement, "CREATE FUNCTION public.f(a int) RETURNS int\n    LANGUAGE sql\n    BEGIN ATOMIC\n SELECT CASE WHEN a > 0 THEN 1 ELSE 2 END;\n SELECT 2;\nEND;", ""}, {Statement, "SELECT 3;", ""}}},
		{"CREATE OR REPLACE PROCEDURE body", "create or replace procedure p() begin atomic select 1; end;select 2;",
			[]wantItem{{Statement, "create or replace procedure p() begin atomic select 1; end;", ""}, {Statement, "select 2;", ""}}},
		{"BEGIN outside a function is a statement", "BEGIN;\nCOMMIT;",
			[]wantItem{{Statement, "BEGIN;", ""}, {Statement, "COMMIT;", ""}}},
		{"CRLF text", "SET a = 1;\r\n-- c\r\nSELECT 'x\r\n';\r\n\\connect db\r\n",
			[]wantItem{{Statement, "SET a = 1;", ""}, {Statement, "SELECT 'x\r\n';", ""}, {MetaCommand, `\connect db`, ""}}},
		{"meta-commands", "\\restrict abc123\n\nSET x = 1;\n\\connect -reuse-previous=on \"dbname='a;b'\"\n",
			[]wantItem{{MetaCommand, `\restrict abc123`, ""}, {Statement, "SET x = 1;", ""}, {MetaCommand, `\connect -reuse-previous=on "dbname='a;b'"`, ""}}},
		{"COPY block", "COPY public.t (a, b) FROM stdin;\n1\tx\n2\ty\n\\.\n\nSELECT 1;",
			[]wantItem{{CopyData, "COPY public.t (a, b) FROM stdin;", "1\tx\n2\ty\n"}, {Statement, "SELECT 1;", ""}}},
		{"empty COPY block", "COPY t FROM stdin;\n\\.\n",
			[]wantItem{{CopyData, "COPY t FROM stdin;", ""}}},
		{"COPY rows looking like SQL, escaped \\. and dump comments", "COPY t (a) FROM stdin;\nSELECT 1;\n\\\\.\n-- Name: x; Type: TABLE; Schema: public; Owner: -\n'\n$$\n\\\\.\\\\.\na\\\\.\n\\.\n",
			[]wantItem{{CopyData, "COPY t (a) FROM stdin;", "SELECT 1;\n\\\\.\n-- Name: x; Type: TABLE; Schema: public; Owner: -\n'\n$$\n\\\\.\\\\.\na\\\\.\n"}}},
		{"rows end only at an exact \\. line", "COPY t FROM stdin;\n\\.x\n \\.\n\\.\r\n",
			[]wantItem{{CopyData, "COPY t FROM stdin;", "\\.x\n \\.\n"}}},
		{"copy is case-insensitive, STDIN at the top level only", "copy \"T\" FROM STDIN;\n1\n\\.\nCOPY (SELECT * FROM stdin) TO stdout;",
			[]wantItem{{CopyData, `copy "T" FROM STDIN;`, "1\n"}, {Statement, "COPY (SELECT * FROM stdin) TO stdout;", ""}}},
		{"COPY to stdout is a statement", "COPY t TO stdout;\n", []wantItem{{Statement, "COPY t TO stdout;", ""}}},
		{"no items", "", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			input := tc.input + trailer
			items, err := readAllWays(t, input)
			if err != nil {
				t.Fatal(err)
			}
			checkCoverage(t, input, items)
			var got []wantItem
			for _, it := range items {
				got = append(got, wantItem{it.Kind, it.SQL, it.Rows})
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("items:\n got  %q\n want %q", got, tc.want)
			}
		})
	}
}

func TestReaderHeaders(t *testing.T) {
	input := `--
-- PostgreSQL database dump
--

SET statement_timeout = 0;

--
-- Name: a; b; Type: TABLE; Schema: My Schema; Owner: -
--

CREATE TABLE "My Schema"."a; b" (x int);

--
-- Data for Name: a; b; Type: TABLE DATA; Schema: My Schema; Owner: -
--

COPY "My Schema"."a; b" (x) FROM stdin;
1
\.


--
-- Name: t_pkey; Type: CONSTRAINT; Schema: public; Owner: bob; Tablespace: fast
--

ALTER TABLE ONLY public.t ADD CONSTRAINT t_pkey PRIMARY KEY (x);
` + trailer + "\\unrestrict k\n"
	items, err := readAllWays(t, input)
	if err != nil {
		t.Fatal(err)
	}
	checkCoverage(t, input, items)
	var got []*Header
	for _, it := range items {
		got = append(got, it.Header)
	}
	want := []*Header{
		nil,
		{Name: "a; b", Type: "TABLE", Schema: "My Schema"},
		{Name: "a; b", Type: "TABLE DATA", Schema: "My Schema", Data: true},
		{Name: "t_pkey", Type: "CONSTRAINT", Schema: "public", Owner: "bob"},
		nil,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("headers:\n got  %+v\n want %+v", got, want)
	}
}

func TestReaderDamaged(t *testing.T) {
	for _, tc := range []struct {
		name   string
		input  string
		offset int64
		reason string
	}{
		{"no trailer", "SELECT 1;\n", 10, "no 'dump complete' trailer"},
		{"trailer before the last statement", trailer + "SELECT 1;\n", int64(len(trailer)) + 10, "no 'dump complete' trailer"},
		{"empty", "", 0, "no 'dump complete' trailer"},
		{"truncated in a string", "SELECT 1;\nSELECT 'abc", 17, "the string starting here is not terminated"},
		{"truncated in an E string", "SELECT E'ab\\'", 7, "the E'' string"},
		{"truncated in an E string that starts the statement", "e'\\", 0, "the E'' string"},
		{"truncated in a quoted identifier", `SELECT "abc`, 7, "the quoted identifier"},
		{"truncated in a dollar quote", "SELECT 1;\nCREATE FUNCTION f() AS $fn$ body $$ ", 33, "the dollar-quoted string $fn$"},
		{"truncated in a comment", "SELECT /* /* */", 7, "the /* comment"},
		{"statement without semicolon", "SELECT 1;\nSELECT 2" + trailer, 10, "the statement starting here"},
		{"truncated inside COPY", "SELECT 1;\nCOPY t FROM stdin;\n1\n2\n", 10, "the COPY block starting here has no end marker"},
		{"truncated inside COPY, after a backslash", "COPY t FROM stdin;\n1\n\\", 0, "the COPY block starting here has no end marker"},
		{"truncated right after COPY", "COPY t FROM stdin;", 0, "the COPY block starting here has no end marker"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			items, err := readAllWays(t, tc.input)
			var ce *CorruptError
			if !errors.As(err, &ce) {
				t.Fatalf("got %v after %d items, want a CorruptError", err, len(items))
			}
			if ce.Offset != tc.offset || !strings.Contains(ce.Reason, tc.reason) || ce.CompressedOffset != -1 {
				t.Errorf("got offset %d, compressed %d, reason %q; want offset %d, reason containing %q", ce.Offset, ce.CompressedOffset, ce.Reason, tc.offset, tc.reason)
			}
		})
	}
}

// TestReaderSkipsUnreadRows checks that rows left unread are skipped, and
// that a stale Rows reader says so.
func TestReaderSkipsUnreadRows(t *testing.T) {
	input := "COPY a FROM stdin;\n1\n2\n\\.\nCOPY b FROM stdin;\n3\n\\.\nSELECT 1;" + trailer
	for _, read := range []int{0, 1, 3} {
		t.Run(fmt.Sprintf("read %d bytes", read), func(t *testing.T) {
			r := newReaderSize(strings.NewReader(input), 8)
			a, err := r.Next()
			if err != nil {
				t.Fatal(err)
			}
			if _, err := io.ReadFull(a.Rows, make([]byte, read)); err != nil {
				t.Fatal(err)
			}
			b, err := r.Next()
			if err != nil || b.SQL != "COPY b FROM stdin;" {
				t.Fatalf("got %+v, %v", b, err)
			}
			if a.End != int64(strings.Index(input, "COPY b")) {
				t.Errorf("skipped COPY ends at %d", a.End)
			}
			if _, err := a.Rows.Read(make([]byte, 1)); !errors.Is(err, errStaleRows) {
				t.Errorf("stale rows read: %v", err)
			}
			rest, _ := io.ReadAll(b.Rows)
			if string(rest) != "3\n" {
				t.Errorf("rows %q", rest)
			}
			c, err := r.Next()
			if err != nil || c.SQL != "SELECT 1;" {
				t.Fatalf("got %+v, %v", c, err)
			}
			if _, err := r.Next(); err != io.EOF {
				t.Fatalf("got %v, want io.EOF", err)
			}
			if _, err := r.Next(); err != io.EOF {
				t.Fatalf("Next after the end: %v, want io.EOF", err)
			}
		})
	}
}

// TestReaderBigStatement checks that a statement larger than the buffer
// grows it and is read whole.
func TestReaderBigStatement(t *testing.T) {
	body := strings.Repeat("SELECT 'x;y';\n", 300_000) // ~4 MB, four times the buffer
	input := "CREATE FUNCTION f() RETURNS void AS $body$\n" + body + "$body$ LANGUAGE sql;\nSELECT 1;" + trailer
	items, err := readItems(input, defaultBufSize, nil)
	if err != nil {
		t.Fatal(err)
	}
	checkCoverage(t, input, items)
	if len(items) != 2 || len(items[0].SQL) < len(body) {
		t.Fatalf("got %d items", len(items))
	}
}

// TestReaderHugeRow streams a 20 MB row to io.Discard and checks the heap
// stays far below the row's size.
func TestReaderHugeRow(t *testing.T) {
	const rowSize = 20 << 20
	input := io.MultiReader(
		strings.NewReader("COPY t (a) FROM stdin;\n"),
		io.LimitReader(repeatReader('a'), rowSize),
		strings.NewReader("\n\\.\n"+trailer))
	var before, after peakHeap
	runtime.GC()
	before.sample()
	r := NewReader(input)
	it, err := r.Next()
	if err != nil {
		t.Fatal(err)
	}
	w := &sampler{peak: &after}
	n, err := io.Copy(w, it.Rows)
	if err != nil || n != rowSize+1 {
		t.Fatalf("copied %d, %v", n, err)
	}
	if _, err := r.Next(); err != io.EOF {
		t.Fatalf("got %v, want io.EOF", err)
	}
	if grew := int64(after.max) - int64(before.max); grew > rowSize/4 {
		t.Errorf("heap grew by %d bytes for a %d-byte row", grew, rowSize)
	}
	if len(r.buf) != defaultBufSize {
		t.Errorf("buffer grew to %d", len(r.buf))
	}
}

func TestReaderStatementTooBig(t *testing.T) {
	defer func(old int) { maxStatementSize = old }(maxStatementSize)
	maxStatementSize = 64
	input := "SELECT 1;\nCOPY t FROM stdin;\n" + strings.Repeat("row\n", 100) + "\\.\nSELECT '" + strings.Repeat("x", 100) + "';" + trailer
	items, err := readItems(input, 16, nil)
	if err == nil || !strings.Contains(err.Error(), "statement at byte 432 is larger than 64 bytes") {
		t.Fatalf("got %v", err)
	}
	if len(items) != 2 {
		t.Errorf("got %d items before the error, want 2 (rows are not statements)", len(items))
	}
}

// repeatReader yields c forever.
type repeatReader byte

func (c repeatReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(c)
	}
	return len(p), nil
}

// sampler is an io.Writer sampling the heap as data passes.
type sampler struct{ peak *peakHeap }

func (s *sampler) Write(p []byte) (int, error) {
	s.peak.sample()
	return len(p), nil
}

// peakHeap is the largest heap size sampled.
type peakHeap struct{ max uint64 }

func (p *peakHeap) sample() {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	p.max = max(p.max, m.HeapAlloc)
}

// TestReaderFixtures reads the hand-written dumps in testdata/reader: each
// X.sql has an X.items golden file listing kind, SQL and row count.
func TestReaderFixtures(t *testing.T) {
	paths, err := filepath.Glob("testdata/reader/*.sql")
	if err != nil || len(paths) == 0 {
		t.Fatalf("no fixtures: %v", err)
	}
	for _, path := range paths {
		t.Run(filepath.Base(path), func(t *testing.T) {
			input, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			items, err := readAllWays(t, string(input))
			if err != nil {
				t.Fatal(err)
			}
			checkCoverage(t, string(input), items)
			var b strings.Builder
			for _, it := range items {
				fmt.Fprintf(&b, "%s %q rows=%d", it.Kind, abbrev(it.SQL, 60), strings.Count(it.Rows, "\n"))
				if it.Header != nil {
					fmt.Fprintf(&b, " header=%+v", *it.Header)
				}
				b.WriteString("\n")
			}
			golden := strings.TrimSuffix(path, ".sql") + ".items"
			if os.Getenv("UPDATE_GOLDEN") != "" {
				if err := os.WriteFile(golden, []byte(b.String()), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if b.String() != string(want) {
				t.Errorf("items differ from %s:\n%s", golden, b.String())
			}
		})
	}
}

func TestCorruptErrorMessage(t *testing.T) {
	err := error(&CorruptError{Offset: 10, CompressedOffset: 4, Reason: "gzip checksum mismatch", Err: io.ErrUnexpectedEOF})
	want := "damaged dump at byte 10 (compressed byte 4): gzip checksum mismatch: unexpected EOF"
	if err.Error() != want || !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("got %q", err)
	}
	err = &CorruptError{Offset: 10, CompressedOffset: -1, Reason: "no trailer"}
	if got := err.Error(); got != "damaged dump at byte 10: no trailer" {
		t.Errorf("got %q", got)
	}
	if !bytes.Contains([]byte(fmt.Sprint(fmt.Errorf("read snapshot s: %w", err))), []byte("byte 10")) {
		t.Error("wrapped message lost the offset")
	}
}

// readerFixtureSQL fills a database with what trips naive dump splitters.
const readerFixtureSQL = `
CREATE SCHEMA "we.ird;schema";
CREATE TABLE public.plain (id int PRIMARY KEY, t text, b bytea);
INSERT INTO public.plain VALUES
 (1, E'tab\there\nnewline \\ backslash \\. dot', '\x00ff0d0a5c2e'),
 (2, NULL, NULL),
 (3, '\.', E'\\x5c2e0a'),
 (4, 'SELECT 1; COPY x FROM stdin;', ''),
 (5, E'--\n-- Name: fake; Type: TABLE; Schema: public; Owner: -\n--', '\x'),
 (6, E'line\n\\.\nafter\r\n', NULL),
 (7, 'ünïcødé 😀 $$ $fn$ '' " /* --', NULL);
CREATE TABLE "we.ird;schema"."a.b;c" ("x""y" int, "semi;colon" text);
INSERT INTO "we.ird;schema"."a.b;c" VALUES (1, 'a;b'), (2, E'\\.'), (3, E'\\\\.');
CREATE FUNCTION public.tricky() RETURNS text LANGUAGE plpgsql AS $fn$
BEGIN
  -- Name: fake; Type: TABLE; Schema: public; Owner: -
  RETURN $$COPY x FROM stdin;
1	2
\.
$$ || ';' || E'\\.' || 'it''s';
END;
$fn$;
CREATE FUNCTION public.std(a int) RETURNS int LANGUAGE sql
  BEGIN ATOMIC SELECT CASE WHEN a > 0 THEN 1 ELSE 2 END; SELECT a + 1; END;
CREATE TABLE public.big (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, v text);
INSERT INTO public.big (v) SELECT repeat(md5(g::text), 50) FROM generate_series(1, 3000) g;
CREATE VIEW public.v AS SELECT id FROM public.plain WHERE t <> ';';
COMMENT ON TABLE public.plain IS 'has ; and -- and /* and ''quotes''';
CREATE INDEX plain_t ON public.plain (t);
`

// TestReaderRealDump reads a real pg_dump and checks it against the
// database: coverage, one parsable statement per item, each COPY block's
// rows equal to COPY TO STDOUT, one header per TOC entry, and replaying the
// items into an empty database reproduces every table.
func TestReaderRealDump(t *testing.T) {
	pg := testenv.StartPostgres(t)
	db, url := pg.CreateDatabase(t)
	pg.Exec(t, db, readerFixtureSQL)
	dump, err := exec.CommandContext(t.Context(), pg.Bin("pg_dump"), "--no-owner", "--no-privileges", url).Output()
	if err != nil {
		t.Fatalf("pg_dump: %v", err)
	}
	items := checkRealDump(t, pg, url, string(dump))

	var copies, headers int
	for _, it := range items {
		if it.Kind == CopyData {
			copies++
		}
		if it.Header != nil {
			headers++
			if it.Header.Name == "fake" {
				t.Errorf("a header from a function body or a row was taken: %+v", it)
			}
		}
		if strings.Contains(it.SQL, "FUNCTION public.tricky()") && (!strings.Contains(it.SQL, "'it''s';\nEND;\n$") || !strings.HasSuffix(it.SQL, "$;")) {
			t.Errorf("function body split: %q", it.SQL)
		}
	}
	if copies != 3 {
		t.Errorf("%d COPY blocks, want 3", copies)
	}
	if want := tocEntries(t, pg, url); headers != want {
		t.Errorf("%d items with a header, pg_restore -l lists %d entries", headers, want)
	}

	target, targetURL := pg.CreateDatabase(t)
	replay(t, targetURL, items, string(dump))
	for _, table := range []string{"public.plain", `"we.ird;schema"."a.b;c"`, "public.big"} {
		if got, want := pg.TableChecksum(t, target, table), pg.TableChecksum(t, db, table); got != want {
			t.Errorf("table %s replayed: checksum %s, source %s", table, got, want)
		}
	}
}

// TestReaderCorpus checks every dump of the shared corpus.
func TestReaderCorpus(t *testing.T) {
	pg := testenv.StartPostgres(t)
	for _, d := range pg.Corpus(t) {
		t.Run(d.Fixture, func(t *testing.T) {
			f, err := OpenFile(d.GzipPath)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			plain, err := os.ReadFile(d.Path)
			if err != nil {
				t.Fatal(err)
			}
			checkRealDumpFrom(t, pg, d.URL, string(plain), f.Reader)
		})
	}
}

func checkRealDump(t *testing.T, pg *testenv.Postgres, url, dump string) []gotItem {
	t.Helper()
	return checkRealDumpFrom(t, pg, url, dump, NewReader(strings.NewReader(dump)))
}

// checkRealDumpFrom reads r (over dump), checking coverage, that every
// statement parses as exactly one, and that every COPY block's rows are
// what COPY TO STDOUT gives in the source database (compared by hash, rows
// may be large). Items are returned without rows.
func checkRealDumpFrom(t *testing.T, pg *testenv.Postgres, url, dump string, r *Reader) []gotItem {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var items []gotItem
	for {
		it, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("after %d items: %v", len(items), err)
		}
		if it.Kind != MetaCommand {
			if res, err := pg_query.Parse(it.SQL); err != nil || len(res.Stmts) != 1 {
				t.Errorf("item at byte %d is not one statement (%v): %q", it.Offset, err, abbrev(it.SQL, 300))
			}
		}
		if it.Kind == CopyData {
			got := sha256.New()
			if _, err := io.Copy(got, it.Rows); err != nil {
				t.Fatal(err)
			}
			want := sha256.New()
			if _, err := conn.PgConn().CopyTo(t.Context(), want, strings.TrimSuffix(it.SQL, "FROM stdin;")+"TO STDOUT"); err != nil {
				t.Fatalf("%s: %v", it.SQL, err)
			}
			if !bytes.Equal(got.Sum(nil), want.Sum(nil)) {
				t.Errorf("rows of %q differ from COPY TO STDOUT", it.SQL)
			}
		}
		items = append(items, gotItem{Kind: it.Kind, SQL: it.SQL, Header: it.Header, Offset: it.Offset, End: it.End})
	}
	// Coverage with rows: the rows are the input between the COPY line and "\.".
	for i := range items {
		if items[i].Kind == CopyData {
			text := dump[items[i].Offset+int64(len(items[i].SQL)) : items[i].End]
			_, rows, _ := strings.Cut(text, "\n")
			items[i].Rows = strings.TrimSuffix(rows, "\\.\n")
		}
	}
	checkCoverage(t, dump, items)
	return items
}

// tocEntries counts pg_dump's TOC entries that print a header comment.
func tocEntries(t *testing.T, pg *testenv.Postgres, url string) int {
	t.Helper()
	custom := filepath.Join(t.TempDir(), "dump.custom")
	if out, err := exec.CommandContext(t.Context(), pg.Bin("pg_dump"), "--no-owner", "--no-privileges", "-Fc", "-f", custom, url).CombinedOutput(); err != nil {
		t.Fatalf("pg_dump -Fc: %v\n%s", err, out)
	}
	out, err := exec.CommandContext(t.Context(), pg.Bin("pg_restore"), "-l", custom).Output()
	if err != nil {
		t.Fatalf("pg_restore -l: %v", err)
	}
	n := 0
	for line := range strings.Lines(string(out)) {
		if line == "" || line[0] == ';' || strings.Contains(line, " ENCODING ") || strings.Contains(line, " STDSTRINGS ") || strings.Contains(line, " SEARCHPATH ") {
			continue
		}
		n++
	}
	return n
}

// replay runs the items against an empty database the way psql would:
// statements as they are, COPY blocks through the COPY protocol.
func replay(t *testing.T, url string, items []gotItem, dump string) {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	for _, it := range items {
		switch it.Kind {
		case Statement:
			if _, err := conn.PgConn().Exec(t.Context(), it.SQL).ReadAll(); err != nil {
				t.Fatalf("replay %q: %v", abbrev(it.SQL, 200), err)
			}
		case CopyData:
			if _, err := conn.PgConn().CopyFrom(t.Context(), strings.NewReader(it.Rows), it.SQL); err != nil {
				t.Fatalf("replay %q: %v", it.SQL, err)
			}
		}
	}
}
