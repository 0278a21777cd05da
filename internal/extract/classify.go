package extract

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// Kind is what a dump statement does, in the words of pg_dump's TOC where
// one exists.
type Kind string

const (
	KindSchema           Kind = "schema"
	KindExtension        Kind = "extension"
	KindType             Kind = "type" // enum, composite, range, base or shell type
	KindDomain           Kind = "domain"
	KindFunction         Kind = "function"
	KindProcedure        Kind = "procedure"
	KindAggregate        Kind = "aggregate"
	KindSequence         Kind = "sequence"
	KindSequenceOwnedBy  Kind = "sequence owned by"
	KindSequenceSet      Kind = "sequence set" // SELECT pg_catalog.setval(...)
	KindTable            Kind = "table"
	KindForeignTable     Kind = "foreign table"
	KindPartitionAttach  Kind = "partition attach"
	KindInherits         Kind = "inherits" // ALTER TABLE ... INHERIT parent
	KindDefault          Kind = "default"
	KindIdentity         Kind = "identity"
	KindIndex            Kind = "index"
	KindIndexAttach      Kind = "index attach" // ALTER INDEX parent ATTACH PARTITION child
	KindConstraint       Kind = "constraint"   // primary key, unique, check, exclusion
	KindFKConstraint     Kind = "fk constraint"
	KindTrigger          Kind = "trigger"
	KindPolicy           Kind = "policy"
	KindRowSecurity      Kind = "row security"
	KindReplicaIdentity  Kind = "replica identity"
	KindClusterOn        Kind = "cluster on"
	KindAlterTable       Kind = "alter table" // any other ALTER TABLE
	KindOwner            Kind = "owner"
	KindComment          Kind = "comment"
	KindView             Kind = "view"
	KindMaterializedView Kind = "materialized view"
	KindRefresh          Kind = "refresh materialized view"
	KindRule             Kind = "rule"
	KindStatistics       Kind = "statistics"
	KindPublication      Kind = "publication"
	KindPublicationTable Kind = "publication table"
	KindACL              Kind = "acl" // GRANT, REVOKE
	KindSet              Kind = "set" // SET ..., SELECT pg_catalog.set_config(...)
	KindSelect           Kind = "select"
	KindCopy             Kind = "copy"
	KindTransaction      Kind = "transaction" // BEGIN, COMMIT (around large objects)
	KindOther            Kind = "other"
)

// Classification is what Classify learned about one statement.
type Classification struct {
	Kind Kind
	// Object is the object the statement creates or alters: the table of
	// a table, default, constraint, trigger, policy, rule, row security or
	// COPY (the constraint's, trigger's, ... own name is in Detail); the
	// index of an index; the sequence of a sequence set or owned by; the
	// child of a partition attach; the commented object of a comment.
	// Schemas, extensions and publications have no Schema.
	Object Name
	// Tables are the tables (or views) the statement belongs to and must
	// travel with: a table's own name, an index's table, a foreign key's
	// referencing table, the table of an OWNED BY, a commented table or
	// column. Empty when the statement belongs to no table.
	Tables []Name
	// RefTables are the tables a foreign key references. They are not in
	// Uses: a reference to an unselected table is dropped, not followed.
	RefTables []Name
	// Uses are other objects the statement needs, where cheaply known:
	// schema-qualified types (not pg_catalog's), functions, sequences
	// (nextval, identity SEQUENCE NAME), relations a view or policy reads,
	// a partition's or inheritance child's parent, a trigger's function.
	// The object's own schema is not listed (it is Object.Schema), nor are
	// Object and Tables themselves.
	Uses []Name
	// Parent is the parent table of a partition (PARTITION OF, ATTACH
	// PARTITION) or inheritance child (INHERITS, INHERIT), or the parent
	// index of an index attach.
	Parent *Name
	// Detail names the part of Object concerned: a constraint, trigger,
	// policy, rule or index name, the column of a default, identity,
	// OWNED BY or column comment, the variable of a SET, an extension's
	// schema.
	Detail string
	// On is, for a comment or owner change, the kind of object concerned
	// (KindTable, KindFunction, ..., or "column", "constraint").
	On Kind
	// Partitioned is set for a CREATE TABLE ... PARTITION BY.
	Partitioned bool
	// Warning is set when pg_query could not parse the statement: it is
	// then KindOther, attributed by best effort from its first words or the
	// pg_dump header (and Refused); or when it holds several statements.
	Warning string
	// Refused says what the statement is when it is not something pg_dump
	// writes (vocabulary.go): "COPY ... FROM PROGRAM", "DO block", "a
	// statement PostgreSQL 17's parser cannot read". RefusedWhy may say
	// more. Both are empty for a statement of pg_dump's vocabulary; they
	// never quote the statement's text unescaped. A table of contents
	// holds no refused entry: reading one is a *RefusedStatementError.
	Refused, RefusedWhy string
}

