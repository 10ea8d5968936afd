package contract

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
)

// jiraSpecFile is Atlassian's Jira Cloud platform REST v3 OpenAPI document,
// relative to Dir.
const jiraSpecFile = "jira/swagger-v3.v3.json"

// Spec is a vendor's OpenAPI 3 document, ready to validate HTTP traffic.
// A Spec is loaded once per process and shared; it is safe for concurrent
// use.
//
// Validation is done by kin-openapi's openapi3filter, with these choices:
//   - Routes are matched on the path alone (the spec's servers are
//     ignored), so a simulator at http://127.0.0.1:port is checked like the
//     vendor's host. When several path templates match, literal segments win
//     over parameters, and a template that lacks the request's method does
//     not hide one that has it.
//   - Authentication is not checked.
//   - Nothing is rewritten: defaults are not filled in.
//   - A query parameter that the operation does not document is an error
//     (kin-openapi itself ignores unknown query parameters); so is a request
//     body sent to an operation that documents none.
//   - Request bodies must not contain readOnly properties, and response
//     bodies must not contain writeOnly ones. A null is accepted only where
//     the schema says nullable: true. Formats checked are byte, date,
//     date-time, int32 and int64 (kin-openapi's defaults; JiraSpec relaxes
//     date-time, see there); uri, url, uuid and the like are not.
//     Properties a schema does not list are accepted unless it says
//     additionalProperties: false.
//   - A response status that the operation does not document is an error,
//     except 429 and 5xx, which any server (or fault injection) may send;
//     those are checked only when documented. A 204 or 304 response must
//     have no body, whatever content the operation documents for it.
type Spec struct {
	name    string
	doc     *openapi3.T
	routes  []specRoute
	aliases []alias
	opts    *openapi3filter.Options
}

// specRoute is one path template of a Spec.
type specRoute struct {
	path string   // the template, as in the spec
	segs []string // its segments; "{name}" for a parameter
	item *openapi3.PathItem
	// rest is true when the template ends in a parameter that takes
	// the rest of the path, slashes and all (specConfig.restParams).
	rest bool
}

// alias makes paths under from be validated as if under to.
type alias struct{ from, to string }

