package jirasim

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// The JQL subset jirasim understands:
//
//	query   = [clause {AND clause}] [ORDER BY item {"," item}]
//	clause  = field ("=" | "!=") value
//	        | field [NOT] IN "(" value {"," value} ")"
//	        | field IS [NOT] (EMPTY | NULL)
//	        | (created | updated) (">=" | ">" | "<=" | "<") date
//	date    = relative "-15m", "-2h", "-1d", "-1w" (from the server's now)
//	        | "yyyy-MM-dd", "yyyy-MM-dd HH:mm", "yyyy/MM/dd HH:mm" (UTC)
//	field   = key | issuekey | id | project | labels | status | statusCategory
//	item    = (key | issuekey | id | created | updated) [ASC | DESC]
//	value   = bare word | "double" or 'single' quoted, with backslash escapes
//	        | EMPTY | NULL
//
// Keywords are case-insensitive. Anything else real JQL allows (OR,
// parentheses, NOT before a clause, ~, <, functions, other fields) is
// answered with 400 "Error in the JQL Query: jirasim does not support ..."
// so a test notices rather than getting a silently wrong answer.

// jqlError is a query Jira would answer with 400; msg is the text of the
// single errorMessages entry.
type jqlError struct{ msg string }

func (e *jqlError) Error() string { return e.msg }

type tokKind int

const (
	tkEOF tokKind = iota
	tkWord
	tkString
	tkOp
	tkLParen
	tkRParen
	tkComma
)

type token struct {
	kind      tokKind
	text      string
	line, col int // 1-based position of the token's first character
}

// describe is how an error message shows the token.
func (t token) describe() string {
	if t.kind == tkEOF {
		return "the end of the query"
	}
	return "'" + t.text + "'"
}

func posError(line, col int, format string, args ...any) *jqlError {
	return &jqlError{msg: fmt.Sprintf("Error in the JQL Query: "+format+" (line %d, character %d)", append(args, line, col)...)}
}

const specialChars = "=!<>~(),\"'"

// lexJQL splits a query into tokens.
func lexJQL(src string) ([]token, error) {
	var toks []token
	line, col := 1, 1
	i := 0
	advance := func() rune {
		r, size := utf8.DecodeRuneInString(src[i:])
		i += size
		if r == '\n' {
			line++
			col = 1
		} else {
			col++
		}
		return r
	}
	peek := func() rune {
		if i >= len(src) {
			return -1
		}
		r, _ := utf8.DecodeRuneInString(src[i:])
		return r
	}
	for {
		for r := peek(); r == ' ' || r == '\t' || r == '\n' || r == '\r'; r = peek() {
			advance()
		}
		tl, tc := line, col
		r := peek()
		switch {
		case r < 0:
			toks = append(toks, token{kind: tkEOF, line: tl, col: tc})
			return toks, nil
		case r == '(':
			advance()
			toks = append(toks, token{tkLParen, "(", tl, tc})
		case r == ')':
			advance()
			toks = append(toks, token{tkRParen, ")", tl, tc})
		case r == ',':
			advance()
			toks = append(toks, token{tkComma, ",", tl, tc})
		case r == '=' || r == '~':
			advance()
			toks = append(toks, token{tkOp, string(r), tl, tc})
		case r == '!' || r == '<' || r == '>':
			advance()
			op := string(r)
			if n := peek(); n == '=' || (r == '!' && n == '~') {
				advance()
				op += string(n)
			}
			toks = append(toks, token{tkOp, op, tl, tc})
		case r == '"' || r == '\'':
			quote := advance()
			var b strings.Builder
			for {
				c := peek()
				if c < 0 {
					return nil, posError(tl, tc, "The quoted string %q has not been completed.", b.String())
				}
				advance()
				if c == quote {
					break
				}
				if c == '\\' {
					el, ec := line, col-1
					e, err := lexEscape(peek, advance)
					if err != "" {
						return nil, posError(el, ec, "'\\%s' is an illegal JQL escape sequence.", err)
					}
					b.WriteRune(e)
					continue
				}
				b.WriteRune(c)
			}
			toks = append(toks, token{tkString, b.String(), tl, tc})
		default:
			var b strings.Builder
			for c := peek(); c >= 0 && !strings.ContainsRune(specialChars+" \t\r\n", c); c = peek() {
				advance()
				if c == '\\' {
					el, ec := line, col-1
					e, err := lexEscape(peek, advance)
					if err != "" {
						return nil, posError(el, ec, "'\\%s' is an illegal JQL escape sequence.", err)
					}
					b.WriteRune(e)
					continue
				}
				b.WriteRune(c)
			}
			toks = append(toks, token{tkWord, b.String(), tl, tc})
		}
	}
}

