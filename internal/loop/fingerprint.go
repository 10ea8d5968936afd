package loop

import (
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strconv"
	"strings"
)

// Fingerprint names one problem across every delivery that reports it: a
// Sentry issue, a Guance issue or an Alertmanager group. The bot keeps one
// Jira issue per fingerprint, for as long as the problem lives, so its
// values never change between releases.
type Fingerprint string

// LabelFingerprintPrefix starts the label that carries a fingerprint.
const LabelFingerprintPrefix = "fixproof-fp-"

// SentryFingerprint names a Sentry issue: sentry:<org>:<issue id>.
func SentryFingerprint(org, issueID string) Fingerprint {
	return Fingerprint("sentry:" + org + ":" + issueID)
}

// GuanceFingerprint names a Guance (观测云) issue: guance:<workspace>:<uuid>.
func GuanceFingerprint(workspace, uuid string) Fingerprint {
	return Fingerprint("guance:" + workspace + ":" + uuid)
}

// AlertmanagerFingerprint names an Alertmanager group:
// alertmanager:<receiver>:<sha256 of the sorted group labels>.
func AlertmanagerFingerprint(receiver string, groupLabels map[string]string) Fingerprint {
	labels := make([][2]string, 0, len(groupLabels))
	for k, v := range groupLabels {
		labels = append(labels, [2]string{k, v})
	}
	return groupFingerprint(receiver, labels)
}

// groupFingerprint is AlertmanagerFingerprint over labels in any order:
// the order the caller gives (a map's, which Go varies from run to run)
// must not matter, so the labels are sorted by name first.
func groupFingerprint(receiver string, labels [][2]string) Fingerprint {
	labels = slices.Clone(labels)
	slices.SortFunc(labels, func(a, b [2]string) int { return strings.Compare(a[0], b[0]) })
	h := sha256.New()
	for _, l := range labels {
		// Length-prefixed, so {"a":"b=c"} and {"a=b":"c"} differ.
		h.Write([]byte(strconv.Itoa(len(l[0])) + ":" + l[0] + "=" + strconv.Itoa(len(l[1])) + ":" + l[1] + "\n"))
	}
	return Fingerprint("alertmanager:" + receiver + ":" + hex.EncodeToString(h.Sum(nil)))
}

// Label is the Jira label that carries the fingerprint: labels cannot hold
// spaces or be longer than 255, so it is a short hash, "fixproof-fp-" and
// 16 hex digits; the full fingerprint goes in the issue property.
func (f Fingerprint) Label() string {
	sum := sha256.Sum256([]byte(f))
	return LabelFingerprintPrefix + hex.EncodeToString(sum[:8])
}
