package githubsim

import (
	"encoding/json"
	"os"
	"sort"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"
	"github.com/vektah/gqlparser/v2/validator"

	"github.com/fixproof/fixproof/internal/contract"
)

func TestSDLParsesAndEveryFieldHasAResolver(t *testing.T) {
	schema, err := loadSchema()
	if err != nil {
		t.Fatal(err)
	}
	if schema.Query == nil || schema.Query.Name != "Query" || schema.Mutation != nil {
		t.Fatalf("root types: query %v mutation %v", schema.Query, schema.Mutation)
	}
	res := githubResolvers()
	for _, def := range schema.Types {
		// Built-in object types are the introspection ones, served too.
		if def.Kind != ast.Object {
			continue
		}
		for _, f := range def.Fields {
			if strings.HasPrefix(f.Name, "__") {
				continue
			}
			if res[def.Name][f.Name] == nil {
				t.Errorf("no resolver for %s.%s", def.Name, f.Name)
			}
		}
	}
	for typ, fields := range res {
		def := schema.Types[typ]
		if def == nil {
			t.Errorf("resolvers for unknown type %s", typ)
			continue
		}
		for f := range fields {
			if def.Fields.ForName(f) == nil {
				t.Errorf("resolver for unknown field %s.%s", typ, f)
			}
		}
	}
}

// contractsSchema is the path of GitHub's published schema in the shared
// contracts directory (see contract.Dir).
func contractsSchema(t *testing.T) string {
	t.Helper()
	return contract.RequireFile(t, "github/schema.graphql")
}

// loadGitHubSchema loads GitHub's schema file. The published file defines
// a few fields twice in one type, which gqlparser rejects, so later
// duplicates are dropped from the AST before validation.
func loadGitHubSchema(t *testing.T, path string) *ast.Schema {
	t.Helper()
	src, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := parser.ParseSchemas(validator.Prelude, &ast.Source{Name: path, Input: string(src)})
	if err != nil {
		t.Fatalf("parsing %s: %v", path, err)
	}
	dedupe := func(defs ast.DefinitionList) {
		for _, def := range defs {
			seen := map[string]bool{}
			kept := def.Fields[:0]
			for _, f := range def.Fields {
				if !seen[f.Name] {
					seen[f.Name] = true
					kept = append(kept, f)
				}
			}
			def.Fields = kept
		}
	}
	dedupe(doc.Definitions)
	dedupe(doc.Extensions)
	schema, err := validator.ValidateSchemaDocument(doc)
	if err != nil {
		t.Fatalf("loading %s: %v", path, err)
	}
	return schema
}

