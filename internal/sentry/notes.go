package sentry

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Note is a note (a comment) on an issue.
type Note struct {
	// ID is the note's activity id; Text is what it says.
	ID   string
	Text string
	// Author is the name of the user who wrote it (else their username or
	// email), or of the integration that did; empty when Sentry names
	// nobody.
	Author string
	// Created is when it was written.
	Created time.Time
}

// apiNote is a note as Sentry serializes it: an activity of type "note".
type apiNote struct {
	ID   string `json:"id"`
	Type string `json:"type"`
	Data struct {
		Text string `json:"text"`
	} `json:"data"`
	User *struct {
		Name     string `json:"name"`
		Username string `json:"username"`
		Email    string `json:"email"`
	} `json:"user"`
	SentryApp *struct {
		Name string `json:"name"`
	} `json:"sentry_app"`
	DateCreated string `json:"dateCreated"`
}

func (a *apiNote) note() (Note, error) {
	n := Note{ID: a.ID, Text: a.Data.Text}
	switch {
	case a.User != nil:
		for _, s := range []string{a.User.Name, a.User.Username, a.User.Email} {
			if s != "" {
				n.Author = s
				break
			}
		}
	case a.SentryApp != nil:
		n.Author = a.SentryApp.Name
	}
	var err error
	n.Created, err = timestamp("dateCreated", a.DateCreated)
	return n, err
}

// Notes lists the notes of an issue, newest first as Sentry lists them:
// GET /api/0/organizations/{org}/issues/{id}/comments/, following Sentry's
// pagination (see eachPage).
func (c *Client) Notes(ctx context.Context, issueID string) ([]Note, error) {
	if err := checkID(issueID); err != nil {
		return nil, err
	}
	op := "list notes of issue " + issueID
	var notes []Note
	err := eachPage(ctx, c, op, c.issuePath(issueID, "comments/"), nil, func(batch []apiNote) (bool, error) {
		for _, a := range batch {
			n, err := a.note()
			if err != nil {
				return false, fmt.Errorf("sentry: %s: note %s: %w", op, a.ID, err)
			}
			notes = append(notes, n)
		}
		return true, nil
	})
	if err != nil {
		return nil, err
	}
	return notes, nil
}

// AddNote adds a note to an issue: POST
// /api/0/organizations/{org}/issues/{id}/comments/ with {"text": text}.
// Sentry trims the text's surrounding white space, refuses a blank one, and
// refuses (400) the same text posted again by the same user within an hour.
func (c *Client) AddNote(ctx context.Context, issueID, text string) (Note, error) {
	if err := checkID(issueID); err != nil {
		return Note{}, err
	}
	op := "add a note to issue " + issueID
	return c.writeNote(ctx, op, http.MethodPost, c.issuePath(issueID, "comments/"), text)
}

// UpdateNote changes a note's text: PUT
// /api/0/organizations/{org}/issues/{id}/comments/{note}/. Only the note's
// author may (403 otherwise).
func (c *Client) UpdateNote(ctx context.Context, issueID, noteID, text string) (Note, error) {
	if err := checkID(issueID); err != nil {
		return Note{}, err
	}
	if err := checkID(noteID); err != nil {
		return Note{}, err
	}
	op := "edit note " + noteID + " of issue " + issueID
	return c.writeNote(ctx, op, http.MethodPut, c.issuePath(issueID, "comments/"+noteID+"/"), text)
}

// writeNote sends {"text": text} and reads back the note.
func (c *Client) writeNote(ctx context.Context, op, method, path, text string) (Note, error) {
	if strings.TrimSpace(text) == "" {
		return Note{}, errors.New("sentry: " + op + ": empty text")
	}
	var a apiNote
	body := struct {
		Text string `json:"text"`
	}{text}
	if _, err := c.do(ctx, op, method, path, nil, body, &a); err != nil {
		return Note{}, err
	}
	n, err := a.note()
	if err != nil {
		return Note{}, fmt.Errorf("sentry: %s: %w", op, err)
	}
	return n, nil
}

// DeleteNote deletes a note: DELETE
// /api/0/organizations/{org}/issues/{id}/comments/{note}/. A note already
// gone is not an error.
func (c *Client) DeleteNote(ctx context.Context, issueID, noteID string) error {
	if err := checkID(issueID); err != nil {
		return err
	}
	if err := checkID(noteID); err != nil {
		return err
	}
	_, err := c.do(ctx, "delete note "+noteID+" of issue "+issueID, http.MethodDelete, c.issuePath(issueID, "comments/"+noteID+"/"), nil, nil, nil)
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	return err
}
