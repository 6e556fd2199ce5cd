// Package vitals is a service's vital signs over a recent window: requests, the share
// of 5xx answers, latency, CPU, memory and running tasks, each a series of points on
// one time grid, with the states of the service's alarms. The AWS path fills it from
// CloudWatch (internal/ops), the local path from its load balancer; both print it here,
// as small charts on a terminal, plain numbers elsewhere, the series as JSON.
//
// It imports only chart and style.
package vitals

import (
	"encoding/json"
	"math"
	"time"
)

// Vitals is the window and its series.
type Vitals struct {
	Since time.Time `json:"since"`
	Until time.Time `json:"until"`
	// Step is the grid: each point sums or summarizes one step.
	Step   time.Duration `json:"-"`
	Series []Series      `json:"series"`
	// Alarms are the service's alarms and their states; empty when it has none.
	Alarms []Alarm `json:"alarms"`
	// Source says where the numbers come from (CloudWatch, the local load balancer).
	Source string `json:"source"`
}

// MarshalJSON writes the step in seconds.
func (v Vitals) MarshalJSON() ([]byte, error) {
	type plain Vitals
	return json.Marshal(struct {
		plain
		StepSeconds int `json:"step_seconds"`
	}{plain(v), int(v.Step / time.Second)})
}

// Series is one vital sign. Points holds only the steps that have data, in time order:
// a step without a point had none (no request that minute, no task reporting).
type Series struct {
	Name   string  `json:"name"` // requests, errors, latency_p50, ...
	Title  string  `json:"title"`
	Unit   string  `json:"unit"`
	Points []Point `json:"points"`
}

// Units of a series, which decide how its numbers print.
const (
	Count   = "count"   // per step: requests a minute
	Percent = "percent" // 0-100
	Seconds = "seconds" // a latency
	Tasks   = "tasks"
)

// Point is the value of one step, at the step's start.
type Point struct {
	Time  time.Time `json:"time"`
	Value float64   `json:"value"`
}

// Alarm is one alarm and its state: OK, ALARM or INSUFFICIENT_DATA.
type Alarm struct {
	Name   string `json:"name"`
	State  string `json:"state"`
	Reason string `json:"reason,omitempty"`
}

// The series every service has, in the order they print; the AWS and the local path
// fill the same names.
const (
	Requests   = "requests"
	Errors     = "errors"
	LatencyP50 = "latency_p50"
	LatencyP99 = "latency_p99"
	CPU        = "cpu"
	Memory     = "memory"
	Running    = "tasks"
)

// Empty makes the series of a service, titled, with no point yet.
func Empty() []Series {
	return []Series{
		{Name: Requests, Title: "requests/min", Unit: Count, Points: []Point{}},
		{Name: Errors, Title: "5xx share", Unit: Percent, Points: []Point{}},
		{Name: LatencyP50, Title: "latency p50", Unit: Seconds, Points: []Point{}},
		{Name: LatencyP99, Title: "latency p99", Unit: Seconds, Points: []Point{}},
		{Name: CPU, Title: "cpu", Unit: Percent, Points: []Point{}},
		{Name: Memory, Title: "memory", Unit: Percent, Points: []Point{}},
		{Name: Running, Title: "tasks running", Unit: Tasks, Points: []Point{}},
	}
}

// Get is the series of that name, nil when there is none.
func (v *Vitals) Get(name string) *Series {
	for i := range v.Series {
		if v.Series[i].Name == name {
			return &v.Series[i]
		}
	}
	return nil
}

// Steps is how many steps the window holds.
func (v *Vitals) Steps() int {
	if v.Step <= 0 || !v.Until.After(v.Since) {
		return 0
	}
	return int((v.Until.Sub(v.Since) + v.Step - 1) / v.Step)
}

// Grid lays the points on the window's steps: NaN where a step has no point.
func (v *Vitals) Grid(s Series) []float64 {
	out := make([]float64, v.Steps())
	for i := range out {
		out[i] = math.NaN()
	}
	for _, p := range s.Points {
		i := int(p.Time.Sub(v.Since) / v.Step)
		if i >= 0 && i < len(out) {
			out[i] = p.Value
		}
	}
	return out
}

// HasData reports whether any series has a point.
func (v *Vitals) HasData() bool {
	for _, s := range v.Series {
		if len(s.Points) > 0 {
			return true
		}
	}
	return false
}
