package botconfig

import (
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/fixproof/fixproof/internal/typo"

	"go.yaml.in/yaml/v3"
)

// The file is read as YAML nodes and walked along Config's type one key at
// a time, rather than decoded in one go: yaml's decoder stops at the first
// unknown key, names Go types ("field projct not found in type
// botconfig.Jira") and forgets lines. Walking, every problem names its
// line, its key and what to write, and all of them are reported at once.

// decoder walks the file's nodes into the configuration.
type decoder struct {
	p *problems
}

var (
	durationType = reflect.TypeOf(Duration(0))
	timeType     = reflect.TypeOf(time.Time{})
)

// lineNumber is the line yaml's messages start with ("yaml: line 4: ").
var lineNumber = regexp.MustCompile(`^yaml: (line \d+: )?`)

// parse reads raw into a document node; a syntax error is a problem at its
// line, and nothing more can be read.
func (d *decoder) parse(raw []byte) (*yaml.Node, bool) {
	var doc yaml.Node
	err := yaml.Unmarshal(raw, &doc)
	if err == nil {
		return &doc, true
	}
	d.p.addAt(syntaxErrorLine(raw, err), "", "not valid YAML: %s", lineNumber.ReplaceAllString(err.Error(), ""))
	return nil, false
}

// syntaxErrorLine is the line a syntax error is on: the first line at
// which the file, read up to there, fails as the whole file does. The
// line yaml reports is that of the construct the error is in (its block
// mapping, often the top), or none.
func syntaxErrorLine(raw []byte, whole error) int {
	want := lineNumber.ReplaceAllString(whole.Error(), "")
	lines := strings.SplitAfter(string(raw), "\n")
	var prefix strings.Builder
	for i, l := range lines {
		prefix.WriteString(l)
		var n yaml.Node
		if err := yaml.Unmarshal([]byte(prefix.String()), &n); err != nil && lineNumber.ReplaceAllString(err.Error(), "") == want {
			return i + 1
		}
	}
	return 0
}

// document reads a parsed file into cfg.
func (d *decoder) document(doc *yaml.Node, cfg *Config) {
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		return // an empty file: the defaults and the environment
	}
	root := resolve(doc.Content[0])
	if root.Kind == yaml.ScalarNode && root.Tag == "!!null" {
		return
	}
	if root.Kind != yaml.MappingNode {
		d.p.addAt(root.Line, "", "%s where the settings are expected: write key: value lines, e.g. listen: \":8080\"", describe(root))
		return
	}
	d.value(root, reflect.ValueOf(cfg).Elem(), "")
}

// resolve follows an alias to the node it names.
func resolve(n *yaml.Node) *yaml.Node {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n
}

// value reads node n into v, the setting key.
func (d *decoder) value(n *yaml.Node, v reflect.Value, key string) {
	n = resolve(n)
	t := v.Type()
	switch {
	case t == durationType:
		d.duration(n, v, key)
	case t == timeType:
		d.scalar(n, v, key)
	case t.Kind() == reflect.Struct:
		d.mapping(n, v, key)
	case t.Kind() == reflect.Slice:
		d.list(n, v, key)
	case t.Kind() == reflect.Map:
		d.dict(n, v, key)
	default:
		d.scalar(n, v, key)
	}
}

// isNull reports an empty value (key: with nothing after it, ~ or null),
// which leaves a setting as it was, as yaml does.
func isNull(n *yaml.Node) bool { return n.Kind == yaml.ScalarNode && n.Tag == "!!null" }

// mapping reads a mapping into the struct v, key by key.
func (d *decoder) mapping(n *yaml.Node, v reflect.Value, key string) {
	if isNull(n) {
		return
	}
	if n.Kind != yaml.MappingNode {
		d.mismatch(n, v.Type(), key)
		return
	}
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		if k.Value == "<<" && k.Tag == "!!merge" {
			d.merge(val, v, key)
			continue
		}
		d.field(k, val, v, key, seen)
	}
}

// merge reads a YAML merge (<<: *anchor, or a list of them) into v.
func (d *decoder) merge(n *yaml.Node, v reflect.Value, key string) {
	n = resolve(n)
	if n.Kind == yaml.SequenceNode {
		for _, m := range n.Content {
			d.mapping(resolve(m), v, key)
		}
		return
	}
	d.mapping(n, v, key)
}

