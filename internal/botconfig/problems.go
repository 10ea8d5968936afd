package botconfig

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Problem is one thing wrong with the configuration: where the setting
// comes from (File and Line, or the environment variable Env), its Key
// and what is wrong with it, saying what to write.
type Problem struct {
	File string // the config file; "" when the setting is not in one
	Line int    // its line in File, 0 when the key is not written there
	Env  string // the environment variable the setting comes from, or would
	Key  string // e.g. jira.project, routes[0].match.source
	Msg  string
}

// Error is "fixproof.yml:12: jira.project: ...", "FIXPROOF_WORKERS:
// workers: ..." for a setting from the environment, or "fixproof.yml:
// jira.base_url: required ..." for a key the file does not have.
func (p *Problem) Error() string {
	var where string
	switch {
	case p.Env != "":
		where = p.Env
	case p.Line > 0:
		where = fmt.Sprintf("%s:%d", p.File, p.Line)
	default:
		where = p.File
	}
	parts := []string{where, p.Key, p.Msg}
	parts = slices.DeleteFunc(parts, func(s string) bool { return s == "" })
	return strings.Join(parts, ": ")
}

// problems collects what Load finds, with what it needs to say where each
// setting comes from.
type problems struct {
	file string
	// lines are the lines keys are written on in the file.
	lines map[string]int
	// fromEnv holds the keys the environment set (each from its
	// envName).
	fromEnv map[string]bool
	list    []*Problem
}

func newProblems(file string) *problems {
	return &problems{file: file, lines: map[string]int{}, fromEnv: map[string]bool{}}
}

// add is a problem with key, placed where the setting comes from: the
// variable that set it, else its line in the file (or, for a key the file
// leaves out, the line of the nearest section it belongs to), else the
// variable that would set it when there is no file.
func (p *problems) add(key, format string, args ...any) {
	pr := &Problem{File: p.file, Key: key, Msg: fmt.Sprintf(format, args...)}
	switch {
	case p.fromEnv[key]:
		pr.Env = envName(key)
	case p.file != "":
		pr.Line = p.lineOf(key)
	default:
		pr.Env = envName(key)
	}
	p.list = append(p.list, pr)
}

// addAt is a problem on a line of the file.
func (p *problems) addAt(line int, key, format string, args ...any) {
	p.list = append(p.list, &Problem{File: p.file, Line: line, Key: key, Msg: fmt.Sprintf(format, args...)})
}

// addEnv is a problem with the value of an environment variable.
func (p *problems) addEnv(env, key, format string, args ...any) {
	p.list = append(p.list, &Problem{File: p.file, Env: env, Key: key, Msg: fmt.Sprintf(format, args...)})
}

// lineOf is the line of key, or of the nearest section above it that the
// file has; 0 when the file has none of them.
func (p *problems) lineOf(key string) int {
	for k := key; k != ""; k = parentKey(k) {
		if l, ok := p.lines[k]; ok {
			return l
		}
	}
	return 0
}

// parentKey is the key one level up: jira for jira.project, routes[0] for
// routes[0].project, routes for routes[0]; "" at the top.
func parentKey(key string) string {
	i := strings.LastIndexAny(key, ".[")
	if i < 0 {
		return ""
	}
	return key[:i]
}

// envName is the environment variable of a key: FIXPROOF_JIRA_API_TOKEN
// for jira.api_token; "" for a key in a list, which only the file sets.
func envName(key string) string {
	if key == "" || strings.Contains(key, "[") {
		return ""
	}
	return "FIXPROOF_" + strings.ToUpper(strings.ReplaceAll(key, ".", "_"))
}

// err is every problem, one a line, in the order of the file (those
// without a line last), or nil.
func (p *problems) err() error {
	if len(p.list) == 0 {
		return nil
	}
	slices.SortStableFunc(p.list, func(a, b *Problem) int {
		return order(a) - order(b)
	})
	errs := make([]error, len(p.list))
	for i, pr := range p.list {
		errs[i] = pr
	}
	return errors.Join(errs...)
}

// order sorts problems by line, those without one last.
func order(p *Problem) int {
	if p.Line == 0 {
		return 1 << 30
	}
	return p.Line
}
