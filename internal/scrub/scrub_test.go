package scrub

import (
	"crypto/sha256"
	"encoding/hex"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/fixproof/fixproof/internal/alert"
)

func mustNew(t testing.TB, o Options) *Scrubber {
	t.Helper()
	s, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

type textCase struct{ in, want string }

func runText(t *testing.T, s *Scrubber, cases []textCase) {
	t.Helper()
	for _, c := range cases {
		if got := s.Text(c.in); got != c.want {
			t.Errorf("Text(%q)\n got %q\nwant %q", c.in, got, c.want)
		}
	}
}

func TestEmail(t *testing.T) {
	runText(t, mustNew(t, Options{}), []textCase{
		// Positive.
		{"user jane.doe+tag@example.co.uk logged in", "user [email] logged in"},
		{"mailto:JOHN_SMITH@Mail.Example.com.", "mailto:[email]."},
		{`{"email":"a@b.io"}`, `{"email":"[email]"}`},
		{"/users/jane%40example.com/profile", "/users/[email]/profile"},
		{"two: x@y.org, z@w.net", "two: [email], [email]"},
		// Negative.
		{"import '@sentry/browser'", "import '@sentry/browser'"},
		{"react@18.2.0 and lodash@4.17.21", "react@18.2.0 and lodash@4.17.21"},
		{"GET /img/logo@2x.png", "GET /img/logo@2x.png"},
		{"user@localhost", "user@localhost"},
		{"@Component decorator", "@Component decorator"},
	})
}

func TestPhone(t *testing.T) {
	runText(t, mustNew(t, Options{}), []textCase{
		// Positive: Chinese mobiles.
		{"call 13812345678 now", "call 138****5678 now"},
		{"tel:138-1234-5678", "tel:138****5678"},
		{"电话13912345678。", "电话139****5678。"},
		{"phone=19912345678", "phone=199****5678"},
		{"+86 138 1234 5678", "+86 138****5678"},
		{"+8613812345678", "+86138****5678"},
		{"0086 13812345678", "0086 138****5678"},
		{"13812345678,13912345678", "138****5678,139****5678"},
		// Positive: international with a country code.
		{"+1 (415) 555-2671", "+1 ******2671"},
		{"+44 20 7946 0958.", "+44 ******0958."},
		{"+49-30-1234-5678", "+49-******5678"},
		{"+1 415 555 2671 at 10:00", "+1 ******2671 at 10:00"},
		{"+442079460958", "+442*****0958"},
		// Negative: long numbers that are not phones.
		{"ts=1700000000", "ts=1700000000"},
		{"ts_ms=1700000000123", "ts_ms=1700000000123"},
		{"order 2024011512345678 shipped", "order 2024011512345678 shipped"},
		{"version 1.2.3", "version 1.2.3"},
		{"on 2024-01-15 at 13:45:12", "on 2024-01-15 at 13:45:12"},
		{"at app.js:13812:45", "at app.js:13812:45"},
		{"line 138 col 12", "line 138 col 12"},
		{"id a13812345678b", "id a13812345678b"},
		{"12813812345678", "12813812345678"},
		{"3.13812345678", "3.13812345678"},
		{"UTC+08:00", "UTC+08:00"},
		{"x +12 y", "x +12 y"},
		{"12345678901", "12345678901"},
	})
}

func TestChineseID(t *testing.T) {
	runText(t, mustNew(t, Options{}), []textCase{
		// Positive: valid check digit and birth date.
		{"id 11010519491231002X ok", "id 110105********002X ok"},
		{"id=110105199003071239", "id=110105********1239"},
		{"身份证440306198511203014", "身份证440306********3014"},
		{"320108200002294565", "320108********4565"}, // 29 Feb 2000
		{"11010519491231002x", "110105********002x"},
		// Negative.
		{"110105199003071238", "110105199003071238"},   // wrong check digit
		{"110105199002301231", "110105199002301231"},   // 30 Feb
		{"1101051990030712391", "1101051990030712391"}, // 19 digits
		{"a110105199003071239", "a110105199003071239"}, // glued
		{"snowflake 171234567890123456", "snowflake 171234567890123456"},
	})
}

func TestCard(t *testing.T) {
	runText(t, mustNew(t, Options{}), []textCase{
		// Positive: Luhn-valid, card ranges, grouped or not.
		{"card 4111111111111111 declined", "card [card] declined"},
		{"4111 1111 1111 1111", "[card]"},
		{"5555-5555-5555-4444!", "[card]!"},
		{"amex 3782 822463 10005", "amex [card]"},
		{"6011111111111117", "[card]"},
		{"ref 12 4111 1111 1111 1111 2024", "ref 12 [card] 2024"},
		// Negative.
		{"4111111111111112", "4111111111111112"},                         // Luhn fails
		{"1234567812345670", "1234567812345670"},                         // Luhn ok, no card range
		{"ts 1700000000000000000", "ts 1700000000000000000"},             // ns timestamp
		{"id e4874d664111111111111111c", "id e4874d664111111111111111c"}, // inside hex
		{"0.4111111111111111", "0.4111111111111111"},                     // a decimal
		{"41 11 11 11 11 11 11 11", "41 11 11 11 11 11 11 11"},           // not card groups
		{"uuid 550e8400-e29b-41d4-a716-446655440000", "uuid 550e8400-e29b-41d4-a716-446655440000"},
	})
}

func TestIP(t *testing.T) {
	runText(t, mustNew(t, Options{}), []textCase{
		// Positive.
		{"ip:162.217.75.90", "ip:[ip]"},
		{"connect ECONNREFUSED 127.0.0.1:5432", "connect ECONNREFUSED [ip]:5432"},
		{"http://10.0.0.1/health", "http://[ip]/health"},
		{"X-Forwarded-For: 203.0.113.7, 198.51.100.2", "X-Forwarded-For: [ip], [ip]"},
		{"from 1.2.3.4", "from [ip]"},
		{"client 2001:db8::1: connection reset", "client [ip]: connection reset"},
		{"[2001:0db8:85a3:0000:0000:8a2e:0370:7334]:443", "[[ip]]:443"},
		{"dial ::ffff:192.168.1.1 failed", "dial [ip] failed"},
		{"fe80::1%eth0 down", "[ip] down"},
		{"routes 10.0.0.0/8 and 0.0.0.0/0.0.0.0", "routes [ip]/8 and [ip]/[ip]"},
		{"电话 10.1.2.3。", "电话 [ip]。"},
		// Negative.
		{"release v1.2.3.4", "release v1.2.3.4"},
		{"Chrome/120.0.0.0 Safari/537.36", "Chrome/120.0.0.0 Safari/537.36"},
		{"Chrome/75.0.3770.100", "Chrome/75.0.3770.100"},
		{"999.1.1.1", "999.1.1.1"},
		{"1.2.3.4.5", "1.2.3.4.5"},
		{"abc1.2.3.4", "abc1.2.3.4"},
		{"python-requests/2.31.0.1", "python-requests/2.31.0.1"},
		{"at 12:34:56", "at 12:34:56"},
		{"std::vector<int>::push_back", "std::vector<int>::push_back"},
		{"dead::beef", "dead::beef"},
		{"mac 00:1a:2b:3c:4d:5e", "mac 00:1a:2b:3c:4d:5e"},
		{"version 1.2.3", "version 1.2.3"},
	})
}

func TestSecrets(t *testing.T) {
	const jwt = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"
	runText(t, mustNew(t, Options{}), []textCase{
		// Positive.
		{"GET /cb?token=abc123&x=1", "GET /cb?token=[redacted]&x=1"},
		{"password=hunter2", "password=[redacted]"},
		{"password: hunter2", "password: [redacted]"},
		{`{"client_secret": "s3cr3t", "name": "x"}`, `{"client_secret": "[redacted]", "name": "x"}`},
		{"api_key=AbC-123_xyz", "api_key=[redacted]"},
		{"X-Api-Key: k", "X-Api-Key: [redacted]"},
		{"Authorization: Bearer abc.def.ghi", "Authorization: Bearer [redacted]"},
		{`"Authorization": "Basic dXNlcjpwYXNz"`, `"Authorization": "Basic [redacted]"`},
		{"sent bearer 9f8e7d6c5b4a", "sent bearer [redacted]"},
		{"auth Basic dXNlcjpwYXNzd29yZA==", "auth Basic [redacted]"},
		{"jwt " + jwt + " end", "jwt [redacted] end"},
		{"postgres://app:hunter2@db:5432/x", "postgres://app:[redacted]@db:5432/x"},
		{"dsn postgres://app:hunter2@db.example.com/x", "dsn postgres://app:[redacted]@db.example.com/x"},
		{"Cookie: sid=abc; theme=dark", "Cookie: [redacted]"},
		{"refresh_token: 1a2b3c4d5e6f", "refresh_token: [redacted]"},
		{"key AKIAIOSFODNN7EXAMPLE used", "key [redacted] used"},
		{"ghp_" + strings.Repeat("a1", 18), "[redacted]"},
		{"-----BEGIN RSA PRIVATE KEY-----\nMIIB\n-----END RSA PRIVATE KEY-----", "[redacted]"},
		// Negative.
		{"failed to refresh token: NetworkError", "failed to refresh token: NetworkError"},
		{"token=undefined", "token=undefined"},
		{"max_tokens=1024 prompt_tokens=12", "max_tokens=1024 prompt_tokens=12"},
		{"Basic authentication failed", "Basic authentication failed"},
		{"Bearer token missing", "Bearer token missing"},
		{"authorization failed for user", "authorization failed for user"},
		{"author=jane keyboard=qwerty", "author=jane keyboard=qwerty"},
		{"session expired", "session expired"},
		{`{"token": {"type": "x"}}`, `{"token": {"type": "x"}}`},
	})
}

func TestExtra(t *testing.T) {
	s := mustNew(t, Options{Extra: []string{`CUST-[0-9]{6}`, `(?i)acme-internal-\w+`}})
	runText(t, s, []textCase{
		{"customer CUST-123456 failed", "customer [redacted] failed"},
		{"host ACME-INTERNAL-db1 down", "host [redacted] down"},
		{"CUST-12345 is short", "CUST-12345 is short"},
	})
	for _, bad := range []string{`(`, `a*`, `x|`} {
		_, err := New(Options{Extra: []string{`ok`, bad}})
		if err == nil || !strings.Contains(err.Error(), "pattern 2") || !strings.Contains(err.Error(), bad) {
			t.Errorf("New(%q): error %v, want it to name pattern 2 %q", bad, err, bad)
		}
	}
}

func TestTextLeavesOrdinaryTextAlone(t *testing.T) {
	s := mustNew(t, Options{})
	for _, in := range []string{
		"",
		"ReferenceError: blooopy is not defined",
		"TypeError: Cannot read properties of undefined (reading 'map')",
		"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_14_0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/75.0.3770.100 Safari/537.36",
		"at Object.<anonymous> (/app/src/index.js:120:15)",
		"GET https://api.example.com/v1/orders/123456 500",
		"event bb78c1407cea4519aa397afc059c793d in release web@2024.01.15-1",
		"panic: runtime error: index out of range [5] with length 3",
		"build 20240115.1 took 1234 ms, 3.5 MB",
	} {
		if got := s.Text(in); got != in {
			t.Errorf("Text(%q) = %q, want it unchanged", in, got)
		}
	}
}

func TestURL(t *testing.T) {
	s := mustNew(t, Options{})
	for _, c := range []textCase{
		{"https://api.example.com/cb?code=xyz&state=abc", "https://api.example.com/cb?code=[redacted]&state=abc"},
		{"https://bob:pw@example.com/x", "https://bob@example.com/x"},
		{"https://jane%40example.com:pw@example.com/", "https://[email]@example.com/"},
		{"https://x.io/p?Access_Token=a&sig=b&X-Amz-Signature=c&X-Amz-Credential=d&page=2", "https://x.io/p?Access_Token=[redacted]&sig=[redacted]&X-Amz-Signature=[redacted]&X-Amz-Credential=[redacted]&page=2"},
		{"https://x.io/u?email=jane%40example.com&q=a+b", "https://x.io/u?email=[email]&q=a+b"},
		{"https://x.io/users/jane@example.com/orders", "https://x.io/users/[email]/orders"},
		{"http://10.1.2.3:8080/a?ip=10.1.2.4", "http://[ip]:8080/a?ip=[ip]"},
		{"https://x.io/cb#access_token=abc&expires_in=3600", "https://x.io/cb#access_token=[redacted]&expires_in=3600"},
		{"https://x.io/p?token=&empty", "https://x.io/p?token=&empty"},
		{"/relative/path?apikey=1", "/relative/path?apikey=[redacted]"},
		{"https://x.io/p?phone=%2B86%20138%201234%205678", "https://x.io/p?phone=%2B86%20138****5678"},
		// Unchanged.
		{"https://null.jsbin.com/runner", "https://null.jsbin.com/runner"},
		{"https://x.io/search?q=hello%20world&page=2", "https://x.io/search?q=hello%20world&page=2"},
		{"", ""},
	} {
		if got := s.URL(c.in); got != c.want {
			t.Errorf("URL(%q)\n got %q\nwant %q", c.in, got, c.want)
		}
	}
}

func TestHeader(t *testing.T) {
	s := mustNew(t, Options{})
	for _, c := range []struct{ name, value, want string }{
		{"Authorization", "Bearer abc", "[redacted]"},
		{"proxy-authorization", "Basic x", "[redacted]"},
		{"Cookie", "a=b", "[redacted]"},
		{"Set-Cookie", "sid=1; HttpOnly", "[redacted]"},
		{"X-Api-Key", "k", "[redacted]"},
		{"X-CSRF-Token", "t", "[redacted]"},
		{"X-Client-Secret", "s", "[redacted]"},
		{"X-Auth-User", "jane", "[redacted]"},
		{"Authorization", "", ""},
		{"X-Forwarded-For", "203.0.113.7", "[ip]"},
		{"Referer", "https://x.io/reset?token=abc", "https://x.io/reset?token=[redacted]"},
		{"User-Agent", "Mozilla/5.0 Chrome/120.0.0.0", "Mozilla/5.0 Chrome/120.0.0.0"},
		{"Accept", "*/*", "*/*"},
		{"X-Request-Id", "jane@example.com", "[email]"},
	} {
		if got := s.Header(c.name, c.value); got != c.want {
			t.Errorf("Header(%q, %q) = %q, want %q", c.name, c.value, got, c.want)
		}
	}
}

func hash12(s string) string {
	sum := sha256.Sum256([]byte(s))
	return "user-" + hex.EncodeToString(sum[:])[:12]
}

func sampleAlert() *alert.Alert {
	f := false
	return &alert.Alert{
		Title:          "Error: user jane@example.com not found",
		ExceptionType:  "Error",
		ExceptionValue: "user jane@example.com not found (phone 13812345678)",
		Culprit:        "app/users.js in find",
		Handled:        &f,
		Frames:         []alert.Frame{{File: "https://cdn.example.com/app.js?token=abc123", Function: "find", Line: 3}},
		Tags: []alert.Tag{
			{Key: "user", Value: "id:42"},
			{Key: "url", Value: "https://x.io/reset?token=abc"},
			{Key: "server", Value: "10.0.0.7"},
			{Key: "browser", Value: "Chrome 75.0.3770"},
		},
		Breadcrumbs: []alert.Breadcrumb{{
			Category: "fetch", Message: "POST to jane@example.com",
			Data: []alert.Tag{{Key: "url", Value: "/api?api_key=1"}, {Key: "status_code", Value: "200"}, {Key: "password", Value: "x"}},
		}},
		Request: &alert.Request{
			Method: "GET", URL: "https://x.io/a?session=s1&q=1", Query: "session=s1&q=1",
			Headers: []alert.Tag{{Key: "Cookie", Value: "a=b"}, {Key: "User-Agent", Value: "curl/8"}},
		},
		User:         &alert.User{ID: "42", Email: "jane@example.com", Username: "jane", IP: "10.0.0.1"},
		GroupLabels:  map[string]string{"instance": "10.0.0.9:9100"},
		CommonLabels: map[string]string{"owner": "ops@example.com"},
		Annotations:  map[string]string{"summary": "disk full on 10.0.0.9"},
		Alerts: []alert.Instance{{
			Labels:       map[string]string{"instance": "10.0.0.9:9100"},
			Annotations:  map[string]string{"description": "call +1 415 555 2671"},
			GeneratorURL: "http://prom:9090/graph?g0.expr=up&token=t",
		}},
		ExternalURL: "http://am:9093",
		IssueURL:    "https://acme.sentry.io/issues/1/",
	}
}

func TestAlert(t *testing.T) {
	a := sampleAlert()
	mustNew(t, Options{}).Alert(a)
	f := false
	want := &alert.Alert{
		Title:          "Error: user [email] not found",
		ExceptionType:  "Error",
		ExceptionValue: "user [email] not found (phone 138****5678)",
		Culprit:        "app/users.js in find",
		Handled:        &f,
		Frames:         []alert.Frame{{File: "https://cdn.example.com/app.js?token=[redacted]", Function: "find", Line: 3}},
		Tags: []alert.Tag{
			{Key: "user", Value: hash12("42")},
			{Key: "url", Value: "https://x.io/reset?token=[redacted]"},
			{Key: "server", Value: "[ip]"},
			{Key: "browser", Value: "Chrome 75.0.3770"},
		},
		Breadcrumbs: []alert.Breadcrumb{{
			Category: "fetch", Message: "POST to [email]",
			Data: []alert.Tag{{Key: "url", Value: "/api?api_key=[redacted]"}, {Key: "status_code", Value: "200"}, {Key: "password", Value: "[redacted]"}},
		}},
		Request: &alert.Request{
			Method: "GET", URL: "https://x.io/a?session=[redacted]&q=1", Query: "session=[redacted]&q=1",
			Headers: []alert.Tag{{Key: "Cookie", Value: "[redacted]"}, {Key: "User-Agent", Value: "curl/8"}},
		},
		User:         &alert.User{ID: hash12("42")},
		GroupLabels:  map[string]string{"instance": "[ip]:9100"},
		CommonLabels: map[string]string{"owner": "[email]"},
		Annotations:  map[string]string{"summary": "disk full on [ip]"},
		Alerts: []alert.Instance{{
			Labels:       map[string]string{"instance": "[ip]:9100"},
			Annotations:  map[string]string{"description": "call +1 ******2671"},
			GeneratorURL: "http://prom:9090/graph?g0.expr=up&token=[redacted]",
		}},
		ExternalURL: "http://am:9093",
		IssueURL:    "https://acme.sentry.io/issues/1/",
	}
	if !reflect.DeepEqual(a, want) {
		t.Errorf("got  %+v\nwant %+v", a, want)
	}
	if !strings.HasPrefix(a.User.ID, "user-") || len(a.User.ID) != len("user-")+12 {
		t.Errorf("user id %q", a.User.ID)
	}
}

// TestAlertLeavesSharedDataAlone: the bot scrubs a shallow copy of the
// alert it keeps.
func TestAlertLeavesSharedDataAlone(t *testing.T) {
	orig := sampleAlert()
	cp := *orig
	mustNew(t, Options{}).Alert(&cp)
	if !reflect.DeepEqual(orig, sampleAlert()) {
		t.Errorf("the original changed: %+v", orig)
	}
	if cp.Tags[2].Value != "[ip]" || cp.Request.Headers[0].Value != "[redacted]" || cp.Alerts[0].Labels["instance"] != "[ip]:9100" {
		t.Errorf("the copy was not scrubbed: %+v", cp)
	}
}

func TestAlertUser(t *testing.T) {
	s := mustNew(t, Options{})
	for _, c := range []struct {
		user *alert.User
		want *alert.User
	}{
		{&alert.User{Email: "jane@example.com", IP: "10.0.0.1"}, &alert.User{ID: hash12("jane@example.com")}},
		{&alert.User{Username: "jane"}, &alert.User{ID: hash12("jane")}},
		{&alert.User{IP: "10.0.0.1"}, &alert.User{ID: hash12("10.0.0.1")}},
		{&alert.User{}, nil},
		{nil, nil},
	} {
		a := &alert.Alert{User: c.user}
		s.Alert(a)
		if !reflect.DeepEqual(a.User, c.want) {
			t.Errorf("%+v -> %+v, want %+v", c.user, a.User, c.want)
		}
	}
	// The sentry:user tag of a user-less event hashes its own value.
	a := &alert.Alert{Tags: []alert.Tag{{Key: "sentry:user", Value: "email:jane@example.com"}}}
	s.Alert(a)
	if a.Tags[0].Value != hash12("jane@example.com") {
		t.Errorf("tag %q", a.Tags[0].Value)
	}

	// KeepUser keeps the user and its tags.
	a = &alert.Alert{User: &alert.User{ID: "42", Email: "jane@example.com"}, Tags: []alert.Tag{{Key: "user", Value: "id:42"}}}
	mustNew(t, Options{KeepUser: true}).Alert(a)
	if *a.User != (alert.User{ID: "42", Email: "jane@example.com"}) || a.Tags[0].Value != "id:42" {
		t.Errorf("KeepUser: %+v %+v", a.User, a.Tags)
	}
	s.Alert(nil) // no panic
}

func TestConcurrentUse(t *testing.T) {
	s := mustNew(t, Options{Extra: []string{`secret-\d+`}})
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 200 {
				if got := s.Text("secret-1 jane@example.com 13812345678"); got != "[redacted] [email] 138****5678" {
					t.Errorf("got %q", got)
					return
				}
				a := sampleAlert()
				s.Alert(a)
			}
		}()
	}
	wg.Wait()
}

