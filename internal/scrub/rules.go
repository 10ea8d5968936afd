package scrub

import (
	"encoding/base64"
	"net/netip"
	"regexp"
	"strings"
	"time"
)

func isDigit(c byte) bool  { return '0' <= c && c <= '9' }
func isLetter(c byte) bool { return 'a' <= c|0x20 && c|0x20 <= 'z' }
func isWord(c byte) bool   { return isDigit(c) || isLetter(c) || c == '_' }

// standsAlone reports whether the number s[i:j] is not glued to a letter,
// digit, underscore or '*' (a masked number), and not part of a longer
// dotted, dashed or colon-separated number (1.13812345678,
// 2024-13812345678-1).
func standsAlone(s string, i, j int) bool { return aloneLeft(s, i) && aloneRight(s, j) }

func aloneLeft(s string, i int) bool {
	if i == 0 {
		return true
	}
	p := s[i-1]
	if isWord(p) || p == '*' {
		return false
	}
	return !((p == '.' || p == '-' || p == ':') && i > 1 && isDigit(s[i-2]))
}

func aloneRight(s string, j int) bool {
	if j == len(s) {
		return true
	}
	n := s[j]
	if isWord(n) || n == '*' {
		return false
	}
	return !((n == '.' || n == '-' || n == ':') && j+1 < len(s) && isDigit(s[j+1]))
}

// group is submatch k of m in s, "" when it did not participate.
func group(s string, m []int, k int) string {
	if m[2*k] < 0 {
		return ""
	}
	return s[m[2*k]:m[2*k+1]]
}

// --- secrets ---

var (
	rePEM     = regexp.MustCompile(`-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z0-9 ]*PRIVATE KEY-----|$)`)
	reJWT     = regexp.MustCompile(`\beyJ[A-Za-z0-9_-]{4,}\.eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*`)
	reURLPass = regexp.MustCompile(`\b([A-Za-z][A-Za-z0-9+.-]*://)([^/\s:@?#]*):([^/\s@?#]+)@`)
	reKnown   = regexp.MustCompile(`\b(?:(?:AKIA|ASIA)[0-9A-Z]{16}|gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,}|glpat-[A-Za-z0-9_-]{20,}|xox[abposr]-[A-Za-z0-9-]{10,}|[rs]k_(?:live|test)_[A-Za-z0-9]{16,}|AIza[0-9A-Za-z_-]{35})\b`)

	// Anchored: run where their keyword occurs (see replaceAt).
	reAuth   = regexp.MustCompile(`(?i)^((?:proxy-)?authorization)(["']?[ \t]*[:=][ \t]*["']?)(?:(bearer|basic|digest|negotiate|token|apikey|hmac-sha256|aws4-hmac-sha256|sharedkey)[ \t]+)?([^\s"',;]+)`)
	reCookie = regexp.MustCompile(`(?i)^((?:set-)?cookie)(["']?[ \t]*:[ \t]*["']?)([^\r\n"']+)`)
	reBearer = regexp.MustCompile(`(?i)^(bearer)[ \t]+([A-Za-z0-9._~+/-]+=*)`)
	reBasic  = regexp.MustCompile(`(?i)^(basic)[ \t]+([A-Za-z0-9+/]{4,}={0,2})`)
)

// secretWords are what a line must contain (lower-cased) for
// scrubKeyValues to be worth running.
var secretWords = []string{"token", "secret", "passw", "pwd", "key", "credential", "sess", "signature", "auth", "sig"}

// knownPrefixes are what a line must contain for reKnown to be worth
// running.
var knownPrefixes = []string{"AKIA", "ASIA", "ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_", "glpat-", "xox", "k_live_", "k_test_", "AIza"}

// scrubURLPasswords hides the password of scheme://user:password@host.
func scrubURLPasswords(s string) string {
	if strings.Contains(s, "://") && strings.Contains(s, "@") {
		s = reURLPass.ReplaceAllString(s, "${1}${2}:"+Redacted+"@")
	}
	return s
}

// scrubSecrets applies the other secret rules (not PEM blocks, see Text,
// nor URL passwords) to one line, running each only where a cheap check
// says it may match.
func scrubSecrets(s string) string {
	s = scrubKnownTokens(s)
	if !strings.ContainsAny(s, ":= \t") {
		return s
	}
	// One lower-casing of the line as it came serves every cheap check
	// below (a rule whose keyword a replacement removed just finds none).
	lower := asciiLower(s)
	for _, r := range keywordRules {
		if strings.Contains(lower, r.word) {
			s = replaceAt(s, r.word, r.prefix, r.re, r.redact)
		}
	}
	if strings.ContainsAny(s, ":=") && containsAny(lower, secretWords) {
		s = scrubKeyValues(s)
	}
	return s
}

