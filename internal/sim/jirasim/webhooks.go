package jirasim

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/fixproof/fixproof/internal/sim"
)

// This file makes the server send admin webhooks as Jira does when
// comments change and issues change status.
//
// What it rests on (Atlassian's webhook documentation, as excerpted in
// shared/contracts/SOURCES.md, Atlassian's announcement of the Cloud retry
// policy, and the REST shapes of the Jira Cloud OpenAPI document):
//
//   - Each event is POSTed as JSON to every registered webhook that
//     subscribes to it, with X-Atlassian-Webhook-Identifier (unique per
//     delivery, the same on its retries), X-Atlassian-Webhook-Flow:
//     Primary, and, when the webhook has a secret, X-Hub-Signature:
//     "sha256=" + hex HMAC-SHA256 of the body keyed with the secret.
//   - A delivery answered 408, 409, 425, 429 or 5xx, or whose connection
//     fails, is retried with X-Atlassian-Webhook-Retry: n (the retry
//     count); other answers, 4xx included, are final. Retries mean a
//     webhook may arrive more than once, and deliveries are concurrent: the
//     order of the events of an issue is not kept.
//   - Bodies: {"timestamp" (ms), "webhookEvent", "comment", "issue"} for
//     comment_created, comment_updated and comment_deleted, where comment
//     is the REST Comment (as GET .../comment/{id} renders it) and issue
//     {id, self, key, fields: summary, status, issuetype, project,
//     priority}; {"timestamp", "webhookEvent": "jira:issue_updated",
//     "issue_event_type_name", "user", "issue" (all fields), "changelog":
//     {id, items: [{field, fieldtype, fieldId, from, fromString, to,
//     toString}]}} for issue updates. A comment change also sends
//     jira:issue_updated ("issue_commented", "issue_comment_edited",
//     "issue_comment_deleted") with the comment and no changelog, as Jira
//     still does for webhooks that subscribe to issue updates.
//   - Comment bodies are ADF on Cloud (the REST v3 shape) and wiki markup
//     strings on Data Center (v2). Atlassian's admin webhooks on Cloud are
//     also seen with REST v2 shapes (string bodies, /rest/api/2 self
//     links); WebhookBodiesV2 simulates that.
//
// The retry timing is compressed for tests (see WebhookConfig): Jira
// spreads retries over minutes.

// User is a Jira user: someone commenting or transitioning in Jira, or the
// account the API credentials belong to (Options.Account). On Cloud a user
// is identified by AccountID, on Data Center by Name (the username).
type User struct {
	AccountID, Name    string
	DisplayName, Email string
}

// Defaults of Options.Account.
const (
	defaultAccountName  = "fixproof"
	defaultAccountTitle = "Fixproof Bot"
	defaultAccountKey   = "JIRAUSER10000"
)

// Admin is who changes a status through SetStatus: a person, not the API
// account.
var Admin = User{AccountID: "557058:7c1f3c70-jirasim-admin", Name: "admin", DisplayName: "Jira Admin", Email: "admin@example.com"}

// account is the API account with defaults filled in.
func (s *Server) account() User {
	u := s.opts.Account
	if u.AccountID == "" {
		u.AccountID = cloudAccountID
	}
	if u.Name == "" {
		u.Name = defaultAccountName
	}
	if u.DisplayName == "" {
		u.DisplayName = defaultAccountTitle
	}
	return u
}

// Account is the user the API credentials belong to: the author of
// comments written through the API and the actor of transitions made
// through it.
func (s *Server) Account() User { return s.account() }

// userOf resolves a stored author: nil is the API account.
func (s *Server) userOf(u *User) User {
	if u == nil {
		return s.account()
	}
	return *u
}

