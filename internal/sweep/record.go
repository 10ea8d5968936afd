package sweep

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/fixproof/fixproof/internal/jira"
	"github.com/fixproof/fixproof/internal/loop"
	"github.com/fixproof/fixproof/internal/sentrylink"
	"github.com/fixproof/fixproof/internal/uniq"
)

// Watch is an issue the merge put under verification.
type Watch struct {
	Key   string
	Links []sentrylink.Link
	// Changed is false when the issue was already watched for this merge
	// (a re-run): nothing was written.
	Changed bool
	Err     error
}

// RecordMerge is the PR action's part of the loop: when a pull request
// merges, every issue among keys that is linked to Sentry gets the verify
// label and the merge (time, commit, repository, PR) in the fixproof
// property, so the sweep is one JQL query on the label. One search reads
// the issues' descriptions and properties; remote links are read per
// issue, in parallel, and the Sentry links found are recorded with the
// time they were read (now), so the sweep need not read them again for a
// day; issues already recorded for this merge are not written again.
func RecordMerge(ctx context.Context, j Jira, finder sentrylink.Finder, label string, keys []string, m loop.Merge, now time.Time) ([]Watch, error) {
	if len(keys) == 0 {
		return nil, nil
	}
	quoted := make([]string, len(keys))
	for i, k := range keys {
		quoted[i] = jira.QuoteJQL(k)
	}
	var details []jira.Detail
	jql := "key in (" + strings.Join(quoted, ", ") + ")"
	for next := ""; ; {
		page, err := j.Query(ctx, jql, []string{loop.PropertyKey}, next)
		if err != nil {
			return nil, fmt.Errorf("record merge: %w", err)
		}
		details = append(details, page.Issues...)
		if next = page.Next; next == "" {
			break
		}
	}
	watches := make([]Watch, len(details))
	var wg sync.WaitGroup
	sem := make(chan struct{}, 16)
	for i, d := range details {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			watches[i] = recordOne(ctx, j, finder, label, d, m, now)
		}()
	}
	wg.Wait()
	out := watches[:0]
	for _, w := range watches {
		if w.Err != nil || len(w.Links) > 0 {
			out = append(out, w)
		}
	}
	return out, nil
}

func recordOne(ctx context.Context, j Jira, finder sentrylink.Finder, label string, d jira.Detail, m loop.Merge, now time.Time) Watch {
	w := Watch{Key: d.Key}
	prop, err := loop.ParseProperty(d.Properties[loop.PropertyKey])
	if err != nil {
		w.Err = err
		return w
	}
	urls, err := j.RemoteLinkURLs(ctx, d.Key)
	if err != nil {
		w.Err = err
		return w
	}
	var fromLinks []sentrylink.Link
	for _, u := range urls {
		if l, ok := finder.InURL(u); ok {
			fromLinks = append(fromLinks, l)
		}
	}
	w.Links = uniq.Concat(finder.InDescription(d.Description), fromLinks, sentrylink.FromProperty(prop, finder.Org))
	if len(w.Links) == 0 {
		return w
	}
	if prop.Merge != nil && *prop.Merge == m && prop.Closing == nil && slices.Contains(d.Labels, label) {
		return w
	}
	w.Changed = true
	// A new merge starts a new verification: the claim, the deploy and
	// the decision of an earlier fix no longer apply.
	prop.Merge, prop.Closing, prop.Deploy, prop.Verification = &m, nil, nil, nil
	prop.Sentry, prop.LinksRead = sentrylink.ToProperty(w.Links, prop.Sentry, finder.Org), now.UTC().Format(time.RFC3339)
	if w.Err = writeProperty(ctx, j, d.Key, prop); w.Err != nil {
		return w
	}
	w.Err = j.EditLabels(ctx, d.Key, []string{label}, nil)
	return w
}
