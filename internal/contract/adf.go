package contract

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// adfSchemaFile is Atlassian's JSON Schema of the Atlassian Document
// Format, the rich text of Jira Cloud's v3 API (see SOURCES.md).
const adfSchemaFile = "jira/adf-schema-v1-full.json"

// ADF returns a validator of Atlassian Document Format documents against
// Atlassian's own schema: nil for a document Jira Cloud accepts as rich
// text, else an error saying where it breaks the schema. Plug it into a
// simulated Jira so every description and comment body the code under
// test writes is checked by the vendor's rules:
//
//	js := jirasim.New(jirasim.Options{..., ADF: contract.ADF(t)})
//
// ADF skips the test like Require when the contracts are absent, and
// fails it when the schema cannot be loaded.
func ADF(t testing.TB) func(doc json.RawMessage) error {
	t.Helper()
	p := RequireFile(t, adfSchemaFile)
	sch, err := cached("adf "+p, func() (*jsonschema.Schema, error) { return compileADF(p) })
	if err != nil {
		t.Fatal(err)
	}
	return func(doc json.RawMessage) error {
		v, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
		if err != nil {
			return fmt.Errorf("adf: not a JSON document: %w", err)
		}
		if err := sch.Validate(v); err != nil {
			return &adfError{err}
		}
		return nil
	}
}

// adfError is a document the schema refused. Its message is built only
// when asked for: the validator's error tree for a document that matches
// none of ADF's node alternatives is large, and most callers only ask
// whether there was one.
type adfError struct{ err error }

func (e *adfError) Error() string { return "adf: " + e.err.Error() }

func (e *adfError) Unwrap() error { return e.err }

// ADFIfPresent is ADF where the contracts are present and nil where they
// are absent, for a test world that runs either way: a simulator given
// nil falls back on its own check (jirasim.ValidateADF). With CI=true it
// is ADF, whose absence rule then applies: CI must not pass unchecked.
//
//	js := jirasim.New(jirasim.Options{..., ADF: contract.ADFIfPresent(t)})
func ADFIfPresent(t testing.TB) func(doc json.RawMessage) error {
	t.Helper()
	if _, ok := Dir(); !ok && !inCI(os.Getenv) {
		return nil
	}
	return ADF(t)
}

// ADFSchema returns Atlassian's ADF schema document as decoded JSON (its
// numbers as json.Number), for tests that generate documents from its
// definitions. It skips and fails like ADF.
func ADFSchema(t testing.TB) map[string]any {
	t.Helper()
	p := RequireFile(t, adfSchemaFile)
	doc, err := cached("adf doc "+p, func() (map[string]any, error) { return readADFSchema(p) })
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

func readADFSchema(path string) (map[string]any, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("contract: ADF schema: %w", err)
	}
	defer f.Close()
	v, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		return nil, fmt.Errorf("contract: ADF schema %s: %w", path, err)
	}
	doc, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("contract: ADF schema %s is not a JSON object", path)
	}
	return doc, nil
}

// compileADF compiles the schema at path (draft-04, as it declares).
func compileADF(path string) (*jsonschema.Schema, error) {
	// A fresh decode: the compiler keeps what it is given, and the
	// document ADFSchema hands out may be read by tests.
	doc, err := readADFSchema(path)
	if err != nil {
		return nil, err
	}
	const url = "https://contracts.invalid/jira/adf-schema-v1-full.json"
	c := jsonschema.NewCompiler()
	if err := c.AddResource(url, doc); err != nil {
		return nil, fmt.Errorf("contract: ADF schema: %w", err)
	}
	sch, err := c.Compile(url)
	if err != nil {
		return nil, fmt.Errorf("contract: ADF schema: %w", err)
	}
	return sch, nil
}
