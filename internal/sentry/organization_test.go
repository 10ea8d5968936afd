package sentry

import (
	"errors"
	"net/http"
	"reflect"
	"testing"

	"github.com/fixproof/fixproof/internal/sim/sentrysim"
)

// The organization and its app installations are what the bot's checks
// read: a token Sentry does not know is 401, an organization the token
// cannot read 403; every request and answer is checked against Sentry's
// OpenAPI document.
func TestOrganizationAndItsInstallations(t *testing.T) {
	e := setup(t, sentrysim.Options{Installation: "01635075-3a0e-4f96-8fc8-ff9680780a13", App: "fixproof-acme"})
	org, err := e.c.Organization(ctx)
	if err != nil || org.Slug != "acme" || org.ID == "" {
		t.Fatalf("organization %+v, %v", org, err)
	}
	list, err := e.c.Installations(ctx)
	want := []Installation{{UUID: "01635075-3a0e-4f96-8fc8-ff9680780a13", App: "fixproof-acme", Status: "installed"}}
	if err != nil || !reflect.DeepEqual(list, want) {
		t.Errorf("installations %+v, %v; want %+v", list, err, want)
	}
	var ae *APIError
	if _, err := e.client(t, Config{Org: "globex", HTTPClient: &http.Client{Transport: checked(t, http.DefaultTransport)}}).Organization(ctx); !errors.As(err, &ae) || ae.Status != http.StatusForbidden || !ae.Auth() {
		t.Errorf("another organization: %v", err)
	}
	if _, err := e.client(t, Config{Token: "expired", HTTPClient: &http.Client{Transport: checked(t, http.DefaultTransport)}}).Installations(ctx); !errors.As(err, &ae) || ae.Status != http.StatusUnauthorized {
		t.Errorf("a token Sentry does not know: %v", err)
	}
}
