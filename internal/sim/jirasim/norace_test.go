//go:build !race

package jirasim

// raceBuild: see race_test.go.
const raceBuild = false
