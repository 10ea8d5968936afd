// Package ticket writes the Jira issue for an alert: a summary that says
// what broke and where, a description an engineer can act on (the
// exception, the frames that matter, the steps before the error, links
// and how to investigate) and its labels. The alert must already be
// scrubbed of personal data. Summary and description can be overridden
// with Go text/template files; whatever they produce is plain text, never
// markup.
package ticket

import (
	"bytes"
	"fmt"
	"maps"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"text/template"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/fixproof/fixproof/internal/alert"
	"github.com/fixproof/fixproof/internal/jiramarkup"
	"github.com/fixproof/fixproof/internal/loop"
	"github.com/fixproof/fixproof/internal/textcut"
)

// Ticket is what goes into Jira.
type Ticket struct {
	Summary     string
	Description jiramarkup.Doc
	Labels      []string
}

// Builder builds tickets.
type Builder struct {
	summary, description *template.Template
}

// New returns a builder; summaryTmpl and descriptionTmpl are template
// texts ("" for the built-in layout). The template data is the alert
// (.Alert) and its error class (.Class).
func New(summaryTmpl, descriptionTmpl string) (*Builder, error) {
	b := &Builder{}
	var err error
	if summaryTmpl != "" {
		if b.summary, err = template.New("summary").Parse(summaryTmpl); err != nil {
			return nil, fmt.Errorf("ticket: summary template: %w", err)
		}
	}
	if descriptionTmpl != "" {
		if b.description, err = template.New("description").Parse(descriptionTmpl); err != nil {
			return nil, fmt.Errorf("ticket: description template: %w", err)
		}
	}
	return b, nil
}

// data is what templates see.
type data struct {
	Alert *alert.Alert
	Class string
}

// Build writes the ticket for a (scrubbed) alert of the given error class.
func (b *Builder) Build(a *alert.Alert, class string) (Ticket, error) {
	t := Ticket{Summary: Summary(a), Description: Description(a, class), Labels: Labels(a, class)}
	if b.summary != nil {
		var out bytes.Buffer
		if err := b.summary.Execute(&out, data{a, class}); err != nil {
			return t, fmt.Errorf("ticket: summary template: %w", err)
		}
		t.Summary = oneLine(out.String())
	}
	if b.description != nil {
		var out bytes.Buffer
		if err := b.description.Execute(&out, data{a, class}); err != nil {
			return t, fmt.Errorf("ticket: description template: %w", err)
		}
		t.Description = plainDoc(out.String())
	}
	return t, nil
}

var blankLine = regexp.MustCompile(`\n\s*\n`)

// plainDoc turns template output into paragraphs, one per blank-line
// separated block: text only, so a template cannot produce markup.
func plainDoc(s string) jiramarkup.Doc {
	var d jiramarkup.Doc
	for _, para := range blankLine.Split(strings.TrimSpace(s), -1) {
		if para = strings.TrimSpace(para); para != "" {
			d.Blocks = append(d.Blocks, jiramarkup.P(jiramarkup.Plain(para)))
		}
	}
	return d
}

// Summary is "[<project>] <type>: <value>", cut to Jira's 255.
func Summary(a *alert.Alert) string {
	where := a.Project
	if where == "" {
		where = a.Receiver
	}
	if where == "" && a.Source == alert.Guance {
		where = "guance"
	}
	what := a.Title
	if a.ExceptionType != "" {
		what = a.ExceptionType
		if a.ExceptionValue != "" {
			what += ": " + a.ExceptionValue
		}
	}
	if what == "" {
		what = "alert " + string(a.Fingerprint)
	}
	s := what
	if where != "" {
		s = "[" + where + "] " + what
	}
	return oneLine(s)
}

// oneLine makes s a summary: the invisible characters dropped (see
// invisible) and so are the other control characters, white space runs
// (line breaks included) become one space, and it is cut to Jira's 255.
func oneLine(s string) string {
	s = strings.Map(func(r rune) rune {
		if invisible(r) || unicode.Is(unicode.Cc, r) && !unicode.IsSpace(r) {
			return -1
		}
		return r
	}, s)
	return cut(strings.Join(strings.Fields(s), " "), 255)
}

