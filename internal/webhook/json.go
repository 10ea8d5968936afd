package webhook

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/fixproof/fixproof/internal/alert"
	"github.com/fixproof/fixproof/internal/textcut"
)

// parseObject decodes body, which must be exactly one JSON object.
// Numbers are kept as json.Number so that ids survive exactly.
func parseObject(body []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, errors.New("empty body: want a JSON object")
		}
		return nil, fmt.Errorf("invalid JSON: %v", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("invalid JSON: data after the top-level value")
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("body is %s, want a JSON object", kind(v))
	}
	return m, nil
}

// walker reads a decoded JSON tree leniently, remembering the first
// structural error with the path of the field it concerns.
type walker struct {
	err error
}

func (w *walker) fail(path, format string, args ...any) {
	if w.err == nil {
		w.err = fmt.Errorf("%s: %s", path, fmt.Sprintf(format, args...))
	}
}

// errorf records an error that concerns no one field.
func (w *walker) errorf(format string, args ...any) {
	if w.err == nil {
		w.err = fmt.Errorf(format, args...)
	}
}

// short quotes a payload value for an error message, cut to 40 bytes so
// that a huge value does not make a huge error.
func short(s string) string {
	const max = 40
	if len(s) <= max {
		return strconv.Quote(s)
	}
	return strconv.Quote(textcut.Bytes(s, max)) + "..."
}

func join(path, key string) string {
	if len(key) > 40 { // a payload's map key; keep errors short
		key = short(key)
	}
	if path == "" {
		return key
	}
	return path + "." + key
}

func index(path string, i int) string { return path + "[" + strconv.Itoa(i) + "]" }

func kind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case map[string]any:
		return "an object"
	case []any:
		return "a list"
	case string:
		return "a string"
	case json.Number:
		return "a number"
	case bool:
		return "a boolean"
	}
	return fmt.Sprintf("%T", v)
}

// obj is v as an object; null or absent is nil, anything else an error.
func (w *walker) obj(v any, path string) map[string]any {
	switch v := v.(type) {
	case nil:
		return nil
	case map[string]any:
		return v
	}
	w.fail(path, "is %s, want an object", kind(v))
	return nil
}

// list is v as a list; null or absent is nil, anything else an error.
func (w *walker) list(v any, path string) []any {
	switch v := v.(type) {
	case nil:
		return nil
	case []any:
		return v
	}
	w.fail(path, "is %s, want a list", kind(v))
	return nil
}

// str is v as text: strings as they are, numbers and booleans written
// out, null as "". Objects and lists are errors.
func (w *walker) str(v any, path string) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		return v
	case json.Number:
		return v.String()
	case bool:
		return strconv.FormatBool(v)
	}
	w.fail(path, "is %s, want a string", kind(v))
	return ""
}

// strictStr is v as a string: only strings (and null, as "") pass.
func (w *walker) strictStr(v any, path string) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		return v
	}
	w.fail(path, "is %s, want a string", kind(v))
	return ""
}

// integer is v as a whole number: numbers (fractions truncated), numeric
// strings ("1", "1.0", " 12 "), null or "" as 0.
func (w *walker) integer(v any, path string) int64 {
	var s string
	switch v := v.(type) {
	case nil:
		return 0
	case json.Number:
		s = v.String()
	case string:
		s = strings.TrimSpace(v)
		if s == "" {
			return 0
		}
	default:
		w.fail(path, "is %s, want a number", kind(v))
		return 0
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return n
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || f >= math.MaxInt64 || f <= math.MinInt64 {
		w.fail(path, "is %s, want a number", short(s))
		return 0
	}
	return int64(f)
}

// boolPtr is v as a boolean: true/false, "true"/"false"/"yes"/"no", 1/0;
// null is nil.
func (w *walker) boolPtr(v any, path string) *bool {
	var b bool
	switch v := v.(type) {
	case nil:
		return nil
	case bool:
		b = v
	case json.Number:
		switch v.String() {
		case "0":
		case "1":
			b = true
		default:
			w.fail(path, "is %s, want a boolean", v)
			return nil
		}
	case string:
		switch strings.ToLower(strings.TrimSpace(v)) {
		case "":
			return nil
		case "true", "yes", "1":
			b = true
		case "false", "no", "0":
		default:
			w.fail(path, "is %s, want a boolean", short(v))
			return nil
		}
	default:
		w.fail(path, "is %s, want a boolean", kind(v))
		return nil
	}
	return &b
}

// Timestamps beyond these are not plausible and are rejected rather than
// overflowing time arithmetic.
const (
	maxUnixSeconds = 1e11 // year 5138; larger numbers are milliseconds
	maxUnixMillis  = 1e14
)

var timeLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.999999999", // Sentry sometimes omits the zone: UTC
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999",
}

