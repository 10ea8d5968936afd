package sentry

import (
	"context"
	"net/http"
	"net/url"
)

// Organization is what the client reads of its organization.
type Organization struct {
	ID, Slug, Name string
}

// Organization reads the client's organization, without its projects and
// teams: GET /api/0/organizations/{org}/?detailed=0. Sentry answers 403
// (or 404) when the token cannot read it, and 401 for a token it does not
// know.
func (c *Client) Organization(ctx context.Context) (Organization, error) {
	var o struct {
		ID   string `json:"id"`
		Slug string `json:"slug"`
		Name string `json:"name"`
	}
	_, err := c.do(ctx, "read organization "+c.org, http.MethodGet, c.orgPath(""), url.Values{"detailed": {"0"}}, nil, &o)
	return Organization{ID: o.ID, Slug: o.Slug, Name: o.Name}, err
}

// Installation is an integration platform app installed in the
// organization.
type Installation struct {
	// UUID names the installation, as webhooks and the external issues
	// endpoint do.
	UUID string
	// App is the app's slug; Status is "installed" or "pending".
	App, Status string
}

// Installations lists the organization's integration platform
// installations: GET /api/0/organizations/{org}/sentry-app-installations/,
// every page. The token needs org:read or org:integrations.
func (c *Client) Installations(ctx context.Context) ([]Installation, error) {
	type apiInstallation struct {
		UUID   string `json:"uuid"`
		Status string `json:"status"`
		App    struct {
			Slug string `json:"slug"`
		} `json:"app"`
	}
	var out []Installation
	err := eachPage(ctx, c, "list installations of "+c.org, c.orgPath("sentry-app-installations/"), nil, func(page []apiInstallation) (bool, error) {
		for _, in := range page {
			out = append(out, Installation{UUID: in.UUID, App: in.App.Slug, Status: in.Status})
		}
		return true, nil
	})
	return out, err
}
