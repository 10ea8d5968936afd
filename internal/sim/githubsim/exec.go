package githubsim

// A small, generic GraphQL executor over a gqlparser-validated document.
// It knows nothing about GitHub: resolvers are looked up in a table keyed by
// type and field name, so more types (and REST-backed data) can be added
// without touching it. Results are built as ordered maps so the response's
// keys follow the query's field order, as a real GraphQL server's do.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"time"

	"github.com/vektah/gqlparser/v2/ast"
)

// resolverFunc resolves one field of one object. obj is the Go value the
// parent resolver returned for the object; args holds the field's arguments
// with variables substituted and defaults applied.
type resolverFunc func(rq *request, obj any, args map[string]any) (any, error)

// resolverTable maps a GraphQL object type name to its fields' resolvers.
type resolverTable map[string]map[string]resolverFunc

func (t resolverTable) add(typeName, field string, f resolverFunc) {
	if t[typeName] == nil {
		t[typeName] = map[string]resolverFunc{}
	}
	t[typeName][field] = f
}

// typed is implemented by values returned for interface or union fields:
// it names the concrete object type.
type typed interface{ graphQLType() string }

// fieldError is an error a resolver returns to be reported in the
// response's "errors" with a GitHub error type such as NOT_FOUND, and the
// extensions GitHub gives some of them (FORBIDDEN's saml_failure).
type fieldError struct {
	Type       string
	Message    string
	Extensions *omap
}

func (e *fieldError) Error() string { return e.Message }

// gqlError is one entry of a response's "errors". Its fields are written in
// the order GitHub writes them.
type gqlError struct {
	Type       string     `json:"type,omitempty"`
	Path       []any      `json:"path,omitempty"`
	Extensions *omap      `json:"extensions,omitempty"`
	Locations  []location `json:"locations,omitempty"`
	Message    string     `json:"message"`
}

type location struct {
	Line   int `json:"line"`
	Column int `json:"column"`
}

func locationsOf(p *ast.Position) []location {
	if p == nil {
		return nil
	}
	return []location{{Line: p.Line, Column: p.Column}}
}

// executor runs one operation.
type executor struct {
	schema    *ast.Schema
	resolvers resolverTable
	vars      map[string]any
	rq        *request
	errors    []*gqlError
}

// execute runs op's selection set against root and returns the "data"
// value: an *omap, or nil when a non-null root field failed.
func (e *executor) execute(op *ast.OperationDefinition, root any) any {
	var typ *ast.Definition
	switch op.Operation {
	case ast.Mutation:
		typ = e.schema.Mutation
	case ast.Subscription:
		typ = e.schema.Subscription
	default:
		typ = e.schema.Query
	}
	data, ok := e.selectionSet(typ, op.SelectionSet, root, nil)
	if !ok {
		return nil
	}
	return data
}

func (e *executor) addError(typ, msg string, path []any, pos *ast.Position) {
	e.addFieldError(&fieldError{Type: typ, Message: msg}, path, pos)
}

func (e *executor) addFieldError(fe *fieldError, path []any, pos *ast.Position) {
	e.errors = append(e.errors, &gqlError{
		Type:       fe.Type,
		Path:       append([]any(nil), path...),
		Extensions: fe.Extensions,
		Locations:  locationsOf(pos),
		Message:    fe.Message,
	})
}

// collected is one response key and the fields merged under it.
type collected struct {
	key    string
	fields []*ast.Field
}

// collectFields implements the spec's CollectFields: fragments are
// flattened, @skip/@include honoured and fields grouped by response key in
// first-seen order.
func (e *executor) collectFields(typ *ast.Definition, set ast.SelectionSet, out []collected, visited map[string]bool) []collected {
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			if !e.included(s.Directives) {
				continue
			}
			key := s.Alias
			if key == "" {
				key = s.Name
			}
			found := false
			for i := range out {
				if out[i].key == key {
					out[i].fields = append(out[i].fields, s)
					found = true
					break
				}
			}
			if !found {
				out = append(out, collected{key: key, fields: []*ast.Field{s}})
			}
		case *ast.InlineFragment:
			if !e.included(s.Directives) || !e.applies(s.TypeCondition, typ) {
				continue
			}
			out = e.collectFields(typ, s.SelectionSet, out, visited)
		case *ast.FragmentSpread:
			if !e.included(s.Directives) || visited[s.Name] || s.Definition == nil {
				continue
			}
			visited[s.Name] = true
			if !e.applies(s.Definition.TypeCondition, typ) {
				continue
			}
			out = e.collectFields(typ, s.Definition.SelectionSet, out, visited)
		}
	}
	return out
}

// included evaluates @skip and @include.
func (e *executor) included(dirs ast.DirectiveList) bool {
	for _, d := range dirs {
		if d.Name != "skip" && d.Name != "include" {
			continue
		}
		var cond bool
		if a := d.Arguments.ForName("if"); a != nil {
			v, _ := a.Value.Value(e.vars)
			cond, _ = v.(bool)
		}
		if d.Name == "skip" && cond {
			return false
		}
		if d.Name == "include" && !cond {
			return false
		}
	}
	return true
}

