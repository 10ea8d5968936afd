package githubsim

// Check runs (the Checks API), as a GitHub App writes them:
//
//	POST  /repos/{owner}/{repo}/check-runs                   create
//	GET   /repos/{owner}/{repo}/check-runs/{check_run_id}    get one
//	PATCH /repos/{owner}/{repo}/check-runs/{check_run_id}    update
//	GET   /repos/{owner}/{repo}/commits/{ref}/check-runs     list for a commit
//
// The rules, and where each comes from (GitHub's REST description,
// operations checks/create, checks/update and checks/list-for-ref, unless
// said):
//
//   - name and head_sha are required on create; head_sha must be a commit
//     of the repository (AddCommit, or a stored pull request's commit),
//     else 422 "No commit found for SHA: ..." (what api.github.com
//     answers).
//   - status is queued, in_progress or completed (waiting, requested and
//     pending are reserved for GitHub Actions); conclusion is one of
//     action_required, cancelled, failure, neutral, success, skipped,
//     timed_out ("stale" only GitHub may set). A conclusion or completed_at
//     makes the run completed; completed without a conclusion is refused.
//   - output, when given, needs title and summary; summary and text hold
//     at most 65535 characters ("Only 65535 characters are allowed; N were
//     supplied.", GitHub's words).
//   - Writing needs the checks: write permission, reading checks: read;
//     without it 403 "Resource not accessible by integration" with
//     X-Accepted-GitHub-Permissions (the description documents no 403).
//   - The list answers {total_count, check_runs}, newest first, filtered by
//     check_name and status; filter=latest (the default) keeps the most
//     recent run of each name, filter=all keeps every run. ref is a
//     commit SHA here: branch and tag names are not served (404).
//
// Invalid requests answer 422 with GitHub's "Invalid request.\n\n..."
// message; the wording for a missing field ("\"name\" wasn't supplied.")
// is GitHub's, that of the other refusals is the simulator's.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

const (
	docCreateCheckRun = "https://docs.github.com/rest/checks/runs#create-a-check-run"
	docUpdateCheckRun = "https://docs.github.com/rest/checks/runs#update-a-check-run"
	docGetCheckRun    = "https://docs.github.com/rest/checks/runs#get-a-check-run"
	docListCheckRuns  = "https://docs.github.com/rest/checks/runs#list-check-runs-for-a-git-reference"
	// MaxCheckRunOutput is the most characters a check run's output
	// summary or text may hold.
	MaxCheckRunOutput = 65535
	firstCheckRunID   = 20_000_000_001
)

var (
	checkRunStatuses    = []string{"queued", "in_progress", "completed"}
	checkRunConclusions = []string{"action_required", "cancelled", "failure", "neutral", "success", "skipped", "timed_out"}
)

// CheckRun is a check run as the simulator stores it. Times are UTC,
// whole seconds.
type CheckRun struct {
	ID                      int64
	Name, HeadSHA           string
	Status, Conclusion      string // Conclusion is "" until completed
	DetailsURL, ExternalID  string
	StartedAt               time.Time
	CompletedAt             time.Time // zero until completed
	Title, Summary, Text    string    // the output; all "" without one
	App                     string    // the login of the writer ("fixproof[bot]")
	appID                   int64
	hasOutput, hasDetails   bool
	hasExternal, hasStarted bool
}

// CheckRuns returns copies of owner/repo's check runs, oldest first.
func (s *Server) CheckRuns(owner, repo string) []CheckRun {
	s.mu.RLock()
	defer s.mu.RUnlock()
	r := s.repos[strings.ToLower(owner+"/"+repo)]
	if r == nil {
		return nil
	}
	var out []CheckRun
	for _, cr := range r.checkRuns {
		out = append(out, *cr)
	}
	return out
}

// checkRuns routes /repos/{owner}/{repo}/check-runs[/{id}].
func (c *restCall) checkRuns(owner, repo string, seg []string) {
	switch {
	case len(seg) == 0 && c.r.Method == http.MethodPost:
		c.createCheckRun(owner, repo)
	case len(seg) == 1 && (c.r.Method == http.MethodPatch || c.r.Method == http.MethodGet):
		id, err := strconv.ParseInt(seg[0], 10, 64)
		if err != nil {
			c.notFound(restDocs)
			return
		}
		if c.r.Method == http.MethodGet {
			c.getCheckRun(owner, repo, id)
		} else {
			c.updateCheckRun(owner, repo, id)
		}
	default:
		c.notFound(restDocs)
	}
}

