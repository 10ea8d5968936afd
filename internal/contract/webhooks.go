package contract

import (
	"bytes"
	"fmt"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// gitHubWebhookSchemaDir is octokit's JSON Schemas of GitHub's webhook
// payloads, relative to Dir: <event>/<action>.schema.json (or
// <event>/event.schema.json for an event without actions) and the shared
// definitions under common/.
const gitHubWebhookSchemaDir = "github/webhook-schemas/api.github.com"

// JSONSchema is a compiled JSON Schema. It is safe for concurrent use.
type JSONSchema struct {
	name string
	sch  *jsonschema.Schema
}

// Validate checks a decoded JSON value (as jsonschema.UnmarshalJSON or
// encoding/json with UseNumber decode it; plain float64 numbers work
// too) against the schema: nil when it conforms, else an error saying
// where it does not.
func (s *JSONSchema) Validate(v any) error {
	if err := s.sch.Validate(v); err != nil {
		return fmt.Errorf("contract: %s: %w", s.name, err)
	}
	return nil
}

// ValidateJSON checks one JSON document against the schema.
func (s *JSONSchema) ValidateJSON(doc []byte) error {
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
	if err != nil {
		return fmt.Errorf("contract: %s: not a JSON document: %w", s.name, err)
	}
	return s.Validate(v)
}

// GitHubWebhookPayload returns the schema of the payload GitHub sends
// for event with action ("" for an event without actions, such as ping):
// github/webhook-schemas/api.github.com/<event>/<action>.schema.json
// under Dir. It skips the test like Require when the contracts are
// absent, and fails it when the schema is missing or does not compile.
func GitHubWebhookPayload(t testing.TB, event, action string) *JSONSchema {
	t.Helper()
	if action == "" {
		action = "event"
	}
	return GitHubWebhookSchema(t, event+"/"+action+".schema.json")
}

// GitHubWebhookSchema compiles rel, a schema file relative to
// github/webhook-schemas/api.github.com under Dir
// ("pull_request/opened.schema.json", "common/issue-comment.schema.json"),
// with the files it references. Formats are asserted (date-time, uri,
// email, ...), as octokit's own validation does with ajv-formats.
//
// Two things about octokit's schemas need saying. Every $id is relative
// to the root of the schema tree ("common/user.schema.json",
// "pull_request$opened"), and every $ref relative to the $id of the
// document it is in; so each document is served under a made-up root
// URL with its $id resolved against that root, not against the file's
// own URL. And tsAdditionalProperties is a custom keyword that only steers
// octokit's TypeScript generation (it sits in allOf branches, where
// additionalProperties: false would refuse every valid payload): it is
// declared here as a known keyword that asserts nothing, as octokit's
// README tells ajv users to do, and its value is checked to be a boolean.
func GitHubWebhookSchema(t testing.TB, rel string) *JSONSchema {
	t.Helper()
	dir := filepath.Join(Require(t), filepath.FromSlash(gitHubWebhookSchemaDir))
	if _, err := os.Stat(filepath.Join(dir, filepath.FromSlash(rel))); err != nil {
		Missing(t, gitHubWebhookSchemaDir+"/"+rel)
	}
	sch, err := cached("webhook schema "+dir+" "+rel, func() (*JSONSchema, error) { return compileWebhookSchema(dir, rel) })
	if err != nil {
		t.Fatal(err)
	}
	return sch
}

// webhookSchemaRoot is the made-up URL the schema tree is served under.
const webhookSchemaRoot = "https://webhook-schemas.invalid/"

func compileWebhookSchema(dir, rel string) (*JSONSchema, error) {
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft7)
	c.AssertFormat()
	// The library's uri-template check splits the URL at "/" before
	// matching braces, so it refuses GitHub's own
	// "following{/other_user}"; check RFC 6570 expressions instead.
	c.RegisterFormat(&jsonschema.Format{Name: "uri-template", Validate: validateURITemplate})
	c.RegisterVocabulary(tsAdditionalPropertiesVocab())
	c.UseLoader(webhookSchemaLoader{dir: dir})
	sch, err := c.Compile(webhookSchemaRoot + rel)
	if err != nil {
		return nil, fmt.Errorf("contract: compiling webhook schema %s: %w", rel, err)
	}
	return &JSONSchema{name: "webhook schema " + rel, sch: sch}, nil
}

// webhookSchemaLoader serves the files of dir under webhookSchemaRoot,
// each with its $id resolved against the root (see GitHubWebhookSchema).
type webhookSchemaLoader struct{ dir string }