// breadcrumbText is about 10 KB of what breadcrumbs look like: mostly
// ordinary log lines, some with personal data.
func breadcrumbText() string {
	lines := []string{
		"[2024-01-15T13:45:12.123Z] fetch GET https://api.example.com/v1/orders?page=2 [200]",
		"[2024-01-15T13:45:12.456Z] ui.click button#submit.btn.btn-primary > span",
		"[2024-01-15T13:45:13.001Z] console.log user jane.doe@example.com signed in from 203.0.113.7",
		"[2024-01-15T13:45:13.222Z] navigation from /cart to /checkout?session=abc123def456",
		"[2024-01-15T13:45:13.500Z] xhr POST /api/pay {\"card\":\"4111 1111 1111 1111\",\"phone\":\"13812345678\"}",
		"[2024-01-15T13:45:14.010Z] console.warn Slow render of <OrderList> took 1234 ms (release web@2024.01.15-1)",
		"[2024-01-15T13:45:14.900Z] fetch POST https://auth.example.com/token [401] Authorization: Bearer 9f8e7d6c5b4a3921",
	}
	var b strings.Builder
	for b.Len() < 10*1024 {
		for _, l := range lines {
			b.WriteString(l)
			b.WriteByte('\n')
		}
	}
	return b.String()[:10*1024]
}

func TestBreadcrumbText(t *testing.T) {
	out := mustNew(t, Options{}).Text(breadcrumbText())
	for _, leak := range []string{"jane.doe@example.com", "203.0.113.7", "abc123def456", "4111 1111 1111 1111", "13812345678", "9f8e7d6c5b4a3921"} {
		if strings.Contains(out, leak) {
			t.Errorf("%q survives", leak)
		}
	}
	for _, keep := range []string{"2024-01-15T13:45:12.123Z", "button#submit", "web@2024.01.15-1", "took 1234 ms"} {
		if !strings.Contains(out, keep) {
			t.Errorf("%q lost", keep)
		}
	}
}

func BenchmarkText(b *testing.B) {
	s := mustNew(b, Options{})
	in := breadcrumbText()
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	for b.Loop() {
		s.Text(in)
	}
}
