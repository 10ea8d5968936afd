package jirakey

import (
	"reflect"
	"slices"
	"testing"
)

func TestVisibleYieldsTheProseStretchesInOrder(t *testing.T) {
	for _, c := range []struct {
		md   string
		want []string
	}{
		{"", nil},
		{"a\nb", []string{"a\nb"}},
		{"a\n```\nx\n```\nb", []string{"a\n", "b"}},
		{"a<!-- x -->b<!--\nc\n-->d", []string{"a", "b", "d"}},
		{"<!-- x -->", nil},
		{"a\n```\nx", []string{"a\n"}},
		{"a<!--b", []string{"a"}},
		{"```\nx\n```", nil},
	} {
		if got := slices.Collect(visible(c.md)); !reflect.DeepEqual(got, c.want) {
			t.Errorf("visible(%q) = %q, want %q", c.md, got, c.want)
		}
	}
}

func TestVisibleStopsWhenTheConsumerDoes(t *testing.T) {
	for _, md := range []string{"a<!-- x -->b<!-- y -->c", "a\n```\nx\n```\nb\n```\ny\n```\nc"} {
		var got []string
		for s := range visible(md) {
			got = append(got, s)
			break
		}
		if len(got) != 1 || got[0][0] != 'a' {
			t.Errorf("visible(%q) after a break yielded %q, want only the first stretch", md, got)
		}
	}
}