// Classify parses one SQL statement of a plain-format dump with pg_query
// and says what it is and which tables it belongs to. It never fails: a
// statement pg_query cannot parse (newer syntax) is KindOther with a
// Warning, attributed from its text or, failing that, from hint (the
// pg_dump header before it, which may be nil). The hint is never used
// otherwise: text in a function body can look exactly like a header.
//
// Refused is set for a statement outside pg_dump's vocabulary (see
// vocabulary.go), which includes one pg_query cannot parse, an empty one and
// several statements in one.
func Classify(sql string, hint *Header) Classification {
	if strings.IndexByte(sql, 0) >= 0 {
		// pg_query (a C string) and the server would stop at the NUL
		// where this package and psql go on.
		return Classification{Kind: KindOther, Refused: "a statement holding a NUL byte", RefusedWhy: "SQL text never holds one"}
	}
	tree, err := pg_query.Parse(sql)
	if err != nil {
		c := classifyUnparsed(sql, hint, err)
		c.Refused = "a statement PostgreSQL 17's parser cannot read"
		c.RefusedWhy = safeText(err.Error(), 160) + "; what cannot be parsed cannot be checked (if a newer pg_dump wrote it, restorectl needs a newer pg_query)"
		return c
	}
	stmts := tree.GetStmts()
	if len(stmts) == 0 {
		return Classification{Kind: KindOther, Refused: "an empty statement"}
	}
	c := classifyNode(stmts[0].GetStmt())
	c.Uses = withoutSelf(c)
	c.Refused, c.RefusedWhy = vocabulary(stmts[0].GetStmt())
	if len(stmts) > 1 {
		c.Warning = fmt.Sprintf("classify statement: it holds %d statements; only the first (%s) was classified", len(stmts), c.Kind)
		c.Refused, c.RefusedWhy = fmt.Sprintf("%d statements in one", len(stmts)), "pg_dump ends every statement with a semicolon; the others would run too"
	}
	return c
}

// classifyNode dispatches on the statement type.
func classifyNode(n *pg_query.Node) Classification {
	switch {
	case n.GetCreateStmt() != nil:
		return classifyCreateTable(n.GetCreateStmt(), KindTable)
	case n.GetCreateForeignTableStmt() != nil:
		return classifyCreateTable(n.GetCreateForeignTableStmt().GetBaseStmt(), KindForeignTable)
	case n.GetAlterTableStmt() != nil:
		return classifyAlterTable(n.GetAlterTableStmt())
	case n.GetIndexStmt() != nil:
		return classifyIndex(n.GetIndexStmt())
	case n.GetCreateTrigStmt() != nil:
		return classifyTrigger(n.GetCreateTrigStmt())
	case n.GetCreatePolicyStmt() != nil:
		s := n.GetCreatePolicyStmt()
		return onTable(KindPolicy, s.GetTable(), s.GetPolicyName(), s)
	case n.GetRuleStmt() != nil:
		s := n.GetRuleStmt()
		return onTable(KindRule, s.GetRelation(), s.GetRulename(), s)
	case n.GetCommentStmt() != nil:
		return classifyComment(n.GetCommentStmt())
	case n.GetCopyStmt() != nil:
		return onTable(KindCopy, n.GetCopyStmt().GetRelation(), "", n.GetCopyStmt())
	case n.GetSelectStmt() != nil:
		return classifySelect(n.GetSelectStmt())
	case n.GetVariableSetStmt() != nil:
		return Classification{Kind: KindSet, Detail: n.GetVariableSetStmt().GetName()}
	case n.GetViewStmt() != nil:
		return onTable(KindView, n.GetViewStmt().GetView(), "", n.GetViewStmt())
	case n.GetCreateTableAsStmt() != nil:
		return classifyCreateTableAs(n.GetCreateTableAsStmt())
	case n.GetRefreshMatViewStmt() != nil:
		return onTable(KindRefresh, n.GetRefreshMatViewStmt().GetRelation(), "", nil)
	case n.GetCreateStatsStmt() != nil:
		return classifyStatistics(n.GetCreateStatsStmt())
	}
	return classifyNonTable(n)
}