// invisible reports the characters that change how the text around them
// is shown without showing themselves: the bidi embeddings, overrides and
// isolates (U+202A-U+202E, U+2066-U+2069), the bidi marks (U+200E,
// U+200F, U+061C) and the zero-width characters (U+200B-U+200D, U+2060,
// U+FEFF). In a summary or a label they can make one text read as another
// ("Trojan Source"), and nobody can see or type them back in a search.
func invisible(r rune) bool {
	switch {
	case r >= 0x202A && r <= 0x202E, r >= 0x2066 && r <= 0x2069,
		r >= 0x200B && r <= 0x200F, r == 0x061C, r == 0x2060, r == 0xFEFF:
		return true
	}
	return false
}

// cut shortens s to at most n characters on a rune boundary, ending with
// an ellipsis when it cut.
func cut(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return textcut.Runes(s, n-1) + "…"
}

// Labels are fixproof's, the fingerprint's, the source's (the Sentry
// project, the Alertmanager receiver, the Guance workspace) and the error
// class's. Every label made from alert data goes through label.
func Labels(a *alert.Alert, class string) []string {
	out := []string{loop.LabelBot, loop.Fingerprint(a.Fingerprint).Label()}
	if a.Project != "" {
		out = append(out, label("sentry-"+a.Project))
	}
	if a.Receiver != "" {
		out = append(out, label("alertmanager-"+a.Receiver))
	}
	if a.Source == alert.Guance {
		out = append(out, "guance")
		if a.Org != "" {
			out = append(out, label("guance-"+a.Org))
		}
	}
	if class != "" {
		out = append(out, label("error-"+class))
	}
	return out
}

// AlertLabels are the Jira labels NAME-VALUE of an Alertmanager alert's
// labels named in names (the group's common labels, e.g. severity-page),
// for what an error class is to other sources. Labels the alert lacks are
// left out.
func AlertLabels(a *alert.Alert, names []string) []string {
	var out []string
	for _, n := range names {
		v, ok := a.CommonLabels[n]
		if !ok {
			v, ok = a.GroupLabels[n]
		}
		if ok && v != "" {
			out = append(out, label(n+"-"+v))
		}
	}
	return out
}

// fallbackLabel is the label made of a text that has nothing left to
// show once cleaned (Jira refuses an empty label).
const fallbackLabel = "fixproof-unnamed"

// maxLabelBytes is Jira's limit on a label: 255 characters as Jira counts
// them (UTF-16 code units). A byte is never less than a code unit, so 255
// bytes is within it whatever the text.
const maxLabelBytes = 255

// label makes s a label Jira accepts, whatever s holds. Jira refuses a
// label with a space or a control character in it (Unicode's, not only
// ASCII's: U+3000, U+2003, U+00A0, "\r" all make the create fail), so
// every Unicode space (Z*, and the White_Space controls), control (Cc)
// and format (Cf) character becomes "-", but the invisible ones (bidi
// controls, zero-width characters) are dropped: they show as nothing, and
// a label must read as what it is. Bytes that are not UTF-8 become
// U+FFFD. The result is cut to 255 bytes on a character boundary, and is
// fallbackLabel when nothing is left.
func label(s string) string {
	s = strings.Map(func(r rune) rune {
		switch {
		case invisible(r):
			return -1
		case unicode.IsSpace(r), unicode.In(r, unicode.Z, unicode.Cc, unicode.Cf):
			return '-'
		}
		return r // strings.Map has already made bad bytes U+FFFD
	}, s)
	s = textcut.Bytes(s, maxLabelBytes)
	if s == "" {
		return fallbackLabel
	}
	return s
}

// topFrames is how many in-app frames are shown before the rest is
// collapsed.
const topFrames = 5

