package contract

import (
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"
)

const pruneDoc = `{
  "openapi": "3.0.3",
  "info": {"title": "t", "version": "1"},
  "paths": {
    "/a": {"get": {"responses": {"200": {"$ref": "#/components/responses/ok"}}}},
    "/b": {"get": {"responses": {"200": {"description": "b", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/unused~1slash"}}}}}}}
  },
  "components": {
    "responses": {"ok": {"description": "ok", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/thing"}}}}},
    "schemas": {
      "thing": {"type": "object", "properties": {"part": {"$ref": "#/components/schemas/part"}}},
      "part": {"type": "string"},
      "unused/slash": {"type": "integer"},
      "orphan": {"type": "boolean"}
    }
  }
}`

// Pruning keeps the named paths and every component they reach, however
// indirectly, and nothing else.
func TestPruneKeepsThePathsAndWhatTheyReach(t *testing.T) {
	out, err := prune([]byte(pruneDoc), []string{"/a"})
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Paths      map[string]any
		Components map[string]map[string]any
	}
	if err := json.Unmarshal(out, &doc); err != nil {
		t.Fatal(err)
	}
	if _, ok := doc.Paths["/a"]; !ok || len(doc.Paths) != 1 {
		t.Errorf("paths %v, want only /a", doc.Paths)
	}
	for _, want := range []string{"responses/ok", "schemas/thing", "schemas/part"} {
		kind, name, _ := strings.Cut(want, "/")
		if _, ok := doc.Components[kind][name]; !ok {
			t.Errorf("%s was dropped although /a reaches it", want)
		}
	}
	for _, gone := range []string{"unused/slash", "orphan"} {
		if _, ok := doc.Components["schemas"][gone]; ok {
			t.Errorf("schemas/%s was kept although nothing kept reaches it", gone)
		}
	}
	// A pointer token's escapes are read: /b reaches "unused/slash".
	out, err = prune([]byte(pruneDoc), []string{"/b"})
	if err != nil || !strings.Contains(string(out), `"unused/slash"`) {
		t.Errorf("/b's component behind an escaped $ref: %v\n%s", err, out)
	}
}

// A path to keep that the document lacks is an error, not a silent gap.
func TestPruneRefusesAPathTheDocumentLacks(t *testing.T) {
	if _, err := prune([]byte(pruneDoc), []string{"/a", "/nope"}); err == nil || !strings.Contains(err.Error(), "/nope") {
		t.Errorf("err %v, want one naming /nope", err)
	}
}

// The pruned GitHub description still refuses traffic to an operation it
// does not hold, rather than letting it through unchecked.
func TestPrunedGitHubRESTRefusesOtherPaths(t *testing.T) {
	spec := GitHubRESTSpec(t)
	r := httptest.NewRequest("GET", "http://127.0.0.1/repos/o/r/pulls", nil)
	if err := spec.ValidateRequest(r, nil); err == nil {
		t.Error("a request outside the kept paths was accepted")
	}
	r = httptest.NewRequest("GET", "http://127.0.0.1/repos/o/r/issues/7/comments?per_page=100", nil)
	if err := spec.ValidateRequest(r, nil); err != nil {
		t.Errorf("a kept path: %v", err)
	}
}
