package sentrysim

import (
	"net/http"
	"time"
)

// orgCreated is when the simulated organization was created.
var orgCreated = time.Date(2024, 1, 15, 9, 0, 0, 0, time.UTC)

// getOrganization is GET /api/0/organizations/{org}/: the organization's
// details (with detailed=0, as here, without its projects and teams),
// every field the OpenAPI document requires.
func (s *Server) getOrganization(w http.ResponseWriter, r *http.Request) {
	org := s.opts.Org
	reply(w, http.StatusOK, map[string]any{
		"id":                         "1",
		"slug":                       org,
		"name":                       org,
		"dateCreated":                iso(orgCreated),
		"status":                     map[string]any{"id": "active", "name": "active"},
		"avatar":                     map[string]any{"avatarType": "letter_avatar", "avatarUuid": nil},
		"isEarlyAdopter":             false,
		"require2FA":                 false,
		"hasAuthProvider":            false,
		"allowMemberInvite":          true,
		"allowMemberProjectCreation": true,
		"allowSuperuserAccess":       false,
		"links":                      map[string]any{"organizationUrl": "https://" + org + ".sentry.io", "regionUrl": "https://us.sentry.io"},
		"features":                   []string{},
		"access":                     []string{"org:read", "event:read", "event:write"},
	})
}

// listInstallations is GET /api/0/organizations/{org}/
// sentry-app-installations/: the one app installation the server has
// (Options.Installation and App), installed, on one page.
func (s *Server) listInstallations(w http.ResponseWriter, r *http.Request) {
	reply(w, http.StatusOK, []any{map[string]any{
		"app":          map[string]any{"uuid": "b3f4e1c2-9a8d-4e7f-8c6b-5a4d3c2b1a09", "slug": s.app(), "sentryAppId": 1},
		"organization": map[string]any{"slug": s.opts.Org},
		"uuid":         s.Installation(),
		"status":       "installed",
	}})
}
