package jirasim

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"
)

// This file is the simulator's own check of Atlassian Document Format
// (ADF), the JSON rich text Jira Cloud's v3 API takes for descriptions and
// comment bodies. Jira validates every document against Atlassian's ADF
// JSON Schema and answers 400 for one that does not conform. The schema is
// not part of the project (it lives with the other vendor contracts, see
// internal/contract), yet the demo runs jirasim where no contracts exist,
// so the simulator carries its own statement of the rules: the node types,
// their attributes and content, and the marks each may carry, as defined
// by @atlaskit/adf-schema's json-schema/v1/full.json (version 57.7.22).
// TestBuiltInADFCheckAgreesWithTheSchema holds the two to the same
// verdict on a corpus and on generated documents.
//
// The schema says where each node may appear through variants that differ
// in their marks (a paragraph at the top level may carry alignment, one in
// a list item none) or their content; nodeSpec.variant makes those.

// ValidateADF is the simulator's built-in ADF check: nil when doc is a
// document Atlassian's schema accepts, else an error saying where it is
// not (Jira itself says only INVALID_INPUT). Tests of code that writes ADF
// can use it where the vendor contracts are absent.
func ValidateADF(doc json.RawMessage) error {
	v, err := decodeADF(doc)
	if err != nil {
		return err
	}
	if p := adfGrammar().doc.check(v, "doc"); p != "" {
		return errors.New(p)
	}
	return nil
}

// adfProblem says why Jira would refuse raw as an ADF document: "" when
// the built-in check and Options.ADF (when set) both accept it.
func (s *Server) adfProblem(raw json.RawMessage) string {
	if err := ValidateADF(raw); err != nil {
		return err.Error()
	}
	if s.opts.ADF != nil {
		if err := s.opts.ADF(raw); err != nil {
			return "Options.ADF: " + err.Error()
		}
	}
	return ""
}

func decodeADF(doc json.RawMessage) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("not JSON: %w", err)
	}
	if dec.More() {
		return nil, errors.New("not JSON: trailing data after the document")
	}
	return v, nil
}

// isJSONObject reports whether raw is a JSON object: what Jira reads as a
// document at all (a string or an array is refused with the field's own
// message before any ADF validation).
func isJSONObject(raw json.RawMessage) bool {
	raw = bytes.TrimSpace(raw)
	return len(raw) > 0 && raw[0] == '{' && json.Valid(raw)
}

// adfEmpty reports whether a valid document has no content.
func adfEmpty(raw json.RawMessage) bool {
	var doc struct {
		Content []json.RawMessage `json:"content"`
	}
	return json.Unmarshal(raw, &doc) == nil && len(doc.Content) == 0
}

// rule checks one JSON value (decoded with UseNumber) found at the path
// at; it returns "" when the value conforms, else what is wrong and where.
type rule func(v any, at string) string

func anyValue(any, string) string { return "" }

func str(v any, at string) string {
	if _, ok := v.(string); !ok {
		return at + ": not a string"
	}
	return ""
}

// nonEmptyStr is a string of at least one character.
func nonEmptyStr(v any, at string) string {
	s, ok := v.(string)
	if !ok {
		return at + ": not a string"
	}
	if utf8.RuneCountInString(s) < 1 {
		return at + ": empty"
	}
	return ""
}

func matching(pattern string) rule {
	re := regexp.MustCompile(pattern)
	return func(v any, at string) string {
		s, ok := v.(string)
		if !ok {
			return at + ": not a string"
		}
		if !re.MatchString(s) {
			return fmt.Sprintf("%s: %q does not match %s", at, s, pattern)
		}
		return ""
	}
}

// oneOfStrings is a string enum.
func oneOfStrings(values ...string) rule {
	return func(v any, at string) string {
		s, ok := v.(string)
		if !ok || !slices.Contains(values, s) {
			return fmt.Sprintf("%s: %s is not one of %s", at, show(v), strings.Join(values, ", "))
		}
		return ""
	}
}

func boolean(v any, at string) string {
	if _, ok := v.(bool); !ok {
		return at + ": not a boolean"
	}
	return ""
}