// checkRunAccess answers 404 or 403 and returns false when the token may
// not reach owner/repo's check runs as write says.
func (c *restCall) checkRunAccess(owner, repo string, write bool, doc string) bool {
	level, ok := "read", c.who.can("checks")
	if write {
		level, ok = "write", c.who.canWrite("checks")
	}
	c.w.Header().Set("X-Accepted-GitHub-Permissions", "checks="+level)
	c.s.mu.RLock()
	found := c.repoLocked(owner, repo) != nil
	c.s.mu.RUnlock()
	switch {
	case !found:
		c.notFound(doc)
	case !ok:
		writeMessage(c.w, http.StatusForbidden, c.who.notAccessible(), doc)
	}
	return found && ok
}

func (c *restCall) createCheckRun(owner, repo string) {
	if !c.checkRunAccess(owner, repo, true, docCreateCheckRun) {
		return
	}
	in, ok := c.checkRunInput(docCreateCheckRun)
	if !ok {
		return
	}
	for _, f := range []string{"name", "head_sha"} {
		if v, _ := in[f].(string); v == "" {
			c.invalid(docCreateCheckRun, fmt.Sprintf("%q wasn't supplied.", f))
			return
		}
	}
	now := c.s.clock()
	cr := &CheckRun{Status: "queued", StartedAt: now, App: c.who.login, appID: c.appID()}
	if msg := applyCheckRunInput(cr, in, now); msg != "" {
		c.invalid(docCreateCheckRun, msg)
		return
	}
	c.s.mu.Lock()
	r := c.repoLocked(owner, repo)
	if !r.hasCommit(cr.HeadSHA) {
		c.s.mu.Unlock()
		writeMessage(c.w, http.StatusUnprocessableEntity, "No commit found for SHA: "+in["head_sha"].(string), docCreateCheckRun)
		return
	}
	c.s.checkRunSeq++
	cr.ID = firstCheckRunID + c.s.checkRunSeq - 1
	r.checkRuns = append(r.checkRuns, cr)
	out := c.checkRunJSON(r, cr)
	c.s.mu.Unlock()
	writeBody(c.w, http.StatusCreated, out)
}

func (c *restCall) updateCheckRun(owner, repo string, id int64) {
	if !c.checkRunAccess(owner, repo, true, docUpdateCheckRun) {
		return
	}
	in, ok := c.checkRunInput(docUpdateCheckRun)
	if !ok {
		return
	}
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	r := c.repoLocked(owner, repo)
	stored := r.checkRun(id)
	if stored == nil {
		c.notFound(docUpdateCheckRun)
		return
	}
	if _, ok := in["head_sha"]; ok {
		c.invalid(docUpdateCheckRun, `"head_sha" cannot be changed.`)
		return
	}
	cr := *stored // changed only when all of in is acceptable
	if msg := applyCheckRunInput(&cr, in, c.s.clock()); msg != "" {
		c.invalid(docUpdateCheckRun, msg)
		return
	}
	*stored = cr
	writeBody(c.w, http.StatusOK, c.checkRunJSON(r, &cr))
}

func (c *restCall) getCheckRun(owner, repo string, id int64) {
	if !c.checkRunAccess(owner, repo, false, docGetCheckRun) {
		return
	}
	c.s.mu.RLock()
	defer c.s.mu.RUnlock()
	r := c.repoLocked(owner, repo)
	cr := r.checkRun(id)
	if cr == nil {
		c.notFound(docGetCheckRun)
		return
	}
	writeBody(c.w, http.StatusOK, c.checkRunJSON(r, cr))
}

// checkRun is the repository's check run with the id, or nil.
func (r *repoState) checkRun(id int64) *CheckRun {
	i := slices.IndexFunc(r.checkRuns, func(cr *CheckRun) bool { return cr.ID == id })
	if i < 0 {
		return nil
	}
	return r.checkRuns[i]
}

// checkRunInput reads the JSON object of a create or update request.
func (c *restCall) checkRunInput(doc string) (map[string]any, bool) {
	raw, ok := c.readBody(doc)
	if !ok {
		return nil, false
	}
	var in map[string]any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&in); err != nil || in == nil {
		writeMessage(c.w, http.StatusBadRequest, "Problems parsing JSON", doc)
		return nil, false
	}
	return in, true
}

// invalid answers GitHub's 422 for a request its JSON schema refuses.
func (c *restCall) invalid(doc, why string) {
	writeMessage(c.w, http.StatusUnprocessableEntity, "Invalid request.\n\n"+why, doc)
}

