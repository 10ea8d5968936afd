//go:build !nodemo

package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"
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

func TestParentExitedWhenTheParentIDChanges(t *testing.T) {
	for _, tt := range []struct {
		atStart, now int
		want         bool
	}{
		{4242, 4242, false},
		{4242, 1, true},    // handed to init
		{4242, 1717, true}, // handed to a subreaper
		{1, 1, false},      // started by init: no parent to lose
		{0, 0, false},      // init itself, as in a container
	} {
		if got := parentExited(tt.atStart, tt.now); got != tt.want {
			t.Errorf("parentExited(%d, %d) = %v, want %v", tt.atStart, tt.now, got, tt.want)
		}
	}
}

func TestTheDemosContextEndsWhenItsParentExits(t *testing.T) {
	var ppid atomic.Int64
	ppid.Store(4242)
	asked := make(chan struct{}, 100)
	getppid := func() int {
		select {
		case asked <- struct{}{}:
		default:
		}
		return int(ppid.Load())
	}
	ctx, stop := whileParentLives(t.Context(), getppid, time.Millisecond)
	defer stop()
	timeout := time.After(10 * time.Second)
	for range 3 { // the parent at the start, then twice the same
		select {
		case <-asked:
		case <-timeout:
			t.Fatal("the watch stopped asking for the parent while it lived")
		}
	}
	if ctx.Err() != nil {
		t.Fatalf("ended with the parent alive: %v", context.Cause(ctx))
	}
	ppid.Store(1)
	select {
	case <-ctx.Done():
	case <-timeout:
		t.Fatal("the parent exited and the context did not end")
	}
	if !errors.Is(context.Cause(ctx), errParentExited) {
		t.Errorf("cause %v, want %v", context.Cause(ctx), errParentExited)
	}
}
