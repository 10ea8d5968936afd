package jirasim

import (
	"encoding/json"
	"fmt"
	"strings"
)

// The setters below arrange a scenario directly, as a Jira admin or an
// integration would have left it, without going through the API: a test
// or benchmark that needs 10,000 labelled issues should not spend 20,000
// requests arranging them.

// edit runs f on an issue under the lock.
func (s *Server) edit(key string, f func(is *issue)) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	is, ok := s.issues[strings.ToUpper(key)]
	if !ok {
		return fmt.Errorf("jirasim: no issue %s", key)
	}
	f(is)
	return nil
}

// SetLabels replaces an issue's labels.
func (s *Server) SetLabels(key string, labels ...string) error {
	return s.edit(key, func(is *issue) { is.labels = append([]string(nil), labels...) })
}

// SetProperty sets an issue property to a JSON value.
func (s *Server) SetProperty(key, name string, value json.RawMessage) error {
	if !json.Valid(value) {
		return fmt.Errorf("jirasim: property %s of %s is not JSON", name, key)
	}
	return s.edit(key, func(is *issue) { is.props[name] = compact(value) })
}

// SetDescription sets the description: an ADF document (object) or wiki
// markup (a JSON string), as Sentry's Jira integration would write it.
func (s *Server) SetDescription(key string, value json.RawMessage) error {
	var probe any
	if err := json.Unmarshal(value, &probe); err != nil {
		return fmt.Errorf("jirasim: description of %s is not JSON: %w", key, err)
	}
	_, isString := probe.(string)
	// Jira stores only valid ADF: a scenario must not hold what no
	// integration could have written.
	if !isString {
		if p := s.adfProblem(value); p != "" {
			return fmt.Errorf("jirasim: description of %s is not a valid ADF document: %s", key, p)
		}
	}
	return s.edit(key, func(is *issue) { is.desc, is.descADF = compact(value), !isString })
}

// SetStatus puts an issue in a status without a transition, as an admin
// bulk edit would; the jira:issue_updated webhook names Admin as its user
// (see SetStatusAs).
func (s *Server) SetStatus(key, status string) error {
	admin := Admin
	return s.setStatus(key, status, &admin)
}

func (s *Server) setStatus(key, status string, actor *User) error {
	var err error
	editErr := s.edit(key, func(is *issue) {
		st, ok := is.proj.status(status)
		if !ok {
			err = fmt.Errorf("jirasim: status %q is not in the workflow of %s", status, is.proj.key)
			return
		}
		before, res := is.statusOf(), is.resolution
		from := before.Category
		is.status = st.Name
		is.history = append(is.history, st.Name)
		if (from == "done") != (st.Category == "done") {
			s.settle(is, from, "", s.now())
		}
		s.emitStatus(is, before, res, actor)
	})
	if editErr != nil {
		return editErr
	}
	return err
}

// AddRemoteLink links an issue to a URL, as another integration would.
func (s *Server) AddRemoteLink(key, url, title string) error {
	obj, _ := json.Marshal(map[string]string{"url": url, "title": title})
	return s.edit(key, func(is *issue) {
		is.links = append(is.links, &remoteLink{id: s.nextLink, globalID: url, object: obj})
		s.nextLink++
	})
}
