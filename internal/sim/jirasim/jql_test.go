package jirasim

import (
	"reflect"
	"strings"
	"testing"
)

func TestParseJQLValid(t *testing.T) {
	v := func(s string) jqlValue { return jqlValue{text: s} }
	empty := jqlValue{empty: true}
	tests := []struct {
		jql  string
		want jqlQuery
	}{
		{``, jqlQuery{}},
		{`   `, jqlQuery{}},
		{`key = OPS-1`, jqlQuery{clauses: []jqlClause{{"key", "key", "=", []jqlValue{v("OPS-1")}}}}},
		{`issuekey in (A-1, "B-2", 'C-3')`, jqlQuery{clauses: []jqlClause{
			{"key", "issuekey", "in", []jqlValue{v("A-1"), v("B-2"), v("C-3")}}}}},
		{`id = 10001`, jqlQuery{clauses: []jqlClause{{"key", "id", "=", []jqlValue{v("10001")}}}}},
		{`Project = OPS aNd LABELS != "needs-review"`, jqlQuery{clauses: []jqlClause{
			{"project", "Project", "=", []jqlValue{v("OPS")}},
			{"labels", "LABELS", "!=", []jqlValue{v("needs-review")}}}}},
		{`project not in (A, B) AND labels NOT IN (x)`, jqlQuery{clauses: []jqlClause{
			{"project", "project", "not in", []jqlValue{v("A"), v("B")}},
			{"labels", "labels", "not in", []jqlValue{v("x")}}}}},
		{`status = "In Review" and statusCategory != Done ORDER BY key DESC, created`, jqlQuery{
			clauses: []jqlClause{
				{"status", "status", "=", []jqlValue{v("In Review")}},
				{"statuscategory", "statusCategory", "!=", []jqlValue{v("Done")}}},
			order: []jqlOrder{{"key", true}, {"created", false}}}},
		{`status in ("In Progress", 'Won\'t Do')`, jqlQuery{clauses: []jqlClause{
			{"status", "status", "in", []jqlValue{v("In Progress"), v("Won't Do")}}}}},
		{`labels = "a\"b\\c\u0041\n"`, jqlQuery{clauses: []jqlClause{
			{"labels", "labels", "=", []jqlValue{v("a\"b\\cA\n")}}}}},
		{`labels = fix\ me`, jqlQuery{clauses: []jqlClause{{"labels", "labels", "=", []jqlValue{v("fix me")}}}}},
		{`labels="and"`, jqlQuery{clauses: []jqlClause{{"labels", "labels", "=", []jqlValue{v("and")}}}}},
		{"key=A-1\n\tAND\nkey!=A-2", jqlQuery{clauses: []jqlClause{
			{"key", "key", "=", []jqlValue{v("A-1")}},
			{"key", "key", "!=", []jqlValue{v("A-2")}}}}},
		{`labels is EMPTY and labels is not null`, jqlQuery{clauses: []jqlClause{
			{"labels", "labels", "is", []jqlValue{empty}},
			{"labels", "labels", "is not", []jqlValue{empty}}}}},
		{`labels in (a, EMPTY)`, jqlQuery{clauses: []jqlClause{{"labels", "labels", "in", []jqlValue{v("a"), empty}}}}},
		{`order by updated asc`, jqlQuery{order: []jqlOrder{{"updated", false}}}},
		{`"project" = OPS ORDER BY issuekey`, jqlQuery{
			clauses: []jqlClause{{"project", "project", "=", []jqlValue{v("OPS")}}},
			order:   []jqlOrder{{"key", false}}}},
	}
	for _, tt := range tests {
		got, err := parseJQL(tt.jql)
		if err != nil {
			t.Errorf("parseJQL(%q): %v", tt.jql, err)
			continue
		}
		if !reflect.DeepEqual(*got, tt.want) {
			t.Errorf("parseJQL(%q) =\n %+v\nwant\n %+v", tt.jql, *got, tt.want)
		}
	}
}

func TestParseJQLInvalid(t *testing.T) {
	tests := []struct{ jql, want string }{
		{`key = A-1 OR key = A-2`, "jirasim does not support OR. (line 1, character 11)"},
		{`(key = A-1)`, "parenthesised groups"},
		{`NOT labels = x`, "NOT before a clause"},
		{`summary ~ foo`, "does not support the field 'summary'"},
		{`labels ~ x`, "the operator '~'"},
		{`labels >= x`, "the operator '>='"},
		{`status was Open`, "the operator 'was'"},
		{`key = `, "Expecting either a value, list or function but got the end of the query."},
		{`key`, "Expecting operator but got the end of the query."},
		{`key foo`, "Expecting operator but got 'foo'."},
		{`key in A-1`, "Expecting '(' but got 'A-1'."},
		{`key in ()`, "Expecting either a value, list or function but got ')'."},
		{`key in (A-1, )`, "Expecting either a value, list or function but got ')'."},
		{`key in (A-1 A-2)`, "Expecting ',' or ')' but got 'A-2'."},
		{`key not A-1`, "Expecting 'IN' but got 'A-1'."},
		{`key = (A-1)`, "does not support the list value"},
		{`key is A-1`, "Expecting 'EMPTY' or 'NULL' but got 'A-1'."},
		{`labels = "abc`, "has not been completed"},
		{`labels = 'abc"`, "has not been completed"},
		{`labels = "a\qb"`, `'\q' is an illegal JQL escape sequence.`},
		{`labels = "\u00"`, `illegal JQL escape sequence`},
		{`status = In Progress`, "You must surround 'In' in quotation marks to use it as a value. (line 1, character 10)"},
		{`status = Under Review`, "Expecting either 'OR' or 'AND' but got 'Review'. (line 1, character 16)"},
		{`key = A-1 AND`, "Expecting a field name but got the end of the query."},
		{`key = A-1 AND AND key = A-2`, "Expecting a field name but got 'AND'."},
		{`labels = and`, "You must surround 'and' in quotation marks"},
		{`labels = currentUser()`, "functions such as currentUser()"},
		{`ORDER BY summary`, "ordering by 'summary'"},
		{`key = A-1 ORDER key`, "Expecting 'by' but got 'key'."},
		{`key = A-1 ORDER BY`, "Expecting a field name but got the end of the query."},
		{`labels == x`, "Expecting either a value, list or function but got '='."},
		{"key = A-1\nAND foo = 1", "does not support the field 'foo'. (line 2, character 5)"},
		{`key = A-1 key = A-2`, "Expecting either 'OR' or 'AND' but got 'key'."},
	}
	for _, tt := range tests {
		q, err := parseJQL(tt.jql)
		if err == nil {
			t.Errorf("parseJQL(%q) = %+v, want error containing %q", tt.jql, *q, tt.want)
			continue
		}
		if _, ok := err.(*jqlError); !ok {
			t.Errorf("parseJQL(%q) error is %T, want *jqlError", tt.jql, err)
		}
		if !strings.HasPrefix(err.Error(), "Error in the JQL Query: ") || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("parseJQL(%q) error = %q, want it to contain %q", tt.jql, err, tt.want)
		}
	}
}
