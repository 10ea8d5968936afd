package webhook

import (
	"strings"
	"testing"
)

// The sha256= header of Jira's and GitHub's webhooks verifies only the
// body it signs with the secret it was signed with.
func TestVerifyHubSignature(t *testing.T) {
	body := []byte(`{"webhookEvent": "comment_created", "comment": {"id": "10100"}}`)
	const secret = "It's a Secret to Everybody"
	good := HubSignature(body, secret)
	flipped := []byte(good)
	if flipped[len(flipped)-1] == '0' {
		flipped[len(flipped)-1] = '1'
	} else {
		flipped[len(flipped)-1] = '0'
	}
	bodyFlipped := append([]byte(nil), body...)
	bodyFlipped[10] ^= 1
	tests := []struct {
		name           string
		body           []byte
		secret, header string
		want           bool
	}{
		{"correct", body, secret, good, true},
		{"upper-case hex", body, secret, "sha256=" + strings.ToUpper(strings.TrimPrefix(good, "sha256=")), true},
		{"flipped digest bit", body, secret, string(flipped), false},
		{"flipped body bit", bodyFlipped, secret, good, false},
		{"wrong secret", body, secret + "x", good, false},
		{"wrong prefix", body, secret, "sha1=" + strings.TrimPrefix(good, "sha256="), false},
		{"no prefix", body, secret, strings.TrimPrefix(good, "sha256="), false},
		{"short digest", body, secret, good[:len(good)-2], false},
		{"not hex", body, secret, "sha256=" + strings.Repeat("zz", 32), false},
		{"empty secret", body, "", HubSignature(body, ""), false},
		{"empty header", body, secret, "", false},
		// The RFC 4231 test case 2 vector for HMAC-SHA256.
		{"RFC 4231 vector", []byte("what do ya want for nothing?"), "Jefe", "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := VerifyHubSignature(tt.body, tt.secret, tt.header); got != tt.want {
				t.Errorf("VerifyHubSignature = %v, want %v", got, tt.want)
			}
		})
	}
}

func FuzzVerifyHubSignature(f *testing.F) {
	f.Add([]byte(`{"a":1}`), "secret", "sha256=00")
	f.Add([]byte(""), "s", "")
	f.Add([]byte("x"), "", "sha256=")
	f.Fuzz(func(t *testing.T, body []byte, secret, header string) {
		_ = VerifyHubSignature(body, secret, header) // never panics
		good := HubSignature(body, secret)
		if got := VerifyHubSignature(body, secret, good); got != (secret != "") {
			t.Fatalf("VerifyHubSignature(own signature) = %v with secret %q", got, secret)
		}
		if secret != "" && header != good && VerifyHubSignature(body, secret, header) {
			// Another header verifies only if it is the same digest
			// written differently (upper-case hex, surrounding space).
			d := strings.ToLower(strings.TrimPrefix(strings.TrimSpace(header), "sha256="))
			if "sha256="+d != good {
				t.Fatalf("header %q verified, want %q", header, good)
			}
		}
	})
}
