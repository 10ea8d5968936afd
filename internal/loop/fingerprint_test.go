package loop

import (
	"fmt"
	"slices"
	"testing"
)

// The fingerprint names the Jira issue of a group for as long as the
// group lives: these values are what every release has written into
// labels and properties, checked by hand with
// printf '9:alertname=13:HighErrorRate\n' | sha256sum.
func TestAlertmanagerFingerprintIsStable(t *testing.T) {
	for _, tt := range []struct {
		receiver string
		labels   map[string]string
		want     Fingerprint
	}{
		{"payments", map[string]string{"alertname": "HighErrorRate"},
			"alertmanager:payments:7d170f37dcf14825289ce441d6bf01abb8b5dec4d1bd12230891b22eea798847"},
		{"ops", map[string]string{"severity": "page", "alertname": "A", "cluster": "eu-1"},
			"alertmanager:ops:1c644bb623d94aae2246734ca45f225b27551b657f22a9476cae458b0d4a1140"},
	} {
		if got := AlertmanagerFingerprint(tt.receiver, tt.labels); got != tt.want {
			t.Errorf("AlertmanagerFingerprint(%s, %v) = %s, want %s", tt.receiver, tt.labels, got, tt.want)
		}
	}
}

// Labels come in whatever order the payload and Go's map iteration give;
// the fingerprint must not depend on it. The orders here are explicit, so
// the test fails every time, not only some of the time, if the sort goes.
func TestAlertmanagerFingerprintIgnoresLabelOrder(t *testing.T) {
	var sorted [][2]string
	for i := range 16 {
		sorted = append(sorted, [2]string{fmt.Sprintf("label_%02d", i), fmt.Sprintf("value-%d", i*7)})
	}
	reversed := slices.Clone(sorted)
	slices.Reverse(reversed)
	rotated := append(slices.Clone(sorted[5:]), sorted[:5]...)
	var interleaved [][2]string
	for i := range len(sorted) / 2 {
		interleaved = append(interleaved, sorted[len(sorted)-1-i], sorted[i])
	}
	var evensFirst [][2]string
	for _, parity := range []int{0, 1} {
		for i := parity; i < len(sorted); i += 2 {
			evensFirst = append(evensFirst, sorted[i])
		}
	}
	want := groupFingerprint("ops", sorted)
	for name, order := range map[string][][2]string{
		"reversed": reversed, "rotated": rotated, "interleaved": interleaved, "evens first": evensFirst,
	} {
		if len(order) != len(sorted) {
			t.Fatalf("%s: %d labels, want %d", name, len(order), len(sorted))
		}
		if slices.Equal(order, sorted) {
			t.Fatalf("%s: the order is the sorted one, which tests nothing", name)
		}
		if got := groupFingerprint("ops", order); got != want {
			t.Errorf("%s order: fingerprint %s, want %s (the sorted order's)", name, got, want)
		}
	}
	m := map[string]string{}
	for _, l := range sorted {
		m[l[0]] = l[1]
	}
	if got := AlertmanagerFingerprint("ops", m); got != want {
		t.Errorf("from a map: %s, want %s", got, want)
	}
	if groupFingerprint("ops", sorted[1:]) == want || groupFingerprint("dev", sorted) == want {
		t.Error("a label fewer, or another receiver, must name another group")
	}
}

func TestAlertmanagerFingerprintSeparatesNamesFromValues(t *testing.T) {
	if AlertmanagerFingerprint("r", map[string]string{"a": "b=c"}) == AlertmanagerFingerprint("r", map[string]string{"a=b": "c"}) {
		t.Error(`{"a":"b=c"} and {"a=b":"c"} share a fingerprint`)
	}
}

// The label is what the bot searches Jira for after a crash: its value for
// a fingerprint must never change (checked by hand with
// printf 'sentry:acme:101' | sha256sum | cut -c1-16).
func TestFingerprintLabelIsStable(t *testing.T) {
	if got, want := SentryFingerprint("acme", "101").Label(), "fixproof-fp-5ba8966972190890"; got != want {
		t.Errorf("Label = %s, want %s", got, want)
	}
	if SentryFingerprint("acme", "101").Label() == GuanceFingerprint("acme", "101").Label() {
		t.Error("a Sentry and a Guance issue with the same ids share a label")
	}
}
