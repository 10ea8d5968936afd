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
	if strings.Contains(s, "eyJ") {
		s = reJWT.ReplaceAllLiteralString(s, Redacted)
	}
	if containsAny(s, knownPrefixes) {
		s = reKnown.ReplaceAllLiteralString(s, Redacted)
	}
	if !strings.ContainsAny(s, ":= \t") {
		return s
	}
	lower := asciiLower(s)
	if strings.Contains(lower, "authorization") {
		s = replaceAt(s, "authorization", "proxy-", reAuth, func(s string, m []int) (string, bool) {
			if group(s, m, 4) == Redacted {
				return "", false
			}
			out := group(s, m, 1) + group(s, m, 2)
			if scheme := group(s, m, 3); scheme != "" {
				out += scheme + " "
			}
			return out + Redacted, true
		})
	}
	if strings.Contains(lower, "cookie") {
		s = replaceAt(s, "cookie", "set-", reCookie, func(s string, m []int) (string, bool) {
			if strings.TrimSpace(group(s, m, 3)) == Redacted {
				return "", false
			}
			return group(s, m, 1) + group(s, m, 2) + Redacted, true
		})
	}
	if strings.Contains(lower, "bearer") {
		s = replaceAt(s, "bearer", "", reBearer, func(s string, m []int) (string, bool) {
			tok := group(s, m, 2)
			if !(len(tok) >= 8 && strings.ContainsAny(tok, "0123456789") || len(tok) >= 20) {
				return "", false
			}
			return group(s, m, 1) + " " + Redacted, true
		})
	}
	if strings.Contains(lower, "basic") {
		s = replaceAt(s, "basic", "", reBasic, func(s string, m []int) (string, bool) {
			tok := group(s, m, 2)
			dec, err := base64.StdEncoding.DecodeString(tok)
			if err != nil {
				dec, err = base64.RawStdEncoding.DecodeString(strings.TrimRight(tok, "="))
			}
			if err != nil || !strings.Contains(string(dec), ":") {
				return "", false
			}
			return group(s, m, 1) + " " + Redacted, true
		})
	}
	if strings.ContainsAny(s, ":=") && containsAny(lower, secretWords) {
		s = scrubKeyValues(s)
	}
	return s
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
		ke := i
		for ke > e.last && (s[ke-1] == ' ' || s[ke-1] == '\t') {
			ke--
		}
		keyQuoted := false
		if ke > e.last && (s[ke-1] == '"' || s[ke-1] == '\'') {
			keyQuoted = true
			ke--
		}
		ks := ke
		for ks > e.last && isKeyChar(s[ks-1]) {
			ks--
		}
		if ks == ke {
			continue
		}
		if ks > 0 && (s[ks-1] == '"' || s[ks-1] == '\'') {
			keyQuoted = true
		}
		key := strings.ToLower(s[ks:ke])
		if !secretKey(key) {
			continue
		}
		vs := i + 1
		for vs < len(s) && (s[vs] == ' ' || s[vs] == '\t') {
			vs++
		}
		ve, quote := valueEnd(s, vs)
		inner := s[vs:ve]
		if quote != "" {
			inner = inner[1 : len(inner)-1]
		}
		switch {
		case inner == "", strings.HasPrefix(inner, "[redacted"), placeholder(inner):
			continue
		case quote == "" && (inner[0] == '{' || inner[0] == '['):
			continue // a structure, not a value
		case s[i] == ':' && !keyQuoted && !containsAny(key, passwordParts) && !credentialLike(inner):
			continue // "failed to refresh token: NetworkError"
		}
		e.replace(vs, ve, quote+Redacted+quote)
		i = ve - 1
	}
	return e.result()
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
		at := 0
		switch {
		case s[i] == '@':
			at = 1
		case s[i] == '%' && strings.HasPrefix(s[i:], "%40"):
			at = 3
		default:
			continue
		}
		ls := i
		for ls > e.last && isLocalChar(s[ls-1]) {
			ls--
		}
		de := i + at
		for de < len(s) && isDomainChar(s[de]) {
			de++
		}
		for de > i+at && (s[de-1] == '.' || s[de-1] == '-') {
			de-- // the end of a sentence
		}
		if ls == i || !validDomain(s[i+at:de]) || de < len(s) && s[de] == '_' {
			continue
		}
		e.replace(ls, de, Email)
		i = de - 1
	}
	return e.result()
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
		// The run: digit groups separated by single spaces or dashes, as
		// [start, end) offsets.
		var groups [][2]int
		j := i
		for {
			k := j
			for k < len(s) && isDigit(s[k]) {
				k++
			}
			groups = append(groups, [2]int{j, k})
			if k+1 < len(s) && (s[k] == ' ' || s[k] == '-') && isDigit(s[k+1]) {
				j = k + 1
				continue
			}
			j = k
			break
		}
		start, end := i, j
		i = end
		if end-start < 13 {
			continue
		}
		// A window of groups stands alone where it ends the run and what
		// is around the run allows it, or where a space separates it from
		// the rest of the run (a dash joins: 2024-4111...).
		left := func(a int) bool {
			if a == 0 {
				return aloneLeft(s, start)
			}
			return s[groups[a][0]-1] == ' '
		}
		right := func(b int) bool {
			if b == len(groups)-1 {
				return aloneRight(s, end)
			}
			return s[groups[b][1]] == ' '
		}
		for a := 0; a < len(groups); a++ {
			if !left(a) {
				continue
			}
			n := 0
			for b := a; b < len(groups); b++ {
				n += groups[b][1] - groups[b][0]
				if n > 19 {
					break
				}
				if n < 13 || !right(b) || !cardShape(groups[a:b+1]) || !validCard(s[groups[a][0]:groups[b][1]]) {
					continue
				}
				e.replace(groups[a][0], groups[b][1], Card)
				a = b
				break
			}
		}
	}
	return e.result()
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
	type grp struct {
		start, end int // the digits, without parentheses
		paren      bool
	}
	var groups []grp
	i := at + 1
	for {
		j := i
		if len(groups) > 0 && j < len(s) && (s[j] == ' ' || s[j] == '.' || s[j] == '-') {
			j++
		}
		paren := j < len(s) && s[j] == '(' && len(groups) > 0
		if paren {
			j++
		}
		k := j
		for k < len(s) && isDigit(s[k]) && k-j < 6 {
			k++
		}
		if k == j {
			break
		}
		g := grp{j, k, paren}
		if paren {
			if k >= len(s) || s[k] != ')' {
				break
			}
			k++
		}
		groups = append(groups, g)
		i = k
		if len(groups) > 8 {
			break
		}
	}
	count := func(gs []grp) int {
		n := 0
		for _, g := range gs {
			n += g.end - g.start
		}
		return n
	}
	for len(groups) > 0 {
		last := groups[len(groups)-1]
		e := last.end
		if last.paren {
			e++ // the ")"
		}
		n := count(groups)
		if n <= 15 && standsAlone(s, at+1, e) {
			end = e
			break
		}
		groups = groups[:len(groups)-1]
	}
	n := count(groups)
	if n < 8 || n > 15 {
		return 0, "", false
	}
	var digits strings.Builder
	for _, g := range groups {
		digits.WriteString(s[g.start:g.end])
	}
	d := digits.String()
	first := groups[0]
	cc, sep := "", ""
	switch {
	case len(groups) > 1 && first.end-first.start <= 3:
		cc = s[first.start:first.end]
		if first.end < len(s) && (s[first.end] == ' ' || s[first.end] == '-' || s[first.end] == '.') {
			sep = s[first.end : first.end+1]
		}
	case len(d) == 13 && strings.HasPrefix(d, "861") && d[3] >= '3':
		cc = "86"
	}
	return end, "+" + cc + sep + maskDigits(d[len(cc):]), true
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
		run := s[i:j]
		glued := i > 0 && isHex(s[i]) && (isWord(s[i-1]) || s[i-1] == '*')
		if glued || !strings.ContainsAny(run, "0123456789") || i > 0 && s[i-1] == '/' && productBefore(s, i-1) {
			i = j
			continue
		}
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
		i = max(j, e.last)
	}
	return e.result()
}