// applyCheckRunInput sets what in says on cr, returning why in is not
// acceptable ("" when it is).
func applyCheckRunInput(cr *CheckRun, in map[string]any, now time.Time) string {
	for _, f := range []string{"name", "head_sha", "details_url", "external_id", "status", "conclusion", "started_at", "completed_at"} {
		if v, ok := in[f]; ok {
			if _, isString := v.(string); !isString {
				return fmt.Sprintf("For 'properties/%s', %v is not a string.", f, jsonText(v))
			}
		}
	}
	str := func(f string) (string, bool) { v, ok := in[f].(string); return v, ok }
	if v, ok := str("name"); ok {
		cr.Name = v
	}
	if v, ok := str("head_sha"); ok {
		cr.HeadSHA = strings.ToLower(v)
	}
	if v, ok := str("details_url"); ok {
		cr.DetailsURL, cr.hasDetails = v, true
	}
	if v, ok := str("external_id"); ok {
		cr.ExternalID, cr.hasExternal = v, true
	}
	if msg := applyCheckRunTimes(cr, str); msg != "" {
		return msg
	}
	if msg := applyCheckRunState(cr, str, now); msg != "" {
		return msg
	}
	if v, ok := in["output"]; ok {
		return applyCheckRunOutput(cr, v)
	}
	return ""
}

// applyCheckRunTimes sets started_at and completed_at.
func applyCheckRunTimes(cr *CheckRun, str func(string) (string, bool)) string {
	for _, f := range []string{"started_at", "completed_at"} {
		v, ok := str(f)
		if !ok {
			continue
		}
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			return fmt.Sprintf("For 'properties/%s', %q is not a date-time.", f, v)
		}
		if f == "started_at" {
			cr.StartedAt, cr.hasStarted = t.UTC().Truncate(time.Second), true
		} else {
			cr.CompletedAt = t.UTC().Truncate(time.Second)
		}
	}
	return ""
}

// applyCheckRunState sets status and conclusion: a conclusion or a
// completed_at completes the run, and a completed run needs a conclusion.
func applyCheckRunState(cr *CheckRun, str func(string) (string, bool), now time.Time) string {
	if v, ok := str("status"); ok {
		if !slices.Contains(checkRunStatuses, v) {
			return fmt.Sprintf("For 'properties/status', %q is not one of %s.", v, quoteList(checkRunStatuses))
		}
		cr.Status = v
	}
	if v, ok := str("conclusion"); ok {
		if !slices.Contains(checkRunConclusions, v) {
			return fmt.Sprintf("For 'properties/conclusion', %q is not one of %s.", v, quoteList(checkRunConclusions))
		}
		cr.Conclusion, cr.Status = v, "completed"
	}
	if _, ok := str("completed_at"); ok {
		cr.Status = "completed"
	}
	if cr.Status != "completed" {
		return ""
	}
	if cr.Conclusion == "" {
		return `"conclusion" wasn't supplied.`
	}
	if cr.CompletedAt.IsZero() {
		cr.CompletedAt = now
	}
	return ""
}

// applyCheckRunOutput sets the output: title and summary are required,
// summary and text hold at most MaxCheckRunOutput characters.
func applyCheckRunOutput(cr *CheckRun, v any) string {
	out, ok := v.(map[string]any)
	if !ok {
		return fmt.Sprintf("For 'properties/output', %s is not an object.", jsonText(v))
	}
	fields := map[string]string{}
	for _, f := range []string{"title", "summary", "text"} {
		raw, present := out[f]
		if !present {
			continue
		}
		s, isString := raw.(string)
		if !isString {
			return fmt.Sprintf("For 'properties/%s', %s is not a string.", f, jsonText(raw))
		}
		if n := utf8.RuneCountInString(s); f != "title" && n > MaxCheckRunOutput {
			return fmt.Sprintf("Only %d characters are allowed; %d were supplied.", MaxCheckRunOutput, n)
		}
		fields[f] = s
	}
	for _, f := range []string{"title", "summary"} {
		if _, ok := fields[f]; !ok {
			return fmt.Sprintf("%q wasn't supplied.", f)
		}
	}
	cr.Title, cr.Summary, cr.Text, cr.hasOutput = fields["title"], fields["summary"], fields["text"], true
	return ""
}

