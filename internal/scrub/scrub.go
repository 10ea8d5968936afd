// Package scrub removes personal data and secrets from event data before it
// reaches Jira, which far more people read than Sentry. It is pure: no
// I/O; a Scrubber is immutable and safe for concurrent use.
//
// Text applies these rules, in this order (each sees the output of the
// ones before; all but the first work within one line):
//
//  1. Extra patterns from the config: each match becomes "[redacted]".
//     They run first, on the text as received. Then PEM private-key
//     blocks (which span lines) become "[redacted]".
//  2. Passwords in URLs: scheme://user:[redacted]@host.
//  3. E-mail addresses (also with the @ URL-encoded as %40) become
//     "[email]".
//  4. IPv6 addresses (validated by net/netip) and IPv4 addresses become
//     "[ip]".
//  5. Other secrets become "[redacted]": JWTs (eyJ….eyJ….sig);
//     "Authorization:"/"Proxy-Authorization:" values (the scheme word,
//     e.g. Bearer, is kept); "Cookie:"/"Set-Cookie:" values; "Bearer <token>"
//     (a token of 8+ characters with a digit, or 20+); "Basic <base64>"
//     when it decodes to user:password; key=value and key: value pairs
//     whose key names a secret (containing token, secret, passw,
//     passphrase, pwd, api_key, apikey, access_key, private_key,
//     credential, session_id, sessid or signature, or being auth, sig,
//     key or session, alone or after "." or "-"; in JSON form
//     "key": "value" too); well-known token formats (AWS access key ids,
//     GitHub, GitLab, Slack, Stripe, Google API keys).
//  6. Chinese resident ID numbers (18 characters, the last possibly X,
//     a valid birth date and a valid check digit) keep the first 6 and
//     last 4: 110105********1234.
//  7. Payment card numbers (13-19 digits, plain or in groups separated by
//     single spaces or dashes, starting with 2-6 and Luhn-valid) become
//     "[card]".
//  8. Phone numbers are masked: Chinese mobiles (1[3-9] and 9 more digits,
//     optionally grouped 3-4-4, optionally after 86, +86 or 0086) and
//     international numbers written with a leading +<country code>
//     (8-15 digits, separated by spaces, dots, dashes or parentheses). The
//     country code is kept, then of the national number the first 3 digits
//     (only when at least 4 stay hidden, i.e. 11+ digits) and the last 4
//     (when at least 4 stay hidden): 13812345678 -> 138****5678,
//     +86 138 1234 5678 -> +86 138****5678, +1 415-555-2671 -> +1 ******2671.
//
// Scrubbing is idempotent: Text(Text(x)) == Text(x) (fuzzed).
//
// Decisions, to avoid false positives:
//
//   - A number is only a phone, card or ID when it stands alone: not
//     preceded or followed by a letter, digit or underscore, not part of a
//     decimal or dotted number. So timestamps (1700000000,
//     1700000000123), hex ids, UUIDs, versions (1.2.3), dates
//     (2024-01-15) and line numbers are left alone. Without a "+", only
//     Chinese mobile numbers are recognized as phones.
//   - A dotted quad is a version, not an IP, when a letter comes right
//     before it (v1.2.3.4, build1.2.3.4) or it follows "/" after a
//     product name (Chrome/120.0.0.0 in User-Agents), or when it is part
//     of a longer dotted number (1.2.3.4.5). A bare 1.2.3.4 is an IP, and
//     so is ip:1.2.3.4.
//   - An IPv6 candidate must contain a digit (so C++/Rust paths such as
//     dead::beef are not addresses) and parse as an address (net/netip);
//     times (12:34:56) and MAC addresses do not.
//   - Masks are never taken apart again: '*' glues like a digit, '[' ends
//     a value, so scrubbing scrubbed text changes nothing.
//   - key: value (with a colon, unquoted key) is only a secret when the
//     key is password-like, or the value looks like a credential (8+
//     characters mixing letters and digits, or 20+ token characters): so
//     "failed to refresh token: NetworkError" keeps its message.
//   - Placeholder values (null, undefined, none, nil, true, false, empty)
//     are not redacted: "token=undefined" is a useful clue and no secret.
//   - Keys counting tokens (max_tokens, prompt_tokens) or naming a
//     tokenizer are not secrets.
//
// Known gaps: user names inside file paths (/home/jane/...), postal
// addresses, names, MAC addresses, national ids other than China's, and
// phone numbers written without "+" outside China are not detected; an
// 11-digit number starting 13-19 is taken for a Chinese mobile; a dotted
// quad version not preceded by a letter ("version 1.2.3.4") is taken for
// an IP; secrets in free text are only found next to a key that names
// them or in a known format. Alert's user hash is an unsalted SHA-256, so
// an e-mail address can be confirmed by hashing a guess.
package scrub

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/url"
	"regexp"
	"strings"

	"github.com/fixproof/fixproof/internal/alert"
)

