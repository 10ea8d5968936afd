package githubsim

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"

	"github.com/vektah/gqlparser/v2/ast"
)

// maxPageSize is GitHub's limit on first and last.
const maxPageSize = 100

// analysis is what GitHub works out about a query before running it:
// pagination-argument errors, how many nodes it may return and what it
// costs.
type analysis struct {
	errors    []*gqlError
	nodeCount int
	requests  int  // connection fetches, for the cost
	cost      int  // rate-limit points
	dryRun    bool // rateLimit(dryRun: true) was asked for
}

// analyze checks every connection's first/last and computes the rate-limit
// cost the way GitHub documents it: each connection costs one request per
// parent node that may hold it, the cost is the total divided by 100 and
// rounded, at least 1; nodeCount multiplies page sizes down the tree.
func analyze(schema *ast.Schema, op *ast.OperationDefinition, vars map[string]any) *analysis {
	an := &analysis{}
	a := analyzer{vars: vars, an: an}
	a.walk(op.SelectionSet, nil, 1, map[string]bool{})
	an.cost = max(1, int(math.Round(float64(an.requests)/100)))
	for _, sel := range op.SelectionSet {
		if f, ok := sel.(*ast.Field); ok && f.Name == "rateLimit" && f.Definition != nil {
			if dry, _ := arg2map(f.Definition, f, vars)["dryRun"].(bool); dry {
				an.dryRun = true
			}
		}
	}
	return an
}

type analyzer struct {
	vars map[string]any
	an   *analysis
}

func (a *analyzer) walk(set ast.SelectionSet, path []any, mult int, visiting map[string]bool) {
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			key := s.Alias
			if key == "" {
				key = s.Name
			}
			fpath := append(append([]any(nil), path...), key)
			childMult := mult
			if isConnection(s.Definition) {
				size, ok := a.connection(s, fpath)
				if !ok {
					continue
				}
				a.an.requests += mult
				a.an.nodeCount += mult * size
				childMult = mult * max(size, 1)
			}
			if len(s.SelectionSet) > 0 {
				a.walk(s.SelectionSet, fpath, childMult, visiting)
			}
		case *ast.InlineFragment:
			a.walk(s.SelectionSet, path, mult, visiting)
		case *ast.FragmentSpread:
			if s.Definition == nil || visiting[s.Name] {
				continue
			}
			visiting[s.Name] = true
			a.walk(s.Definition.SelectionSet, path, mult, visiting)
			delete(visiting, s.Name)
		}
	}
}

// isConnection reports whether def is a Relay connection field paginated by
// first/last.
func isConnection(def *ast.FieldDefinition) bool {
	return def != nil && strings.HasSuffix(def.Type.Name(), "Connection") &&
		def.Arguments.ForName("first") != nil && def.Arguments.ForName("last") != nil
}

// connection checks one connection field's pagination arguments and
// returns the page size it asks for.
func (a *analyzer) connection(f *ast.Field, path []any) (int, bool) {
	args := arg2map(f.Definition, f, a.vars)
	first, hasFirst := intArg(args, "first")
	last, hasLast := intArg(args, "last")
	fail := func(typ, msg string) (int, bool) {
		a.an.errors = append(a.an.errors, &gqlError{Type: typ, Path: path, Locations: locationsOf(f.Position), Message: msg})
		return 0, false
	}
	switch {
	case hasFirst && hasLast:
		return fail("", fmt.Sprintf("Passing both `first` and `last` to paginate the `%s` connection is not supported.", f.Name))
	case hasFirst && first < 0:
		return fail("", fmt.Sprintf("`first` on the `%s` connection cannot be less than zero.", f.Name))
	case hasLast && last < 0:
		return fail("", fmt.Sprintf("`last` on the `%s` connection cannot be less than zero.", f.Name))
	case hasFirst && first > maxPageSize:
		return fail("EXCESSIVE_PAGINATION", fmt.Sprintf("Requesting %d records on the `%s` connection exceeds the `first` limit of %d records.", first, f.Name, maxPageSize))
	case hasLast && last > maxPageSize:
		return fail("EXCESSIVE_PAGINATION", fmt.Sprintf("Requesting %d records on the `%s` connection exceeds the `last` limit of %d records.", last, f.Name, maxPageSize))
	case hasFirst:
		return first, true
	case hasLast:
		return last, true
	}
	if selectsItems(f.SelectionSet, map[string]bool{}) {
		return fail("MISSING_PAGINATION_BOUNDARIES", fmt.Sprintf("You must provide a `first` or `last` value to properly paginate the `%s` connection.", f.Name))
	}
	return 0, true
}

// selectsItems reports whether a connection's selection asks for its
// nodes or edges (looking through fragments).
func selectsItems(set ast.SelectionSet, visiting map[string]bool) bool {
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			if s.Name == "nodes" || s.Name == "edges" {
				return true
			}
		case *ast.InlineFragment:
			if selectsItems(s.SelectionSet, visiting) {
				return true
			}
		case *ast.FragmentSpread:
			if s.Definition == nil || visiting[s.Name] {
				continue
			}
			visiting[s.Name] = true
			if selectsItems(s.Definition.SelectionSet, visiting) {
				return true
			}
		}
	}
	return false
}

// intArg reads an Int argument; a null or absent one is not set.
func intArg(args map[string]any, name string) (int, bool) {
	switch n := args[name].(type) {
	case int64:
		return int(n), true
	case int:
		return n, true
	case float64:
		return int(n), true
	case json.Number:
		i, err := n.Int64()
		return int(i), err == nil
	}
	return 0, false
}

// stringArg reads a String argument; a null or absent one is not set.
func stringArg(args map[string]any, name string) (string, bool) {
	s, ok := args[name].(string)
	return s, ok
}
