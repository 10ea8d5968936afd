package githubsim

// Introspection (__schema, __type) over the loaded SDL, as resolvers in the
// same table as GitHub's types, so tools can discover what the simulator
// serves the way they discover GitHub's API.

import (
	"sort"
	"strings"

	"github.com/vektah/gqlparser/v2/ast"
)

// introType is a __Type: a named definition, or a LIST / NON_NULL wrapper
// around ofType.
type introType struct {
	kind   string
	def    *ast.Definition // named types
	ofType *ast.Type       // wrappers
}

// introInput is an __InputValue: an argument or an input object field.
type introInput struct {
	name, description string
	typ               *ast.Type
	defaultValue      *ast.Value
	directives        ast.DirectiveList
}

func namedIntroType(def *ast.Definition) *introType {
	if def == nil {
		return nil
	}
	kind := map[ast.DefinitionKind]string{
		ast.Scalar: "SCALAR", ast.Object: "OBJECT", ast.Interface: "INTERFACE",
		ast.Union: "UNION", ast.Enum: "ENUM", ast.InputObject: "INPUT_OBJECT",
	}[def.Kind]
	return &introType{kind: kind, def: def}
}

func refIntroType(s *ast.Schema, t *ast.Type) *introType {
	switch {
	case t.NonNull:
		inner := *t
		inner.NonNull = false
		return &introType{kind: "NON_NULL", ofType: &inner}
	case t.Elem != nil:
		return &introType{kind: "LIST", ofType: t.Elem}
	}
	return namedIntroType(s.Types[t.NamedType])
}

func deprecation(dirs ast.DirectiveList) (bool, any) {
	d := dirs.ForName("deprecated")
	if d == nil {
		return false, nil
	}
	reason := "No longer supported"
	if a := d.Arguments.ForName("reason"); a != nil && a.Value != nil {
		reason = a.Value.Raw
	}
	return true, reason
}