// Replacements.
const (
	Redacted = "[redacted]"
	Email    = "[email]"
	IP       = "[ip]"
	Card     = "[card]"
)

// Options configure a Scrubber.
type Options struct {
	// Extra are regular expressions (Go syntax) from the config; every
	// match is replaced by "[redacted]".
	Extra []string
	// KeepUser keeps an alert's user (and user tags) as they are.
	KeepUser bool
}

// Scrubber scrubs text, URLs, headers and alerts. It is safe for
// concurrent use.
type Scrubber struct {
	extra    []*regexp.Regexp
	keepUser bool
}

// New builds a Scrubber. The error names the first extra pattern that does
// not compile or that matches the empty string (which would insert
// "[redacted]" everywhere).
func New(o Options) (*Scrubber, error) {
	s := &Scrubber{keepUser: o.KeepUser}
	for i, p := range o.Extra {
		re, err := regexp.Compile(p)
		if err != nil {
			return nil, fmt.Errorf("scrub: extra pattern %d %q: %v", i+1, p, err)
		}
		if re.MatchString("") {
			return nil, fmt.Errorf("scrub: extra pattern %d %q matches the empty string", i+1, p)
		}
		s.extra = append(s.extra, re)
	}
	return s, nil
}

// Text scrubs free text with the rules in the package documentation.
func (s *Scrubber) Text(in string) string {
	if in == "" {
		return in
	}
	out := in
	for _, re := range s.extra {
		out = re.ReplaceAllLiteralString(out, Redacted)
	}
	if strings.Contains(out, "-----BEGIN") {
		out = rePEM.ReplaceAllLiteralString(out, Redacted)
	}
	// The other rules never span lines. Line by line, most lines are
	// skipped by the cheap checks in scrubLine, and short inputs let Go's
	// regexp use its fast backtracking matcher.
	if !strings.Contains(out, "\n") {
		return scrubLine(out)
	}
	lines := strings.SplitAfter(out, "\n")
	changed := false
	for i, l := range lines {
		if r := scrubLine(l); r != l {
			lines[i] = r
			changed = true
		}
	}
	if !changed {
		return out
	}
	return strings.Join(lines, "")
}

// scrubLine applies the built-in rules but PEM blocks to one line.
func scrubLine(s string) string {
	// The order makes a second pass find nothing more to do: a rule's
	// replacements may change what a later rule sees next to them, never
	// what an earlier one sees.
	s = scrubURLPasswords(s)
	s = scrubEmails(s)
	if strings.Count(s, ":") >= 2 || strings.Count(s, ".") >= 3 {
		s = scrubIPs(s)
	}
	s = scrubSecrets(s)
	if hasDigitRun(s) {
		s = scrubIDs(s)
		s = scrubCards(s)
		s = scrubPhones(s)
	}
	return s
}

