package jirasim

import (
	"strings"
	"testing"
)

// Jira refuses a label with any white space or control character, and
// counts its 255 characters in UTF-16 code units, as Java does.
func TestCheckLabelsIsAsStrictAsJira(t *testing.T) {
	for _, tt := range []struct {
		name, label string
		ok          bool
	}{
		{"plain", "sentry-web", true},
		{"accents and CJK", "alertmanager-équipe-支付", true},
		{"a space", "two words", false},
		{"carriage return", "ops\rteam", false},
		{"ideographic space", "ops\u3000team", false},
		{"em space", "ops\u2003team", false},
		{"no-break space", "ops\u00a0team", false},
		{"NUL", "ops\x00team", false},
		{"escape", "ops\x1bteam", false},
		{"delete", "ops\x7fteam", false},
		{"next line", "ops\u0085team", false},
		{"empty", "", false},
		{"255 ASCII", strings.Repeat("a", 255), true},
		{"256 ASCII", strings.Repeat("a", 256), false},
		{"255 two-byte characters", strings.Repeat("é", 255), true},
		{"128 emoji are 256 UTF-16 units", strings.Repeat("🔥", 128), false},
		{"127 emoji are 254 UTF-16 units", strings.Repeat("🔥", 127), true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			msg := checkLabels([]string{tt.label})
			if (msg == "") != tt.ok {
				t.Errorf("checkLabels(%q) = %q, want accepted %v", tt.label, msg, tt.ok)
			}
		})
	}
}
