package githubapp

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/google/go-github/v75/github"
	"go.yaml.in/yaml/v3"

	"github.com/fixproof/fixproof/internal/action"
	"github.com/fixproof/fixproof/internal/typo"
)

// SettingsPath is where a repository keeps its own settings, on its
// default branch.
const SettingsPath = ".github/fixproof.yml"

// repoSettings is a repository's settings file as last read: its blob
// SHA, and what it said.
type repoSettings struct {
	sha string
	set map[string]string
	err error
}

// ParseSettings reads a settings file: a mapping of the action's inputs a
// repository may set (action.RepoSettings) to a value, or for lists
// (jira_projects, key_sources, status_*) a value or a list of values.
// Every problem is reported, each with its line.
func ParseSettings(b []byte) (map[string]string, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("%s: %w", SettingsPath, err)
	}
	if len(doc.Content) == 0 {
		return map[string]string{}, nil // an empty file sets nothing
	}
	top := doc.Content[0]
	if top.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("%s:%d: want a mapping of settings, like jira_projects: OPS", SettingsPath, top.Line)
	}
	out := map[string]string{}
	var errs []error
	for i := 0; i+1 < len(top.Content); i += 2 {
		k, v := top.Content[i], top.Content[i+1]
		val, err := settingValue(k.Value, v)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s:%d: %s: %w", SettingsPath, k.Line, k.Value, err))
			continue
		}
		out[k.Value] = val
	}
	return out, errors.Join(errs...)
}

// settingValue is one setting's value as the action's input would hold
// it: a scalar as written, a list of scalars joined with commas.
func settingValue(key string, v *yaml.Node) (string, error) {
	if !slices.Contains(action.RepoSettings, key) {
		if near := typo.Nearest(key, action.RepoSettings); near != "" {
			return "", fmt.Errorf("unknown setting; did you mean %s?", near)
		}
		return "", fmt.Errorf("not a setting a repository may set; those are %s", strings.Join(action.RepoSettings, ", "))
	}
	switch v.Kind {
	case yaml.ScalarNode:
		return v.Value, nil
	case yaml.SequenceNode:
		items := make([]string, 0, len(v.Content))
		for _, it := range v.Content {
			if it.Kind != yaml.ScalarNode || strings.Contains(it.Value, ",") {
				return "", fmt.Errorf("line %d: a list item is one value without commas", it.Line)
			}
			items = append(items, it.Value)
		}
		return strings.Join(items, ","), nil
	}
	return "", errors.New("want a value or a list of values")
}

// ConfigFor is the configuration a repository runs with: the app's
// settings (base) with the repository's own (repo) over them, checked as
// the action checks its inputs.
func ConfigFor(base, repo map[string]string) (action.Config, error) {
	return action.LoadConfig(func(name string) string {
		if v, ok := repo[name]; ok {
			return v
		}
		return base[name]
	})
}

// repoConfig is the configuration of owner/name: its settings file read
// from its default branch (parsed again only when its blob changed) over
// the app's settings. The read is conditional (clients.GitHubREST): an
// unchanged file costs the installation's rate limit nothing. An error
// reading the file is returned as err; a file that is wrong is returned
// as invalid, for the check run.
func (a *App) repoConfig(ctx context.Context, c conn, repo string) (cfg action.Config, invalid, err error) {
	owner, name, _ := strings.Cut(repo, "/")
	file, _, res, err := c.rest.Repositories.GetContents(ctx, owner, name, SettingsPath, nil)
	var set map[string]string
	switch {
	case res != nil && res.StatusCode == http.StatusNotFound:
		set = map[string]string{}
	case err != nil:
		return action.Config{}, nil, fmt.Errorf("read %s of %s: %w", SettingsPath, repo, err)
	default:
		if set, invalid = a.parsed(repo, file); invalid != nil {
			return action.Config{}, invalid, nil
		}
	}
	cfg, invalid = ConfigFor(a.cfg.Settings, set)
	return cfg, invalid, nil
}

// parsed is the settings of a file, parsed once per blob.
func (a *App) parsed(repo string, file *github.RepositoryContent) (map[string]string, error) {
	key := strings.ToLower(repo)
	a.mu.Lock()
	cached, ok := a.settings[key]
	a.mu.Unlock()
	if ok && cached.sha == file.GetSHA() {
		return cached.set, cached.err
	}
	text, err := file.GetContent()
	var set map[string]string
	if err == nil {
		set, err = ParseSettings([]byte(text))
	}
	a.mu.Lock()
	a.settings[key] = repoSettings{sha: file.GetSHA(), set: set, err: err}
	a.mu.Unlock()
	return set, err
}