// scrubKnownTokens redacts JWTs and tokens with a vendor's known prefix.
func scrubKnownTokens(s string) string {
	if strings.Contains(s, "eyJ") {
		s = reJWT.ReplaceAllLiteralString(s, Redacted)
	}
	if containsAny(s, knownPrefixes) {
		s = reKnown.ReplaceAllLiteralString(s, Redacted)
	}
	return s
}

// keywordRule is a secret rule anchored at a keyword (see replaceAt):
// redact gets the rest of the line from the keyword and the match of re
// there, and returns the replacement, or false to leave the match alone.
type keywordRule struct {
	word, prefix string
	re           *regexp.Regexp
	redact       func(rest string, m []int) (string, bool)
}

// keywordRules run in this order; each sees what the earlier left.
var keywordRules = []keywordRule{
	{"authorization", "proxy-", reAuth, redactAuthorization},
	{"cookie", "set-", reCookie, redactCookie},
	{"bearer", "", reBearer, redactBearer},
	{"basic", "", reBasic, redactBasic},
}

// redactAuthorization keeps the header name and the scheme of an
// Authorization value and hides its credentials.
func redactAuthorization(s string, m []int) (string, bool) {
	if group(s, m, 4) == Redacted {
		return "", false
	}
	out := group(s, m, 1) + group(s, m, 2)
	if scheme := group(s, m, 3); scheme != "" {
		out += scheme + " "
	}
	return out + Redacted, true
}

// redactCookie hides the whole value of a Cookie or Set-Cookie header.
func redactCookie(s string, m []int) (string, bool) {
	if strings.TrimSpace(group(s, m, 3)) == Redacted {
		return "", false
	}
	return group(s, m, 1) + group(s, m, 2) + Redacted, true
}

// redactBearer hides a "Bearer <token>" token that looks generated.
func redactBearer(s string, m []int) (string, bool) {
	if !bearerTokenLike(group(s, m, 2)) {
		return "", false
	}
	return group(s, m, 1) + " " + Redacted, true
}

// bearerTokenLike: 8+ characters with a digit, or 20+ characters, so
// that prose ("bearer of bad news") is left alone.
func bearerTokenLike(tok string) bool {
	return len(tok) >= 8 && strings.ContainsAny(tok, "0123456789") || len(tok) >= 20
}

// redactBasic hides a "Basic <base64>" value that decodes to user:password.
func redactBasic(s string, m []int) (string, bool) {
	if !basicCredentials(group(s, m, 2)) {
		return "", false
	}
	return group(s, m, 1) + " " + Redacted, true
}

// basicCredentials reports whether tok is base64 (padded or not) of text
// with a colon, as HTTP Basic credentials are.
func basicCredentials(tok string) bool {
	dec, err := base64.StdEncoding.DecodeString(tok)
	if err != nil {
		dec, err = base64.RawStdEncoding.DecodeString(strings.TrimRight(tok, "="))
	}
	return err == nil && strings.Contains(string(dec), ":")
}

// asciiLower lower-cases ASCII letters only, so that offsets into the
// result are offsets into s.
func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// replaceAt runs the anchored re at every occurrence of word (lower-case,
// matched ignoring ASCII case) in s that starts a word, extended back over
// prefix when prefix precedes it, and replaces the matches fn accepts; fn
// gets the rest of s from the occurrence and the match in it.
func replaceAt(s, word, prefix string, re *regexp.Regexp, fn func(rest string, m []int) (string, bool)) string {
	lower := asciiLower(s)
	e := editor{s: s}
	for off := 0; off < len(s); {
		k := strings.Index(lower[off:], word)
		if k < 0 {
			break
		}
		k += off
		off = k + len(word)
		start := k
		if prefix != "" && k >= len(prefix) && lower[k-len(prefix):k] == prefix {
			start = k - len(prefix)
		}
		if start < e.last || start > 0 && isWord(s[start-1]) {
			continue
		}
		m := re.FindStringSubmatchIndex(s[start:])
		if m == nil {
			continue
		}
		if r, ok := fn(s[start:], m); ok {
			e.replace(start, start+m[1], r)
			off = start + m[1]
		}
	}
	return e.result()
}

