package contract

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"
	"github.com/vektah/gqlparser/v2/validator"
)

// gitHubSchemaFile is GitHub's GraphQL schema, relative to Dir.
const gitHubSchemaFile = "github/schema.graphql"

// GitHubSchema loads GitHub's GraphQL schema, github/schema.graphql under
// Dir (octokit/graphql-schema's dump of the IDL that GitHub serves). The
// schema is loaded once per process and shared, so callers must not modify
// it. When the contracts are absent GitHubSchema reports them missing,
// like Require; it fails the test when the file cannot be loaded.
//
// The dump defines two fields twice in one type, which the GraphQL
// specification (and gqlparser) forbid, so the later definition of each is
// dropped before the schema is validated. In the snapshot described in
// SOURCES.md these are EnterpriseOwnerInfo.repositoryDeployKeySetting and
// EnterpriseOwnerInfo.repositoryDeployKeySettingOrganizations; both copies
// have the same type and arguments and differ only in their descriptions.
func GitHubSchema(t testing.TB) *ast.Schema {
	t.Helper()
	p := RequireFile(t, gitHubSchemaFile)
	s, err := cached("graphql "+p, func() (*ast.Schema, error) {
		s, _, err := loadGraphQLSchema(p)
		return s, err
	})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// loadGraphQLSchema parses and validates the schema at path, dropping
// repeated definitions of a field (or enum value) in one type; it also
// returns the dropped ones as "Type.name".
func loadGraphQLSchema(path string) (*ast.Schema, []string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, fmt.Errorf("contract: loading GraphQL schema: %w", err)
	}
	doc, err := parser.ParseSchemas(validator.Prelude, &ast.Source{Name: path, Input: string(b)})
	if err != nil {
		return nil, nil, fmt.Errorf("contract: parsing GraphQL schema: %w", err)
	}
	dropped := dropDuplicates(doc)
	s, err := validator.ValidateSchemaDocument(doc)
	if err != nil {
		return nil, nil, fmt.Errorf("contract: validating GraphQL schema: %w", err)
	}
	return s, dropped, nil
}

// dropDuplicates removes, in place, every field or enum value that repeats
// a name already defined earlier in the same type definition (the first
// definition wins), and returns what it removed as "Type.name".
func dropDuplicates(doc *ast.SchemaDocument) []string {
	var dropped []string
	for _, list := range []ast.DefinitionList{doc.Definitions, doc.Extensions} {
		for _, def := range list {
			seen := map[string]bool{}
			def.Fields = slices.DeleteFunc(def.Fields, func(f *ast.FieldDefinition) bool {
				if seen[f.Name] {
					dropped = append(dropped, def.Name+"."+f.Name)
					return true
				}
				seen[f.Name] = true
				return false
			})
			seen = map[string]bool{}
			def.EnumValues = slices.DeleteFunc(def.EnumValues, func(v *ast.EnumValueDefinition) bool {
				if seen[v.Name] {
					dropped = append(dropped, def.Name+"."+v.Name)
					return true
				}
				seen[v.Name] = true
				return false
			})
		}
	}
	return dropped
}

// ValidateGraphQL parses query and validates it against schema with all of
// the specification's validation rules. When variables is not nil (an empty
// map counts), it is also checked against the operation's variable
// definitions, strictly by the specification's input coercion rules:
// every required variable must be given, every value must have the
// declared type (an Int is a whole number in the 32-bit range, an enum
// value is one of the enum's names spelled exactly, an input object has
// only known fields and all its required ones), and a variable the
// operation does not declare is reported too, since the server would
// silently ignore it. Values are checked as they would be sent, that is
// after encoding with encoding/json.
//
// ValidateGraphQL returns nil when everything is valid, else an error
// listing every problem.
func ValidateGraphQL(schema *ast.Schema, query string, variables map[string]any) error {
	var vars map[string]any
	var problems []string
	if variables != nil {
		var err error
		if vars, err = normalizeJSON(variables); err != nil {
			problems = append(problems, "variables: "+err.Error())
		}
	}
	req, ps := checkGraphQLRequest(schema, query, "", vars, variables != nil, false)
	problems = append(problems, ps...)
	return problemsError("GraphQL "+req.label(), problems)
}

