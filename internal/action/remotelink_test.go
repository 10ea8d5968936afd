package action

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/fixproof/fixproof/internal/sim/githubsim"
	"github.com/fixproof/fixproof/internal/sim/jirasim"
)

// Jira keeps a remote link's title in a 255-byte column; a long title in
// a language written with multi-byte characters must be cut on a
// character boundary, not in the middle of one.
func TestRemoteLinkTitleIsCutTo255BytesOnACharacterBoundary(t *testing.T) {
	w := newWorld(t, jirasim.Cloud)
	w.issue("OPS-1", "Open")
	pr := w.pr(githubsim.PullRequest{Title: "OPS-1 " + strings.Repeat("修复登录崩溃", 30), HeadRefName: "x"})
	if o := w.run("pull_request", w.event("pull_request/opened.payload.json", pr)); o.err != nil {
		t.Fatalf("run: %v\n%s", o.err, o.stdout)
	}
	is, _ := w.jira.Issue("OPS-1")
	if len(is.RemoteLinks) != 1 {
		t.Fatalf("%d remote links, want 1", len(is.RemoteLinks))
	}
	var obj struct {
		Title string `json:"title"`
	}
	if err := json.Unmarshal(is.RemoteLinks[0].Object, &obj); err != nil {
		t.Fatal(err)
	}
	full := fmt.Sprintf("%s#%d: %s", repoFull, pr.Number, pr.Title)
	// 255 bytes at most, and at most a character's worth (3 bytes) fewer.
	if len(obj.Title) > 255 || len(obj.Title) < 253 || !utf8.ValidString(obj.Title) || !strings.HasPrefix(full, obj.Title) {
		t.Errorf("remote link title %q (%d bytes), want the first 253 to 255 bytes of %q", obj.Title, len(obj.Title), full)
	}
}