func containsAny(s string, subs []string) bool {
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

// secretKeyParts name a secret anywhere in a key; secretKeyWords only as
// the whole key or its last part after "." or "-" (api.key, x-auth).
var (
	secretKeyParts = []string{"token", "secret", "passw", "passphrase", "pwd", "apikey", "api_key", "api-key",
		"access_key", "access-key", "accesskey", "private_key", "private-key", "privatekey", "credential",
		"session_id", "session-id", "sessionid", "sessid", "signature"}
	secretKeyWords = map[string]bool{"auth": true, "sig": true, "key": true, "session": true}
	// passwordParts make a key's value secret whatever it looks like.
	passwordParts = []string{"passw", "passphrase", "pwd", "secret", "apikey", "api_key", "api-key",
		"private_key", "private-key", "privatekey", "access_key", "access-key", "accesskey", "credential"}
)

// secretKey reports whether a (lower-case) key names a secret.
func secretKey(key string) bool {
	if countsTokens(key) {
		return false
	}
	if containsAny(key, secretKeyParts) {
		return true
	}
	last := key
	if i := strings.LastIndexAny(key, ".-"); i >= 0 {
		last = key[i+1:]
	}
	return secretKeyWords[key] || secretKeyWords[last]
}

func isKeyChar(c byte) bool { return isWord(c) || c == '.' || c == '-' }

// scrubKeyValues redacts the values of key=value and key: value pairs
// whose key names a secret, in the forms token=x, "token": "x", 'token':
// 'x' and token: x (the last only for password-like keys or
// credential-like values).
func scrubKeyValues(s string) string {
	e := editor{s: s}
	for i := 0; i < len(s); i++ {
		if s[i] != '=' && s[i] != ':' {
			continue
		}
		ks, ke, keyQuoted := keyBefore(s, i, e.last)
		if ks == ke {
			continue
		}
		key := strings.ToLower(s[ks:ke])
		if !secretKey(key) {
			continue
		}
		vs := skipBlanks(s, i+1)
		ve, quote := valueEnd(s, vs)
		inner := s[vs:ve]
		if quote != "" {
			inner = inner[1 : len(inner)-1]
		}
		if !redactValue(s[i], key, keyQuoted, inner, quote != "") {
			continue
		}
		e.replace(vs, ve, quote+Redacted+quote)
		i = ve - 1
	}
	return e.result()
}

// keyBefore finds the key before the separator at s[sep], not reaching
// back before floor: blanks, then an optional closing quote, then a run of
// key characters [ks, ke). quoted is whether a quote closes or opens it.
func keyBefore(s string, sep, floor int) (ks, ke int, quoted bool) {
	ke = sep
	for ke > floor && (s[ke-1] == ' ' || s[ke-1] == '\t') {
		ke--
	}
	if ke > floor && isQuote(s[ke-1]) {
		quoted = true
		ke--
	}
	ks = ke
	for ks > floor && isKeyChar(s[ks-1]) {
		ks--
	}
	if ks > 0 && isQuote(s[ks-1]) {
		quoted = true
	}
	return ks, ke, quoted
}

func isQuote(c byte) bool { return c == '"' || c == '\'' }

// skipBlanks is the index of the first byte at or after i that is not a
// space or tab.
func skipBlanks(s string, i int) int {
	for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
		i++
	}
	return i
}

// redactValue decides whether the value (inner, without its quotes) of a
// secret key, after the separator sep ('=' or ':'), is a secret to hide.
// Empty values, markers and placeholders (null, none) stay; so does an
// unquoted structure ({, [); after an unquoted key and a colon only a
// password-like key or a credential-like value counts, since that is also
// how prose reads ("failed to refresh token: NetworkError").
func redactValue(sep byte, key string, keyQuoted bool, inner string, quoted bool) bool {
	switch {
	case inner == "", strings.HasPrefix(inner, "[redacted"), placeholder(inner):
		return false
	case !quoted && (inner[0] == '{' || inner[0] == '['):
		return false
	case sep == ':' && !keyQuoted && !containsAny(key, passwordParts) && !credentialLike(inner):
		return false
	}
	return true
}

// valueEnd is the end of the value starting at s[i]: a quoted string
// (backslash escapes allowed, on one line), else a run up to white space
// or one of &"',;()[]{}<> ("[" also ends it at a marker like "[ip]").
// quote is the quote character of a quoted value.
func valueEnd(s string, i int) (end int, quote string) {
	if i < len(s) && (s[i] == '"' || s[i] == '\'') {
		q := s[i]
		for j := i + 1; j < len(s) && s[j] != '\n'; j++ {
			switch s[j] {
			case '\\':
				j++
			case q:
				return j + 1, string(q)
			}
		}
	}
	j := i
	for j < len(s) && !isSpace(s[j]) && strings.IndexByte("&\"',;()[]{}<>", s[j]) < 0 {
		j++
	}
	return j, ""
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'
}