// field reads one key: value pair of a mapping into the struct v.
func (d *decoder) field(k, val *yaml.Node, v reflect.Value, parent string, seen map[string]int) {
	name := k.Value
	key := join(parent, name)
	i, ok := fieldIndex(v.Type(), name)
	if !ok {
		d.p.addAt(k.Line, key, "unknown key; %s", suggest(v.Type(), parent, name))
		return
	}
	if first, dup := seen[name]; dup {
		d.p.addAt(k.Line, key, "set twice (first on line %d): keep one", first)
		return
	}
	seen[name] = k.Line
	d.p.lines[key] = k.Line
	d.value(val, v.Field(i), key)
}

// list reads a sequence into the slice v, each element under key[i].
func (d *decoder) list(n *yaml.Node, v reflect.Value, key string) {
	d.collection(n, v, key, yaml.SequenceNode, func() reflect.Value {
		out := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
		for i, el := range n.Content {
			k := fmt.Sprintf("%s[%d]", key, i)
			d.p.lines[k] = el.Line
			d.value(el, out.Index(i), k)
		}
		return out
	})
}

// dict reads a mapping into the map v, each value under key.NAME.
func (d *decoder) dict(n *yaml.Node, v reflect.Value, key string) {
	d.collection(n, v, key, yaml.MappingNode, func() reflect.Value {
		out := reflect.MakeMapWithSize(v.Type(), len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, val := resolve(n.Content[i]), n.Content[i+1]
			name := join(key, k.Value)
			if k.Kind != yaml.ScalarNode {
				d.p.addAt(k.Line, key, "%s as a name: names are plain text", describe(k))
				continue
			}
			d.p.lines[name] = k.Line
			elem := reflect.New(v.Type().Elem()).Elem()
			d.value(val, elem, name)
			out.SetMapIndex(reflect.ValueOf(k.Value).Convert(v.Type().Key()), elem)
		}
		return out
	})
}

// collection is what reading a list or a map shares: null empties v, a
// node of another kind than want is a mismatch, and v is set to what read
// builds only when reading it reported no problem. A collection with a
// wrong element is left as it was: its problem is reported, and the
// validation of a half-read one would only add noise about the elements
// that could not be read.
func (d *decoder) collection(n *yaml.Node, v reflect.Value, key string, want yaml.Kind, read func() reflect.Value) {
	if isNull(n) {
		v.Set(reflect.Zero(v.Type()))
		return
	}
	if n.Kind != want {
		d.mismatch(n, v.Type(), key)
		return
	}
	before := len(d.p.list)
	out := read()
	if len(d.p.list) == before {
		v.Set(out)
	}
}

// duration reads a Duration: "90s", "1h", "7d".
func (d *decoder) duration(n *yaml.Node, v reflect.Value, key string) {
	if isNull(n) {
		return
	}
	if n.Kind != yaml.ScalarNode {
		d.mismatch(n, v.Type(), key)
		return
	}
	dur, err := parseDuration(n.Value)
	if err != nil {
		d.p.addAt(n.Line, key, "%v", err)
		return
	}
	v.SetInt(int64(dur))
}

// scalar reads text, a number, a bool or a time into v.
func (d *decoder) scalar(n *yaml.Node, v reflect.Value, key string) {
	if isNull(n) {
		return
	}
	if n.Kind != yaml.ScalarNode {
		d.mismatch(n, v.Type(), key)
		return
	}
	if err := n.Decode(v.Addr().Interface()); err != nil {
		d.p.addAt(n.Line, key, "%q is not %s%s", n.Value, expected(v.Type()), example(v, key))
	}
}

// mismatch is the problem of a node of the wrong kind: a list where text
// belongs, a value where a section belongs.
func (d *decoder) mismatch(n *yaml.Node, t reflect.Type, key string) {
	d.p.addAt(n.Line, key, "%s where %s is expected%s", describe(n), expected(t), shape(t, key))
}