// number is any JSON number within the given bounds (inclusive; nil: no
// bound). Bounds and values are compared exactly, as rationals.
func number(lo, hi *big.Rat) rule {
	return func(v any, at string) string {
		n, ok := v.(json.Number)
		if !ok {
			return at + ": not a number"
		}
		r, ok := new(big.Rat).SetString(n.String())
		if !ok {
			return at + ": not a number"
		}
		if lo != nil && r.Cmp(lo) < 0 || hi != nil && r.Cmp(hi) > 0 {
			return fmt.Sprintf("%s: %s is out of range", at, n)
		}
		return ""
	}
}

func rat(n int64) *big.Rat { return big.NewRat(n, 1) }

var (
	anyNumber = number(nil, nil)
	atLeast0  = number(rat(0), nil)
	percent   = number(rat(0), rat(100))
	level1to6 = number(rat(1), rat(6))
)

// constant is a JSON value equal to want (numbers compared as numbers).
func constant(want string) rule {
	w, _ := new(big.Rat).SetString(want)
	return func(v any, at string) string {
		if n, ok := v.(json.Number); ok {
			if r, ok := new(big.Rat).SetString(n.String()); ok && r.Cmp(w) == 0 {
				return ""
			}
		}
		return fmt.Sprintf("%s: %s is not %s", at, show(v), want)
	}
}

// array checks an array's length (max < 0: no maximum) and each item:
// with one rule every item, with several (a tuple) the item at the same
// position, later items being free.
func array(min, max int, items ...rule) rule {
	return func(v any, at string) string {
		list, ok := v.([]any)
		if !ok {
			return at + ": not an array"
		}
		if len(list) < min {
			return fmt.Sprintf("%s: %d items, at least %d needed", at, len(list), min)
		}
		if max >= 0 && len(list) > max {
			return fmt.Sprintf("%s: %d items, at most %d allowed", at, len(list), max)
		}
		for i, it := range list {
			var r rule
			switch {
			case len(items) == 1:
				r = items[0]
			case i < len(items):
				r = items[i]
			default:
				continue
			}
			if p := r(it, at+"["+strconv.Itoa(i)+"]"); p != "" {
				return p
			}
		}
		return ""
	}
}

var (
	anyArray   = array(0, -1, anyValue)
	emptyArray = array(0, 0, anyValue)
)

// object is a JSON object with only the given properties, the required
// ones present.
func object(props map[string]rule, required ...string) rule {
	return func(v any, at string) string {
		m, ok := v.(map[string]any)
		if !ok {
			return at + ": not an object"
		}
		for _, k := range required {
			if _, ok := m[k]; !ok {
				return fmt.Sprintf("%s: %q is required", at, k)
			}
		}
		for _, k := range sortedAny(m) {
			r, ok := props[k]
			if !ok {
				return fmt.Sprintf("%s: unknown property %q", at, k)
			}
			if p := r(m[k], at+"."+k); p != "" {
				return p
			}
		}
		return ""
	}
}

// either is a value that conforms to at least one of the rules.
func either(rules ...rule) rule {
	return func(v any, at string) string {
		var first string
		for _, r := range rules {
			p := r(v, at)
			if p == "" {
				return ""
			}
			if first == "" {
				first = p
			}
		}
		return first
	}
}

// markSpec is one mark type: attrs is nil for a mark that takes none.
type markSpec struct {
	typ   string
	attrs rule
}

func (m *markSpec) check(v any, at string) string {
	props := map[string]rule{"type": anyValue}
	required := []string{"type"}
	if m.attrs != nil {
		props["attrs"] = m.attrs
		required = append(required, "attrs")
	}
	return object(props, required...)(v, at)
}

// nodeSpec is one node type in one of the places it may appear. A nil
// rule means the node has no such property (it is refused), except in an
// open node, which takes any property it does not describe.
type nodeSpec struct {
	typ             string
	attrs           rule
	attrsRequired   bool
	content         rule
	contentRequired bool
	marks           rule
	text            bool // a text node: "text", a non-empty string, is required
	version         bool // the doc: "version", which must be 1, is required
	open            bool
}

// variant copies n, for the same node in another place; call it once n is
// complete.
func (n *nodeSpec) variant(marks rule) *nodeSpec {
	v := *n
	v.marks = marks
	return &v
}

