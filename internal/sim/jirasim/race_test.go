//go:build race

package jirasim

// raceBuild is set under the race detector, which finds nothing in the
// single-goroutine differential ADF test but slows it several times: it
// then runs a shorter sample.
const raceBuild = true
