package flow

import (
	"context"
	"fmt"
	"strings"

	"github.com/fixproof/fixproof/internal/loop"
)

// MaxHops is how many transitions one move may take: enough for
// Open -> In Progress -> In Review -> Done, short enough that a workflow
// fixproof misunderstands is not wandered through.
const MaxHops = 3

// Goal is where a move should take an issue.
type Goal struct {
	Target   []string // candidate status names, first reachable wins
	Stage    loop.Stage
	Statuses loop.Statuses
}

// Transitions is what a move needs of Jira: the transitions an issue
// offers from its current status (the jira adapter lists them) and taking
// one.
type Transitions interface {
	Transitions(ctx context.Context, key string) ([]loop.Transition, error)
	Transition(ctx context.Context, key, id string) error
}

// Plan is the first hop of a move from status current towards g, for a
// dry run: the status the issue would go to first (the hops after it
// depend on what Jira offers from there). offered are the transitions
// already known from current, nil to ask Jira. It changes nothing.
func Plan(ctx context.Context, j Transitions, key, current string, offered []loop.Transition, g Goal) (string, error) {
	if offered == nil {
		var err error
		if offered, err = j.Transitions(ctx, key); err != nil {
			return "", err
		}
	}
	next, _, err := NextHop(current, offered, g.Target, g.Stage, g.Statuses, []string{current})
	if err != nil {
		return "", err
	}
	return next.To, nil
}

// Walk moves an issue from status current to one of g's statuses, at most
// MaxHops transitions, choosing each hop with NextHop. offered are the
// transitions already known from current (nil to ask Jira). It returns the
// statuses passed through, the last being where the issue ended.
func Walk(ctx context.Context, j Transitions, key, current string, offered []loop.Transition, g Goal) (path []string, err error) {
	from := current
	visited := []string{current}
	for hop := 0; hop < MaxHops; hop++ {
		if offered == nil || hop > 0 {
			if offered, err = j.Transitions(ctx, key); err != nil {
				return path, err
			}
		}
		next, final, err := NextHop(current, offered, g.Target, g.Stage, g.Statuses, visited)
		if err != nil {
			return path, err
		}
		if err := j.Transition(ctx, key, next.ID); err != nil {
			return path, err
		}
		path = append(path, next.To)
		if final {
			return path, nil
		}
		current = next.To
		visited = append(visited, current)
	}
	return path, fmt.Errorf("status %s not reached from %s in %d transitions (went through %s)",
		strings.Join(g.Target, " or "), from, MaxHops, strings.Join(path, ", "))
}