// editor builds a string from s with some spans replaced, left to right.
type editor struct {
	s       string
	b       strings.Builder
	last    int
	changed bool
}

func (e *editor) replace(i, j int, r string) {
	e.b.WriteString(e.s[e.last:i])
	e.b.WriteString(r)
	e.last = j
	e.changed = true
}

func (e *editor) result() string {
	if !e.changed {
		return e.s
	}
	e.b.WriteString(e.s[e.last:])
	return e.b.String()
}

func placeholder(v string) bool {
	switch strings.ToLower(v) {
	case "null", "undefined", "none", "nil", "true", "false", "empty", "<nil>", "(null)":
		return true
	}
	return false
}

// credentialLike is a value that looks generated: 8+ characters mixing
// letters and digits, or 20+ characters of a token alphabet.
func credentialLike(v string) bool {
	var letters, digits, other bool
	for i := 0; i < len(v); i++ {
		switch c := v[i]; {
		case isDigit(c):
			digits = true
		case isLetter(c):
			letters = true
		case strings.IndexByte("._~+/=-", c) >= 0:
		default:
			other = true
		}
	}
	return len(v) >= 8 && letters && digits || len(v) >= 20 && !other
}

// --- e-mail ---

func isLocalChar(c byte) bool {
	return isDigit(c) || isLetter(c) || strings.IndexByte("._%+-", c) >= 0
}

func isDomainChar(c byte) bool { return isDigit(c) || isLetter(c) || c == '.' || c == '-' }

// scrubEmails replaces local@domain.tld (the @ possibly written %40).
func scrubEmails(s string) string {
	if !strings.Contains(s, "@") && !strings.Contains(s, "%40") {
		return s
	}
	e := editor{s: s}
	for i := 0; i < len(s); i++ {
		ls, de, ok := emailAt(s, i, e.last)
		if !ok {
			continue
		}
		e.replace(ls, de, Email)
		i = de - 1
	}
	return e.result()
}

// emailAt reads the address whose @ (or %40) is at s[i], its local part
// not reaching back before floor, and returns its span [ls, de).
func emailAt(s string, i, floor int) (ls, de int, ok bool) {
	at := atSignLen(s, i)
	if at == 0 {
		return 0, 0, false
	}
	ls = i
	for ls > floor && isLocalChar(s[ls-1]) {
		ls--
	}
	de = domainEnd(s, i+at)
	if ls == i || !validDomain(s[i+at:de]) || de < len(s) && s[de] == '_' {
		return 0, 0, false
	}
	return ls, de, true
}

// atSignLen is the length of the @ at s[i]: 1 for "@", 3 for "%40", 0
// for anything else.
func atSignLen(s string, i int) int {
	switch {
	case s[i] == '@':
		return 1
	case s[i] == '%' && strings.HasPrefix(s[i:], "%40"):
		return 3
	}
	return 0
}

// domainEnd is the end of the domain starting at s[ds]: a run of domain
// characters without the dots and dashes that end it (the end of a
// sentence).
func domainEnd(s string, ds int) int {
	de := ds
	for de < len(s) && isDomainChar(s[de]) {
		de++
	}
	for de > ds && (s[de-1] == '.' || s[de-1] == '-') {
		de--
	}
	return de
}

// validDomain: two or more labels of letters, digits and inner dashes, the
// last of 2-24 letters. A first label like "2x" (logo@2x.png) is an image
// name, not a domain.
func validDomain(d string) bool {
	labels := strings.Split(d, ".")
	if len(labels) < 2 {
		return false
	}
	for _, l := range labels {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
	}
	tld := labels[len(labels)-1]
	if len(tld) < 2 || len(tld) > 24 {
		return false
	}
	for i := 0; i < len(tld); i++ {
		if !isLetter(tld[i]) {
			return false
		}
	}
	first := labels[0]
	if len(first) >= 2 && first[len(first)-1]|0x20 == 'x' && strings.Trim(first[:len(first)-1], "0123456789") == "" {
		return false
	}
	return true
}

// --- Chinese resident ID numbers ---

// digitRuns calls fn with the start and end of every maximal run of
// digits in s.
func digitRuns(s string, fn func(i, j int)) {
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			continue
		}
		j := i + 1
		for j < len(s) && isDigit(s[j]) {
			j++
		}
		fn(i, j)
		i = j
	}
}