// normalizeJSON turns v into what a server decodes from its JSON encoding,
// with numbers as json.Number.
func normalizeJSON(v map[string]any) (map[string]any, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var out map[string]any
	if err := decodeJSON(b, &out); err != nil {
		return nil, err
	}
	return out, nil
}

// decodeJSON decodes exactly one JSON value, keeping numbers as json.Number.
func decodeJSON(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("unexpected data after the JSON value")
	}
	return nil
}

// problemsError formats problems about subject as one error, or returns nil
// when there are none.
func problemsError(subject string, problems []string) error {
	switch len(problems) {
	case 0:
		return nil
	case 1:
		return fmt.Errorf("contract: %s: %s", subject, problems[0])
	}
	return fmt.Errorf("contract: %s: %d problems:\n\t%s", subject, len(problems), strings.Join(problems, "\n\t"))
}

// gqlRequest is a parsed GraphQL request.
type gqlRequest struct {
	doc  *ast.QueryDocument
	op   *ast.OperationDefinition
	vars map[string]any
}

// label names the request's operation for messages.
func (r *gqlRequest) label() string {
	if r == nil || r.op == nil {
		return "query"
	}
	if r.op.Name == "" {
		return "anonymous " + string(r.op.Operation)
	}
	return fmt.Sprintf("%s %s", r.op.Operation, r.op.Name)
}

// checkGraphQLRequest parses and validates a request. opName selects the
// operation; without it the document must have exactly one when needOp is
// set or the variables are to be checked (checkVars). vars are the
// variables as decoded from JSON.
func checkGraphQLRequest(schema *ast.Schema, query, opName string, vars map[string]any, checkVars, needOp bool) (*gqlRequest, []string) {
	req := &gqlRequest{vars: vars}
	if schema == nil {
		return req, []string{"no schema"}
	}
	doc, err := parser.ParseQuery(&ast.Source{Name: "query", Input: query})
	if err != nil {
		return req, []string{err.Error()}
	}
	req.doc = doc
	var problems []string
	for _, e := range validator.ValidateWithRules(schema, doc, nil) {
		problems = append(problems, e.Error())
	}
	switch {
	case opName != "":
		if req.op = doc.Operations.ForName(opName); req.op == nil {
			problems = append(problems, fmt.Sprintf("operationName %q names no operation in the document", opName))
		}
	case len(doc.Operations) == 1:
		req.op = doc.Operations[0]
	case len(doc.Operations) > 1 && (checkVars || needOp):
		problems = append(problems, fmt.Sprintf("the document has %d operations and no operationName says which one to run", len(doc.Operations)))
	}
	if checkVars && req.op != nil {
		problems = append(problems, checkVariables(schema, req.op, vars)...)
	}
	return req, problems
}

// checkVariables checks variable values against op's definitions.
func checkVariables(schema *ast.Schema, op *ast.OperationDefinition, vars map[string]any) []string {
	var problems []string
	add := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	for _, def := range op.VariableDefinitions {
		v, ok := vars[def.Variable]
		if !ok {
			if def.Type.NonNull && def.DefaultValue == nil {
				add("variable $%s: required (type %s) but not given", def.Variable, def.Type)
			}
			continue
		}
		checkInput(schema, "variable $"+def.Variable, def.Type, v, add)
	}
	var extra []string
	for name := range vars {
		if op.VariableDefinitions.ForName(name) == nil {
			extra = append(extra, name)
		}
	}
	sort.Strings(extra)
	for _, name := range extra {
		add("variable $%s: not declared by the operation", name)
	}
	return problems
}