// timestamp is v as a time: ISO 8601 text (with or without zone; none is
// UTC), or Unix seconds as a number or numeric string (float seconds, as
// Sentry sends event and breadcrumb timestamps). Inferred: numbers too
// large to be seconds (≥ 1e11) are read as milliseconds, as some SDKs send
// breadcrumb timestamps in ms. null or "" is the zero time. Result in UTC.
func (w *walker) timestamp(v any, path string) time.Time {
	var s string
	switch v := v.(type) {
	case nil:
		return time.Time{}
	case json.Number:
		s = v.String()
	case string:
		s = strings.TrimSpace(v)
		if s == "" {
			return time.Time{}
		}
		for _, layout := range timeLayouts {
			if t, err := time.Parse(layout, s); err == nil {
				if t.IsZero() {
					return time.Time{}
				}
				return t.UTC()
			}
		}
	default:
		w.fail(path, "is %s, want a timestamp", kind(v))
		return time.Time{}
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || math.Abs(f) >= maxUnixMillis {
		w.fail(path, "is %s, want an ISO 8601 time or Unix seconds", short(s))
		return time.Time{}
	}
	if math.Abs(f) >= maxUnixSeconds {
		f /= 1000
	}
	sec := math.Floor(f)
	// Microseconds: what Sentry keeps, and free of float noise.
	usec := math.Round((f - sec) * 1e6)
	return time.Unix(int64(sec), int64(usec)*1000).UTC()
}

// pairs reads a list of key/value pairs in the forms Sentry uses: a list
// of two-element lists [["k","v"], ...], a list of objects
// [{"key":"k","value":"v"}, ...], or an object {"k":"v", ...} (keys then
// sorted, for a stable order). Values go through str; null values are "".
func (w *walker) pairs(v any, path string) []alert.Tag {
	switch v := v.(type) {
	case nil:
		return nil
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		out := make([]alert.Tag, 0, len(keys))
		for _, k := range keys {
			out = append(out, alert.Tag{Key: k, Value: w.str(v[k], join(path, k))})
		}
		return out
	case []any:
		out := make([]alert.Tag, 0, len(v))
		for i, e := range v {
			p := index(path, i)
			switch e := e.(type) {
			case []any:
				if len(e) != 2 {
					w.fail(p, "has %d elements, want a [key, value] pair", len(e))
					return nil
				}
				out = append(out, alert.Tag{Key: w.str(e[0], index(p, 0)), Value: w.str(e[1], index(p, 1))})
			case map[string]any:
				out = append(out, alert.Tag{Key: w.str(e["key"], join(p, "key")), Value: w.str(e["value"], join(p, "value"))})
			case nil:
			default:
				w.fail(p, "is %s, want a [key, value] pair or {key, value}", kind(e))
				return nil
			}
		}
		return out
	}
	w.fail(path, "is %s, want a list of pairs or an object", kind(v))
	return nil
}

// labels reads an Alertmanager label or annotation set: an object whose
// values are strings. null is an empty set.
func (w *walker) labels(v any, path string) map[string]string {
	m := w.obj(v, path)
	out := make(map[string]string, len(m))
	for k, val := range m {
		out[k] = w.strictStr(val, join(path, k))
	}
	return out
}

// anyText writes any JSON value as text: strings as they are, anything
// else as compact JSON (breadcrumb data values may be numbers, objects, ...).
func anyText(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		return v
	case json.Number:
		return v.String()
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}