// classifyNonTable handles the statements that belong to no table.
func classifyNonTable(n *pg_query.Node) Classification {
	switch {
	case n.GetCreateSchemaStmt() != nil:
		return Classification{Kind: KindSchema, Object: Name{Name: n.GetCreateSchemaStmt().GetSchemaname()}}
	case n.GetCreateExtensionStmt() != nil:
		s := n.GetCreateExtensionStmt()
		return Classification{Kind: KindExtension, Object: Name{Name: s.GetExtname()}, Detail: defElemString(s.GetOptions(), "schema")}
	case n.GetCreateEnumStmt() != nil:
		return object(KindType, nameOf(n.GetCreateEnumStmt().GetTypeName()), nil)
	case n.GetCreateRangeStmt() != nil:
		return object(KindType, nameOf(n.GetCreateRangeStmt().GetTypeName()), n.GetCreateRangeStmt())
	case n.GetCompositeTypeStmt() != nil:
		return object(KindType, rangeVarName(n.GetCompositeTypeStmt().GetTypevar()), n.GetCompositeTypeStmt())
	case n.GetCreateDomainStmt() != nil:
		return object(KindDomain, nameOf(n.GetCreateDomainStmt().GetDomainname()), n.GetCreateDomainStmt())
	case n.GetAlterDomainStmt() != nil:
		// pg_dump adds a domain's NOT VALID check after the rows (ALTER
		// DOMAIN d ADD CONSTRAINT c): it comes with the domain.
		s := n.GetAlterDomainStmt()
		c := object(KindDomain, nameOf(s.GetTypeName()), s)
		c.Detail = s.GetDef().GetConstraint().GetConname()
		return c
	case n.GetCreateFunctionStmt() != nil:
		s := n.GetCreateFunctionStmt()
		kind := KindFunction
		if s.GetIsProcedure() {
			kind = KindProcedure
		}
		return object(kind, nameOf(s.GetFuncname()), s)
	case n.GetDefineStmt() != nil:
		return classifyDefine(n.GetDefineStmt())
	case n.GetCreateSeqStmt() != nil:
		return object(KindSequence, rangeVarName(n.GetCreateSeqStmt().GetSequence()), n.GetCreateSeqStmt())
	case n.GetAlterSeqStmt() != nil:
		return classifyAlterSeq(n.GetAlterSeqStmt())
	case n.GetCreatePublicationStmt() != nil:
		s := n.GetCreatePublicationStmt()
		return publication(KindPublication, s.GetPubname(), s.GetPubobjects())
	case n.GetAlterPublicationStmt() != nil:
		s := n.GetAlterPublicationStmt()
		return publication(KindPublicationTable, s.GetPubname(), s.GetPubobjects())
	case n.GetAlterOwnerStmt() != nil:
		return classifyAlterOwner(n.GetAlterOwnerStmt())
	case n.GetGrantStmt() != nil:
		return classifyGrant(n.GetGrantStmt())
	case n.GetTransactionStmt() != nil:
		return Classification{Kind: KindTransaction}
	}
	return Classification{Kind: KindOther}
}

// object is a statement about a standalone object; stmt (may be nil) is
// searched for what it uses.
func object(kind Kind, name Name, stmt proto.Message) Classification {
	return Classification{Kind: kind, Object: name, Uses: collectUses(stmt).uses}
}

// onTable is a statement that belongs to one table (or view).
func onTable(kind Kind, rel *pg_query.RangeVar, detail string, stmt proto.Message) Classification {
	t := rangeVarName(rel)
	return Classification{Kind: kind, Object: t, Tables: []Name{t}, Detail: detail, Uses: collectUses(stmt).uses}
}

func classifyCreateTable(s *pg_query.CreateStmt, kind Kind) Classification {
	c := onTable(kind, s.GetRelation(), "", s)
	refs := collectUses(s)
	c.RefTables = refs.refTables
	// PARTITION OF and INHERITS both land in InhRelations; parents are in
	// Uses already, the first is the Parent.
	if inh := s.GetInhRelations(); len(inh) > 0 {
		p := rangeVarName(inh[0].GetRangeVar())
		c.Parent = &p
	}
	c.Partitioned = s.GetPartspec() != nil
	return c
}

func classifyCreateTableAs(s *pg_query.CreateTableAsStmt) Classification {
	kind := KindTable
	if s.GetObjtype() == pg_query.ObjectType_OBJECT_MATVIEW {
		kind = KindMaterializedView
	}
	return onTable(kind, s.GetInto().GetRel(), "", s)
}

