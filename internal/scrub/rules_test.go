package scrub

import "testing"

func TestRedactValueDecidesWhichSecretValuesToHide(t *testing.T) {
	cases := []struct {
		name      string
		sep       byte
		key       string
		keyQuoted bool
		inner     string
		quoted    bool
		want      bool
	}{
		{"assignment of a plain value", '=', "token", false, "abc", false, true},
		{"empty value", '=', "token", false, "", false, false},
		{"already redacted", '=', "token", false, "[redacted]", false, false},
		{"placeholder", '=', "password", false, "null", false, false},
		{"unquoted structure", '=', "token", false, "{a}", false, false},
		{"unquoted list", ':', "password", true, "[1]", false, false},
		{"quoted value that starts like a structure", '=', "token", false, "{a}", true, true},
		{"prose after a colon", ':', "token", false, "NetworkError", false, false},
		{"password-like key after a colon", ':', "db_password", false, "hunter", false, true},
		{"credential-like value after a colon", ':', "token", false, "1a2b3c4d5e", false, true},
		{"quoted key after a colon", ':', "token", true, "NetworkError", false, true},
	}
	for _, c := range cases {
		if got := redactValue(c.sep, c.key, c.keyQuoted, c.inner, c.quoted); got != c.want {
			t.Errorf("%s: redactValue(%q, %q, %v, %q, %v) = %v, want %v", c.name, c.sep, c.key, c.keyQuoted, c.inner, c.quoted, got, c.want)
		}
	}
}

func TestKeyBeforeFindsTheKeyAndWhetherItIsQuoted(t *testing.T) {
	cases := []struct {
		s         string
		floor     int
		key       string
		keyQuoted bool
	}{
		{"token=x", 0, "token", false},
		{"api.key \t: x", 0, "api.key", false},
		{`"token": "x"`, 0, "token", true},
		{`'token' = 'x'`, 0, "token", true},
		{`"token=x`, 0, "token", true},
		{"a [x]token=1", 4, "token", false},
		{"abtoken=1", 2, "token", false},
		{" =x", 0, "", false},
	}
	for _, c := range cases {
		sep := len(c.s) - 1
		for c.s[sep] != '=' && c.s[sep] != ':' {
			sep--
		}
		ks, ke, q := keyBefore(c.s, sep, c.floor)
		if c.s[ks:ke] != c.key || q != c.keyQuoted {
			t.Errorf("keyBefore(%q, %d, %d) = %q quoted %v, want %q quoted %v", c.s, sep, c.floor, c.s[ks:ke], q, c.key, c.keyQuoted)
		}
	}
}

func TestBearerAndBasicCredentialsLookGenerated(t *testing.T) {
	for tok, want := range map[string]bool{
		"abc123de":             true,
		"abc123d":              false,
		"abcdefgh":             false,
		"abcdefghijklmnopqrst": true,
	} {
		if got := bearerTokenLike(tok); got != want {
			t.Errorf("bearerTokenLike(%q) = %v, want %v", tok, got, want)
		}
	}
	for tok, want := range map[string]bool{
		"dXNlcjpwYXNz":    true,  // user:pass
		"dXNlcjpwYXNzd28": true,  // user:passwo, unpadded
		"dXNlcnBhc3M=":    false, // userpass: no colon
		"authentication":  false, // not base64 of anything with a colon
	} {
		if got := basicCredentials(tok); got != want {
			t.Errorf("basicCredentials(%q) = %v, want %v", tok, got, want)
		}
	}
}

func TestEmailAtReadsTheAddressAroundItsAtSign(t *testing.T) {
	cases := []struct {
		s     string
		floor int
		want  string // "" for none
	}{
		{"to jane@example.com.", 0, "jane@example.com"},
		{"jane%40example.com", 0, "jane%40example.com"},
		{"[email]x@example.com", 7, "x@example.com"},
		{"@example.com", 0, ""},
		{"a@example.com_x", 0, ""},
		{"logo@2x.png", 0, ""},
		{"a@b-.c", 0, ""},
	}
	for _, c := range cases {
		i := 0
		for i < len(c.s) && atSignLen(c.s, i) == 0 {
			i++
		}
		got := ""
		if ls, de, ok := emailAt(c.s, i, c.floor); ok {
			got = c.s[ls:de]
		}
		if got != c.want {
			t.Errorf("emailAt(%q, %d, %d) = %q, want %q", c.s, i, c.floor, got, c.want)
		}
	}
}

