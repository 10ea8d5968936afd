package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"
)

func sign(body []byte, secret string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

func TestVerifySentry(t *testing.T) {
	body := []byte(`{"action":"created","data":{"issue":{"id":"1"}}}`)
	const secret = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	sig := sign(body, secret)

	if !VerifySentry(body, secret, sig) {
		t.Fatal("a correct signature does not verify")
	}
	if !VerifySentry(body, secret, strings.ToUpper(sig)) || !VerifySentry(body, secret, " "+sig+"\n") {
		t.Error("hex case or surrounding space should not matter")
	}

	// A one-bit change anywhere in the signature fails.
	raw, _ := hex.DecodeString(sig)
	for i := range len(raw) * 8 {
		flipped := append([]byte(nil), raw...)
		flipped[i/8] ^= 1 << (i % 8)
		if VerifySentry(body, secret, hex.EncodeToString(flipped)) {
			t.Fatalf("signature with bit %d flipped verifies", i)
		}
	}
	// So does a one-bit change in the body or the secret.
	for i := range len(body) * 8 {
		b := append([]byte(nil), body...)
		b[i/8] ^= 1 << (i % 8)
		if VerifySentry(b, secret, sig) {
			t.Fatalf("body with bit %d flipped verifies", i)
		}
	}
	if VerifySentry(body, secret[:len(secret)-1]+"e", sig) {
		t.Error("another secret verifies")
	}

	// An empty secret never verifies, not even with its own HMAC.
	if VerifySentry(body, "", sign(body, "")) {
		t.Error("empty secret verifies")
	}
	for _, bad := range []string{"", sig[:63], sig + "0", sig[:62] + "zz", "sha256=" + sig} {
		if VerifySentry(body, secret, bad) {
			t.Errorf("signature %q verifies", bad)
		}
	}
}

func TestCheckJSON(t *testing.T) {
	for _, tt := range []struct {
		contentType string
		ok          bool
		want        string // in the error
	}{
		{"application/json", true, ""},                // Sentry, Alertmanager
		{"application/json; charset=UTF-8", true, ""}, // Jira
		{"Application/JSON;charset=utf-8", true, ""},  // media types ignore case
		{"application/vnd.example+json", true, ""},    // RFC 6839 suffix
		{"application/merge-patch+json; charset=utf-8", true, ""},
		{"", false, "no Content-Type"},
		{"text/plain", false, `"text/plain" is not JSON`},
		{"application/x-www-form-urlencoded", false, "is not JSON"},
		{"text/json", false, "is not JSON"},
		{"application/jsonp", false, "is not JSON"},
		{"application/json; charset=utf-16", false, `charset "utf-16" is not UTF-8`},
		{"application/json; charset", false, "is not a media type"},
	} {
		err := CheckJSON(tt.contentType)
		if (err == nil) != tt.ok || err != nil && !strings.Contains(err.Error(), tt.want) {
			t.Errorf("CheckJSON(%q) = %v, want ok %v (error with %q)", tt.contentType, err, tt.ok, tt.want)
		}
		if err != nil && !strings.Contains(err.Error(), "application/json") {
			t.Errorf("CheckJSON(%q): %v does not name the type to send", tt.contentType, err)
		}
	}
}
