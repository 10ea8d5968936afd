package githubsim

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// hook is a webhook endpoint that records what it receives and answers
// status.
type hook struct {
	mu       sync.Mutex
	status   int
	delay    time.Duration
	received []received
}

type received struct {
	method string
	header http.Header
	body   []byte
}

func (h *hook) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	h.mu.Lock()
	h.received = append(h.received, received{method: r.Method, header: r.Header.Clone(), body: body})
	status, delay := h.status, h.delay
	h.mu.Unlock()
	if delay > 0 {
		select {
		case <-time.After(delay):
		case <-r.Context().Done():
		}
	}
	w.WriteHeader(status)
}

func (h *hook) all() []received {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]received(nil), h.received...)
}

// startHook serves a hook answering status, and Deliveries to it.
func startHook(t *testing.T, status int) (*hook, *Deliveries) {
	t.Helper()
	h := &hook{status: status}
	ts := httptest.NewServer(h)
	t.Cleanup(ts.Close)
	return h, &Deliveries{URL: ts.URL, Secret: "It's a Secret to Everybody", HookID: 77, AppID: testAppID, Client: ts.Client()}
}

// verify is how a receiver checks X-Hub-Signature-256 with secret.
func verify(secret string, body []byte, header string) bool {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	want := "sha256=" + hex.EncodeToString(mac.Sum(nil))
	return hmac.Equal([]byte(want), []byte(header))
}

