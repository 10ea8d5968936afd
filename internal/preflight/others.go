package preflight

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/fixproof/fixproof/internal/botconfig"
	"github.com/fixproof/fixproof/internal/guance"
	"github.com/fixproof/fixproof/internal/sentry"
)

// checkSentry asks Sentry whether sentry.token reads sentry.org and, when
// sentry.installation is set, whether the organization has it installed.
func checkSentry(ctx context.Context, cfg botconfig.Sentry, sc Sentry) []Result {
	switch {
	case cfg.Token == "" && cfg.Installation != "":
		return []Result{result("sentry", Fail, "sentry.installation is set but sentry.token is not: the bot needs the installation's token to link Sentry issues to Jira")}
	case sc == nil:
		return []Result{result("sentry", Skip, "no sentry.token (or sentry.org): Sentry issues are not linked back to their Jira issues")}
	}
	org, err := sc.Organization(ctx)
	if err != nil {
		return []Result{result("sentry", Fail, "%s", sentryRefusal(cfg, err))}
	}
	out := []Result{result("sentry", OK, "sentry.token reads the organization %s (%s)", org.Slug, org.Name)}
	if cfg.Installation == "" {
		return append(out, result("sentry", Skip, "no sentry.installation: Sentry issues get a note linking their Jira issue, not an external issue link"))
	}
	return append(out, checkInstallation(ctx, cfg, sc))
}

// sentryRefusal says what to fix when the organization cannot be read.
func sentryRefusal(cfg botconfig.Sentry, err error) string {
	switch status, _ := apiStatus(err); status {
	case 401:
		return "Sentry refuses sentry.token (401): check it (an internal integration's token, or a personal one)"
	case 403, 404:
		return fmt.Sprintf("sentry.token cannot read the organization %s (%d): check sentry.org (its slug) and that the token has org:read", cfg.Org, status)
	case 0:
		return fmt.Sprintf("cannot reach Sentry: %v: check sentry.base_url and the network", err)
	}
	return fmt.Sprintf("reading the organization %s: %v", cfg.Org, err)
}

// checkInstallation looks sentry.installation up among the organization's
// installations.
func checkInstallation(ctx context.Context, cfg botconfig.Sentry, sc Sentry) Result {
	list, err := sc.Installations(ctx)
	if err != nil {
		if _, auth := apiStatus(err); auth {
			return result("sentry", Warn, "sentry.installation not confirmed: sentry.token may not list the organization's installations (%v); it needs org:read", err)
		}
		return result("sentry", Fail, "listing the installations of %s: %v", cfg.Org, err)
	}
	i := slices.IndexFunc(list, func(in sentry.Installation) bool { return strings.EqualFold(in.UUID, cfg.Installation) })
	switch {
	case i < 0:
		return result("sentry", Fail, "sentry.installation %s is not installed in %s: %s", cfg.Installation, cfg.Org, installed(list))
	case list[i].Status != "installed":
		return result("sentry", Fail, "sentry.installation %s (%s) is %s, not installed: finish installing the app in Sentry", cfg.Installation, list[i].App, list[i].Status)
	}
	return result("sentry", OK, "sentry.installation %s is the installed app %s", cfg.Installation, list[i].App)
}

// installed names the installations there are, to choose from.
func installed(list []sentry.Installation) string {
	if len(list) == 0 {
		return "the organization has no app installed: install the integration, then copy its installation's uuid"
	}
	var names []string
	for _, in := range list {
		names = append(names, in.UUID+" ("+in.App+")")
	}
	return "use one of " + strings.Join(names, ", ")
}

// checkGuance asks Guance for the channels: the key is accepted, the
// workspace is the one the key belongs to, and the channels named exist.
func checkGuance(ctx context.Context, cfg botconfig.Guance, gc Guance) []Result {
	if gc == nil {
		return []Result{result("guance", Skip, "no guance.api_key: Guance is not polled")}
	}
	chans, err := gc.Channels(ctx)
	if err != nil {
		return []Result{result("guance", Fail, "%s", guanceRefusal(err))}
	}
	return []Result{guanceWorkspace(cfg, chans)}
}

func guanceRefusal(err error) string {
	status, auth := apiStatus(err)
	switch {
	case auth:
		return fmt.Sprintf("Guance refuses guance.api_key (%d): check it, and that guance.base_url is its region's endpoint", status)
	case status == 0:
		return fmt.Sprintf("cannot reach Guance: %v: check guance.base_url and the network", err)
	}
	return fmt.Sprintf("listing Guance's channels: %v", err)
}

