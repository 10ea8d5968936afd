// Package jirakey finds Jira issue keys in the text of a pull request.
//
// A key is a project key, a hyphen and an issue number, as in OPS-123. The
// project key is 2 to 10 characters, a letter followed by letters, digits or
// underscores; the number has 1 to 9 digits and no leading zero.
//
// Pull requests are full of things shaped like keys that are not keys:
// UTF-8, SHA-256, ISO-8601, TLS-1.3, Python's PEP-8. A key therefore counts
// only when it stands on its own (no letter, digit or underscore touches
// it, and no ".3" follows it to make it a version), and keys whose project
// is a well-known standard or identifier prefix are dropped unless the
// caller's allow-list names that project.
//
// The functions are pure and safe for concurrent use. They scan by hand
// rather than with regular expressions, and take time linear in the size of
// their input whatever it contains.
package jirakey

// Extractor finds keys. The zero value finds keys of any project.
//
// Every method returns keys upper-cased, without duplicates, in order of
// first appearance, and nil when there are none.
type Extractor struct {
	// Projects, when not empty, is the allow-list of project keys (upper
	// case). Keys of other projects are dropped, and a project named here is
	// accepted even if it is on the built-in deny-list (a team whose project
	// really is "SHA" can list it).
	Projects []string
}

// Text returns the keys in free text: a pull request title or a commit
// message. Only upper-case keys count; in prose, "ops-123" and "Covid-19"
// are far more often words than references to issues.
func (e Extractor) Text(s string) []string {
	sc := scanner{e: e}
	sc.scan(s)
	return sc.keys
}

// Branch returns the keys in a branch name, ignoring case: branch names are
// conventionally lower case, so feature/ops-123-fix yields OPS-123.
func (e Extractor) Branch(name string) []string {
	sc := scanner{e: e, anyCase: true}
	sc.scan(name)
	return sc.keys
}

// Body returns the keys in a pull request body written in GitHub Markdown.
// It reads the body as [Extractor.Text] does, except that:
//
//   - Keys in fenced code blocks and HTML comments are ignored. Code holds
//     logs and examples, and comments hold the pull request template's
//     instructions ("reference the issue, e.g. ABC-123"); neither is the
//     author pointing at an issue. Inline code spans still count, as
//     authors often write `OPS-123`.
//   - Keys in Jira issue links count in any case and even when their project
//     is on the deny-list, because the link says they are issues:
//     .../browse/OPS-1, .../projects/OPS/issues/OPS-1 and ...?selectedIssue=OPS-1.
func (e Extractor) Body(markdown string) []string {
	sc := scanner{e: e, links: true}
	for text := range visible(markdown) {
		sc.scan(text)
	}
	return sc.keys
}
