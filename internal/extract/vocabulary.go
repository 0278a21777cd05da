package extract

// Only pg_dump's vocabulary runs.
//
// A snapshot is customer-controlled text. Everything a restore (or an
// extract script loaded with psql) runs comes from it, so extraction and
// restores accept only the statement kinds and forms pg_dump 13–18 writes
// for a plain-format dump, and refuse the whole snapshot at the first item
// outside them, with a *RefusedStatementError naming the item's byte
// offset. A crafted or damaged snapshot is refused, never executed.
//
// How the list was derived: from pg_dump's own writers (pg_backup_archiver.c
// _doSetFixedOutputState for the prelude, the large object and \restrict
// code; pg_dump.c's dump* functions for every object), from the forms its
// regression test src/bin/pg_dump/t/002_pg_dump.pl expects in each of its
// runs (plain, --no-owner, --no-privileges, --clean, --create, --inserts,
// --binary-upgrade, --statistics ...), and from the real dumps the tests
// make of the corpus (internal/testenv/corpus). Forms only other pg_dump
// options write are refused where our backups never use those options
// (they run pg_dump --no-owner --no-privileges): --clean (DROP ...),
// --create (CREATE/ALTER/COMMENT ON DATABASE, \connect is tolerated as a
// meta-command), --inserts/--column-inserts (INSERT), --role (SET ROLE),
// --use-set-session-authorization and --disable-triggers (SET SESSION
// AUTHORIZATION; pg_dump without --no-privileges also wraps a GRANT made by
// someone other than the owner in SET/RESET SESSION AUTHORIZATION),
// --binary-upgrade (binary_upgrade_* calls, ALTER TYPE ... ADD VALUE,
// ALTER EXTENSION ... ADD, DROP COLUMN) and pg_dumpall's globals (roles,
// tablespaces, databases).
//
// Allowed, as pg_dump writes them:
//
//   - psql meta-commands: \restrict KEY and \unrestrict KEY (pg_dump 13.22,
//     14.19, 15.14, 16.10, 17.6, 18 and later), \connect (pg_dump --create).
//     Meta-commands are never executed nor written into scripts: they are
//     only tolerated.
//   - SET of the variables pg_dump sets, to the values it sets them to:
//     statement_timeout, lock_timeout, idle_in_transaction_session_timeout
//     and transaction_timeout (17+) = 0; client_encoding = a server
//     encoding (never a client-only one such as SJIS or BIG5, whose
//     multibyte characters can hide a quote from a byte-wise reader);
//     standard_conforming_strings = on (off would make psql and the server
//     split strings differently from this package); check_function_bodies =
//     false; xmloption = content; client_min_messages = warning;
//     row_security = off or on; default_tablespace and
//     default_table_access_method = a name.
//   - SELECT of exactly one pg_catalog function call with constant
//     arguments: set_config('search_path', '', false), setval('seq', n
//     [, called]), and the large object calls lo_create('oid'),
//     lo_open('oid', mode), lowrite(fd, 'data'), lo_close(fd) (never
//     lo_import, lo_export or anything else); and pg_dump 18's --statistics
//     form SELECT * FROM pg_catalog.pg_restore_relation_stats(...) or
//     pg_restore_attribute_stats(...) with constant arguments.
//   - BEGIN and COMMIT, which pg_dump writes around large object data.
//   - COPY name [(columns)] FROM stdin, with nothing else: no PROGRAM, no
//     file, no TO, no query, no options, no WHERE. Its rows follow it as a
//     CopyData item; a COPY statement without rows is refused.
//   - CREATE of the objects pg_dump dumps: schema (without AUTHORIZATION or
//     elements), extension, type (enum, range, composite, base, shell),
//     domain, function and procedure, aggregate, operator, operator class
//     and family, cast, collation, conversion, text search parser,
//     dictionary, template and configuration, foreign data wrapper,
//     server, user mapping, foreign table, sequence, table (not
//     temporary), view (and CREATE OR REPLACE VIEW, which pg_dump uses to
//     break view loops), materialized view WITH NO DATA, index (not
//     CONCURRENTLY), trigger and constraint trigger, event trigger, rule,
//     policy, publication, subscription WITH (connect = false), extended
//     statistics, access method, transform, procedural language. CREATE OR
//     REPLACE of functions, triggers, rules, aggregates and transforms is
//     refused: pg_dump never replaces what exists.
//   - ALTER TABLE (and ALTER INDEX, VIEW, MATERIALIZED VIEW, FOREIGN TABLE,
//     SEQUENCE) with only the subcommands pg_dump writes: ADD CONSTRAINT,
//     ALTER COLUMN SET DEFAULT / ADD GENERATED AS IDENTITY / SET STATISTICS
//     / SET STORAGE / SET COMPRESSION / SET (options) / OPTIONS (...) / SET
//     NOT NULL, ATTACH PARTITION, INHERIT, OF, OWNER TO, CLUSTER ON, SET
//     LOGGED/UNLOGGED, SET ACCESS METHOD, SET (reloptions), OPTIONS (...),
//     ENABLE/DISABLE [ALWAYS|REPLICA] TRIGGER, ENABLE/DISABLE TRIGGER ALL,
//     ENABLE/DISABLE [ALWAYS|REPLICA] RULE, REPLICA IDENTITY, ENABLE and
//     FORCE ROW LEVEL SECURITY. Never DROP, ALTER TYPE, DETACH, VALIDATE,
//     SET TABLESPACE, ADD COLUMN and the like.
//   - ALTER SEQUENCE ... OWNED BY, ALTER INDEX ... ATTACH PARTITION, ALTER
//     DOMAIN ... ADD CONSTRAINT, ALTER OPERATOR FAMILY ... ADD, ALTER TEXT
//     SEARCH CONFIGURATION ... ADD MAPPING, ALTER PUBLICATION ... ADD,
//     ALTER STATISTICS ... SET STATISTICS, ALTER EVENT TRIGGER ...
//     ENABLE/DISABLE, ALTER ... DEPENDS ON EXTENSION, ALTER ... OWNER TO
//     (not of a database or tablespace).
//   - COMMENT ON and SECURITY LABEL ON objects (not a database, role or
//     tablespace), GRANT and REVOKE of privileges on objects (not on a
//     database, tablespace or parameter, not ALL ... IN SCHEMA; never role
//     membership), ALTER DEFAULT PRIVILEGES, REFRESH MATERIALIZED VIEW
//     (not CONCURRENTLY, not WITH NO DATA).
//
// Refused, among everything else: COPY ... PROGRAM, COPY ... TO, COPY from
// a file or with options, psql meta-commands other than the three above,
// DO, CALL, LOAD, ALTER SYSTEM, roles and databases (CREATE/ALTER/DROP
// ROLE/USER/GROUP/DATABASE, GRANT role TO role), SET ROLE, SET SESSION
// AUTHORIZATION, RESET, SET LOCAL, SET of any other variable
// (session_replication_role, search_path ...), any other SELECT (SELECT
// INTO included), INSERT/UPDATE/DELETE/MERGE/TRUNCATE (table data only ever
// moves by COPY), DROP, VACUUM, ANALYZE, CLUSTER, REINDEX, CHECKPOINT,
// LISTEN, NOTIFY, PREPARE, EXECUTE, LOCK, DISCARD, EXPLAIN, CREATE TABLE
// AS, IMPORT FOREIGN SCHEMA, ALTER EXTENSION, RENAME, SET SCHEMA; an item
// holding more than one statement (the second would run too), none, or a
// NUL byte (parsers would disagree on where it ends); and
// a statement pg_query (PostgreSQL 17's parser) cannot parse: whatever it
// is cannot be checked. A newer pg_dump's new syntax is refused that way
// until pg_query learns it; the corpus needs no exception.

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	pg_query "github.com/pganalyze/pg_query_go/v6"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// RefusedStatementError reports an item of a snapshot outside pg_dump's
// vocabulary. The whole snapshot is refused: extraction, scripts and
// restores stop before it (or anything after it) is used.
type RefusedStatementError struct {
	// Offset is the uncompressed byte offset of the item in the snapshot.
	Offset int64
	// What says what the item is, in SQL words ("COPY ... FROM PROGRAM",
	// "DO block"). It never quotes the snapshot's text.
	What string
	// Reason, if not empty, says more: why pg_dump never writes it, or
	// the parser's complaint.
	Reason string
}

