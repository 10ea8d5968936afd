package uniq

import (
	"slices"
	"testing"
)

func TestConcatKeepsFirstAppearances(t *testing.T) {
	for _, tc := range []struct {
		name  string
		lists [][]string
		want  []string
	}{
		{"nothing", nil, nil},
		{"empty lists", [][]string{{}, nil}, nil},
		{"one list with repeats", [][]string{{"A", "B", "A"}}, []string{"A", "B"}},
		{"later lists add only new items", [][]string{{"OPS-2"}, {"OPS-1", "OPS-2"}, {"OPS-3", "OPS-1"}}, []string{"OPS-2", "OPS-1", "OPS-3"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Concat(tc.lists...); !slices.Equal(got, tc.want) {
				t.Errorf("Concat(%q) = %q, want %q", tc.lists, got, tc.want)
			}
		})
	}
}

func TestConcatComparesWholeValues(t *testing.T) {
	type link struct{ org, id string }
	got := Concat([]link{{"acme", "1"}, {"other", "1"}}, []link{{"acme", "1"}})
	if want := []link{{"acme", "1"}, {"other", "1"}}; !slices.Equal(got, want) {
		t.Errorf("Concat = %v, want %v", got, want)
	}
}