// applies reports whether a fragment on typeCondition applies to objects of
// the concrete type typ.
func (e *executor) applies(typeCondition string, typ *ast.Definition) bool {
	if typeCondition == "" || typeCondition == typ.Name {
		return true
	}
	cond := e.schema.Types[typeCondition]
	if cond == nil || !cond.IsAbstractType() {
		return false
	}
	for _, p := range e.schema.GetPossibleTypes(cond) {
		if p.Name == typ.Name {
			return true
		}
	}
	return false
}

// selectionSet resolves set on obj, an object of concrete type typ. ok is
// false when a non-null field failed, making the whole object null.
func (e *executor) selectionSet(typ *ast.Definition, set ast.SelectionSet, obj any, path []any) (*omap, bool) {
	out := &omap{}
	for _, c := range e.collectFields(typ, set, nil, map[string]bool{}) {
		f := c.fields[0]
		fpath := append(append([]any(nil), path...), c.key)
		if f.Name == "__typename" {
			out.set(c.key, typ.Name)
			continue
		}
		def := typ.Fields.ForName(f.Name)
		if def == nil {
			// Validation guarantees the field exists; be defensive anyway.
			e.addError("", fmt.Sprintf("Field '%s' doesn't exist on type '%s'", f.Name, typ.Name), fpath, f.Position)
			out.set(c.key, nil)
			continue
		}
		val, ok := e.field(typ, def, c.fields, obj, fpath)
		if !ok {
			return nil, false
		}
		out.set(c.key, val)
	}
	return out, true
}

// field resolves and completes one response key. ok is false when the
// value is null (after an error) and the field is non-null, so the null
// must propagate to the parent.
func (e *executor) field(typ *ast.Definition, def *ast.FieldDefinition, fields []*ast.Field, obj any, path []any) (any, bool) {
	f := fields[0]
	res := e.resolvers[typ.Name][f.Name]
	if res == nil {
		e.addError("", fmt.Sprintf("The simulator cannot resolve %s.%s", typ.Name, f.Name), path, f.Position)
		return nil, !def.Type.NonNull
	}
	args := arg2map(def, f, e.vars)
	for _, ad := range def.Arguments {
		// A nullable variable with a default passes validation in a
		// non-null position but may still be sent as null.
		if v, has := args[ad.Name]; ad.Type.NonNull && (!has || v == nil) {
			e.addError("", fmt.Sprintf("Argument '%s' on Field '%s' has an invalid value (null). Expected type '%s'.", ad.Name, f.Name, ad.Type.String()), path, f.Position)
			return nil, !def.Type.NonNull
		}
	}
	val, err := e.call(res, obj, args)
	if err != nil {
		if fe, isFE := err.(*fieldError); isFE {
			e.addFieldError(fe, path, f.Position)
		} else {
			e.addError("", err.Error(), path, f.Position)
		}
		return nil, !def.Type.NonNull
	}
	return e.complete(typ, def, def.Type, fields, val, path)
}

// call runs a resolver, turning a panic (a simulator bug) into a field
// error, worded like GitHub's answer to its own bugs, rather than a dropped
// connection.
func (e *executor) call(res resolverFunc, obj any, args map[string]any) (val any, err error) {
	defer func() {
		if r := recover(); r != nil {
			//lint:ignore ST1005 GitHub's own wording, capital and all.
			val, err = nil, fmt.Errorf("Something went wrong while executing your query. This may be the result of a timeout, or it could be a GitHub bug. (simulator panic: %v)", r)
		}
	}()
	return res(e.rq, obj, args)
}

// arg2map is the field's arguments with variables substituted and defaults
// applied. An argument given as a variable the request left unset counts as
// absent, so the argument's default applies.
func arg2map(def *ast.FieldDefinition, f *ast.Field, vars map[string]any) map[string]any {
	out := map[string]any{}
	for _, ad := range def.Arguments {
		var (
			val any
			has bool
		)
		if a := f.Arguments.ForName(ad.Name); a != nil {
			if a.Value.Kind == ast.Variable {
				val, has = vars[a.Value.Raw]
			} else if v, err := a.Value.Value(vars); err == nil {
				val, has = v, true
			}
		}
		if !has && ad.DefaultValue != nil {
			if v, err := ad.DefaultValue.Value(nil); err == nil {
				val, has = v, true
			}
		}
		if has {
			out[ad.Name] = val
		}
	}
	return out
}

// complete turns a resolved Go value into its JSON form for type t.
func (e *executor) complete(parent *ast.Definition, def *ast.FieldDefinition, t *ast.Type, fields []*ast.Field, val any, path []any) (any, bool) {
	if isNil(val) {
		if t.NonNull {
			e.addError("", fmt.Sprintf("Cannot return null for non-nullable field %s.%s", parent.Name, def.Name), path, fields[0].Position)
			return nil, false
		}
		return nil, true
	}
	v, ok := e.completeNonNull(parent, def, t, fields, val, path)
	if !ok {
		// The error is already recorded; a nullable position absorbs it.
		return nil, !t.NonNull
	}
	return v, true
}

