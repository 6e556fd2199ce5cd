package vitals

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/berthdev/berth/internal/chart"
	"github.com/berthdev/berth/internal/style"
)

var since = time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC)

func window() *Vitals {
	return &Vitals{Since: since, Until: since.Add(time.Hour), Step: time.Minute, Series: Empty(), Alarms: []Alarm{}, Source: "CloudWatch"}
}

// An hour of a service: requests rise, one minute of 5xx, latency steady.
func filled() *Vitals {
	v := window()
	for i := range 60 {
		at := since.Add(time.Duration(i) * time.Minute)
		v.Get(Requests).Points = append(v.Get(Requests).Points, Point{at, float64(100 + 10*i)})
		if i%2 == 0 {
			v.Get(LatencyP99).Points = append(v.Get(LatencyP99).Points, Point{at, 0.250})
		}
	}
	v.Get(Errors).Points = []Point{{since.Add(30 * time.Minute), 2.5}}
	return v
}

func text(t *testing.T, v *Vitals, width int) string {
	t.Helper()
	var b bytes.Buffer
	if err := v.WriteText(&b, width, style.Plain()); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestEmptyVitalsSayNoDataYet(t *testing.T) {
	for _, width := range []int{0, 100} {
		out := text(t, window(), width)
		for _, want := range []string{"vital signs, last 1h, a point every minute (10:00 to 11:00 UTC, CloudWatch)", "no data yet: CloudWatch has no datapoint",
			"requests/min", "5xx share", "latency p99", "tasks running", "alarms: none"} {
			if !strings.Contains(out, want) {
				t.Errorf("width %d: no %q in\n%s", width, want, out)
			}
		}
		if strings.Count(out, "no data yet") != 8 || strings.ContainsAny(out, chart.Levels) {
			t.Errorf("width %d: every series must say no data yet, and nothing be drawn:\n%s", width, out)
		}
	}
}

func TestChartsFitTheTerminal(t *testing.T) {
	for _, width := range []int{60, 80, 120, 200} {
		out := text(t, filled(), width)
		for _, line := range strings.Split(strings.TrimRight(out, "\n"), "\n") {
			if strings.Contains(line, "vital signs") {
				continue // the heading may wrap
			}
			if n := chart.Width(line); n > width {
				t.Errorf("width %d: a line of %d cells: %q", width, n, line)
			}
		}
		req := lineOf(out, "requests/min")
		if !strings.ContainsAny(req, chart.Levels) || !strings.Contains(req, "last 690") || !strings.Contains(req, "min 100") || !strings.Contains(req, "max 690") {
			t.Errorf("width %d: requests %q", width, req)
		}
		if e := lineOf(out, "5xx share"); !strings.Contains(e, "█") || !strings.Contains(e, "max 2.5%") {
			t.Errorf("width %d: the minute of errors is not drawn: %q", width, e)
		}
		if l := lineOf(out, "latency p99"); !strings.Contains(l, "250ms") {
			t.Errorf("width %d: latency %q", width, l)
		}
		if c := lineOf(out, "cpu"); !strings.Contains(c, "no data yet") {
			t.Errorf("width %d: cpu %q", width, c)
		}
	}
	// the chart has a cell a minute when there is room, no more
	if got := strings.Count(lineOf(text(t, filled(), 200), "requests/min"), "▁") + strings.Count(lineOf(text(t, filled(), 200), "requests/min"), "█"); got == 0 {
		t.Error("no blocks")
	}
}

func TestWithoutATerminalPlainNumbers(t *testing.T) {
	out := text(t, filled(), 0)
	if strings.ContainsAny(out, chart.Levels) {
		t.Errorf("blocks without a terminal:\n%s", out)
	}
	if l := lineOf(out, "latency p99"); !strings.Contains(l, "last 250ms") || !strings.Contains(l, "(30 of 60 minutes with data)") {
		t.Errorf("latency %q", l)
	}
}

func TestAlarmStates(t *testing.T) {
	v := filled()
	v.Alarms = []Alarm{{Name: "berth-dev-api-service-Errors-1A2B", State: "ALARM", Reason: "Threshold Crossed"}}
	if l := lineOf(text(t, v, 0), "alarm "); !strings.Contains(l, "berth-dev-api-service-Errors-1A2B") || !strings.Contains(l, "ALARM") {
		t.Errorf("alarm %q", l)
	}
}

func TestJSONCarriesTheSeries(t *testing.T) {
	data, err := json.Marshal(filled())
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Step   int `json:"step_seconds"`
		Series []struct {
			Name   string
			Unit   string
			Points []struct {
				Time  time.Time
				Value float64
			}
		}
	}
	if err := json.Unmarshal(data, &got); err != nil {
		t.Fatal(err)
	}
	if got.Step != 60 || len(got.Series) != 7 || got.Series[0].Name != "requests" || len(got.Series[0].Points) != 60 || got.Series[0].Points[59].Value != 690 {
		t.Errorf("%s", data)
	}
}

func lineOf(out, prefix string) string {
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(strings.TrimSpace(l), prefix) {
			return l
		}
	}
	return ""
}

// A service that is not deployed has no vital signs: nothing prints.
func TestNoVitalsPrintNothing(t *testing.T) {
	var v *Vitals
	if out := text(t, v, 80); out != "" {
		t.Errorf("%q", out)
	}
}
