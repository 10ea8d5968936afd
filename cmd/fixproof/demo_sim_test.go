//go:build !nodemo

package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

func TestOnlyATerminalIsATerminal(t *testing.T) {
	file, err := os.Create(filepath.Join(t.TempDir(), "out"))
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	if isTerminal(&bytes.Buffer{}) || isTerminal(file) {
		t.Error("a buffer or a file is taken for a terminal")
	}
	// A pseudo-terminal's master side answers terminal requests.
	pty, err := os.OpenFile("/dev/ptmx", os.O_RDWR, 0)
	if err != nil {
		t.Skipf("no pseudo-terminal to check the positive case: %v", err)
	}
	defer pty.Close()
	if !isTerminal(pty) {
		t.Error("a pseudo-terminal is not taken for a terminal")
	}
}