func (e *executor) completeNonNull(parent *ast.Definition, def *ast.FieldDefinition, t *ast.Type, fields []*ast.Field, val any, path []any) (any, bool) {
	if t.Elem != nil {
		rv := reflect.ValueOf(val)
		if rv.Kind() != reflect.Slice {
			e.addError("", fmt.Sprintf("%s.%s resolved to %T, not a list", parent.Name, def.Name, val), path, fields[0].Position)
			return nil, false
		}
		list := make([]any, rv.Len())
		for i := range list {
			ipath := append(append([]any(nil), path...), i)
			item, ok := e.complete(parent, def, t.Elem, fields, rv.Index(i).Interface(), ipath)
			if !ok {
				return nil, false
			}
			list[i] = item
		}
		return list, true
	}
	named := e.schema.Types[t.NamedType]
	if named == nil {
		e.addError("", "unknown type "+t.NamedType, path, fields[0].Position)
		return nil, false
	}
	switch named.Kind {
	case ast.Scalar, ast.Enum:
		s, err := serializeLeaf(named, val)
		if err != nil {
			e.addError("", fmt.Sprintf("%s.%s: %v", parent.Name, def.Name, err), path, fields[0].Position)
			return nil, false
		}
		return s, true
	case ast.Interface, ast.Union:
		tv, isTyped := val.(typed)
		var concrete *ast.Definition
		if isTyped {
			concrete = e.schema.Types[tv.graphQLType()]
		}
		if concrete == nil || !e.applies(named.Name, concrete) {
			e.addError("", fmt.Sprintf("%s.%s: cannot resolve the concrete type of %T", parent.Name, def.Name, val), path, fields[0].Position)
			return nil, false
		}
		named = concrete
	}
	var set ast.SelectionSet
	for _, f := range fields {
		set = append(set, f.SelectionSet...)
	}
	return e.selectionSet(named, set, val, path)
}

func isNil(v any) bool {
	if v == nil {
		return true
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Pointer, reflect.Map, reflect.Slice, reflect.Interface, reflect.Func:
		return rv.IsNil()
	}
	return false
}

// serializeLeaf converts a resolver's Go value into a scalar or enum's JSON
// value. DateTime is written as GitHub writes it: ISO-8601 in UTC.
func serializeLeaf(def *ast.Definition, v any) (any, error) {
	if def.Kind == ast.Enum {
		s, ok := v.(string)
		if !ok || def.EnumValues.ForName(s) == nil {
			return nil, fmt.Errorf("%v is not a value of enum %s", v, def.Name)
		}
		return s, nil
	}
	switch def.Name {
	case "Int":
		switch n := v.(type) {
		case int:
			if n > math.MaxInt32 || n < math.MinInt32 {
				return nil, fmt.Errorf("%d does not fit in Int", n)
			}
			return n, nil
		case int64:
			return int(n), nil
		}
	case "Float":
		switch n := v.(type) {
		case float64:
			return n, nil
		case int:
			return float64(n), nil
		}
	case "Boolean":
		if b, ok := v.(bool); ok {
			return b, nil
		}
	case "DateTime":
		switch t := v.(type) {
		case time.Time:
			return t.UTC().Format(time.RFC3339), nil
		case *time.Time:
			return t.UTC().Format(time.RFC3339), nil
		}
	default: // String, ID and GitHub's string-like scalars.
		switch s := v.(type) {
		case string:
			return s, nil
		case int:
			if def.Name == "ID" {
				return strconv.Itoa(s), nil
			}
		}
	}
	return nil, fmt.Errorf("cannot serialize %T as %s", v, def.Name)
}

// omap is a JSON object that keeps its keys in insertion order.
type omap struct {
	keys []string
	vals []any
}

func (m *omap) set(k string, v any) {
	for i, have := range m.keys {
		if have == k {
			m.vals[i] = v
			return
		}
	}
	m.keys = append(m.keys, k)
	m.vals = append(m.vals, v)
}

// MarshalJSON writes the object with its keys in order.
func (m *omap) MarshalJSON() ([]byte, error) {
	var buf bytes.Buffer
	if err := writeJSON(&buf, m); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// writeJSON writes v without escaping HTML characters, as GitHub does.
func writeJSON(buf *bytes.Buffer, v any) error {
	switch x := v.(type) {
	case *omap:
		if x == nil {
			buf.WriteString("null")
			return nil
		}
		buf.WriteByte('{')
		for i, k := range x.keys {
			if i > 0 {
				buf.WriteByte(',')
			}
			if err := writeJSON(buf, k); err != nil {
				return err
			}
			buf.WriteByte(':')
			if err := writeJSON(buf, x.vals[i]); err != nil {
				return err
			}
		}
		buf.WriteByte('}')
		return nil
	case []any:
		buf.WriteByte('[')
		for i, item := range x {
			if i > 0 {
				buf.WriteByte(',')
			}
			if err := writeJSON(buf, item); err != nil {
				return err
			}
		}
		buf.WriteByte(']')
		return nil
	}
	var tmp bytes.Buffer
	enc := json.NewEncoder(&tmp)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return err
	}
	buf.Write(bytes.TrimSuffix(tmp.Bytes(), []byte("\n")))
	return nil
}