// URL scrubs a URL: the password in its userinfo is removed, the values of
// query parameters with secret-looking names (token, access_token,
// api_key, apikey, key, secret, password, passwd, pwd, auth, signature,
// sig, session, code, and any name containing token, secret, passw,
// apikey, api_key, api-key, signature, credential or session) become
// "[redacted]", and the Text rules apply to the rest (user, host, path,
// other values, decoded first so %40 and friends are seen, and the
// fragment, read as a query when it has "="). Parameters keep their order
// and their original encoding unless changed.
func (s *Scrubber) URL(in string) string {
	if in == "" {
		return in
	}
	rest, frag, hasFrag := strings.Cut(in, "#")
	base, query, hasQuery := strings.Cut(rest, "?")
	var b strings.Builder
	b.WriteString(s.urlBase(base))
	if hasQuery {
		b.WriteByte('?')
		b.WriteString(s.Query(query))
	}
	if hasFrag {
		b.WriteByte('#')
		if strings.Contains(frag, "=") {
			b.WriteString(s.Query(frag))
		} else {
			b.WriteString(s.Text(frag))
		}
	}
	return b.String()
}

func (s *Scrubber) urlBase(base string) string {
	i := strings.Index(base, "://")
	if i <= 0 || !validScheme(base[:i]) {
		return s.Text(base)
	}
	scheme, rest := base[:i+3], base[i+3:]
	authority, path := rest, ""
	if j := strings.IndexByte(rest, '/'); j >= 0 {
		authority, path = rest[:j], rest[j:]
	}
	var b strings.Builder
	b.WriteString(scheme)
	host := authority
	if at := strings.LastIndexByte(authority, '@'); at >= 0 {
		user, _, _ := strings.Cut(authority[:at], ":") // the password goes
		b.WriteString(s.Text(user))
		b.WriteByte('@')
		host = authority[at+1:]
	}
	b.WriteString(s.Text(host))
	b.WriteString(s.Text(path))
	return b.String()
}

func validScheme(sc string) bool {
	for i := 0; i < len(sc); i++ {
		c := sc[i]
		if !(isLetter(c) || i > 0 && (isDigit(c) || c == '+' || c == '-' || c == '.')) {
			return false
		}
	}
	return sc != ""
}

// Query scrubs a query string (without the "?") as URL does.
func (s *Scrubber) Query(q string) string {
	if q == "" {
		return q
	}
	parts := strings.Split(q, "&")
	for i, p := range parts {
		k, v, hasEq := strings.Cut(p, "=")
		dk := unescape(k)
		if hasEq && v != "" && secretParam(dk) {
			parts[i] = k + "=" + Redacted
			continue
		}
		if sk := s.Text(dk); sk != dk {
			k = escapeQuery(sk)
		}
		if !hasEq {
			parts[i] = k
			continue
		}
		dv := unescape(v)
		if sv := s.Text(dv); sv != dv {
			v = escapeQuery(sv)
		}
		parts[i] = k + "=" + v
	}
	return strings.Join(parts, "&")
}

func unescape(s string) string {
	if u, err := url.QueryUnescape(s); err == nil {
		return u
	}
	return s
}

// escapeQuery escapes what would break a query value, leaving the
// replacement markers ("[redacted]", "138****5678") readable.
func escapeQuery(s string) string {
	const hexDigits = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if isLetter(c) || isDigit(c) || strings.IndexByte("-._~[]*:/@!$'(),;", c) >= 0 {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexDigits[c>>4])
		b.WriteByte(hexDigits[c&15])
	}
	return b.String()
}

var secretParams = map[string]bool{
	"token": true, "access_token": true, "api_key": true, "apikey": true, "key": true,
	"secret": true, "password": true, "passwd": true, "pwd": true, "auth": true,
	"signature": true, "sig": true, "session": true, "code": true,
}

var secretParamParts = []string{"token", "secret", "passw", "apikey", "api_key", "api-key", "signature", "credential", "session"}

func secretParam(name string) bool {
	n := strings.ToLower(strings.TrimSpace(name))
	if secretParams[n] {
		return true
	}
	for _, p := range secretParamParts {
		if strings.Contains(n, p) {
			return !countsTokens(n)
		}
	}
	return false
}

// countsTokens is a key that counts tokens or names a tokenizer.
func countsTokens(key string) bool {
	return strings.HasSuffix(key, "tokens") || strings.Contains(key, "tokeniz")
}

