package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fixproof/fixproof/internal/alert"
	"github.com/fixproof/fixproof/internal/botconfig"
	"github.com/fixproof/fixproof/internal/jira"
	"github.com/fixproof/fixproof/internal/loop"
	"github.com/fixproof/fixproof/internal/sim"
	"github.com/fixproof/fixproof/internal/store"
	"github.com/fixproof/fixproof/internal/webhook"
)

// jiraDown makes every request to Jira fail with status until the test
// clears the faults.
func (w *world) jiraDown(status int) {
	w.jira.Control.Inject(sim.Fault{PathPrefix: "/", Status: status, Times: 1 << 30})
}

// passTime moves the clock by d in steps, letting the bot work after each.
func (w *world) passTime(d, step time.Duration) {
	for end := w.clock.Now().Add(d); w.clock.Now().Before(end); {
		w.drain()
		w.clock.Advance(step)
	}
	w.drain()
}

func (w *world) dead() []store.DeadJob {
	w.t.Helper()
	d, err := w.store.Dead(context.Background(), 0)
	if err != nil {
		w.t.Fatal(err)
	}
	return d
}

// state is what the bot keeps for fp.
func (w *world) state(fp string) State {
	w.t.Helper()
	rec, _, err := w.store.Lookup(context.Background(), string(fp))
	if err != nil {
		w.t.Fatal(err)
	}
	var st State
	_ = json.Unmarshal(rec.State, &st)
	return st
}

// logLines are the bot's log lines at a level that contain every one of
// words.
func (w *world) logLines(level string, words ...string) []string {
	var out []string
	for _, l := range strings.Split(w.logs.String(), "\n") {
		if !strings.Contains(l, `"level":"`+level+`"`) {
			continue
		}
		all := true
		for _, x := range words {
			all = all && strings.Contains(l, x)
		}
		if all {
			out = append(out, l)
		}
	}
	return out
}

// A minute of Jira answering 500 to everything is an outage, not a fault
// of the deliveries: with max_attempts 3 none of them is dead-lettered,
// and once Jira is back the issue is created, counting every delivery,
// the one sent after the recovery included.
func TestAJiraOutageUsesUpNoAttempts(t *testing.T) {
	w := newWorld(t, withConfig(func(c *botconfig.Config) { c.MaxAttempts = 3 }))
	w.sentryIssue("101", "boom")
	w.jiraDown(http.StatusInternalServerError)
	w.eventAlert("101")
	w.passTime(30*time.Second, 5*time.Second)
	w.eventAlert("101")
	w.passTime(30*time.Second, 5*time.Second)
	w.jira.Control.ClearFaults()
	w.eventAlert("101")
	w.passTime(10*time.Minute, 30*time.Second)
	if d := w.dead(); len(d) != 0 {
		t.Fatalf("%d dead letters after a one-minute outage: %+v\n%s", len(d), d, tail(w.logs.String(), 3000))
	}
	if got := w.issues(loop.Fingerprint(fp101).Label()); len(got) != 1 {
		t.Fatalf("%d issues after Jira recovered, want 1\n%s", len(got), tail(w.logs.String(), 3000))
	}
	if st := w.state(string(fp101)); st.Deliveries != 3 {
		t.Errorf("%d deliveries counted, want 3", st.Deliveries)
	}
	if n := len(w.logLines("WARN", "Jira is unavailable")); n == 0 {
		t.Error("the outage is not logged as one")
	}
}