// lexEscape reads the rest of an escape sequence after a backslash. On an
// illegal sequence it returns the text after the backslash as err.
func lexEscape(peek func() rune, advance func() rune) (r rune, err string) {
	c := peek()
	if c < 0 {
		return 0, " "
	}
	advance()
	switch c {
	case '"', '\'', '\\', ' ':
		return c, ""
	case 'n':
		return '\n', ""
	case 'r':
		return '\r', ""
	case 't':
		return '\t', ""
	case 'u':
		var hex []rune
		for len(hex) < 4 {
			h := peek()
			if h < 0 || !strings.ContainsRune("0123456789abcdefABCDEF", h) {
				return 0, "u" + string(hex)
			}
			hex = append(hex, advance())
		}
		n, _ := strconv.ParseUint(string(hex), 16, 32)
		return rune(n), ""
	}
	return 0, string(c)
}

type jqlValue struct {
	text  string
	empty bool // EMPTY or NULL
}

type jqlClause struct {
	field  string // canonical: key, project, labels, status, statuscategory
	name   string // as written, for error messages
	op     string // "=", "!=", "in", "not in", "is", "is not"
	values []jqlValue
}

type jqlOrder struct {
	field string // key, id, created, updated
	desc  bool
}

type jqlQuery struct {
	clauses []jqlClause
	order   []jqlOrder
}

var jqlFields = map[string]string{
	"key":            "key",
	"issuekey":       "key",
	"id":             "key",
	"project":        "project",
	"labels":         "labels",
	"status":         "status",
	"statuscategory": "statuscategory",
	"created":        "created",
	"updated":        "updated",
}

var jqlOrderFields = map[string]string{
	"key":      "key",
	"issuekey": "key",
	"id":       "id",
	"created":  "created",
	"updated":  "updated",
}

// reserved words must be quoted to be used as values.
var jqlReserved = map[string]bool{
	"and": true, "or": true, "not": true, "in": true, "is": true,
	"order": true, "by": true, "was": true, "changed": true,
}

type jqlParser struct {
	toks []token
	i    int
}

func (p *jqlParser) peek() token { return p.toks[p.i] }

func (p *jqlParser) next() token {
	t := p.toks[p.i]
	if t.kind != tkEOF {
		p.i++
	}
	return t
}

func isWord(t token, w string) bool { return t.kind == tkWord && strings.EqualFold(t.text, w) }

func unsupported(t token, what string) *jqlError {
	return posError(t.line, t.col, "jirasim does not support %s.", what)
}

// parseJQL parses the supported subset; errors are *jqlError.
func parseJQL(src string) (*jqlQuery, error) {
	toks, err := lexJQL(src)
	if err != nil {
		return nil, err
	}
	p := &jqlParser{toks: toks}
	q := &jqlQuery{}
	if t := p.peek(); t.kind != tkEOF && !isWord(t, "order") {
		for {
			c, err := p.clause()
			if err != nil {
				return nil, err
			}
			q.clauses = append(q.clauses, c)
			t := p.peek()
			if isWord(t, "and") {
				p.next()
				continue
			}
			if isWord(t, "or") {
				return nil, unsupported(t, "OR")
			}
			break
		}
	}
	if isWord(p.peek(), "order") {
		if q.order, err = p.orderBy(); err != nil {
			return nil, err
		}
	}
	if t := p.peek(); t.kind != tkEOF {
		return nil, posError(t.line, t.col, "Expecting either 'OR' or 'AND' but got %s.", t.describe())
	}
	return q, nil
}

