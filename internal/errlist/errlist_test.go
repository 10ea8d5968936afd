package errlist

import (
	"errors"
	"fmt"
	"testing"
)

func TestSplitListsTheJoinedProblems(t *testing.T) {
	a, b := errors.New("a"), errors.New("b")
	if got := Split(errors.Join(a, b)); len(got) != 2 || got[0] != a || got[1] != b {
		t.Errorf("joined: %v", got)
	}
	if got := Split(a); len(got) != 1 || got[0] != a {
		t.Errorf("one: %v", got)
	}
	// A joined error wrapped with context stays one problem, its context kept.
	wrapped := fmt.Errorf("config: %w", errors.Join(a, b))
	if got := Split(wrapped); len(got) != 1 || got[0] != wrapped {
		t.Errorf("wrapped: %v", got)
	}
	if got := Split(nil); got != nil {
		t.Errorf("nil: %v", got)
	}
}
