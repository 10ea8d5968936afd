// Package uniq joins lists without repeats, keeping each item where it first
// appears: keys from a PR's title, branch, body and commits, or Sentry links
// from a description, remote links and the issue property, in the order a
// reader meets them.
package uniq

// Concat joins lists into one, dropping every repeat of an item already
// seen; nil when there is nothing.
func Concat[T comparable](lists ...[]T) []T {
	var out []T
	seen := make(map[T]bool)
	for _, list := range lists {
		for _, v := range list {
			if !seen[v] {
				seen[v] = true
				out = append(out, v)
			}
		}
	}
	return out
}