func classifyIndex(s *pg_query.IndexStmt) Classification {
	t := rangeVarName(s.GetRelation())
	// An index always lives in its table's schema.
	idx := Name{Schema: t.Schema, Name: s.GetIdxname()}
	return Classification{Kind: KindIndex, Object: idx, Tables: []Name{t}, Detail: s.GetIdxname(), Uses: collectUses(s).uses}
}

func classifyTrigger(s *pg_query.CreateTrigStmt) Classification {
	c := onTable(KindTrigger, s.GetRelation(), s.GetTrigname(), s)
	// The trigger function is a bare name list, not a call: add it by hand.
	c.Uses = addName(c.Uses, nameOf(s.GetFuncname()))
	return c
}

func classifyStatistics(s *pg_query.CreateStatsStmt) Classification {
	c := Classification{Kind: KindStatistics, Object: nameOf(s.GetDefnames())}
	for _, r := range s.GetRelations() {
		c.Tables = addName(c.Tables, rangeVarName(r.GetRangeVar()))
	}
	c.Uses = collectUses(s).uses
	return c
}

func classifyDefine(s *pg_query.DefineStmt) Classification {
	kind := KindOther
	switch s.GetKind() {
	case pg_query.ObjectType_OBJECT_AGGREGATE:
		kind = KindAggregate
	case pg_query.ObjectType_OBJECT_TYPE:
		kind = KindType
	}
	return object(kind, nameOf(s.GetDefnames()), s)
}

// classifyAlterSeq recognises pg_dump's "ALTER SEQUENCE s OWNED BY t.col".
func classifyAlterSeq(s *pg_query.AlterSeqStmt) Classification {
	c := Classification{Kind: KindSequence, Object: rangeVarName(s.GetSequence())}
	for _, o := range s.GetOptions() {
		d := o.GetDefElem()
		if d.GetDefname() != "owned_by" {
			continue
		}
		c.Kind = KindSequenceOwnedBy
		parts := strs(d.GetArg().GetList().GetItems())
		if len(parts) >= 2 { // [schema.]table.column; OWNED BY NONE is one part
			c.Tables = []Name{nameOfStrings(parts[:len(parts)-1])}
			c.Detail = parts[len(parts)-1]
		}
	}
	return c
}

func classifySelect(s *pg_query.SelectStmt) Classification {
	targets := s.GetTargetList()
	if len(targets) != 1 || s.GetFromClause() != nil {
		return Classification{Kind: KindSelect, Uses: collectUses(s).uses}
	}
	call := targets[0].GetResTarget().GetVal().GetFuncCall()
	fn := nameOf(call.GetFuncname())
	switch {
	case fn.Name == "set_config" && (fn.Schema == "" || fn.Schema == "pg_catalog"):
		return Classification{Kind: KindSet, Detail: stringArg(call, 0)}
	case fn.Name == "setval" && (fn.Schema == "" || fn.Schema == "pg_catalog"):
		seq, err := ParseName(stringArg(call, 0))
		if err == nil {
			return Classification{Kind: KindSequenceSet, Object: seq, Detail: setvalDetail(call)}
		}
	}
	return Classification{Kind: KindSelect, Uses: collectUses(s).uses}
}

func publication(kind Kind, pubname string, objects []*pg_query.Node) Classification {
	c := Classification{Kind: kind, Object: Name{Name: pubname}}
	for _, o := range objects {
		if rel := o.GetPublicationObjSpec().GetPubtable().GetRelation(); rel != nil {
			c.Tables = addName(c.Tables, rangeVarName(rel))
		}
	}
	return c
}

func classifyAlterOwner(s *pg_query.AlterOwnerStmt) Classification {
	c := Classification{Kind: KindOwner, On: objectKind(s.GetObjectType())}
	if rel := s.GetRelation(); rel != nil {
		c.Object = rangeVarName(rel)
		c.Tables = []Name{c.Object}
		return c
	}
	c.Object, _ = objectName(s.GetObjectType(), s.GetObject())
	return c
}

func classifyGrant(s *pg_query.GrantStmt) Classification {
	c := Classification{Kind: KindACL}
	for _, o := range s.GetObjects() {
		if rv := o.GetRangeVar(); rv != nil {
			c.Tables = addName(c.Tables, rangeVarName(rv))
		}
	}
	if len(c.Tables) > 0 {
		c.Object = c.Tables[0]
	}
	return c
}

// withoutSelf drops Object and Tables from Uses: a statement does not
// depend on what it creates or belongs to.
func withoutSelf(c Classification) []Name {
	var out []Name
	for _, u := range c.Uses {
		if u == c.Object || containsName(c.Tables, u) {
			continue
		}
		out = append(out, u)
	}
	return out
}

