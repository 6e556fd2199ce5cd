package main

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// After N requests through berth up, status --local reports at least N, the share
// answered 5xx, and the percentiles of the response times, for the service and each
// replica; berth up itself prints a summary line every few seconds, not a line per
// request.
func TestStatusLocalReportsTheVitalSigns(t *testing.T) {
	t.Parallel()
	dir := testApp(t, "vitals", "count: 2\n")
	p := launchUp(t, dir, "e2e-vitals")
	p.waitFor("ready: ", 3*time.Minute)
	p.waitFor("vitals-2 is healthy", 30*time.Second) // both replicas take traffic
	const ok, failing, slow = 200, 20, 10
	get := func(path string, n int) {
		for range n {
			resp, err := http.Get(p.url + path)
			if err != nil {
				t.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
	}
	get("/", ok)
	get("/status/503", failing)
	get("/slow?ms=300", slow)
	const n = ok + failing + slow

	r := berth(t, dir, "status", "--local", "--env", p.env, "-o", "json")
	if r.code != 0 {
		t.Fatalf("status --local: %d %s", r.code, r.stderr)
	}
	type vitals struct {
		Requests   int     `json:"requests"`
		ErrorShare float64 `json:"error_share"`
		P50        float64 `json:"p50_ms"`
		P99        float64 `json:"p99_ms"`
	}
	var st struct {
		Services []struct {
			Traffic *struct {
				Total      vitals `json:"total"`
				LastMinute vitals `json:"last_minute"`
				Series     struct {
					Period   int   `json:"period_seconds"`
					Requests []int `json:"requests"`
				} `json:"series"`
			} `json:"traffic"`
			Replicas []struct {
				Name    string `json:"name"`
				Traffic *struct {
					LastMinute vitals `json:"last_minute"`
				} `json:"traffic"`
			} `json:"replicas"`
		} `json:"services"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &st); err != nil || len(st.Services) != 1 || st.Services[0].Traffic == nil {
		t.Fatalf("status --local -o json: %v\n%s", err, r.stdout)
	}
	tr := st.Services[0].Traffic
	lm := tr.LastMinute
	t.Logf("last minute: %d requests, error share %.4f, p50 %.3f ms, p99 %.3f ms", lm.Requests, lm.ErrorShare, lm.P50, lm.P99)
	if tr.Total.Requests < n || lm.Requests < n {
		t.Errorf("%d requests in all, %d in the last minute; sent %d", tr.Total.Requests, lm.Requests, n)
	}
	if want := float64(failing) / float64(lm.Requests); lm.ErrorShare < want*0.9 || lm.ErrorShare > float64(failing)/float64(n)*1.1 {
		t.Errorf("error share %.4f, want about %.4f", lm.ErrorShare, want)
	}
	if lm.P50 <= 0 || lm.P50 > 100 || lm.P99 < 250 || lm.P99 > 1000 {
		t.Errorf("p50 %.3f ms, p99 %.3f ms: want a fast median and the 300 ms answers in the p99", lm.P50, lm.P99)
	}
	if tr.Series.Period != 10 {
		t.Errorf("series period %d s", tr.Series.Period)
	}
	sum := 0
	for _, rep := range st.Services[0].Replicas {
		if rep.Traffic == nil || rep.Traffic.LastMinute.Requests == 0 {
			t.Errorf("replica %s: no traffic reported", rep.Name)
			continue
		}
		sum += rep.Traffic.LastMinute.Requests
	}
	if sum < n {
		t.Errorf("the replicas' requests add up to %d, want at least %d", sum, n)
	}

	text := berth(t, dir, "status", "--local", "--env", p.env)
	if !strings.Contains(text.stdout, "last minute: ") || !strings.Contains(text.stdout, "REQ/S") {
		t.Errorf("status --local text:\n%s", text.stdout)
	}
	p.waitFor("traffic: ", 12*time.Second)
	if lines := strings.Count(p.out.String(), "traffic: "); lines > 4 {
		t.Errorf("%d traffic lines for %d requests in a few seconds: want a summary, not a log", lines, n)
	}
	if !strings.Contains(p.out.String(), " 5xx") {
		t.Errorf("the summary names no 5xx share:\n%s", p.out.String())
	}
}
