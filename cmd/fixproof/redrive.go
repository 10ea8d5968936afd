package main

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/fixproof/fixproof/internal/store"
)

var redriveHelp = help{
	usage: []string{"fixproof bot redrive [--config FILE] [--fingerprint FP | --all]"},
	about: `Moves the bot's dead letters (deliveries that failed for good) back to its
queue, due at once with no attempts counted, so the bot processes them
again. Safe while the bot runs, on SQLite as on Postgres. Without
--fingerprint or --all it lists the dead letters and moves nothing.`,
	example: `  fixproof bot redrive --config fixproof.yml
  fixproof bot redrive --config fixproof.yml --fingerprint sentry:acme:4711
  fixproof bot redrive --config fixproof.yml --all`,
}

// runRedrive is `fixproof bot redrive`.
func runRedrive(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlagSet("bot redrive")
	path := fs.String("config", getenv("FIXPROOF_CONFIG"), "the bot's config `FILE`, for its store (FIXPROOF_* variables override it)")
	fp := fs.String("fingerprint", "", "move back the dead letters of this problem (`FP`, as listed) only")
	all := fs.Bool("all", false, "move back every dead letter")
	if err := parseFlags(fs, redriveHelp, args, stdout); err != nil {
		return err
	}
	switch {
	case fs.NArg() > 0:
		return badUsage("bot redrive", redriveHelp.usage[0], "unexpected argument %q", fs.Arg(0))
	case *all && *fp != "":
		return badUsage("bot redrive", redriveHelp.usage[0], "give --fingerprint FP or --all, not both")
	}
	cfg, err := loadBotConfig("bot redrive", redriveHelp.usage[0], *path, getenv)
	if err != nil {
		return err
	}
	// Shared: the bot may be running on the same SQLite file.
	st, err := openStore(ctx, cfg.Store, true)
	if err != nil {
		return err
	}
	defer st.Close()
	if !*all && *fp == "" {
		dead, err := st.Dead(ctx, 0)
		if err != nil {
			return err
		}
		listDead(stdout, dead)
		if len(dead) > 0 {
			fmt.Fprintln(stdout, "\nNothing moved: pass --fingerprint FP or --all to put them back in the queue.")
		}
		return nil
	}
	n, err := st.Redrive(ctx, *fp, time.Now())
	if err != nil {
		return err
	}
	switch {
	case n == 0 && *fp != "":
		fmt.Fprintf(stdout, "no dead letters for fingerprint %q (fixproof bot redrive --config FILE lists them)\n", *fp)
	case n == 0:
		fmt.Fprintln(stdout, "no dead letters")
	default:
		fmt.Fprintf(stdout, "moved %d dead %s back to the queue; the bot processes them now\n", n, plural(n, "letter"))
	}
	return nil
}

// listDead prints the dead letters a fingerprint a line, with the last
// error of the latest to die.
func listDead(w io.Writer, dead []store.DeadJob) {
	if len(dead) == 0 {
		fmt.Fprintln(w, "no dead letters")
		return
	}
	type group struct {
		n     int
		last  store.DeadJob
		first time.Time
	}
	groups := map[string]*group{}
	for _, d := range dead { // newest first
		g := groups[d.Fingerprint]
		if g == nil {
			g = &group{last: d}
			groups[d.Fingerprint] = g
		}
		g.n++
		g.first = d.Received
	}
	fps := make([]string, 0, len(groups))
	for fp := range groups {
		fps = append(fps, fp)
	}
	sort.Slice(fps, func(i, j int) bool { return groups[fps[i]].last.Died.After(groups[fps[j]].last.Died) })
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "FINGERPRINT\tDELIVERIES\tDIED\tLAST ERROR")
	for _, fp := range fps {
		g := groups[fp]
		msg := strings.Join(strings.Fields(g.last.LastError), " ")
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\n", fp, g.n, g.last.Died.UTC().Format(time.RFC3339), msg)
	}
	tw.Flush()
}

func plural(n int, noun string) string {
	if n == 1 {
		return noun
	}
	return noun + "s"
}