// userJSON renders a user in the flavor's UserDetails shape; the email
// address is sent when known.
func (c *call) userJSON(u User) map[string]any {
	var m map[string]any
	if c.cloud() {
		m = map[string]any{
			"self":        c.api() + "/user?accountId=" + url.QueryEscape(u.AccountID),
			"accountId":   u.AccountID,
			"accountType": "atlassian",
			"displayName": u.DisplayName,
			"active":      true,
			"timeZone":    "Etc/UTC",
		}
	} else {
		key := u.Name
		if u == c.s.account() {
			key = defaultAccountKey
		}
		m = map[string]any{
			"self":        c.api() + "/user?username=" + url.QueryEscape(u.Name),
			"name":        u.Name,
			"key":         key,
			"displayName": u.DisplayName,
			"active":      true,
			"timeZone":    "Etc/UTC",
		}
	}
	if u.Email != "" {
		m["emailAddress"] = u.Email
	}
	return m
}

// WebhookConfig tunes delivery.
type WebhookConfig struct {
	// Retries is how many times a failed delivery is retried; 0 means 5,
	// negative none.
	Retries int
	// Backoff is the wait before the first retry, doubled for each next
	// one (at most 2s); 0 means 10ms.
	Backoff time.Duration
	// Client sends the requests; nil means a client with a 10s timeout.
	Client *http.Client
}

// WebhookAttempt is one delivery attempt, for test assertions.
type WebhookAttempt struct {
	// ID is the X-Atlassian-Webhook-Identifier; Event the webhookEvent;
	// Issue the issue key; URL the webhook's.
	ID, Event, Issue, URL string
	// Retry is the X-Atlassian-Webhook-Retry count (0 on a first attempt).
	Retry int
	// Status is the answer's status; 0 when the request failed (Err) or
	// the delivery was dropped.
	Status int
	Err    string
	// Dropped marks a delivery lost by DropNextWebhooks: nothing was sent.
	Dropped bool
}

// webhooks is the delivery state. Its mutex is never held while s.mu is
// taken, so events can be queued with s.mu held.
type webhooks struct {
	mu       sync.Mutex
	hooks    []*webhook
	cfg      WebhookConfig
	paused   bool
	queue    []*delivery
	drop     int
	dup      int
	inflight int
	changed  chan struct{} // closed and replaced when inflight or queue shrink
	log      []WebhookAttempt
	base     string // SetWebhookBaseURL
	lastBase string // the base URL of the last API request
	v2       bool   // WebhookBodiesV2

	// nextChangelog numbers changelogs; guarded by the Server's mu.
	nextChangelog int
}

type webhook struct {
	url, secret string
	events      []string // nil: all
}

type delivery struct {
	hook   *webhook
	id     string
	event  string
	issue  string
	body   []byte
	copies int // 2 when DuplicateNextWebhooks applied
}

// AddWebhook registers a listener as a Jira admin would: the events named
// (webhookEvent values: "comment_created", "comment_updated",
// "comment_deleted", "jira:issue_updated", "issue_property_set"; none
// means all) are POSTed to
// url, signed with secret when it is not empty. Delivery is asynchronous
// and concurrent, so events of one issue may arrive out of order, as on
// Jira.
func (s *Server) AddWebhook(url, secret string, events ...string) {
	w := &s.wh
	w.mu.Lock()
	defer w.mu.Unlock()
	w.hooks = append(w.hooks, &webhook{url: url, secret: secret, events: slices.Clone(events)})
}

// ConfigureWebhooks sets retries, backoff and the HTTP client.
func (s *Server) ConfigureWebhooks(cfg WebhookConfig) {
	w := &s.wh
	w.mu.Lock()
	defer w.mu.Unlock()
	w.cfg = cfg
}

// SetWebhookBaseURL sets the site address webhook bodies use in self
// links. Until it is set they use the address of the last API request
// served, or https://jirasim.invalid before any.
func (s *Server) SetWebhookBaseURL(base string) {
	w := &s.wh
	w.mu.Lock()
	defer w.mu.Unlock()
	w.base = base
}

// WebhookBodiesV2 makes a Cloud server's webhooks use REST v2 shapes
// (comment bodies as wiki markup strings, /rest/api/2 self links), as
// Cloud admin webhooks have been seen to. Data Center always does.
func (s *Server) WebhookBodiesV2(on bool) {
	w := &s.wh
	w.mu.Lock()
	defer w.mu.Unlock()
	w.v2 = on
}

