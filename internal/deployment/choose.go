package deployment

import (
	"cmp"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/fixproof/fixproof/internal/loop"
)

// The decisions FirstDeploy makes, as pure functions of what GitHub
// answered.

// deployment is one deployment as GitHub lists it.
type deployment struct {
	id        int // databaseId; 0 when GitHub gave none
	createdAt time.Time
	commit    string // the deployed SHA
	statuses  []status
}

// status is one of a deployment's statuses, in no particular order.
type status struct {
	state                  string // a DeploymentStatusState: SUCCESS, FAILURE, INACTIVE, ...
	at                     time.Time
	environmentURL, logURL string
}

// candidate is a deployment that succeeded, with its first success.
type candidate struct {
	deployment
	success status
}

// firstSuccess is the earliest SUCCESS among statuses. A deployment that
// succeeded keeps its SUCCESS status when later ones are added: GitHub
// marks it INACTIVE once a newer deployment to the environment succeeds
// (create-deployment-status's auto_inactive, on by default), and deploy
// tools do the same. So its success is found among all its statuses, not
// in the latest alone.
func firstSuccess(statuses []status) (status, bool) {
	var first status
	found := false
	for _, s := range statuses {
		if s.state == "SUCCESS" && (!found || s.at.Before(first.at)) {
			first, found = s, true
		}
	}
	return first, found
}

// candidates are the deployments created at or after notBefore that
// succeeded, earliest success first (then oldest, then lowest id): the
// order in which to ask whether each contains the merge, so the first
// that does is the answer.
func candidates(deps []deployment, notBefore time.Time) []candidate {
	var out []candidate
	for _, d := range deps {
		if d.createdAt.Before(notBefore) {
			continue // made before the merge existed: it cannot hold it
		}
		if s, ok := firstSuccess(d.statuses); ok {
			out = append(out, candidate{deployment: d, success: s})
		}
	}
	slices.SortStableFunc(out, func(a, b candidate) int {
		return cmp.Or(a.success.at.Compare(b.success.at), a.createdAt.Compare(b.createdAt), cmp.Compare(a.id, b.id))
	})
	return out
}

// contains reports whether a comparison of the merge commit (base) with
// a deployed commit (head), as GitHub's compare endpoint states it, means
// the deployed commit holds the merge: it is the merge ("identical") or
// a descendant of it ("ahead"). "behind" (an older commit) and "diverged"
// (another line of history) do not.
func contains(compareStatus string) bool {
	return compareStatus == "identical" || compareStatus == "ahead"
}

// sameCommit reports whether two SHAs name the same commit.
func sameCommit(a, b string) bool { return strings.EqualFold(a, b) }

// deployOf is the deploy a candidate records. Its URL is where the
// deployment is, or its log, or else the environment's deployments page
// of the repository at repoURL.
func deployOf(c candidate, environment, repoURL string) loop.Deploy {
	ref := "deployment #" + fmt.Sprint(c.id)
	if c.id == 0 {
		ref = "deployment of " + c.commit
	}
	link := cmp.Or(c.success.environmentURL, c.success.logURL)
	if link == "" && repoURL != "" {
		link = strings.TrimSuffix(repoURL, "/") + "/deployments/" + url.PathEscape(environment)
	}
	return loop.Deploy{
		At:          c.success.at.UTC().Format(time.RFC3339),
		Commit:      c.commit,
		Environment: environment,
		Source:      loop.DeploySourceGitHub,
		Ref:         ref,
		URL:         link,
	}
}
