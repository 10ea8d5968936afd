package botconfig

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestSetScalarByFieldType(t *testing.T) {
	var f struct {
		D   Duration
		S   string
		I   int
		F   float64
		B   bool
		SS  []string
		IS  []int
		I64 int64
		BS  []bool
		M   map[string]int
	}
	v := reflect.ValueOf(&f).Elem()
	field := func(name string) reflect.Value { return v.FieldByName(name) }
	for _, c := range []struct {
		field, raw string
		want       any    // the field's value after, when no error
		err        string // part of the error, "" for none
	}{
		{"D", "7d", Duration(7 * 24 * time.Hour), ""},
		{"D", "soon", nil, "soon"},
		{"S", " x ", " x ", ""},
		{"I", "8", 8, ""},
		{"I", "many", nil, `"many" is not a whole number`},
		{"F", "0.5", 0.5, ""},
		{"F", "half", nil, `"half" is not a number`},
		{"B", "true", true, ""},
		{"B", "yes", nil, `"yes" is not true or false`},
		{"SS", "a, ,b ,", []string{"a", "b"}, ""},
		{"IS", "10, 100", []int{10, 100}, ""},
		{"IS", "10,x", nil, `"10,x" is not a list of whole numbers`},
		{"I64", "1", nil, "cannot be set from the environment"},
		{"BS", "true", nil, "cannot be set from the environment"},
		{"M", "a", nil, "cannot be set from the environment"},
	} {
		err := setScalar(field(c.field), c.raw)
		switch {
		case c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)):
			t.Errorf("%s from %q: error %v, want one saying %q", c.field, c.raw, err, c.err)
		case c.err == "" && err != nil:
			t.Errorf("%s from %q: %v", c.field, c.raw, err)
		case c.err == "" && !reflect.DeepEqual(field(c.field).Interface(), c.want):
			t.Errorf("%s from %q = %#v, want %#v", c.field, c.raw, field(c.field).Interface(), c.want)
		}
	}
}