// checkInput checks one input value (decoded from JSON) against typ.
func checkInput(schema *ast.Schema, path string, typ *ast.Type, v any, add func(string, ...any)) {
	if v == nil {
		if typ.NonNull {
			add("%s: null for non-null type %s", path, typ)
		}
		return
	}
	if typ.Elem != nil {
		list, ok := v.([]any)
		if !ok {
			// A single value is coerced to a list of one.
			checkInput(schema, path, typ.Elem, v, add)
			return
		}
		for i, e := range list {
			checkInput(schema, fmt.Sprintf("%s[%d]", path, i), typ.Elem, e, add)
		}
		return
	}
	def := schema.Types[typ.NamedType]
	if def == nil {
		return // an unknown type; the document validation reports it
	}
	switch def.Kind {
	case ast.Scalar:
		if msg := checkScalar(def.Name, v, false); msg != "" {
			add("%s: %s", path, msg)
		}
	case ast.Enum:
		s, ok := v.(string)
		if !ok || def.EnumValues.ForName(s) == nil {
			add("%s: %s is not a value of enum %s", path, describe(v), def.Name)
		}
	case ast.InputObject:
		obj, ok := v.(map[string]any)
		if !ok {
			add("%s: %s is not an input object %s", path, describe(v), def.Name)
			return
		}
		for _, name := range sortedKeys(obj) {
			if def.Fields.ForName(name) == nil {
				add("%s.%s: %s has no such field", path, name, def.Name)
			}
		}
		set := 0
		for _, f := range def.Fields {
			fv, ok := obj[f.Name]
			if !ok {
				if f.Type.NonNull && f.DefaultValue == nil {
					add("%s.%s: required (type %s) but not given", path, f.Name, f.Type)
				}
				continue
			}
			if fv != nil {
				set++
			}
			checkInput(schema, path+"."+f.Name, f.Type, fv, add)
		}
		if def.Directives.ForName("oneOf") != nil && set != 1 {
			add("%s: exactly one field of @oneOf input %s must be set, not %d", path, def.Name, set)
		}
	default:
		add("%s: %s is not an input type", path, def.Name)
	}
}

// checkScalar checks a JSON value (numbers as json.Number) against a scalar
// type, as input or, when output is set, as a result; it returns what is
// wrong, or "".
func checkScalar(name string, v any, output bool) string {
	switch name {
	case "Int":
		if n, ok := v.(json.Number); ok {
			if f, err := n.Float64(); err == nil && f == math.Trunc(f) && f >= math.MinInt32 && f <= math.MaxInt32 {
				return ""
			}
			return fmt.Sprintf("%s is not an Int (a whole number in the signed 32-bit range)", n)
		}
	case "Float":
		if _, ok := v.(json.Number); ok {
			return ""
		}
	case "String":
		if _, ok := v.(string); ok {
			return ""
		}
	case "Boolean":
		if _, ok := v.(bool); ok {
			return ""
		}
	case "ID":
		// An ID is serialized as a String; as input an integer is accepted.
		switch v := v.(type) {
		case string:
			return ""
		case json.Number:
			if _, err := strconv.ParseInt(string(v), 10, 64); err == nil && !output {
				return ""
			}
		}
	default:
		// A custom scalar (DateTime, URI, GitObjectID, ...): the schema says
		// nothing checkable about its serialization except that it is a
		// leaf, not a list or an object.
		switch v.(type) {
		case []any, map[string]any:
		default:
			return ""
		}
	}
	article := "a"
	if strings.ContainsRune("AEIOU", rune(name[0])) {
		article = "an"
	}
	return fmt.Sprintf("%s is not %s %s", describe(v), article, name)
}

