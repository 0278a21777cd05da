package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/powabase/restorectl/internal/catalog"
	"github.com/powabase/restorectl/internal/extract"
	"github.com/powabase/restorectl/internal/termsafe"
)

func runExtract(ctx context.Context, args []string, e env) error {
	fs := newFlagSet("extract", "SNAPSHOT --table NAME... [-o FILE [--force]] [--schema-only|--data-only] [--dry-run [--json]] [--store URL]", e)
	snapFlags := addSnapshotFlags(fs)
	var tables tableList
	fs.Var(&tables, "table", "table to extract, as in SQL (public.orders, \"My Schema\".\"a.b\", schema.*); repeat or separate with commas")
	out := fs.String("o", "", "write the script to `FILE` instead of stdout (.gz: gzip-compressed); an existing FILE is refused without --force")
	force := fs.Bool("force", false, "with -o, replace FILE if it exists")
	schemaOnly := fs.Bool("schema-only", false, "only the definitions, no rows or sequence positions")
	dataOnly := fs.Bool("data-only", false, "only rows and sequence positions, for tables that exist already (after a --schema-only script), loaded as the snapshot holds them: the tables' triggers stay silent while the rows load, as with pg_dump --disable-triggers, when the role loading it may set session_replication_role (a superuser); for any other role they fire, with a warning. The NOT VALID check constraints of the tables and of their columns' domains (rows older than them would be refused) are dropped before the rows and added back NOT VALID, with their comments, and their triggers and rules enabled ALWAYS (which fire even for a superuser) are disabled and enabled ALWAYS again, before the script commits; the tables stay locked against readers until then")
	dryRun := fs.Bool("dry-run", false, "report what the script would hold without writing it")
	asJSON := fs.Bool("json", false, "with --dry-run, print the report as JSON")
	noIndex := noIndexFlag(fs)
	stats := fs.Bool("stats", false, "report on stderr how many bytes of the snapshot were read")
	specs, err := parseArgs(fs, args, 1)
	if err != nil {
		return err
	}
	switch {
	case len(tables) == 0:
		return usagef("extract: --table is required (e.g. --table public.orders)")
	case *schemaOnly && *dataOnly:
		return usagef("extract: --schema-only and --data-only exclude each other")
	case *asJSON && !*dryRun:
		return usagef("extract: --json applies to --dry-run only")
	case *dryRun && *out != "":
		return usagef("extract: --dry-run writes nothing; drop -o")
	case *force && *out == "":
		return usagef("extract: --force applies to -o FILE only")
	}
	if err := checkTableNames("extract", tables); err != nil {
		return err
	}
	if *out != "" && !*force {
		// Early, so that a long extract does not end refused; the write
		// itself refuses atomically (outfile.Create) should FILE appear
		// meanwhile.
		if _, err := os.Lstat(*out); err == nil {
			return existsError(*out)
		}
	}
	mode := extract.SchemaAndData
	if *schemaOnly {
		mode = extract.SchemaOnly
	} else if *dataOnly {
		mode = extract.DataOnly
	}

	snap, err := snapFlags.resolveSaying(ctx, specs[0], e)
	if err != nil {
		return err
	}
	src, err := openSnapshotSource(withStderr(ctx, e.stderr), snap, *noIndex)
	if err != nil {
		return err
	}
	if *stats {
		defer printStats(e.stderr, src)
	}
	names, err := src.Tables(tables)
	if err != nil {
		return fmt.Errorf("extract: %w", err)
	}
	sel := src.Select(names)
	for _, w := range sel.Warnings {
		fmt.Fprintf(e.stderr, "warning: %s: %s\n", termsafe.String(snap.Name), termsafe.String(w))
	}
	if *dryRun {
		if *asJSON {
			return printDryRunJSON(e.stdout, snap.Name, sel, mode)
		}
		return printDryRun(e.stdout, snap.Name, sel, mode)
	}
	for _, fk := range sel.DroppedFKs {
		fmt.Fprintf(e.stderr, "left out: %s\n", termsafe.String(fk.String()))
	}
	if *out == "" {
		_, err := src.WriteScript(ctx, e.stdout, sel, mode)
		return err
	}
	export := src.Export
	if *force {
		export = src.ExportReplacing
	}
	st, _, err := export(ctx, *out, sel, mode)
	if errors.Is(err, os.ErrExist) {
		return existsError(*out)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stderr, "wrote %s: %s, %s of %s (%s of data)\n", termsafe.String(*out),
		catalog.Plural(st.Statements, "statement", "statements"), catalog.Plural(st.Rows, "row", "rows"),
		catalog.Plural(len(sel.Tables), "table", "tables"), catalog.FormatSize(st.DataBytes))
	return nil
}

// existsError refuses to replace a file that -o names.
func existsError(path string) error {
	return fmt.Errorf("extract: %s exists: nothing was written; pass --force to replace it, or choose another file", termsafe.String(path))
}