// unparsedPatterns find the table of a statement pg_query cannot parse, by
// its first words. Best effort only: the statement is reported anyway.
var unparsedPatterns = func() []*regexp.Regexp {
	const name = `((?:"(?:[^"]|"")+"|[\pL_][\pL\pN_$]*)(?:\s*\.\s*(?:"(?:[^"]|"")+"|[\pL_][\pL\pN_$]*))?)`
	exprs := []string{
		`^(?:CREATE|ALTER)\s+(?:(?:GLOBAL|LOCAL|UNLOGGED|TEMP|TEMPORARY|FOREIGN)\s+)*TABLE\s+(?:IF\s+(?:NOT\s+)?EXISTS\s+)?(?:ONLY\s+)?` + name,
		`^COPY\s+` + name,
		`^CREATE\s+(?:UNIQUE\s+)?INDEX\s+[^;]*?\bON\s+(?:ONLY\s+)?` + name,
		`^CREATE\s+(?:OR\s+REPLACE\s+)?(?:CONSTRAINT\s+)?TRIGGER\s+[^;]*?\bON\s+` + name,
		`^CREATE\s+POLICY\s+[^;]*?\bON\s+` + name,
		`^COMMENT\s+ON\s+TABLE\s+` + name,
	}
	res := make([]*regexp.Regexp, len(exprs))
	for i, e := range exprs {
		res[i] = regexp.MustCompile(`(?is)` + e)
	}
	return res
}()

// classifyUnparsed attributes a statement pg_query rejected: by its own
// first words when they name a table, else by the pg_dump header.
func classifyUnparsed(sql string, hint *Header, parseErr error) Classification {
	c := Classification{Kind: KindOther}
	text := stripLeadingComments(sql)
	for _, re := range unparsedPatterns {
		m := re.FindStringSubmatch(text)
		if m == nil {
			continue
		}
		if t, err := ParseName(m[1]); err == nil {
			c.Object, c.Tables = t, []Name{t}
			c.Warning = fmt.Sprintf("classify statement: pg_query cannot parse it (%v); kept as is and attributed to %s by its first words; check that the restore handles it", parseErr, t)
			return c
		}
	}
	if t, ok := hintTable(hint); ok {
		c.Object, c.Tables = t, []Name{t}
		c.Warning = fmt.Sprintf("classify statement: pg_query cannot parse it (%v); kept as is and attributed to %s by its pg_dump header (Type: %s); check that the restore handles it", parseErr, t, hint.Type)
		return c
	}
	c.Warning = fmt.Sprintf("classify statement: pg_query cannot parse it (%v); kept as is and attributed to no table; check whether a restore needs it", parseErr)
	return c
}

// hintTable reads the table out of a pg_dump header. For types whose
// header name is "table thing" (CONSTRAINT, TRIGGER, DEFAULT, ...) the table
// is the first word; header names are not quoted, so a table name with a
// space is misread, which is acceptable for a best-effort fallback.
func hintTable(h *Header) (Name, bool) {
	if h == nil || h.Name == "" {
		return Name{}, false
	}
	switch h.Type {
	case "TABLE", "TABLE DATA", "ROW SECURITY", "VIEW", "MATERIALIZED VIEW", "MATERIALIZED VIEW DATA", "FOREIGN TABLE", "TABLE ATTACH":
		return Name{Schema: h.Schema, Name: h.Name}, true
	case "CONSTRAINT", "FK CONSTRAINT", "TRIGGER", "POLICY", "DEFAULT", "RULE":
		table, _, _ := strings.Cut(h.Name, " ")
		return Name{Schema: h.Schema, Name: table}, true
	}
	return Name{}, false
}

// stripLeadingComments drops whitespace and -- and /* */ comments before
// the first word.
func stripLeadingComments(s string) string {
	for {
		s = strings.TrimLeft(s, " \t\r\n")
		switch {
		case strings.HasPrefix(s, "--"):
			_, rest, ok := strings.Cut(s, "\n")
			if !ok {
				return ""
			}
			s = rest
		case strings.HasPrefix(s, "/*"):
			_, rest, ok := strings.Cut(s[2:], "*/")
			if !ok {
				return ""
			}
			s = rest
		default:
			return s
		}
	}
}

// uses collects the objects an AST refers to, walking it generically so
// that no statement type or expression form is forgotten.
type uses struct {
	uses, refTables []Name
}

func collectUses(stmt proto.Message) uses {
	var u uses
	if stmt == nil {
		return u
	}
	walk(stmt.ProtoReflect(), u.visit)
	return u
}

