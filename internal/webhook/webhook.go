// Package webhook decodes the webhooks fixproof's bot receives from Sentry
// (its integration platform, its legacy WebHooks plugin) and Alertmanager
// into alert.Alert values, and Sentry's comment webhooks into
// SentryComment values, and verifies Sentry's signatures. It is pure: no
// I/O, no clock, no configuration beyond what the callers pass.
//
// Decoders are lenient with the types Sentry is known to vary (numbers
// sent as strings and strings as numbers, timestamps as float seconds or
// ISO 8601 text, tags as pairs or objects) and strict with structure: a
// body that is not one JSON object, an object where a list belongs, or a
// payload without what its resource needs (an issue without an id) is an
// error that names the field, meant to be answered with 400.
//
// What the decoders fill, and from where, is documented on each decoder;
// where the vendors' documents are silent the choice is marked
// "Inferred".
package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"mime"
	"strings"
)

// VerifySentry checks the Sentry-Hook-Signature header: the hex HMAC-SHA256
// of the raw request body keyed with the integration's client secret,
// compared in constant time. An empty secret or signature never verifies,
// nor does a signature that is not 64 hex digits.
//
// Sentry's docs (integration-platform webhooks.mdx) show the HMAC computed
// over JSON.stringify(request.body) / json.dumps(request.body), i.e. the
// body as Sentry serialized it; the raw bytes received are exactly that,
// so they are what is hashed here (re-serializing could change them).
// Surrounding white space in the header is ignored, hex case is not
// significant. Replay protection (Sentry-Hook-Timestamp) is the caller's.
func VerifySentry(body []byte, clientSecret, signature string) bool {
	return validHMAC(body, clientSecret, strings.TrimSpace(signature))
}

// VerifyHubSignature checks a "sha256=" signature header: the hex
// HMAC-SHA256 of the raw body keyed with the webhook's secret, compared
// in constant time. Jira's admin webhooks send it as X-Hub-Signature,
// GitHub's as X-Hub-Signature-256. An empty secret or header never
// verifies, nor does another algorithm's prefix or a malformed digest.
func VerifyHubSignature(body []byte, secret, header string) bool {
	digest, ok := strings.CutPrefix(strings.TrimSpace(header), "sha256=")
	return ok && validHMAC(body, secret, digest)
}

// HubSignature is the header VerifyHubSignature accepts for body.
func HubSignature(body []byte, secret string) string {
	return "sha256=" + hex.EncodeToString(mac(body, secret))
}

// validHMAC reports whether digest is the hex HMAC-SHA256 of body keyed
// with secret; an empty secret never verifies.
func validHMAC(body []byte, secret, digest string) bool {
	if secret == "" || len(digest) != 2*sha256.Size {
		return false
	}
	got, err := hex.DecodeString(digest)
	return err == nil && hmac.Equal(mac(body, secret), got)
}

func mac(body []byte, secret string) []byte {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return m.Sum(nil)
}

// CheckJSON tells whether a Content-Type announces JSON, as every sender
// the bot takes webhooks from sends it: Sentry's integration platform and
// legacy plugin and Alertmanager send "application/json", Jira
// "application/json; charset=UTF-8". A structured-syntax suffix type
// ("application/<something>+json", RFC 6839) is JSON too. Parameters are
// allowed, but a charset other than UTF-8 is not: JSON exchanged between
// systems is UTF-8 (RFC 8259 section 8.1), and text in another one would
// be read wrongly. The error names what was sent and what is expected;
// the caller answers 415 with it.
func CheckJSON(contentType string) error {
	if strings.TrimSpace(contentType) == "" {
		return errors.New("no Content-Type: send the body as application/json")
	}
	mt, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		return fmt.Errorf("Content-Type %s is not a media type: send the body as application/json", short(contentType))
	}
	if mt != "application/json" && !(strings.HasPrefix(mt, "application/") && strings.HasSuffix(mt, "+json")) {
		return fmt.Errorf("Content-Type %s is not JSON: send the body as application/json", short(mt))
	}
	if cs, ok := params["charset"]; ok && !strings.EqualFold(cs, "utf-8") {
		return fmt.Errorf("Content-Type charset %s is not UTF-8: send the body as application/json in UTF-8", short(cs))
	}
	return nil
}
