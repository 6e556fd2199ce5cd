package main

import (
	"io"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// berth up rehearses the manifest's rollout on reload, on the real Docker engine, at
// --rollout-speed 60: a minute of the rollout takes a second, the rule's one-minute
// windows included. The test app answers 500 to every GET / with APP_FAIL_PERCENT 100,
// and passes its health check all the same: the release only the rule can catch.

const rolloutSpeed = "60"

// canaryApp is a service of two replicas whose release is a canary of 10 % for 3m, then
// a bake of 1m: at 60 times, 3 s and 1 s.
func canaryApp(t *testing.T, name, strategy string) string {
	deployment := "deployment:\n  strategy: canary\n  canary: {percent: 10, bake: 3m}\n  bake: 1m\n"
	if strategy == "rolling" {
		deployment = "deployment:\n  strategy: rolling\n  rollback_on:\n    errors: 1%\n"
	}
	return testApp(t, name, "count: 2\nenv:\n  APP_GREETING: old\n"+deployment)
}

// traffic sends requests from a few clients until stopped, and counts answers by status
// and by what GET / says (the greeting, without the replica's name).
type traffic struct {
	mu     sync.Mutex
	ok     int
	failed int
	says   map[string]int
	stop   chan struct{}
	wg     sync.WaitGroup
}

func sendTraffic(url string, clients int) *traffic {
	tr := &traffic{says: map[string]int{}, stop: make(chan struct{})}
	for range clients {
		tr.wg.Add(1)
		go func() {
			defer tr.wg.Done()
			c := &http.Client{Timeout: 10 * time.Second}
			for {
				select {
				case <-tr.stop:
					return
				default:
				}
				resp, err := c.Get(url + "/")
				var body []byte
				if err == nil {
					body, _ = io.ReadAll(resp.Body)
					resp.Body.Close()
				}
				tr.mu.Lock()
				if err != nil || resp.StatusCode != 200 {
					tr.failed++
				} else {
					tr.ok++
					greeting, _, _ := strings.Cut(string(body), " from ")
					tr.says[greeting]++
				}
				tr.mu.Unlock()
				time.Sleep(2 * time.Millisecond)
			}
		}()
	}
	return tr
}

// read is the counts so far: answered 200, failed, and by greeting.
func (tr *traffic) read() (ok, failed int, says map[string]int) {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	says = map[string]int{}
	for k, v := range tr.says {
		says[k] = v
	}
	return tr.ok, tr.failed, says
}

func (tr *traffic) end() {
	close(tr.stop)
	tr.wg.Wait()
}

// reloadTo rewrites the manifest's environment and asks berth up to roll it out.
func reloadTo(t *testing.T, p *upProcess, dir, env string) {
	t.Helper()
	manifest := filepath.Join(dir, "berth.yml")
	writeFile(t, manifest, strings.Replace(readFile(t, manifest), "  APP_GREETING: old\n", env, 1))
	r := berth(t, dir, "reload", "--env", p.env)
	if r.code != 0 || !strings.Contains(r.stdout, "its output shows the rollout, and \"berth status --local --env "+p.env+"\" the revision serving") {
		t.Fatalf("reload: %d %q %q", r.code, r.stdout, r.stderr)
	}
}

// onlyFrom checks that n requests in a row all succeed from the revision that greets so.
func onlyFrom(t *testing.T, url, greeting string, n int) {
	t.Helper()
	for range n {
		body, code, err := getBody(url + "/")
		if err != nil || code != 200 || !strings.HasPrefix(body, greeting+" from ") {
			t.Fatalf("after the rollout: %d %q %v, want every answer from %q", code, body, err, greeting)
		}
	}
}

func statusText(t *testing.T, dir, env string) string {
	t.Helper()
	r := berth(t, dir, "status", "--local", "--env", env)
	if r.code != 0 {
		t.Fatalf("status --local: %d %s", r.code, r.stderr)
	}
	return r.stdout
}

// A canary that answers 500 is rolled back by itself: the rule fires within the canary,
// while the old revision serves the rest; at most about the canary's share of the
// requests fail, and afterwards every one is answered by the old revision.
func TestUpCanaryRollsBackABadRelease(t *testing.T) {
	t.Parallel()
	dir := canaryApp(t, "canary", "canary")
	p := launchUp(t, dir, "lr-canbad", "--rollout-speed", rolloutSpeed)
	p.waitFor("ready: ", 3*time.Minute)
	p.waitFor("-2 is healthy", 30*time.Second)
	tr := sendTraffic(p.url, 4)
	defer tr.end()
	time.Sleep(300 * time.Millisecond)

	reloadTo(t, p, dir, "  APP_GREETING: new\n  APP_FAIL_PERCENT: \"100\"\n")
	p.waitFor("rollout: canary 10 % for 3m, then 100 %, bake 1m: ≥ 4m; rolled back on 5xx > 1 % in 2 of 3 one-minute windows (--rollout-speed 60: a minute takes 1s)", 30*time.Second)
	p.waitFor("rollout PRODUCTION_TRAFFIC_SHIFT: new 10 % (2/2 replicas), old 90 % (2/2 replicas)", 60*time.Second)
	ok0, failed0, _ := tr.read()
	p.waitFor("rollback_on fired: 5xx 100 % of ", 30*time.Second)
	ok1, failed1, _ := tr.read()
	p.waitFor("rolled back: 2 replica(s) of deployment #1", 30*time.Second)
	ok2, failed2, _ := tr.read()

	during := failed1 - failed0
	share := float64(during) / float64(during+ok1-ok0)
	t.Logf("during the canary: %d of %d requests failed (%.1f %%); from the reload to the rollback: %d of %d",
		during, during+ok1-ok0, 100*share, failed2, failed2+ok2)
	if during == 0 {
		t.Error("no request failed during the canary: the bad revision got no traffic, the test proves nothing")
	}
	if share > 0.13 {
		t.Errorf("%.1f %% of the requests failed during a canary of 10 %%", 100*share)
	}
	if out := p.out.String(); strings.Contains(out, "BAKE_TIME") || strings.Contains(out, "new 100 %") {
		t.Errorf("the bad release reached all the traffic:\n%s", out)
	}

	tr.end()
	tr.stop = make(chan struct{}) // the deferred end has nothing left to stop
	_, failed3, _ := tr.read()
	if failed3 != failed2 {
		t.Errorf("%d requests failed after the rollback", failed3-failed2)
	}
	onlyFrom(t, p.url, "old", 40)
	st := statusText(t, dir, p.env)
	for _, want := range []string{"serving: revision ", "(deployment #1) 100 %", "rollout: deployment #2 (revision ", "canary, ROLLED_BACK: rollback_on fired: 5xx 100 % of "} {
		if !strings.Contains(st, want) {
			t.Errorf("status --local has no %q:\n%s", want, st)
		}
	}
	checkDocumentedRehearsal(t, p.out.String(), st)
}

// The same canary with a good release steps to 100 %, bakes with both revisions kept,
// then stops the old one: nothing fails, and afterwards only the new revision answers.
func TestUpCanaryCompletesAGoodRelease(t *testing.T) {
	t.Parallel()
	dir := canaryApp(t, "canary", "canary")
	p := launchUp(t, dir, "lr-cangood", "--rollout-speed", rolloutSpeed)
	p.waitFor("ready: ", 3*time.Minute)
	p.waitFor("-2 is healthy", 30*time.Second)
	tr := sendTraffic(p.url, 4)
	defer tr.end()

	reloadTo(t, p, dir, "  APP_GREETING: new\n")
	p.waitFor("canary-3 is healthy", 60*time.Second) // the first new replica: healthy, and no traffic yet
	_, _, scaleUp := tr.read()
	p.waitFor("rollout PRODUCTION_TRAFFIC_SHIFT: new 10 % (2/2 replicas), old 90 % (2/2 replicas)", 30*time.Second)
	_, _, shift := tr.read()
	p.waitFor("rollout BAKE_TIME: new 100 % (2/2 replicas), old 0 % (2/2 replicas); bake ", 10*time.Second)
	_, _, bake := tr.read()
	p.waitFor("rollout complete: 2 replica(s) of deployment #2", 20*time.Second)
	time.Sleep(200 * time.Millisecond)
	tr.end()
	tr.stop = make(chan struct{})
	ok, failed, _ := tr.read()
	canary := float64(bake["new"]-shift["new"]) / float64(bake["new"]+bake["old"]-shift["new"]-shift["old"])
	t.Logf("%d requests ok, %d failed; the new revision answered %d before the canary, %.1f %% during it", ok, failed, scaleUp["new"], 100*canary)
	if failed != 0 {
		t.Errorf("%d requests failed during a good release", failed)
	}
	if scaleUp["new"] > 0 {
		t.Errorf("the new revision answered %d requests before the canary step", scaleUp["new"])
	}
	if canary < 0.05 || canary > 0.15 {
		t.Errorf("the canary of 10 %% got %.1f %% of the requests", 100*canary)
	}
	onlyFrom(t, p.url, "new", 40)
	st := statusText(t, dir, p.env)
	if !strings.Contains(st, "(deployment #2) 100 %") || !strings.Contains(st, "canary, COMPLETED") {
		t.Errorf("status --local after a completed canary:\n%s", st)
	}
}

// A rolling update has no canary to protect the traffic, but rollback_on watches the
// new replicas all the same, and rolls the release back as it rolled out.
func TestUpRollingUpdateRollsBackOnTheRule(t *testing.T) {
	t.Parallel()
	dir := canaryApp(t, "rolling", "rolling")
	p := launchUp(t, dir, "lr-rollbad", "--rollout-speed", rolloutSpeed)
	p.waitFor("ready: ", 3*time.Minute)
	p.waitFor("-2 is healthy", 30*time.Second)
	tr := sendTraffic(p.url, 4)
	defer tr.end()

	reloadTo(t, p, dir, "  APP_GREETING: new\n  APP_FAIL_PERCENT: \"100\"\n")
	p.waitFor("rollout: rolling: tasks replaced a few at a time; rolled back on 5xx > 1 % in 2 of 3 one-minute windows", 30*time.Second)
	p.waitFor("rollback_on fired: 5xx 100 % of ", 60*time.Second)
	p.waitFor("; rolling back to deployment #1", time.Second)
	p.waitFor("rolled back: 2 replica(s) of deployment #1", 60*time.Second)
	time.Sleep(200 * time.Millisecond)
	_, before, _ := tr.read()
	time.Sleep(time.Second)
	tr.end()
	tr.stop = make(chan struct{})
	ok, failed, _ := tr.read()
	t.Logf("rolling: %d requests ok, %d failed (all before the rollback completed)", ok, failed)
	if failed != before {
		t.Errorf("%d requests failed after the rollback", failed-before)
	}
	onlyFrom(t, p.url, "old", 40)
	if st := statusText(t, dir, p.env); !strings.Contains(st, "rolling, ROLLED_BACK: rollback_on fired: 5xx 100 % of ") {
		t.Errorf("status --local:\n%s", st)
	}
}

// checkDocumentedRehearsal holds docs/rollouts.md's "Rehearse it locally" output to
// what berth up and status printed: each line of a block the page marks as this test's
// is one of theirs, its numbers, durations and revisions free.
func checkDocumentedRehearsal(t *testing.T, out, status string) {
	t.Helper()
	if testing.Verbose() { // what the page shows comes from here
		t.Logf("berth up printed:\n%s\nberth status --local printed:\n%s", out, status)
	}
	page := readFile(t, "../../docs/rollouts.md")
	for marker, got := range map[string]string{"berth up": out, "berth status --local": status} {
		block := documentedBlock(t, page, "<!-- output of TestUpCanaryRollsBackABadRelease: "+marker+" -->")
		for _, line := range block {
			re := regexp.MustCompile(loosely(line))
			if !re.MatchString(got) {
				t.Errorf("docs/rollouts.md shows a line %s did not print:\n%s\nit printed:\n%s", marker, line, got)
			}
		}
	}
}

// documentedBlock is the fenced block after marker, line by line.
func documentedBlock(t *testing.T, page, marker string) []string {
	t.Helper()
	_, after, ok := strings.Cut(page, marker+"\n```\n")
	block, _, closed := strings.Cut(after, "\n```")
	if !ok || !closed {
		t.Fatalf("docs/rollouts.md has no block after %q", marker)
	}
	return strings.Split(block, "\n")
}

var (
	revisionWord = regexp.MustCompile(`\b[0-9a-f]{12}\b`)
	numberWord   = regexp.MustCompile(`[0-9]+(\\\.[0-9]+)?(ns|µs|ms|s)?`)
)

// loosely is a line as a pattern that any revision, number or duration matches.
func loosely(line string) string {
	p := regexp.QuoteMeta(strings.TrimSpace(line))
	p = revisionWord.ReplaceAllString(p, "REVISION")
	p = numberWord.ReplaceAllString(p, `[0-9.]+(ns|µs|ms|s)?`)
	return `(?m)` + strings.ReplaceAll(p, "REVISION", `[0-9a-f]{12}`)
}

// --rollout-speed is a usage error out of its range, before anything starts.
func TestUpRefusesARolloutSpeedOutOfRange(t *testing.T) {
	t.Parallel()
	for _, speed := range []string{"0", "-2", "601"} {
		r := berth(t, t.TempDir(), "up", "--rollout-speed", speed)
		if r.code != 2 || !strings.Contains(r.stderr, "--rollout-speed "+speed+": more than 0, at most 600") {
			t.Errorf("--rollout-speed %s: exit %d %s", speed, r.code, r.stderr)
		}
	}
}