func scrubIDs(s string) string {
	e := editor{s: s}
	digitRuns(s, func(i, j int) {
		if j-i == 17 && j < len(s) && (s[j] == 'X' || s[j] == 'x') {
			j++
		}
		if j-i != 18 || !standsAlone(s, i, j) || !validCNID(s[i:j]) {
			return
		}
		e.replace(i, j, s[i:i+6]+"********"+s[i+14:j])
	})
	return e.result()
}

// validCNID checks an 18-character resident ID number (GB 11643-1999):
// a region starting 1-8, a real birth date in 1900-2099, and the ISO 7064
// MOD 11-2 check character.
func validCNID(id string) bool {
	if len(id) != 18 || id[0] < '1' || id[0] > '8' {
		return false
	}
	y := atoi(id[6:10])
	mo := atoi(id[10:12])
	d := atoi(id[12:14])
	if y < 1900 || y > 2099 || mo < 1 || mo > 12 || d < 1 {
		return false
	}
	if t := time.Date(y, time.Month(mo), d, 0, 0, 0, 0, time.UTC); t.Day() != d || int(t.Month()) != mo {
		return false
	}
	weights := [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}
	sum := 0
	for i, w := range weights {
		sum += int(id[i]-'0') * w
	}
	want := "10X98765432"[sum%11]
	last := id[17]
	if last == 'x' {
		last = 'X'
	}
	return last == want
}

func atoi(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		n = n*10 + int(s[i]-'0')
	}
	return n
}

// --- payment cards ---

func scrubCards(s string) string {
	e := editor{s: s}
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			continue
		}
		groups := digitGroups(s, i)
		start, end := i, groups[len(groups)-1][1]
		i = end
		if end-start < 13 {
			continue
		}
		maskCards(s, groups, &e)
	}
	return e.result()
}

// digitGroups reads the run at s[i]: digit groups separated by single
// spaces or dashes, as [start, end) offsets.
func digitGroups(s string, i int) [][2]int {
	var groups [][2]int
	for {
		k := i
		for k < len(s) && isDigit(s[k]) {
			k++
		}
		groups = append(groups, [2]int{i, k})
		if k+1 < len(s) && (s[k] == ' ' || s[k] == '-') && isDigit(s[k+1]) {
			i = k + 1
			continue
		}
		return groups
	}
}

// maskCards replaces in e each card number in the run of groups, left to
// right, a card taking the fewest groups that make one.
func maskCards(s string, groups [][2]int, e *editor) {
	for a := 0; a < len(groups); a++ {
		if !cardStartsAt(s, groups, a) {
			continue
		}
		if b, ok := cardFrom(s, groups, a); ok {
			e.replace(groups[a][0], groups[b][1], Card)
			a = b
		}
	}
}

// cardFrom is the last group b of the shortest card number made of
// groups[a:b+1], if there is one.
func cardFrom(s string, groups [][2]int, a int) (b int, ok bool) {
	n := 0
	for b := a; b < len(groups); b++ {
		n += groups[b][1] - groups[b][0]
		if n > 19 {
			return 0, false
		}
		if n >= 13 && cardEndsAt(s, groups, b) && cardShape(groups[a:b+1]) && validCard(s[groups[a][0]:groups[b][1]]) {
			return b, true
		}
	}
	return 0, false
}

// cardStartsAt reports whether a card number may start at groups[a]: at
// the run's start where what precedes the run allows it, else only after
// a space (a dash joins: 2024-4111...).
func cardStartsAt(s string, groups [][2]int, a int) bool {
	if a == 0 {
		return aloneLeft(s, groups[0][0])
	}
	return s[groups[a][0]-1] == ' '
}

// cardEndsAt reports whether a card number may end at groups[b]: at the
// run's end where what follows the run allows it, else only before a
// space.
func cardEndsAt(s string, groups [][2]int, b int) bool {
	if b == len(groups)-1 {
		return aloneRight(s, groups[b][1])
	}
	return s[groups[b][1]] == ' '
}

// cardShape: one group of 13-19 digits, or a first group of 4 and further
// groups of 3-6 (4-4-4-4, 4-6-5, 4-6-4, 4-4-4-4-3).
func cardShape(groups [][2]int) bool {
	if len(groups) == 1 {
		return true
	}
	if groups[0][1]-groups[0][0] != 4 {
		return false
	}
	for _, g := range groups[1:] {
		if n := g[1] - g[0]; n < 3 || n > 6 {
			return false
		}
	}
	return true
}

