package sentry

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Release is what fixproof reads of a Sentry release.
type Release struct {
	// Version is the release's name, unique in the organization.
	Version string
	// DateCreated is when Sentry created it (what the list is sorted by);
	// DateReleased when it was finalized. Either is zero when Sentry
	// sends null.
	DateCreated, DateReleased time.Time
	// CommitCount and DeployCount are how many commits and deploys Sentry
	// has recorded for it.
	CommitCount, DeployCount int
	// LastDeploy is its deploy that finished last, or nil when it has
	// none.
	LastDeploy *Deploy
}

// Deploy is a deploy of a release to an environment.
type Deploy struct {
	// ID is the deploy's id in Sentry; Environment where it went; Name
	// and URL optional labels (empty when Sentry sends null).
	ID, Environment, Name, URL string
	// DateStarted is zero when Sentry sends null. DateFinished is when
	// the deploy ended; zero when Sentry sends none, which the client
	// takes for a deploy that has not finished.
	DateStarted, DateFinished time.Time
}

// apiDeploy is a deploy as Sentry serializes it, in a release's deploys
// and as a release's lastDeploy.
type apiDeploy struct {
	ID           string  `json:"id"`
	Environment  string  `json:"environment"`
	Name         *string `json:"name"`
	URL          *string `json:"url"`
	DateStarted  string  `json:"dateStarted"`
	DateFinished string  `json:"dateFinished"`
}

func (a *apiDeploy) deploy() (Deploy, error) {
	d := Deploy{ID: a.ID, Environment: a.Environment}
	if a.Name != nil {
		d.Name = *a.Name
	}
	if a.URL != nil {
		d.URL = *a.URL
	}
	var err error
	if d.DateStarted, err = timestamp("dateStarted", a.DateStarted); err != nil {
		return Deploy{}, err
	}
	if d.DateFinished, err = timestamp("dateFinished", a.DateFinished); err != nil {
		return Deploy{}, err
	}
	return d, nil
}

// apiRelease is the part of Sentry's serialized release the client reads.
type apiRelease struct {
	Version      string     `json:"version"`
	DateCreated  string     `json:"dateCreated"`
	DateReleased string     `json:"dateReleased"`
	CommitCount  int        `json:"commitCount"`
	DeployCount  int        `json:"deployCount"`
	LastDeploy   *apiDeploy `json:"lastDeploy"`
}

func (a *apiRelease) release() (Release, error) {
	r := Release{Version: a.Version, CommitCount: a.CommitCount, DeployCount: a.DeployCount}
	var err error
	if r.DateCreated, err = timestamp("dateCreated", a.DateCreated); err != nil {
		return Release{}, err
	}
	if r.DateReleased, err = timestamp("dateReleased", a.DateReleased); err != nil {
		return Release{}, err
	}
	if a.LastDeploy != nil {
		d, err := a.LastDeploy.deploy()
		if err != nil {
			return Release{}, fmt.Errorf("lastDeploy: %w", err)
		}
		r.LastDeploy = &d
	}
	return r, nil
}

// newest is the later of a release's creation and release dates: what
// orders it in the list, whichever of the two Sentry sorts by (see
// Releases).
func (r Release) newest() time.Time {
	if r.DateReleased.After(r.DateCreated) {
		return r.DateReleased
	}
	return r.DateCreated
}

// Releases lists the releases of a project (by its numeric id,
// Issue.ProjectID) created at or after since, newest first:
//
//	GET /api/0/organizations/{org}/releases/?project=<id>
//
// following Sentry's pagination (100 a page) until a page ends with a
// release older than since; a zero since reads every page.
//
// It relies on Sentry's default order (sort=date): newest first by
// dateCreated (date_added) in current Sentry, by COALESCE(dateReleased,
// dateCreated) in older versions. A page whose last release was both
// created and released before since ends the list under either order, as
// long as no release was released before it was created.
func (c *Client) Releases(ctx context.Context, projectID string, since time.Time) ([]Release, error) {
	listed, err := c.listReleases(ctx, "list releases of project "+projectID, projectID, since)
	if err != nil {
		return nil, err
	}
	var out []Release
	for _, r := range listed {
		if !r.DateCreated.Before(since) {
			out = append(out, r)
		}
	}
	return out, nil
}

