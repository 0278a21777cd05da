package extract

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
)

// Stats counts what WriteScript wrote.
type Stats struct {
	Statements int   // statements written, COPY blocks included
	CopyBlocks int   // COPY blocks written
	Rows       int64 // rows written
	DataBytes  int64 // bytes of row data written
	Bytes      int64 // bytes of script written, everything included
}

// ChangedError reports a snapshot that does not match the table of
// contents a selection was computed from: it changed between the two
// passes, or the reader is not on the same snapshot.
type ChangedError struct {
	Offset int64
	Reason string
}

func (e *ChangedError) Error() string {
	return fmt.Sprintf("the snapshot changed since its table of contents was read (at byte %d: %s); run the command again", e.Offset, e.Reason)
}

// WriteScript writes a psql script of sel in the given mode to w. r must be
// a fresh Reader over the same snapshot sel.TOC was read from: the included
// items are copied from it verbatim, in dump order, COPY rows streamed
// (never held whole), each item checked against its TOC entry so that a
// snapshot that changed since is an error rather than a wrong script.
//
// The script starts with a header comment, runs in one transaction (a
// script cut short never commits), and loads with psql -v ON_ERROR_STOP=1
// into an empty database (SchemaAndData, SchemaOnly) or into one holding
// the tables already (DataOnly). Reading stops after the last included
// item. ctx is checked between items and every few MB of rows.
func WriteScript(ctx context.Context, w io.Writer, r *Reader, sel *Selection, mode Mode) (Stats, error) {
	return writeScript(w, sel, mode, func(include func(int) bool, fn Visit) error {
		return Walk(ctx, r, sel.TOC, include, fn)
	})
}

// writeScript writes the script of sel from the items walk visits.
func writeScript(w io.Writer, sel *Selection, mode Mode, walk func(include func(int) bool, fn Visit) error) (Stats, error) {
	cw := &countingWriter{w: w}
	bw := bufio.NewWriterSize(cw, 256<<10)
	var st Stats
	writeHeader(bw, sel, mode)
	bw.WriteString("BEGIN;\n\n")
	loaded := sel.loaded()
	if mode == DataOnly {
		bw.WriteString(silenceTriggers)
		if len(loaded) > 0 {
			bw.WriteString(setAsideChecks(loaded))
		}
	}
	err := walk(func(i int) bool { return sel.Includes(i, mode) }, func(i int, it *Item) error {
		bw.WriteString(it.SQL)
		bw.WriteString("\n")
		st.Statements++
		if it.Kind == CopyData {
			rows := &rowWriter{w: bw}
			if _, err := io.Copy(rows, it.Rows); err != nil {
				return fmt.Errorf("copy the rows of %s: %w", sel.TOC.Entries[i].Object, err)
			}
			bw.WriteString("\\.\n")
			st.CopyBlocks++
			st.Rows += rows.rows
			st.DataBytes += rows.n
		}
		bw.WriteString("\n")
		return cw.err
	})
	if err != nil {
		return st, err
	}
	if mode == DataOnly && len(loaded) > 0 {
		bw.WriteString(restoreChecks)
	}
	bw.WriteString("COMMIT;\n")
	err = bw.Flush()
	st.Bytes = cw.n
	return st, err
}

// silenceTriggers opens a data-only script. Its rows go into tables the
// schema script created with their triggers, which would fire as the rows
// load and change them or write elsewhere: the script loads exactly the
// snapshot's rows, as pg_dump --disable-triggers and restorectl's
// overwrite do, by session_replication_role = replica for its transaction
// (user triggers and foreign key checks silent). That takes a superuser
// (or a role granted SET on it); any other role gets a warning that the
// triggers fire, and the load goes on.
const silenceTriggers = `-- The tables' triggers stay silent while the rows load (a superuser may
-- do that; any other role is warned that they fire).
DO $restorectl$
BEGIN
  SET LOCAL session_replication_role = replica;
EXCEPTION WHEN insufficient_privilege THEN
  RAISE WARNING 'restorectl: this role may not set session_replication_role, so the tables'' triggers fire as the rows load';
END
$restorectl$;

`