// Description lays out everything an engineer needs first.
func Description(a *alert.Alert, class string) jiramarkup.Doc {
	switch a.Source {
	case alert.Alertmanager:
		return alertmanagerDescription(a)
	case alert.Guance:
		return guanceDescription(a)
	}
	var d jiramarkup.Doc
	add := func(b ...jiramarkup.Block) { d.Blocks = append(d.Blocks, b...) }

	if a.ExceptionType != "" || a.ExceptionValue != "" {
		add(jiramarkup.P(jiramarkup.Strong(a.ExceptionType+": "), jiramarkup.Plain(a.ExceptionValue)))
	} else if a.Title != "" {
		add(jiramarkup.P(jiramarkup.Strong(a.Title)))
	}
	add(whereItFailed(a.Frames)...)
	add(detailsTable(sentryDetails(a, class)))
	if len(a.Breadcrumbs) > 0 {
		items := make([]jiramarkup.Paragraph, 0, len(a.Breadcrumbs))
		for _, bc := range a.Breadcrumbs {
			items = append(items, breadcrumb(bc))
		}
		add(jiramarkup.Heading("Steps before the error"), jiramarkup.List{Ordered: true, Items: items})
	}
	add(links([][2]string{{"Sentry issue", a.IssueURL}, {"Event", a.EventURL}, {"Replay", a.ReplayURL}})...)
	if how := investigate(a); len(how) > 0 {
		add(jiramarkup.Heading("How to investigate"))
		add(how...)
	}
	return d
}

// whereItFailed lists the frames that matter, the crash first: up to
// topFrames in-app frames (or, with none, the first frames), the rest
// collapsed below them. No frames, no section.
func whereItFailed(frames []alert.Frame) []jiramarkup.Block {
	if len(frames) == 0 {
		return nil
	}
	// Sentry lists frames oldest call first; the crash is last.
	var top, rest []alert.Frame
	for i := len(frames) - 1; i >= 0; i-- {
		f := frames[i]
		if f.InApp && len(top) < topFrames {
			top = append(top, f)
		} else {
			rest = append(rest, f)
		}
	}
	if len(top) == 0 && len(rest) > 0 {
		n := min(topFrames, len(rest))
		top, rest = rest[:n], rest[n:]
	}
	out := []jiramarkup.Block{jiramarkup.Heading("Where it failed"), frameList(top)}
	if len(rest) > 0 {
		out = append(out, jiramarkup.Expand{Title: fmt.Sprintf("%d more frames", len(rest)), Blocks: []jiramarkup.Block{frameList(rest)}})
	}
	return out
}

// sentryDetails are the rows of a Sentry issue's details table.
func sentryDetails(a *alert.Alert, class string) [][2]string {
	rows := [][2]string{
		{"Culprit", a.Culprit}, {"Release", a.Release}, {"Environment", a.Environment},
		{"First seen", stamp(a.FirstSeen)}, {"Last seen", stamp(a.LastSeen)},
		{"Events", count(a.Count)}, {"Affected users", count(a.Users)},
		{"Error class", class}, {"Level", a.Level}, {"Platform", a.Platform},
	}
	for _, k := range []string{"browser", "os", "url", "transaction", "runtime", "device"} {
		rows = append(rows, [2]string{"Tag " + k, a.Tag(k)})
	}
	if a.User != nil && a.User.ID != "" {
		rows = append(rows, [2]string{"User", a.User.ID})
	}
	return rows
}

// links is a "Links" heading over the named links (name, URL) that have
// a URL, separated by " · "; nothing when none has.
func links(named [][2]string) []jiramarkup.Block {
	var line []jiramarkup.Inline
	for _, l := range named {
		if l[1] != "" {
			if len(line) > 0 {
				line = append(line, jiramarkup.Plain(" · "))
			}
			line = append(line, jiramarkup.Link(l[0], l[1]))
		}
	}
	if len(line) == 0 {
		return nil
	}
	return []jiramarkup.Block{jiramarkup.Heading("Links"), jiramarkup.P(line...)}
}

