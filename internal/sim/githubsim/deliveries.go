package githubsim

// Delivering webhooks as GitHub delivers them to a GitHub App's hook
// (docs.github.com, "Webhook events and payloads", "Validating webhook
// deliveries", "Handling failed webhook deliveries", "Troubleshooting
// webhooks"; headers as captured from App deliveries):
//
//   - POST with Content-Type: application/json, User-Agent:
//     GitHub-Hookshot/<7 hex digits>, X-GitHub-Event, X-GitHub-Delivery (a
//     GUID), X-GitHub-Hook-ID, X-GitHub-Hook-Installation-Target-Type:
//     integration and X-GitHub-Hook-Installation-Target-ID: the app id.
//   - With a secret, X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the
//     raw body> and the legacy X-Hub-Signature: sha1=<hex HMAC-SHA1>;
//     without one, neither.
//   - GitHub waits 10 seconds for an answer; any 2xx is a success, and a
//     failed delivery is not retried: it is redelivered only when asked
//     (Redeliver), with the same GUID and body.
//
// Not simulated: the delivery log (GET /app/hook/deliveries) and
// form-encoded bodies (an App's hook is always JSON).

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// DeliveryTimeout is how long GitHub waits for a hook to answer.
const DeliveryTimeout = 10 * time.Second

// hookshotAgent is the User-Agent of GitHub's deliveries; the suffix is a
// build of GitHub's deliverer and changes over time.
const hookshotAgent = "GitHub-Hookshot/a1b2c3d"

// Deliveries delivers webhooks to an App's hook. The zero value needs URL;
// it is safe for concurrent use.
type Deliveries struct {
	// URL is the hook's URL.
	URL string
	// Secret is the hook's secret; empty means the deliveries are not
	// signed, as GitHub's are not without one.
	Secret string
	// HookID is the hook's id (X-GitHub-Hook-ID) and AppID the App's
	// (X-GitHub-Hook-Installation-Target-ID).
	HookID, AppID int64
	// Client sends the requests; nil means http.DefaultClient. Whatever
	// the client, a delivery gives up after Timeout.
	Client *http.Client
	// Timeout is how long a delivery waits for the answer; zero means
	// GitHub's DeliveryTimeout.
	Timeout time.Duration

	mu   sync.Mutex
	sent map[string]sentDelivery // by GUID
}

// sentDelivery is what a redelivery sends again.
type sentDelivery struct {
	event string
	body  []byte
}

// Send delivers body as event once, and returns its GUID and the status
// the hook answered. err is set when there was no answer (the hook could
// not be reached, or did not answer within the timeout); a non-2xx status
// is not an error, and GitHub does not retry it: call Redeliver.
func (d *Deliveries) Send(ctx context.Context, event string, body []byte) (delivery string, status int, err error) {
	delivery = newGUID()
	body = bytes.Clone(body)
	d.mu.Lock()
	if d.sent == nil {
		d.sent = map[string]sentDelivery{}
	}
	d.sent[delivery] = sentDelivery{event: event, body: body}
	d.mu.Unlock()
	status, err = d.post(ctx, delivery, event, body)
	return delivery, status, err
}

// Redeliver sends delivery again, with its GUID, event and body, as
// GitHub's "Redeliver" does.
func (d *Deliveries) Redeliver(ctx context.Context, delivery string) (status int, err error) {
	d.mu.Lock()
	sd, ok := d.sent[delivery]
	d.mu.Unlock()
	if !ok {
		return 0, fmt.Errorf("githubsim: redeliver %s: no such delivery", delivery)
	}
	return d.post(ctx, delivery, sd.event, sd.body)
}

func (d *Deliveries) post(ctx context.Context, delivery, event string, body []byte) (int, error) {
	timeout := d.Timeout
	if timeout == 0 {
		timeout = DeliveryTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.URL, bytes.NewReader(body))
	if err != nil {
		return 0, fmt.Errorf("githubsim: deliver %s %s: %w", event, delivery, err)
	}
	h := req.Header
	h.Set("Accept", "*/*")
	h.Set("Content-Type", "application/json")
	h.Set("User-Agent", hookshotAgent)
	h.Set("X-GitHub-Event", event)
	h.Set("X-GitHub-Delivery", delivery)
	h.Set("X-GitHub-Hook-ID", strconv.FormatInt(d.HookID, 10))
	h.Set("X-GitHub-Hook-Installation-Target-Type", "integration")
	h.Set("X-GitHub-Hook-Installation-Target-ID", strconv.FormatInt(d.AppID, 10))
	if d.Secret != "" {
		h.Set("X-Hub-Signature", "sha1="+signature(sha1.New, d.Secret, body))
		h.Set("X-Hub-Signature-256", "sha256="+signature(sha256.New, d.Secret, body))
	}
	client := d.Client
	if client == nil {
		client = http.DefaultClient
	}
	res, err := client.Do(req)
	if err != nil {
		return 0, fmt.Errorf("githubsim: deliver %s %s: %w", event, delivery, err)
	}
	defer res.Body.Close()
	// Drained, so the connection can serve the next delivery.
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 1<<20))
	return res.StatusCode, nil
}

// signature is the hex HMAC of body with secret.
func signature(h func() hash.Hash, secret string, body []byte) string {
	mac := hmac.New(h, []byte(secret))
	mac.Write(body)
	return hex.EncodeToString(mac.Sum(nil))
}

// newGUID is a random GUID in the 8-4-4-4-12 form of X-GitHub-Delivery.
func newGUID() string {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	b[6] = b[6]&0x0f | 0x40 // version 4
	b[8] = b[8]&0x3f | 0x80 // RFC 4122 variant
	x := hex.EncodeToString(b)
	return x[:8] + "-" + x[8:12] + "-" + x[12:16] + "-" + x[16:20] + "-" + x[20:]
}
