package sentry

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/fixproof/fixproof/internal/sim/sentrysim"
)

// TestEventCountsInOneEnvironment counts the errors of one environment;
// EventCounts counts them all.
func TestEventCountsInOneEnvironment(t *testing.T) {
	e := setup(t, sentrysim.Options{})
	e.addIssue(t)
	e.s.SetTimeline("4711", sentrysim.Rate(60))
	e.s.SetTimelineIn("4711", "staging", sentrysim.Rate(6))
	prod, err := e.c.EventCountsIn(ctx, "4711", "production", at(10, 0), noon, time.Hour)
	if err != nil || !reflect.DeepEqual(counts(prod), []float64{60, 60}) {
		t.Errorf("production: %v, %v", counts(prod), err)
	}
	staging, err := e.c.EventCountsIn(ctx, "4711", "staging", at(10, 0), noon, time.Hour)
	if err != nil || !reflect.DeepEqual(counts(staging), []float64{6, 6}) {
		t.Errorf("staging: %v, %v", counts(staging), err)
	}
	all, err := e.c.EventCounts(ctx, "4711", at(10, 0), noon, time.Hour)
	if err != nil || !reflect.DeepEqual(counts(all), []float64{66, 66}) {
		t.Errorf("all: %v, %v", counts(all), err)
	}
	if _, err := e.c.EventCountsIn(ctx, "4711", "qa", at(10, 0), noon, time.Hour); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown environment: %v, want ErrNotFound", err)
	}
}

