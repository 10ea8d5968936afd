package sentrysim

import (
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// noteFor finds the path's note on a locked issue; only its author (the
// API user) may change it, as in Sentry. On nil the answer is written.
func (s *Server) noteFor(w http.ResponseWriter, r *http.Request, is *issue) (int, *activity) {
	id, err := strconv.Atoi(r.PathValue("note"))
	for i, a := range is.activity {
		if err == nil && a.id == id && a.kind == "note" {
			if a.author != apiUser {
				fail(w, http.StatusForbidden, "You do not have permission to perform this action.")
				return -1, nil
			}
			return i, a
		}
	}
	fail(w, http.StatusNotFound, "The requested resource does not exist")
	return -1, nil
}

// updateNote is PUT .../issues/{id}/comments/{note}/: {"text"} -> 200.
func (s *Server) updateNote(w http.ResponseWriter, r *http.Request) {
	is := s.issueFor(w, r)
	if is == nil {
		return
	}
	defer s.mu.Unlock()
	_, fields, ok := readObject(w, r)
	if !ok {
		return
	}
	text, msg := drfString(fields["text"])
	if text = strings.TrimSpace(text); msg == "" && text == "" {
		msg = "This field may not be blank."
	}
	if msg != "" {
		reply(w, http.StatusBadRequest, map[string]any{"text": []string{msg}})
		return
	}
	_, a := s.noteFor(w, r, is)
	if a == nil {
		return
	}
	a.data = map[string]any{"text": text}
	reply(w, http.StatusOK, renderActivity(a))
}

// deleteNote is DELETE .../issues/{id}/comments/{note}/ -> 204.
func (s *Server) deleteNote(w http.ResponseWriter, r *http.Request) {
	is := s.issueFor(w, r)
	if is == nil {
		return
	}
	defer s.mu.Unlock()
	i, a := s.noteFor(w, r, is)
	if a == nil {
		return
	}
	is.activity = slices.Delete(is.activity, i, i+1)
	w.WriteHeader(http.StatusNoContent)
}

// CommentWebhook builds a "comment" webhook body (action created, updated
// or deleted) about note noteID of an issue, shaped like the vendor's
// comment.created.json example.
func (s *Server) CommentWebhook(action, issueID, noteID, text string, actor Actor) []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	project := ""
	if is, ok := s.issues[issueID]; ok {
		project = is.project
	}
	id, _ := strconv.Atoi(issueID)
	nid, _ := strconv.Atoi(noteID)
	b, _ := json.Marshal(map[string]any{
		"action": action,
		"data": map[string]any{
			"comment": text, "project_slug": project, "comment_id": nid, "issue_id": id,
			"timestamp": s.now().UTC().Format(time.RFC3339Nano),
		},
		"installation": map[string]any{"uuid": s.opts.Installation},
		"actor":        actor.json(false),
	})
	return b
}