// validCard: the digits of text start with 2-6 (the card networks' ranges)
// and pass the Luhn check.
func validCard(text string) bool {
	var digits []byte
	for i := 0; i < len(text); i++ {
		if isDigit(text[i]) {
			digits = append(digits, text[i]-'0')
		}
	}
	if len(digits) < 13 || len(digits) > 19 || digits[0] < 2 || digits[0] > 6 {
		return false
	}
	sum := 0
	for i := range digits {
		d := int(digits[len(digits)-1-i])
		if i%2 == 1 {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
	}
	return sum%10 == 0
}

// --- phone numbers ---

func scrubPhones(s string) string {
	if strings.Contains(s, "+") {
		s = scrubIntlPhones(s)
	}
	e := editor{s: s}
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) && s[i] != '+' || i > 0 && isDigit(s[i-1]) {
			continue
		}
		start, national, end, ok := cnMobile(s, i)
		if !ok || !standsAlone(s, start, end) {
			continue
		}
		e.replace(start, end, s[start:national]+maskDigits(onlyDigits(s[national:end])))
		i = end - 1
	}
	return e.result()
}

// cnMobile reads a Chinese mobile number at s[i]: an optional +86, 0086 or
// 86 and one space or dash, then 1[3-9] and 9 more digits, possibly
// grouped 3-4-4 by single spaces or dashes. national is where the mobile
// number proper starts.
func cnMobile(s string, i int) (start, national, end int, ok bool) {
	for _, prefix := range []string{"+86", "0086", "86", ""} {
		if !strings.HasPrefix(s[i:], prefix) {
			continue
		}
		j := i + len(prefix)
		if prefix != "" && j < len(s) && (s[j] == ' ' || s[j] == '-') {
			j++
		}
		if end, ok := mobileAt(s, j); ok {
			return i, j, end, true
		}
	}
	return 0, 0, 0, false
}

// mobileAt reads 1[3-9]d, then twice an optional space or dash and 4
// digits, at s[j].
func mobileAt(s string, j int) (end int, ok bool) {
	if j+3 > len(s) || s[j] != '1' || s[j+1] < '3' || s[j+1] > '9' || !isDigit(s[j+2]) {
		return 0, false
	}
	j += 3
	for range 2 {
		if j < len(s) && (s[j] == ' ' || s[j] == '-') {
			j++
		}
		for range 4 {
			if j >= len(s) || !isDigit(s[j]) {
				return 0, false
			}
			j++
		}
	}
	return j, true
}

func onlyDigits(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if isDigit(s[i]) {
			b.WriteByte(s[i])
		}
	}
	return b.String()
}

// maskDigits keeps the first 3 digits when at least 4 stay hidden (11+
// digits) and the last 4 when at least 4 stay hidden (8+ digits; else the
// last 2), masking the rest one '*' per digit.
func maskDigits(d string) string {
	n := len(d)
	head, tail := 0, 2
	if n >= 8 {
		tail = 4
	}
	if n >= 11 {
		head = 3
	}
	if head+tail >= n {
		head, tail = 0, 0
	}
	return d[:head] + strings.Repeat("*", n-head-tail) + d[n-tail:]
}

