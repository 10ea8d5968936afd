package sentrysim

import (
	"encoding/json"
	"reflect"
	"testing"
)

const externalPath = "/api/0/sentry-app-installations/" + DefaultInstallation + "/external-issues/"

func TestCreateExternalIssue(t *testing.T) {
	e := newEnv(t, Options{})
	r := e.call("POST", externalPath, `{"issueId": 4711, "webUrl": "https://acme.atlassian.net/browse/OPS-1", "project": "OPS", "identifier": "OPS-1"}`, both)
	got := r.json(t)
	want := map[string]any{"id": got["id"], "issueId": "4711", "serviceType": "fixproof", "displayName": "OPS#OPS-1", "webUrl": "https://acme.atlassian.net/browse/OPS-1"}
	if r.status != 200 || !reflect.DeepEqual(got, want) || got["id"] == "" {
		t.Errorf("%d %v", r.status, got)
	}
	// Posting again updates the app's one link; the id as a string is
	// accepted as Sentry's IntegerField does (the spec types it integer).
	r = e.call("POST", externalPath, `{"issueId": "4711", "webUrl": "https://acme.atlassian.net/browse/OPS-2", "project": "OPS", "identifier": "OPS-2"}`, answer)
	if again := r.json(t); r.status != 200 || again["id"] != got["id"] || again["displayName"] != "OPS#OPS-2" {
		t.Errorf("again: %d %v", r.status, again)
	}
	st, _ := e.s.Issue("4711")
	if want := []ExternalIssue{{ServiceType: "fixproof", Project: "OPS", Identifier: "OPS-2", WebURL: "https://acme.atlassian.net/browse/OPS-2"}}; !reflect.DeepEqual(st.External, want) {
		t.Errorf("snapshot %+v", st.External)
	}
	var list []map[string]any
	if err := json.Unmarshal(e.get(issuePath+"external-issues/").body, &list); err != nil || len(list) != 1 || list[0]["displayName"] != "OPS#OPS-2" {
		t.Errorf("list %v %v", list, err)
	}
}

func TestCreateExternalIssueRefused(t *testing.T) {
	e := newEnv(t, Options{Installation: "11111111-2222-4333-8444-555555555555", App: "bridge"})
	body := `{"issueId": 4711, "webUrl": "https://x.example/OPS-1", "project": "OPS", "identifier": "OPS-1"}`
	wantDetail(t, e.call("POST", externalPath, body, both), 404, msgNotFound)
	path := "/api/0/sentry-app-installations/11111111-2222-4333-8444-555555555555/external-issues/"
	wantDetail(t, e.call("POST", path, `{"issueId": 999, "webUrl": "https://x.example/OPS-1", "project": "OPS", "identifier": "OPS-1"}`, both), 404, msgNotFound)
	for body, want := range map[string]string{
		`{"webUrl": "https://x.example/1", "project": "OPS", "identifier": "OPS-1"}`:                 `{"issueId":["This field is required."]}`,
		`{"issueId": "x", "webUrl": "https://x.example/1", "project": "OPS", "identifier": "OPS-1"}`: `{"issueId":["A valid integer is required."]}`,
		`{"issueId": 4711, "webUrl": "not a url", "project": "OPS", "identifier": "OPS-1"}`:          `{"webUrl":["Enter a valid URL."]}`,
		`{"issueId": 4711, "webUrl": "https://x.example/1", "project": " ", "identifier": "OPS-1"}`:  `{"project":["This field may not be blank."]}`,
		`{"issueId": 4711, "webUrl": "https://x.example/1", "project": "OPS"}`:                       `{"identifier":["This field is required."]}`,
		`[]`: `{"non_field_errors":["Invalid data. Expected a dictionary, but got list."]}`,
	} {
		r := e.call("POST", path, body, unchecked)
		if r.status != 400 || string(r.body) != want {
			t.Errorf("%s: %d %s, want 400 %s", body, r.status, r.body, want)
		}
	}
	if r := e.call("GET", path, "", unchecked); r.status != 405 {
		t.Errorf("GET: %d", r.status)
	}
	r := e.call("POST", path, body, both)
	if got := r.json(t); r.status != 200 || got["serviceType"] != "bridge" {
		t.Errorf("custom app: %d %v", r.status, got)
	}
}

func TestAssign(t *testing.T) {
	e := newEnv(t, Options{})
	e.s.Assign("4711", Actor{ID: "7", Name: "Jane Doe", Email: "jane@example.com"})
	got := e.get(issuePath).json(t)["assignedTo"]
	if want := map[string]any{"type": "user", "id": "7", "name": "Jane Doe", "email": "jane@example.com"}; !reflect.DeepEqual(got, want) {
		t.Errorf("assignedTo %v", got)
	}
	e.s.Assign("4711", Actor{})
	if got := e.get(issuePath).json(t)["assignedTo"]; got != nil {
		t.Errorf("unassigned: %v", got)
	}
}