func (l webhookSchemaLoader) Load(u string) (any, error) {
	rel, ok := strings.CutPrefix(u, webhookSchemaRoot)
	if !ok || path.Clean(rel) != rel || strings.HasPrefix(rel, "../") {
		return nil, fmt.Errorf("schema %s is outside the webhook schemas", u)
	}
	f, err := os.Open(filepath.Join(l.dir, filepath.FromSlash(rel)))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", rel, err)
	}
	if m, ok := doc.(map[string]any); ok {
		if id, ok := m["$id"].(string); ok {
			m["$id"] = webhookSchemaRoot + id
		}
		if e, ok := webhookErrata[rel]; ok && !e.fix(m) {
			return nil, fmt.Errorf("%s: erratum no longer applies, octokit may have fixed its schema; review and remove: %s", rel, e.what)
		}
	}
	return doc, nil
}

// webhookErratum corrects one of octokit's webhook schemas where
// GitHub's own deliveries contradict it; fix reports false when the
// schema no longer has the flaw.
type webhookErratum struct {
	what string
	fix  func(doc map[string]any) bool
}

// webhookErrata are the corrections to octokit's webhook schemas, by file.
var webhookErrata = map[string]webhookErratum{
	// The ping schema requires hook.url and hook.ping_url, the URLs of a
	// repository's or an organization's hook. The hook of a GitHub App has
	// neither: GitHub's pings to Apps carry type "App" and app_id instead
	// (captured on github.com in 2018, octokit/webhooks#3, and on GHES 3.5,
	// octokit/webhooks.net#89; octokit's own description of app_id says
	// the ping of a new App carries it), and since then deliveries_url,
	// https://api.github.com/app/hook/deliveries. So url and ping_url stay
	// required of other hooks, and an App's hook requires app_id.
	"ping/event.schema.json": {
		what: "ping: an App hook's ping is required to have url and ping_url",
		fix: func(doc map[string]any) bool {
			props, _ := doc["properties"].(map[string]any)
			hook, _ := props["hook"].(map[string]any)
			required, _ := hook["required"].([]any)
			var kept []any
			var moved int
			for _, r := range required {
				if r == "url" || r == "ping_url" {
					moved++
					continue
				}
				kept = append(kept, r)
			}
			if moved != 2 {
				return false
			}
			hook["required"] = kept
			hook["if"] = map[string]any{"properties": map[string]any{"type": map[string]any{"const": "App"}}}
			hook["then"] = map[string]any{"required": []any{"app_id"}}
			hook["else"] = map[string]any{"required": []any{"url", "ping_url"}}
			return true
		},
	},
}

// tsAdditionalPropertiesVocab declares octokit's tsAdditionalProperties
// keyword: known, boolean, asserting nothing.
func tsAdditionalPropertiesVocab() *jsonschema.Vocabulary {
	const name = "tsAdditionalProperties"
	meta, err := jsonschema.UnmarshalJSON(strings.NewReader(`{"properties":{"` + name + `":{"type":"boolean"}}}`))
	if err != nil {
		panic(err) // a constant
	}
	mc := jsonschema.NewCompiler()
	if err := mc.AddResource("https://webhook-schemas.invalid/meta/ts.json", meta); err != nil {
		panic(err)
	}
	return &jsonschema.Vocabulary{
		URL:    "https://webhook-schemas.invalid/vocab/ts",
		Schema: mc.MustCompile("https://webhook-schemas.invalid/meta/ts.json"),
		Compile: func(*jsonschema.CompilerContext, map[string]any) (jsonschema.SchemaExt, error) {
			return nil, nil
		},
	}
}

var uriTemplateExpr = regexp.MustCompile(`^[+#./;?&]?` + uriTemplateVar + `(,` + uriTemplateVar + `)*$`)

const uriTemplateVar = `(?:[A-Za-z0-9_]|%[0-9A-Fa-f]{2})(?:\.?(?:[A-Za-z0-9_]|%[0-9A-Fa-f]{2}))*(?::[1-9][0-9]{0,3}|\*)?`

// validateURITemplate accepts an RFC 6570 template: well-formed {...}
// expressions around literal text that is a URI reference.
func validateURITemplate(v any) error {
	s, ok := v.(string)
	if !ok {
		return nil
	}
	var literal strings.Builder
	for rest := s; rest != ""; {
		open := strings.IndexAny(rest, "{}")
		if open < 0 {
			literal.WriteString(rest)
			break
		}
		if rest[open] == '}' {
			return fmt.Errorf("%q: unmatched }", s)
		}
		literal.WriteString(rest[:open])
		end := strings.IndexAny(rest[open+1:], "{}")
		if end < 0 || rest[open+1+end] != '}' {
			return fmt.Errorf("%q: unclosed {", s)
		}
		if expr := rest[open+1 : open+1+end]; !uriTemplateExpr.MatchString(expr) {
			return fmt.Errorf("%q: bad expression {%s}", s, expr)
		}
		rest = rest[open+1+end+1:]
	}
	if _, err := url.Parse(literal.String()); err != nil {
		return fmt.Errorf("%q: %w", s, err)
	}
	return nil
}