func (p *jqlParser) clause() (jqlClause, error) {
	t := p.next()
	switch {
	case t.kind == tkLParen:
		return jqlClause{}, unsupported(t, "parenthesised groups")
	case isWord(t, "not"):
		return jqlClause{}, unsupported(t, "NOT before a clause")
	case t.kind == tkWord && jqlReserved[strings.ToLower(t.text)], t.kind != tkWord && t.kind != tkString:
		return jqlClause{}, posError(t.line, t.col, "Expecting a field name but got %s.", t.describe())
	}
	field, ok := jqlFields[strings.ToLower(t.text)]
	if !ok {
		return jqlClause{}, unsupported(t, fmt.Sprintf("the field '%s'", t.text))
	}
	c := jqlClause{field: field, name: t.text}

	o := p.next()
	dated := field == "created" || field == "updated"
	switch {
	case dated && o.kind == tkOp && (o.text == ">=" || o.text == ">" || o.text == "<=" || o.text == "<"):
		c.op = o.text
	case dated:
		return c, unsupported(o, fmt.Sprintf("the operator '%s' on '%s'", o.text, t.text))
	case o.kind == tkOp && (o.text == "=" || o.text == "!="):
		c.op = o.text
	case o.kind == tkOp:
		return c, unsupported(o, fmt.Sprintf("the operator '%s'", o.text))
	case isWord(o, "in"):
		c.op = "in"
	case isWord(o, "not"):
		if n := p.next(); !isWord(n, "in") {
			return c, posError(n.line, n.col, "Expecting 'IN' but got %s.", n.describe())
		}
		c.op = "not in"
	case isWord(o, "is"):
		c.op = "is"
		if isWord(p.peek(), "not") {
			p.next()
			c.op = "is not"
		}
	case isWord(o, "was"), isWord(o, "changed"):
		return c, unsupported(o, fmt.Sprintf("the operator '%s'", o.text))
	default:
		return c, posError(o.line, o.col, "Expecting operator but got %s.", o.describe())
	}

	switch c.op {
	case "is", "is not":
		v := p.next()
		if !isWord(v, "empty") && !isWord(v, "null") {
			return c, posError(v.line, v.col, "Expecting 'EMPTY' or 'NULL' but got %s.", v.describe())
		}
		c.values = []jqlValue{{empty: true}}
	case "in", "not in":
		if l := p.next(); l.kind != tkLParen {
			return c, posError(l.line, l.col, "Expecting '(' but got %s.", l.describe())
		}
		for {
			v, err := p.value()
			if err != nil {
				return c, err
			}
			c.values = append(c.values, v)
			sep := p.next()
			if sep.kind == tkRParen {
				break
			}
			if sep.kind != tkComma {
				return c, posError(sep.line, sep.col, "Expecting ',' or ')' but got %s.", sep.describe())
			}
		}
	default:
		if l := p.peek(); l.kind == tkLParen {
			return c, posError(l.line, l.col, "The operator '%s' does not support the list value.", c.op)
		}
		v, err := p.value()
		if err != nil {
			return c, err
		}
		c.values = []jqlValue{v}
	}
	return c, nil
}

func (p *jqlParser) value() (jqlValue, error) {
	t := p.next()
	switch t.kind {
	case tkString:
		return jqlValue{text: t.text}, nil
	case tkWord:
		lw := strings.ToLower(t.text)
		if jqlReserved[lw] {
			return jqlValue{}, posError(t.line, t.col, "Expecting either a value, list or function but got '%s'. You must surround '%s' in quotation marks to use it as a value.", t.text, t.text)
		}
		if lw == "empty" || lw == "null" {
			return jqlValue{empty: true}, nil
		}
		if p.peek().kind == tkLParen {
			return jqlValue{}, unsupported(t, fmt.Sprintf("functions such as %s()", t.text))
		}
		return jqlValue{text: t.text}, nil
	}
	return jqlValue{}, posError(t.line, t.col, "Expecting either a value, list or function but got %s.", t.describe())
}

func (p *jqlParser) orderBy() ([]jqlOrder, error) {
	p.next() // ORDER
	if b := p.next(); !isWord(b, "by") {
		return nil, posError(b.line, b.col, "Expecting 'by' but got %s.", b.describe())
	}
	var out []jqlOrder
	for {
		f := p.next()
		if f.kind != tkWord && f.kind != tkString || f.kind == tkWord && jqlReserved[strings.ToLower(f.text)] {
			return nil, posError(f.line, f.col, "Expecting a field name but got %s.", f.describe())
		}
		field, ok := jqlOrderFields[strings.ToLower(f.text)]
		if !ok {
			return nil, unsupported(f, fmt.Sprintf("ordering by '%s'", f.text))
		}
		o := jqlOrder{field: field}
		if d := p.peek(); isWord(d, "asc") || isWord(d, "desc") {
			p.next()
			o.desc = isWord(d, "desc")
		}
		out = append(out, o)
		if p.peek().kind != tkComma {
			return out, nil
		}
		p.next()
	}
}