func (n *nodeSpec) check(v any, at string) string {
	m, ok := v.(map[string]any)
	if !ok {
		return at + ": a node is not an object"
	}
	if t, _ := m["type"].(string); t != n.typ {
		return fmt.Sprintf("%s: type is %s, want %q", at, show(m["type"]), n.typ)
	}
	for _, need := range []struct {
		name string
		yes  bool
	}{{"attrs", n.attrsRequired}, {"content", n.contentRequired}, {"text", n.text}, {"version", n.version}} {
		if _, ok := m[need.name]; need.yes && !ok {
			return fmt.Sprintf("%s: a %s node needs %q", at, n.typ, need.name)
		}
	}
	for _, k := range sortedAny(m) {
		var r rule
		switch k {
		case "type":
			continue
		case "attrs":
			r = n.attrs
		case "content":
			r = n.content
		case "marks":
			r = n.marks
		case "text":
			if n.text {
				r = nonEmptyStr
			}
		case "version":
			if n.version {
				r = constant("1")
			}
		}
		if r == nil {
			if n.open {
				continue
			}
			return fmt.Sprintf("%s: a %s node takes no %q", at, n.typ, k)
		}
		if p := r(m[k], at+"."+k); p != "" {
			return p
		}
	}
	return ""
}

// oneNode is a node that conforms to one of specs. Every spec fixes the
// node's type, so only those of the node's type are tried, and the error
// can say which types the place allows.
func oneNode(specs ...*nodeSpec) rule {
	// The names are read when needed: specs may still be empty now.
	names := func() string {
		var out []string
		for _, s := range specs {
			if !slices.Contains(out, s.typ) {
				out = append(out, s.typ)
			}
		}
		sort.Strings(out)
		return strings.Join(out, ", ")
	}
	return func(v any, at string) string {
		m, ok := v.(map[string]any)
		if !ok {
			return at + ": a node is not an object"
		}
		t, ok := m["type"].(string)
		if !ok {
			return at + ": a node has no type"
		}
		var first string
		for _, s := range specs {
			if s.typ != t {
				continue
			}
			p := s.check(v, at)
			if p == "" {
				return ""
			}
			if first == "" {
				first = p
			}
		}
		if first != "" {
			return first
		}
		if !adfGrammar().knownNode[t] {
			return fmt.Sprintf("%s: %q is not an ADF node type", at, t)
		}
		return fmt.Sprintf("%s: a %s node cannot be here (allowed: %s)", at, t, names())
	}
}

// nodes is a content array of min or more nodes (max < 0: no maximum),
// each one of specs.
func nodes(min, max int, specs ...*nodeSpec) rule {
	return array(min, max, oneNode(specs...))
}

// marks is a marks array, each mark one of specs.
func marks(specs ...*markSpec) rule {
	return array(0, -1, func(v any, at string) string {
		m, ok := v.(map[string]any)
		if !ok {
			return at + ": a mark is not an object"
		}
		t, ok := m["type"].(string)
		if !ok {
			return at + ": a mark has no type"
		}
		for _, s := range specs {
			if s.typ == t {
				return s.check(v, at)
			}
		}
		if !adfGrammar().knownMark[t] {
			return fmt.Sprintf("%s: %q is not an ADF mark", at, t)
		}
		return fmt.Sprintf("%s: a %s mark cannot be here", at, t)
	})
}

