package webhook

import (
	"os"
	"strings"
	"testing"

	"github.com/fixproof/fixproof/internal/contract"
)

func TestDecodeSentryCommentExample(t *testing.T) {
	body, err := os.ReadFile(contract.RequireFile(t, "sentry/webhooks/comment.created.json"))
	if err != nil {
		t.Fatal(err)
	}
	c, err := DecodeSentryComment(body, "acme")
	if err != nil {
		t.Fatal(err)
	}
	if c.Action != "created" || c.IssueID != "100" || c.CommentID != "1234" || c.Text != "adding a comment" ||
		c.Project != "sentry" || c.ActorType != "user" || c.ActorID != "1" || c.ActorName != "colleen" || c.At.IsZero() {
		t.Errorf("decoded %+v", c)
	}
}

func TestDecodeSentryCommentErrors(t *testing.T) {
	tests := []struct{ body, want string }{
		{`{`, "sentry comment webhook"},
		{`{"data":{}}`, "action: missing"},
		{`{"action":"exploded","data":{}}`, `action: "exploded"`},
		{`{"action":"created"}`, "data: missing"},
		{`{"action":"created","data":{"comment":"x","comment_id":1,"issue_id":"abc"}}`, "data.issue_id"},
		{`{"action":"created","data":{"comment":"x","issue_id":1}}`, "data.comment_id: missing"},
		{`{"action":"created","data":{"comment_id":1,"issue_id":1}}`, "data.comment: missing"},
	}
	for _, tt := range tests {
		if _, err := DecodeSentryComment([]byte(tt.body), "acme"); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err %v, want %q", tt.body, err, tt.want)
		}
	}
	if c, err := DecodeSentryComment([]byte(`{"action":"deleted","data":{"comment_id":"7","issue_id":"9"}}`), "acme"); err != nil || c.CommentID != "7" {
		t.Errorf("a deletion carries no text: %+v %v", c, err)
	}
	if _, err := DecodeSentryComment([]byte(`{"action":"deleted","data":{"comment_id":7,"issue_id":9}}`), ""); err == nil {
		t.Error("no org anywhere must be an error")
	}
}

func FuzzDecodeSentryComment(f *testing.F) {
	f.Add([]byte(`{"action":"created","data":{"comment":"x","comment_id":1,"issue_id":2},"actor":{"type":"user","id":1}}`))
	f.Add([]byte(`{"action":"deleted","data":{"comment_id":"1","issue_id":"2"}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		c, err := DecodeSentryComment(body, "acme")
		if err == nil && (c.IssueID == "" || c.CommentID == "") {
			t.Errorf("decoded without ids: %+v", c)
		}
	})
}

// A long value quoted in an error is cut on a character boundary: half a
// character would show as \x escapes (or break a UTF-8 log line).
func TestCommentErrorsCutValuesOnCharacterBoundaries(t *testing.T) {
	long := strings.Repeat("é", 30) // 60 bytes: byte 40 is mid-character for a 39-byte cut
	for _, body := range []string{
		`{"action":"x` + long + `","data":{}}`,
		`{"action":"created","data":{"comment":"x","comment_id":1,"issue_id":"x` + long + `"}}`,
	} {
		_, err := DecodeSentryComment([]byte(body), "acme")
		if err == nil {
			t.Fatalf("%s: no error", body)
		}
		if msg := err.Error(); strings.Contains(msg, `\x`) || !strings.Contains(msg, "xéé") || !strings.Contains(msg, "...") {
			t.Errorf("error %q: want the value cut whole and marked", msg)
		}
	}
}
