package jirasim

import (
	"strings"
	"testing"
)

// The create metadata pages as the OpenAPI document says: at most 200 a
// page, a larger maxResults refused with Jira's message; Data Center
// lists values and says isLast.
func TestCreateMetadataPagesAsJiraDoes(t *testing.T) {
	_, cloud := newServer(t, Cloud)
	msgs, _ := errorMessages(t, cloud.want(400, "GET", "/rest/api/3/issue/createmeta/OPS/issuetypes?maxResults=201", nil))
	if len(msgs) != 1 || msgs[0] != "Parameter 'maxResults' must not exceed the limit '200'" {
		t.Errorf("maxResults 201: %v", msgs)
	}
	page := obj(t, cloud.want(200, "GET", "/rest/api/3/issue/createmeta/ops/issuetypes?startAt=1&maxResults=1", nil))
	types := list(t, page["issueTypes"])
	if len(types) != 1 || obj(t, types[0])["name"] != "Task" || page["total"] != float64(3) || page["startAt"] != float64(1) {
		t.Errorf("the second page of one: %v", page)
	}
	_, dc := newServer(t, DataCenter)
	page = obj(t, dc.want(200, "GET", "/rest/api/2/issue/createmeta/OPS/issuetypes?startAt=2", nil))
	if len(list(t, page["values"])) != 1 || page["isLast"] != true || page["issueTypes"] != nil {
		t.Errorf("Data Center's last page: %v", page)
	}
}

func TestCreateScreenSettersRefuseWhatJiraCannotBe(t *testing.T) {
	srv, _ := newServer(t, Cloud)
	for _, f := range []string{"summary", "project", "issuetype"} {
		if err := srv.HideCreateField("OPS", f); err == nil || !strings.Contains(err.Error(), "on every create screen") {
			t.Errorf("hiding %s: %v", f, err)
		}
	}
	for _, id := range []string{"team", "customfield_", "customfield_x"} {
		if err := srv.AddRequiredField("OPS", id, "Team"); err == nil {
			t.Errorf("custom field id %q accepted", id)
		}
	}
	if err := srv.HideCreateField("NOPE", "labels"); err == nil {
		t.Error("a field hidden in a project that does not exist")
	}
}