var secretHeaders = map[string]bool{
	"authorization": true, "proxy-authorization": true, "cookie": true, "set-cookie": true,
	"x-api-key": true, "api-key": true, "apikey": true,
}

var secretHeaderParts = []string{"token", "secret", "passw", "apikey", "api-key", "api_key", "session", "signature", "credential", "cookie"}

var urlHeaders = map[string]bool{
	"referer": true, "referrer": true, "origin": true, "location": true,
	"content-location": true, "x-original-url": true, "x-rewrite-url": true,
}

// Header scrubs one HTTP header value: Authorization, Proxy-Authorization,
// Cookie, Set-Cookie, X-Api-Key and any header whose name contains token,
// secret, passw, apikey, api-key, session, signature, credential or
// cookie, or starts with x-auth, becomes "[redacted]" (unless empty);
// Referer, Origin, Location and the like are scrubbed as URLs; any other
// value as Text.
func (s *Scrubber) Header(name, value string) string {
	if value == "" {
		return value
	}
	if secretHeader(name) {
		return Redacted
	}
	if urlHeaders[strings.ToLower(strings.TrimSpace(name))] {
		return s.URL(value)
	}
	return s.Text(value)
}

func secretHeader(name string) bool {
	n := strings.ToLower(strings.TrimSpace(name))
	if secretHeaders[n] || strings.HasPrefix(n, "x-auth") {
		return true
	}
	for _, p := range secretHeaderParts {
		if strings.Contains(n, p) {
			return !countsTokens(n)
		}
	}
	return false
}

// Alert scrubs every text field of a in place. It assigns a's fields but
// never writes through them: slices, maps and the request are replaced by
// scrubbed copies, so scrubbing a shallow copy of an alert (b := *a;
// s.Alert(&b)) leaves the original intact. What it does:
//
//   - Title, ExceptionType, ExceptionValue, Culprit: Text.
//   - Frames: File, Function and Module: Text (a path is no URL).
//   - Tags: a secret-looking key redacts the value; url-like keys (url,
//     *.url, *_url, referer) are scrubbed as URLs; user tags (user,
//     sentry:user, user.*) become the user's id hash unless KeepUser;
//     others Text.
//   - Breadcrumbs: Message Text; Data values like tags (url, to, from and
//     *url keys as URLs).
//   - Request: URL as a URL, Query as a query string, Headers with Header.
//   - User, unless KeepUser: replaced by &alert.User{ID: "user-" + the first
//     12 hex digits of the SHA-256 of its id, else e-mail, else username,
//     else IP}, or nil when it has none of them. The bot shows users as a
//     count and this hash.
//   - Alertmanager: the values of GroupLabels, CommonLabels, Annotations
//     and of every instance's Labels and Annotations: Text;
//     GeneratorURL and ExternalURL: as URLs.
//
// Sentry's own links (IssueURL, EventURL, ReplayURL), ids, Release,
// Environment and the fingerprint are left alone.
func (s *Scrubber) Alert(a *alert.Alert) {
	if a == nil {
		return
	}
	a.Title = s.Text(a.Title)
	a.ExceptionType = s.Text(a.ExceptionType)
	a.ExceptionValue = s.Text(a.ExceptionValue)
	a.Culprit = s.Text(a.Culprit)
	a.Frames = copyEach(a.Frames, s.frame)
	var userHash string
	if !s.keepUser && a.User != nil {
		a.User = hashedUser(a.User)
		if a.User != nil {
			userHash = a.User.ID
		}
	}
	a.Tags = copyEach(a.Tags, func(t alert.Tag) alert.Tag { return s.tag(t, userHash) })
	a.Breadcrumbs = copyEach(a.Breadcrumbs, s.breadcrumb)
	a.Request = s.request(a.Request)
	a.GroupLabels = s.labels(a.GroupLabels)
	a.CommonLabels = s.labels(a.CommonLabels)
	a.Annotations = s.labels(a.Annotations)
	a.Alerts = copyEach(a.Alerts, s.instance)
	a.ExternalURL = s.URL(a.ExternalURL)
}

