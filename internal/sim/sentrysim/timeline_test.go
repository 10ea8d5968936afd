package sentrysim

import (
	"math/rand/v2"
	"testing"
	"time"
)

func TestRate(t *testing.T) {
	for _, c := range []struct {
		rate     float64
		from, to time.Time
		want     int
	}{
		{60, at(10, 0), at(11, 0), 60},
		{60, at(10, 0), at(10, 30), 30},
		{1.5, at(10, 0), at(11, 0), 1}, // floor of the integral
		{1.5, at(10, 0), at(12, 0), 3},
		{10, at(10, 0), at(10, 5), 0},
		{10, at(10, 0), at(10, 6), 1},
		{0, at(10, 0), at(11, 0), 0},
		{-5, at(10, 0), at(11, 0), 0},
		{60, at(11, 0), at(10, 0), 0},
		{60, at(10, 0), at(10, 0), 0},
	} {
		if got := Rate(c.rate)(c.from, c.to); got != c.want {
			t.Errorf("Rate(%g)(%s, %s) = %d, want %d", c.rate, c.from.Format("15:04"), c.to.Format("15:04"), got, c.want)
		}
	}
}

// TestRateIsAdditive splits random ranges at random points: the parts
// always add up to the whole, for awkward rates too.
func TestRateIsAdditive(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 2000; i++ {
		rate := r.Float64() * 1000
		tl := Rate(rate)
		a := noon.Add(time.Duration(r.Int64N(int64(30 * 24 * time.Hour))))
		b := a.Add(time.Duration(r.Int64N(int64(48 * time.Hour))))
		c := b.Add(time.Duration(r.Int64N(int64(48 * time.Hour))))
		if whole, parts := tl(a, c), tl(a, b)+tl(b, c); whole != parts || tl(a, b) < 0 {
			t.Fatalf("Rate(%g): [%s,%s) = %d but parts add to %d", rate, a, c, whole, parts)
		}
		// Never more than one off the integral.
		integral := c.Sub(a).Hours() * rate
		if d := float64(tl(a, c)) - integral; d > 1 || d < -1 {
			t.Fatalf("Rate(%g) over %s: %d, integral %g", rate, c.Sub(a), tl(a, c), integral)
		}
	}
}

func TestStep(t *testing.T) {
	tl := Step(at(10, 0), Rate(60), Events(at(10, 30), at(11, 15)))
	for _, c := range []struct {
		from, to time.Time
		want     int
	}{
		{at(9, 0), at(10, 0), 60},
		{at(9, 30), at(10, 45), 31},
		{at(10, 0), at(12, 0), 2},
		{at(10, 31), at(11, 15), 0},
		{at(8, 0), at(12, 0), 122},
	} {
		if got := tl(c.from, c.to); got != c.want {
			t.Errorf("[%s, %s) = %d, want %d", c.from.Format("15:04"), c.to.Format("15:04"), got, c.want)
		}
	}
	if got := Step(at(10, 0), nil, nil)(at(9, 0), at(11, 0)); got != 0 {
		t.Errorf("nil timelines: %d", got)
	}
}

func TestEvents(t *testing.T) {
	times := []time.Time{at(11, 0), at(10, 0), at(10, 0), at(10, 59)}
	tl := Events(times...)
	times[0] = at(23, 0) // the timeline keeps its own copy
	for _, c := range []struct {
		from, to time.Time
		want     int
	}{
		{at(10, 0), at(11, 0), 3},
		{at(10, 0), at(11, 1), 4},
		{at(10, 1), at(11, 0), 1},
		{at(11, 0), at(10, 0), 0},
		{at(22, 0), at(23, 59), 0},
	} {
		if got := tl(c.from, c.to); got != c.want {
			t.Errorf("[%s, %s) = %d, want %d", c.from.Format("15:04"), c.to.Format("15:04"), got, c.want)
		}
	}
}

func TestLastEvent(t *testing.T) {
	tl := Events(at(9, 0), at(10, 17))
	if got, ok := lastEvent(tl, at(8, 0), noon); !ok || !got.Equal(at(10, 17)) {
		t.Errorf("lastEvent = %s, %v", got, ok)
	}
	if _, ok := lastEvent(tl, at(10, 18), noon); ok {
		t.Errorf("found an event after the last")
	}
	if _, ok := lastEvent(nil, at(8, 0), noon); ok {
		t.Errorf("found an event in a nil timeline")
	}
}
