package progress

import (
	"bytes"
	"strings"
	"testing"

	"github.com/berthdev/berth/internal/deploy"

	"github.com/berthdev/berth/internal/style"
)

func TestPlanSaysWhatTheDeployCosts(t *testing.T) {
	before := 257.73
	for _, tc := range []struct {
		name string
		c    *deploy.CostChange
		want string
	}{
		{"new", &deploy.CostChange{Region: "us-east-1", After: 257.73, Complete: true}, "estimate: $257.73 a month (nothing of it runs yet) before traffic"},
		{"more tasks", &deploy.CostChange{Region: "us-east-1", Before: &before, After: 335.32, Complete: true}, "estimate: $335.32 a month (was $257.73: +$77.59) before traffic"},
		{"to public", &deploy.CostChange{Region: "us-east-1", Before: &before, After: 192.03, Complete: true}, "(was $257.73: -$65.70)"},
		{"unknown type", &deploy.CostChange{Region: "us-east-1", Before: &before, After: 257.73}, "(unchanged), some prices unknown"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			WritePlan(&b, &deploy.Plan{Cost: tc.c}, style.Style{})
			if !strings.Contains(b.String(), tc.want) {
				t.Errorf("plan:\n%s\nwant %q", b.String(), tc.want)
			}
		})
	}
	var b bytes.Buffer
	WritePlan(&b, &deploy.Plan{}, style.Style{})
	if strings.Contains(b.String(), "estimate") {
		t.Errorf("a region without prices still printed an estimate:\n%s", b.String())
	}
}
