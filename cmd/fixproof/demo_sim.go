//go:build !nodemo

package main

import (
	"context"
	"io"

	"github.com/fixproof/fixproof/internal/demo"
)

// runDemo is `fixproof demo`: the whole loop on simulators, narrated.
func runDemo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	opts, err := parseDemo(demoHelp, args, stdout)
	if err != nil {
		return err
	}
	_, err = demo.Run(ctx, demo.Options{Out: stdout, Storm: opts.storm, Serve: opts.serve})
	return err
}
