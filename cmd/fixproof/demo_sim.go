//go:build !nodemo

package main

import (
	"context"
	"errors"
	"io"
	"os"
	"time"

	"github.com/mattn/go-isatty"

	"github.com/fixproof/fixproof/internal/demo"
)

// runDemo is `fixproof demo`: the whole loop on simulators, narrated.
func runDemo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	opts, err := parseDemo(demoHelp, args, stdout)
	if err != nil {
		return err
	}
	ctx, stop := whileParentLives(ctx, os.Getppid, parentCheckEvery)
	defer stop()
	_, err = demo.Run(ctx, demo.Options{Out: stdout, Storm: opts.storm, Serve: opts.serve, Terminal: isTerminal(stdout)})
	return err
}

// isTerminal reports whether w is a terminal, where the demo's progress
// can rewrite a line in place.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && (isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd()))
}

// parentCheckEvery is how often the demo checks that the process that
// started it is still there.
const parentCheckEvery = 250 * time.Millisecond

// errParentExited is why the demo stops when its parent has gone.
var errParentExited = errors.New("the process that started the demo exited")

// whileParentLives returns ctx, ended with errParentExited as its cause
// once the process that started this one has exited: stopping `go run
// ./cmd/fixproof demo -serve` with SIGTERM ends `go run` alone, and the
// demo, handed to another parent, would serve on unseen. It asks getppid
// every so often: the parent's death is not an event a process can wait
// for everywhere.
func whileParentLives(ctx context.Context, getppid func() int, every time.Duration) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancelCause(ctx)
	parent := getppid()
	go func() {
		tick := time.NewTicker(every)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
				if parentExited(parent, getppid()) {
					cancel(errParentExited)
					return
				}
			}
		}
	}()
	return ctx, func() { cancel(context.Canceled) }
}

// parentExited tells from this process's parent id at the start and now
// whether the parent has exited: an orphan is handed to init or to a
// subreaper, so its parent id changes. A process started by init, or
// that is init (parent id 0 or 1), has no parent to lose.
func parentExited(atStart, now int) bool {
	return atStart > 1 && now != atStart
}
