// Package errlist splits an error that lists several problems (one made
// with errors.Join) into them, for messages that show a problem a line.
package errlist

// Split is the errors err joins, or err alone when it joins none; nil for
// nil.
func Split(err error) []error {
	if err == nil {
		return nil
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}
