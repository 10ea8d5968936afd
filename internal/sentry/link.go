package sentry

import (
	"net/url"
	"strings"
)

// link is one entry of a Link header (RFC 8288): a target and its
// parameters.
type link struct {
	URL string
	// Params are the parameters by lower-cased name, values unquoted; the
	// first of repeated names wins.
	Params map[string]string
}

// parseLinks reads a Link header as Sentry writes it,
//
//	<https://sentry.io/api/0/...?&cursor=0:0:1>; rel="previous"; results="false"; cursor="0:0:1",
//	<https://sentry.io/api/0/...?&cursor=0:100:0>; rel="next"; results="true"; cursor="0:100:0"
//
// and any other: it never panics and always ends, skipping what it cannot
// read (an entry without <...>, a parameter without a name) and taking an
// unterminated quoted value or target to the end of the header.
func parseLinks(h string) []link {
	var links []link
	for i := skipSeparators(h, 0); i < len(h); i = skipSeparators(h, i) {
		if h[i] != '<' {
			i = skipEntry(h, i)
			continue
		}
		var l link
		l, i = parseLink(h, i)
		links = append(links, l)
	}
	return links
}

// skipSeparators returns the index of the first byte at or after i that
// is not a space, tab or comma: where the next entry starts.
func skipSeparators(h string, i int) int {
	for i < len(h) && (h[i] == ' ' || h[i] == '\t' || h[i] == ',') {
		i++
	}
	return i
}

// skipBlanks returns the index of the first byte at or after i that is
// not a space or tab.
func skipBlanks(h string, i int) int {
	for i < len(h) && (h[i] == ' ' || h[i] == '\t') {
		i++
	}
	return i
}

// parseLink reads the entry whose "<" is h[i] and returns it with the
// index of the comma that ends it (len(h) at the end of the header). A
// target without ">" takes the rest of the header.
func parseLink(h string, i int) (link, int) {
	end := strings.IndexByte(h[i+1:], '>')
	if end < 0 {
		return link{URL: strings.TrimSpace(h[i+1:]), Params: map[string]string{}}, len(h)
	}
	l := link{URL: strings.TrimSpace(h[i+1 : i+1+end]), Params: map[string]string{}}
	return l, parseParams(h, i+end+2, l.Params)
}

// parseParams reads the parameters at h[i:] into params, up to the comma
// that ends the entry, and returns the index of that comma (or len(h)).
func parseParams(h string, i int, params map[string]string) int {
	for i < len(h) && h[i] != ',' {
		if h[i] == ' ' || h[i] == '\t' || h[i] == ';' {
			i++
			continue
		}
		name, value, next := param(h, i)
		if name == "" && next == i {
			next++ // junk such as a stray quote: step over it
		}
		i = next
		if _, dup := params[name]; name != "" && !dup {
			params[name] = value
		}
	}
	return i
}

// param reads one parameter at h[i:], name[=value], and returns its
// lower-cased name (empty when there is none to read), its value and the
// index after it.
func param(h string, i int) (name, value string, next int) {
	start := i
	for i < len(h) && !strings.ContainsRune("=;, \t\"", rune(h[i])) {
		i++
	}
	name = strings.ToLower(h[start:i])
	i = skipBlanks(h, i)
	if i < len(h) && h[i] == '=' {
		value, i = paramValue(h, skipBlanks(h, i+1))
	}
	return name, value, i
}

// paramValue reads a parameter value at h[i:], quoted (with backslash
// escapes) or a bare token, and returns it with the index after it.
func paramValue(h string, i int) (string, int) {
	if i < len(h) && h[i] == '"' {
		var b strings.Builder
		i++
		for i < len(h) {
			switch c := h[i]; c {
			case '\\':
				if i+1 < len(h) {
					b.WriteByte(h[i+1])
				}
				i += 2
			case '"':
				return b.String(), i + 1
			default:
				b.WriteByte(c)
				i++
			}
		}
		return b.String(), len(h)
	}
	start := i
	for i < len(h) && h[i] != ';' && h[i] != ',' {
		i++
	}
	return strings.TrimSpace(h[start:i]), i
}

// skipEntry returns the index of the comma ending the malformed entry at
// h[i:] (or len(h)), stepping over quoted strings.
func skipEntry(h string, i int) int {
	inQuote := false
	for ; i < len(h); i++ {
		switch h[i] {
		case '\\':
			if inQuote {
				i++
			}
		case '"':
			inQuote = !inQuote
		case ',':
			if !inQuote {
				return i
			}
		}
	}
	return len(h)
}

// hasRel reports whether l's rel parameter names rel (it may list several
// relation types separated by spaces).
func (l link) hasRel(rel string) bool {
	for _, r := range strings.Fields(l.Params["rel"]) {
		if strings.EqualFold(r, rel) {
			return true
		}
	}
	return false
}

// nextCursor finds Sentry's next page in a Link header: the cursor of the
// rel="next" link when that link says results="true". The cursor is taken
// from the link's cursor parameter, else from its target's query. ok is
// false when there is no next page, or none the client can follow.
func nextCursor(header string) (cursor string, ok bool) {
	for _, l := range parseLinks(header) {
		if !l.hasRel("next") {
			continue
		}
		if !strings.EqualFold(l.Params["results"], "true") {
			return "", false
		}
		if c := l.Params["cursor"]; c != "" {
			return c, true
		}
		if u, err := url.Parse(l.URL); err == nil {
			if c := u.Query().Get("cursor"); c != "" {
				return c, true
			}
		}
		return "", false
	}
	return "", false
}
