package githubsim

import (
	"crypto/subtle"
	"fmt"
	"net/http"
	"strings"
)

// principal is who a request is from: the account behind its token, what
// the token may do and which repositories it reaches.
type principal struct {
	login string
	// permissions are the token's, by GitHub's names; nil grants every
	// permission (Options.Permissions left nil).
	permissions map[string]string
	// installation is the GitHub App installation the token was made
	// for (0 for Options.Token); account is the installation's account
	// and repos the lower-case names of its repositories it reaches, nil
	// for all of them.
	installation int64
	account      string
	repos        map[string]bool
}

// can reports whether the token may read what permission scope guards.
func (p *principal) can(scope string) bool {
	if p.permissions == nil {
		return true
	}
	level := p.permissions[scope]
	return level == "read" || level == "write"
}

// canWrite reports whether the token may change what scope guards.
func (p *principal) canWrite(scope string) bool {
	return p.permissions == nil || p.permissions[scope] == "write"
}

// reaches reports whether the token may see owner/name at all: an
// installation's token sees only the installation's repositories, and
// GitHub answers for any other as for one that does not exist.
func (p *principal) reaches(owner, name string) bool {
	if p.installation == 0 {
		return true
	}
	return strings.EqualFold(owner, p.account) && (p.repos == nil || p.repos[strings.ToLower(name)])
}

// notAccessible is GitHub's refusal of a permission the token lacks: an
// installation's (a bot's) or a fine-grained personal access token's.
func (p *principal) notAccessible() string {
	if strings.HasSuffix(p.login, "[bot]") {
		return "Resource not accessible by integration"
	}
	return "Resource not accessible by personal access token"
}

// rateLimitedFor is how GitHub names the account a primary limit belongs
// to: the installation behind a bot's token, else the user.
func (p *principal) rateLimitedFor() string {
	if p.installation != 0 {
		return fmt.Sprintf("installation ID %d", p.installation)
	}
	if slug, ok := strings.CutSuffix(p.login, "[bot]"); ok {
		return fmt.Sprintf("installation ID %d", userID("installation:"+slug))
	}
	return fmt.Sprintf("user ID %d", userID(p.login))
}

// authenticate finds who r is from by the token it carries as "bearer
// <token>" or "token <token>", the scheme in any case: Options.Token, or
// an installation token that has not expired. ok is false for any other
// token or none.
func (s *Server) authenticate(r *http.Request) (who *principal, ok bool) {
	tok, ok := bearerToken(r)
	if !ok {
		return nil, false
	}
	if s.token != "" && subtle.ConstantTimeCompare([]byte(tok), []byte(s.token)) == 1 {
		return &principal{login: s.login, permissions: s.permissions}, true
	}
	return s.installationPrincipal(tok)
}

// bearerToken is the token of r's Authorization header.
func bearerToken(r *http.Request) (string, bool) {
	scheme, tok, ok := strings.Cut(strings.TrimSpace(r.Header.Get("Authorization")), " ")
	if !ok {
		return "", false
	}
	switch strings.ToLower(scheme) {
	case "bearer", "token":
	default:
		return "", false
	}
	tok = strings.TrimSpace(tok)
	return tok, tok != ""
}