func TestSDLIsASubsetOfGitHubsSchema(t *testing.T) {
	gh := loadGitHubSchema(t, contractsSchema(t))
	ours, err := loadSchema()
	if err != nil {
		t.Fatal(err)
	}
	names := make([]string, 0, len(ours.Types))
	for name, def := range ours.Types {
		if !def.BuiltIn {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	checked := 0
	for _, name := range names {
		def := ours.Types[name]
		theirs := gh.Types[name]
		if theirs == nil {
			t.Errorf("type %s is not in GitHub's schema", name)
			continue
		}
		if def.Kind != theirs.Kind {
			t.Errorf("%s is a %s here but a %s in GitHub's schema", name, def.Kind, theirs.Kind)
			continue
		}
		for _, iface := range def.Interfaces {
			if !contains(theirs.Interfaces, iface) {
				t.Errorf("%s implements %s here but not in GitHub's schema (%v)", name, iface, theirs.Interfaces)
			}
		}
		for _, v := range def.EnumValues {
			if theirs.EnumValues.ForName(v.Name) == nil {
				t.Errorf("enum value %s.%s is not in GitHub's schema", name, v.Name)
			}
		}
		if def.Kind == ast.Enum && len(def.EnumValues) != len(theirs.EnumValues) {
			t.Errorf("enum %s has %d values here, %d in GitHub's schema", name, len(def.EnumValues), len(theirs.EnumValues))
		}
		for _, f := range def.Fields {
			if strings.HasPrefix(f.Name, "__") {
				continue
			}
			checked++
			tf := theirs.Fields.ForName(f.Name)
			if tf == nil {
				t.Errorf("field %s.%s is not in GitHub's schema", name, f.Name)
				continue
			}
			if f.Type.String() != tf.Type.String() {
				t.Errorf("%s.%s is %s here but %s in GitHub's schema", name, f.Name, f.Type, tf.Type)
			}
			for _, a := range f.Arguments {
				ta := tf.Arguments.ForName(a.Name)
				if ta == nil {
					t.Errorf("argument %s.%s(%s) is not in GitHub's schema", name, f.Name, a.Name)
					continue
				}
				if a.Type.String() != ta.Type.String() {
					t.Errorf("argument %s.%s(%s) is %s here but %s in GitHub's schema", name, f.Name, a.Name, a.Type, ta.Type)
				}
				if valueString(a.DefaultValue) != valueString(ta.DefaultValue) {
					t.Errorf("argument %s.%s(%s) defaults to %s here but %s in GitHub's schema",
						name, f.Name, a.Name, valueString(a.DefaultValue), valueString(ta.DefaultValue))
				}
			}
			// An argument GitHub requires must be declared here too, or
			// queries valid here would fail on GitHub.
			for _, ta := range tf.Arguments {
				if ta.Type.NonNull && ta.DefaultValue == nil && f.Arguments.ForName(ta.Name) == nil {
					t.Errorf("%s.%s lacks GitHub's required argument %s", name, f.Name, ta.Name)
				}
			}
		}
	}
	if checked < 60 {
		t.Errorf("only %d fields checked; is the SDL loaded?", checked)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func valueString(v *ast.Value) string {
	if v == nil {
		return "<none>"
	}
	return v.String()
}

func TestIntrospection(t *testing.T) {
	_, ts := newTestServer(t)
	const typeRef = `kind name ofType { kind name ofType { kind name ofType { kind name } } }`
	query := `query IntrospectionQuery {
	  __schema {
	    queryType { name } mutationType { name } subscriptionType { name }
	    types { kind name fields(includeDeprecated: true) { name args { name defaultValue type { ` + typeRef + ` } } type { ` + typeRef + ` } isDeprecated }
	      interfaces { name } possibleTypes { name } enumValues(includeDeprecated: true) { name } inputFields { name } }
	    directives { name locations args { name type { ` + typeRef + ` } } }
	  }
	  pageInfo: __type(name: "PageInfo") { kind fields { name type { kind ofType { name } } } }
	  missing: __type(name: "Nope") { name }
	}`
	var resp struct {
		Data struct {
			Schema struct {
				QueryType    struct{ Name string }
				MutationType *struct{ Name string }
				Types        []struct {
					Kind, Name string
					Fields     []struct {
						Name string
						Args []struct {
							Name         string
							DefaultValue *string
							Type         map[string]any
						}
						Type map[string]any
					}
					Interfaces    []struct{ Name string }
					PossibleTypes []struct{ Name string }
					EnumValues    []struct{ Name string }
				}
				Directives []struct{ Name string }
			} `json:"__schema"`
			PageInfo struct {
				Kind   string
				Fields []struct {
					Name string
					Type struct {
						Kind   string
						OfType *struct{ Name string }
					}
				}
			}
			Missing *struct{ Name string }
		}
		Errors []any
	}
	body := gql(t, ts, query, nil)
	if err := json.Unmarshal([]byte(body), &resp); err != nil || len(resp.Errors) > 0 {
		t.Fatalf("%v %s", err, body)
	}
	s := resp.Data.Schema
	if s.QueryType.Name != "Query" || s.MutationType != nil || resp.Data.Missing != nil {
		t.Errorf("roots: %+v missing %+v", s.QueryType, resp.Data.Missing)
	}
	types := map[string]int{}
	for i, ty := range s.Types {
		types[ty.Name] = i
	}
	for _, name := range []string{"Query", "PullRequest", "Actor", "PullRequestState", "DateTime", "String", "__Schema"} {
		if _, ok := types[name]; !ok {
			t.Errorf("type %s missing from __schema.types", name)
		}
	}
	q := s.Types[types["Query"]]
	if len(q.Fields) != 2 || q.Fields[0].Name != "repository" || q.Fields[1].Name != "rateLimit" {
		t.Errorf("Query fields: %+v", q.Fields)
	}
	follow := q.Fields[0].Args[2]
	if follow.Name != "followRenames" || follow.DefaultValue == nil || *follow.DefaultValue != "true" || follow.Type["name"] != "Boolean" {
		t.Errorf("followRenames: %+v", follow)
	}
	owner := q.Fields[0].Args[0].Type
	if owner["kind"] != "NON_NULL" || owner["ofType"].(map[string]any)["name"] != "String" {
		t.Errorf("owner arg type: %v", owner)
	}
	var possible []string
	for _, p := range s.Types[types["Actor"]].PossibleTypes {
		possible = append(possible, p.Name)
	}
	if strings.Join(possible, ",") != "Bot,Organization,User" {
		t.Errorf("Actor possible types: %v", possible)
	}
	if e := s.Types[types["PullRequestState"]]; e.Kind != "ENUM" || len(e.EnumValues) != 3 {
		t.Errorf("PullRequestState: %+v", e)
	}
	if len(s.Types[types["User"]].Interfaces) != 2 {
		t.Errorf("User interfaces: %+v", s.Types[types["User"]].Interfaces)
	}
	pi := resp.Data.PageInfo
	if pi.Kind != "OBJECT" || len(pi.Fields) != 4 || pi.Fields[0].Name != "hasNextPage" ||
		pi.Fields[0].Type.Kind != "NON_NULL" || pi.Fields[0].Type.OfType.Name != "Boolean" || pi.Fields[2].Type.Kind != "SCALAR" {
		t.Errorf("PageInfo: %+v", pi)
	}
	found := false
	for _, d := range s.Directives {
		found = found || d.Name == "skip"
	}
	if !found {
		t.Errorf("directives: %+v", s.Directives)
	}
}
