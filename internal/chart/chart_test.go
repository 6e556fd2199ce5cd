package chart

import (
	"math"
	"testing"
)

func TestSparkline(t *testing.T) {
	nan := math.NaN()
	for _, tc := range []struct {
		name   string
		values []float64
		width  int
		want   string
	}{
		{"rising", []float64{0, 1, 2, 3, 4, 5, 6, 7}, 80, "▁▂▃▄▅▆▇█"},
		{"all zero stays low", []float64{0, 0, 0}, 80, "▁▁▁"},
		{"a constant load is full, not empty", []float64{5, 5, 5}, 80, "███"},
		{"scale starts at zero: small changes stay small", []float64{100, 101, 100}, 80, "███"},
		{"missing minutes are gaps", []float64{1, nan, 1, nan}, 80, "█ █ "},
		{"nothing at all", []float64{nan, nan}, 80, "  "},
		{"merged cells keep the spike", []float64{0, 0, 0, 9, 0, 0, 0, 0}, 4, "▁█▁▁"},
		{"no room", []float64{1, 2}, 0, ""},
	} {
		if got := Sparkline(tc.values, tc.width); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
		if got := Width(Sparkline(tc.values, tc.width)); got > tc.width {
			t.Errorf("%s: %d cells in a width of %d", tc.name, got, tc.width)
		}
	}
}

func TestFitCoversEveryValue(t *testing.T) {
	values := make([]float64, 60)
	for i := range values {
		values[i] = float64(i)
	}
	for _, width := range []int{1, 7, 30, 59} {
		got := Fit(values, width)
		if len(got) != width || got[len(got)-1] != 59 {
			t.Errorf("width %d: %v", width, got)
		}
	}
}

func TestNumbers(t *testing.T) {
	for v, want := range map[float64]string{0: "0", 870: "870", 1204: "1.2k", 12345: "12k", 2.5e6: "2.5M", 12.34: "12.3", 0.25: "0.25", 3: "3", math.NaN(): "-"} {
		if got := Number(v); got != want {
			t.Errorf("Number(%v) = %q, want %q", v, got, want)
		}
	}
	for v, want := range map[float64]string{0.012: "12ms", 1.25: "1.25s", 0.00085: "850µs", 2: "2s"} {
		if got := Duration(v); got != want {
			t.Errorf("Duration(%v) = %q, want %q", v, got, want)
		}
	}
}
