package sentrysim

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// DefaultInstallation and DefaultApp are the installation uuid and app
// slug of a Server whose Options name none.
const (
	DefaultInstallation = "7c1f2b64-3d0e-4f4a-9a51-2f3c8d5e6a90"
	DefaultApp          = "fixproof"
)

// Installation is the uuid of the app installation the server serves and
// its webhooks name.
func (s *Server) Installation() string {
	if s.opts.Installation != "" {
		return s.opts.Installation
	}
	return DefaultInstallation
}

// app is the installed app's slug.
func (s *Server) app() string {
	if s.opts.App != "" {
		return s.opts.App
	}
	return DefaultApp
}

// createExternal is POST /api/0/sentry-app-installations/{uuid}/
// external-issues/, as Sentry's installation external-issues endpoint
// does it: the body's issueId (an integer, or its digits as a string),
// webUrl (an http(s) URL), project and identifier are all required; an
// app has at most one external issue per Sentry issue, so posting again
// updates it in place; the answer is 200 with the link, named
// "<project>#<identifier>". An unknown installation or issue is 404.
func (s *Server) createExternal(w http.ResponseWriter, r *http.Request) {
	if r.PathValue("uuid") != s.Installation() {
		fail(w, http.StatusNotFound, msgNotFound)
		return
	}
	_, fields, ok := readObject(w, r)
	if !ok {
		return
	}
	errs := map[string]any{}
	issueID := ""
	if raw, present := fields["issueId"]; !present {
		errs["issueId"] = []string{"This field is required."}
	} else if id, ok := drfInteger(raw); !ok {
		errs["issueId"] = []string{"A valid integer is required."}
	} else {
		issueID = id
	}
	text := map[string]string{}
	for _, name := range []string{"webUrl", "project", "identifier"} {
		raw, present := fields[name]
		if !present {
			errs[name] = []string{"This field is required."}
			continue
		}
		v, msg := drfString(raw)
		v = strings.TrimSpace(v)
		if msg == "" && v == "" {
			msg = "This field may not be blank."
		}
		if msg == "" && name == "webUrl" {
			if u, err := url.Parse(v); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				msg = "Enter a valid URL."
			}
		}
		if msg != "" {
			errs[name] = []string{msg}
			continue
		}
		text[name] = v
	}
	if len(errs) > 0 {
		reply(w, http.StatusBadRequest, errs)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	is, ok := s.issues[issueID]
	if !ok {
		fail(w, http.StatusNotFound, msgNotFound)
		return
	}
	e := ExternalIssue{ServiceType: s.app(), Project: text["project"], Identifier: text["identifier"], WebURL: text["webUrl"]}
	i := -1
	for j, x := range is.external {
		if x.ServiceType == e.ServiceType {
			i = j
		}
	}
	if i < 0 {
		s.nextExternal++
		is.external = append(is.external, external{id: s.nextExternal, ExternalIssue: e})
		i = len(is.external) - 1
	} else {
		is.external[i].ExternalIssue = e
	}
	reply(w, http.StatusOK, externalJSON(is, is.external[i]))
}

// externalJSON serializes an external issue as Sentry's
// PlatformExternalIssueSerializer does.
func externalJSON(is *issue, e external) map[string]any {
	return map[string]any{
		"id":          strconv.Itoa(e.id),
		"issueId":     is.id,
		"serviceType": e.ServiceType,
		"displayName": e.Project + "#" + e.Identifier,
		"webUrl":      e.WebURL,
	}
}

// drfInteger reads a value as Django REST Framework's IntegerField does:
// a JSON integer, or a string of digits.
func drfInteger(raw json.RawMessage) (string, bool) {
	var v any
	if json.Unmarshal(raw, &v) != nil {
		return "", false
	}
	switch v := v.(type) {
	case float64:
		if v != float64(int64(v)) || v < 0 {
			return "", false
		}
		return strconv.FormatInt(int64(v), 10), true
	case string:
		v = strings.TrimSpace(v)
		if _, err := strconv.ParseUint(v, 10, 63); err != nil {
			return "", false
		}
		return strings.TrimLeft(v, "0"), true
	}
	return "", false
}

// Assign assigns an issue to a user (or, with Type "team", a team), as a
// person does in Sentry's UI; the zero Actor unassigns it. Issues render
// it as assignedTo, and IssueWebhook("assigned") names it. It panics for
// an unknown issue.
func (s *Server) Assign(issueID string, to Actor) {
	s.mu.Lock()
	defer s.mu.Unlock()
	is := s.mustIssue("Assign", issueID)
	if to == (Actor{}) {
		is.assignee = nil
		return
	}
	if to.Type == "" {
		to.Type = "user"
	}
	is.assignee = &to
}

// assignedTo renders an issue's assignee as GroupSerializer does, or nil.
func assignedTo(is *issue) any {
	a := is.assignee
	if a == nil {
		return nil
	}
	m := map[string]any{"type": a.Type, "id": a.ID, "name": a.Name}
	if a.Email != "" {
		m["email"] = a.Email
	}
	return m
}