// scrubIntlPhones masks +<country code> numbers.
func scrubIntlPhones(s string) string {
	var b strings.Builder
	last := 0
	for i := 0; i < len(s); i++ {
		if s[i] != '+' || i+1 >= len(s) || !isDigit(s[i+1]) || i > 0 && isWord(s[i-1]) {
			continue
		}
		end, repl, ok := intlPhone(s, i)
		if !ok {
			continue
		}
		b.WriteString(s[last:i])
		b.WriteString(repl)
		last = end
		i = end - 1
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

// intlPhone reads the number whose '+' is s[at]: digit groups separated
// by one space, dot or dash, a group possibly in parentheses. Trailing
// groups are dropped while the number is too long or glued to what
// follows. It returns the end of the number and its masked form.
func intlPhone(s string, at int) (end int, repl string, ok bool) {
	groups, end := fitPhone(s, at, phoneGroups(s, at))
	var digits strings.Builder
	for _, g := range groups {
		digits.WriteString(s[g.start:g.end])
	}
	d := digits.String()
	if len(d) < 8 || len(d) > 15 {
		return 0, "", false
	}
	cc, sep := countryCode(s, groups, d)
	return end, "+" + cc + sep + maskDigits(d[len(cc):]), true
}

// phoneGroup is one group of digits of an international number.
type phoneGroup struct {
	start, end int // the digits, without parentheses
	paren      bool
}

// next is the offset after g, its ")" included.
func (g phoneGroup) next() int {
	if g.paren {
		return g.end + 1
	}
	return g.end
}

// phoneGroups reads up to 9 groups after the '+' at s[at].
func phoneGroups(s string, at int) []phoneGroup {
	var groups []phoneGroup
	for i := at + 1; len(groups) <= 8; {
		g, ok := phoneGroupAt(s, i, len(groups) == 0)
		if !ok {
			break
		}
		groups = append(groups, g)
		i = g.next()
	}
	return groups
}

// phoneGroupAt reads a group of 1-6 digits at s[i]; a group but the
// first may follow one space, dot or dash, and be in parentheses.
func phoneGroupAt(s string, i int, first bool) (phoneGroup, bool) {
	j, paren := i, false
	if !first {
		j, paren = phoneGroupOpening(s, i)
	}
	k := j
	for k < len(s) && isDigit(s[k]) && k-j < 6 {
		k++
	}
	if k == j || paren && (k >= len(s) || s[k] != ')') {
		return phoneGroup{}, false
	}
	return phoneGroup{j, k, paren}, true
}

// phoneGroupOpening skips what may open a later group at s[i]: a space,
// dot or dash, then a "(". j is where its digits would start.
func phoneGroupOpening(s string, i int) (j int, paren bool) {
	if i < len(s) && (s[i] == ' ' || s[i] == '.' || s[i] == '-') {
		i++
	}
	if i < len(s) && s[i] == '(' {
		return i + 1, true
	}
	return i, false
}

// fitPhone drops trailing groups while the number has more than 15 digits
// or is glued to what follows, and returns the groups left and where they
// end (no groups when none fit).
func fitPhone(s string, at int, groups []phoneGroup) ([]phoneGroup, int) {
	for ; len(groups) > 0; groups = groups[:len(groups)-1] {
		end := groups[len(groups)-1].next()
		if phoneDigits(groups) <= 15 && standsAlone(s, at+1, end) {
			return groups, end
		}
	}
	return nil, 0
}

func phoneDigits(groups []phoneGroup) int {
	n := 0
	for _, g := range groups {
		n += g.end - g.start
	}
	return n
}

// countryCode is what the mask keeps after the '+' of the number with
// these groups and digits d: a first group of 1-3 digits and the
// separator after it, or 86 for a Chinese mobile written without groups.
func countryCode(s string, groups []phoneGroup, d string) (cc, sep string) {
	first := groups[0]
	switch {
	case len(groups) > 1 && first.end-first.start <= 3:
		cc = s[first.start:first.end]
		if first.end < len(s) && (s[first.end] == ' ' || s[first.end] == '-' || s[first.end] == '.') {
			sep = s[first.end : first.end+1]
		}
	case len(d) == 13 && strings.HasPrefix(d, "861") && d[3] >= '3':
		cc = "86"
	}
	return cc, sep
}

// --- IP addresses ---

func isHex(c byte) bool    { return isDigit(c) || 'a' <= c|0x20 && c|0x20 <= 'f' }
func isIPChar(c byte) bool { return isHex(c) || c == ':' || c == '.' }

// scrubIPs masks IPv4 and IPv6 addresses. It looks at maximal runs of hex
// digits, colons and dots with a digit in them. A run that starts with a
// hex digit glued to a word (v1.2.3.4, build1.2.3.4, dead::beef) or to a
// masked number ('*'), or that follows a product name and "/"
// (Chrome/120.0.0.0), holds no address. In the others, from the run's
// start and then from each colon and each position after a colon, it
// masks the longest piece that is an address and ends at the run's end or
// before a colon or dot (a dotted quad not before ".<digit>"), and goes on
// after it. So "2001:db8::1: reset" masks 2001:db8::1, ip:162.217.75.90
// and 127.0.0.1:5432 their IPv4 address, and what is left gives the same
// answer on a second pass.
func scrubIPs(s string) string {
	e := editor{s: s}
	for i := 0; i < len(s); {
		if !isIPChar(s[i]) {
			i++
			continue
		}
		j := i
		for j < len(s) && isIPChar(s[j]) {
			j++
		}
		if runMayHoldIP(s, i, j) {
			maskIPs(s, i, j, &e)
		}
		i = max(j, e.last)
	}
	return e.result()
}

// runMayHoldIP reports whether the run s[i:j] may hold an address: it has
// a digit, does not start with a hex digit glued to a word or to a masked
// number, and does not follow a product name and "/".
func runMayHoldIP(s string, i, j int) bool {
	if i > 0 && isHex(s[i]) && (isWord(s[i-1]) || s[i-1] == '*') {
		return false
	}
	if !strings.ContainsAny(s[i:j], "0123456789") {
		return false
	}
	return !(i > 0 && s[i-1] == '/' && productBefore(s, i-1))
}

// maskIPs replaces in e the addresses in the run s[i:j], trying each
// start in turn (see scrubIPs) and going on after each address.
func maskIPs(s string, i, j int, e *editor) {
	for p := i; p < j; {
		if q := longestIP(s, p, j); q >= 0 {
			e.replace(p, q, IP)
			p = q
			continue
		}
		// Next start: the next colon, or the position after it.
		p++
		for p < j && s[p] != ':' && s[p-1] != ':' {
			p++
		}
	}
}

// maxIPLen bounds an address's length; one with a zone is shorter.
const maxIPLen = 64

// longestIP is the end of the longest address starting at s[p] within the
// run ending at j (an IPv6 zone after j included), -1 if there is none.
func longestIP(s string, p, j int) int {
	for q := min(j, p+maxIPLen); q > p+1; q-- {
		if end := ipEndingAt(s, p, q, j); end >= 0 {
			return end
		}
	}
	return -1
}

// ipEndingAt is the end of the address s[p:q] in the run ending at j
// (past q when a zone follows the run), -1 if s[p:q] is none. An address
// ends at the run's end, where nothing glues to it, or before a colon or
// a dot.
func ipEndingAt(s string, p, q, j int) int {
	if q < j && s[q] != ':' && s[q] != '.' {
		return -1
	}
	if !strings.ContainsAny(s[p:q], "0123456789") {
		return -1
	}
	if q == j && j < len(s) && (isWord(s[j]) || s[j] == '*') {
		return -1
	}
	if !strings.Contains(s[p:q], ":") {
		return ipv4EndingAt(s, p, q, j)
	}
	return ipv6EndingAt(s, p, q, j)
}

// ipv4EndingAt is q when s[p:q] is a dotted quad not followed by
// ".<digit>" in the run (1.2.3.4.5 is no address), else -1.
func ipv4EndingAt(s string, p, q, j int) int {
	if isDottedQuad(s[p:q]) && !(q < j && s[q] == '.' && q+1 < j && isDigit(s[q+1])) {
		return q
	}
	return -1
}

// ipv6EndingAt is the end of the IPv6 address s[p:q], with the zone that
// follows it at the run's end (fe80::1%eth0) if any, else -1.
func ipv6EndingAt(s string, p, q, j int) int {
	if strings.Count(s[p:q], ":") < 2 {
		return -1
	}
	if q == j && j < len(s) && s[j] == '%' {
		if k := zoneEnd(s, p, j); k >= 0 {
			return k
		}
	}
	if _, err := netip.ParseAddr(s[p:q]); err == nil {
		return q
	}
	return -1
}

// zoneEnd is the end of the zoned address starting at s[p] whose '%' is
// s[j], -1 when what follows the '%' makes no valid zone or is glued to
// more.
func zoneEnd(s string, p, j int) int {
	k := j + 1
	for k < len(s) && k-p < maxIPLen && (isWord(s[k]) || s[k] == '.' || s[k] == '-') {
		k++
	}
	if k == j+1 || k < len(s) && (isWord(s[k]) || s[k] == '*' || s[k] == ':') {
		return -1
	}
	if _, err := netip.ParseAddr(s[p:k]); err != nil {
		return -1
	}
	return k
}

// isDottedQuad: four numbers 0-255 of 1-3 digits separated by dots.
func isDottedQuad(s string) bool {
	parts := strings.Split(s, ".")
	if len(parts) != 4 {
		return false
	}
	for _, p := range parts {
		if p == "" || len(p) > 3 || strings.Trim(p, "0123456789") != "" || atoi(p) > 255 {
			return false
		}
	}
	return true
}

// productBefore reports whether the "/" at s[k] ends a product name: a
// token of letters, digits, "_" and "-" starting with a letter (Chrome/,
// AppleWebKit/, Go-http-client/).
func productBefore(s string, k int) bool {
	j := k
	for j > 0 && (isWord(s[j-1]) || s[j-1] == '-') {
		j--
	}
	return j < k && isLetter(s[j])
}

// hasDigitRun reports whether s has 8 digits in a row (spaces, dashes,
// dots and parentheses between them allowed) or a '+' before a digit: the
// least any number rule needs.
func hasDigitRun(s string) bool {
	run := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case isDigit(c):
			run++
			if run >= 8 {
				return true
			}
		case c == '+' && i+1 < len(s) && isDigit(s[i+1]):
			return true
		case c == ' ' || c == '-' || c == '.' || c == '(' || c == ')':
		default:
			run = 0
		}
	}
	return false
}
