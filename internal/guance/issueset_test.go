package guance

import (
	"reflect"
	"testing"
	"time"
)

func TestIssueSetKeepsTheLaterVersionWithEveryChannel(t *testing.T) {
	t0 := time.Unix(1_700_000_000, 0)
	set := issueSet{}
	set.add(Issue{UUID: "i1", Name: "first", UpdateAt: t0, Channels: []string{"a"}})
	set.add(Issue{UUID: "i1", Name: "newer", UpdateAt: t0.Add(time.Minute), Channels: []string{"b", "a"}})
	set.add(Issue{UUID: "i1", Name: "older", UpdateAt: t0, Channels: []string{"c"}})
	set.add(Issue{UUID: "i1", Name: "tie", UpdateAt: t0.Add(time.Minute), Channels: []string{"c"}})
	set.add(Issue{UUID: "i0", Name: "other", UpdateAt: t0.Add(time.Minute)})
	set.add(Issue{UUID: "i2", Name: "oldest", UpdateAt: t0.Add(-time.Minute)})
	got := set.sorted()
	var names []string
	for _, is := range got {
		names = append(names, is.Name)
	}
	if want := []string{"oldest", "other", "newer"}; !reflect.DeepEqual(names, want) {
		t.Fatalf("sorted names %q, want %q (oldest update first, then by UUID)", names, want)
	}
	if want := []string{"a", "b", "c"}; !reflect.DeepEqual(got[2].Channels, want) {
		t.Errorf("channels %q, want %q", got[2].Channels, want)
	}
}

func TestIssueQueryWindowIsWholeSecondsNeverNarrower(t *testing.T) {
	noon := time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		start, end         time.Time
		wantStart, wantEnd int64
	}{
		{noon, noon.Add(time.Minute), noon.Unix(), noon.Unix() + 60},
		{noon.Add(300 * time.Millisecond), noon.Add(time.Minute + time.Millisecond), noon.Unix(), noon.Unix() + 61},
	} {
		s, e := IssueQuery{Start: c.start, End: c.end}.window()
		if s != c.wantStart || e != c.wantEnd {
			t.Errorf("window(%s, %s) = %d, %d, want %d, %d", c.start, c.end, s, e, c.wantStart, c.wantEnd)
		}
	}
}