func (e *RefusedStatementError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "snapshot statement at byte %d is not something pg_dump writes (%s)", e.Offset, e.What)
	if e.Reason != "" {
		b.WriteString(": ")
		b.WriteString(e.Reason)
	}
	b.WriteString(": refusing the snapshot; it may be crafted or damaged")
	return b.String()
}

// Vet checks one item of a snapshot against pg_dump's vocabulary and
// returns its classification (zero for a meta-command), or a
// *RefusedStatementError. A CopyData item must be exactly "COPY name
// [(columns)] FROM stdin;", and a plain statement must not be a COPY.
func Vet(it *Item) (Classification, error) {
	if it.Kind == MetaCommand {
		if what, why := vetMetaCommand(it.SQL); what != "" {
			return Classification{}, &RefusedStatementError{Offset: it.Offset, What: what, Reason: why}
		}
		return Classification{}, nil
	}
	c := Classify(it.SQL, it.Header)
	return c, vetClassified(it, c)
}

// vetClassified is Vet of an item already classified.
func vetClassified(it *Item, c Classification) error {
	what, why := c.Refused, c.RefusedWhy
	switch {
	case what != "":
	case it.Kind == CopyData && c.Kind != KindCopy:
		what, why = "rows after a statement that is not COPY ... FROM stdin", "psql would feed them to it"
	case it.Kind == Statement && c.Kind == KindCopy:
		what, why = "COPY ... FROM stdin without its rows", "pg_dump writes the rows on the lines after it"
	case it.Kind != Statement && it.Kind != CopyData:
		what = "an item of unknown kind"
	default:
		return nil
	}
	return &RefusedStatementError{Offset: it.Offset, What: what, Reason: why}
}

// metaCommands are the psql meta-commands pg_dump writes: the \restrict
// key is alphanumeric (pg_dump generates or requires one).
var (
	restrictCommand = regexp.MustCompile(`^\\(?:un)?restrict [A-Za-z0-9]+[ \t]*$`)
	connectCommand  = regexp.MustCompile(`^\\connect(?:[ \t][^\x00-\x1f\x7f]*)?$`)
	metaCommandName = regexp.MustCompile(`^\\[A-Za-z!?]{1,20}`)
)