// describe names a JSON value for messages.
func describe(v any) string {
	switch v := v.(type) {
	case nil:
		return "null"
	case string:
		if len(v) > 40 {
			v = v[:37] + "..."
		}
		return "string " + strconv.Quote(v)
	case json.Number:
		return "number " + string(v)
	case bool:
		return "boolean " + strconv.FormatBool(v)
	case []any:
		return "a list"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("%T", v)
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// ValidateGraphQLResponse checks a response body, as a server sent it for
// query (with its operationName and variables, as in the request), against
// the query and schema: the body must be a GraphQL response (data, errors,
// extensions and nothing else; errors a non-empty list of objects with a
// message), and data must hold exactly the fields the operation selects,
// under their aliases, with values of the schema's types and no null where
// the schema says non-null. Fields under a fragment whose type condition
// cannot be decided (an abstract type without __typename in the response)
// and fields whose @skip/@include cannot be evaluated may be absent.
// The query itself must be valid; if it is not, that is the error.
func ValidateGraphQLResponse(schema *ast.Schema, query, operationName string, variables map[string]any, body []byte) error {
	var vars map[string]any
	if variables != nil {
		var err error
		if vars, err = normalizeJSON(variables); err != nil {
			return fmt.Errorf("contract: GraphQL response: variables: %w", err)
		}
	}
	req, problems := checkGraphQLRequest(schema, query, operationName, vars, false, true)
	if len(problems) > 0 {
		return problemsError("GraphQL "+req.label()+" (for the response)", problems)
	}
	return problemsError("GraphQL response to "+req.label(), checkGraphQLResponse(schema, req, body))
}

// checkGraphQLResponse checks a response body for a valid request.
func checkGraphQLResponse(schema *ast.Schema, req *gqlRequest, body []byte) []string {
	var resp any
	if err := decodeJSON(body, &resp); err != nil {
		return []string{"body is not JSON: " + err.Error()}
	}
	top, ok := resp.(map[string]any)
	if !ok {
		return []string{"body is " + describe(resp) + ", not an object"}
	}
	c := &respChecker{schema: schema, doc: req.doc, vars: req.vars}
	for _, k := range sortedKeys(top) {
		switch k {
		case "data", "errors", "extensions":
		default:
			c.add("%q: not a GraphQL response entry (only data, errors and extensions are)", k)
		}
	}
	errs, hasErrors := top["errors"]
	if hasErrors {
		list, ok := errs.([]any)
		if !ok || len(list) == 0 {
			c.add("errors: %s, not a non-empty list", describe(errs))
		}
		for i, e := range list {
			m, ok := e.(map[string]any)
			if !ok {
				c.add("errors[%d]: %s, not an object", i, describe(e))
				continue
			}
			if _, ok := m["message"].(string); !ok {
				c.add("errors[%d].message: %s, not a string", i, describe(m["message"]))
			}
		}
	}
	data, hasData := top["data"]
	switch {
	case !hasData && !hasErrors:
		c.add("neither data nor errors")
	case hasData && data == nil && !hasErrors:
		c.add("data: null without errors")
	case data != nil:
		var root *ast.Definition
		switch req.op.Operation {
		case ast.Mutation:
			root = schema.Mutation
		case ast.Subscription:
			root = schema.Subscription
		default:
			root = schema.Query
		}
		if root == nil {
			c.add("the schema has no %s type", req.op.Operation)
			break
		}
		c.value("data", ast.NonNullNamedType(root.Name, nil), []ast.SelectionSet{req.op.SelectionSet}, data)
	}
	return c.problems
}

// respChecker checks response data against a selection.
type respChecker struct {
	schema   *ast.Schema
	doc      *ast.QueryDocument
	vars     map[string]any
	problems []string
}

func (c *respChecker) add(format string, args ...any) {
	c.problems = append(c.problems, fmt.Sprintf(format, args...))
}

// tri is a three-valued truth: whether a selection applies.
type tri int

const (
	no tri = iota
	maybe
	yes
)

func (a tri) and(b tri) tri { return min(a, b) }

// value checks one result value of type typ with the merged sub-selections
// sets.
func (c *respChecker) value(path string, typ *ast.Type, sets []ast.SelectionSet, v any) {
	if v == nil {
		if typ.NonNull {
			c.add("%s: null for non-null type %s", path, typ)
		}
		return
	}
	if typ.Elem != nil {
		list, ok := v.([]any)
		if !ok {
			c.add("%s: %s, not a list (type %s)", path, describe(v), typ)
			return
		}
		for i, e := range list {
			c.value(fmt.Sprintf("%s[%d]", path, i), typ.Elem, sets, e)
		}
		return
	}
	def := c.schema.Types[typ.NamedType]
	if def == nil {
		return
	}
	switch def.Kind {
	case ast.Scalar:
		if msg := checkScalar(def.Name, v, true); msg != "" {
			c.add("%s: %s", path, msg)
		}
	case ast.Enum:
		s, ok := v.(string)
		if !ok || def.EnumValues.ForName(s) == nil {
			c.add("%s: %s is not a value of enum %s", path, describe(v), def.Name)
		}
	case ast.Object, ast.Interface, ast.Union:
		obj, ok := v.(map[string]any)
		if !ok {
			c.add("%s: %s, not an object (type %s)", path, describe(v), def.Name)
			return
		}
		c.object(path, def, sets, obj)
	}
}

// selected is the fields selected under one response key.
type selected struct {
	key      string
	fields   []*ast.Field
	required bool
}

// object checks a result object of type parent.
func (c *respChecker) object(path string, parent *ast.Definition, sets []ast.SelectionSet, obj map[string]any) {
	concrete := parent
	if parent.Kind != ast.Object {
		concrete = nil
	}
	if tn, ok := obj["__typename"].(string); ok {
		def := c.schema.Types[tn]
		switch {
		case def == nil || def.Kind != ast.Object || !c.possible(parent, def):
			c.add("%s.__typename: %q is not an object type of %s", path, tn, parent.Name)
		default:
			concrete = def
		}
	}
	var order []*selected
	byKey := map[string]*selected{}
	for _, set := range sets {
		c.collect(set, concrete, parent, yes, &order, byKey)
	}
	for _, k := range sortedKeys(obj) {
		if byKey[k] == nil {
			c.add("%s.%s: not selected by the query", path, k)
		}
	}
	for _, s := range order {
		v, ok := obj[s.key]
		if !ok {
			if s.required {
				c.add("%s.%s: missing", path, s.key)
			}
			continue
		}
		f := s.fields[0]
		if f.Name == "__typename" {
			if _, ok := v.(string); !ok {
				c.add("%s.__typename: %s, not a string", path, describe(v))
			}
			continue
		}
		if f.Definition == nil {
			continue // unknown field; the document validation reports it
		}
		var subs []ast.SelectionSet
		for _, f := range s.fields {
			if len(f.SelectionSet) > 0 {
				subs = append(subs, f.SelectionSet)
			}
		}
		c.value(path+"."+s.key, f.Definition.Type, subs, v)
	}
}

// collect gathers the fields that set selects on an object of type
// concrete (nil when unknown) whose static type is parent. applies says
// whether the enclosing fragments apply.
func (c *respChecker) collect(set ast.SelectionSet, concrete, parent *ast.Definition, applies tri, order *[]*selected, byKey map[string]*selected) {
	for _, sel := range set {
		switch sel := sel.(type) {
		case *ast.Field:
			a := applies.and(c.included(sel.Directives))
			if a == no {
				continue
			}
			key := sel.Alias
			if key == "" {
				key = sel.Name
			}
			s := byKey[key]
			if s == nil {
				s = &selected{key: key}
				byKey[key] = s
				*order = append(*order, s)
			}
			s.fields = append(s.fields, sel)
			s.required = s.required || a == yes
		case *ast.InlineFragment:
			a := applies.and(c.included(sel.Directives)).and(c.typeApplies(sel.TypeCondition, concrete, parent))
			if a != no {
				c.collect(sel.SelectionSet, concrete, parent, a, order, byKey)
			}
		case *ast.FragmentSpread:
			frag := c.doc.Fragments.ForName(sel.Name)
			if frag == nil {
				continue
			}
			a := applies.and(c.included(sel.Directives)).and(c.typeApplies(frag.TypeCondition, concrete, parent))
			if a != no {
				c.collect(frag.SelectionSet, concrete, parent, a, order, byKey)
			}
		}
	}
}

// typeApplies says whether a fragment on type cond applies to an object of
// type concrete (nil when unknown) whose static type is parent.
func (c *respChecker) typeApplies(cond string, concrete, parent *ast.Definition) tri {
	if cond == "" {
		return yes
	}
	if concrete == nil {
		if cond == parent.Name {
			return yes
		}
		return maybe
	}
	if cond == concrete.Name {
		return yes
	}
	if def := c.schema.Types[cond]; def != nil && c.possible(def, concrete) {
		return yes
	}
	return no
}

// possible reports whether object type obj is a possible type of def.
func (c *respChecker) possible(def, obj *ast.Definition) bool {
	if def.Name == obj.Name {
		return true
	}
	for _, p := range c.schema.GetPossibleTypes(def) {
		if p.Name == obj.Name {
			return true
		}
	}
	return false
}

// included evaluates @skip and @include.
func (c *respChecker) included(dirs ast.DirectiveList) tri {
	res := yes
	for _, d := range dirs {
		if d.Name != "skip" && d.Name != "include" {
			continue
		}
		arg := d.Arguments.ForName("if")
		if arg == nil {
			return maybe
		}
		v, err := arg.Value.Value(c.vars)
		b, ok := v.(bool)
		if err != nil || !ok {
			res = maybe
			continue
		}
		if b == (d.Name == "skip") {
			return no
		}
	}
	return res
}

// GraphQLRecorder is an http.RoundTripper that validates the GraphQL
// requests passing through it, and the responses to them, and records the
// queries it saw. Create one with GraphQLTransport. It is safe for
// concurrent use.
type GraphQLRecorder struct {
	t       testing.TB
	schema  *ast.Schema
	base    http.RoundTripper
	mu      sync.Mutex
	queries []string
}

// GraphQLTransport returns a transport that sends requests through base
// (nil means http.DefaultTransport). Every POST whose body is a JSON object
// with a "query" is a GraphQL request: its query, operationName and
// variables are checked with the rules of ValidateGraphQL (a request that
// sends no variables is checked as sending none, so missing required
// variables are caught), and, when that passes and the server answers 200,
// the response body is checked against the query with the rules of
// ValidateGraphQLResponse. Violations are reported with t.Errorf; requests
// and responses always go through unchanged, so a test shows every problem.
func GraphQLTransport(t testing.TB, schema *ast.Schema, base http.RoundTripper) *GraphQLRecorder {
	if base == nil {
		base = http.DefaultTransport
	}
	return &GraphQLRecorder{t: t, schema: schema, base: base}
}

// Queries returns the query documents of the GraphQL requests seen so far,
// in the order they were sent.
func (g *GraphQLRecorder) Queries() []string {
	g.mu.Lock()
	defer g.mu.Unlock()
	return slices.Clone(g.queries)
}

// RoundTrip implements http.RoundTripper.
func (g *GraphQLRecorder) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Method != http.MethodPost || r.Body == nil || r.Body == http.NoBody {
		return g.base.RoundTrip(r)
	}
	body, r, err := takeBody(r)
	if err != nil {
		return nil, err
	}
	var msg struct {
		Query         *string         `json:"query"`
		OperationName string          `json:"operationName"`
		Variables     json.RawMessage `json:"variables"`
	}
	if json.Unmarshal(body, &msg) != nil || msg.Query == nil {
		return g.base.RoundTrip(r)
	}
	g.mu.Lock()
	g.queries = append(g.queries, *msg.Query)
	g.mu.Unlock()

	var problems []string
	vars := map[string]any{}
	if len(msg.Variables) > 0 && string(msg.Variables) != "null" {
		if err := decodeJSON(msg.Variables, &vars); err != nil {
			problems = append(problems, "variables: not a JSON object: "+err.Error())
		}
	}
	req, ps := checkGraphQLRequest(g.schema, *msg.Query, msg.OperationName, vars, true, true)
	problems = append(problems, ps...)
	where := r.Method + " " + r.URL.Path + " " + req.label()
	if err := problemsError(where+" request", problems); err != nil {
		g.t.Errorf("%v", err)
	}

	resp, err := g.base.RoundTrip(r)
	if err != nil || len(problems) > 0 || resp.StatusCode != http.StatusOK {
		return resp, err
	}
	rb, err := readResponseBody(resp)
	if err != nil {
		g.t.Errorf("contract: %s response: reading body: %v", where, err)
		return resp, nil
	}
	if err := problemsError(where+" response", checkGraphQLResponse(g.schema, req, rb)); err != nil {
		g.t.Errorf("%v", err)
	}
	return resp, nil
}

// takeBody reads r's body and returns it with a shallow copy of r whose
// body can be read again (r itself is left alone, as a RoundTripper must,
// apart from its body, which is consumed and closed).
func takeBody(r *http.Request) ([]byte, *http.Request, error) {
	if r.Body == nil || r.Body == http.NoBody {
		return nil, r, nil
	}
	b, err := io.ReadAll(r.Body)
	r.Body.Close()
	if err != nil {
		return nil, nil, fmt.Errorf("contract: reading request body: %w", err)
	}
	r2 := r.Clone(r.Context())
	r2.Body = io.NopCloser(bytes.NewReader(b))
	r2.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil }
	r2.ContentLength = int64(len(b))
	return b, r2, nil
}

// readResponseBody reads resp's body and puts a copy back for the caller.
// If reading fails, the copy fails the same way after the bytes read.
func readResponseBody(resp *http.Response) ([]byte, error) {
	if resp.Body == nil || resp.Body == http.NoBody {
		return nil, nil
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	var rest io.Reader = bytes.NewReader(b)
	if err != nil {
		rest = io.MultiReader(rest, errReader{err})
	}
	resp.Body = io.NopCloser(rest)
	return b, err
}

// errReader is a reader that fails with err.
type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }
