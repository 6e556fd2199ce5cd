package progress

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/berthdev/berth/internal/deploy"
	"github.com/berthdev/berth/internal/stacks"
)

// The job summary of a plan: what changes and what it costs first, then the plan as
// berth prints it, in a block no value of it can close.
func TestPlanMarkdown(t *testing.T) {
	before := 257.73
	pl := &deploy.Plan{Account: "123456789012", Region: "eu-west-1", Env: "prod", Service: "orders",
		Image:  deploy.ImagePlan{New: "repo@sha256:bb", Deployed: "repo@sha256:aa", Changed: true, Why: "sources changed"},
		Stacks: []deploy.StackPlan{{Stack: "berth-prod-svc-orders", Action: "update", Changes: []stacks.Change{{Action: "Modify", Resource: "Service", Type: "AWS::ECS::Service"}}}},
		Cost:   &deploy.CostChange{Region: "eu-west-1", Env: "prod", Service: "orders", Before: &before, After: 335.32, ServiceAfter: 120.5, Complete: true},
		Notes:  []string{"a note with ``` in it"}}
	var b bytes.Buffer
	WritePlanMarkdown(&b, pl)
	got := b.String()
	for _, want := range []string{"### berth plan: orders to prod — 1 change(s), a new image\n", "Estimate: **environment prod $335.32 a month** (was $257.73: +$77.59), of which orders $120.50, before traffic",
		"````text\n", "berth-prod-svc-orders: update, 1 change(s)", "~ Service", "a note with ``` in it\n\n````\n"} {
		if !strings.Contains(got, want) {
			t.Errorf("summary lacks %q:\n%s", want, got)
		}
	}
	b.Reset()
	WriteDeployedMarkdown(&b, nil, errors.New("stack berth-prod-svc-orders failed: Service (AWS::ECS::Service) CREATE_FAILED: circuit breaker"))
	if !strings.Contains(b.String(), "### berth deploy failed\n\n```text\nstack berth-prod-svc-orders failed") {
		t.Errorf("failure:\n%s", b.String())
	}
}