// TestTransactionCountsAlignedZeroFilledIncomplete counts a project's
// transactions in production from 06:20: aligned to the hour, the first
// bucket holding only the 40 minutes from start, the last one incomplete;
// a project without transactions gets zero buckets.
func TestTransactionCountsAlignedZeroFilledIncomplete(t *testing.T) {
	e, project := shop(t)
	e.s.SetTransactions("shop", "production", sentrysim.Rate(600))
	e.s.SetTransactions("shop", "staging", sentrysim.Rate(60))
	bs, err := e.c.TransactionCounts(ctx, project, "production", at(6, 20), noon, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if want := []time.Time{at(6, 0), at(7, 0), at(8, 0), at(9, 0), at(10, 0), at(11, 0)}; !reflect.DeepEqual(starts(bs), want) {
		t.Fatalf("starts %v, want %v", starts(bs), want)
	}
	if want := []float64{400, 600, 600, 600, 600, 600}; !reflect.DeepEqual(counts(bs), want) {
		t.Errorf("counts %v, want %v", counts(bs), want)
	}
	if want := []bool{false, false, false, false, false, true}; !reflect.DeepEqual(incomplete(bs), want) {
		t.Errorf("incomplete %v, want %v", incomplete(bs), want)
	}
	all, err := e.c.TransactionCounts(ctx, project, "", at(11, 0), noon, time.Hour)
	if err != nil || !reflect.DeepEqual(counts(all), []float64{660}) {
		t.Errorf("every environment: %v, %v", counts(all), err)
	}
	none, err := e.c.TransactionCounts(ctx, e.s.ProjectID("web"), "production", at(10, 0), noon, 30*time.Minute)
	if err != nil || !reflect.DeepEqual(counts(none), []float64{0, 0, 0, 0}) {
		t.Errorf("no transactions: %v, %v", counts(none), err)
	}
	if _, err := e.c.TransactionCounts(ctx, "shop", "", at(10, 0), noon, time.Hour); !errors.Is(err, ErrInvalidProjectID) {
		t.Errorf("slug: %v, want ErrInvalidProjectID", err)
	}
	if _, err := e.c.TransactionCounts(ctx, "999", "", at(10, 0), noon, time.Hour); err == nil || !strings.Contains(err.Error(), "403") {
		t.Errorf("unknown project: %v, want a 403", err)
	}
}

// TestEventCountsManyEqualsSeparateCalls counts five issues in one
// request: quiet ones, one without events, one Sentry does not know, in
// one environment; each issue's buckets are those EventCountsIn gives it
// alone.
func TestEventCountsManyEqualsSeparateCalls(t *testing.T) {
	e, _ := shop(t)
	e.clock.Set(at(12, 10))
	for id, tl := range map[string]sentrysim.Timeline{
		"101": sentrysim.Rate(60),
		"102": sentrysim.Step(at(10, 30), sentrysim.Rate(30), sentrysim.Rate(0)),
		"103": sentrysim.Events(at(11, 59)),
		"104": nil,
	} {
		e.s.AddIssue(sentrysim.Issue{ID: id, Project: "shop", FirstSeen: noon.Add(-24 * time.Hour)})
		e.s.SetTimeline(id, tl)
		e.s.SetTimelineIn(id, "staging", sentrysim.Rate(1000))
	}
	ids := []string{"101", "102", "103", "104", "105", "101"}
	many, err := e.c.EventCountsMany(ctx, ids, "production", at(9, 20), at(12, 10), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if n := e.s.Control.Total(); n != 1 {
		t.Errorf("%d requests, want 1", n)
	}
	if len(many) != 5 {
		t.Errorf("%d issues, want 5", len(many))
	}
	for _, id := range ids[:5] {
		one, err := e.c.EventCountsIn(ctx, id, "production", at(9, 20), at(12, 10), time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(many[id], one) {
			t.Errorf("issue %s: together %+v\n alone %+v", id, many[id], one)
		}
	}
	if got := counts(many["101"]); !reflect.DeepEqual(got, []float64{40, 60, 60, 10}) {
		t.Errorf("101: %v", got)
	}
}

// TestEventCountsManyRejectsBadLists sends nothing for no ids, more than
// Sentry's 10 top events, or an id that is not numeric.
func TestEventCountsManyRejectsBadLists(t *testing.T) {
	e, _ := shop(t)
	var eleven []string
	for i := 0; i < 11; i++ {
		eleven = append(eleven, fmt.Sprint(100+i))
	}
	for name, ids := range map[string][]string{"none": nil, "eleven": eleven, "short id": {"1", "SHOP-2F"}} {
		if _, err := e.c.EventCountsMany(ctx, ids, "", at(10, 0), noon, time.Hour); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := e.c.EventCountsMany(ctx, eleven[:10], "", at(10, 0), noon, time.Hour); err != nil {
		t.Errorf("ten: %v", err)
	}
	if n := e.s.Control.Total(); n != 1 {
		t.Errorf("%d requests", n)
	}
}

func grouped(id string, values string) string {
	return fmt.Sprintf(`{"yAxis":"count()","groupBy":[{"key":"issue.id","value":%s}],"values":[%s],"meta":{"interval":3600000,"valueType":"integer","valueUnit":null,"order":0,"isOther":false}}`, id, values)
}

// TestEventCountsManyOddAnswers reads grouped answers Sentry might give
// and ones it should not.
func TestEventCountsManyOddAnswers(t *testing.T) {
	v := fmt.Sprintf(`{"timestamp":%d,"value":3,"incomplete":false}`, at(11, 0).UnixMilli())
	zero := fmt.Sprintf(`{"timestamp":%d,"value":0,"incomplete":false}`, at(11, 0).UnixMilli())
	for name, c := range map[string]struct {
		series string
		ok     bool
	}{
		"number id":                    {grouped("4711", v), true},
		"string id":                    {grouped(`"4711"`, v), true},
		"id beyond float64 precision":  {grouped("9007199254740993", v), true},
		"ungrouped series of zeros":    {`{"yAxis":"count()","values":[` + zero + `],"meta":{"interval":3600000,"valueType":"integer","valueUnit":null}}`, true},
		"ungrouped series with counts": {`{"yAxis":"count()","values":[` + v + `],"meta":{"interval":3600000,"valueType":"integer","valueUnit":null}}`, false},
		"issue not asked for":          {grouped("1", v), false},
		"issue twice":                  {grouped("4711", v) + "," + grouped("4711", v), false},
		"id not a number":              {grouped(`"SHOP-2F"`, v), false},
		"other interval":               {strings.Replace(grouped("4711", v), "3600000", "300000", 1), false},
	} {
		t.Run(name, func(t *testing.T) {
			cl, _ := fakeSeries(t, `{"timeSeries":[`+c.series+`]}`, false)
			got, err := cl.EventCountsMany(ctx, []string{"4711", "9007199254740993"}, "", at(11, 0), noon, time.Hour)
			if c.ok != (err == nil) {
				t.Fatalf("buckets %+v, err %v", got, err)
			}
			if err == nil && len(got) != 2 {
				t.Errorf("%d issues", len(got))
			}
		})
	}
}

// TestEventCountsManyRequest checks the query sent.
func TestEventCountsManyRequest(t *testing.T) {
	c, q := fakeSeries(t, `{"timeSeries":[]}`, true)
	if _, err := c.EventCountsMany(ctx, []string{"4711", "42"}, "production", at(11, 0), noon, time.Hour); err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]string{
		"dataset": "errors", "query": "issue.id:[4711,42]", "groupBy": "issue.id", "topEvents": "2", "sort": "-count()",
		"excludeOther": "1", "environment": "production", "project": "-1", "yAxis": "count()", "interval": "3600",
	} {
		if got := (*q)[k]; len(got) != 1 || got[0] != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
}