// longestIP is the end of the longest address starting at s[p] within the
// run ending at j (an IPv6 zone after j included), -1 if there is none.
func longestIP(s string, p, j int) int {
	const maxLen = 64 // an address with a zone is shorter
	for q := min(j, p+maxLen); q > p+1; q-- {
		if q < j && s[q] != ':' && s[q] != '.' {
			continue
		}
		cand := s[p:q]
		if !strings.ContainsAny(cand, "0123456789") {
			continue
		}
		if q == j && j < len(s) && (isWord(s[j]) || s[j] == '*') {
			continue
		}
		if !strings.Contains(cand, ":") {
			if isDottedQuad(cand) && !(q < j && s[q] == '.' && q+1 < j && isDigit(s[q+1])) {
				return q
			}
			continue
		}
		if strings.Count(cand, ":") < 2 {
			continue
		}
		if q == j && j < len(s) && s[j] == '%' { // a zone: fe80::1%eth0
			k := j + 1
			for k < len(s) && k-p < maxLen && (isWord(s[k]) || s[k] == '.' || s[k] == '-') {
				k++
			}
			if _, err := netip.ParseAddr(s[p:k]); k > j+1 && err == nil && (k == len(s) || !isWord(s[k]) && s[k] != '*' && s[k] != ':') {
				return k
			}
		}
		if _, err := netip.ParseAddr(cand); err == nil {
			return q
		}
	}
	return -1
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