// TestDeliveryHeadersAreGitHubs: a delivery is a POST of the body as it
// was given, with the headers GitHub sends an App's hook.
func TestDeliveryHeadersAreGitHubs(t *testing.T) {
	h, d := startHook(t, http.StatusOK)
	body := []byte(`{"zen":"Design for failure."}`)
	guid, status, err := d.Send(context.Background(), "ping", body)
	if err != nil || status != http.StatusOK {
		t.Fatalf("Send: status %d, err %v", status, err)
	}
	got := h.all()
	if len(got) != 1 {
		t.Fatalf("%d requests, want 1", len(got))
	}
	r := got[0]
	if r.method != http.MethodPost || string(r.body) != string(body) {
		t.Errorf("%s with body %q, want POST with %q", r.method, r.body, body)
	}
	for k, want := range map[string]string{
		"Content-Type":                           "application/json",
		"X-GitHub-Event":                         "ping",
		"X-GitHub-Delivery":                      guid,
		"X-GitHub-Hook-ID":                       "77",
		"X-GitHub-Hook-Installation-Target-Type": "integration",
		"X-GitHub-Hook-Installation-Target-ID":   "424242",
	} {
		if v := r.header.Get(k); v != want {
			t.Errorf("%s: %q, want %q", k, v, want)
		}
	}
	if ua := r.header.Get("User-Agent"); !regexp.MustCompile(`^GitHub-Hookshot/[0-9a-f]{7}$`).MatchString(ua) {
		t.Errorf("User-Agent %q, want GitHub-Hookshot/<7 hex>", ua)
	}
	if !regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`).MatchString(guid) {
		t.Errorf("delivery %q is not a GUID", guid)
	}
	if !strings.HasPrefix(r.header.Get("X-Hub-Signature"), "sha1=") || len(r.header.Get("X-Hub-Signature")) != len("sha1=")+40 {
		t.Errorf("X-Hub-Signature %q, want sha1=<40 hex>", r.header.Get("X-Hub-Signature"))
	}
}

// TestDeliverySignatureVerifiesWithTheSecretOnly: the signature is the
// one GitHub's documentation gives for its example secret and body
// ("Validating webhook deliveries"); it verifies with the secret and not
// with another one.
func TestDeliverySignatureVerifiesWithTheSecretOnly(t *testing.T) {
	h, d := startHook(t, http.StatusOK)
	if _, _, err := d.Send(context.Background(), "ping", []byte("Hello, World!")); err != nil {
		t.Fatal(err)
	}
	r := h.all()[0]
	sig := r.header.Get("X-Hub-Signature-256")
	if want := "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"; sig != want {
		t.Errorf("X-Hub-Signature-256 %q, want GitHub's %q", sig, want)
	}
	if !verify("It's a Secret to Everybody", r.body, sig) {
		t.Error("the signature does not verify with the secret")
	}
	if verify("another secret", r.body, sig) {
		t.Error("the signature verifies with another secret")
	}
}

// TestDeliveryWithoutASecretIsNotSigned: GitHub signs only with a secret.
func TestDeliveryWithoutASecretIsNotSigned(t *testing.T) {
	h, d := startHook(t, http.StatusOK)
	d.Secret = ""
	if _, _, err := d.Send(context.Background(), "ping", []byte(`{}`)); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"X-Hub-Signature", "X-Hub-Signature-256"} {
		if v := h.all()[0].header.Get(k); v != "" {
			t.Errorf("%s: %q without a secret", k, v)
		}
	}
}

// TestEachDeliveryHasItsOwnGUID: two sends of the same body are two
// deliveries.
func TestEachDeliveryHasItsOwnGUID(t *testing.T) {
	_, d := startHook(t, http.StatusOK)
	a, _, _ := d.Send(context.Background(), "ping", []byte(`{}`))
	b, _, _ := d.Send(context.Background(), "ping", []byte(`{}`))
	if a == b {
		t.Errorf("two deliveries share GUID %s", a)
	}
}

// TestFailedDeliveryIsNotRetried: a delivery the hook refuses is sent
// once, and its status is reported, not turned into an error.
func TestFailedDeliveryIsNotRetried(t *testing.T) {
	h, d := startHook(t, http.StatusInternalServerError)
	_, status, err := d.Send(context.Background(), "pull_request", []byte(`{}`))
	if err != nil || status != http.StatusInternalServerError {
		t.Errorf("status %d, err %v; want 500 and no error", status, err)
	}
	time.Sleep(50 * time.Millisecond) // room for a retry that must not come
	if n := len(h.all()); n != 1 {
		t.Errorf("%d requests, want 1: GitHub does not retry", n)
	}
}

// TestRedeliveryKeepsTheGUIDAndBody: a redelivery sends the same event,
// GUID, body and signature again.
func TestRedeliveryKeepsTheGUIDAndBody(t *testing.T) {
	h, d := startHook(t, http.StatusServiceUnavailable)
	body := []byte(`{"action":"opened","number":1}`)
	guid, _, err := d.Send(context.Background(), "pull_request", body)
	if err != nil {
		t.Fatal(err)
	}
	h.mu.Lock()
	h.status = http.StatusOK
	h.mu.Unlock()
	body[0] = 'X' // the caller's slice is not what is redelivered
	status, err := d.Redeliver(context.Background(), guid)
	if err != nil || status != http.StatusOK {
		t.Fatalf("Redeliver: status %d, err %v", status, err)
	}
	got := h.all()
	if len(got) != 2 {
		t.Fatalf("%d requests, want 2", len(got))
	}
	first, again := got[0], got[1]
	for _, k := range []string{"X-GitHub-Delivery", "X-GitHub-Event", "X-Hub-Signature-256"} {
		if first.header.Get(k) != again.header.Get(k) {
			t.Errorf("%s: %q, then %q", k, first.header.Get(k), again.header.Get(k))
		}
	}
	if again.header.Get("X-GitHub-Delivery") != guid || string(again.body) != `{"action":"opened","number":1}` {
		t.Errorf("redelivered %s with %q", again.header.Get("X-GitHub-Delivery"), again.body)
	}
	if _, err := d.Redeliver(context.Background(), "00000000-0000-4000-8000-000000000000"); err == nil {
		t.Error("an unknown delivery was redelivered")
	}
}

// TestDeliveryGivesUpAfterTheTimeout: a hook that does not answer in
// time fails the delivery, which is not retried.
func TestDeliveryGivesUpAfterTheTimeout(t *testing.T) {
	h, d := startHook(t, http.StatusOK)
	h.delay = time.Second
	d.Timeout = 50 * time.Millisecond
	start := time.Now()
	_, _, err := d.Send(context.Background(), "ping", []byte(`{}`))
	if err == nil {
		t.Error("a hook that did not answer in time succeeded")
	}
	if took := time.Since(start); took > 500*time.Millisecond {
		t.Errorf("gave up after %s, want about 50ms", took)
	}
	if n := len(h.all()); n != 1 {
		t.Errorf("%d requests, want 1", n)
	}
	if DeliveryTimeout != 10*time.Second {
		t.Errorf("DeliveryTimeout = %s; GitHub waits 10s", DeliveryTimeout)
	}
}