// Jira answering 500 to one request only, while it answers everything
// else, is a fault of that request: it counts, and after max_attempts the
// deliveries are dead letters, logged with Jira's own message.
func TestARequestJiraAlwaysFailsStillEndsInTheDeadLetters(t *testing.T) {
	w := newWorld(t, withConfig(func(c *botconfig.Config) { c.MaxAttempts = 3 }))
	w.sentryIssue("101", "boom")
	w.jira.Control.Inject(sim.Fault{Method: "POST", PathPrefix: "/rest/api/3/issue", Status: 500, Times: 1 << 30,
		Body: `{"errorMessages":["java.lang.NullPointerException"],"errors":{}}`})
	w.eventAlert("101")
	w.passTime(10*time.Minute, 10*time.Second) // steps well inside botSearchLag
	d := w.dead()
	if len(d) != 1 || !strings.Contains(d[0].LastError, "500 java.lang.NullPointerException") || d[0].Attempts != 3 {
		t.Fatalf("dead letters %+v, want the delivery after 3 attempts with Jira's message", d)
	}
	if lines := w.logLines("ERROR", "dead letter", "java.lang.NullPointerException"); len(lines) != 1 {
		t.Errorf("%d error lines naming the cause, want 1:\n%s", len(lines), strings.Join(lines, "\n"))
	}
	if n := len(w.logLines("INFO", "waiting for Jira's search")); n != 0 {
		t.Errorf("a plain 500 was taken for a create Jira may have made: %d waits for its search", n)
	}
}

// Jira refusing a create with 400 is permanent: the delivery is a dead
// letter at once, with one error line giving Jira's message (not a wait
// for Jira's search); redriven after the cause is fixed, it creates the
// issue once.
func TestA400IsADeadLetterAtOnceAndARedriveCreatesOnce(t *testing.T) {
	w := newWorld(t)
	w.sentryIssue("101", "boom")
	w.jira.Control.Inject(sim.Fault{Method: "POST", PathPrefix: "/rest/api/3/issue", Status: 400, Times: 1 << 30,
		Body: `{"errorMessages":[],"errors":{"components":"Component name 'API' is not valid"}}`})
	w.eventAlert("101")
	w.drain()
	d := w.dead()
	if len(d) != 1 || !strings.Contains(d[0].LastError, "400 components: Component name 'API' is not valid") || d[0].Attempts != 1 {
		t.Fatalf("dead letters %+v, want the delivery with Jira's message after 1 attempt", d)
	}
	if lines := w.logLines("ERROR", "dead letter", "Component name 'API' is not valid"); len(lines) != 1 {
		t.Errorf("%d error lines naming Jira's message, want 1:\n%s", len(lines), tail(w.logs.String(), 2000))
	}
	if strings.Contains(w.logs.String(), "waiting for Jira") {
		t.Error("a refused create was taken for one Jira may have made")
	}
	w.jira.Control.ClearFaults()
	if n, err := w.store.Redrive(context.Background(), "", w.clock.Now()); err != nil || n != 1 {
		t.Fatalf("Redrive = %d, %v", n, err)
	}
	w.drain()
	if n, err := w.store.Redrive(context.Background(), "", w.clock.Now()); err != nil || n != 0 {
		t.Fatalf("second Redrive = %d, %v; want nothing left", n, err)
	}
	w.passTime(time.Minute, 10*time.Second)
	if got := w.issues(loop.Fingerprint(fp101).Label()); len(got) != 1 {
		t.Fatalf("%d issues after the redrive, want 1", len(got))
	}
	if d := w.dead(); len(d) != 0 {
		t.Errorf("dead letters after the redrive: %+v", d)
	}
}

// A create whose answer was lost (502 after Jira made the issue) may have
// happened: the bot looks for the issue and waits while Jira's search
// lags, without counting the wait, and never creates a second issue.
func TestAnUncertainCreateWaitsForJirasSearchUncounted(t *testing.T) {
	w := newWorld(t, withConfig(func(c *botconfig.Config) { c.MaxAttempts = 2 }))
	w.sentryIssue("101", "boom")
	w.jira.Control.Inject(sim.Fault{Method: "POST", PathPrefix: "/rest/api/3/issue", Status: 502, After: true})
	w.eventAlert("101")
	// Second by second, so the bot looks while the new issue is still
	// hidden from Jira's search (jiraSearchLag).
	w.passTime(botSearchLag+10*time.Second, time.Second)
	if got := w.issues(loop.Fingerprint(fp101).Label()); len(got) != 1 {
		t.Fatalf("%d issues after a lost create answer, want 1\n%s", len(got), tail(w.logs.String(), 3000))
	}
	if rec, _, _ := w.store.Lookup(context.Background(), string(fp101)); rec.JiraKey == "" {
		t.Error("the key of the issue Jira made was never saved")
	}
	if d := w.dead(); len(d) != 0 {
		t.Errorf("waiting for Jira's search used up max_attempts: %+v", d)
	}
	if len(w.logLines("INFO", "waiting for Jira's search")) == 0 {
		t.Error("the bot never had to wait for the search: the test does not test the wait")
	}
}