// checkTableNames refuses a --table that is not a name as SQL writes it
// before any snapshot is read: a mistake in what was typed.
func checkTableNames(cmd string, names []string) error {
	for _, n := range names {
		if _, err := extract.ParseName(n); err != nil {
			return usagef("%s: --table %s: %v", cmd, n, err)
		}
	}
	return nil
}

// tableList is a repeatable --table flag; each value may hold several
// names separated by commas (outside double quotes).
type tableList []string

func (l *tableList) String() string { return strings.Join(*l, ",") }

func (l *tableList) Set(v string) error {
	start, quoted := 0, false
	for i := 0; i <= len(v); i++ {
		if i < len(v) && v[i] == '"' {
			quoted = !quoted
		}
		if i == len(v) || (v[i] == ',' && !quoted) {
			name := strings.TrimSpace(v[start:i])
			if name == "" {
				return errors.New("empty table name")
			}
			*l = append(*l, name)
			start = i + 1
		}
	}
	return nil
}

// dryRunTable is one table of a --dry-run report.
type dryRunTable struct {
	Schema         string `json:"schema"`
	Name           string `json:"name"`
	Kind           string `json:"kind"`
	Rows           int64  `json:"rows"`
	Bytes          int64  `json:"bytes"`
	DefinitionOnly bool   `json:"definition_only,omitempty"`
}

type dryRunFK struct {
	Name       string   `json:"name"`
	Table      string   `json:"table"`
	References []string `json:"references"`
}

type dryRunReport struct {
	Snapshot   string        `json:"snapshot"`
	Mode       string        `json:"mode"`
	Tables     []dryRunTable `json:"tables"`
	Statements int           `json:"statements"`
	CopyBlocks int           `json:"copy_blocks"`
	Rows       int64         `json:"rows"`
	Bytes      int64         `json:"bytes"`
	DroppedFKs []dryRunFK    `json:"dropped_foreign_keys"`
	Warnings   []string      `json:"warnings"`
}

func dryRun(name string, sel *extract.Selection, mode extract.Mode) dryRunReport {
	sum := sel.Summarize(mode)
	rep := dryRunReport{
		Snapshot: name, Mode: mode.String(), Tables: []dryRunTable{},
		Statements: sum.Statements, CopyBlocks: sum.CopyBlocks, Rows: sum.Rows, Bytes: sum.Bytes,
		DroppedFKs: []dryRunFK{}, Warnings: []string{},
	}
	add := func(n extract.Name, shell bool) {
		t := sel.TOC.Table(n)
		row := dryRunTable{Schema: n.Schema, Name: n.Name, Kind: tableKind(t), DefinitionOnly: shell}
		if !shell && mode != extract.SchemaOnly {
			row.Rows, row.Bytes = t.Rows, t.Bytes
		}
		rep.Tables = append(rep.Tables, row)
	}
	for _, n := range sel.Tables {
		add(n, false)
	}
	if mode != extract.DataOnly {
		for _, n := range sel.Shells {
			add(n, true)
		}
	}
	for _, fk := range sel.DroppedFKs {
		var refs []string
		for _, r := range fk.References {
			refs = append(refs, r.String())
		}
		rep.DroppedFKs = append(rep.DroppedFKs, dryRunFK{Name: fk.Name, Table: fk.Table.String(), References: refs})
	}
	rep.Warnings = append(rep.Warnings, sel.Warnings...)
	return rep
}

func printDryRunJSON(w io.Writer, name string, sel *extract.Selection, mode extract.Mode) error {
	return writeJSON(w, dryRun(name, sel, mode))
}

func printDryRun(w io.Writer, name string, sel *extract.Selection, mode extract.Mode) error {
	rep := dryRun(name, sel, mode)
	fmt.Fprintf(w, "Dry run: nothing written. A %s script of snapshot %s would hold:\n\n", rep.Mode, termsafe.String(name))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "TABLE\tKIND\tROWS\tDATA")
	for _, t := range rep.Tables {
		n := termsafe.String(extract.Name{Schema: t.Schema, Name: t.Name}.String())
		kind := termsafe.String(t.Kind)
		if t.DefinitionOnly {
			fmt.Fprintf(tw, "%s\t%s (definition only)\t-\t-\n", n, kind)
			continue
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", n, kind, catalog.FormatExact(t.Rows), catalog.FormatSize(t.Bytes))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(w, "\n%s, %s, %s, %s of data\n", catalog.Plural(rep.Statements, "statement", "statements"),
		catalog.Plural(rep.CopyBlocks, "COPY block", "COPY blocks"), catalog.Plural(rep.Rows, "row", "rows"), catalog.FormatSize(rep.Bytes))
	for _, fk := range sel.DroppedFKs {
		fmt.Fprintf(w, "left out: %s\n", termsafe.String(fk.String()))
	}
	return nil
}
