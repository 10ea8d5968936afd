// Package duration reads the durations people write in fixproof's inputs
// and settings: Go's form ("90s", "1h30m") or whole days ("7d"), which
// timeouts and windows are usually given in.
package duration

import (
	"math"
	"strconv"
	"strings"
	"time"
)

const day = 24 * time.Hour

// Parse reads s, ignoring surrounding white space. It accepts zero ("0",
// "0s", "0d"): a setting may mean "off" by it, and a caller for whom zero
// means nothing rejects it itself. It refuses negative durations and a
// number of days too large for a time.Duration, which would otherwise wrap
// around.
func Parse(s string) (time.Duration, bool) {
	s = strings.TrimSpace(s)
	if days, ok := strings.CutSuffix(s, "d"); ok {
		if n, err := strconv.Atoi(days); err == nil && n >= 0 && int64(n) <= math.MaxInt64/int64(day) {
			return time.Duration(n) * day, true
		}
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, false
	}
	return d, true
}
