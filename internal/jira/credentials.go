package jira

// CredentialsProblem is what is wrong with a set of Jira credentials, so
// that each caller can name its own setting (jira_pat, jira.pat) in the
// message.
type CredentialsProblem int

// The problems, in the order they are looked for.
const (
	// CredentialsOK: Jira Cloud (email and API token) or Data Center
	// (personal access token), one kind only.
	CredentialsOK CredentialsProblem = iota
	// CredentialsBoth: Cloud credentials (or part of them) and a PAT.
	CredentialsBoth
	// CredentialsNoEmail: an API token without the email it belongs to.
	CredentialsNoEmail
	// CredentialsNoAPIToken: an email without an API token.
	CredentialsNoAPIToken
	// CredentialsNone: no credentials at all.
	CredentialsNone
)

// CheckCredentials is Jira's one rule for credentials: Jira Cloud takes an
// email and an API token (basic auth), Data Center a personal access token
// (bearer); giving a part of one kind selects it, and giving both kinds is
// a mistake, not a choice to be guessed.
func CheckCredentials(email, apiToken, pat string) CredentialsProblem {
	cloud := email != "" || apiToken != ""
	switch {
	case cloud && pat != "":
		return CredentialsBoth
	case cloud && email == "":
		return CredentialsNoEmail
	case cloud && apiToken == "":
		return CredentialsNoAPIToken
	case !cloud && pat == "":
		return CredentialsNone
	}
	return CredentialsOK
}