// alertmanagerGroup is an Alertmanager notification of group
// HighErrorRate with one alert per instance, all of the group's status.
func alertmanagerGroup(status string, instances ...string) []byte {
	var alerts []string
	for _, in := range instances {
		alerts = append(alerts, fmt.Sprintf(`{"status":%q,"labels":{"alertname":"HighErrorRate","team":"pay","severity":"page","instance":%q},
"annotations":{"summary":"5xx above 5%% on %s"},"startsAt":"2026-11-20T09:58:00Z","endsAt":"0001-01-01T00:00:00Z","generatorURL":"https://prom.example/graph","fingerprint":"f-%s"}`, status, in, in, in))
	}
	return []byte(`{"version":"4","groupKey":"{}:{alertname=\"HighErrorRate\"}","truncatedAlerts":0,"status":"` + status + `","receiver":"payments",
"groupLabels":{"alertname":"HighErrorRate"},"commonLabels":{"alertname":"HighErrorRate","team":"pay","severity":"page"},
"commonAnnotations":{},"externalURL":"https://am.example","alerts":[` + strings.Join(alerts, ",") + `]}`)
}

var fpGroup = loop.AlertmanagerFingerprint("payments", map[string]string{"alertname": "HighErrorRate"})

func autoResolving(c *botconfig.Config) {
	// No status_done of its own: jira.status_done applies.
	c.Routes = []botconfig.Route{{Match: botconfig.Match{Source: "alertmanager"}, AutoResolve: true}}
	c.Alertmanager.JiraLabels = []string{"severity", "absent"}
}

// A batch's deliveries are applied in the order they came: a group that
// resolved and then fired again while Jira was down ends with its issue
// open, and one that fired and then resolved ends with it done.
func TestABatchEndsInTheStateOfItsLastDelivery(t *testing.T) {
	for _, tc := range []struct {
		name       string
		order      []string
		wantStatus string
	}{
		{"resolved then firing", []string{"resolved", "firing"}, "Open"},
		{"firing then resolved", []string{"firing", "resolved"}, "Done"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t, withConfig(autoResolving))
			w.alertmanager(alertmanagerGroup("firing", "api-1"))
			w.drain()
			got := w.issues(loop.Fingerprint(fpGroup).Label())
			if len(got) != 1 {
				t.Fatalf("%d issues", len(got))
			}
			key := got[0].Key
			w.jiraDown(http.StatusServiceUnavailable)
			for _, status := range tc.order {
				if code := w.alertmanager(alertmanagerGroup(status, "api-1")); code != http.StatusAccepted {
					t.Fatal(code)
				}
				w.passTime(10*time.Second, 5*time.Second) // tried, and failed, in between
			}
			w.jira.Control.ClearFaults()
			w.passTime(10*time.Minute, 30*time.Second)
			if is, _ := w.jira.Issue(key); is.Status != tc.wantStatus {
				t.Errorf("issue %s is %q after %v, want %q\n%s", key, is.Status, tc.order, tc.wantStatus, tail(w.logs.String(), 2000))
			}
		})
	}
}

