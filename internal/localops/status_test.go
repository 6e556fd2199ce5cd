package localops

import (
	"bytes"
	"strings"
	"testing"

	"github.com/berthdev/berth/internal/control"
	"github.com/berthdev/berth/internal/localvitals"
)

func TestStatusTextShowsTheVitalSigns(t *testing.T) {
	st := control.State{Service: "api", Env: "dev", URL: "http://127.0.0.1:8080", PID: 42,
		Traffic: &localvitals.Traffic{
			Total:      localvitals.Vitals{Seconds: 3600, Requests: 1500, Errors5xx: 3, ErrorShare: 0.002},
			LastMinute: localvitals.Vitals{Seconds: 60, Requests: 600, RequestsPerSecond: 10, ErrorShare: 0.005, P50Ms: 1.234, P99Ms: 12.5},
		},
		Replicas: []control.ReplicaState{
			{Name: "api-1", Container: "abc", Revision: "r1", Health: "healthy", Addr: "172.18.0.2:8080",
				Traffic: &localvitals.Traffic{LastMinute: localvitals.Vitals{Requests: 600, RequestsPerSecond: 10, ErrorShare: 0.005, P50Ms: 1.234, P99Ms: 12.5}}},
			{Name: "api-2", Container: "def", Revision: "r1", Health: "initial", Addr: "172.18.0.3:8080"},
		}}
	var b bytes.Buffer
	if err := WriteStatus(&b, "dev", []control.State{st}, false); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"last minute: 10 req/s, 0.5% 5xx, p50 1.2 ms, p99 12 ms",
		"since berth up started (1h0m0s): 1500 requests, 0.2% 5xx",
		"REQ/S  5XX   P50     P99",
		"api-1    abc        r1        healthy  10     0.5%  1.2 ms  12 ms",
		"api-2    def        r1        initial  -      -     -       -",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("no %q in\n%s", want, b.String())
		}
	}
}
