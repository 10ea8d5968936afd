package action

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/fixproof/fixproof/internal/clients"
	"github.com/fixproof/fixproof/internal/deployment"
	"github.com/fixproof/fixproof/internal/sim/githubsim"
	"github.com/fixproof/fixproof/internal/sweep"
	"github.com/fixproof/fixproof/internal/verify"
)

// A workflow token without deployments: read: under verify_from auto the
// sweep warns once and counts from the merge, as for a repository with no
// deployments; under deploy every issue fails with what to grant.
func TestAMissingDeploymentsPermissionWarnsOnceUnderAuto(t *testing.T) {
	gh := githubsim.New(githubsim.Options{Token: ghToken, Permissions: map[string]string{"contents": "read", "pull-requests": "write"}})
	gh.AddRepo(repoOwner, repoName)
	srv := httptest.NewServer(gh.Handler())
	t.Cleanup(srv.Close)
	dc, err := clients.Deployments(clients.Settings{GitHub: clients.GitHubSettings{Token: ghToken, GraphQLURL: srv.URL + "/graphql", APIURL: srv.URL}},
		clients.HTTP(clients.HTTPOptions{Timeout: 10 * time.Second}))
	if err != nil {
		t.Fatal(err)
	}
	q := sweep.DeployQuery{Repo: repoFull, Commit: mergeSHA, Environment: "production", Since: mergedAt}

	var warnings []string
	auto := &githubDeploys{gh: dc, from: verify.FromAuto, warn: func(f string, a ...any) { warnings = append(warnings, fmt.Sprintf(f, a...)) }}
	for range 3 {
		if _, found, known, err := auto.FirstDeploy(context.Background(), q); err != nil || found || known {
			t.Fatalf("auto: found %v known %v err %v; want neither, and no error", found, known, err)
		}
	}
	if len(warnings) != 1 {
		t.Errorf("%d warnings over three issues, want 1: %q", len(warnings), warnings)
	}

	strict := &githubDeploys{gh: dc, from: verify.FromDeploy, warn: func(string, ...any) { t.Error("deploy mode warned instead of failing") }}
	if _, _, _, err := strict.FirstDeploy(context.Background(), q); !errors.Is(err, deployment.ErrNoPermission) {
		t.Errorf("deploy: err %v, want the missing permission", err)
	}
}