// Alertmanager issues speak Alertmanager: notifications and the alerts
// firing now (kept current as the group grows), no users, no error-class
// label; and a resolved group closing its issue says so.
func TestAlertmanagerIssuesSpeakAlertmanager(t *testing.T) {
	w := newWorld(t, withConfig(autoResolving))
	w.alertmanager(alertmanagerGroup("firing", "api-1"))
	w.drain()
	got := w.issues(loop.Fingerprint(fpGroup).Label())
	if len(got) != 1 {
		t.Fatalf("%d issues", len(got))
	}
	key := got[0].Key
	for _, l := range got[0].Labels {
		if strings.HasPrefix(l, "error-") || strings.HasPrefix(l, "absent") {
			t.Errorf("an Alertmanager issue has the label %q", l)
		}
	}
	if !slices.Contains(got[0].Labels, "severity-page") {
		t.Errorf("labels %q lack severity-page (alertmanager.jira_labels)", got[0].Labels)
	}
	w.clock.Advance(2 * time.Minute)
	w.alertmanager(alertmanagerGroup("firing", "api-1", "api-2", "api-3", "api-4", "jane.doe@example.com"))
	w.drain()
	is, _ := w.jira.Issue(key)
	if len(is.Comments) != 1 {
		t.Fatalf("%d comments, want the one counters comment", len(is.Comments))
	}
	body := string(is.Comments[0].Body)
	if strings.Contains(body, "jane.doe@example.com") {
		t.Errorf("personal data in an alert's labels reached the counters comment:\n%s", body)
	}
	for _, want := range []string{"Still firing.", "2 notifications from Alertmanager", "5 alerts firing now",
		"instance=api-1: 5xx above 5% on api-1", "instance=api-4: 5xx above 5% on api-4"} {
		if !strings.Contains(body, want) {
			t.Errorf("the counters comment does not say %q:\n%s", want, body)
		}
	}
	for _, wrong := range []string{"user", "Seen "} {
		if strings.Contains(body, wrong) {
			t.Errorf("the counters comment says %q, which Alertmanager does not know:\n%s", wrong, body)
		}
	}
	w.clock.Advance(2 * time.Minute)
	w.alertmanager(alertmanagerGroup("resolved", "api-1", "api-2", "api-3", "api-4", "jane.doe@example.com"))
	w.drain()
	is, _ = w.jira.Issue(key)
	if is.Status != "Done" {
		t.Fatalf("resolved group: issue is %q, want Done", is.Status)
	}
	var said bool
	for _, c := range is.Comments {
		b := string(c.Body)
		said = said || strings.Contains(b, "Resolved by fixproof") && strings.Contains(b, "every alert of the group is resolved")
		if strings.Contains(b, "Resolved.") && !strings.Contains(b, "0 alerts firing now") {
			t.Errorf("a resolved group's counters still list firing alerts:\n%s", b)
		}
	}
	if !said {
		t.Errorf("moving the issue to Done is not said on it: %d comments", len(is.Comments))
	}
	if len(w.logLines("INFO", `"msg":"resolved"`, key)) != 1 {
		t.Error("moving the issue to Done is not logged")
	}
}

// The plan of a batch, as a pure function of its alerts in order and of
// when the newest delivery already applied was received.
func TestPlanBatch(t *testing.T) {
	a := func(act alert.Action) *alert.Alert { return &alert.Alert{Action: act, Title: string(act)} }
	f1, f2, r, g, n := a(alert.Fired), a(alert.Fired), a(alert.Resolved), a(alert.Regressed), a(alert.Noted)
	in := func(as ...*alert.Alert) []received {
		out := make([]received, len(as))
		for i, x := range as {
			out[i] = received{x, int64(10 + i)}
		}
		return out
	}
	tests := []struct {
		name      string
		in        []received
		since     int64
		last      alert.Action
		firing    *alert.Alert
		fresh     *alert.Alert
		regressed bool
	}{
		{"nothing", nil, 0, "", nil, nil, false},
		{"noted only", in(n), 0, "", nil, n, false},
		{"fired", in(f1, f2), 0, alert.Fired, f2, f2, false},
		{"fired then resolved", in(f1, r), 0, alert.Resolved, f1, r, false},
		{"resolved then fired", in(r, f1), 0, alert.Fired, f1, f1, false},
		{"resolved then fired then noted", in(r, f1, n), 0, alert.Fired, f1, n, false},
		{"regressed then fired", in(g, f1), 0, alert.Fired, f1, f1, true},
		{"regressed then resolved", in(g, r), 0, alert.Resolved, g, r, false},
		{"resolved then regressed", in(r, g), 0, alert.Regressed, g, g, true},
		// A resolve received before a firing that was already applied
		// (it waited for a retry while the firing went ahead): counted,
		// changes nothing.
		{"a stale resolve", in(r), 11, "", nil, nil, false},
		{"a stale resolve, then a fresh one", in(r, f1, r), 11, alert.Resolved, f1, r, false},
		{"the very delivery last applied", in(r), 10, "", nil, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := planBatch(tt.in, tt.since)
			if p.last != tt.last || p.firing != tt.firing || p.fresh != tt.fresh || p.regressed != tt.regressed {
				t.Errorf("planBatch = last %q firing %v fresh %v regressed %v; want %q %v %v %v", p.last, p.firing, p.fresh, p.regressed, tt.last, tt.firing, tt.fresh, tt.regressed)
			}
			if len(tt.in) > 0 && p.latest != tt.in[len(tt.in)-1].a {
				t.Errorf("latest is not the last alert")
			}
		})
	}
}