// listReleases reads the releases of a project, newest first, until a
// page ends with one older than since (see Releases): every release read,
// older ones on the last page included.
func (c *Client) listReleases(ctx context.Context, op, projectID string, since time.Time) ([]Release, error) {
	if err := checkProjectID(projectID); err != nil {
		return nil, err
	}
	var out []Release
	err := eachPage(ctx, c, op, c.orgPath("releases/"), url.Values{"project": {projectID}}, func(batch []apiRelease) (bool, error) {
		for _, a := range batch {
			r, err := a.release()
			if err != nil {
				return false, fmt.Errorf("sentry: %s: release %q: %w", op, a.Version, err)
			}
			out = append(out, r)
		}
		return len(batch) > 0 && !out[len(out)-1].newest().Before(since), nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// checkVersion returns an error unless version is one Sentry can have
// given a release: not empty, at most 200 characters, without a slash, a
// backslash, a tab or a line break (Release.is_valid_version;
// BAD_RELEASE_CHARS in src/sentry/constants.py). Such a version has no
// release, and a slash would not survive Sentry's URL routing even
// escaped: Django matches the decoded path.
func checkVersion(op, version string) error {
	if version == "" || len(version) > 200 || strings.ContainsAny(version, "\r\n\f\t/\\") {
		return fmt.Errorf("sentry: %s: %q is not a Sentry release version", op, version)
	}
	return nil
}

// releasePath is the escaped path of a release's resource, rest being what
// follows .../releases/{version}/. Versions may hold "@" and "+" (such as
// shop@1.4.2+build.7), which are escaped as a path segment needs.
func (c *Client) releasePath(version, rest string) string {
	return c.orgPath("releases/" + url.PathEscape(version) + "/" + rest)
}

// ReleaseCommits lists the SHAs of a release's commits, in Sentry's order,
// all pages:
//
//	GET /api/0/organizations/{org}/releases/{version}/commits/
func (c *Client) ReleaseCommits(ctx context.Context, version string) ([]string, error) {
	var out []string
	err := c.eachCommit(ctx, "list commits of release "+version, version, func(sha string) bool {
		out = append(out, sha)
		return true
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// eachCommit calls fn with the SHA of each commit of a release, reading
// page after page while fn returns true.
func (c *Client) eachCommit(ctx context.Context, op, version string, fn func(sha string) bool) error {
	if err := checkVersion(op, version); err != nil {
		return err
	}
	return eachPage(ctx, c, op, c.releasePath(version, "commits/"), nil, func(batch []struct {
		ID string `json:"id"`
	}) (bool, error) {
		for _, commit := range batch {
			if !fn(commit.ID) {
				return false, nil
			}
		}
		return true, nil
	})
}

// ReleaseDeploys lists a release's deploys, all pages (Sentry lists the
// last finished first):
//
//	GET /api/0/organizations/{org}/releases/{version}/deploys/
func (c *Client) ReleaseDeploys(ctx context.Context, version string) ([]Deploy, error) {
	op := "list deploys of release " + version
	if err := checkVersion(op, version); err != nil {
		return nil, err
	}
	var out []Deploy
	err := eachPage(ctx, c, op, c.releasePath(version, "deploys/"), nil, func(batch []apiDeploy) (bool, error) {
		for _, a := range batch {
			d, err := a.deploy()
			if err != nil {
				return false, fmt.Errorf("sentry: %s: deploy %s: %w", op, a.ID, err)
			}
			out = append(out, d)
		}
		return true, nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// deploySkew is the slack FirstDeploy gives since: a release created a
// little before the merge by Sentry's clock may still hold the merge,
// the CI's clock and Sentry's disagreeing.
const deploySkew = 5 * time.Minute

// FirstDeploy answers the question a deploy-aware sweep asks: when did a
// commit first reach an environment? It returns the earliest finished
// deploy (by DateFinished) to environment of a release of the project (by
// numeric id, Issue.ProjectID) whose commits include commit, among the
// releases created since since (the merge time) less 5 minutes for clock
// skew, and that release's version. found is false when there is none.
//
// known reports whether any release read has a deploy to environment at
// all, so that a caller can tell "not deployed yet" from "Sentry records
// no deploys to production": the releases listed (their lastDeploy, which
// is only each release's last deploy) and the deploys read. A deploy
// without dateFinished has not finished and is not counted as one, though
// it makes the environment known.
//
// commit is compared whole, case-insensitively, with the SHAs Sentry
// lists: a short SHA matches nothing. Requests, kept few:
//
//   - the release list, once: 1 page, more when over 100 releases were
//     created since since (see Releases);
//   - a release's commits only for releases created at or after since
//     less the slack that have commits (commitCount > 0), until the
//     commit is found: 1 request each, more for over 100 commits;
//   - a release's deploys only for releases holding the commit that have
//     deploys (deployCount > 0): 1 request each.
//
// So FirstDeploy costs 1 list page + k commit pages + d deploy pages.
func (c *Client) FirstDeploy(ctx context.Context, projectID, commit, environment string, since time.Time) (dep Deploy, release string, found bool, known bool, err error) {
	op := "find the first deploy of " + commit + " to " + strconv.Quote(environment) + " in project " + projectID
	if err = checkCommitToFind(op, commit, environment); err != nil {
		return Deploy{}, "", false, false, err
	}
	cutoff := since.Add(-deploySkew)
	listed, err := c.listReleases(ctx, op, projectID, cutoff)
	if err != nil {
		return Deploy{}, "", false, false, err
	}
	first := earliestDeploy{environment: environment}
	for _, r := range listed {
		if r.LastDeploy != nil {
			first.see("", *r.LastDeploy)
		}
	}
	for _, r := range listed {
		if r.DateCreated.Before(cutoff) || r.CommitCount == 0 {
			continue
		}
		deploys, err := c.deploysWithCommit(ctx, op, r, commit)
		if err != nil {
			return Deploy{}, "", false, false, err
		}
		for _, d := range deploys {
			first.see(r.Version, d)
		}
	}
	return first.dep, first.release, first.found, first.known, nil
}

// earliestDeploy is FirstDeploy's answer so far: the earliest finished
// deploy to environment seen of a release holding the commit, and whether
// any deploy to environment was seen at all.
type earliestDeploy struct {
	environment  string
	dep          Deploy
	release      string
	found, known bool
}

// see takes in a deploy of release ("" for a release not known to hold
// the commit, whose deploys only make the environment known).
func (e *earliestDeploy) see(release string, d Deploy) {
	if d.Environment != e.environment {
		return
	}
	e.known = true
	if release == "" || d.DateFinished.IsZero() {
		return
	}
	if !e.found || d.DateFinished.Before(e.dep.DateFinished) {
		e.dep, e.release, e.found = d, release, true
	}
}

// checkCommitToFind checks FirstDeploy's commit and environment: a commit
// SHA as Sentry keeps one (at most 64 characters, MAX_COMMIT_LENGTH, no
// white space) and a named environment.
func checkCommitToFind(op, commit, environment string) error {
	if commit == "" || len(commit) > 64 || strings.ContainsAny(commit, " \t\r\n") {
		return fmt.Errorf("sentry: %s: %q is not a commit SHA", op, commit)
	}
	if environment == "" {
		return fmt.Errorf("sentry: %s: no environment", op)
	}
	return checkEnvironment(op, environment)
}

// deploysWithCommit returns the deploys of a release when its commits
// include commit, and none otherwise, reading its deploys only then and
// only when it has some.
func (c *Client) deploysWithCommit(ctx context.Context, op string, r Release, commit string) ([]Deploy, error) {
	has := false
	err := c.eachCommit(ctx, op, r.Version, func(sha string) bool {
		has = strings.EqualFold(strings.TrimSpace(sha), commit)
		return !has
	})
	if err != nil || !has || r.DeployCount == 0 {
		return nil, err
	}
	return c.ReleaseDeploys(ctx, r.Version)
}
