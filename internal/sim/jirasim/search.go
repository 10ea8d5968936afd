package jirasim

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// validation is how a search treats values that name nothing (missing
// issue keys, projects, statuses): Data Center's validateQuery parameter.
type validation int

const (
	validateStrict validation = iota // 400 listing every problem
	validateWarn                     // the value matches nothing; warningMessages
	validateNone                     // the value matches nothing, silently
)

var issueKeyRE = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]*-[0-9]+$`)

// matcher is one compiled clause.
type matcher func(*issue) bool

// evaluate runs q over every issue. Problems with values are returned as
// errs (validateStrict) or warnings, in the order they appear in the query.
// s.mu is held.
func (s *Server) evaluate(q *jqlQuery, v validation) (out []*issue, errs, warnings []string) {
	var problems []string
	var ms []matcher
	for _, c := range q.clauses {
		m, p := s.compile(c)
		problems = append(problems, p...)
		ms = append(ms, m)
	}
	switch v {
	case validateStrict:
		if len(problems) > 0 {
			return nil, problems, nil
		}
	case validateWarn:
		warnings = problems
	}
	// Issues created within Options.SearchLag are not indexed yet.
	lag := s.opts.SearchLag > 0
	var now time.Time
	if lag {
		now = s.now()
	}
	for _, is := range s.issueList {
		if lag && !is.searchable(now) {
			continue
		}
		ok := true
		for _, m := range ms {
			if !m(is) {
				ok = false
				break
			}
		}
		if ok {
			out = append(out, is)
		}
	}
	sortIssues(out, q.order)
	return out, nil, warnings
}

// compile resolves a clause's values against the server's data. Values
// that name nothing are reported and match nothing.
func (s *Server) compile(c jqlClause) (matcher, []string) {
	var problems []string
	hasEmpty := false
	var member func(*issue) bool
	isEmpty := func(*issue) bool { return false }

	switch c.field {
	case "created", "updated":
		if len(c.values) != 1 {
			return nil, []string{fmt.Sprintf("Error in the JQL Query: expecting one date after '%s'.", c.name)}
		}
		bound, ok := jqlDate(c.values[0].text, s.now())
		if !ok {
			return nil, []string{fmt.Sprintf("Date value '%s' for field '%s' is invalid. Valid formats include: 'yyyy/MM/dd HH:mm', 'yyyy-MM-dd HH:mm', 'yyyy/MM/dd', 'yyyy-MM-dd', or a period format e.g. '-5d', '4w 2d'.", c.values[0].text, c.name)}
		}
		op, field := c.op, c.field
		return func(is *issue) bool {
			t := is.updated
			if field == "created" {
				t = is.created
			}
			switch op {
			case ">=":
				return !t.Before(bound)
			case ">":
				return t.After(bound)
			case "<=":
				return !t.After(bound)
			default:
				return t.Before(bound)
			}
		}, nil
	case "key":
		set := map[*issue]bool{}
		for _, v := range c.values {
			if v.empty {
				hasEmpty = true
				continue
			}
			var is *issue
			if _, err := strconv.Atoi(v.text); err == nil {
				is = s.issuesByID[v.text]
			} else if !issueKeyRE.MatchString(v.text) {
				problems = append(problems, fmt.Sprintf("The issue key '%s' for field '%s' is invalid.", v.text, c.name))
				continue
			} else {
				is = s.issues[strings.ToUpper(v.text)]
			}
			if is == nil {
				problems = append(problems, fmt.Sprintf("An issue with key '%s' does not exist for field '%s'.", v.text, c.name))
				continue
			}
			set[is] = true
		}
		member = func(is *issue) bool { return set[is] }
	case "project":
		set := map[*project]bool{}
		for _, v := range c.values {
			if v.empty {
				hasEmpty = true
				continue
			}
			found := false
			for _, p := range s.projectList {
				if strings.EqualFold(p.key, v.text) || p.id == v.text || strings.EqualFold(p.name, v.text) {
					set[p] = true
					found = true
				}
			}
			if !found {
				problems = append(problems, fmt.Sprintf("The value '%s' does not exist for the field '%s'.", v.text, c.name))
			}
		}
		member = func(is *issue) bool { return set[is.proj] }
	case "labels":
		set := map[string]bool{}
		for _, v := range c.values {
			if v.empty {
				hasEmpty = true
				continue
			}
			set[strings.ToLower(v.text)] = true
		}
		member = func(is *issue) bool {
			for _, l := range is.labels {
				if set[strings.ToLower(l)] {
					return true
				}
			}
			return false
		}
		isEmpty = func(is *issue) bool { return len(is.labels) == 0 }
	case "status":
		set := map[string]bool{}
		for _, v := range c.values {
			if v.empty {
				hasEmpty = true
				continue
			}
			found := false
			for _, p := range s.projectList {
				for _, st := range p.statuses {
					if strings.EqualFold(st.Name, v.text) || st.ID == v.text {
						set[strings.ToLower(st.Name)] = true
						found = true
					}
				}
			}
			if !found {
				problems = append(problems, fmt.Sprintf("The value '%s' does not exist for the field '%s'.", v.text, c.name))
			}
		}
		member = func(is *issue) bool { return set[strings.ToLower(is.status)] }
	case "statuscategory":
		set := map[string]bool{}
		for _, v := range c.values {
			if v.empty {
				hasEmpty = true
				continue
			}
			found := false
			for key, cat := range categories {
				if strings.EqualFold(cat.key, v.text) || strings.EqualFold(cat.name, v.text) || strconv.Itoa(cat.id) == v.text {
					set[key] = true
					found = true
				}
			}
			if !found {
				problems = append(problems, fmt.Sprintf("The value '%s' does not exist for the field '%s'.", v.text, c.name))
			}
		}
		member = func(is *issue) bool { return set[is.statusOf().Category] }
	default:
		panic("jirasim: uncompiled field " + c.field)
	}

	switch c.op {
	case "=", "in":
		return func(is *issue) bool { return member(is) || hasEmpty && isEmpty(is) }, problems
	case "!=", "not in":
		// Like Jira, a negative clause never matches an empty field.
		return func(is *issue) bool { return !isEmpty(is) && !member(is) }, problems
	case "is":
		return isEmpty, problems
	case "is not":
		return func(is *issue) bool { return !isEmpty(is) }, problems
	}
	panic("jirasim: unknown operator " + c.op)
}

// sortIssues applies ORDER BY; without one, issues stay in creation order.
func sortIssues(list []*issue, order []jqlOrder) {
	if len(order) == 0 {
		return
	}
	sort.SliceStable(list, func(i, j int) bool {
		a, b := list[i], list[j]
		for _, o := range order {
			c := 0
			switch o.field {
			case "key":
				c = strings.Compare(a.proj.key, b.proj.key)
				if c == 0 {
					c = cmpInt(a.num, b.num)
				}
			case "id":
				c = cmpInt(atoi(a.id), atoi(b.id))
			case "created":
				c = a.created.Compare(b.created)
			case "updated":
				c = a.updated.Compare(b.updated)
			}
			if o.desc {
				c = -c
			}
			if c != 0 {
				return c < 0
			}
		}
		return atoi(a.id) < atoi(b.id)
	})
}

func cmpInt(a, b int) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}

// fieldSel is a parsed "fields" parameter.
type fieldSel struct {
	all              bool
	include, exclude map[string]bool
}

// parseFieldSel reads fields lists (items may be comma-separated, as in
// query strings); def applies when nothing is asked for.
func parseFieldSel(items []string, def string) fieldSel {
	sel := fieldSel{include: map[string]bool{}, exclude: map[string]bool{}}
	var toks []string
	for _, it := range items {
		for _, f := range strings.Split(it, ",") {
			if f = strings.TrimSpace(f); f != "" {
				toks = append(toks, f)
			}
		}
	}
	if len(toks) == 0 {
		toks = []string{def}
	}
	for _, f := range toks {
		switch {
		case f == "*all" || f == "*navigable":
			sel.all = true
		case strings.HasPrefix(f, "-"):
			sel.exclude[f[1:]] = true
		default:
			sel.include[f] = true
		}
	}
	return sel
}

func (f fieldSel) want(name string) bool {
	return (f.all || f.include[name]) && !f.exclude[name]
}

// idOnly reports that nothing but the issue id was asked for: the enhanced
// search then returns bare {"id": ...} issues.
func (f fieldSel) idOnly() bool {
	if f.all {
		return false
	}
	for name := range f.include {
		if name != "id" {
			return false
		}
	}
	return true
}

// keysOnly reports that only id and key were asked for, which lets the
// enhanced search return up to 5000 issues a page instead of 100.
func (f fieldSel) keysOnly() bool {
	if f.all {
		return false
	}
	for name := range f.include {
		if name != "id" && name != "key" {
			return false
		}
	}
	return true
}

// splitList splits repeated, comma-separated query parameters.
func splitList(vals []string) []string {
	var out []string
	for _, v := range vals {
		for _, x := range strings.Split(v, ",") {
			if x = strings.TrimSpace(x); x != "" {
				out = append(out, x)
			}
		}
	}
	return out
}

const removedSearch = "The requested API has been removed. Please migrate to the /rest/api/3/search/jql API. A full migration guideline is available at https://developer.atlassian.com/changelog/#CHANGE-2046"

// searchJQLRequest is Cloud's SearchAndReconcileRequestBean.
type searchJQLRequest struct {
	JQL             string   `json:"jql"`
	Fields          []string `json:"fields"`
	MaxResults      *int     `json:"maxResults"`
	NextPageToken   string   `json:"nextPageToken"`
	Expand          string   `json:"expand"`
	Properties      []string `json:"properties"`
	FieldsByKeys    bool     `json:"fieldsByKeys"`
	ReconcileIssues []int64  `json:"reconcileIssues"`
}

// A page token is the offset of the next page, bound to the query that
// produced it: Jira's tokens continue one search, so a token sent with
// another JQL (which selects or orders other issues) is refused, not read
// as an offset into a different result.
const pageTokenPrefix = "jirasim-page:"

const msgBadPageToken = "The provided next page token is invalid or expired."

func pageToken(jql string, offset int) string {
	return base64.RawURLEncoding.EncodeToString([]byte(pageTokenPrefix + queryDigest(jql) + ":" + strconv.Itoa(offset)))
}

// parsePageToken reads the offset of a token issued for jql; ok is false
// for a token that is malformed or was issued for another query.
func parsePageToken(tok, jql string) (int, bool) {
	if tok == "" {
		return 0, true
	}
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil {
		return 0, false
	}
	rest, ok := strings.CutPrefix(string(b), pageTokenPrefix+queryDigest(jql)+":")
	if !ok {
		return 0, false
	}
	n, err := strconv.Atoi(rest)
	return n, err == nil && n >= 0
}

// queryDigest identifies a query in its page tokens.
func queryDigest(jql string) string {
	sum := sha256.Sum256([]byte(jql))
	return hex.EncodeToString(sum[:8])
}

// searchJQL is Cloud's enhanced search, GET or POST /rest/api/{2,3}/search/jql.
func (s *Server) searchJQL(c *call) {
	if s.opts.Flavor == DataCenter {
		c.notFound()
		return
	}
	var req searchJQLRequest
	if c.r.Method == http.MethodGet {
		qv := c.r.URL.Query()
		req.JQL = qv.Get("jql")
		req.Fields = splitList(qv["fields"])
		req.NextPageToken = qv.Get("nextPageToken")
		req.Expand = qv.Get("expand")
		req.Properties = splitList(qv["properties"])
		if m := qv.Get("maxResults"); m != "" {
			n, err := strconv.Atoi(m)
			if err != nil {
				c.fail(http.StatusBadRequest, fmt.Sprintf("The value '%s' is not a valid number for maxResults.", m))
				return
			}
			req.MaxResults = &n
		}
	} else if !c.decode(&req, true) {
		return
	}
	q, err := parseJQL(req.JQL)
	if err != nil {
		c.fail(http.StatusBadRequest, err.Error())
		return
	}
	if len(q.clauses) == 0 {
		c.fail(http.StatusBadRequest, "Unbounded JQL queries are not allowed here. Please add a search restriction to your query.")
		return
	}
	offset, ok := parsePageToken(req.NextPageToken, req.JQL)
	if !ok {
		c.fail(http.StatusBadRequest, msgBadPageToken)
		return
	}
	sel := parseFieldSel(req.Fields, "id")
	limit := 100
	if sel.keysOnly() {
		limit = 5000
	}
	size := 50
	if req.MaxResults != nil && *req.MaxResults > 0 {
		size = min(*req.MaxResults, limit)
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	found, errs, _ := s.evaluate(q, validateStrict)
	if len(errs) > 0 {
		c.fail(http.StatusBadRequest, errs...)
		return
	}
	issues, end := c.page(found, offset, size, func(is *issue) map[string]any {
		return c.issueJSON(is, sel, req.Properties, sel.idOnly())
	}, splitList([]string{req.Expand}))
	out := map[string]any{"issues": issues, "isLast": end >= len(found)}
	if end < len(found) {
		out["nextPageToken"] = pageToken(req.JQL, end)
	}
	c.reply(http.StatusOK, out)
}

// searchRequest is Data Center's SearchRequestBean.
type searchRequest struct {
	JQL           string          `json:"jql"`
	StartAt       *int            `json:"startAt"`
	MaxResults    *int            `json:"maxResults"`
	Fields        []string        `json:"fields"`
	Expand        json.RawMessage `json:"expand"`
	ValidateQuery json.RawMessage `json:"validateQuery"`
	Properties    []string        `json:"properties"`
	FieldsByKeys  bool            `json:"fieldsByKeys"`
}

func parseValidation(v string) (validation, bool) {
	switch strings.ToLower(v) {
	case "", "strict", "true":
		return validateStrict, true
	case "warn", "false":
		return validateWarn, true
	case "none":
		return validateNone, true
	}
	return 0, false
}

// search is GET or POST /rest/api/2/search: Data Center's offset search,
// removed from Cloud (410 Gone).
func (s *Server) search(c *call) {
	if s.opts.Flavor == Cloud {
		c.fail(http.StatusGone, removedSearch)
		return
	}
	var req searchRequest
	validateQuery := ""
	if c.r.Method == http.MethodGet {
		qv := c.r.URL.Query()
		req.JQL = qv.Get("jql")
		req.Fields = splitList(qv["fields"])
		req.Properties = splitList(qv["properties"])
		validateQuery = qv.Get("validateQuery")
		for _, p := range []struct {
			name string
			dst  **int
		}{{"startAt", &req.StartAt}, {"maxResults", &req.MaxResults}} {
			if m := qv.Get(p.name); m != "" {
				n, err := strconv.Atoi(m)
				if err != nil {
					c.fail(http.StatusBadRequest, fmt.Sprintf("The value '%s' is not a valid number for %s.", m, p.name))
					return
				}
				*p.dst = &n
			}
		}
	} else {
		if !c.decode(&req, true) {
			return
		}
		if len(req.ValidateQuery) > 0 && string(req.ValidateQuery) != "null" {
			var b bool
			if err := json.Unmarshal(req.ValidateQuery, &b); err == nil {
				validateQuery = strconv.FormatBool(b)
			} else if err := json.Unmarshal(req.ValidateQuery, &validateQuery); err != nil {
				c.fail(http.StatusBadRequest, "validateQuery must be one of strict, warn, none, true or false.")
				return
			}
		}
	}
	mode, ok := parseValidation(validateQuery)
	if !ok {
		c.fail(http.StatusBadRequest, "validateQuery must be one of strict, warn, none, true or false.")
		return
	}
	q, err := parseJQL(req.JQL)
	if err != nil {
		c.fail(http.StatusBadRequest, err.Error())
		return
	}
	expand, ok := parseExpand(req.Expand)
	if !ok {
		c.fail(http.StatusBadRequest, "expand must be a list of strings or a comma-separated string.")
		return
	}
	if c.r.Method == http.MethodGet {
		expand = splitList(c.r.URL.Query()["expand"])
	}
	startAt, size := 0, 50
	if req.StartAt != nil && *req.StartAt > 0 {
		startAt = *req.StartAt
	}
	if req.MaxResults != nil && *req.MaxResults >= 0 {
		size = min(*req.MaxResults, 1000)
	}
	sel := parseFieldSel(req.Fields, "*navigable")

	s.mu.Lock()
	defer s.mu.Unlock()
	found, errs, warnings := s.evaluate(q, mode)
	if len(errs) > 0 {
		c.fail(http.StatusBadRequest, errs...)
		return
	}
	issues, _ := c.page(found, startAt, size, func(is *issue) map[string]any {
		return c.issueJSON(is, sel, req.Properties, false)
	}, expand)
	out := map[string]any{
		"expand":     "schema,names",
		"startAt":    startAt,
		"maxResults": size,
		"total":      len(found),
		"issues":     issues,
	}
	if len(warnings) > 0 {
		out["warningMessages"] = warnings
	}
	c.reply(http.StatusOK, out)
}

// parseExpand reads Data Center's expand, which its SearchRequestBean
// types as a list of strings; a comma-separated string is accepted too.
func parseExpand(raw json.RawMessage) ([]string, bool) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, true
	}
	var list []string
	if json.Unmarshal(raw, &list) == nil {
		return splitList(list), true
	}
	var one string
	if json.Unmarshal(raw, &one) == nil {
		return splitList([]string{one}), true
	}
	return nil, false
}

// page renders found[start:start+size] with the expansions asked for and
// says where the page ended. The caller holds s.mu.
func (c *call) page(found []*issue, start, size int, render func(*issue) map[string]any, expand []string) ([]any, int) {
	start = min(start, len(found))
	end := min(start+size, len(found))
	issues := make([]any, 0, end-start)
	for _, is := range found[start:end] {
		issues = append(issues, c.withExpand(render(is), is, expand))
	}
	return issues, end
}

// withExpand adds the expansions a search asked for. Only "transitions"
// (the transitions available from the issue's status, as GET
// .../transitions lists them) changes the result; Jira ignores unknown
// expansions, and so does the simulator. The caller holds s.mu.
func (c *call) withExpand(m map[string]any, is *issue, expand []string) map[string]any {
	for _, e := range expand {
		if e != "transitions" {
			continue
		}
		list := []any{}
		for _, t := range is.proj.available(is.status) {
			list = append(list, c.transitionJSON(is.proj, t))
		}
		m["transitions"] = list
		if _, ok := m["expand"]; !ok {
			m["expand"] = "transitions"
		}
	}
	return m
}

// jqlDate reads a JQL date: a period relative to now ("-15m", "-2h",
// "-1d", "-1w") or an absolute date (read as UTC).
func jqlDate(v string, now time.Time) (time.Time, bool) {
	v = strings.TrimSpace(v)
	if len(v) >= 3 && (v[0] == '-' || v[0] == '+') {
		n, err := strconv.Atoi(v[1 : len(v)-1])
		if err == nil && n >= 0 {
			unit := map[byte]time.Duration{'m': time.Minute, 'h': time.Hour, 'd': 24 * time.Hour, 'w': 7 * 24 * time.Hour}[v[len(v)-1]]
			if unit > 0 {
				d := time.Duration(n) * unit
				if v[0] == '-' {
					d = -d
				}
				return now.Add(d), true
			}
		}
	}
	for _, layout := range []string{"2006-01-02 15:04", "2006/01/02 15:04", "2006-01-02", "2006/01/02"} {
		if t, err := time.Parse(layout, v); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}