// visit records what one AST node refers to and says whether to descend.
func (u *uses) visit(m proto.Message) bool {
	switch n := m.(type) {
	case *pg_query.Constraint:
		if n.GetContype() == pg_query.ConstrType_CONSTR_FOREIGN {
			// The referenced table is a RefTable, not a dependency.
			u.refTables = addName(u.refTables, rangeVarName(n.GetPktable()))
			return false
		}
	case *pg_query.RangeVar:
		// Unqualified names are CTEs or search_path lookups; pg_dump
		// qualifies every real relation.
		if n.GetSchemaname() != "" {
			u.uses = addName(u.uses, rangeVarName(n))
		}
	case *pg_query.TypeName:
		if t := nameOf(n.GetNames()); t.Schema != "" && t.Schema != "pg_catalog" {
			u.uses = addName(u.uses, t)
		}
	case *pg_query.FuncCall:
		u.visitCall(n)
	case *pg_query.TypeCast:
		// 'public.s'::regclass, as in nextval('public.s'::regclass).
		if nameOf(n.GetTypeName().GetNames()).Name == "regclass" {
			u.addParsed(n.GetArg().GetAConst().GetSval().GetSval())
		}
	case *pg_query.DefElem:
		// An identity column's SEQUENCE NAME.
		if n.GetDefname() == "sequence_name" {
			u.uses = addName(u.uses, nameOfStrings(strs(n.GetArg().GetList().GetItems())))
		}
	}
	return true
}

func (u *uses) visitCall(n *pg_query.FuncCall) {
	fn := nameOf(n.GetFuncname())
	if fn.Schema == "" || fn.Schema == "pg_catalog" {
		switch fn.Name {
		case "nextval", "currval", "setval":
			u.addParsed(stringArg(n, 0))
		}
		return
	}
	u.uses = addName(u.uses, fn)
}

// addParsed adds a name written as SQL text inside a string ('public.s').
func (u *uses) addParsed(s string) {
	if s == "" {
		return
	}
	if n, err := ParseName(s); err == nil {
		u.uses = addName(u.uses, n)
	}
}

// walk calls visit on m and, while visit says so, on every message below.
func walk(m protoreflect.Message, visit func(proto.Message) bool) {
	if !visit(m.Interface()) {
		return
	}
	// Fields in declaration order: Message.Range's order varies between
	// builds, and Uses must come out the same every time.
	fields := m.Descriptor().Fields()
	for i := 0; i < fields.Len(); i++ {
		fd := fields.Get(i)
		if fd.Message() == nil || fd.IsMap() || !m.Has(fd) {
			continue
		}
		v := m.Get(fd)
		if fd.IsList() {
			l := v.List()
			for j := 0; j < l.Len(); j++ {
				walk(l.Get(j).Message(), visit)
			}
			continue
		}
		walk(v.Message(), visit)
	}
}

// stringArg returns the i'th argument of a call when it is a string
// constant, possibly cast ('x'::regclass); else "".
// setvalDetail is "VALUE,CALLED" of pg_dump's setval('seq', VALUE,
// CALLED) (see ParseSetvalDetail), "" for any other form.
func setvalDetail(call *pg_query.FuncCall) string {
	args := call.GetArgs()
	if len(args) != 3 {
		return ""
	}
	var v string
	switch c := args[1].GetAConst(); {
	case c == nil:
		return ""
	case c.GetIval() != nil:
		v = strconv.FormatInt(int64(c.GetIval().GetIval()), 10)
	case c.GetFval() != nil:
		v = c.GetFval().GetFval()
	default:
		return ""
	}
	b := args[2].GetAConst().GetBoolval()
	if b == nil {
		return ""
	}
	if _, err := strconv.ParseInt(v, 10, 64); err != nil {
		return ""
	}
	return v + "," + strconv.FormatBool(b.GetBoolval())
}

// ParseSetvalDetail reads the Detail of a KindSequenceSet entry: the
// value and is_called its setval gives the sequence; ok is false when the
// statement was not in pg_dump's form (or the entry comes from an index
// written before the detail was recorded).
func ParseSetvalDetail(detail string) (value int64, called bool, ok bool) {
	v, c, found := strings.Cut(detail, ",")
	if !found {
		return 0, false, false
	}
	value, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return 0, false, false
	}
	called, err = strconv.ParseBool(c)
	return value, called, err == nil
}

