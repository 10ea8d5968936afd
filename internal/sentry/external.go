package sentry

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// CreateExternalIssue links a Sentry issue to an issue in another service
// (such as a Jira issue) on behalf of an integration-platform app: POST
// /api/0/sentry-app-installations/{installation}/external-issues/ with
// {"issueId": <the issue id as a number>, "webUrl", "project",
// "identifier"}. Sentry shows the link on the issue as
// "<project>#<identifier>" pointing at webURL; an app has one such link
// per issue, so a second call updates it. The token must be the app
// installation's (its integration token), and installation is the
// installation's uuid, as webhooks name it.
func (c *Client) CreateExternalIssue(ctx context.Context, installation string, issueID, webURL, project, identifier string) (ExternalIssue, error) {
	if err := checkID(issueID); err != nil {
		return ExternalIssue{}, err
	}
	op := "link issue " + issueID + " to " + project + "#" + identifier
	if !isUUID(installation) {
		return ExternalIssue{}, fmt.Errorf("sentry: %s: installation %q is not a uuid", op, installation)
	}
	if u, err := url.Parse(webURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return ExternalIssue{}, fmt.Errorf("sentry: %s: web URL %q is not an http(s) URL", op, webURL)
	}
	if strings.TrimSpace(project) == "" || strings.TrimSpace(identifier) == "" {
		return ExternalIssue{}, errors.New("sentry: " + op + ": a project and an identifier are needed")
	}
	id, err := strconv.ParseInt(issueID, 10, 64)
	if err != nil {
		return ExternalIssue{}, fmt.Errorf("%w %q: %v", ErrInvalidID, issueID, err)
	}
	body := struct {
		IssueID    int64  `json:"issueId"`
		WebURL     string `json:"webUrl"`
		Project    string `json:"project"`
		Identifier string `json:"identifier"`
	}{id, webURL, project, identifier}
	var e struct {
		ID          string `json:"id"`
		IssueID     string `json:"issueId"`
		ServiceType string `json:"serviceType"`
		DisplayName string `json:"displayName"`
		WebURL      string `json:"webUrl"`
	}
	path := "/api/0/sentry-app-installations/" + url.PathEscape(installation) + "/external-issues/"
	if _, err := c.do(ctx, op, http.MethodPost, path, nil, body, &e); err != nil {
		return ExternalIssue{}, err
	}
	key := e.DisplayName
	if i := strings.LastIndex(key, "#"); i >= 0 {
		key = key[i+1:]
	}
	return ExternalIssue{ID: e.ID, Key: key, DisplayName: e.DisplayName, WebURL: e.WebURL, ServiceType: e.ServiceType, IssueID: e.IssueID}, nil
}

// isUUID reports whether s is a uuid in its usual text form.
func isUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case i == 8 || i == 13 || i == 18 || i == 23:
			if c != '-' {
				return false
			}
		case '0' <= c && c <= '9', 'a' <= c && c <= 'f', 'A' <= c && c <= 'F':
		default:
			return false
		}
	}
	return true
}