func sortedAny(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// show renders a JSON value for an error message.
func show(v any) string {
	if v == nil {
		return "null"
	}
	b, err := json.Marshal(v)
	if err != nil || len(b) > 40 {
		return fmt.Sprintf("a %T", v)
	}
	return string(b)
}

// The marks.
var (
	markCode      = &markSpec{typ: "code"}
	markEm        = &markSpec{typ: "em"}
	markStrike    = &markSpec{typ: "strike"}
	markStrong    = &markSpec{typ: "strong"}
	markUnderline = &markSpec{typ: "underline"}
	markLink      = &markSpec{typ: "link", attrs: object(map[string]rule{
		"href": str, "title": str, "id": str, "collection": str, "occurrenceKey": str,
	}, "href")}
	markSubsup    = &markSpec{typ: "subsup", attrs: object(map[string]rule{"type": oneOfStrings("sub", "sup")}, "type")}
	markTextColor = &markSpec{typ: "textColor", attrs: object(map[string]rule{
		"color": matching(`^#[0-9a-fA-F]{6}$`),
	}, "color")}
	markBackgroundColor = &markSpec{typ: "backgroundColor", attrs: object(map[string]rule{
		"color": matching(`^#[0-9a-fA-F]{6}$`),
	}, "color")}
	markAnnotation = &markSpec{typ: "annotation", attrs: object(map[string]rule{
		"id": str, "annotationType": oneOfStrings("inlineComment"),
	}, "id", "annotationType")}
	markAlignment   = &markSpec{typ: "alignment", attrs: object(map[string]rule{"align": oneOfStrings("center", "end")}, "align")}
	markIndentation = &markSpec{typ: "indentation", attrs: object(map[string]rule{"level": level1to6}, "level")}
	markFontSize    = &markSpec{typ: "fontSize", attrs: object(map[string]rule{"fontSize": oneOfStrings("small")}, "fontSize")}
	markBreakout    = &markSpec{typ: "breakout", attrs: object(map[string]rule{
		"mode": oneOfStrings("wide", "full-width"), "width": anyNumber,
	}, "mode")}
	markBorder = &markSpec{typ: "border", attrs: object(map[string]rule{
		"size": number(rat(1), rat(3)), "color": matching(`^#[0-9a-fA-F]{8}$|^#[0-9a-fA-F]{6}$`),
	}, "size", "color")}
	markDataConsumer = &markSpec{typ: "dataConsumer", attrs: object(map[string]rule{
		"sources": array(1, -1, str),
	}, "sources")}
	markFragment = &markSpec{typ: "fragment", attrs: object(map[string]rule{
		"localId": nonEmptyStr, "name": str,
	}, "localId")}

	allMarks = []*markSpec{markCode, markEm, markStrike, markStrong, markUnderline, markLink, markSubsup,
		markTextColor, markBackgroundColor, markAnnotation, markAlignment, markIndentation, markFontSize,
		markBreakout, markBorder, markDataConsumer, markFragment}
)

// grammar is every node spec, built once (the specs refer to each other).
type grammar struct {
	doc       *nodeSpec
	knownNode map[string]bool
	knownMark map[string]bool
}

var (
	grammarOnce sync.Once
	theGrammar  *grammar
)

func adfGrammar() *grammar {
	grammarOnce.Do(func() { theGrammar = buildGrammar() })
	return theGrammar
}

// buildGrammar states the schema's nodes. Every spec is allocated first,
// so content rules can name specs that are filled in later; a variant is
// copied from its base once the base is complete.
func buildGrammar() *grammar {
	spec := func(typ string) *nodeSpec { return &nodeSpec{typ: typ} }
	localID := func() rule { return object(map[string]rule{"localId": str}) }
	layouts := oneOfStrings("wide", "full-width", "center", "wrap-right", "wrap-left", "align-end", "align-start")

	var (
		doc            = spec("doc")
		paragraph      = spec("paragraph") // marks: any array
		heading        = spec("heading")   // marks: any array
		text           = spec("text")      // marks: any array
		codeBlock      = spec("codeBlock")
		codeBlockRoot  = spec("codeBlock")
		bulletList     = spec("bulletList")
		orderedList    = spec("orderedList")
		listItem       = spec("listItem")
		blockquote     = spec("blockquote")
		panel          = spec("panel")
		rulerNode      = spec("rule")
		table          = spec("table")
		tableRow       = spec("tableRow")
		tableCell      = spec("tableCell")
		tableHeader    = spec("tableHeader")
		expand         = spec("expand")
		expandRoot     = spec("expand")
		nestedExpand   = spec("nestedExpand")
		taskList       = spec("taskList")
		taskItem       = spec("taskItem")
		blockTaskItem  = spec("blockTaskItem")
		decisionList   = spec("decisionList")
		decisionItem   = spec("decisionItem")
		mediaGroup     = spec("mediaGroup")
		mediaSingle    = spec("mediaSingle")
		media          = spec("media")
		mediaInline    = spec("mediaInline")
		caption        = spec("caption")
		blockCard      = spec("blockCard")
		embedCard      = spec("embedCard")
		inlineCard     = spec("inlineCard")
		layoutSection  = spec("layoutSection")
		layoutColumn   = spec("layoutColumn")
		extension      = spec("extension")
		bodiedExt      = spec("bodiedExtension")
		inlineExt      = spec("inlineExtension")
		syncBlock      = spec("syncBlock")
		bodiedSync     = spec("bodiedSyncBlock")
		hardBreak      = spec("hardBreak")
		mention        = spec("mention")
		emoji          = spec("emoji")
		date           = spec("date")
		status         = spec("status")
		placeholder    = spec("placeholder")
		paraNoMarks    = new(nodeSpec)
		paraAlignment  = new(nodeSpec)
		paraIndent     = new(nodeSpec)
		paraFontSize   = new(nodeSpec)
		headNoMarks    = new(nodeSpec)
		headAlignment  = new(nodeSpec)
		headIndent     = new(nodeSpec)
		textFormatted  = new(nodeSpec)
		textCode       = new(nodeSpec)
		textNoMarks    = new(nodeSpec)
		extWithMarks   = new(nodeSpec)
		bodiedWithMark = new(nodeSpec)
		inlineExtMarks = new(nodeSpec)
		mediaCaption   = new(nodeSpec)
		mediaFull      = new(nodeSpec)
		layoutFull     = new(nodeSpec)
	)

	inline := nodes(0, -1, textFormatted, textCode, date, emoji, hardBreak, inlineCard, mention,
		placeholder, status, inlineExtMarks, mediaInline)
	nonNestable := []*nodeSpec{paraNoMarks, paraFontSize, panel, blockquote, orderedList, bulletList,
		rulerNode, headNoMarks, codeBlock, mediaGroup, mediaCaption, mediaFull, decisionList, taskList,
		table, blockCard, embedCard, extWithMarks}

	// The text nodes.
	*text = nodeSpec{typ: "text", text: true, marks: anyArray}
	*textFormatted = *text.variant(marks(markLink, markEm, markStrong, markStrike, markSubsup,
		markUnderline, markTextColor, markAnnotation, markBackgroundColor))
	*textCode = *text.variant(marks(markCode, markLink, markAnnotation))
	*textNoMarks = *text.variant(emptyArray)

	// Inline nodes.
	*hardBreak = nodeSpec{typ: "hardBreak", attrs: object(map[string]rule{
		"text": oneOfStrings("\n"), "localId": str,
	})}
	*mention = nodeSpec{typ: "mention", attrsRequired: true, attrs: object(map[string]rule{
		"id": str, "localId": str, "text": str, "accessLevel": str,
		"userType": oneOfStrings("DEFAULT", "SPECIAL", "APP"),
	}, "id")}
	*emoji = nodeSpec{typ: "emoji", attrsRequired: true, attrs: object(map[string]rule{
		"shortName": str, "id": str, "text": str, "localId": str,
	}, "shortName")}
	*date = nodeSpec{typ: "date", attrsRequired: true, attrs: object(map[string]rule{
		"timestamp": nonEmptyStr, "localId": str,
	}, "timestamp")}
	*status = nodeSpec{typ: "status", attrsRequired: true, attrs: object(map[string]rule{
		"text": nonEmptyStr, "color": matching(`^(neutral|purple|blue|red|yellow|green|#[0-9a-fA-F]{6})$`),
		"localId": str, "style": str,
	}, "text", "color")}
	*placeholder = nodeSpec{typ: "placeholder", attrsRequired: true, attrs: object(map[string]rule{
		"text": str, "localId": str,
	}, "text")}
	*inlineCard = nodeSpec{typ: "inlineCard", attrsRequired: true, attrs: either(
		object(map[string]rule{"url": str, "localId": str}, "url"),
		object(map[string]rule{"data": anyValue, "localId": str}, "data"),
	)}
	*inlineExt = nodeSpec{typ: "inlineExtension", attrsRequired: true, marks: anyArray, attrs: object(map[string]rule{
		"extensionKey": nonEmptyStr, "extensionType": nonEmptyStr, "parameters": anyValue,
		"text": str, "localId": nonEmptyStr,
	}, "extensionKey", "extensionType")}
	*inlineExtMarks = *inlineExt.variant(marks(markDataConsumer, markFragment))
	*mediaInline = nodeSpec{typ: "mediaInline", attrsRequired: true,
		marks: marks(markDataConsumer, markLink, markAnnotation, markBorder),
		attrs: object(map[string]rule{
			"type": oneOfStrings("link", "file", "image"), "localId": str, "id": nonEmptyStr, "alt": str,
			"collection": str, "occurrenceKey": nonEmptyStr, "width": anyNumber, "height": anyNumber,
			"data": anyValue,
		}, "id", "collection")}

	// Paragraphs and headings.
	*paragraph = nodeSpec{typ: "paragraph", marks: anyArray, attrs: localID(), content: inline}
	*paraNoMarks = *paragraph.variant(emptyArray)
	*paraAlignment = *paragraph.variant(marks(markFontSize, markAlignment))
	*paraIndent = *paragraph.variant(marks(markFontSize, markIndentation))
	*paraFontSize = *paragraph.variant(marks(markFontSize))
	*heading = nodeSpec{typ: "heading", marks: anyArray, attrsRequired: true, content: inline,
		attrs: object(map[string]rule{"level": level1to6, "localId": str}, "level")}
	*headNoMarks = *heading.variant(emptyArray)
	*headAlignment = *heading.variant(marks(markAlignment))
	*headIndent = *heading.variant(marks(markIndentation))

	// Code.
	codeAttrs := object(map[string]rule{
		"language": str, "uniqueId": str, "localId": str, "wrap": boolean, "hideLineNumbers": boolean,
	})
	*codeBlock = nodeSpec{typ: "codeBlock", marks: emptyArray, attrs: codeAttrs, content: nodes(0, -1, textNoMarks)}
	*codeBlockRoot = *codeBlock.variant(marks(markBreakout))

	// Lists.
	*listItem = nodeSpec{typ: "listItem", attrs: localID(), contentRequired: true,
		content: nodes(1, -1, paraFontSize, paraNoMarks, bulletList, orderedList, taskList, mediaCaption,
			mediaFull, codeBlock, extWithMarks)}
	*bulletList = nodeSpec{typ: "bulletList", attrs: localID(), contentRequired: true, content: nodes(1, -1, listItem)}
	*orderedList = nodeSpec{typ: "orderedList", contentRequired: true, content: nodes(1, -1, listItem),
		attrs: object(map[string]rule{"order": atLeast0, "localId": str})}
	taskState := oneOfStrings("TODO", "DONE")
	*taskItem = nodeSpec{typ: "taskItem", attrsRequired: true, content: inline,
		attrs: object(map[string]rule{"localId": str, "state": taskState}, "localId", "state")}
	blockTaskPart := oneNode(paraNoMarks, paraFontSize, extWithMarks)
	*blockTaskItem = nodeSpec{typ: "blockTaskItem", attrsRequired: true, contentRequired: true,
		attrs:   object(map[string]rule{"localId": str, "state": taskState}, "localId", "state"),
		content: array(1, -1, blockTaskPart, blockTaskPart)}
	*taskList = nodeSpec{typ: "taskList", attrsRequired: true, contentRequired: true,
		attrs:   object(map[string]rule{"localId": str}, "localId"),
		content: nodes(1, -1, taskItem, taskList, blockTaskItem)}
	*decisionItem = nodeSpec{typ: "decisionItem", attrsRequired: true, content: inline,
		attrs: object(map[string]rule{"localId": str, "state": str}, "localId", "state")}
	*decisionList = nodeSpec{typ: "decisionList", attrsRequired: true, contentRequired: true,
		attrs:   object(map[string]rule{"localId": str}, "localId"),
		content: nodes(1, -1, decisionItem)}

	// Containers.
	*blockquote = nodeSpec{typ: "blockquote", attrs: localID(), contentRequired: true,
		content: nodes(1, -1, paraNoMarks, orderedList, bulletList, codeBlock, mediaCaption, mediaFull,
			mediaGroup, extWithMarks)}
	*panel = nodeSpec{typ: "panel", attrsRequired: true, contentRequired: true,
		attrs: object(map[string]rule{
			"panelType": oneOfStrings("info", "note", "tip", "warning", "error", "success", "custom"),
			"panelIcon": str, "panelIconId": str, "panelIconText": str, "panelColor": str, "localId": str,
		}, "panelType"),
		content: nodes(1, -1, paraNoMarks, paraFontSize, headNoMarks, bulletList, orderedList, blockCard,
			mediaGroup, mediaCaption, mediaFull, codeBlock, taskList, rulerNode, decisionList, extWithMarks)}
	*rulerNode = nodeSpec{typ: "rule", attrs: localID()}
	expandAttrs := object(map[string]rule{"title": str, "localId": str})
	*nestedExpand = nodeSpec{typ: "nestedExpand", attrsRequired: true, contentRequired: true, attrs: expandAttrs,
		content: nodes(1, -1, paraNoMarks, paraFontSize, headNoMarks, mediaCaption, mediaFull, mediaGroup,
			codeBlock, bulletList, orderedList, taskList, decisionList, rulerNode, panel, blockquote, extWithMarks)}
	*expand = nodeSpec{typ: "expand", marks: emptyArray, attrs: expandAttrs, contentRequired: true,
		content: nodes(1, -1, append(slices.Clone(nonNestable), nestedExpand)...)}
	*expandRoot = *expand.variant(marks(markBreakout))

	// Tables.
	cellAttrs := object(map[string]rule{
		"colspan": anyNumber, "rowspan": anyNumber, "colwidth": array(0, -1, anyNumber), "background": str,
		"localId": str, "valign": oneOfStrings("top", "middle", "bottom"),
	})
	cellContent := nodes(1, -1, paraNoMarks, paraAlignment, panel, blockquote, orderedList, bulletList,
		rulerNode, headNoMarks, headAlignment, headIndent, codeBlock, mediaCaption, mediaFull, mediaGroup,
		decisionList, taskList, blockCard, embedCard, extWithMarks, nestedExpand)
	*tableCell = nodeSpec{typ: "tableCell", attrs: cellAttrs, contentRequired: true, content: cellContent}
	*tableHeader = nodeSpec{typ: "tableHeader", attrs: cellAttrs, contentRequired: true, content: cellContent}
	*tableRow = nodeSpec{typ: "tableRow", attrs: localID(), contentRequired: true, content: nodes(0, -1, tableCell, tableHeader)}
	*table = nodeSpec{typ: "table", marks: marks(markFragment), contentRequired: true, content: nodes(1, -1, tableRow),
		attrs: object(map[string]rule{
			"displayMode":           oneOfStrings("default", "fixed"),
			"isNumberColumnEnabled": boolean,
			"layout":                oneOfStrings("wide", "full-width", "center", "align-end", "align-start", "default"),
			"localId":               nonEmptyStr,
			"width":                 anyNumber,
		})}

	// Media.
	*media = nodeSpec{typ: "media", attrsRequired: true,
		marks: marks(markDataConsumer, markLink, markAnnotation, markBorder),
		attrs: either(
			object(map[string]rule{
				"type": oneOfStrings("link", "file"), "localId": str, "id": nonEmptyStr, "alt": str,
				"collection": str, "height": anyNumber, "occurrenceKey": nonEmptyStr, "width": anyNumber,
			}, "type", "id", "collection"),
			object(map[string]rule{
				"type": oneOfStrings("external"), "localId": str, "alt": str, "height": anyNumber,
				"width": anyNumber, "url": str,
			}, "type", "url"),
		)}
	*mediaGroup = nodeSpec{typ: "mediaGroup", contentRequired: true, content: nodes(1, -1, media)}
	*caption = nodeSpec{typ: "caption", attrs: localID(),
		content: nodes(0, -1, hardBreak, mention, emoji, date, placeholder, inlineCard, status, textFormatted, textCode)}
	// mediaSingle is open: its schema allows properties it does not
	// describe, so only the variants constrain its content.
	*mediaSingle = nodeSpec{typ: "mediaSingle", open: true, marks: marks(markLink),
		attrs: either(
			object(map[string]rule{
				"localId": str, "width": percent, "layout": layouts, "widthType": oneOfStrings("percentage"),
			}, "layout"),
			object(map[string]rule{
				"localId": str, "width": atLeast0, "widthType": oneOfStrings("pixel"), "layout": layouts,
			}, "width", "widthType", "layout"),
		)}
	*mediaCaption = *mediaSingle
	mediaCaption.contentRequired, mediaCaption.content = true, array(1, 2, oneNode(media), oneNode(caption))
	*mediaFull = *mediaSingle
	mediaFull.contentRequired, mediaFull.content = true, nodes(1, 1, media)

	// Cards.
	*blockCard = nodeSpec{typ: "blockCard", attrsRequired: true, attrs: either(
		object(map[string]rule{
			"localId": str, "url": str, "width": anyNumber, "layout": layouts,
			"datasource": object(map[string]rule{
				"id": str, "parameters": anyValue,
				"views": array(1, -1, object(map[string]rule{"properties": anyValue, "type": str}, "type")),
			}, "id", "parameters", "views"),
		}, "datasource"),
		object(map[string]rule{"url": str, "localId": str}, "url"),
		object(map[string]rule{"data": anyValue, "localId": str}, "data"),
	)}
	*embedCard = nodeSpec{typ: "embedCard", attrsRequired: true, attrs: object(map[string]rule{
		"url": str, "layout": layouts, "width": percent, "originalHeight": anyNumber,
		"originalWidth": anyNumber, "localId": str,
	}, "url", "layout")}

	// Extensions and sync blocks.
	extAttrs := map[string]rule{
		"extensionKey": nonEmptyStr, "extensionType": nonEmptyStr, "parameters": anyValue, "text": str,
		"layout": oneOfStrings("wide", "full-width", "default"), "localId": nonEmptyStr,
	}
	*extension = nodeSpec{typ: "extension", attrsRequired: true, marks: anyArray,
		attrs: object(extAttrs, "extensionKey", "extensionType")}
	*extWithMarks = *extension.variant(marks(markDataConsumer, markFragment))
	*bodiedExt = nodeSpec{typ: "bodiedExtension", attrsRequired: true, marks: anyArray,
		attrs: object(extAttrs, "extensionKey", "extensionType"), contentRequired: true,
		content: nodes(1, -1, nonNestable...)}
	*bodiedWithMark = *bodiedExt.variant(marks(markDataConsumer, markFragment))
	syncAttrs := object(map[string]rule{"resourceId": str, "localId": str}, "resourceId", "localId")
	*syncBlock = nodeSpec{typ: "syncBlock", attrsRequired: true, attrs: syncAttrs, marks: marks(markBreakout)}
	*bodiedSync = nodeSpec{typ: "bodiedSyncBlock", attrsRequired: true, attrs: syncAttrs, marks: marks(markBreakout),
		contentRequired: true,
		content: nodes(1, -1, paragraph, paraAlignment, paraIndent, paraNoMarks, blockCard, blockquote,
			bulletList, codeBlock, decisionList, embedCard, expand, heading, headAlignment, headIndent,
			headNoMarks, layoutSection, layoutFull, mediaGroup, mediaSingle, mediaCaption, mediaFull,
			orderedList, panel, rulerNode, table, taskList)}

	// Layouts.
	*layoutColumn = nodeSpec{typ: "layoutColumn", attrsRequired: true, contentRequired: true,
		attrs: object(map[string]rule{
			"width": percent, "localId": str, "valign": oneOfStrings("top", "middle", "bottom"),
		}, "width"),
		content: nodes(1, -1, blockCard, paraNoMarks, paraAlignment, paraIndent, mediaCaption, mediaFull,
			codeBlock, taskList, bulletList, orderedList, headNoMarks, headAlignment, headIndent, mediaGroup,
			decisionList, rulerNode, panel, blockquote, extWithMarks, embedCard, table, expand, bodiedWithMark)}
	*layoutSection = nodeSpec{typ: "layoutSection", marks: marks(markBreakout), attrs: localID(),
		contentRequired: true, content: nodes(0, -1, layoutColumn)}
	*layoutFull = *layoutSection
	layoutFull.content = nodes(2, 3, layoutColumn)

	// The document: only these block nodes at the top level.
	*doc = nodeSpec{typ: "doc", version: true, contentRequired: true,
		content: nodes(0, -1, blockCard, codeBlock, mediaCaption, mediaFull, paraAlignment, paraIndent,
			paraNoMarks, taskList, orderedList, bulletList, blockquote, decisionList, embedCard, extWithMarks,
			headIndent, headNoMarks, headAlignment, mediaGroup, rulerNode, panel, table, bodiedWithMark, expand,
			codeBlockRoot, layoutFull, expandRoot, syncBlock, bodiedSync)}

	g := &grammar{doc: doc, knownNode: map[string]bool{}, knownMark: map[string]bool{}}
	for _, n := range []*nodeSpec{doc, paragraph, heading, text, codeBlock, bulletList, orderedList, listItem,
		blockquote, panel, rulerNode, table, tableRow, tableCell, tableHeader, expand, nestedExpand, taskList,
		taskItem, blockTaskItem, decisionList, decisionItem, mediaGroup, mediaSingle, media, mediaInline,
		caption, blockCard, embedCard, inlineCard, layoutSection, layoutColumn, extension, bodiedExt, inlineExt,
		syncBlock, bodiedSync, hardBreak, mention, emoji, date, status, placeholder} {
		g.knownNode[n.typ] = true
	}
	for _, m := range allMarks {
		g.knownMark[m.typ] = true
	}
	return g
}