func stringArg(call *pg_query.FuncCall, i int) string {
	args := call.GetArgs()
	if i >= len(args) {
		return ""
	}
	a := args[i]
	if tc := a.GetTypeCast(); tc != nil {
		a = tc.GetArg()
	}
	return a.GetAConst().GetSval().GetSval()
}

func rangeVarName(rv *pg_query.RangeVar) Name {
	return Name{Schema: rv.GetSchemaname(), Name: rv.GetRelname()}
}

// nameOf turns a list of String nodes ([schema,] name) into a Name; a
// catalog (database) part is ignored.
func nameOf(nodes []*pg_query.Node) Name {
	return nameOfStrings(strs(nodes))
}

func nameOfStrings(parts []string) Name {
	switch len(parts) {
	case 0:
		return Name{}
	case 1:
		return Name{Name: parts[0]}
	}
	return Name{Schema: parts[len(parts)-2], Name: parts[len(parts)-1]}
}

func strs(nodes []*pg_query.Node) []string {
	out := make([]string, 0, len(nodes))
	for _, n := range nodes {
		out = append(out, n.GetString_().GetSval())
	}
	return out
}

// defElemString returns the string value of option name, if present.
func defElemString(opts []*pg_query.Node, name string) string {
	for _, o := range opts {
		if d := o.GetDefElem(); d.GetDefname() == name {
			return d.GetArg().GetString_().GetSval()
		}
	}
	return ""
}

func addName(list []Name, n Name) []Name {
	if n.Name == "" || containsName(list, n) {
		return list
	}
	return append(list, n)
}

func containsName(list []Name, n Name) bool {
	for _, x := range list {
		if x == n {
			return true
		}
	}
	return false
}

// classifyAlterTable attributes ALTER TABLE (and ALTER INDEX, VIEW, ...)
// by its relation; the Kind comes from the first subcommand that has one of
// its own, Uses and RefTables from all of them.
func classifyAlterTable(s *pg_query.AlterTableStmt) Classification {
	rel := rangeVarName(s.GetRelation())
	if s.GetObjtype() == pg_query.ObjectType_OBJECT_INDEX {
		return classifyAlterIndex(s, rel)
	}
	c := Classification{Kind: KindAlterTable, Object: rel}
	if ownedByTable(s.GetObjtype()) {
		c.Tables = []Name{rel}
	}
	refs := collectUses(s)
	c.Uses, c.RefTables = refs.uses, refs.refTables
	for _, n := range s.GetCmds() {
		if c.Kind != KindAlterTable {
			break
		}
		alterTableCmd(&c, rel, n.GetAlterTableCmd())
	}
	return c
}

// alterTableCmd sets c's Kind (and what goes with it) from one subcommand,
// leaving KindAlterTable for subcommands of no particular interest.
func alterTableCmd(c *Classification, rel Name, cmd *pg_query.AlterTableCmd) {
	switch cmd.GetSubtype() {
	case pg_query.AlterTableType_AT_AddConstraint:
		con := cmd.GetDef().GetConstraint()
		c.Kind, c.Detail = KindConstraint, con.GetConname()
		if con.GetContype() == pg_query.ConstrType_CONSTR_FOREIGN {
			c.Kind = KindFKConstraint
		}
	case pg_query.AlterTableType_AT_ColumnDefault:
		c.Kind, c.Detail = KindDefault, cmd.GetName()
	case pg_query.AlterTableType_AT_AddIdentity:
		c.Kind, c.Detail = KindIdentity, cmd.GetName()
	case pg_query.AlterTableType_AT_EnableRowSecurity, pg_query.AlterTableType_AT_ForceRowSecurity:
		c.Kind = KindRowSecurity
	case pg_query.AlterTableType_AT_ReplicaIdentity:
		c.Kind = KindReplicaIdentity
	case pg_query.AlterTableType_AT_ClusterOn:
		c.Kind, c.Detail = KindClusterOn, cmd.GetName()
	case pg_query.AlterTableType_AT_ChangeOwner:
		c.Kind, c.On = KindOwner, KindTable
	case pg_query.AlterTableType_AT_AddInherit:
		parent := rangeVarName(cmd.GetDef().GetRangeVar())
		c.Kind, c.Parent = KindInherits, &parent
	case pg_query.AlterTableType_AT_EnableTrig, pg_query.AlterTableType_AT_EnableAlwaysTrig,
		pg_query.AlterTableType_AT_EnableReplicaTrig, pg_query.AlterTableType_AT_DisableTrig:
		// A trigger's state: it needs the trigger, which on a partition
		// may be its parent's (see selector.triggerComes).
		c.On, c.Detail = KindTrigger, cmd.GetName()
	case pg_query.AlterTableType_AT_AttachPartition:
		// ALTER TABLE ONLY parent ATTACH PARTITION child: the statement is
		// the child's, and needs the parent.
		child := rangeVarName(cmd.GetDef().GetPartitionCmd().GetName())
		c.Kind, c.Object, c.Tables, c.Parent = KindPartitionAttach, child, []Name{child}, &rel
		c.Uses = addName(c.Uses, rel)
	}
}