func wantDeprecated(args map[string]any) bool {
	b, _ := args["includeDeprecated"].(bool)
	return b
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func addIntrospection(t resolverTable) {
	t.add("Query", "__schema", func(rq *request, _ any, _ map[string]any) (any, error) { return rq.schema, nil })
	t.add("Query", "__type", func(rq *request, _ any, args map[string]any) (any, error) {
		name, _ := stringArg(args, "name")
		if it := namedIntroType(rq.schema.Types[name]); it != nil {
			return it, nil
		}
		return nil, nil
	})

	t.add("__Schema", "description", func(_ *request, obj any, _ map[string]any) (any, error) {
		return nullable(obj.(*ast.Schema).Description), nil
	})
	t.add("__Schema", "types", func(_ *request, obj any, _ map[string]any) (any, error) {
		s := obj.(*ast.Schema)
		names := make([]string, 0, len(s.Types))
		for n := range s.Types {
			names = append(names, n)
		}
		sort.Strings(names)
		out := make([]any, 0, len(names))
		for _, n := range names {
			out = append(out, namedIntroType(s.Types[n]))
		}
		return out, nil
	})
	root := func(pick func(s *ast.Schema) *ast.Definition) resolverFunc {
		return func(_ *request, obj any, _ map[string]any) (any, error) {
			if it := namedIntroType(pick(obj.(*ast.Schema))); it != nil {
				return it, nil
			}
			return nil, nil
		}
	}
	t.add("__Schema", "queryType", root(func(s *ast.Schema) *ast.Definition { return s.Query }))
	t.add("__Schema", "mutationType", root(func(s *ast.Schema) *ast.Definition { return s.Mutation }))
	t.add("__Schema", "subscriptionType", root(func(s *ast.Schema) *ast.Definition { return s.Subscription }))
	t.add("__Schema", "directives", func(_ *request, obj any, _ map[string]any) (any, error) {
		s := obj.(*ast.Schema)
		names := make([]string, 0, len(s.Directives))
		for n := range s.Directives {
			names = append(names, n)
		}
		sort.Strings(names)
		out := make([]any, 0, len(names))
		for _, n := range names {
			out = append(out, s.Directives[n])
		}
		return out, nil
	})

	typ := func(f func(rq *request, it *introType, args map[string]any) any) resolverFunc {
		return func(rq *request, obj any, args map[string]any) (any, error) {
			return f(rq, obj.(*introType), args), nil
		}
	}
	t.add("__Type", "kind", typ(func(_ *request, it *introType, _ map[string]any) any { return it.kind }))
	t.add("__Type", "name", typ(func(_ *request, it *introType, _ map[string]any) any {
		if it.def == nil {
			return nil
		}
		return it.def.Name
	}))
	t.add("__Type", "description", typ(func(_ *request, it *introType, _ map[string]any) any {
		if it.def == nil {
			return nil
		}
		return nullable(it.def.Description)
	}))
	t.add("__Type", "specifiedByURL", typ(func(_ *request, it *introType, _ map[string]any) any {
		if it.def == nil || it.def.Kind != ast.Scalar {
			return nil
		}
		if d := it.def.Directives.ForName("specifiedBy"); d != nil {
			if a := d.Arguments.ForName("url"); a != nil && a.Value != nil {
				return a.Value.Raw
			}
		}
		return nil
	}))
	t.add("__Type", "fields", typ(func(_ *request, it *introType, args map[string]any) any {
		if it.def == nil || (it.def.Kind != ast.Object && it.def.Kind != ast.Interface) {
			return nil
		}
		out := []any{}
		for _, f := range it.def.Fields {
			if strings.HasPrefix(f.Name, "__") {
				continue
			}
			if dep, _ := deprecation(f.Directives); dep && !wantDeprecated(args) {
				continue
			}
			out = append(out, f)
		}
		return out
	}))
	t.add("__Type", "interfaces", typ(func(rq *request, it *introType, _ map[string]any) any {
		if it.def == nil || (it.def.Kind != ast.Object && it.def.Kind != ast.Interface) {
			return nil
		}
		out := []any{}
		for _, n := range it.def.Interfaces {
			out = append(out, namedIntroType(rq.schema.Types[n]))
		}
		return out
	}))
	t.add("__Type", "possibleTypes", typ(func(rq *request, it *introType, _ map[string]any) any {
		if it.def == nil || !it.def.IsAbstractType() {
			return nil
		}
		possible := rq.schema.GetPossibleTypes(it.def)
		names := make([]string, 0, len(possible))
		for _, p := range possible {
			names = append(names, p.Name)
		}
		sort.Strings(names)
		out := []any{}
		for _, n := range names {
			out = append(out, namedIntroType(rq.schema.Types[n]))
		}
		return out
	}))
	t.add("__Type", "enumValues", typ(func(_ *request, it *introType, args map[string]any) any {
		if it.def == nil || it.def.Kind != ast.Enum {
			return nil
		}
		out := []any{}
		for _, v := range it.def.EnumValues {
			if dep, _ := deprecation(v.Directives); dep && !wantDeprecated(args) {
				continue
			}
			out = append(out, v)
		}
		return out
	}))
	t.add("__Type", "inputFields", typ(func(_ *request, it *introType, args map[string]any) any {
		if it.def == nil || it.def.Kind != ast.InputObject {
			return nil
		}
		out := []any{}
		for _, f := range it.def.Fields {
			if dep, _ := deprecation(f.Directives); dep && !wantDeprecated(args) {
				continue
			}
			out = append(out, &introInput{name: f.Name, description: f.Description, typ: f.Type, defaultValue: f.DefaultValue, directives: f.Directives})
		}
		return out
	}))
	t.add("__Type", "ofType", typ(func(rq *request, it *introType, _ map[string]any) any {
		if it.ofType == nil {
			return nil
		}
		return refIntroType(rq.schema, it.ofType)
	}))
	t.add("__Type", "isOneOf", typ(func(_ *request, it *introType, _ map[string]any) any {
		if it.def == nil || it.def.Kind != ast.InputObject {
			return nil
		}
		return it.def.Directives.ForName("oneOf") != nil
	}))

	inputs := func(list ast.ArgumentDefinitionList, args map[string]any) []any {
		out := []any{}
		for _, a := range list {
			if dep, _ := deprecation(a.Directives); dep && !wantDeprecated(args) {
				continue
			}
			out = append(out, &introInput{name: a.Name, description: a.Description, typ: a.Type, defaultValue: a.DefaultValue, directives: a.Directives})
		}
		return out
	}

	field := func(f func(rq *request, fd *ast.FieldDefinition, args map[string]any) any) resolverFunc {
		return func(rq *request, obj any, args map[string]any) (any, error) {
			return f(rq, obj.(*ast.FieldDefinition), args), nil
		}
	}
	t.add("__Field", "name", field(func(_ *request, fd *ast.FieldDefinition, _ map[string]any) any { return fd.Name }))
	t.add("__Field", "description", field(func(_ *request, fd *ast.FieldDefinition, _ map[string]any) any { return nullable(fd.Description) }))
	t.add("__Field", "args", field(func(_ *request, fd *ast.FieldDefinition, args map[string]any) any { return inputs(fd.Arguments, args) }))
	t.add("__Field", "type", field(func(rq *request, fd *ast.FieldDefinition, _ map[string]any) any {
		return refIntroType(rq.schema, fd.Type)
	}))
	t.add("__Field", "isDeprecated", field(func(_ *request, fd *ast.FieldDefinition, _ map[string]any) any {
		dep, _ := deprecation(fd.Directives)
		return dep
	}))
	t.add("__Field", "deprecationReason", field(func(_ *request, fd *ast.FieldDefinition, _ map[string]any) any {
		_, reason := deprecation(fd.Directives)
		return reason
	}))

	input := func(f func(rq *request, in *introInput) any) resolverFunc {
		return func(rq *request, obj any, _ map[string]any) (any, error) { return f(rq, obj.(*introInput)), nil }
	}
	t.add("__InputValue", "name", input(func(_ *request, in *introInput) any { return in.name }))
	t.add("__InputValue", "description", input(func(_ *request, in *introInput) any { return nullable(in.description) }))
	t.add("__InputValue", "type", input(func(rq *request, in *introInput) any { return refIntroType(rq.schema, in.typ) }))
	t.add("__InputValue", "defaultValue", input(func(_ *request, in *introInput) any {
		if in.defaultValue == nil {
			return nil
		}
		return in.defaultValue.String()
	}))
	t.add("__InputValue", "isDeprecated", input(func(_ *request, in *introInput) any {
		dep, _ := deprecation(in.directives)
		return dep
	}))
	t.add("__InputValue", "deprecationReason", input(func(_ *request, in *introInput) any {
		_, reason := deprecation(in.directives)
		return reason
	}))

	enum := func(f func(v *ast.EnumValueDefinition) any) resolverFunc {
		return func(_ *request, obj any, _ map[string]any) (any, error) {
			return f(obj.(*ast.EnumValueDefinition)), nil
		}
	}
	t.add("__EnumValue", "name", enum(func(v *ast.EnumValueDefinition) any { return v.Name }))
	t.add("__EnumValue", "description", enum(func(v *ast.EnumValueDefinition) any { return nullable(v.Description) }))
	t.add("__EnumValue", "isDeprecated", enum(func(v *ast.EnumValueDefinition) any { dep, _ := deprecation(v.Directives); return dep }))
	t.add("__EnumValue", "deprecationReason", enum(func(v *ast.EnumValueDefinition) any { _, r := deprecation(v.Directives); return r }))

	dir := func(f func(d *ast.DirectiveDefinition, args map[string]any) any) resolverFunc {
		return func(_ *request, obj any, args map[string]any) (any, error) {
			return f(obj.(*ast.DirectiveDefinition), args), nil
		}
	}
	t.add("__Directive", "name", dir(func(d *ast.DirectiveDefinition, _ map[string]any) any { return d.Name }))
	t.add("__Directive", "description", dir(func(d *ast.DirectiveDefinition, _ map[string]any) any { return nullable(d.Description) }))
	t.add("__Directive", "isRepeatable", dir(func(d *ast.DirectiveDefinition, _ map[string]any) any { return d.IsRepeatable }))
	t.add("__Directive", "locations", dir(func(d *ast.DirectiveDefinition, _ map[string]any) any {
		out := make([]any, 0, len(d.Locations))
		for _, l := range d.Locations {
			out = append(out, string(l))
		}
		return out
	}))
	t.add("__Directive", "args", dir(func(d *ast.DirectiveDefinition, args map[string]any) any { return inputs(d.Arguments, args) }))
}
