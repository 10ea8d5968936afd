package loop

import (
	"strings"
	"testing"
)

func TestValidOrgSlugTakesSentrysSlugsOnly(t *testing.T) {
	for _, tt := range []struct {
		slug string
		want bool
	}{
		{"acme", true},
		{"acme-corp_2", true},
		{"0day", true},
		{"a", true},
		{strings.Repeat("a", 50), true},
		{strings.Repeat("a", 51), false},
		{"", false},
		{"Acme", false},
		{"-acme", false},
		{"_acme", false},
		{"acme inc", false},
		{"acme/../x", false},
		{"acme\n", false},
	} {
		if got := ValidOrgSlug(tt.slug); got != tt.want {
			t.Errorf("ValidOrgSlug(%q) = %v, want %v", tt.slug, got, tt.want)
		}
	}
}