// classifyAlterIndex handles pg_dump's "ALTER INDEX parent ATTACH
// PARTITION child" (an index of a partition joining its parent's index).
// Neither index's table is named, so Tables stay empty.
func classifyAlterIndex(s *pg_query.AlterTableStmt, idx Name) Classification {
	for _, n := range s.GetCmds() {
		cmd := n.GetAlterTableCmd()
		if cmd.GetSubtype() == pg_query.AlterTableType_AT_AttachPartition {
			child := rangeVarName(cmd.GetDef().GetPartitionCmd().GetName())
			return Classification{Kind: KindIndexAttach, Object: child, Parent: &idx, Uses: []Name{idx}}
		}
	}
	return Classification{Kind: KindAlterTable, Object: idx, On: KindIndex}
}

// ownedByTable says whether an object of type t is one a restore selects
// (a table or something listed like one), so statements on it belong to it.
func ownedByTable(t pg_query.ObjectType) bool {
	switch t {
	case pg_query.ObjectType_OBJECT_TABLE, pg_query.ObjectType_OBJECT_VIEW,
		pg_query.ObjectType_OBJECT_MATVIEW, pg_query.ObjectType_OBJECT_FOREIGN_TABLE:
		return true
	}
	return false
}

// classifyComment attributes COMMENT ON: comments on a table, its columns,
// constraints, triggers, policies and rules belong to the table.
func classifyComment(s *pg_query.CommentStmt) Classification {
	ot := s.GetObjtype()
	c := Classification{Kind: KindComment, On: objectKind(ot)}
	switch ot {
	case pg_query.ObjectType_OBJECT_COLUMN, pg_query.ObjectType_OBJECT_TABCONSTRAINT,
		pg_query.ObjectType_OBJECT_TRIGGER, pg_query.ObjectType_OBJECT_POLICY, pg_query.ObjectType_OBJECT_RULE:
		// [schema,] table, thing
		parts := strs(s.GetObject().GetList().GetItems())
		if len(parts) >= 2 {
			c.Object = nameOfStrings(parts[:len(parts)-1])
			c.Tables = []Name{c.Object}
			c.Detail = parts[len(parts)-1]
		}
		return c
	}
	c.Object, c.Detail = objectName(ot, s.GetObject())
	if ownedByTable(ot) {
		c.Tables = []Name{c.Object}
	}
	return c
}

// objectName reads the name out of the object node of COMMENT, ALTER ...
// OWNER and the like, whose shape depends on the object type. Detail is
// the sub-object's name where there is one (a domain constraint).
func objectName(ot pg_query.ObjectType, n *pg_query.Node) (name Name, detail string) {
	switch {
	case n.GetString_() != nil:
		return Name{Name: n.GetString_().GetSval()}, ""
	case n.GetObjectWithArgs() != nil:
		return nameOf(n.GetObjectWithArgs().GetObjname()), ""
	case n.GetTypeName() != nil:
		return nameOf(n.GetTypeName().GetNames()), ""
	case n.GetList() != nil:
		items := n.GetList().GetItems()
		if ot == pg_query.ObjectType_OBJECT_DOMCONSTRAINT && len(items) == 2 {
			// CONSTRAINT c ON DOMAIN d: [TypeName d, String c]
			return nameOf(items[0].GetTypeName().GetNames()), items[1].GetString_().GetSval()
		}
		return nameOf(items), ""
	}
	return Name{}, ""
}

// objectKind names an object type as a Kind.
func objectKind(ot pg_query.ObjectType) Kind {
	switch ot {
	case pg_query.ObjectType_OBJECT_MATVIEW:
		return KindMaterializedView
	case pg_query.ObjectType_OBJECT_TABCONSTRAINT, pg_query.ObjectType_OBJECT_DOMCONSTRAINT:
		return KindConstraint
	case pg_query.ObjectType_OBJECT_STATISTIC_EXT:
		return KindStatistics
	}
	k := strings.TrimPrefix(ot.String(), "OBJECT_")
	return Kind(strings.ReplaceAll(strings.ToLower(k), "_", " "))
}