// A delivery that waited for a retry while a newer one of its problem
// went ahead (the store lets it) is counted but does not undo the newer
// one: an old "resolved" processed after a newer "firing" leaves the issue
// open.
func TestAnOlderDeliveryProcessedLaterChangesNothing(t *testing.T) {
	w := newWorld(t, withConfig(autoResolving))
	w.alertmanager(alertmanagerGroup("firing", "api-1"))
	w.drain()
	key := w.issues(loop.Fingerprint(fpGroup).Label())[0].Key
	w.clock.Advance(time.Minute)
	// The resolve came first and failed; it is due again in ten minutes.
	resolved, err := webhook.DecodeAlertmanager(alertmanagerGroup("resolved", "api-1"))
	if err != nil {
		t.Fatal(err)
	}
	payload, _ := json.Marshal(resolved[0])
	if _, _, err := w.store.Enqueue(context.Background(), store.Delivery{Kind: "alertmanager", Fingerprint: string(fpGroup), Payload: payload,
		Received: w.clock.Now(), NotBefore: w.clock.Now().Add(10 * time.Minute)}); err != nil {
		t.Fatal(err)
	}
	w.clock.Advance(time.Second)
	w.alertmanager(alertmanagerGroup("firing", "api-1", "api-2")) // the newer word, processed first
	w.drain()
	w.clock.Advance(10 * time.Minute)
	w.drain()
	is, _ := w.jira.Issue(key)
	if is.Status != "Open" {
		t.Errorf("issue %s is %q: an older resolve undid a newer firing", key, is.Status)
	}
	if st := w.state(string(fpGroup)); st.Deliveries != 3 || len(st.Firing) != 2 {
		t.Errorf("state: %d deliveries and %d firing, want 3 counted and the newer notification's 2 alerts", st.Deliveries, len(st.Firing))
	}
}

// What a failed create says about whether Jira made the issue.
func TestMayHaveCreated(t *testing.T) {
	urlErr := func(err error) error {
		return &url.Error{Op: "Post", URL: "https://acme.atlassian.net/rest/api/3/issue", Err: err}
	}
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"timeout", urlErr(context.DeadlineExceeded), true},
		{"connection cut after sending", urlErr(io.ErrUnexpectedEOF), true},
		{"502", &jira.APIError{Op: "create issue", Status: 502}, true},
		{"504", &jira.APIError{Op: "create issue", Status: 504}, true},
		{"500", &jira.APIError{Op: "create issue", Status: 500}, false},
		{"503", &jira.APIError{Op: "create issue", Status: 503}, false},
		{"429", &jira.APIError{Op: "create issue", Status: 429}, false},
		{"400", &jira.APIError{Op: "create issue", Status: 400}, false},
		{"never connected", urlErr(&net.OpError{Op: "dial", Err: errors.New("connection refused")}), false},
		{"not a request at all", errors.New("ticket: summary template: boom"), false},
	}
	for _, tt := range tests {
		if got := mayHaveCreated(fmt.Errorf("jira: create issue in OPS: %w", tt.err)); got != tt.want {
			t.Errorf("%s: mayHaveCreated = %v, want %v", tt.name, got, tt.want)
		}
	}
}

