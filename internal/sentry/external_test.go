package sentry

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/fixproof/fixproof/internal/sim/sentrysim"
)

func TestCreateExternalIssue(t *testing.T) {
	e := setup(t, sentrysim.Options{})
	e.addIssue(t)
	got, err := e.c.CreateExternalIssue(ctx, sentrysim.DefaultInstallation, "4711", "https://acme.atlassian.net/browse/OPS-7", "OPS", "OPS-7")
	if err != nil {
		t.Fatal(err)
	}
	want := ExternalIssue{ID: got.ID, Key: "OPS-7", DisplayName: "OPS#OPS-7", WebURL: "https://acme.atlassian.net/browse/OPS-7", ServiceType: "fixproof", IssueID: "4711"}
	if got != want || got.ID == "" {
		t.Errorf("got %+v", got)
	}
	// Linked again: the same link, updated.
	again, err := e.c.CreateExternalIssue(ctx, sentrysim.DefaultInstallation, "4711", "https://acme.atlassian.net/browse/OPS-8", "OPS", "OPS-8")
	if err != nil || again.ID != got.ID || again.Key != "OPS-8" {
		t.Errorf("again %+v %v", again, err)
	}
	st, _ := e.s.Issue("4711")
	if len(st.External) != 1 || st.External[0].Identifier != "OPS-8" {
		t.Errorf("snapshot %+v", st.External)
	}
	list, err := e.c.ExternalIssues(ctx, "4711")
	if err != nil || len(list) != 1 || !reflect.DeepEqual(list[0], again) {
		t.Errorf("list %+v %v", list, err)
	}
}

func TestCreateExternalIssueRefused(t *testing.T) {
	e := setup(t, sentrysim.Options{})
	e.addIssue(t)
	inst := sentrysim.DefaultInstallation
	_, err := e.c.CreateExternalIssue(ctx, inst, "999", "https://x.example/1", "OPS", "OPS-1")
	if !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown issue: %v", err)
	}
	_, err = e.c.CreateExternalIssue(ctx, "11111111-2222-4333-8444-555555555555", "4711", "https://x.example/1", "OPS", "OPS-1")
	if !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown installation: %v", err)
	}
	for name, args := range map[string][5]string{
		"issue id":     {inst, "SHOP-2F", "https://x.example/1", "OPS", "OPS-1"},
		"installation": {"../../organizations/acme", "4711", "https://x.example/1", "OPS", "OPS-1"},
		"url":          {inst, "4711", "javascript:alert(1)", "OPS", "OPS-1"},
		"project":      {inst, "4711", "https://x.example/1", " ", "OPS-1"},
		"identifier":   {inst, "4711", "https://x.example/1", "OPS", ""},
	} {
		before := e.s.Control.Total()
		if _, err := e.c.CreateExternalIssue(ctx, args[0], args[1], args[2], args[3], args[4]); err == nil || !strings.HasPrefix(err.Error(), "sentry: ") {
			t.Errorf("%s: err %v", name, err)
		}
		if e.s.Control.Total() != before {
			t.Errorf("%s: a request was sent", name)
		}
	}
	if _, err := e.c.CreateExternalIssue(ctx, inst, "x", "https://x.example/1", "OPS", "OPS-1"); !errors.Is(err, ErrInvalidID) {
		t.Errorf("invalid id: %v", err)
	}
}