// guanceWorkspace checks the workspace and the channels against what the
// key sees.
func guanceWorkspace(cfg botconfig.Guance, chans []guance.Channel) Result {
	names := map[string]bool{}
	workspaces := map[string]bool{}
	for _, ch := range chans {
		names[ch.Name] = true
		if ch.Workspace != "" {
			workspaces[ch.Workspace] = true
		}
	}
	var problems []string
	if len(workspaces) > 0 && !workspaces[cfg.Workspace] {
		problems = append(problems, fmt.Sprintf("guance.api_key belongs to the workspace %s, not guance.workspace %q: set guance.workspace to it (it names the fingerprints)",
			strings.Join(sortedKeys(workspaces), ", "), cfg.Workspace))
	}
	for _, want := range cfg.Channels {
		if !names[want] {
			problems = append(problems, fmt.Sprintf("no channel %q (guance.channels); the workspace has %s", want, strings.Join(sortedKeys(names), ", ")))
		}
	}
	switch {
	case len(problems) > 0:
		return result("guance", Fail, "%s", strings.Join(problems, "; "))
	case len(workspaces) == 0:
		return result("guance", Warn, "guance.api_key is accepted, but the workspace has no channel to confirm guance.workspace %q by", cfg.Workspace)
	}
	return result("guance", OK, "guance.api_key belongs to the workspace %s (%d channels)", cfg.Workspace, len(chans))
}

// checkWebhooks says which webhook endpoints can accept deliveries: a
// secret present is all that can be checked without the sender.
func checkWebhooks(cfg botconfig.Config) []Result {
	secret := func(set bool, ok, unset string, unsetStatus Status) Result {
		if set {
			return result("webhooks", OK, "%s", ok)
		}
		return result("webhooks", unsetStatus, "%s", unset)
	}
	return []Result{
		secret(cfg.Sentry.ClientSecret != "", "POST /webhooks/sentry checks signatures with sentry.client_secret",
			"sentry.client_secret is unset: POST /webhooks/sentry refuses every delivery of Sentry's integration", Skip),
		secret(cfg.Sentry.LegacyToken != "", "POST /webhooks/sentry/legacy takes ?token=<sentry.legacy_token>",
			"sentry.legacy_token is unset: POST /webhooks/sentry/legacy refuses every delivery", Skip),
		secret(cfg.Alertmanager.Token != "", "POST /webhooks/alertmanager takes Authorization: Bearer <alertmanager.token>",
			"alertmanager.token is unset: POST /webhooks/alertmanager refuses every delivery", Skip),
		secret(cfg.GitHub.WebhookSecret != "", "POST /webhooks/github checks signatures with github.webhook_secret",
			"github.webhook_secret is unset: POST /webhooks/github refuses every delivery of the GitHub App", Skip),
		secret(cfg.Jira.WebhookSecret != "", "POST /webhooks/jira checks signatures with jira.webhook_secret",
			"jira.webhook_secret is unset: POST /webhooks/jira refuses every delivery, so Jira's comments reach Sentry and Guance only through reconcile", Warn),
	}
}

// checkGitHub asks GitHub for the app's installations, as the app: the
// answer says whether app_id and the private key are right, and where
// the app is installed.
func checkGitHub(ctx context.Context, cfg botconfig.GitHub, gh GitHub) []Result {
	if !cfg.Enabled() || gh == nil {
		return []Result{result("github", Skip, "github.app_id is unset: the bot is not a GitHub App")}
	}
	insts, err := gh.Installations(ctx)
	switch status, _ := apiStatus(err); {
	case status == http.StatusUnauthorized:
		return []Result{result("github", Fail, "GitHub refused the app's token (401): check github.app_id and that github.private_key(_file) is the app's current key (%v)", err)}
	case status == 0 && err != nil:
		return []Result{result("github", Fail, "cannot reach GitHub: %v: check github.api_url and the network", err)}
	case err != nil:
		return []Result{result("github", Fail, "listing the app's installations: %v", err)}
	case len(insts) == 0:
		return []Result{result("github", Warn, "app %d is installed nowhere: install it on your organization (its page on GitHub, Install App)", cfg.AppID)}
	}
	where := make([]string, len(insts))
	for i, in := range insts {
		where[i] = fmt.Sprintf("%s (%s repositories)", in.Account, in.Selection)
	}
	return []Result{result("github", OK, "app %d is installed on %s", cfg.AppID, strings.Join(where, ", "))}
}
