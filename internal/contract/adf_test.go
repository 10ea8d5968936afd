package contract

import (
	"encoding/json"
	"testing"
)

func TestADFAcceptsValidDocumentsAndRefusesInvalidOnes(t *testing.T) {
	validate := ADF(t)
	para := func(inline string) string {
		return `{"type":"doc","version":1,"content":[{"type":"paragraph","content":[` + inline + `]}]}`
	}
	tests := []struct {
		name, doc string
		ok        bool
	}{
		{"paragraph", para(`{"type":"text","text":"hi"}`), true},
		{"link", para(`{"type":"text","text":"hi","marks":[{"type":"link","attrs":{"href":"https://x"}}]}`), true},
		{"empty document", `{"type":"doc","version":1,"content":[]}`, true},
		{"heading", `{"type":"doc","version":1,"content":[{"type":"heading","attrs":{"level":3},"content":[{"type":"text","text":"h"}]}]}`, true},
		{"text at the top level", `{"type":"doc","version":1,"content":[{"type":"text","text":"hi"}]}`, false},
		{"unknown node", `{"type":"doc","version":1,"content":[{"type":"marquee"}]}`, false},
		{"unknown mark", para(`{"type":"text","text":"hi","marks":[{"type":"blink"}]}`), false},
		{"link without href", para(`{"type":"text","text":"hi","marks":[{"type":"link","attrs":{}}]}`), false},
		{"heading without level", `{"type":"doc","version":1,"content":[{"type":"heading","content":[{"type":"text","text":"h"}]}]}`, false},
		{"heading level 7", `{"type":"doc","version":1,"content":[{"type":"heading","attrs":{"level":7}}]}`, false},
		{"empty text", para(`{"type":"text","text":""}`), false},
		{"version 2", `{"type":"doc","version":2,"content":[]}`, false},
		{"a string", `"hello"`, false},
		{"not JSON", `{"type":`, false},
	}
	for _, tt := range tests {
		err := validate(json.RawMessage(tt.doc))
		if (err == nil) != tt.ok {
			t.Errorf("%s: error %v, want ok=%v", tt.name, err, tt.ok)
		}
	}
}

func TestADFSchemaIsTheDocument(t *testing.T) {
	doc := ADFSchema(t)
	defs, _ := doc["definitions"].(map[string]any)
	if doc["$ref"] != "#/definitions/doc_node" || defs["paragraph_node"] == nil {
		t.Errorf("unexpected schema document: $ref %v, %d definitions", doc["$ref"], len(defs))
	}
}

func TestADFSkipsWhenAbsent(t *testing.T) {
	t.Setenv(EnvDir, t.TempDir())
	t.Setenv("CI", "")
	for name, load := range map[string]func(testing.TB){
		"ADF":       func(t testing.TB) { ADF(t) },
		"ADFSchema": func(t testing.TB) { ADFSchema(t) },
	} {
		var skipped bool
		t.Run(name, func(st *testing.T) {
			defer func() { skipped = st.Skipped() }()
			load(st)
		})
		if !skipped {
			t.Errorf("%s did not skip without contracts", name)
		}
	}
}

func TestADFIfPresentFallsBackWithoutContracts(t *testing.T) {
	t.Setenv("CI", "")
	if ADFIfPresent(t) == nil {
		if _, ok := Dir(); ok {
			t.Error("nil although the contracts are present")
		}
	}
	t.Setenv(EnvDir, t.TempDir())
	if ADFIfPresent(t) != nil {
		t.Error("a validator without contracts")
	}
}