func frameList(fs []alert.Frame) jiramarkup.List {
	l := jiramarkup.List{}
	for _, f := range fs {
		where := f.File
		if where == "" {
			where = f.Module
		}
		if f.Line > 0 {
			where += ":" + strconv.Itoa(f.Line)
		}
		l.Items = append(l.Items, jiramarkup.P(jiramarkup.Code(where), jiramarkup.Plain(" "+f.Function)))
	}
	return l
}

func detailsTable(rows [][2]string) jiramarkup.Table {
	t := jiramarkup.Table{Header: []string{"", ""}}
	for _, r := range rows {
		if strings.TrimSpace(r[1]) == "" {
			continue
		}
		t.Rows = append(t.Rows, []jiramarkup.Paragraph{jiramarkup.P(jiramarkup.Strong(r[0])), jiramarkup.P(jiramarkup.Plain(r[1]))})
	}
	return t
}

func breadcrumb(bc alert.Breadcrumb) jiramarkup.Paragraph {
	var parts []string
	if !bc.Time.IsZero() {
		parts = append(parts, bc.Time.UTC().Format("15:04:05"))
	}
	if bc.Category != "" {
		parts = append(parts, bc.Category)
	}
	msg := bc.Message
	if msg == "" {
		var kv []string
		for _, t := range bc.Data {
			kv = append(kv, t.Key+"="+t.Value)
		}
		msg = strings.Join(kv, " ")
	}
	head := strings.Join(parts, " ")
	if head != "" {
		head += ": "
	}
	return jiramarkup.P(jiramarkup.Plain(head + msg))
}

// investigate is the "how to investigate" block: the failing request as a
// curl line (headers other than a few harmless ones left out: they may
// carry credentials even after scrubbing) and where to search the trace.
func investigate(a *alert.Alert) []jiramarkup.Block {
	var out []jiramarkup.Block
	if a.Request != nil && a.Request.URL != "" {
		u := a.Request.URL
		if a.Request.Query != "" && !strings.Contains(u, "?") {
			u += "?" + a.Request.Query
		}
		method := a.Request.Method
		if method == "" {
			method = "GET"
		}
		line := "curl -X " + method + " " + shellQuote(u)
		for _, h := range a.Request.Headers {
			switch strings.ToLower(h.Key) {
			case "accept", "content-type", "user-agent", "accept-language":
				line += " -H " + shellQuote(h.Key+": "+h.Value)
			}
		}
		out = append(out, jiramarkup.P(jiramarkup.Plain("Replay the failing request:")), jiramarkup.CodeBlock(line))
	}
	if a.TraceID != "" {
		out = append(out, jiramarkup.P(jiramarkup.Plain("Search the trace: "), jiramarkup.Code("trace:"+a.TraceID)))
		if base := traceSearchURL(a); base != "" {
			out = append(out, jiramarkup.P(jiramarkup.Link("Open the trace in Sentry", base)))
		}
	}
	return out
}

// traceSearchURL points at Sentry's trace view, derived from the issue's
// web URL so it works for sentry.io and self-hosted alike.
func traceSearchURL(a *alert.Alert) string {
	u, err := url.Parse(a.IssueURL)
	if err != nil || u.Host == "" {
		return ""
	}
	path := "/performance/trace/" + url.PathEscape(a.TraceID) + "/"
	if i := strings.Index(u.Path, "/issues/"); i > 0 {
		path = u.Path[:i] + path // keep /organizations/<org> on self-hosted
	}
	return u.Scheme + "://" + u.Host + path
}

func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

func stamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02 15:04 MST")
}

func count(n int64) string {
	if n <= 0 {
		return ""
	}
	return strconv.FormatInt(n, 10)
}

func sortedKeys(m map[string]string) []string {
	return slices.Sorted(maps.Keys(m))
}