// PauseWebhooks holds new deliveries in a queue until ResumeWebhooks or
// FlushWebhooks.
func (s *Server) PauseWebhooks() {
	w := &s.wh
	w.mu.Lock()
	defer w.mu.Unlock()
	w.paused = true
}

// ResumeWebhooks ends a pause and sends the queued deliveries, each on its
// own (in no particular order).
func (s *Server) ResumeWebhooks() {
	w := &s.wh
	w.mu.Lock()
	defer w.mu.Unlock()
	w.paused = false
	q := w.queue
	w.queue = nil
	for _, d := range q {
		w.inflight++
		go w.run(d)
	}
	w.notify()
}

// DropNextWebhooks loses the next n deliveries: they are never sent, as
// when Jira misses a webhook.
func (s *Server) DropNextWebhooks(n int) {
	w := &s.wh
	w.mu.Lock()
	defer w.mu.Unlock()
	w.drop += n
}

// DuplicateNextWebhooks sends the next n deliveries twice: the second
// time with the same identifier and X-Atlassian-Webhook-Retry, as Jira
// re-sends a webhook whose acknowledgement it missed.
func (s *Server) DuplicateNextWebhooks(n int) {
	w := &s.wh
	w.mu.Lock()
	defer w.mu.Unlock()
	w.dup += n
}

// FlushWebhooks sends the queued deliveries one after another, oldest
// first or, with reverse, newest first, and returns when they are done
// (retries included). A pause stays in force for later events.
func (s *Server) FlushWebhooks(reverse bool) {
	w := &s.wh
	w.mu.Lock()
	q := w.queue
	w.queue = nil
	w.inflight += len(q)
	w.mu.Unlock()
	if reverse {
		slices.Reverse(q)
	}
	for _, d := range q {
		w.run(d)
	}
}

// WaitWebhooks waits until no delivery is in flight (retries included)
// and, unless paused, none is queued; deliveries held by PauseWebhooks are
// not waited for. It returns ctx's error if ctx ends first.
func (s *Server) WaitWebhooks(ctx context.Context) error {
	w := &s.wh
	for {
		w.mu.Lock()
		if w.inflight == 0 && (w.paused || len(w.queue) == 0) {
			w.mu.Unlock()
			return nil
		}
		ch := w.wait()
		w.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// WebhookLog lists every delivery attempt so far, in the order made.
func (s *Server) WebhookLog() []WebhookAttempt {
	w := &s.wh
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Clone(w.log)
}

// wait returns a channel closed at the next change. w.mu is held.
func (w *webhooks) wait() chan struct{} {
	if w.changed == nil {
		w.changed = make(chan struct{})
	}
	return w.changed
}

// notify wakes waiters. w.mu is held.
func (w *webhooks) notify() {
	if w.changed != nil {
		close(w.changed)
		w.changed = nil
	}
}

// noteBase remembers the base URL of an API request.
func (w *webhooks) noteBase(base string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.lastBase = base
}

// wants reports whether any webhook subscribes to event.
func (w *webhooks) wants(event string) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, h := range w.hooks {
		if h.wants(event) {
			return true
		}
	}
	return false
}

func (h *webhook) wants(event string) bool {
	return len(h.events) == 0 || slices.Contains(h.events, event)
}

// enqueue sends body to every webhook subscribed to event: now, or later
// when paused. It may be called with the Server's mu held.
func (w *webhooks) enqueue(event, issueKey string, body []byte) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, h := range w.hooks {
		if !h.wants(event) {
			continue
		}
		d := &delivery{hook: h, id: sim.UUID(), event: event, issue: issueKey, body: body, copies: 1}
		if w.drop > 0 {
			w.drop--
			w.log = append(w.log, WebhookAttempt{ID: d.id, Event: event, Issue: issueKey, URL: h.url, Dropped: true})
			continue
		}
		if w.dup > 0 {
			w.dup--
			d.copies = 2
		}
		if w.paused {
			w.queue = append(w.queue, d)
			continue
		}
		w.inflight++
		go w.run(d)
	}
}