func jsonText(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func quoteList(vs []string) string {
	q := make([]string, len(vs))
	for i, v := range vs {
		q[i] = strconv.Quote(v)
	}
	return "[" + strings.Join(q, ", ") + "]"
}

// hasCommit reports whether sha is a commit of r: in its graph or among
// its pull requests' commits. s.mu is held.
func (r *repoState) hasCommit(sha string) bool {
	if r.commits[sha] != nil {
		return true
	}
	for _, pr := range r.prs {
		for _, cm := range pr.Commits {
			if strings.EqualFold(cm.OID, sha) {
				return true
			}
		}
	}
	return false
}

// appID is the id of the app whose token the request carries, 0 for
// Options.Token.
func (c *restCall) appID() int64 {
	if c.who.installation != 0 && c.s.app != nil {
		return c.s.app.id
	}
	return 0
}

// listCheckRuns answers GET /repos/{owner}/{repo}/commits/{ref}/check-runs.
func (c *restCall) listCheckRuns(owner, repo, ref string) {
	if !c.checkRunAccess(owner, repo, false, docListCheckRuns) {
		return
	}
	q := c.r.URL.Query()
	c.s.mu.RLock()
	defer c.s.mu.RUnlock()
	r := c.repoLocked(owner, repo)
	sha := strings.ToLower(ref)
	if !shaRE.MatchString(sha) || !r.hasCommit(sha) {
		c.notFound(docListCheckRuns)
		return
	}
	var runs []*CheckRun
	seen := map[string]bool{}
	for i := len(r.checkRuns) - 1; i >= 0; i-- { // newest first
		cr := r.checkRuns[i]
		if cr.HeadSHA != sha || q.Has("check_name") && cr.Name != q.Get("check_name") || q.Has("status") && cr.Status != q.Get("status") {
			continue
		}
		if q.Get("filter") != "all" && seen[cr.Name] {
			continue
		}
		seen[cr.Name] = true
		runs = append(runs, cr)
	}
	start, end, link := c.paginate(len(runs))
	items := []any{}
	for _, cr := range runs[start:end] {
		items = append(items, c.checkRunJSON(r, cr))
	}
	if link != "" {
		c.w.Header().Set("Link", link)
	}
	o := &omap{}
	o.set("total_count", len(runs))
	o.set("check_runs", items)
	writeBody(c.w, http.StatusOK, o)
}

// checkRunJSON is the REST check-run object. s.mu is held.
func (c *restCall) checkRunJSON(r *repoState, cr *CheckRun) *omap {
	api := fmt.Sprintf("%s/repos/%s/check-runs/%d", c.api, r.nameWithOwner(), cr.ID)
	orNull := func(s string, set bool) any {
		if !set {
			return nil
		}
		return s
	}
	timeOrNull := func(t time.Time) any {
		if t.IsZero() {
			return nil
		}
		return t.Format(time.RFC3339)
	}
	output := &omap{}
	output.set("title", orNull(cr.Title, cr.hasOutput))
	output.set("summary", orNull(cr.Summary, cr.hasOutput))
	output.set("text", orNull(cr.Text, cr.hasOutput && cr.Text != ""))
	output.set("annotations_count", 0)
	output.set("annotations_url", api+"/annotations")
	suite := &omap{}
	suite.set("id", userID(fmt.Sprintf("suite:%s@%s:%d", r.nameWithOwner(), cr.HeadSHA, cr.appID)))
	o := &omap{}
	o.set("id", cr.ID)
	o.set("name", cr.Name)
	o.set("node_id", nodeID("CR", strconv.FormatInt(cr.ID, 10)))
	o.set("head_sha", cr.HeadSHA)
	o.set("external_id", orNull(cr.ExternalID, cr.hasExternal))
	o.set("url", api)
	o.set("html_url", fmt.Sprintf("%s/runs/%d", r.url(), cr.ID))
	o.set("details_url", orNull(cr.DetailsURL, cr.hasDetails))
	o.set("status", cr.Status)
	o.set("conclusion", orNull(cr.Conclusion, cr.Conclusion != ""))
	o.set("started_at", timeOrNull(cr.StartedAt))
	o.set("completed_at", timeOrNull(cr.CompletedAt))
	o.set("output", output)
	o.set("check_suite", suite)
	o.set("app", c.appJSON(cr))
	o.set("pull_requests", []any{})
	return o
}

// appJSON is the integration object of the app that wrote cr: the App's
// for its installation tokens, GitHub Actions' for Options.Token.
func (c *restCall) appJSON(cr *CheckRun) *omap {
	id, slug, name, owner, org := int64(15368), "github-actions", "GitHub Actions", "github", true
	if cr.appID != 0 {
		id, slug, name, owner, org = c.s.app.id, c.s.app.slug, c.s.app.slug, "githubsim", false
	}
	at := time.Date(2018, 7, 30, 9, 30, 17, 0, time.UTC).Format(time.RFC3339)
	o := &omap{}
	o.set("id", id)
	o.set("slug", slug)
	o.set("node_id", nodeID("A", strconv.FormatInt(id, 10)))
	o.set("owner", userObject(c.api, owner, org))
	o.set("name", name)
	o.set("description", nil)
	o.set("external_url", "https://github.com/apps/"+slug)
	o.set("html_url", "https://github.com/apps/"+slug)
	o.set("created_at", at)
	o.set("updated_at", at)
	o.set("permissions", &omap{})
	o.set("events", []any{})
	return o
}
