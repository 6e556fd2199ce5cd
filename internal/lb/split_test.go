package lb

import (
	"context"
	"net/http"
	"strings"
	"testing"
)

// A split sends its share to the group, exactly, and the rest to the others; each
// group's counts hold only its own requests, and stay after its targets leave.
func TestSplitSendsTheGroupItsShare(t *testing.T) {
	b := New(testConfig(), nil)
	defer b.Close()
	url := front(t, b)
	b.RegisterIn("1", "old-a", addr(backend(t, "old-a", nil)))
	b.RegisterIn("1", "old-b", addr(backend(t, "old-b", nil)))
	b.RegisterIn("2", "new", addr(backend(t, "new", nil)))
	for _, id := range []string{"old-a", "old-b", "new"} {
		waitState(t, b, id, Healthy)
	}
	count := func(n int) map[string]int {
		seen := map[string]int{}
		for range n {
			code, body := get(t, url)
			if code != http.StatusOK {
				t.Fatalf("%d %q", code, body)
			}
			name, _, _ := strings.Cut(body, " ")
			seen[name]++
		}
		return seen
	}

	b.SetSplit(Split{Group: "2", Percent: 0}) // the new revision started, no traffic yet
	if got := count(40); got["new"] != 0 || got["old-a"] != 20 || got["old-b"] != 20 {
		t.Errorf("at 0 %%: %v", got)
	}
	b.SetSplit(Split{Group: "2", Percent: 5})
	if got := count(200); got["new"] != 10 {
		t.Errorf("at 5 %%: %v, want 10 of 200 to the new group", got)
	}
	if s := b.Split(); s.Group != "2" || s.Percent != 5 {
		t.Errorf("Split() = %+v", s)
	}
	b.SetSplit(Split{Group: "2", Percent: 100})
	if got := count(20); got["new"] != 20 {
		t.Errorf("at 100 %%: %v", got)
	}
	b.SetSplit(Split{}) // no split: every healthy target
	if got := count(30); got["new"] != 10 || got["old-a"] != 10 {
		t.Errorf("without a split: %v", got)
	}

	tr := b.Traffic()
	if g := tr.Groups["2"]; g.Requests != 10+20+10 {
		t.Errorf("group 2 counted %d requests, want 40", g.Requests)
	}
	if g := tr.Groups["1"]; g.Requests != 40+190+20 {
		t.Errorf("group 1 counted %d requests, want 250", g.Requests)
	}
	b.Deregister(context.Background(), "new")
	if g := b.Traffic().Groups["2"]; g.Requests != 40 {
		t.Errorf("after its target left, group 2 counted %d requests, want 40", g.Requests)
	}
	b.mu.Lock()
	b.retired[0].at = b.retired[0].at.Add(-2 * 60e9) // folded a minute later
	b.mu.Unlock()
	for range 2 {
		if tr := b.Traffic(); tr.Groups["2"].Requests != 40 || tr.Total.Requests != 290 {
			t.Errorf("after the fold: group 2 %d, total %d; want 40, 290", tr.Groups["2"].Requests, tr.Total.Requests)
		}
	}
}

// A side of the split with no healthy target answers 503 for its share, as the group it
// was sent to (the load balancer's 5xx count against the new revision on AWS too),
// while the other side keeps serving.
func TestSplitSideWithoutTargetsAnswers503ForItsGroup(t *testing.T) {
	b := New(testConfig(), nil)
	defer b.Close()
	url := front(t, b)
	b.RegisterIn("1", "old", addr(backend(t, "old", nil)))
	waitState(t, b, "old", Healthy)
	b.SetSplit(Split{Group: "2", Percent: 50})
	codes := map[int]int{}
	for range 10 {
		code, _ := get(t, url)
		codes[code]++
	}
	if codes[200] != 5 || codes[503] != 5 {
		t.Errorf("answers %v, want 5 200s and 5 503s", codes)
	}
	tr := b.Traffic()
	if g := tr.Groups["2"]; g.Requests != 5 || g.Errors != 5 {
		t.Errorf("group 2: %d requests, %d 5xx; want 5, 5", g.Requests, g.Errors)
	}
	if tr.Total.Requests != 10 || tr.Total.Errors != 5 {
		t.Errorf("total: %d requests, %d 5xx; want 10, 5", tr.Total.Requests, tr.Total.Errors)
	}
}