func TestCardBoundsWithinARun(t *testing.T) {
	s := "x 2024-4111 1111 1111 1111 9"
	groups := digitGroups(s, 2)
	if len(groups) != 6 {
		t.Fatalf("digitGroups(%q) = %v, want 6 groups", s, groups)
	}
	for a, want := range []bool{true, false, true, true, true, true} {
		if got := cardStartsAt(s, groups, a); got != want {
			t.Errorf("cardStartsAt(group %d) = %v, want %v", a, got, want)
		}
	}
	for b, want := range []bool{false, true, true, true, true, true} {
		if got := cardEndsAt(s, groups, b); got != want {
			t.Errorf("cardEndsAt(group %d) = %v, want %v", b, got, want)
		}
	}
	if b, ok := cardFrom(s, groups, 1); !ok || b != 4 {
		t.Errorf("cardFrom(group 1) = %d, %v, want the card to end at group 4", b, ok)
	}
	if _, ok := cardFrom(s, groups, 0); ok {
		t.Errorf("cardFrom(group 0) found a card in 2024-4111...: the year is not part of it")
	}
}

func TestPhoneGroupAtReadsOneGroup(t *testing.T) {
	cases := []struct {
		s      string
		first  bool
		digits string
		paren  bool
		ok     bool
	}{
		{"44 20", true, "44", false, true},
		{" 20 7946", false, "20", false, true},
		{".555", false, "555", false, true},
		{"-(20)", false, "20", true, true},
		{"(20)", true, "", false, false}, // the first group has no parentheses
		{"(20 ", false, "", false, false},
		{"  20", false, "", false, false}, // one separator at most
		{"1234567", true, "123456", false, true},
		{"", false, "", false, false},
	}
	for _, c := range cases {
		g, ok := phoneGroupAt(c.s, 0, c.first)
		got := ""
		if ok {
			got = c.s[g.start:g.end]
		}
		if ok != c.ok || got != c.digits || g.paren != c.paren {
			t.Errorf("phoneGroupAt(%q, first=%v) = %q paren %v ok %v, want %q paren %v ok %v", c.s, c.first, got, g.paren, ok, c.digits, c.paren, c.ok)
		}
	}
}

func TestIntlPhoneKeepsTheCountryCode(t *testing.T) {
	cases := []struct{ s, want string }{
		{"+44 20 7946 0958", "+44 ******0958"},
		{"+1-415-555-2671", "+1-******2671"},
		{"+8613812345678", "+86138****5678"},
		{"+4420794609581", "+442******9581"},            // no groups: no country code to keep
		{"+1234567", ""},                                // too short
		{"+1 234 567 890 123 456 7", "+1 234*****0123"}, // 17 digits: the last groups go,
	}
	for _, c := range cases {
		end, repl, ok := intlPhone(c.s, 0)
		if !ok {
			repl = ""
		}
		if repl != c.want {
			t.Errorf("intlPhone(%q) = %q (end %d, ok %v), want %q", c.s, repl, end, ok, c.want)
		}
	}
}

func TestIPEndingAtDecidesWhereAnAddressEnds(t *testing.T) {
	cases := []struct {
		s    string
		q    int // the candidate end; the run is s up to its first space
		want int
	}{
		{"10.0.0.1:5432", 8, 8},
		{"10.0.0.1.5", 8, -1}, // a longer dotted number
		{"10.0.0.1x", 8, -1},  // not at a separator
		{"10.0.0.1", 8, 8},    // the run's end
		{"2001:db8::1: x", 11, 11},
		{"2001:db8::1:", 4, -1}, // one colon
		{"fe80::1%eth0 x", 7, 12},
		{"fe80::1%eth0*", 7, 7}, // a zone glued to a masked number
		{"fe80::1% x", 7, 7},    // no zone: the address alone
		{"fe80::1%eth0:x", 7, 7},
		{"ab:cd:ef", 8, -1}, // no digit
	}
	for _, c := range cases {
		j := 0
		for j < len(c.s) && isIPChar(c.s[j]) {
			j++
		}
		if got := ipEndingAt(c.s, 0, c.q, j); got != c.want {
			t.Errorf("ipEndingAt(%q, 0, %d, %d) = %d, want %d", c.s, c.q, j, got, c.want)
		}
	}
}

func TestRunMayHoldIP(t *testing.T) {
	cases := []struct {
		s    string
		i    int
		want bool
	}{
		{"ip 10.0.0.1", 3, true},
		{"v1.2.3.4", 1, false},
		{"x*1.2.3.4", 2, false},
		{"Chrome/120.0.0.0", 7, false},
		{"a /10.0.0.1", 3, true},
		{"at ::", 3, false},
	}
	for _, c := range cases {
		if got := runMayHoldIP(c.s, c.i, len(c.s)); got != c.want {
			t.Errorf("runMayHoldIP(%q, %d) = %v, want %v", c.s, c.i, got, c.want)
		}
	}
}
