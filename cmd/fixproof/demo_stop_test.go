//go:build !nodemo && unix

package main

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// How long a stopped demo may take to exit before the test fails (and
// kills it). It stops in well under a second; the margin is for a loaded
// machine.
const stopBound = 30 * time.Second

// TestTheDemoStops runs the built binary and stops it the ways people do:
// Ctrl-C or SIGTERM while it serves the dashboard or in the middle of a
// storm, and the death of the process that started it, as when `go run`
// gets SIGTERM and leaves its child behind.
func TestTheDemoStops(t *testing.T) {
	bin := testBinary(t)
	for _, tt := range []struct {
		name string
		sig  syscall.Signal
		says string
	}{{"SIGINT", syscall.SIGINT, "Stopping: interrupt signal received."}, {"SIGTERM", syscall.SIGTERM, "Stopping: terminated signal received."}} {
		t.Run("on "+tt.name+" while serving", func(t *testing.T) {
			cmd, lines := startDemo(t, exec.Command(bin, "demo", "-storm", "3", "-serve"))
			await(t, lines, "The dashboard is at")
			if err := cmd.Process.Signal(tt.sig); err != nil {
				t.Fatal(err)
			}
			await(t, lines, tt.says)
			if code := exitCode(t, cmd); code != exitOK {
				t.Errorf("exit %d, want 0", code)
			}
		})
	}
	t.Run("on SIGINT during a storm", func(t *testing.T) {
		cmd, lines := startDemo(t, exec.Command(bin, "demo", "-storm", "1000000"))
		await(t, lines, "Sentry sends 1000000 alerts")
		if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
			t.Fatal(err)
		}
		await(t, lines, "fixproof: demo stopped: interrupt signal received")
		if code := exitCode(t, cmd); code != exitFailed {
			t.Errorf("exit %d, want 1: the story did not finish", code)
		}
	})
	t.Run("when the process that started it exits", func(t *testing.T) {
		// sh starts the demo and waits for it, as `go run` does; SIGKILL
		// leaves the demo no chance to hear of it but its new parent.
		parent, lines := startDemo(t, exec.Command("sh", "-c", `"$0" demo -storm 3 -serve 2>&1 & echo "demo pid $!"; wait`, bin))
		pid, err := strconv.Atoi(strings.TrimPrefix(await(t, lines, "demo pid "), "demo pid "))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = syscall.Kill(pid, syscall.SIGKILL) }) // if it outlives the test
		await(t, lines, "The dashboard is at")
		if err := parent.Process.Kill(); err != nil {
			t.Fatal(err)
		}
		await(t, lines, "Stopping: the process that started the demo exited.")
		// The demo was the last to hold the output open: it has exited.
		await(t, lines, "")
	})
}

// A process that is slow to stop after SIGINT still ends on the next one.
// The test runs itself as that process.
func TestASecondSignalEndsAProcessThatIsSlowToStop(t *testing.T) {
	if os.Getenv("FIXPROOF_TEST_SLOW_STOP") == "1" {
		ctx, _ := stopOnSignal()
		fmt.Println("ready")
		<-ctx.Done()
		fmt.Println("stopping, slowly")
		time.Sleep(time.Hour)
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestASecondSignalEndsAProcessThatIsSlowToStop$")
	cmd.Env = append(os.Environ(), "FIXPROOF_TEST_SLOW_STOP=1")
	cmd, lines := startDemo(t, cmd)
	await(t, lines, "ready")
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	await(t, lines, "stopping, slowly")
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	exitCode(t, cmd)
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGINT {
		t.Errorf("the process ended with %v, want killed by the second SIGINT", cmd.ProcessState)
	}
}

// startDemo starts cmd with its standard output and error on one pipe,
// whose lines it returns; the pipe ends once cmd and whatever it started
// have all exited. cmd is killed if the test ends first.
func startDemo(t *testing.T, cmd *exec.Cmd) (*exec.Cmd, <-chan string) {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = w, w
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	w.Close() // the children hold it now
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		r.Close()
	})
	lines := make(chan string, 1000)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	return cmd, lines
}

// await reads lines until one contains want, and returns it; with want
// empty, until the output ends. It fails the test past stopBound.
func await(t *testing.T, lines <-chan string, want string) string {
	t.Helper()
	var seen []string
	timeout := time.After(stopBound)
	for {
		select {
		case line, ok := <-lines:
			switch {
			case !ok && want == "":
				return ""
			case !ok:
				t.Fatalf("the output ended without %q:\n%s", want, strings.Join(seen, "\n"))
			case want != "" && strings.Contains(line, want):
				return line
			}
			seen = append(seen, line)
		case <-timeout:
			t.Fatalf("no %q within %s (still running?):\n%s", want, stopBound, strings.Join(seen, "\n"))
		}
	}
}

// exitCode waits for cmd to exit, at most stopBound, and returns its
// exit status.
func exitCode(t *testing.T, cmd *exec.Cmd) int {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			return exit.ExitCode()
		}
		if err != nil {
			t.Fatal(err)
		}
		return 0
	case <-time.After(stopBound):
		t.Fatalf("still running %s after it was stopped", stopBound)
		return -1
	}
}