// JiraSpec loads jira/swagger-v3.v3.json under Dir: Atlassian's Jira Cloud
// platform REST API v3 OpenAPI document. Paths under /rest/api/2/ (the Jira
// Data Center/Server REST API v2) are validated as their /rest/api/3/
// equivalents: the resources are the same, and the v3 document leaves
// comment and description bodies untyped, so wiki-markup strings pass.
// The spec is loaded once per process. When the contracts are absent
// JiraSpec reports them missing, like Require; it fails the test when the
// file cannot be loaded.
//
// Jira writes date-time values with a zone offset without a colon
// ("2021-01-17T12:34:00.000+0000"), as do the spec's own examples; RFC 3339
// requires "+00:00". Both forms are accepted.
//
// The document does not pass kin-openapi's own strict validation (some of
// its examples are strings where objects are specified, some defaults are
// not among their enums, and some paths differ only in a parameter's name),
// so it is used without doc.Validate; it is not modified except that its
// servers are ignored.
func JiraSpec(t testing.TB) *Spec {
	t.Helper()
	p := RequireFile(t, jiraSpecFile)
	s, err := cached("openapi "+p, func() (*Spec, error) {
		return loadSpec(specConfig{
			name:    "Jira",
			path:    p,
			aliases: []alias{{from: "/rest/api/2/", to: "/rest/api/3/"}},
			prepare: func(doc *openapi3.T) error {
				if stale := applyErrata(doc, jiraErrata); len(stale) > 0 {
					return fmt.Errorf("contract: Jira errata no longer apply, the vendor may have fixed its document; review and remove: %s", strings.Join(stale, "; "))
				}
				return nil
			},
			schemaOpts: []openapi3.SchemaValidationOption{
				openapi3.WithStringFormatValidator("date-time", openapi3.NewCallbackValidator(jiraDateTime)),
			},
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// jiraDateTime accepts the date-time values Jira sends: RFC 3339, or ISO
// 8601 with the zone offset written without a colon
// ("2021-01-17T12:34:00.000+0000"), which is how Jira serializes them and
// how the spec's own examples write them. A strict RFC 3339 check (what
// kin-openapi does by default) rejects every Jira timestamp.
func jiraDateTime(v string) error {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999Z0700"} {
		if _, err := time.Parse(layout, v); err == nil {
			return nil
		}
	}
	return fmt.Errorf("%q is not an RFC 3339 or ISO 8601 (Jira) date-time", v)
}

// specConfig says how to load and use one OpenAPI document.
type specConfig struct {
	name       string // the vendor, for messages
	path       string
	aliases    []alias
	schemaOpts []openapi3.SchemaValidationOption // extra schema validation options
	// prepare, when set, may adjust the loaded document before use (see
	// SentrySpec); it runs before the servers are replaced.
	prepare func(doc *openapi3.T) error
	// keep, when set, are the only paths loaded (see prune): for a large
	// document of which fixproof uses a few operations.
	keep []string
	// restParams are the path parameters that hold a path of their own,
	// slashes unescaped, when they end a template (GitHub's {path} of a
	// file's contents).
	restParams []string
}

// loadSpec loads an OpenAPI document.
func loadSpec(cfg specConfig) (*Spec, error) {
	name := cfg.name
	loader := openapi3.NewLoader()
	loader.IsExternalRefsAllowed = false
	doc, err := loadDoc(loader, cfg)
	if err != nil {
		return nil, fmt.Errorf("contract: loading %s OpenAPI document: %w", name, err)
	}
	if cfg.prepare != nil {
		if err := cfg.prepare(doc); err != nil {
			return nil, fmt.Errorf("contract: preparing %s OpenAPI document: %w", name, err)
		}
	}
	// Match on the path only, whatever host the test's server has.
	doc.Servers = openapi3.Servers{{URL: "/"}}
	s := &Spec{
		name:    name,
		doc:     doc,
		aliases: cfg.aliases,
		opts: &openapi3filter.Options{
			MultiError:                        true,
			AuthenticationFunc:                openapi3filter.NoopAuthenticationFunc,
			SkipSettingDefaults:               true,
			RejectWhenRequestBodyNotSpecified: true,
			IncludeResponseStatus:             true,
			SchemaValidationOptions: append([]openapi3.SchemaValidationOption{
				openapi3.DisableSchemaErrorDetails(),
			}, cfg.schemaOpts...),
		},
	}
	for path, item := range doc.Paths.Map() {
		rt := specRoute{
			path: path,
			segs: strings.Split(strings.TrimPrefix(path, "/"), "/"),
			item: item,
		}
		last := rt.segs[len(rt.segs)-1]
		rt.rest = isParam(last) && slices.Contains(cfg.restParams, last[1:len(last)-1])
		s.routes = append(s.routes, rt)
	}
	// Most specific first: at the first segment where two templates
	// differ in kind, the literal one wins.
	sort.Slice(s.routes, func(i, j int) bool {
		a, b := s.routes[i].segs, s.routes[j].segs
		for k := 0; k < len(a) && k < len(b); k++ {
			if pa, pb := isParam(a[k]), isParam(b[k]); pa != pb {
				return pb
			}
		}
		return s.routes[i].path < s.routes[j].path
	})
	return s, nil
}

// loadDoc reads the document at cfg.path, pruned to cfg.keep when set.
func loadDoc(loader *openapi3.Loader, cfg specConfig) (*openapi3.T, error) {
	if len(cfg.keep) == 0 {
		return loader.LoadFromFile(cfg.path)
	}
	raw, err := os.ReadFile(cfg.path)
	if err != nil {
		return nil, err
	}
	pruned, err := prune(raw, cfg.keep)
	if err != nil {
		return nil, err
	}
	return loader.LoadFromData(pruned)
}

func isParam(seg string) bool {
	return strings.HasPrefix(seg, "{") && strings.HasSuffix(seg, "}")
}

// Doc returns the loaded OpenAPI document (with its servers replaced by a
// single "/"). It is shared: do not modify it.
func (s *Spec) Doc() *openapi3.T { return s.doc }

// match is a request matched to an operation.
type match struct {
	label  string // method and request path, for messages
	route  *routers.Route
	params map[string]string
	req    *http.Request // a copy of the request, path rewritten
}

// match finds the operation for r, or says why there is none.
func (s *Spec) match(r *http.Request) (*match, error) {
	m := &match{label: r.Method + " " + r.URL.Path}
	path := r.URL.EscapedPath()
	for _, a := range s.aliases {
		if rest, ok := strings.CutPrefix(path, a.from); ok {
			path = a.to + rest
			break
		}
	}
	var segs []string
	for _, seg := range strings.Split(strings.TrimPrefix(path, "/"), "/") {
		u, err := url.PathUnescape(seg)
		if err != nil {
			return m, fmt.Errorf("bad path: %w", err)
		}
		segs = append(segs, u)
	}
	var documented []string
	for _, rt := range s.routes {
		params, ok := rt.matches(segs)
		if !ok {
			continue
		}
		op := rt.item.GetOperation(r.Method)
		if op == nil {
			for method := range rt.item.Operations() {
				documented = append(documented, method)
			}
			continue
		}
		if path != r.URL.EscapedPath() {
			m.label += " (checked as " + rt.path + ")"
		}
		m.route = &routers.Route{
			Spec:      s.doc,
			Server:    s.doc.Servers[0],
			Path:      rt.path,
			PathItem:  rt.item,
			Method:    r.Method,
			Operation: op,
		}
		m.params = params
		m.req = r.Clone(r.Context())
		m.req.URL.Path, m.req.URL.RawPath = "", ""
		if u, err := url.Parse(path); err == nil {
			m.req.URL.Path, m.req.URL.RawPath = u.Path, u.RawPath
		}
		return m, nil
	}
	if len(documented) > 0 {
		sort.Strings(documented)
		return m, fmt.Errorf("the %s spec documents only %s for this path", s.name, strings.Join(documented, ", "))
	}
	return m, fmt.Errorf("no path in the %s spec matches", s.name)
}

// matches reports whether the path segments segs fit the template, and
// with which parameter values.
func (rt *specRoute) matches(segs []string) (map[string]string, bool) {
	if rt.rest && len(segs) > len(rt.segs) {
		n := len(rt.segs) - 1
		segs = append(segs[:n:n], strings.Join(segs[n:], "/"))
	}
	if len(segs) != len(rt.segs) {
		return nil, false
	}
	params := map[string]string{}
	for i, t := range rt.segs {
		switch {
		case isParam(t):
			if segs[i] == "" {
				return nil, false
			}
			params[t[1:len(t)-1]] = segs[i]
		case t != segs[i]:
			return nil, false
		}
	}
	return params, true
}

// ValidateRequest checks one request against the spec: that its method and
// path name a documented operation, and that its parameters (path, query,
// header) and body are as documented. body is the request body (r.Body is
// not read); the Content-Type header says how to decode it. It returns nil
// when the request is valid, else an error listing every problem, such as
//
//	contract: POST /rest/api/3/search/jql request: body: doesn't match schema ...
func (s *Spec) ValidateRequest(r *http.Request, body []byte) error {
	m, err := s.match(r)
	if err != nil {
		return fmt.Errorf("contract: %s request: %w", m.label, err)
	}
	return problemsError(m.label+" request", s.checkRequest(m, body))
}

func (s *Spec) checkRequest(m *match, body []byte) []string {
	req := m.req.Clone(m.req.Context())
	if len(body) > 0 {
		req.Body = io.NopCloser(bytes.NewReader(body))
		req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	} else {
		req.Body, req.GetBody = http.NoBody, nil
	}
	req.ContentLength = int64(len(body))
	in := &openapi3filter.RequestValidationInput{
		Request:    req,
		PathParams: m.params,
		Route:      m.route,
		Options:    s.opts,
	}
	var problems []string
	if err := openapi3filter.ValidateRequest(req.Context(), in); err != nil {
		problems = flatten(err, "", problems)
	}
	return append(problems, unknownQueryParams(m.route, req.URL.Query())...)
}

// unknownQueryParams lists the query parameters in q that the operation
// does not document. Operations with an object-valued query parameter,
// whose properties may be spread over several names, are not checked.
func unknownQueryParams(route *routers.Route, q url.Values) []string {
	known := map[string]bool{}
	for _, params := range []openapi3.Parameters{route.PathItem.Parameters, route.Operation.Parameters} {
		for _, p := range params {
			if p.Value == nil || p.Value.In != openapi3.ParameterInQuery {
				continue
			}
			if sch := p.Value.Schema; sch != nil && sch.Value != nil && sch.Value.Type.Is(openapi3.TypeObject) {
				return nil
			}
			known[p.Value.Name] = true
		}
	}
	var problems []string
	for name := range q {
		if !known[name] {
			problems = append(problems, fmt.Sprintf("query parameter %q: not documented for this operation", name))
		}
	}
	sort.Strings(problems)
	return problems
}

// ValidateResponse checks one response to r against the spec: that the
// operation documents status (429 and 5xx excepted, see Spec), and that the
// headers it documents and the body (decoded by the Content-Type in header)
// are as documented. It returns nil when the response is valid, else an
// error listing every problem.
func (s *Spec) ValidateResponse(r *http.Request, status int, header http.Header, body []byte) error {
	m, err := s.match(r)
	if err != nil {
		return fmt.Errorf("contract: %s response %d: %w", m.label, status, err)
	}
	return problemsError(fmt.Sprintf("%s response %d", m.label, status), s.checkResponse(m, status, header, body))
}

func (s *Spec) checkResponse(m *match, status int, header http.Header, body []byte) []string {
	if m.route.Operation.Responses.Status(status) == nil &&
		(status == http.StatusTooManyRequests || status >= 500 && status <= 599) {
		return nil
	}
	if header == nil {
		header = http.Header{}
	}
	opts := s.opts
	var problems []string
	if status == http.StatusNoContent || status == http.StatusNotModified {
		// HTTP forbids a body here; Jira nonetheless documents 204s with
		// JSON content (of an empty schema), which kin-openapi would try
		// to decode from nothing.
		if len(body) > 0 {
			problems = append(problems, fmt.Sprintf("a %d response has a body", status))
		}
		o := *opts
		o.ExcludeResponseBody = true
		opts = &o
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{
			Request:    m.req,
			PathParams: m.params,
			Route:      m.route,
			Options:    s.opts,
		},
		Status:  status,
		Header:  header,
		Options: opts,
	}
	in.SetBodyBytes(body)
	if err := openapi3filter.ValidateResponse(m.req.Context(), in); err != nil {
		problems = flatten(err, "", problems)
	}
	return problems
}

// flatten appends to problems one line per leaf error in err, each
// prefixed with what it is about (a parameter, the body).
func flatten(err error, prefix string, problems []string) []string {
	join := func(a, b string) string {
		switch {
		case a == "":
			return b
		case b == "":
			return a
		}
		return a + ": " + b
	}
	switch e := err.(type) {
	case openapi3.MultiError:
		for _, e := range e {
			problems = flatten(e, prefix, problems)
		}
		return problems
	case *openapi3filter.RequestError:
		p := prefix
		switch {
		case e.Parameter != nil:
			p = join(p, fmt.Sprintf("%s parameter %q", e.Parameter.In, e.Parameter.Name))
		case e.RequestBody != nil:
			p = join(p, "body")
		}
		if e.Err == nil {
			return append(problems, join(p, e.Reason))
		}
		if e.Reason != e.Err.Error() {
			p = join(p, e.Reason)
		}
		return flatten(e.Err, p, problems)
	case *openapi3filter.ResponseError:
		if e.Err == nil {
			return append(problems, join(prefix, e.Reason))
		}
		return flatten(e.Err, join(prefix, e.Reason), problems)
	}
	return append(problems, join(prefix, err.Error()))
}

// Transport returns a transport that sends requests through base (nil
// means http.DefaultTransport) and validates each request before sending it
// and each response after receiving it, reporting violations with t.Errorf.
// It never fails or alters the call: the request goes out as it came, and
// the caller reads the response body as the server sent it. Use it as the
// client's transport in tests, so that it sees exactly what the client
// sends and what the simulator answers.
func (s *Spec) Transport(t testing.TB, base http.RoundTripper) http.RoundTripper {
	if base == nil {
		base = http.DefaultTransport
	}
	return &specTransport{spec: s, t: t, base: base}
}

type specTransport struct {
	spec *Spec
	t    testing.TB
	base http.RoundTripper
}

func (st *specTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	body, r, err := takeBody(r)
	if err != nil {
		return nil, err
	}
	m, merr := st.spec.match(r)
	if merr != nil {
		st.t.Errorf("contract: %s request: %v", m.label, merr)
	} else if err := problemsError(m.label+" request", st.spec.checkRequest(m, body)); err != nil {
		st.t.Errorf("%v", err)
	}
	resp, err := st.base.RoundTrip(r)
	if err != nil || merr != nil {
		return resp, err
	}
	label := fmt.Sprintf("%s response %d", m.label, resp.StatusCode)
	rb, err := readResponseBody(resp)
	if err != nil {
		st.t.Errorf("contract: %s: reading body: %v", label, err)
		return resp, nil
	}
	if err := problemsError(label, st.spec.checkResponse(m, resp.StatusCode, resp.Header, rb)); err != nil {
		st.t.Errorf("%v", err)
	}
	return resp, nil
}