func vetMetaCommand(line string) (what, why string) {
	if restrictCommand.MatchString(line) || connectCommand.MatchString(line) {
		return "", ""
	}
	name := metaCommandName.FindString(line)
	if name == "" {
		name = `\`
	}
	return "psql meta-command " + name, `pg_dump writes only \restrict, \unrestrict and \connect`
}

// vocabulary says whether one parsed statement is a form pg_dump writes:
// "" if so, else what it is and maybe why it is refused.
func vocabulary(n *pg_query.Node) (what, why string) {
	switch s := n.GetNode().(type) {
	case *pg_query.Node_VariableSetStmt:
		return vetSet(s.VariableSetStmt)
	case *pg_query.Node_SelectStmt:
		return vetSelect(s.SelectStmt)
	case *pg_query.Node_CopyStmt:
		return vetCopy(s.CopyStmt)
	case *pg_query.Node_TransactionStmt:
		t := s.TransactionStmt
		switch {
		case t.GetKind() == pg_query.TransactionStmtKind_TRANS_STMT_BEGIN && len(t.GetOptions()) == 0:
		case t.GetKind() == pg_query.TransactionStmtKind_TRANS_STMT_COMMIT && !t.GetChain():
		default:
			return "a transaction command other than BEGIN or COMMIT", ""
		}
	case *pg_query.Node_CreateSchemaStmt:
		switch {
		case len(s.CreateSchemaStmt.GetSchemaElts()) > 0:
			return "CREATE SCHEMA with elements", ""
		case s.CreateSchemaStmt.GetAuthrole() != nil:
			return "CREATE SCHEMA ... AUTHORIZATION", ""
		}
	case *pg_query.Node_CreateStmt:
		if isTemp(s.CreateStmt.GetRelation()) {
			return "CREATE TEMPORARY TABLE", ""
		}
	case *pg_query.Node_CreateSeqStmt:
		if isTemp(s.CreateSeqStmt.GetSequence()) {
			return "CREATE TEMPORARY SEQUENCE", ""
		}
	case *pg_query.Node_ViewStmt:
		if isTemp(s.ViewStmt.GetView()) {
			return "CREATE TEMPORARY VIEW", ""
		}
	case *pg_query.Node_CreateTableAsStmt:
		return vetCreateTableAs(s.CreateTableAsStmt)
	case *pg_query.Node_IndexStmt:
		if s.IndexStmt.GetConcurrent() {
			return "CREATE INDEX CONCURRENTLY", ""
		}
	case *pg_query.Node_RefreshMatViewStmt:
		switch {
		case s.RefreshMatViewStmt.GetConcurrent():
			return "REFRESH MATERIALIZED VIEW CONCURRENTLY", ""
		case s.RefreshMatViewStmt.GetSkipData():
			return "REFRESH MATERIALIZED VIEW ... WITH NO DATA", ""
		}
	case *pg_query.Node_CreateFunctionStmt:
		if s.CreateFunctionStmt.GetReplace() {
			return "CREATE OR REPLACE FUNCTION", "pg_dump never replaces what exists"
		}
	case *pg_query.Node_CreateTrigStmt:
		if s.CreateTrigStmt.GetReplace() {
			return "CREATE OR REPLACE TRIGGER", "pg_dump never replaces what exists"
		}
	case *pg_query.Node_RuleStmt:
		if s.RuleStmt.GetReplace() {
			return "CREATE OR REPLACE RULE", "pg_dump never replaces what exists"
		}
	case *pg_query.Node_CreateTransformStmt:
		if s.CreateTransformStmt.GetReplace() {
			return "CREATE OR REPLACE TRANSFORM", "pg_dump never replaces what exists"
		}
	case *pg_query.Node_DefineStmt:
		return vetDefine(s.DefineStmt)
	case *pg_query.Node_CreateExtensionStmt, *pg_query.Node_CreateEnumStmt, *pg_query.Node_CreateRangeStmt,
		*pg_query.Node_CompositeTypeStmt, *pg_query.Node_CreateDomainStmt, *pg_query.Node_CreateOpClassStmt,
		*pg_query.Node_CreateOpFamilyStmt, *pg_query.Node_CreateCastStmt, *pg_query.Node_CreateConversionStmt,
		*pg_query.Node_CreatePlangStmt, *pg_query.Node_CreateAmStmt, *pg_query.Node_CreateFdwStmt,
		*pg_query.Node_CreateForeignServerStmt, *pg_query.Node_CreateUserMappingStmt,
		*pg_query.Node_CreateForeignTableStmt, *pg_query.Node_CreateEventTrigStmt, *pg_query.Node_AlterEventTrigStmt,
		*pg_query.Node_CreatePolicyStmt, *pg_query.Node_CreatePublicationStmt, *pg_query.Node_CreateStatsStmt,
		*pg_query.Node_AlterStatsStmt, *pg_query.Node_AlterDefaultPrivilegesStmt:
	case *pg_query.Node_CreateSubscriptionStmt:
		if !defElemFalse(s.CreateSubscriptionStmt.GetOptions(), "connect") {
			return "CREATE SUBSCRIPTION without connect = false", "pg_dump writes subscriptions that do not connect"
		}
	case *pg_query.Node_AlterPublicationStmt:
		if s.AlterPublicationStmt.GetAction() != pg_query.AlterPublicationAction_AP_AddObjects {
			return "ALTER PUBLICATION other than ADD", ""
		}
	case *pg_query.Node_AlterOpFamilyStmt:
		if s.AlterOpFamilyStmt.GetIsDrop() {
			return "ALTER OPERATOR FAMILY ... DROP", ""
		}
	case *pg_query.Node_AlterTsconfigurationStmt:
		if s.AlterTsconfigurationStmt.GetKind() != pg_query.AlterTSConfigType_ALTER_TSCONFIG_ADD_MAPPING {
			return "ALTER TEXT SEARCH CONFIGURATION other than ADD MAPPING", ""
		}
	case *pg_query.Node_AlterDomainStmt:
		if s.AlterDomainStmt.GetSubtype() != "C" {
			return "ALTER DOMAIN other than ADD CONSTRAINT", ""
		}
	case *pg_query.Node_AlterObjectDependsStmt:
		if s.AlterObjectDependsStmt.GetRemove() {
			return "ALTER ... NO DEPENDS ON EXTENSION", ""
		}
	case *pg_query.Node_AlterSeqStmt:
		for _, o := range s.AlterSeqStmt.GetOptions() {
			if o.GetDefElem().GetDefname() != "owned_by" {
				return "ALTER SEQUENCE other than OWNED BY", ""
			}
		}
	case *pg_query.Node_AlterTableStmt:
		return vetAlterTable(s.AlterTableStmt)
	case *pg_query.Node_AlterOwnerStmt:
		if what := globalObject("ALTER", s.AlterOwnerStmt.GetObjectType(), "OWNER TO"); what != "" {
			return what, databaseLevel
		}
	case *pg_query.Node_CommentStmt:
		if what := globalObject("COMMENT ON", s.CommentStmt.GetObjtype(), ""); what != "" {
			return what, databaseLevel
		}
	case *pg_query.Node_SecLabelStmt:
		if what := globalObject("SECURITY LABEL ON", s.SecLabelStmt.GetObjtype(), ""); what != "" {
			return what, databaseLevel
		}
	case *pg_query.Node_GrantStmt:
		g := s.GrantStmt
		if g.GetTargtype() != pg_query.GrantTargetType_ACL_TARGET_OBJECT {
			return "GRANT/REVOKE ... ON ALL ... IN SCHEMA", ""
		}
		if what := globalObject("GRANT/REVOKE ON", g.GetObjtype(), ""); what != "" {
			return what, databaseLevel
		}
	default:
		return refusedStatement(n)
	}
	return "", ""
}

const databaseLevel = "only pg_dump --create or pg_dumpall write it, and backups use neither"

// globalObject names a statement on a database, role, tablespace or
// parameter (objects outside one database, or the database itself); ""
// for other objects.
func globalObject(verb string, ot pg_query.ObjectType, after string) string {
	var obj string
	switch ot {
	case pg_query.ObjectType_OBJECT_DATABASE:
		obj = "DATABASE"
	case pg_query.ObjectType_OBJECT_ROLE:
		obj = "ROLE"
	case pg_query.ObjectType_OBJECT_TABLESPACE:
		obj = "TABLESPACE"
	case pg_query.ObjectType_OBJECT_PARAMETER_ACL:
		obj = "PARAMETER"
	default:
		return ""
	}
	return strings.TrimSpace(verb + " " + obj + " " + after)
}

func isTemp(rv *pg_query.RangeVar) bool { return rv.GetRelpersistence() == "t" }

// defElemFalse says whether option name is present and false.
func defElemFalse(opts []*pg_query.Node, name string) bool {
	for _, o := range opts {
		d := o.GetDefElem()
		if d.GetDefname() != name {
			continue
		}
		a := d.GetArg()
		switch {
		case a.GetString_() != nil:
			v := strings.ToLower(a.GetString_().GetSval())
			return v == "false" || v == "off"
		case a.GetBoolean() != nil:
			return !a.GetBoolean().GetBoolval()
		case a.GetInteger() != nil:
			return a.GetInteger().GetIval() == 0
		}
		return false
	}
	return false
}

func vetCreateTableAs(s *pg_query.CreateTableAsStmt) (what, why string) {
	switch {
	case s.GetIsSelectInto():
		return "SELECT INTO", "table data only ever moves by COPY ... FROM stdin"
	case s.GetObjtype() != pg_query.ObjectType_OBJECT_MATVIEW:
		return "CREATE TABLE AS", "table data only ever moves by COPY ... FROM stdin"
	case s.GetQuery().GetSelectStmt() == nil:
		return "CREATE MATERIALIZED VIEW of something else than a query", ""
	case !s.GetInto().GetSkipData():
		return "CREATE MATERIALIZED VIEW without WITH NO DATA", "pg_dump creates it empty and refreshes it after the data"
	case isTemp(s.GetInto().GetRel()):
		return "CREATE TEMPORARY MATERIALIZED VIEW", ""
	}
	return "", ""
}

func vetDefine(s *pg_query.DefineStmt) (what, why string) {
	if s.GetReplace() {
		return "CREATE OR REPLACE " + strings.ToUpper(string(objectKind(s.GetKind()))), "pg_dump never replaces what exists"
	}
	switch s.GetKind() {
	case pg_query.ObjectType_OBJECT_AGGREGATE, pg_query.ObjectType_OBJECT_OPERATOR, pg_query.ObjectType_OBJECT_TYPE,
		pg_query.ObjectType_OBJECT_TSPARSER, pg_query.ObjectType_OBJECT_TSDICTIONARY, pg_query.ObjectType_OBJECT_TSTEMPLATE,
		pg_query.ObjectType_OBJECT_TSCONFIGURATION, pg_query.ObjectType_OBJECT_COLLATION:
		return "", ""
	}
	return "CREATE of an unexpected kind of object", ""
}

// alterTableCmds are the ALTER TABLE subcommands pg_dump writes (see the
// package comment above).
var alterTableCmds = map[pg_query.AlterTableType]bool{
	pg_query.AlterTableType_AT_AddConstraint:             true,
	pg_query.AlterTableType_AT_ColumnDefault:             true,
	pg_query.AlterTableType_AT_AddIdentity:               true,
	pg_query.AlterTableType_AT_SetStatistics:             true,
	pg_query.AlterTableType_AT_SetStorage:                true,
	pg_query.AlterTableType_AT_SetCompression:            true,
	pg_query.AlterTableType_AT_SetOptions:                true,
	pg_query.AlterTableType_AT_AlterColumnGenericOptions: true,
	pg_query.AlterTableType_AT_SetNotNull:                true,
	pg_query.AlterTableType_AT_AttachPartition:           true,
	pg_query.AlterTableType_AT_AddInherit:                true,
	pg_query.AlterTableType_AT_AddOf:                     true,
	pg_query.AlterTableType_AT_ChangeOwner:               true,
	pg_query.AlterTableType_AT_ClusterOn:                 true,
	pg_query.AlterTableType_AT_SetLogged:                 true,
	pg_query.AlterTableType_AT_SetUnLogged:               true,
	pg_query.AlterTableType_AT_SetAccessMethod:           true,
	pg_query.AlterTableType_AT_SetRelOptions:             true,
	pg_query.AlterTableType_AT_GenericOptions:            true,
	pg_query.AlterTableType_AT_EnableTrig:                true,
	pg_query.AlterTableType_AT_EnableAlwaysTrig:          true,
	pg_query.AlterTableType_AT_EnableReplicaTrig:         true,
	pg_query.AlterTableType_AT_DisableTrig:               true,
	pg_query.AlterTableType_AT_EnableTrigAll:             true,
	pg_query.AlterTableType_AT_DisableTrigAll:            true,
	pg_query.AlterTableType_AT_EnableRule:                true,
	pg_query.AlterTableType_AT_EnableAlwaysRule:          true,
	pg_query.AlterTableType_AT_EnableReplicaRule:         true,
	pg_query.AlterTableType_AT_DisableRule:               true,
	pg_query.AlterTableType_AT_ReplicaIdentity:           true,
	pg_query.AlterTableType_AT_EnableRowSecurity:         true,
	pg_query.AlterTableType_AT_ForceRowSecurity:          true,
}

func vetAlterTable(s *pg_query.AlterTableStmt) (what, why string) {
	switch s.GetObjtype() {
	case pg_query.ObjectType_OBJECT_TABLE, pg_query.ObjectType_OBJECT_FOREIGN_TABLE, pg_query.ObjectType_OBJECT_INDEX,
		pg_query.ObjectType_OBJECT_VIEW, pg_query.ObjectType_OBJECT_MATVIEW, pg_query.ObjectType_OBJECT_SEQUENCE:
	default:
		return "ALTER TABLE on a " + safeText(string(objectKind(s.GetObjtype())), 40), ""
	}
	for _, n := range s.GetCmds() {
		cmd := n.GetAlterTableCmd()
		if cmd == nil || !alterTableCmds[cmd.GetSubtype()] {
			sub := strings.TrimPrefix(cmd.GetSubtype().String(), "AT_")
			return "ALTER TABLE with a subcommand pg_dump never writes (" + sub + ")", ""
		}
	}
	return "", ""
}

// vetCopy accepts exactly pg_dump's "COPY name [(columns)] FROM stdin".
func vetCopy(s *pg_query.CopyStmt) (what, why string) {
	const data = "table data only comes as COPY ... FROM stdin, rows in the snapshot"
	switch {
	case s.GetIsProgram() && s.GetIsFrom():
		return "COPY ... FROM PROGRAM", "it would run a program on the database server"
	case s.GetIsProgram():
		return "COPY ... TO PROGRAM", "it would run a program on the database server"
	case s.GetQuery() != nil:
		return "COPY (query) TO", data
	case !s.GetIsFrom() && s.GetFilename() != "":
		return "COPY ... TO a file", "it would write a file on the database server"
	case !s.GetIsFrom():
		return "COPY ... TO stdout", data
	case s.GetFilename() != "":
		return "COPY ... FROM a file", "it would read a file on the database server"
	case len(s.GetOptions()) > 0:
		return "COPY ... FROM stdin with options", "pg_dump writes COPY in the default text format"
	case s.GetWhereClause() != nil:
		return "COPY ... FROM stdin WHERE", ""
	case s.GetRelation() == nil:
		return "COPY without a table", ""
	}
	return "", ""
}

// pgDumpSettings are the variables pg_dump SETs, each with a check of the
// value pg_dump sets it to (lower-cased for keywords).
var pgDumpSettings = map[string]func(v string) bool{
	"statement_timeout":                   isZero,
	"lock_timeout":                        isZero,
	"idle_in_transaction_session_timeout": isZero,
	"transaction_timeout":                 isZero,
	"client_encoding":                     isServerEncoding,
	"standard_conforming_strings":         func(v string) bool { return strings.EqualFold(v, "on") },
	"check_function_bodies":               func(v string) bool { return strings.EqualFold(v, "false") },
	"xmloption":                           func(v string) bool { return strings.EqualFold(v, "content") },
	"client_min_messages":                 func(v string) bool { return strings.EqualFold(v, "warning") },
	"row_security":                        func(v string) bool { return strings.EqualFold(v, "off") || strings.EqualFold(v, "on") },
	"default_tablespace":                  func(string) bool { return true },
	"default_table_access_method":         func(string) bool { return true },
}

func isZero(v string) bool { return v == "0" }

// serverEncodings are PostgreSQL's server-side encodings, as
// pg_encoding_to_char names them (pg_dump writes the database's): every
// byte of a multibyte character is >= 0x80, so none hides a quote or a
// backslash. Client-only encodings (SJIS, BIG5, GBK, UHC, GB18030, JOHAB,
// SHIFT_JIS_2004) are not among them.
var serverEncodings = func() map[string]bool {
	m := map[string]bool{}
	for _, e := range strings.Fields(`SQL_ASCII UTF8 EUC_JP EUC_CN EUC_KR EUC_TW EUC_JIS_2004 MULE_INTERNAL
		LATIN1 LATIN2 LATIN3 LATIN4 LATIN5 LATIN6 LATIN7 LATIN8 LATIN9 LATIN10
		WIN1250 WIN1251 WIN1252 WIN1253 WIN1254 WIN1255 WIN1256 WIN1257 WIN1258 WIN866 WIN874
		KOI8R KOI8U ISO_8859_5 ISO_8859_6 ISO_8859_7 ISO_8859_8`) {
		m[e] = true
	}
	return m
}()

func isServerEncoding(v string) bool { return serverEncodings[strings.ToUpper(v)] }

func vetSet(s *pg_query.VariableSetStmt) (what, why string) {
	name := s.GetName()
	switch {
	case s.GetKind() == pg_query.VariableSetKind_VAR_RESET || s.GetKind() == pg_query.VariableSetKind_VAR_RESET_ALL:
		return "RESET", ""
	case name == "role":
		return "SET ROLE", "only pg_dump --role writes it, and backups never use it"
	case name == "session_authorization":
		return "SET SESSION AUTHORIZATION", "only pg_dump --use-set-session-authorization or --disable-triggers write it, and backups use neither"
	case s.GetIsLocal():
		return "SET LOCAL", ""
	case s.GetKind() != pg_query.VariableSetKind_VAR_SET_VALUE:
		return "SET " + safeText(name, 64) + " other than to a value", ""
	}
	check, ok := pgDumpSettings[name]
	if !ok {
		return "SET " + safeText(name, 64), "pg_dump never sets it"
	}
	v, ok := constValue(s.GetArgs())
	if !ok || !check(v) {
		return "SET " + name + " to a value pg_dump never writes", ""
	}
	return "", ""
}

// constValue returns the text of a SET's single constant value.
func constValue(args []*pg_query.Node) (string, bool) {
	if len(args) != 1 || args[0].GetAConst() == nil {
		return "", false
	}
	c := args[0].GetAConst()
	switch {
	case c.GetSval() != nil:
		return c.GetSval().GetSval(), true
	case c.GetIval() != nil:
		return strconv.FormatInt(int64(c.GetIval().GetIval()), 10), true
	case c.GetFval() != nil:
		return c.GetFval().GetFval(), true
	}
	return "", false
}

// selectCalls are the pg_catalog functions pg_dump SELECTs, each with a
// check of its (constant) arguments.
var selectCalls = map[string]func(args []*pg_query.A_Const) bool{
	// ALWAYS_SECURE_SEARCH_PATH_SQL, exactly.
	"set_config": func(a []*pg_query.A_Const) bool {
		return len(a) == 3 && a[0].GetSval().GetSval() == "search_path" && a[0].GetSval() != nil &&
			a[1].GetSval() != nil && a[1].GetSval().GetSval() == "" && a[2].GetBoolval() != nil && !a[2].GetBoolval().GetBoolval()
	},
	"setval": func(a []*pg_query.A_Const) bool {
		return (len(a) == 2 || len(a) == 3) && a[0].GetSval() != nil && isInt(a[1]) && (len(a) == 2 || a[2].GetBoolval() != nil)
	},
	"lo_create": func(a []*pg_query.A_Const) bool { return len(a) == 1 && isOid(a[0]) },
	"lo_open":   func(a []*pg_query.A_Const) bool { return len(a) == 2 && isOid(a[0]) && isInt(a[1]) },
	"lowrite":   func(a []*pg_query.A_Const) bool { return len(a) == 2 && isInt(a[0]) && a[1].GetSval() != nil },
	"lo_close":  func(a []*pg_query.A_Const) bool { return len(a) == 1 && isInt(a[0]) },
}

var digits = regexp.MustCompile(`^-?[0-9]+$`)

func isInt(c *pg_query.A_Const) bool {
	return c.GetIval() != nil || c.GetFval() != nil && digits.MatchString(c.GetFval().GetFval())
}

// isOid accepts pg_dump's quoted large object OID ('16384') or a number.
func isOid(c *pg_query.A_Const) bool {
	return isInt(c) || c.GetSval() != nil && digits.MatchString(c.GetSval().GetSval())
}

// statsCalls are pg_dump 18's statistics functions (--statistics).
var statsCalls = map[string]bool{"pg_restore_relation_stats": true, "pg_restore_attribute_stats": true}

func vetSelect(s *pg_query.SelectStmt) (what, why string) {
	if s.GetIntoClause() != nil {
		return "SELECT INTO", "table data only ever moves by COPY ... FROM stdin"
	}
	if call, ok := statsSelect(s); ok {
		fn := nameOf(call.GetFuncname())
		if fn.Schema == "pg_catalog" && statsCalls[fn.Name] && constArgs(call, true) != nil {
			return "", ""
		}
		return "SELECT * FROM " + callName(fn), ""
	}
	call, ok := singleCall(s)
	if !ok {
		return "SELECT", "pg_dump SELECTs only pg_catalog.setval, set_config and large object calls"
	}
	fn := nameOf(call.GetFuncname())
	check := selectCalls[fn.Name]
	if fn.Schema != "pg_catalog" || check == nil {
		return "SELECT " + callName(fn), "pg_dump SELECTs only pg_catalog.setval, set_config and large object calls"
	}
	args := constArgs(call, false)
	if args == nil && len(call.GetArgs()) > 0 || !check(args) {
		return "SELECT " + callName(fn) + " with arguments pg_dump never writes", ""
	}
	return "", ""
}

// callName names a function for a message: "pg_catalog.lo_import(...)".
func callName(fn Name) string {
	return safeText(fn.String(), 80) + "(...)"
}

// singleCall returns the function call of "SELECT f(...)" when the
// statement is exactly that: one plain call, nothing else.
func singleCall(s *pg_query.SelectStmt) (*pg_query.FuncCall, bool) {
	if !onlyFields(s, "target_list", "op", "limit_option") || !plainSelect(s) || len(s.GetTargetList()) != 1 {
		return nil, false
	}
	rt := s.GetTargetList()[0].GetResTarget()
	if rt == nil || !onlyFields(rt, "val", "location") {
		return nil, false
	}
	call := rt.GetVal().GetFuncCall()
	if call == nil || !plainCall(call) {
		return nil, false
	}
	return call, true
}

// statsSelect returns the call of "SELECT * FROM f(...)" when the
// statement is exactly that.
func statsSelect(s *pg_query.SelectStmt) (*pg_query.FuncCall, bool) {
	if !onlyFields(s, "target_list", "from_clause", "op", "limit_option") || !plainSelect(s) ||
		len(s.GetTargetList()) != 1 || len(s.GetFromClause()) != 1 {
		return nil, false
	}
	rt := s.GetTargetList()[0].GetResTarget()
	star := rt.GetVal().GetColumnRef().GetFields()
	if rt == nil || !onlyFields(rt, "val", "location") || len(star) != 1 || star[0].GetAStar() == nil {
		return nil, false
	}
	rf := s.GetFromClause()[0].GetRangeFunction()
	if rf == nil || !onlyFields(rf, "functions") || len(rf.GetFunctions()) != 1 {
		return nil, false
	}
	items := rf.GetFunctions()[0].GetList().GetItems()
	if len(items) != 2 || !proto.Equal(items[1], &pg_query.Node{}) {
		return nil, false
	}
	call := items[0].GetFuncCall()
	if call == nil || !plainCall(call) {
		return nil, false
	}
	return call, true
}

func plainSelect(s *pg_query.SelectStmt) bool {
	return s.GetOp() == pg_query.SetOperation_SETOP_NONE && s.GetLimitOption() == pg_query.LimitOption_LIMIT_OPTION_DEFAULT
}

func plainCall(c *pg_query.FuncCall) bool {
	return onlyFields(c, "funcname", "args", "funcformat", "location") && c.GetFuncformat() == pg_query.CoercionForm_COERCE_EXPLICIT_CALL
}

// constArgs returns a call's arguments when every one is a constant
// (with casts: a cast of a constant), else nil.
func constArgs(call *pg_query.FuncCall, casts bool) []*pg_query.A_Const {
	var out []*pg_query.A_Const
	for _, a := range call.GetArgs() {
		if tc := a.GetTypeCast(); casts && tc != nil {
			if !onlyFields(tc, "arg", "type_name", "location") || !plainType(tc.GetTypeName()) {
				return nil
			}
			a = tc.GetArg()
		}
		c := a.GetAConst()
		if c == nil || c.GetIsnull() {
			return nil
		}
		out = append(out, c)
	}
	return out
}

// plainType is a type name without modifiers, arrays or %TYPE.
func plainType(t *pg_query.TypeName) bool {
	return onlyFields(t, "names", "typemod", "location")
}

// onlyFields says whether m has no field set but the named ones: a form
// is checked whole, so that no clause pg_dump never writes slips through.
func onlyFields(m proto.Message, names ...string) bool {
	ok := true
	m.ProtoReflect().Range(func(fd protoreflect.FieldDescriptor, _ protoreflect.Value) bool {
		for _, n := range names {
			if string(fd.Name()) == n {
				return true
			}
		}
		ok = false
		return false
	})
	return ok
}

// refusedStatement names a statement kind outside the vocabulary.
func refusedStatement(n *pg_query.Node) (what, why string) {
	name := stmtName(n)
	if r, ok := refusedKinds[name]; ok {
		return r[0], r[1]
	}
	if name == "" {
		return "an unknown statement", ""
	}
	return "a " + strings.TrimSuffix(name, "Stmt") + " statement", ""
}

// stmtName is the pg_query type of a statement node: "DoStmt".
func stmtName(n *pg_query.Node) string {
	m := n.ProtoReflect()
	fd := m.WhichOneof(m.Descriptor().Oneofs().ByName("node"))
	if fd == nil || fd.Message() == nil {
		return ""
	}
	return string(fd.Message().Name())
}

// refusedKinds names the statements outside the vocabulary that matter
// most, with why pg_dump never writes them.
var refusedKinds = map[string][2]string{
	"DoStmt":                       {"DO block", "it would run code"},
	"CallStmt":                     {"CALL", "it would run a procedure"},
	"LoadStmt":                     {"LOAD", "it would load a shared library into the server"},
	"AlterSystemStmt":              {"ALTER SYSTEM", "it would change the server's configuration"},
	"CreateRoleStmt":               {"CREATE ROLE/USER/GROUP", "roles are cluster-wide: " + databaseLevel},
	"AlterRoleStmt":                {"ALTER ROLE/USER/GROUP", "roles are cluster-wide: " + databaseLevel},
	"AlterRoleSetStmt":             {"ALTER ROLE/USER ... SET", "roles are cluster-wide: " + databaseLevel},
	"DropRoleStmt":                 {"DROP ROLE/USER/GROUP", "roles are cluster-wide: " + databaseLevel},
	"GrantRoleStmt":                {"GRANT/REVOKE of role membership", "roles are cluster-wide: " + databaseLevel},
	"CreatedbStmt":                 {"CREATE DATABASE", databaseLevel},
	"AlterDatabaseStmt":            {"ALTER DATABASE", databaseLevel},
	"AlterDatabaseSetStmt":         {"ALTER DATABASE ... SET", databaseLevel},
	"AlterDatabaseRefreshCollStmt": {"ALTER DATABASE ... REFRESH COLLATION VERSION", databaseLevel},
	"DropdbStmt":                   {"DROP DATABASE", databaseLevel},
	"CreateTableSpaceStmt":         {"CREATE TABLESPACE", databaseLevel},
	"AlterTableSpaceOptionsStmt":   {"ALTER TABLESPACE", databaseLevel},
	"DropTableSpaceStmt":           {"DROP TABLESPACE", databaseLevel},
	"AlterTableMoveAllStmt":        {"ALTER ... ALL IN TABLESPACE", ""},
	"InsertStmt":                   {"INSERT", "table data only ever moves by COPY ... FROM stdin"},
	"UpdateStmt":                   {"UPDATE", "table data only ever moves by COPY ... FROM stdin"},
	"DeleteStmt":                   {"DELETE", "table data only ever moves by COPY ... FROM stdin"},
	"MergeStmt":                    {"MERGE", "table data only ever moves by COPY ... FROM stdin"},
	"TruncateStmt":                 {"TRUNCATE", "pg_dump never writes it"},
	"DropStmt":                     {"DROP", "only pg_dump --clean writes it, and backups never use it"},
	"DropOwnedStmt":                {"DROP OWNED", ""},
	"ReassignOwnedStmt":            {"REASSIGN OWNED", ""},
	"VacuumStmt":                   {"VACUUM/ANALYZE", ""},
	"ClusterStmt":                  {"CLUSTER", ""},
	"ReindexStmt":                  {"REINDEX", ""},
	"CheckPointStmt":               {"CHECKPOINT", ""},
	"ListenStmt":                   {"LISTEN", ""},
	"UnlistenStmt":                 {"UNLISTEN", ""},
	"NotifyStmt":                   {"NOTIFY", ""},
	"PrepareStmt":                  {"PREPARE", ""},
	"ExecuteStmt":                  {"EXECUTE", ""},
	"DeallocateStmt":               {"DEALLOCATE", ""},
	"LockStmt":                     {"LOCK", ""},
	"DiscardStmt":                  {"DISCARD", ""},
	"ExplainStmt":                  {"EXPLAIN", "EXPLAIN ANALYZE would run its statement"},
	"DeclareCursorStmt":            {"DECLARE CURSOR", ""},
	"FetchStmt":                    {"FETCH/MOVE", ""},
	"ClosePortalStmt":              {"CLOSE", ""},
	"ConstraintsSetStmt":           {"SET CONSTRAINTS", ""},
	"VariableShowStmt":             {"SHOW", ""},
	"ImportForeignSchemaStmt":      {"IMPORT FOREIGN SCHEMA", "it would connect to a foreign server"},
	"AlterExtensionStmt":           {"ALTER EXTENSION ... UPDATE", ""},
	"AlterExtensionContentsStmt":   {"ALTER EXTENSION ... ADD/DROP", "only pg_dump --binary-upgrade writes it"},
	"AlterEnumStmt":                {"ALTER TYPE ... ADD/RENAME VALUE", "only pg_dump --binary-upgrade writes it"},
	"AlterFunctionStmt":            {"ALTER FUNCTION/PROCEDURE", ""},
	"RenameStmt":                   {"ALTER ... RENAME", ""},
	"AlterObjectSchemaStmt":        {"ALTER ... SET SCHEMA", ""},
	"AlterOperatorStmt":            {"ALTER OPERATOR", ""},
	"AlterTypeStmt":                {"ALTER TYPE ... SET", ""},
	"AlterCollationStmt":           {"ALTER COLLATION", ""},
	"AlterFdwStmt":                 {"ALTER FOREIGN DATA WRAPPER", ""},
	"AlterForeignServerStmt":       {"ALTER SERVER", ""},
	"AlterUserMappingStmt":         {"ALTER USER MAPPING", ""},
	"DropUserMappingStmt":          {"DROP USER MAPPING", ""},
	"AlterPolicyStmt":              {"ALTER POLICY", ""},
	"AlterSubscriptionStmt":        {"ALTER SUBSCRIPTION", ""},
	"DropSubscriptionStmt":         {"DROP SUBSCRIPTION", ""},
	"AlterTsdictionaryStmt":        {"ALTER TEXT SEARCH DICTIONARY", ""},
}

// safeText makes text from a snapshot fit for a message: control and
// other non-printable characters escaped (as \x1b, \u2028), at most max
// runes.
func safeText(s string, max int) string {
	var b strings.Builder
	n := 0
	for _, r := range s {
		if n == max {
			b.WriteString("...")
			break
		}
		n++
		switch {
		case r == utf8.RuneError:
			b.WriteString(`\ufffd`)
		case unicode.IsGraphic(r) && !unicode.Is(unicode.Bidi_Control, r):
			b.WriteRune(r)
		case r < 0x100:
			fmt.Fprintf(&b, `\x%02x`, r)
		default:
			fmt.Fprintf(&b, `\u%04x`, r)
		}
	}
	return b.String()
}
