package jirahook

import (
	"testing"
	"time"
)

func TestCommentActorIsTheUpdaterExceptOnCreation(t *testing.T) {
	author, updater := User{AccountID: "author"}, User{AccountID: "updater"}
	cases := []struct {
		kind string
		c    Comment
		want User
	}{
		{CommentCreated, Comment{Author: author, UpdateAuthor: updater}, author},
		{CommentUpdated, Comment{Author: author, UpdateAuthor: updater}, updater},
		{CommentDeleted, Comment{Author: author, UpdateAuthor: updater}, updater},
		{CommentUpdated, Comment{Author: author}, author},
	}
	for _, c := range cases {
		if got := commentActor(c.kind, &c.c); got != c.want {
			t.Errorf("commentActor(%s, %+v) = %+v, want %+v", c.kind, c.c, got, c.want)
		}
	}
}

func TestCommentTimeIsTheLastWrite(t *testing.T) {
	created := time.Date(2024, 6, 1, 10, 0, 0, 0, time.UTC)
	updated := created.Add(time.Hour)
	if got := commentTime(&Comment{Created: created, Updated: updated}); !got.Equal(updated) {
		t.Errorf("commentTime with both = %v, want updated %v", got, updated)
	}
	if got := commentTime(&Comment{Created: created}); !got.Equal(created) {
		t.Errorf("commentTime without updated = %v, want created %v", got, created)
	}
}

func TestStatusCategoryOnlyOfTheStatusMovedTo(t *testing.T) {
	cases := []struct {
		name string
		iss  *wireIssue
		to   string
		want string
	}{
		{"same status", &wireIssue{statusName: "Done", category: "done"}, "Done", "done"},
		{"same status, other case", &wireIssue{statusName: "done", category: "done"}, "Done", "done"},
		{"issue status without a name", &wireIssue{category: "done"}, "Done", "done"},
		{"issue in another status", &wireIssue{statusName: "Open", category: "new"}, "Done", ""},
		{"no status change", &wireIssue{statusName: "Done", category: "done"}, "", ""},
		{"no issue", nil, "Done", ""},
	}
	for _, c := range cases {
		if got := statusCategory(c.iss, c.to); got != c.want {
			t.Errorf("%s: statusCategory = %q, want %q", c.name, got, c.want)
		}
	}
}