// How a batch's error decides its fate.
func TestClassifyAndPlanRetry(t *testing.T) {
	now := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	jiraURL := &url.Error{Op: "Get", URL: "https://acme.atlassian.net/rest/api/3/myself", Err: context.DeadlineExceeded}
	sentryURL := &url.Error{Op: "Get", URL: "https://sentry.io/api/0/x", Err: context.DeadlineExceeded}
	tests := []struct {
		name     string
		err      error
		jiraUp   bool
		attempts int
		want     retryPlan
	}{
		{"400 is permanent", &jira.APIError{Status: 400}, true, 0, retryPlan{Dead: true}},
		{"401 counts", &jira.APIError{Status: 401}, true, 1, retryPlan{Wait: backoff(1, 0)}},
		{"500 while Jira is down waits uncounted", &jira.APIError{Status: 500}, false, 4, retryPlan{Wait: backoff(2, 0), Uncounted: true}},
		{"500 while Jira is up counts", &jira.APIError{Status: 500}, true, 4, retryPlan{Wait: backoff(4, 0)}},
		{"429 while Jira is down waits uncounted", &jira.APIError{Status: 429}, false, 0, retryPlan{Wait: backoff(2, 0), Uncounted: true}},
		{"Jira unreachable waits uncounted", jiraURL, false, 0, retryPlan{Wait: backoff(2, 0), Uncounted: true}},
		{"Sentry unreachable counts", sentryURL, false, 0, retryPlan{Wait: backoff(0, 0)}},
		{"the search lag waits uncounted until it ends", &lagError{Until: now.Add(25 * time.Second)}, true, 3, retryPlan{Wait: 25 * time.Second, Uncounted: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var lagUntil time.Time
			var lag *lagError
			if errors.As(tt.err, &lag) {
				lagUntil = lag.Until
			}
			got := planRetry(classify(fmt.Errorf("wrapped: %w", tt.err), "acme.atlassian.net"), tt.jiraUp, tt.attempts, 2, lagUntil, now, 0)
			if got != tt.want {
				t.Errorf("plan = %+v, want %+v", got, tt.want)
			}
		})
	}
}

// A hundred and fifty problems at once are more than the burst Jira
// Cloud allows on its create endpoint: Jira answers 429 with Retry-After, the
// bot waits as told, and every problem still gets exactly one issue, with
// no dead letter.
func TestJirasRateLimitDelaysButLosesNothing(t *testing.T) {
	var throttled atomic.Int64
	w := newWorld(t, unchecked(), beforeStart(func(w *world) {
		base := w.checked
		w.checked = roundTripFunc(func(r *http.Request) (*http.Response, error) {
			res, err := base.RoundTrip(r)
			if err == nil && res.StatusCode == http.StatusTooManyRequests {
				throttled.Add(1)
			}
			return res, err
		})
	}))
	const groups = 150 // half again Jira's burst on its create endpoint
	for g := range groups {
		body := fmt.Sprintf(`{"version":"4","status":"firing","receiver":"ops","groupKey":"g%d","groupLabels":{"alertname":"A%d"},"commonLabels":{"alertname":"A%d"},"commonAnnotations":{"summary":"s"},"externalURL":"http://am","alerts":[]}`, g, g, g)
		if code := w.alertmanager([]byte(body)); code != http.StatusAccepted {
			t.Fatal(code)
		}
	}
	w.passTime(30*time.Minute, time.Minute)
	perLabel := map[string]int{}
	for _, is := range w.issues("fixproof") {
		for _, l := range is.Labels {
			perLabel[l]++
		}
	}
	for g := range groups {
		fp := loop.AlertmanagerFingerprint("ops", map[string]string{"alertname": fmt.Sprintf("A%d", g)})
		if n := perLabel[loop.Fingerprint(fp).Label()]; n != 1 {
			t.Fatalf("group %d has %d issues, want 1\n%s", g, n, tail(w.logs.String(), 2000))
		}
	}
	if d := w.dead(); len(d) != 0 {
		t.Errorf("%d dead letters: %+v", len(d), d[0])
	}
	if throttled.Load() == 0 {
		t.Error("Jira never answered 429: the test does not test its rate limit")
	}
}
