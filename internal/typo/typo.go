// Package typo finds the word a misspelt one was meant to be, for error
// messages that suggest the right key.
package typo

import (
	"strings"

	"github.com/agnivade/levenshtein"
)

// Nearest is the candidate closest to name by edit distance, when it is
// close enough to be a typo of it (case ignored): at most one edit in
// three characters (rounded up from two), and at least one. "" when none is.
func Nearest(name string, candidates []string) string {
	best, bestDist := "", max(1, (len([]rune(name))+1)/3)+1
	for _, c := range candidates {
		if d := levenshtein.ComputeDistance(strings.ToLower(name), strings.ToLower(c)); d < bestDist {
			best, bestDist = c, d
		}
	}
	return best
}
