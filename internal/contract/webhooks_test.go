package contract

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestGitHubWebhookSchemasAcceptGitHubsOwnExamples compiles the payload
// schemas of the events the GitHub simulator sends and checks GitHub's
// example payloads (octokit's) against them: the loader resolves the
// schemas' references as octokit means them.
func TestGitHubWebhookSchemasAcceptGitHubsOwnExamples(t *testing.T) {
	events := filepath.Join(Require(t), "github", "events")
	checked := 0
	for _, ev := range []string{"ping", "installation", "pull_request", "deployment_status"} {
		files, _ := filepath.Glob(filepath.Join(events, ev, "*.json"))
		for _, f := range files {
			action, _, _ := strings.Cut(filepath.Base(f), ".")
			if ev == "ping" {
				action = ""
			}
			if _, err := os.Stat(filepath.Join(Require(t), "github", "webhook-schemas", "api.github.com", ev, action+".schema.json")); ev != "ping" && err != nil {
				continue // an action without a schema of its own
			}
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			err = GitHubWebhookPayload(t, ev, action).ValidateJSON(b)
			switch name := ev + "/" + filepath.Base(f); {
			case staleExamples[name] && err == nil:
				t.Errorf("%s now passes: take it off staleExamples", name)
			case !staleExamples[name] && err != nil:
				t.Errorf("%s: %v", name, err)
			}
			checked++
		}
	}
	if checked < 20 {
		t.Errorf("checked only %d example payloads", checked)
	}
}

// staleExamples are octokit example payloads recorded before GitHub
// added fields the schemas now require (suspended_at and suspended_by of
// an installation; auto_merge, active_lock_reason, and a repository's
// is_template, topics, visibility, custom_properties, ...): the schemas
// follow what GitHub sends today, these examples what it sent then.
var staleExamples = map[string]bool{
	"installation/deleted.octokit-examples-1.payload.json":      true,
	"pull_request/opened.octokit-examples-1.payload.json":       true,
	"deployment_status/created.octokit-examples-1.payload.json": true,
}

// TestGitHubWebhookSchemaRefusesBrokenPayloads: the check has teeth, in
// the payload's own fields and in those it takes from common/ by $ref.
func TestGitHubWebhookSchemaRefusesBrokenPayloads(t *testing.T) {
	b, err := os.ReadFile(RequireFile(t, "github/events/pull_request/opened.payload.json"))
	if err != nil {
		t.Fatal(err)
	}
	sch := GitHubWebhookPayload(t, "pull_request", "opened")
	for name, edit := range map[string][2]string{
		"wrong action":           {`"action": "opened"`, `"action": "closed"`},
		"number a string":        {`"number": 2,`, `"number": "2",`},
		"bad date in common/":    {`"created_at": "2019-05-15T15:20:33Z"`, `"created_at": "yesterday"`},
		"unknown user type":      {`"type": "User"`, `"type": "Robot"`},
		"unknown key in common/": {`"login": "Codertocat",`, `"login": "Codertocat", "nickname": "x",`},
	} {
		doc := strings.Replace(string(b), edit[0], edit[1], 1)
		if doc == string(b) {
			t.Fatalf("%s: %q is not in the example", name, edit[0])
		}
		if err := sch.ValidateJSON([]byte(doc)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// TestTSAdditionalPropertiesIsAKnownBooleanKeyword: octokit's custom
// keyword compiles when it is a boolean and asserts nothing, and a schema
// that misuses it does not compile.
func TestTSAdditionalPropertiesIsAKnownBooleanKeyword(t *testing.T) {
	dir := t.TempDir()
	write := func(name, doc string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(doc), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("good.schema.json", `{"$schema":"http://json-schema.org/draft-07/schema","$id":"good","allOf":[{"type":"object","properties":{"a":{"type":"integer"}},"tsAdditionalProperties":false}]}`)
	write("bad.schema.json", `{"$schema":"http://json-schema.org/draft-07/schema","$id":"bad","type":"object","tsAdditionalProperties":"no"}`)
	good, err := compileWebhookSchema(dir, "good.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := good.ValidateJSON([]byte(`{"a":1,"b":2}`)); err != nil {
		t.Errorf("tsAdditionalProperties asserted something: %v", err)
	}
	if err := good.ValidateJSON([]byte(`{"a":"1"}`)); err == nil {
		t.Error("the schema around it asserts nothing")
	}
	if _, err := compileWebhookSchema(dir, "bad.schema.json"); err == nil {
		t.Error("a string tsAdditionalProperties compiled")
	}
}

// appPing has the shape of the ping GitHub sends a newly registered
// App's hook today: the hook's type, id, name, active, events, config,
// dates, app_id and deliveries_url, and nothing else (captured pings of
// 2022, octokit/webhooks.net#89, and 2025; those of 2018,
// octokit/webhooks#3, had no deliveries_url yet). The values are made up.
const appPing = `{"zen":"Design for failure.","hook_id":500000001,"hook":{"type":"App","id":500000001,"name":"web","active":true,` +
	`"events":["pull_request"],"config":{"content_type":"json","insecure_ssl":"0","url":"https://bot.example.com/webhook"},` +
	`"updated_at":"2025-03-06T19:02:16Z","created_at":"2025-03-06T19:02:16Z","app_id":1000001,` +
	`"deliveries_url":"https://api.github.com/app/hook/deliveries"}}`

// TestPingSchemaErratumAcceptsAnAppsPingOnly: with the erratum, the ping
// of an App's hook, which has no url or ping_url, validates; an App's
// ping without app_id and a repository hook's ping without its URLs
// still do not.
func TestPingSchemaErratumAcceptsAnAppsPingOnly(t *testing.T) {
	sch := GitHubWebhookPayload(t, "ping", "")
	if err := sch.ValidateJSON([]byte(appPing)); err != nil {
		t.Errorf("GitHub's ping of an App: %v", err)
	}
	noAppID := strings.Replace(appPing, `"app_id":1000001,`, "", 1)
	if err := sch.ValidateJSON([]byte(noAppID)); err == nil {
		t.Error("an App's ping without app_id was accepted")
	}
	b, err := os.ReadFile(RequireFile(t, "github/events/ping/payload.json"))
	if err != nil {
		t.Fatal(err)
	}
	var repoPing map[string]any
	if err := json.Unmarshal(b, &repoPing); err != nil {
		t.Fatal(err)
	}
	hook := repoPing["hook"].(map[string]any)
	if hook["type"] == "App" {
		t.Fatal("the example is an App's ping; the test needs a repository's")
	}
	delete(hook, "ping_url")
	noURL, _ := json.Marshal(repoPing)
	if err := sch.ValidateJSON(noURL); err == nil {
		t.Error("a repository hook's ping without ping_url was accepted")
	}
}