// run sends a delivery (each copy, with retries). The caller counted it in
// inflight.
func (w *webhooks) run(d *delivery) {
	defer func() {
		w.mu.Lock()
		w.inflight--
		w.notify()
		w.mu.Unlock()
	}()
	w.mu.Lock()
	cfg := w.cfg
	w.mu.Unlock()
	retries, backoff, client := cfg.Retries, cfg.Backoff, cfg.Client
	switch {
	case retries == 0:
		retries = 5
	case retries < 0:
		retries = 0
	}
	if backoff <= 0 {
		backoff = 10 * time.Millisecond
	}
	if client == nil {
		client = defaultWebhookClient
	}
	retry := 0
	for n := 0; n < d.copies; n++ {
		if n > 0 {
			retry++ // Jira's re-send after a lost acknowledgement is a retry
		}
		for first := retry; ; retry++ {
			status, err := d.post(client, retry)
			a := WebhookAttempt{ID: d.id, Event: d.event, Issue: d.issue, URL: d.hook.url, Retry: retry, Status: status}
			if err != nil {
				a.Err = err.Error()
			}
			w.mu.Lock()
			w.log = append(w.log, a)
			w.mu.Unlock()
			if err == nil && status/100 == 2 || !retryable(status, err) || retry-first >= retries {
				break
			}
			time.Sleep(min(backoff<<(retry-first), 2*time.Second))
		}
	}
}

var defaultWebhookClient = &http.Client{Timeout: 10 * time.Second}

// retryable reports whether Jira retries a delivery that got status (or
// err): connection failures, 408, 409, 425, 429 and 5xx.
func retryable(status int, err error) bool {
	if err != nil {
		return true
	}
	switch status {
	case http.StatusRequestTimeout, http.StatusConflict, http.StatusTooEarly, http.StatusTooManyRequests:
		return true
	}
	return status >= 500
}

