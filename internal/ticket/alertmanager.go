package ticket

import (
	"strconv"
	"strings"

	"github.com/fixproof/fixproof/internal/alert"
	"github.com/fixproof/fixproof/internal/jiramarkup"
)

// alertmanagerDescription is an Alertmanager group's issue text: its
// summary, its labels, and its alerts as the first notification listed
// them (the counters comment keeps the alerts firing now).
func alertmanagerDescription(a *alert.Alert) jiramarkup.Doc {
	var d jiramarkup.Doc
	add := func(b ...jiramarkup.Block) { d.Blocks = append(d.Blocks, b...) }
	add(jiramarkup.P(jiramarkup.Strong(a.Title)))
	if s := a.Annotations["description"]; s != "" {
		add(jiramarkup.P(jiramarkup.Plain(s)))
	}
	rows := [][2]string{{"Status", a.Status}, {"Receiver", a.Receiver}, {"Alerts in the group", strconv.Itoa(len(a.Alerts))}}
	for _, k := range sortedKeys(a.GroupLabels) {
		rows = append(rows, [2]string{"Group label " + k, a.GroupLabels[k]})
	}
	for _, k := range sortedKeys(a.CommonLabels) {
		if _, dup := a.GroupLabels[k]; !dup {
			rows = append(rows, [2]string{"Label " + k, a.CommonLabels[k]})
		}
	}
	add(detailsTable(rows))
	if len(a.Alerts) > 0 {
		items := make([]jiramarkup.Paragraph, 0, len(a.Alerts))
		for _, in := range a.Alerts {
			var kv []string
			for _, k := range sortedKeys(in.Labels) {
				if _, common := a.CommonLabels[k]; !common {
					kv = append(kv, k+"="+in.Labels[k])
				}
			}
			p := jiramarkup.P(jiramarkup.Plain(in.Status + " since " + stamp(in.StartsAt) + " " + strings.Join(kv, " ")))
			if in.GeneratorURL != "" {
				p = append(p, jiramarkup.Plain(" "), jiramarkup.Link("graph", in.GeneratorURL))
			}
			items = append(items, p)
		}
		add(jiramarkup.Heading("Alerts"), jiramarkup.List{Items: items})
	}
	add(links([][2]string{{"Runbook", a.Annotations["runbook_url"]}, {"Alertmanager", a.ExternalURL}})...)
	return d
}