// copyEach returns a copy of items with fn applied to each (nil stays
// nil), so that the alert's own slices are never written through.
func copyEach[T any](items []T, fn func(T) T) []T {
	if items == nil {
		return nil
	}
	out := make([]T, len(items))
	for i, it := range items {
		out[i] = fn(it)
	}
	return out
}

func (s *Scrubber) frame(f alert.Frame) alert.Frame {
	f.File = s.Text(f.File)
	f.Function = s.Text(f.Function)
	f.Module = s.Text(f.Module)
	return f
}

// tag scrubs a tag by its key; a user tag becomes userHash, or its own
// hash, unless the Scrubber keeps users.
func (s *Scrubber) tag(t alert.Tag, userHash string) alert.Tag {
	switch {
	case !s.keepUser && userTag(t.Key):
		if t.Value != "" {
			t.Value = userTagHash(t.Key, t.Value, userHash)
		}
	default:
		t.Value = s.keyed(t.Key, t.Value)
	}
	return t
}

func (s *Scrubber) breadcrumb(c alert.Breadcrumb) alert.Breadcrumb {
	c.Message = s.Text(c.Message)
	c.Data = copyEach(c.Data, s.keyedTag)
	return c
}

// request returns a scrubbed copy of r (nil stays nil).
func (s *Scrubber) request(r *alert.Request) *alert.Request {
	if r == nil {
		return nil
	}
	c := *r
	c.URL = s.URL(c.URL)
	c.Query = s.Query(c.Query)
	c.Headers = copyEach(c.Headers, func(h alert.Tag) alert.Tag {
		h.Value = s.Header(h.Key, h.Value)
		return h
	})
	return &c
}

// instance scrubs one alert of an Alertmanager group.
func (s *Scrubber) instance(in alert.Instance) alert.Instance {
	in.Labels = s.labels(in.Labels)
	in.Annotations = s.labels(in.Annotations)
	in.GeneratorURL = s.URL(in.GeneratorURL)
	return in
}

// labels returns a scrubbed copy of m (nil stays nil).
func (s *Scrubber) labels(m map[string]string) map[string]string {
	if m == nil {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = s.Text(v)
	}
	return out
}

// keyedTag scrubs a tag's value by its key.
func (s *Scrubber) keyedTag(t alert.Tag) alert.Tag {
	t.Value = s.keyed(t.Key, t.Value)
	return t
}

// keyed scrubs a value by what its key says it is.
func (s *Scrubber) keyed(key, value string) string {
	if value == "" {
		return value
	}
	k := strings.ToLower(key)
	switch {
	case secretParam(k) || secretHeader(k):
		return Redacted
	case k == "url" || k == "to" || k == "from" || k == "referer" || k == "referrer" ||
		strings.HasSuffix(k, ".url") || strings.HasSuffix(k, "_url"):
		return s.URL(value)
	}
	return s.Text(value)
}

func userTag(key string) bool {
	k := strings.ToLower(key)
	return k == "user" || k == "sentry:user" || strings.HasPrefix(k, "user.")
}

// userTagHash replaces a user tag ("id:42", "email:jane@example.com",
// "ip:10.0.0.1", or a bare value) by the user's hash: the alert user's
// when it has one, else the hash of the tag's value (without its kind
// prefix), which equals the user's hash when the tag names the same id or
// e-mail.
func userTagHash(key, value, userHash string) string {
	if userHash != "" && (strings.EqualFold(key, "user") || strings.EqualFold(key, "sentry:user")) {
		return userHash
	}
	v := value
	for _, p := range []string{"id:", "email:", "username:", "ip:"} {
		if rest, ok := strings.CutPrefix(v, p); ok {
			v = rest
			break
		}
	}
	return userID(v)
}

func hashedUser(u *alert.User) *alert.User {
	for _, k := range []string{u.ID, u.Email, u.Username, u.IP} {
		if k != "" {
			return &alert.User{ID: userID(k)}
		}
	}
	return nil
}

// userID is "user-" and the first 12 hex digits of the SHA-256 of key.
func userID(key string) string {
	sum := sha256.Sum256([]byte(key))
	return "user-" + hex.EncodeToString(sum[:])[:12]
}