// post makes one attempt.
func (d *delivery) post(client *http.Client, retry int) (int, error) {
	req, err := http.NewRequest(http.MethodPost, d.hook.url, bytes.NewReader(d.body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "jirasim-webhooks")
	req.Header.Set("X-Atlassian-Webhook-Identifier", d.id)
	req.Header.Set("X-Atlassian-Webhook-Flow", "Primary")
	if retry > 0 {
		req.Header.Set("X-Atlassian-Webhook-Retry", strconv.Itoa(retry))
	}
	if d.hook.secret != "" {
		mac := hmac.New(sha256.New, []byte(d.hook.secret))
		mac.Write(d.body)
		req.Header.Set("X-Hub-Signature", "sha256="+hex.EncodeToString(mac.Sum(nil)))
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	return resp.StatusCode, nil
}

// hookCall is the rendering context of webhook bodies: the site's base
// URL and the REST version whose shapes they use. s.mu is held.
func (s *Server) hookCall() *call {
	w := &s.wh
	w.mu.Lock()
	base, v2 := w.base, w.v2
	if base == "" {
		base = w.lastBase
	}
	w.mu.Unlock()
	if base == "" {
		base = "https://jirasim.invalid"
	}
	v := "3"
	if s.opts.Flavor != Cloud || v2 {
		v = "2"
	}
	return &call{s: s, v: v, base: base}
}

// marshalHook encodes a webhook body as Jira does (no HTML escaping).
func marshalHook(v any) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		panic("jirasim: webhook body: " + err.Error())
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

// commentEventTypes maps comment webhooks to the issue_event_type_name of
// the jira:issue_updated sent with them.
var commentEventTypes = map[string]string{
	"comment_created": "issue_commented",
	"comment_updated": "issue_comment_edited",
	"comment_deleted": "issue_comment_deleted",
}

// emitComment sends a comment webhook (and its jira:issue_updated) about
// cm of is; actor did it (nil: the API account). s.mu is held.
func (s *Server) emitComment(event string, is *issue, cm *comment, actor *User) {
	wantComment, wantIssue := s.wh.wants(event), s.wh.wants("jira:issue_updated")
	if !wantComment && !wantIssue {
		return
	}
	c := s.hookCall()
	ts := s.now().UnixMilli()
	cj := c.commentJSON(is, cm, false)
	if wantComment {
		s.wh.enqueue(event, is.key, marshalHook(map[string]any{
			"timestamp":    ts,
			"webhookEvent": event,
			"comment":      cj,
			"issue":        c.issueJSON(is, parseFieldSel([]string{"summary,status,issuetype,project,priority"}, ""), nil, false),
		}))
	}
	if wantIssue {
		s.wh.enqueue("jira:issue_updated", is.key, marshalHook(map[string]any{
			"timestamp":             ts,
			"webhookEvent":          "jira:issue_updated",
			"issue_event_type_name": commentEventTypes[event],
			"user":                  c.userJSON(s.userOf(actor)),
			"issue":                 c.issueJSON(is, parseFieldSel(nil, "*all"), nil, false),
			"comment":               cj,
		}))
	}
}

// emitStatus sends jira:issue_updated for a status change of is from
// status from with resolution fromRes; actor did it (nil: the API
// account). s.mu is held.
func (s *Server) emitStatus(is *issue, from Status, fromRes string, actor *User) {
	if !s.wh.wants("jira:issue_updated") {
		return
	}
	to := is.statusOf()
	if from.Name == to.Name {
		return
	}
	c := s.hookCall()
	items := []any{map[string]any{
		"field": "status", "fieldtype": "jira", "fieldId": "status",
		"from": from.ID, "fromString": from.Name, "to": to.ID, "toString": to.Name,
	}}
	if fromRes != is.resolution {
		item := map[string]any{"field": "resolution", "fieldtype": "jira", "fieldId": "resolution"}
		if fromRes != "" {
			item["from"], item["fromString"] = resolutionID(fromRes), fromRes
		}
		if is.resolution != "" {
			item["to"], item["toString"] = resolutionID(is.resolution), is.resolution
		}
		items = append(items, item)
	}
	s.wh.nextChangelog++
	s.wh.enqueue("jira:issue_updated", is.key, marshalHook(map[string]any{
		"timestamp":             s.now().UnixMilli(),
		"webhookEvent":          "jira:issue_updated",
		"issue_event_type_name": "issue_generic",
		"user":                  c.userJSON(s.userOf(actor)),
		"issue":                 c.issueJSON(is, parseFieldSel(nil, "*all"), nil, false),
		"changelog": map[string]any{
			"id":    strconv.Itoa(10000 + s.wh.nextChangelog),
			"items": items,
		},
	}))
}

// emitProperty sends issue_property_set for property key of is, now
// value. Atlassian lists the event (the REST API's Webhook.events, with
// issuePropertyKeysFilter) but documents no body: this one carries what
// the other issue events do, the timestamp, the event and the issue's id,
// self and key, and the property as the property endpoints render it,
// {key, value}. s.mu is held.
func (s *Server) emitProperty(is *issue, key string, value json.RawMessage) {
	if !s.wh.wants("issue_property_set") {
		return
	}
	c := s.hookCall()
	s.wh.enqueue("issue_property_set", is.key, marshalHook(map[string]any{
		"timestamp":    s.now().UnixMilli(),
		"webhookEvent": "issue_property_set",
		"issue":        map[string]any{"id": is.id, "self": c.api() + "/issue/" + is.id, "key": is.key},
		"property":     map[string]any{"key": key, "value": value},
	}))
}

// checkPerson validates a person acting in Jira for the flavor.
func (s *Server) checkPerson(what string, u User) error {
	if s.opts.Flavor == Cloud && u.AccountID == "" {
		return fmt.Errorf("jirasim: %s: a Cloud user needs an AccountID", what)
	}
	if s.opts.Flavor != Cloud && u.Name == "" {
		return fmt.Errorf("jirasim: %s: a Data Center user needs a Name", what)
	}
	return nil
}

// personBody validates a comment body written in Jira's editor: an ADF
// document, or a string of wiki markup.
func (s *Server) personBody(what string, body json.RawMessage) (json.RawMessage, bool, error) {
	body = bytes.TrimSpace(body)
	if len(body) > 0 && body[0] == '"' {
		var text string
		if json.Unmarshal(body, &text) != nil || text == "" {
			return nil, false, fmt.Errorf("jirasim: %s: empty or invalid body", what)
		}
		return compact(body), false, nil
	}
	if p := s.adfProblem(body); p != "" {
		return nil, false, fmt.Errorf("jirasim: %s: body is not a valid ADF document (%s)", what, p)
	}
	if adfEmpty(body) {
		return nil, false, fmt.Errorf("jirasim: %s: empty ADF document", what)
	}
	return compact(body), true, nil
}

// CommentAs adds a comment by a person working in Jira (not through the
// API credentials) and returns its id; it sends comment_created. The body
// is an ADF document or a JSON string of wiki markup. On Cloud the author
// needs an AccountID, on Data Center a Name.
func (s *Server) CommentAs(key string, author User, body json.RawMessage) (string, error) {
	if err := s.checkPerson("CommentAs", author); err != nil {
		return "", err
	}
	b, adf, err := s.personBody("CommentAs", body)
	if err != nil {
		return "", err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	is := s.lookup(key)
	if is == nil {
		return "", fmt.Errorf("jirasim: CommentAs: no issue %s", key)
	}
	now := s.now()
	a := author
	cm := &comment{id: itoa(s.nextComment), body: b, adf: adf, props: map[string]json.RawMessage{},
		created: now, updated: now, author: &a, updateAuthor: &a}
	s.nextComment++
	is.comments = append(is.comments, cm)
	is.updated = now
	s.emitComment("comment_created", is, cm, &a)
	return cm.id, nil
}

// EditCommentAs replaces a comment's body as a person in Jira would; it
// sends comment_updated.
func (s *Server) EditCommentAs(key, id string, editor User, body json.RawMessage) error {
	if err := s.checkPerson("EditCommentAs", editor); err != nil {
		return err
	}
	b, adf, err := s.personBody("EditCommentAs", body)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	is, _, cm, err := s.findComment("EditCommentAs", key, id)
	if err != nil {
		return err
	}
	e := editor
	cm.body, cm.adf, cm.updated, cm.updateAuthor = b, adf, s.now(), &e
	s.emitComment("comment_updated", is, cm, &e)
	return nil
}

// DeleteCommentAs deletes a comment as a person in Jira would; it sends
// comment_deleted.
func (s *Server) DeleteCommentAs(key, id string, actor User) error {
	if err := s.checkPerson("DeleteCommentAs", actor); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	is, i, cm, err := s.findComment("DeleteCommentAs", key, id)
	if err != nil {
		return err
	}
	is.comments = slices.Delete(is.comments, i, i+1)
	a := actor
	s.emitComment("comment_deleted", is, cm, &a)
	return nil
}

// findComment finds a comment of an issue. s.mu is held.
func (s *Server) findComment(what, key, id string) (*issue, int, *comment, error) {
	is := s.lookup(key)
	if is == nil {
		return nil, 0, nil, fmt.Errorf("jirasim: %s: no issue %s", what, key)
	}
	for i, cm := range is.comments {
		if cm.id == id {
			return is, i, cm, nil
		}
	}
	return nil, 0, nil, fmt.Errorf("jirasim: %s: no comment %s on %s", what, id, key)
}

// SetStatusAs is SetStatus by a given person: the jira:issue_updated it
// sends names actor as its user.
func (s *Server) SetStatusAs(key, status string, actor User) error {
	return s.setStatus(key, status, &actor)
}
