//go:build race

package bot

// raceEnabled scales the largest storms down under the race detector,
// which makes every HTTP round trip many times slower: the races are found
// as well with fewer deliveries, and `go test -race -count=20` stays within
// go test's default timeout.
const raceEnabled = true
