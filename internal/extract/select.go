package extract

import (
	"fmt"
	"sort"
	"strings"
)

// Resolve turns table names as a user writes them into the snapshot's
// tables. A name is written as in SQL (public.orders, "My Schema"."a.b");
// an unqualified name must name exactly one table of the snapshot (an
// ambiguous one is an error listing the candidates as they should be
// typed); schema.* stands for every table, view and materialized view of
// the schema. A name the snapshot does not hold is an error suggesting the
// closest names. The result is in the order given, without duplicates.
func (t *TOC) Resolve(names []string) ([]Name, error) {
	var out []Name
	seen := map[Name]bool{}
	add := func(n Name) {
		if !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	for _, s := range names {
		n, err := ParseName(s)
		if err != nil {
			return nil, err
		}
		switch {
		case n.Name == "*":
			found := false
			for _, tbl := range t.Tables {
				if tbl.Name.Schema == n.Schema {
					add(tbl.Name)
					found = true
				}
			}
			if !found {
				return nil, fmt.Errorf("no table in schema %s: %s matches nothing%s", QuoteIdent(n.Schema), s, t.schemaHint(n.Schema))
			}
		case n.Schema != "":
			if t.Table(n) == nil {
				return nil, fmt.Errorf("no table %s in the snapshot%s", n, suggestion(t.closest(n, 3)))
			}
			add(n)
		default:
			var cands []Name
			for _, tbl := range t.Tables {
				if tbl.Name.Name == n.Name && !containsName(cands, tbl.Name) {
					cands = append(cands, tbl.Name)
				}
			}
			switch len(cands) {
			case 0:
				return nil, fmt.Errorf("no table %s in the snapshot%s", n, suggestion(t.closest(n, 3)))
			case 1:
				add(cands[0])
			default:
				return nil, fmt.Errorf("table name %s is ambiguous: it is %s; qualify it with its schema", n, JoinNames(cands, " or "))
			}
		}
	}
	return out, nil
}

func suggestion(names []Name) string {
	if len(names) == 0 {
		return ""
	}
	return "; did you mean " + JoinNames(names, ", ") + "?"
}

// JoinNames writes names as SQL does, separated by sep.
func JoinNames(names []Name, sep string) string {
	s := make([]string, len(names))
	for i, n := range names {
		s[i] = n.String()
	}
	return strings.Join(s, sep)
}

// schemaHint lists the schemas that do hold tables.
func (t *TOC) schemaHint(schema string) string {
	seen := map[string]bool{}
	var schemas []string
	for _, tbl := range t.Tables {
		if !seen[tbl.Name.Schema] {
			seen[tbl.Name.Schema] = true
			schemas = append(schemas, QuoteIdent(tbl.Name.Schema))
		}
	}
	if len(schemas) == 0 {
		return " (the snapshot holds no tables)"
	}
	sort.Strings(schemas)
	return " (schemas with tables: " + strings.Join(schemas, ", ") + ")"
}

// closest returns up to k table names nearest to n by edit distance over
// their SQL forms; an unqualified n is also compared with the bare names.
func (t *TOC) closest(n Name, k int) []Name {
	type cand struct {
		name Name
		d    int
	}
	typed := n.String()
	var cands []cand
	seen := map[Name]bool{}
	for _, tbl := range t.Tables {
		if seen[tbl.Name] {
			continue
		}
		seen[tbl.Name] = true
		d := levenshtein(typed, tbl.Name.String())
		if n.Schema == "" {
			d = min(d, levenshtein(typed, Name{Name: tbl.Name.Name}.String()))
		}
		cands = append(cands, cand{tbl.Name, d})
	}
	sort.SliceStable(cands, func(i, j int) bool {
		if cands[i].d != cands[j].d {
			return cands[i].d < cands[j].d
		}
		return cands[i].name.String() < cands[j].name.String()
	})
	var out []Name
	for i := 0; i < len(cands) && i < k; i++ {
		out = append(out, cands[i].name)
	}
	return out
}

// levenshtein is the edit distance between a and b, in runes.
func levenshtein(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}

// Mode says what a script restores.
type Mode int

const (
	// SchemaAndData recreates the tables and loads their rows.
	SchemaAndData Mode = iota
	// SchemaOnly recreates the tables without rows or sequence positions
	// (as pg_dump --schema-only).
	SchemaOnly
	// DataOnly loads rows and sets sequence positions into tables that
	// exist already (as pg_dump --data-only): only COPY blocks, sequence
	// sets, materialized view refreshes, and the dump's SET statements;
	// WriteScript adds its own around them (triggers silent, NOT VALID
	// checks set aside).
	DataOnly
)

func (m Mode) String() string {
	switch m {
	case SchemaOnly:
		return "schema-only"
	case DataOnly:
		return "data-only"
	}
	return "schema+data"
}

// Selection is what a restore of some tables needs from a snapshot: which
// TOC entries go into the script, and what was left out.
//
// What comes:
//   - the selected tables (and views), and the partitions of a selected
//     partitioned table, recursively: their definitions, defaults,
//     identity, constraints, indexes (and index attaches between included
//     indexes), triggers, policies, row security, rules, comments, rows;
//   - the sequences they use (defaults, identity) or own, with their
//     OWNED BY and positions;
//   - transitively, the types, domains, functions and sequences any
//     included statement uses, and the schemas of everything included;
//   - every extension (with its schema and comment): what a table needs
//     from an extension is not always named in its statements (an
//     exclusion constraint finds btree_gist's operator classes by
//     default), and CREATE EXTENSION IF NOT EXISTS is harmless;
//   - the dump's SET and set_config statements (search_path,
//     standard_conforming_strings, check_function_bodies, ...), so the
//     script loads as the dump would.
//
// A table the selected statements need but that is not selected comes as a
// definition only (Shells): its CREATE TABLE (and what that needs), without
// rows, constraints, indexes, triggers or comments. That is the parent of a
// selected inheritance child or partition (an inheritance parent's rows
// are its own table's rows, not the child's, so they stay out unless the
// parent is selected too), and a table a selected view, rule, policy or
// SQL-standard function body reads. What reads a table may need more of it
// than its definition, so two kinds of shells bring more:
//   - a table that an included view, materialized view, rule, policy or
//     function reads comes with its keys: the primary key, unique,
//     exclusion and check constraints added after its CREATE TABLE (and
//     their comments), still without rows, foreign keys, indexes or
//     triggers. A view grouping by a table's primary key selects the
//     table's other columns only through it (pg_dump then creates the view
//     once the key is there), and an empty table takes any key;
//   - a materialized view that a selected view or refreshed materialized
//     view reads, directly or through views, comes refreshed when the dump
//     refreshes it, after what it reads and before what reads it (dump
//     order): a refresh over an unpopulated materialized view fails, and a
//     view over one cannot be read. Its rows are computed from what the
//     script restores. A materialized view the dump leaves unpopulated
//     stays so, and what it reads is not refreshed for it.
//
// Left out: foreign keys that reference a table that is not selected (in
// DroppedFKs), views that are not selected, psql meta-commands (a new
// script must not carry the dump's \restrict key), publications, and
// statements that belong to nothing selected.
type Selection struct {
	TOC *TOC
	// Source names the snapshot in the script's header; set by the caller.
	Source string
	// Tables are the selected tables, views and partitions, in dump order.
	Tables []Name
	// Shells are the tables that come as definitions only, in dump order.
	Shells []Name
	// Include says, per TOC entry, whether it goes into a schema+data
	// script; Selection.Includes applies a Mode.
	Include []bool
	// Data are the indices of the included COPY blocks, in dump order.
	Data []int
	// DroppedFKs are the foreign keys of selected tables left out because
	// they reference a table outside the selection.
	DroppedFKs []DroppedFK
	// Warnings are about included statements pg_query could not parse,
	// unparseable statements attributed to no table (left out), and tables
	// brought as definitions only.
	Warnings []string

	last int // index of the last included entry, -1 if none
}

// DroppedFK is a foreign key left out of a selection.
type DroppedFK struct {
	Name       string // the constraint's name
	Table      Name   // the referencing (selected) table
	References []Name // the referenced tables that are not selected
	Entry      int    // its index in TOC.Entries
	// Comments are the entries of the comments on it (COMMENT ON
	// CONSTRAINT), left out with it.
	Comments []int
}

func (d DroppedFK) String() string {
	verb := "is"
	if len(d.References) > 1 {
		verb = "are"
	}
	return fmt.Sprintf("FOREIGN KEY %s on %s references %s, which %s not selected", QuoteIdent(d.Name), d.Table, JoinNames(d.References, ", "), verb)
}

// Includes says whether entry i goes into a script of the given mode.
func (s *Selection) Includes(i int, mode Mode) bool {
	if i < 0 || i >= len(s.Include) || !s.Include[i] {
		return false
	}
	k := s.TOC.Entries[i].Kind
	isData := k == KindCopy || k == KindSequenceSet || k == KindRefresh
	switch mode {
	case SchemaOnly:
		return !isData
	case DataOnly:
		return isData || k == KindSet
	}
	return true
}

// Summary is what a script of a selection holds, for --dry-run.
type Summary struct {
	Mode       Mode
	Statements int // statements, COPY blocks included
	CopyBlocks int
	Rows       int64
	Bytes      int64 // row data bytes
}

// Summarize counts what a script of the given mode would hold.
func (s *Selection) Summarize(mode Mode) Summary {
	sum := Summary{Mode: mode}
	for i, e := range s.TOC.Entries {
		if !s.Includes(i, mode) {
			continue
		}
		sum.Statements++
		if e.Item == CopyData {
			sum.CopyBlocks++
			sum.Rows += e.Rows
			sum.Bytes += e.DataBytes
		}
	}
	return sum
}

// Select computes the selection of the given tables (names as Resolve
// returns them; names the TOC does not hold are ignored). See Selection
// for what comes and what does not.
func (t *TOC) Select(tables []Name) *Selection {
	s := newSelector(t)
	for _, n := range tables {
		if t.Table(n) != nil {
			s.selectTable(n)
		}
	}
	s.expandPartitions()
	visited := map[Name]bool{}
	for n := range s.data {
		s.populate(n, visited)
	}
	for s.pass() {
	}
	return s.finish()
}

// selector computes a Selection to a fixpoint: it includes entries that
// belong to what is needed, which may need more.
type selector struct {
	toc     *TOC
	include []bool
	data    map[Name]bool // selected: definition and rows
	defined map[Name]bool // relations whose definition comes (data or shell)
	needed  map[Name]bool // other objects needed: types, functions, sequences
	schemas map[string]bool
	created map[Name]bool // sequences an included entry creates
	indexes map[Name]bool // indexes an included entry creates
	// constraints are the entries adding a table's constraints, by table
	// and name: a comment on one comes only if it does.
	constraints map[tablePart]int
	// triggers are the CREATE TRIGGER entries, by table and trigger name;
	// comments the COMMENT ON CONSTRAINT entries, by table and constraint.
	triggers map[tablePart]int
	comments map[tablePart][]int
	// keyed are the shells whose keys come: what an included view, rule,
	// policy or function reads (see Selection).
	keyed map[Name]bool
	// reads are the relations each view and materialized view reads;
	// refreshable the materialized views the dump refreshes; refreshed
	// those whose refresh comes.
	reads       map[Name][]Name
	refreshable map[Name]bool
	refreshed   map[Name]bool
	changed     bool
}

type tablePart struct {
	table Name
	name  string
}

func newSelector(t *TOC) *selector {
	s := &selector{
		toc: t, include: make([]bool, len(t.Entries)),
		data: map[Name]bool{}, defined: map[Name]bool{}, needed: map[Name]bool{},
		schemas: map[string]bool{}, created: map[Name]bool{}, indexes: map[Name]bool{},
		keyed: map[Name]bool{}, refreshed: map[Name]bool{},
	}
	s.indexParts()
	return s
}

// indexParts indexes, in one pass over the entries, those that create a
// named part of a table (ADD CONSTRAINT, CREATE TRIGGER) and the comments
// on constraints, by table and name; what views read, and which
// materialized views the dump refreshes.
func (s *selector) indexParts() {
	s.constraints, s.triggers, s.comments = map[tablePart]int{}, map[tablePart]int{}, map[tablePart][]int{}
	s.reads, s.refreshable = map[Name][]Name{}, map[Name]bool{}
	for i := range s.toc.Entries {
		e := &s.toc.Entries[i]
		switch e.Kind {
		case KindView, KindMaterializedView: // a placeholder view reads nothing, its replacement does
			for _, u := range e.Uses {
				if s.toc.Table(u) != nil {
					s.reads[e.Object] = append(s.reads[e.Object], u)
				}
			}
		case KindRefresh:
			s.refreshable[e.Object] = true
		}
		if len(e.Tables) == 0 || e.Detail == "" {
			continue
		}
		k := tablePart{e.Tables[0], e.Detail}
		switch {
		case e.Kind == KindConstraint, e.Kind == KindFKConstraint:
			s.constraints[k] = i
		case e.Kind == KindTrigger:
			s.triggers[k] = i
		case e.Kind == KindComment && e.On == KindConstraint:
			s.comments[k] = append(s.comments[k], i)
		}
	}
}

func (s *selector) selectTable(n Name) {
	if !s.data[n] {
		s.data[n] = true
		s.define(n)
	}
}

func (s *selector) define(n Name) {
	if !s.defined[n] {
		s.defined[n] = true
		s.changed = true
	}
	s.needSchema(n.Schema)
}

// populate refreshes the materialized views that n, a selected view or a
// refreshed materialized view, reads directly or through views, when the
// dump refreshes them; and what those read in turn. Each relation is
// visited once (a crafted dump could make views read each other).
func (s *selector) populate(n Name, visited map[Name]bool) {
	tbl := s.toc.Table(n)
	if visited[n] || tbl == nil || !(tbl.Kind == KindView || tbl.Kind == KindMaterializedView && s.refreshable[n]) {
		return
	}
	visited[n] = true
	for _, u := range s.reads[n] {
		if s.toc.Table(u).Kind == KindMaterializedView && s.refreshable[u] {
			s.refreshed[u] = true
			s.define(u)
		}
		s.populate(u, visited)
	}
}

// expandPartitions adds the partitions of selected partitioned tables,
// recursively.
func (s *selector) expandPartitions() {
	for grew := true; grew; {
		grew = false
		for _, tbl := range s.toc.Tables {
			if tbl.PartitionOf != nil && s.data[*tbl.PartitionOf] && !s.data[tbl.Name] {
				s.selectTable(tbl.Name)
				grew = true
			}
		}
	}
}

func (s *selector) needSchema(schema string) {
	if schema != "" && !s.schemas[schema] {
		s.schemas[schema] = true
		s.changed = true
	}
}

// need records that an included statement uses n: a relation's
// definition, or another object.
func (s *selector) need(n Name) {
	if n.Name == "" {
		return
	}
	s.needSchema(n.Schema)
	if s.toc.Table(n) != nil {
		s.define(n)
		return
	}
	if !s.needed[n] {
		s.needed[n] = true
		s.changed = true
	}
}

// pass considers every entry not yet included once; it reports whether
// anything changed, in which case another pass may include more.
func (s *selector) pass() bool {
	s.changed = false
	for i := range s.toc.Entries {
		if s.include[i] {
			continue
		}
		e := &s.toc.Entries[i]
		if s.wanted(e) {
			s.add(i, e)
		}
	}
	return s.changed
}

// add includes entry i and records what it needs and creates.
func (s *selector) add(i int, e *Entry) {
	s.include[i] = true
	s.changed = true
	for _, u := range e.Uses {
		s.need(u)
	}
	for _, tn := range e.Tables {
		s.needSchema(tn.Schema)
	}
	if e.Kind != KindExtension && e.Kind != KindSchema && e.Kind != KindComment {
		s.needSchema(e.Object.Schema)
	}
	switch e.Kind {
	case KindExtension:
		s.needSchema(e.Detail)
	case KindSequence:
		s.created[e.Object] = true
	case KindIdentity:
		for _, u := range e.Uses {
			s.created[u] = true
		}
	case KindSequenceOwnedBy:
		s.need(e.Object)
	case KindIndex:
		s.indexes[e.Object] = true
	case KindConstraint:
		if len(e.Tables) > 0 {
			s.indexes[Name{Schema: e.Tables[0].Schema, Name: e.Detail}] = true
		}
	case KindView, KindMaterializedView, KindRule, KindPolicy, KindFunction, KindProcedure:
		// What a query reads, it may read through its keys (see Selection).
		for _, u := range e.Uses {
			if tbl := s.toc.Table(u); tbl != nil && tbl.Kind == KindTable && !s.keyed[u] {
				s.keyed[u] = true
				s.changed = true
			}
		}
	}
}

// wanted decides whether an entry belongs to what is needed so far.
func (s *selector) wanted(e *Entry) bool {
	if e.Item == MetaCommand {
		return false
	}
	switch e.Kind {
	case KindSet, KindExtension:
		return true
	case KindSchema:
		return s.schemas[e.Object.Name]
	case KindTable, KindForeignTable, KindView, KindMaterializedView:
		return s.defined[e.Object]
	case KindType, KindDomain, KindFunction, KindProcedure, KindAggregate, KindSequence:
		return s.needed[e.Object]
	case KindSequenceSet:
		return s.needed[e.Object] && s.created[e.Object]
	case KindSequenceOwnedBy:
		return len(e.Tables) == 1 && s.defined[e.Tables[0]] && (s.data[e.Tables[0]] || s.needed[e.Object])
	case KindIndexAttach:
		return e.Parent != nil && s.indexes[e.Object] && s.indexes[*e.Parent]
	case KindInherits:
		return len(e.Tables) > 0 && s.defined[e.Tables[0]]
	case KindFKConstraint:
		return len(e.Tables) > 0 && s.data[e.Tables[0]] && s.allData(e.RefTables)
	case KindPublication, KindPublicationTable:
		return false
	case KindComment:
		return s.wantedComment(e)
	case KindRefresh:
		return len(e.Tables) > 0 && (s.data[e.Tables[0]] || s.refreshed[e.Tables[0]])
	}
	if e.Kind == KindAlterTable && e.On == KindTrigger && len(e.Tables) > 0 {
		return s.data[e.Tables[0]] && s.triggerComes(e.Tables[0], e.Detail)
	}
	// Everything else that belongs to tables: defaults, identity,
	// constraints, indexes, triggers, policies, row security, rules, COPY,
	// partition attaches, statistics, other ALTER TABLEs. It comes with
	// its (first) table's rows, when every other table it names is defined;
	// a constraint also with a shell's keys.
	if len(e.Tables) == 0 || !(s.data[e.Tables[0]] || e.Kind == KindConstraint && s.keyed[e.Tables[0]]) {
		return false
	}
	for _, tn := range e.Tables[1:] {
		if !s.defined[tn] {
			return false
		}
	}
	return true
}

// triggerComes says whether trigger name of table t comes with the
// selection: its own CREATE TRIGGER, or, for a partition, its partitioned
// parent's (PostgreSQL clones a parent's triggers onto its partitions, and
// pg_dump writes the partition's ALTER TABLE ... DISABLE TRIGGER alone).
// A trigger the dump does not create is taken as there.
func (s *selector) triggerComes(t Name, name string) bool {
	for range 64 { // a partition tree is never this deep; a cycle ends here
		if i, ok := s.triggers[tablePart{t, name}]; ok {
			return s.wanted(&s.toc.Entries[i])
		}
		tbl := s.toc.Table(t)
		if tbl == nil || tbl.PartitionOf == nil {
			return true
		}
		t = *tbl.PartitionOf
	}
	return true
}

func (s *selector) allData(names []Name) bool {
	for _, n := range names {
		if !s.data[n] {
			return false
		}
	}
	return true
}

// wantedComment: comments on a table or its parts come with the table's
// rows, and a comment on a constraint added by its own statement with
// that statement (a foreign key left out takes its comment along); others
// with their object.
func (s *selector) wantedComment(e *Entry) bool {
	if e.On == KindConstraint && len(e.Tables) > 0 {
		if i, ok := s.constraints[tablePart{e.Tables[0], e.Detail}]; ok {
			return s.wanted(&s.toc.Entries[i])
		}
	}
	if len(e.Tables) > 0 {
		return s.data[e.Tables[0]]
	}
	switch e.On {
	case "extension":
		return true
	case KindSchema:
		return s.schemas[e.Object.Name]
	case KindIndex:
		return s.indexes[e.Object]
	case KindSequence:
		return s.needed[e.Object] && s.created[e.Object]
	}
	return s.needed[e.Object]
}

// finish turns the fixpoint into a Selection.
func (s *selector) finish() *Selection {
	t := s.toc
	sel := &Selection{TOC: t, Include: s.include, last: -1}
	seen := map[Name]bool{}
	for _, tbl := range t.Tables {
		if seen[tbl.Name] { // a view replaced by CREATE OR REPLACE is listed twice
			continue
		}
		seen[tbl.Name] = true
		switch {
		case s.data[tbl.Name]:
			sel.Tables = append(sel.Tables, tbl.Name)
		case s.defined[tbl.Name]:
			sel.Shells = append(sel.Shells, tbl.Name)
			what := "a definition only (no rows, keys, indexes or triggers)"
			switch {
			case s.refreshed[tbl.Name]:
				what = "a definition only, refreshed from what the script restores"
			case s.keyed[tbl.Name]:
				what = "a definition with its keys only (no rows, foreign keys, indexes or triggers)"
			}
			sel.Warnings = append(sel.Warnings, fmt.Sprintf("%s is not selected but comes as %s: %s", tbl.Name, what, s.shellReason(tbl.Name)))
		}
	}
	for i := range t.Entries {
		e := &t.Entries[i]
		if s.include[i] {
			sel.last = i
			if e.Item == CopyData {
				sel.Data = append(sel.Data, i)
			}
			if e.Warning != "" {
				sel.Warnings = append(sel.Warnings, fmt.Sprintf("byte %d: %s", e.Offset, e.Warning))
			}
			continue
		}
		switch {
		case e.Kind == KindFKConstraint && len(e.Tables) > 0 && s.data[e.Tables[0]]:
			var missing []Name
			for _, r := range e.RefTables {
				if !s.data[r] {
					missing = append(missing, r)
				}
			}
			sel.DroppedFKs = append(sel.DroppedFKs, DroppedFK{Name: e.Detail, Table: e.Tables[0], References: missing, Entry: i,
				Comments: s.comments[tablePart{e.Tables[0], e.Detail}]})
		case e.Warning != "" && len(e.Tables) == 0:
			sel.Warnings = append(sel.Warnings, fmt.Sprintf("byte %d: left out: %s", e.Offset, e.Warning))
		}
	}
	return sel
}

// shellReason says which included statement needs a shell table.
func (s *selector) shellReason(n Name) string {
	for _, tbl := range s.toc.Tables {
		if s.data[tbl.Name] && tbl.Parent != nil && *tbl.Parent == n {
			return "its child " + tbl.Name.String() + " needs it"
		}
	}
	for i, e := range s.toc.Entries {
		if !s.include[i] || len(e.Tables) == 0 || e.Tables[0] == n {
			continue
		}
		for _, u := range e.Uses {
			if u == n {
				return fmt.Sprintf("a %s of %s uses it", e.Kind, e.Tables[0])
			}
		}
	}
	return "an included statement uses it"
}
