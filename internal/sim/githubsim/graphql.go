package githubsim

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/parser"
	"github.com/vektah/gqlparser/v2/validator"
)

const graphqlDocs = "https://docs.github.com/graphql"

// request is the per-request state resolvers see.
type request struct {
	s      *Server
	who    *principal
	schema *ast.Schema
	rate   rateSnapshot
}

// rateSnapshot is the rate-limit state after charging this query.
type rateSnapshot struct {
	cost, limit, nodeCount, remaining, used int
	resetAt                                 time.Time
}

// serveGraphQL handles POST /graphql and POST /api/graphql.
func (s *Server) serveGraphQL(w http.ResponseWriter, r *http.Request) {
	s.stampRequest(w)

	who, ok := s.authenticate(r)
	if !ok {
		writeMessage(w, http.StatusUnauthorized, "Bad credentials", graphqlDocs)
		return
	}
	standing, _ := s.charge(&analysis{dryRun: true}, who) // the budget as it stands
	setRateHeaders(w, standing)
	s.rateMu.Lock()
	admitted := s.admitSecondary(w, r, true)
	s.rateMu.Unlock()
	if !admitted {
		return
	}
	raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 10<<20))
	if err != nil {
		writeMessage(w, http.StatusBadRequest, "Problems parsing JSON", graphqlDocs)
		return
	}
	var in struct {
		Query         any `json:"query"`
		Variables     any `json:"variables"`
		OperationName any `json:"operationName"`
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&in); err != nil {
		writeMessage(w, http.StatusBadRequest, "Problems parsing JSON", graphqlDocs)
		return
	}
	query, ok := in.Query.(string)
	if !ok || strings.TrimSpace(query) == "" {
		writeErrors(w, &gqlError{Message: "A query attribute must be specified and must be a string."})
		return
	}
	vars, ok := variablesOf(in.Variables)
	if !ok {
		writeErrors(w, &gqlError{Message: "Variables are invalid JSON."})
		return
	}
	opName, _ := in.OperationName.(string)
	s.execute(w, who, query, opName, vars)
}

// variablesOf accepts variables as a JSON object, null, or a string holding
// a JSON object (some clients send them that way).
func variablesOf(v any) (map[string]any, bool) {
	switch x := v.(type) {
	case nil:
		return map[string]any{}, true
	case map[string]any:
		return x, true
	case string:
		if strings.TrimSpace(x) == "" {
			return map[string]any{}, true
		}
		var m map[string]any
		dec := json.NewDecoder(strings.NewReader(x))
		dec.UseNumber()
		if err := dec.Decode(&m); err != nil {
			return nil, false
		}
		if m == nil {
			m = map[string]any{}
		}
		return m, true
	}
	return nil, false
}

func (s *Server) execute(w http.ResponseWriter, who *principal, query, opName string, rawVars map[string]any) {
	schema, err := loadSchema()
	if err != nil {
		writeErrors(w, &gqlError{Message: err.Error()})
		return
	}
	doc, err := parser.ParseQuery(&ast.Source{Name: "query", Input: query})
	if err != nil {
		var ge *gqlerror.Error
		if errors.As(err, &ge) {
			writeErrors(w, &gqlError{Locations: gqlLocations(ge.Locations), Message: ge.Message})
		} else {
			writeErrors(w, &gqlError{Message: err.Error()})
		}
		return
	}
	if list := validator.ValidateWithRules(schema, doc, nil); len(list) > 0 {
		out := make([]*gqlError, 0, len(list))
		for _, ge := range list {
			out = append(out, githubValidationError(ge))
		}
		writeErrors(w, out...)
		return
	}

	var op *ast.OperationDefinition
	switch {
	case opName != "":
		op = doc.Operations.ForName(opName)
		if op == nil {
			writeErrors(w, &gqlError{Message: fmt.Sprintf("No operation named %q", opName)})
			return
		}
	case len(doc.Operations) == 1:
		op = doc.Operations[0]
	default:
		writeErrors(w, &gqlError{Message: "An operation name is required"})
		return
	}

	vars, err := validator.VariableValues(schema, op, rawVars)
	if err != nil {
		writeErrors(w, variableError(op, rawVars, err))
		return
	}

	an := analyze(schema, op, vars)
	if len(an.errors) > 0 {
		writeErrors(w, an.errors...)
		return
	}

	rate, ok := s.charge(an, who)
	setRateHeaders(w, rate)
	if !ok {
		// GitHub's answer to a spent budget: 200, errors only.
		e := &omap{}
		e.set("type", "RATE_LIMITED")
		e.set("message", "API rate limit exceeded for "+who.rateLimitedFor()+".")
		resp := &omap{}
		resp.set("errors", []any{e})
		writeBody(w, http.StatusOK, resp)
		return
	}
	rq := &request{s: s, who: who, schema: schema, rate: rate}

	ex := &executor{schema: schema, resolvers: s.resolvers, vars: vars, rq: rq}
	s.mu.RLock()
	data := ex.execute(op, struct{}{})
	s.mu.RUnlock()

	resp := &omap{}
	if d, ok := data.(*omap); ok && d != nil {
		resp.set("data", d)
	} else {
		resp.set("data", nil)
	}
	if len(ex.errors) > 0 {
		resp.set("errors", ex.errors)
	}
	writeBody(w, http.StatusOK, resp)
}