// loaded are the tables whose rows a selection's COPY blocks load.
func (s *Selection) loaded() []Name {
	var out []Name
	for _, i := range s.Data {
		if n := s.TOC.Entries[i].Object; !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out
}

// setAsideChecks and restoreChecks wrap a data-only script's rows, which
// must load exactly as the snapshot holds them into the tables a
// schema-only script created (or the target has):
//
//   - A CHECK constraint added NOT VALID holds for new rows only: the
//     snapshot may hold rows older than it (pg_dump's own scripts add it
//     after the rows). Every NOT VALID check of the loaded tables (or
//     their partitions) is dropped where it is defined (on the table, or
//     on the partitioned table or inheritance parent it is inherited
//     from), and so is every NOT VALID check of a domain of their columns
//     (or one under it, or an array of one).
//   - A trigger or rule enabled ALWAYS fires even with
//     session_replication_role = replica (silenceTriggers): it is disabled.
//
// After the rows, each is put back as it was, in reverse order: checks
// NOT VALID with their comments, triggers and rules enabled ALWAYS, all in
// the script's transaction. What is put back is written by the target's
// server from its own catalog (pg_get_constraintdef, format with %I and
// %L, under the same pinned search_path), never text of the snapshot; the
// only names written into the script are the tables', as string literals,
// in a dollar quote none of them can end. Validated checks stay, and
// refuse rows that break them. A role that may not alter a table or domain
// is warned that what it could not set aside stays.
func setAsideChecks(tables []Name) string {
	lits := make([]string, len(tables))
	for i, n := range tables {
		lits[i] = QuoteLiteral(n.String())
	}
	return `-- NOT VALID check constraints of these tables and of their columns'
-- domains, and their triggers and rules enabled ALWAYS, are set aside
-- while the rows load and put back as they were before the commit: the
-- snapshot may hold rows older than the checks, and the triggers would
-- fire.
DO ` + dollarQuote(`
DECLARE
  path pg_catalog.text := pg_catalog.current_setting('search_path');
  names pg_catalog.text[] := ARRAY[`+strings.Join(lits, ", ")+`]::pg_catalog.text[];
  loaded pg_catalog.regclass[];
  aside pg_catalog.jsonb := '[]';
  skipped pg_catalog.oid[] := '{}';
  c record;
  back pg_catalog.text[];
  note pg_catalog.text;
BEGIN
  PERFORM pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', true);
  SELECT coalesce(array_agg(DISTINCT l.rel), '{}') INTO loaded
  FROM (SELECT to_regclass(n) FROM unnest(names) AS n
        UNION ALL
        SELECT t.relid FROM unnest(names) AS n, pg_partition_tree(to_regclass(n)) AS t) AS l(rel)
  WHERE l.rel IS NOT NULL;
  LOOP
    -- A NOT VALID check of a loaded table where it is defined: on the
    -- table, or on the ancestor it is inherited from.
    WITH RECURSIVE up AS (
      SELECT k.oid, k.conrelid, k.conname, k.coninhcount
      FROM pg_constraint k
      WHERE k.conrelid = ANY (loaded) AND k.contype = 'c' AND NOT k.convalidated
      UNION
      SELECT p.oid, p.conrelid, p.conname, p.coninhcount
      FROM up
      JOIN pg_inherits i ON i.inhrelid = up.conrelid
      JOIN pg_constraint p ON p.conrelid = i.inhparent AND p.conname = up.conname
        AND p.contype = 'c' AND NOT p.convalidated
      WHERE up.coninhcount > 0
    )
    SELECT up.oid, up.conrelid::regclass AS rel, up.conname INTO c
    FROM up WHERE up.coninhcount = 0 AND up.oid <> ALL (skipped)
    ORDER BY up.oid LIMIT 1;
    EXIT WHEN NOT FOUND;
    back := ARRAY[format('ALTER TABLE %s ADD CONSTRAINT %I %s', c.rel, c.conname, pg_get_constraintdef(c.oid))];
    note := obj_description(c.oid, 'pg_constraint');
    IF note IS NOT NULL THEN
      back := back || format('COMMENT ON CONSTRAINT %I ON %s IS %L', c.conname, c.rel, note);
    END IF;
    BEGIN
      EXECUTE format('ALTER TABLE %s DROP CONSTRAINT %I', c.rel, c.conname);
      -- Put back in the reverse order: a parent's after its children's own.
      aside := jsonb_build_array(to_jsonb(back)) || aside;
    EXCEPTION WHEN insufficient_privilege THEN
      skipped := skipped || c.oid;
      RAISE WARNING 'restorectl: this role may not alter table %, so its NOT VALID check % stays and may refuse rows older than it', c.rel, quote_ident(c.conname);
    END;
  END LOOP;
  -- NOT VALID checks of the loaded columns' domains.
  FOR c IN
    WITH RECURSIVE typ(oid) AS (
      SELECT a.atttypid FROM pg_attribute a
      WHERE a.attrelid = ANY (loaded) AND a.attnum > 0 AND NOT a.attisdropped
      UNION
      SELECT CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE t.typelem END
      FROM pg_type t JOIN typ ON t.oid = typ.oid
      WHERE t.typtype = 'd' OR t.typelem <> 0
    )
    SELECT k.oid, k.contypid::regtype AS dom, k.conname
    FROM pg_constraint k JOIN typ ON typ.oid = k.contypid
    WHERE k.contype = 'c' AND NOT k.convalidated
    ORDER BY k.oid
  LOOP
    back := ARRAY[format('ALTER DOMAIN %s ADD CONSTRAINT %I %s', c.dom, c.conname, pg_get_constraintdef(c.oid))];
    note := obj_description(c.oid, 'pg_constraint');
    IF note IS NOT NULL THEN
      back := back || format('COMMENT ON CONSTRAINT %I ON DOMAIN %s IS %L', c.conname, c.dom, note);
    END IF;
    BEGIN
      EXECUTE format('ALTER DOMAIN %s DROP CONSTRAINT %I', c.dom, c.conname);
      aside := jsonb_build_array(to_jsonb(back)) || aside;
    EXCEPTION WHEN insufficient_privilege THEN
      RAISE WARNING 'restorectl: this role may not alter domain %, so its NOT VALID check % stays and may refuse values older than it', c.dom, quote_ident(c.conname);
    END;
  END LOOP;
  -- Triggers and rules enabled ALWAYS, which replica does not silence.
  FOR c IN
    SELECT g.tgrelid::regclass AS rel, 'TRIGGER' AS what, g.tgname AS name
    FROM pg_trigger g WHERE g.tgrelid = ANY (loaded) AND g.tgenabled = 'A' AND NOT g.tgisinternal
    UNION ALL
    SELECT w.ev_class::regclass, 'RULE', w.rulename
    FROM pg_rewrite w WHERE w.ev_class = ANY (loaded) AND w.ev_enabled = 'A'
    ORDER BY 1, 2, 3
  LOOP
    BEGIN
      EXECUTE format('ALTER TABLE ONLY %s DISABLE %s %I', c.rel, c.what, c.name);
      aside := jsonb_build_array(to_jsonb(ARRAY[format('ALTER TABLE ONLY %s ENABLE ALWAYS %s %I', c.rel, c.what, c.name)])) || aside;
    EXCEPTION WHEN insufficient_privilege THEN
      RAISE WARNING 'restorectl: this role may not alter table %, so its % % (enabled ALWAYS) fires as the rows load', c.rel, lower(c.what), quote_ident(c.name);
    END;
  END LOOP;
  PERFORM set_config('restorectl.set_aside', aside::text, true);
  PERFORM set_config('search_path', path, true);
END
`) + `;

`
}

// restoreChecks closes a data-only script: see setAsideChecks.
const restoreChecks = `-- What was set aside comes back as it was.
DO $restorectl$
DECLARE
  path pg_catalog.text := pg_catalog.current_setting('search_path');
  stmt pg_catalog.text;
BEGIN
  PERFORM pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', true);
  FOR stmt IN
    SELECT s.sql
    FROM jsonb_array_elements(coalesce(nullif(current_setting('restorectl.set_aside', true), ''), '[]')::jsonb)
      WITH ORDINALITY AS e(v, i),
      jsonb_array_elements_text(e.v) WITH ORDINALITY AS s(sql, j)
    ORDER BY e.i, s.j
  LOOP
    EXECUTE stmt;
  END LOOP;
  PERFORM set_config('search_path', path, true);
END
$restorectl$;

`

// writeHeader writes the script's opening comment. Names are written as
// SQL names, one per line; a name holding a newline is quoted by String
// but its newline would end the comment, so newlines are escaped.
func writeHeader(w *bufio.Writer, sel *Selection, mode Mode) {
	line := func(s string) {
		s = strings.NewReplacer("\n", `\n`, "\r", `\r`).Replace(s)
		w.WriteString("-- " + s + "\n")
	}
	w.WriteString("--\n")
	line("Generated by restorectl extract (" + mode.String() + ").")
	if sel.Source != "" {
		line("Snapshot: " + sel.Source)
	}
	line("Tables:")
	for _, n := range sel.Tables {
		line("  " + n.String())
	}
	if len(sel.Shells) > 0 {
		line("Definitions only (not selected, needed by the tables above):")
		for _, n := range sel.Shells {
			line("  " + n.String())
		}
	}
	if len(sel.DroppedFKs) > 0 {
		line("Left out:")
		for _, fk := range sel.DroppedFKs {
			line("  " + fk.String())
		}
	}
	line("Load with: psql -v ON_ERROR_STOP=1 -f FILE")
	w.WriteString("--\n\n")
}

// rowWriter passes COPY rows on, counting rows and bytes.
type rowWriter struct {
	w       io.Writer
	n, rows int64
}

func (rw *rowWriter) Write(p []byte) (int, error) {
	n, err := rw.w.Write(p)
	rw.n += int64(n)
	rw.rows += int64(bytes.Count(p[:n], []byte{'\n'}))
	return n, err
}

// countingWriter counts bytes and remembers the first error.
type countingWriter struct {
	w   io.Writer
	n   int64
	err error
}

func (c *countingWriter) Write(p []byte) (int, error) {
	if c.err != nil {
		return 0, c.err
	}
	n, err := c.w.Write(p)
	c.n += int64(n)
	c.err = err
	return n, err
}