// describe names what a node is, for messages.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping (key: value lines)"
	case yaml.SequenceNode:
		return "a list"
	}
	return strconv.Quote(n.Value)
}

// expected says what a setting of type t is written as.
func expected(t reflect.Type) string {
	switch {
	case t == durationType:
		return "a duration like 90s, 1h or 7d"
	case t == timeType:
		return "a date and time like 2030-01-01T00:00:00Z"
	}
	switch t.Kind() {
	case reflect.String:
		return "text"
	case reflect.Int, reflect.Int64:
		return "a whole number"
	case reflect.Float64:
		return "a number"
	case reflect.Bool:
		return "true or false"
	case reflect.Slice:
		return "a list"
	case reflect.Map:
		return "a mapping of names to values"
	}
	return "a section of settings"
}

// shape shows how a list, a mapping or a section is written.
func shape(t reflect.Type, key string) string {
	name := lastName(key)
	switch {
	case t.Kind() == reflect.Slice:
		return fmt.Sprintf(": write %s: [a, b], or one \"- item\" line each", name)
	case t.Kind() == reflect.Map:
		return fmt.Sprintf(": write %s: {name: value}", name)
	case t.Kind() == reflect.Struct && t != durationType && t != timeType:
		return fmt.Sprintf(": write %s: then its settings indented below it (%s)", name, strings.Join(fieldNames(t), ", "))
	}
	return ""
}

// example shows the setting written with its default value, when it has
// one: ", e.g. workers: 4".
func example(v reflect.Value, key string) string {
	if v.IsZero() || v.Type() == timeType {
		return ""
	}
	return fmt.Sprintf(", e.g. %s: %v", lastName(key), v.Interface())
}

// lastName is the last name of a key: project for jira.project.
func lastName(key string) string {
	if i := strings.LastIndexAny(key, ".["); i >= 0 && key[i] == '.' {
		return key[i+1:]
	}
	return key
}

func join(parent, name string) string {
	if parent == "" {
		return name
	}
	return parent + "." + name
}

// yamlName is the key a struct field is written as, "" for none.
func yamlName(f reflect.StructField) string {
	name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
	if name == "-" {
		return ""
	}
	return name
}

// fieldIndex finds the field written as name.
func fieldIndex(t reflect.Type, name string) (int, bool) {
	for i := range t.NumField() {
		if yamlName(t.Field(i)) == name && name != "" {
			return i, true
		}
	}
	return 0, false
}

// fieldNames are the keys of a section, in the order of the type.
func fieldNames(t reflect.Type) []string {
	var names []string
	for i := range t.NumField() {
		if n := yamlName(t.Field(i)); n != "" {
			names = append(names, n)
		}
	}
	return names
}

// suggest says what an unknown key may have been meant as: the nearest
// key of its section (a typo), else the same key in another section (a
// setting put in the wrong place), else the keys the section has.
func suggest(t reflect.Type, parent, name string) string {
	if near := typo.Nearest(name, fieldNames(t)); near != "" {
		return fmt.Sprintf("did you mean %s?", join(parent, near))
	}
	if elsewhere := keysNamed(reflect.TypeOf(Config{}), "", name); len(elsewhere) > 0 {
		return fmt.Sprintf("%s is a key of %s: move it there", name, strings.Join(elsewhere, " and "))
	}
	where := "the top level"
	if parent != "" {
		where = parent
	}
	return fmt.Sprintf("the keys of %s are %s", where, strings.Join(fieldNames(t), ", "))
}

// keysNamed lists the sections of t that have a key called name, as
// written in the file ("jira", "routes[]").
func keysNamed(t reflect.Type, prefix, name string) []string {
	var out []string
	for i := range t.NumField() {
		f := t.Field(i)
		n := yamlName(f)
		if n == "" {
			continue
		}
		ft, path := f.Type, join(prefix, n)
		if ft.Kind() == reflect.Slice {
			ft, path = ft.Elem(), path+"[]"
		}
		if ft.Kind() != reflect.Struct || ft == timeType {
			continue
		}
		if _, ok := fieldIndex(ft, name); ok {
			out = append(out, path)
		}
		out = append(out, keysNamed(ft, path, name)...)
	}
	return slices.Compact(out)
}