// writeErrors answers 200 with only "errors", as GitHub does for requests
// that fail before execution (parse, validation, variables, pagination).
func writeErrors(w http.ResponseWriter, errs ...*gqlError) {
	resp := &omap{}
	resp.set("errors", errs)
	writeBody(w, http.StatusOK, resp)
}

func gqlLocations(ls []gqlerror.Location) []location {
	var out []location
	for _, l := range ls {
		out = append(out, location{Line: l.Line, Column: l.Column})
	}
	return out
}

var (
	reUndefinedField = regexp.MustCompile(`^Cannot query field "([^"]+)" on type "([^"]+)"\.`)
	reUnknownArg     = regexp.MustCompile(`^Unknown argument "([^"]+)" on field "([^".]+)\.([^"]+)"\.`)
	reMissingArg     = regexp.MustCompile(`^Field "([^"]+)" argument "([^"]+)" of type "[^"]+" is required, but it was not provided\.`)
)

// githubValidationError turns a gqlparser validation error into the shape
// GitHub (graphql-ruby) gives the most common ones; others keep gqlparser's
// message.
func githubValidationError(ge *gqlerror.Error) *gqlError {
	out := &gqlError{Locations: gqlLocations(ge.Locations), Message: ge.Message}
	ext := &omap{}
	if m := reUndefinedField.FindStringSubmatch(ge.Message); m != nil {
		out.Message = fmt.Sprintf("Field '%s' doesn't exist on type '%s'", m[1], m[2])
		ext.set("code", "undefinedField")
		ext.set("typeName", m[2])
		ext.set("fieldName", m[1])
	} else if m := reUnknownArg.FindStringSubmatch(ge.Message); m != nil {
		out.Message = fmt.Sprintf("Field '%s' doesn't accept argument '%s'", m[3], m[1])
		ext.set("code", "argumentNotAccepted")
		ext.set("name", m[3])
		ext.set("typeName", "Field")
		ext.set("argumentName", m[1])
	} else if m := reMissingArg.FindStringSubmatch(ge.Message); m != nil {
		out.Message = fmt.Sprintf("Field '%s' is missing required arguments: %s", m[1], m[2])
		ext.set("code", "missingRequiredArguments")
		ext.set("className", "Field")
		ext.set("name", m[1])
		ext.set("arguments", m[2])
	}
	if len(ext.keys) > 0 {
		out.Extensions = ext
	}
	return out
}

// variableError reports a variable the request gave a wrong value (or
// none), worded as GitHub words it.
func variableError(op *ast.OperationDefinition, raw map[string]any, err error) *gqlError {
	var ge *gqlerror.Error
	if !errors.As(err, &ge) || len(ge.Path) < 2 {
		return &gqlError{Message: err.Error()}
	}
	name, _ := ge.Path[1].(ast.PathName)
	def := op.VariableDefinitions.ForName(string(name))
	if def == nil {
		return &gqlError{Message: err.Error()}
	}
	problemPath := []any{}
	for _, p := range ge.Path[2:] {
		switch x := p.(type) {
		case ast.PathName:
			problemPath = append(problemPath, string(x))
		case ast.PathIndex:
			problemPath = append(problemPath, int(x))
		}
	}
	problem := &omap{}
	problem.set("path", problemPath)
	problem.set("explanation", ge.Message)
	ext := &omap{}
	ext.set("value", raw[def.Variable])
	ext.set("problems", []any{problem})
	return &gqlError{
		Extensions: ext,
		Locations:  locationsOf(def.Position),
		Message:    fmt.Sprintf("Variable $%s of type %s was provided invalid value", def.Variable, def.Type.String()),
	}
}

// charge takes the query's cost from who's hourly budget (unless it is a
// dry run) and returns the resulting state. ok is false when the budget
// is enforced (Limits.GraphQLPoints) and has fewer points left than the
// query costs: then nothing is taken, and the query must not run. Each
// installation has a budget of its own.
func (s *Server) charge(an *analysis, who *principal) (rate rateSnapshot, ok bool) {
	s.rateMu.Lock()
	defer s.rateMu.Unlock()
	b := budgetOf(&s.points, who.installation).window(s.now())
	limit, enforced := rateLimitMax, s.limits.GraphQLPoints > 0
	if enforced {
		limit = s.limits.GraphQLPoints
	}
	ok = !enforced || an.dryRun || b.used+an.cost <= limit
	if ok && !an.dryRun {
		b.used += an.cost
	}
	return rateSnapshot{
		cost:      an.cost,
		limit:     limit,
		nodeCount: an.nodeCount,
		remaining: max(0, limit-b.used),
		used:      b.used,
		resetAt:   b.reset,
	}, ok
}

func setRateHeaders(w http.ResponseWriter, r rateSnapshot) {
	h := w.Header()
	h.Set("X-RateLimit-Limit", strconv.Itoa(r.limit))
	h.Set("X-RateLimit-Remaining", strconv.Itoa(r.remaining))
	h.Set("X-RateLimit-Used", strconv.Itoa(r.used))
	h.Set("X-RateLimit-Reset", strconv.FormatInt(r.resetAt.Unix(), 10))
	h.Set("X-RateLimit-Resource", "graphql")
}
