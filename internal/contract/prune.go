package contract

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// prune cuts an OpenAPI document (JSON) down to the paths named in keep
// and the components they reach through $ref, transitively: what
// validating fixproof's traffic needs of a large document, without the
// cost of loading the rest. A path in keep the document does not have is
// an error, so a renamed path fails loudly instead of leaving its traffic
// unchecked; traffic to a path not in keep is refused by the Spec as an
// operation the document lacks.
func prune(raw []byte, keep []string) ([]byte, error) {
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(raw, &doc); err != nil {
		return nil, err
	}
	var paths map[string]json.RawMessage
	if err := json.Unmarshal(doc["paths"], &paths); err != nil {
		return nil, fmt.Errorf("paths: %w", err)
	}
	var components map[string]map[string]json.RawMessage
	if c, ok := doc["components"]; ok {
		if err := json.Unmarshal(c, &components); err != nil {
			return nil, fmt.Errorf("components: %w", err)
		}
	}
	kept := map[string]json.RawMessage{}
	var missing []string
	for _, p := range keep {
		item, ok := paths[p]
		if !ok {
			missing = append(missing, p)
			continue
		}
		kept[p] = item
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		return nil, fmt.Errorf("the document has no path %s", strings.Join(missing, ", "))
	}
	reached, err := reach(kept, components)
	if err != nil {
		return nil, err
	}
	// Security schemes are named by operations' security lists, not
	// reached through $ref: keep them all.
	if schemes, ok := components["securitySchemes"]; ok {
		reached["securitySchemes"] = schemes
	}
	if doc["paths"], err = json.Marshal(kept); err != nil {
		return nil, err
	}
	if doc["components"], err = json.Marshal(reached); err != nil {
		return nil, err
	}
	return json.Marshal(doc)
}

// reach collects the components the kept paths refer to, and those they
// refer to in turn.
func reach(kept map[string]json.RawMessage, components map[string]map[string]json.RawMessage) (map[string]map[string]json.RawMessage, error) {
	out := map[string]map[string]json.RawMessage{}
	var queue [][]byte
	for _, item := range kept {
		queue = append(queue, item)
	}
	for len(queue) > 0 {
		next := queue[0]
		queue = queue[1:]
		for _, ref := range refsIn(next) {
			kind, name, ok := componentRef(ref)
			if !ok {
				return nil, fmt.Errorf("$ref %q is not to a component of the document", ref)
			}
			if _, seen := out[kind][name]; seen {
				continue
			}
			c, ok := components[kind][name]
			if !ok {
				return nil, fmt.Errorf("$ref %q: no such component", ref)
			}
			if out[kind] == nil {
				out[kind] = map[string]json.RawMessage{}
			}
			out[kind][name] = c
			queue = append(queue, c)
		}
	}
	return out, nil
}

// refsIn lists the $ref values in a JSON text.
func refsIn(raw []byte) []string {
	var refs []string
	const key = `"$ref"`
	for {
		i := bytes.Index(raw, []byte(key))
		if i < 0 {
			return refs
		}
		raw = raw[i+len(key):]
		var ref string
		dec := json.NewDecoder(bytes.NewReader(bytes.TrimLeft(bytes.TrimLeft(raw, " \t\r\n"), ":")))
		if dec.Decode(&ref) == nil {
			refs = append(refs, ref)
		}
	}
}

// componentRef splits "#/components/KIND/NAME" (NAME unescaped as a JSON
// pointer token).
func componentRef(ref string) (kind, name string, ok bool) {
	rest, ok := strings.CutPrefix(ref, "#/components/")
	if !ok {
		return "", "", false
	}
	kind, name, ok = strings.Cut(rest, "/")
	name = strings.NewReplacer("~1", "/", "~0", "~").Replace(name)
	return kind, name, ok && name != ""
}
