package extract

import (
	"errors"
	"strings"
	"testing"
	"unicode"

	pg_query "github.com/pganalyze/pg_query_go/v6"
	"google.golang.org/protobuf/proto"
)

// mustRefuse are statement types that are never in pg_dump's vocabulary,
// whatever their form: a second line of defence, kept apart from the
// allowlist in vocabulary.go.
var mustRefuse = map[string]bool{
	"DoStmt": true, "CallStmt": true, "LoadStmt": true, "AlterSystemStmt": true,
	"CreateRoleStmt": true, "AlterRoleStmt": true, "AlterRoleSetStmt": true, "DropRoleStmt": true, "GrantRoleStmt": true,
	"CreatedbStmt": true, "AlterDatabaseStmt": true, "AlterDatabaseSetStmt": true, "DropdbStmt": true,
	"InsertStmt": true, "UpdateStmt": true, "DeleteStmt": true, "MergeStmt": true, "TruncateStmt": true, "DropStmt": true,
	"VacuumStmt": true, "ClusterStmt": true, "ReindexStmt": true, "CheckPointStmt": true, "ListenStmt": true,
	"NotifyStmt": true, "PrepareStmt": true, "ExecuteStmt": true, "LockStmt": true, "DiscardStmt": true,
	"ExplainStmt": true, "ImportForeignSchemaStmt": true, "AlterExtensionStmt": true, "AlterExtensionContentsStmt": true,
	"CreateTableSpaceStmt": true, "AlterSubscriptionStmt": true, "DropOwnedStmt": true, "ReassignOwnedStmt": true,
}

// dumpSettings and dumpFunctions are what an accepted SET or SELECT may
// name, kept apart from the allowlist too.
var (
	dumpSettings = map[string]bool{
		"statement_timeout": true, "lock_timeout": true, "idle_in_transaction_session_timeout": true,
		"transaction_timeout": true, "client_encoding": true, "standard_conforming_strings": true,
		"check_function_bodies": true, "xmloption": true, "client_min_messages": true, "row_security": true,
		"default_tablespace": true, "default_table_access_method": true,
	}
	dumpFunctions = map[string]bool{
		"set_config": true, "setval": true, "lo_create": true, "lo_open": true, "lowrite": true, "lo_close": true,
		"pg_restore_relation_stats": true, "pg_restore_attribute_stats": true,
	}
)

// FuzzVocabulary: any text classifies and is vetted without panicking;
// messages are printable; an accepted statement parses as exactly one
// statement of an allowed type (an accepted COPY is exactly COPY ... FROM
// stdin, an accepted SET names pg_dump's variables, an accepted SELECT
// calls only pg_dump's pg_catalog functions); a refused one is never
// accepted as a statement or as COPY rows; no item is accepted both as a
// statement and as a COPY; an accepted meta-command is one pg_dump writes.
func FuzzVocabulary(f *testing.F) {
	for _, tt := range refusedItems {
		f.Add(strings.TrimPrefix(tt.item, `\`), strings.HasPrefix(tt.item, `\`))
	}
	for _, s := range strings.SplitAfter(allowedDump, ";\n") {
		f.Add(stripLeadingComments(s), false)
	}
	f.Fuzz(func(t *testing.T, sql string, meta bool) {
		if meta {
			line, _, _ := strings.Cut(`\`+sql, "\n")
			_, err := Vet(&Item{Kind: MetaCommand, SQL: line, Offset: 7})
			if err == nil && !strings.HasPrefix(line, `\restrict `) && !strings.HasPrefix(line, `\unrestrict `) && !strings.HasPrefix(line, `\connect`) {
				t.Fatalf("meta-command %q accepted", line)
			}
			checkVetError(t, err, 7)
			return
		}
		c := Classify(sql, nil)
		checkPrintable(t, c.Refused+" "+c.RefusedWhy)
		_, stmtErr := Vet(&Item{Kind: Statement, SQL: sql, Offset: 3})
		_, copyErr := Vet(&Item{Kind: CopyData, SQL: sql, Offset: 3})
		checkVetError(t, stmtErr, 3)
		checkVetError(t, copyErr, 3)
		if stmtErr == nil && copyErr == nil {
			t.Fatalf("%q accepted both as a statement and as a COPY with rows", sql)
		}
		if c.Refused != "" {
			if stmtErr == nil || copyErr == nil {
				t.Fatalf("%q refused (%s) but accepted by Vet", sql, c.Refused)
			}
			return
		}
		tree, err := pg_query.Parse(sql)
		if err != nil || len(tree.GetStmts()) != 1 {
			t.Fatalf("%q accepted, but pg_query: %v, %d statements", sql, err, len(tree.GetStmts()))
		}
		n := tree.GetStmts()[0].GetStmt()
		if name := stmtName(n); mustRefuse[name] {
			t.Fatalf("%q accepted: a %s", sql, name)
		}
		if (copyErr == nil) != (n.GetCopyStmt() != nil) || (copyErr == nil) != (c.Kind == KindCopy) {
			t.Fatalf("%q: COPY rows accepted %v, but it is a %s (%s)", sql, copyErr == nil, stmtName(n), c.Kind)
		}
		switch {
		case n.GetCopyStmt() != nil:
			s := n.GetCopyStmt()
			if !s.GetIsFrom() || s.GetIsProgram() || s.GetFilename() != "" || s.GetQuery() != nil || len(s.GetOptions()) > 0 || s.GetWhereClause() != nil || s.GetRelation() == nil {
				t.Fatalf("%q accepted as COPY ... FROM stdin", sql)
			}
		case n.GetVariableSetStmt() != nil:
			s := n.GetVariableSetStmt()
			if !dumpSettings[s.GetName()] || s.GetIsLocal() || s.GetKind() != pg_query.VariableSetKind_VAR_SET_VALUE {
				t.Fatalf("%q accepted: SET %s", sql, s.GetName())
			}
		case n.GetSelectStmt() != nil:
			if n.GetSelectStmt().GetIntoClause() != nil {
				t.Fatalf("%q accepted: SELECT INTO", sql)
			}
			calls := 0
			walk(n.ProtoReflect(), func(m proto.Message) bool {
				if fc, ok := m.(*pg_query.FuncCall); ok {
					calls++
					if fn := nameOf(fc.GetFuncname()); fn.Schema != "pg_catalog" || !dumpFunctions[fn.Name] {
						t.Fatalf("%q accepted: it calls %s", sql, fn)
					}
				}
				return true
			})
			if calls != 1 {
				t.Fatalf("%q accepted: %d function calls", sql, calls)
			}
		}
	})
}

// checkVetError fails unless err is nil or a *RefusedStatementError at
// offset with a printable message.
func checkVetError(t *testing.T, err error, offset int64) {
	t.Helper()
	if err == nil {
		return
	}
	var re *RefusedStatementError
	if !errors.As(err, &re) || re.Offset != offset || re.What == "" {
		t.Fatalf("Vet: %#v, want a RefusedStatementError at byte %d", err, offset)
	}
	checkPrintable(t, err.Error())
}

func checkPrintable(t *testing.T, s string) {
	t.Helper()
	for _, r := range s {
		if !unicode.IsGraphic(r) {
			t.Fatalf("message holds %U: %q", r, s)
		}
	}
}
