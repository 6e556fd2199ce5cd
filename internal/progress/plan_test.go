package progress

import (
	"bytes"
	"strings"
	"testing"

	"github.com/berthdev/berth/internal/deploy"
	"github.com/berthdev/berth/internal/environment"
	"github.com/berthdev/berth/internal/teardown"

	"github.com/berthdev/berth/internal/style"
)

// The plan's cost line is the environment's total before and after, and the service's
// own part of it; a change that costs money never reads "unchanged" (issue 28).
func TestPlanSaysWhatTheDeployCosts(t *testing.T) {
	f := func(v float64) *float64 { return &v }
	for _, tc := range []struct {
		name string
		c    *deploy.CostChange
		want []string
	}{
		{"new environment", &deploy.CostChange{Region: "us-east-1", Env: "dev", Service: "web", After: 359.17, ServiceAfter: 256.60, Complete: true},
			[]string{"estimate: environment dev $359.17 a month (nothing of it runs yet) before traffic", "web: $256.60 (new) of it; the rest is the environment's network"}},
		{"a second service", &deploy.CostChange{Region: "us-east-1", Env: "dev", Service: "api", Before: f(359.17), After: 615.77, ServiceAfter: 256.60, Others: 1, Complete: true},
			[]string{"environment dev $615.77 a month (was $359.17: +$256.60)", "api: $256.60 (new) of it; 1 other service(s) as they run"}},
		{"fewer instances", &deploy.CostChange{Region: "us-east-1", Env: "dev", Service: "web", Before: f(359.17), After: 293.47, ServiceBefore: f(256.60), ServiceAfter: 190.90, Complete: true},
			[]string{"(was $359.17: -$65.70)", "web: $190.90 (was $256.60: -$65.70) of it"}},
		{"same total, by use", &deploy.CostChange{Region: "us-east-1", Env: "dev", Service: "web", Before: f(359.17), After: 359.17, ServiceBefore: f(256.60), ServiceAfter: 256.60, ByUse: []string{"CloudFront distribution (per request)"}, Complete: true},
			[]string{"(the same a month)", "adds, paid by use: CloudFront distribution (per request)"}},
		{"unknown type", &deploy.CostChange{Region: "us-east-1", Env: "dev", Service: "web", Before: f(257.73), After: 257.73, ServiceBefore: f(1), ServiceAfter: 1},
			[]string{"(unchanged, some prices unknown)"}},
		{"uncounted", &deploy.CostChange{Region: "us-east-1", Env: "dev", Service: "web", Before: f(1), After: 1, ServiceBefore: f(1), ServiceAfter: 1, Uncounted: []string{"old"}, Complete: true},
			[]string{"not counted: old"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			WritePlan(&b, &deploy.Plan{Cost: tc.c}, style.Style{})
			for _, want := range tc.want {
				if !strings.Contains(b.String(), want) {
					t.Errorf("plan:\n%s\nwant %q", b.String(), want)
				}
			}
			if (tc.c.Difference() != 0 || len(tc.c.ByUse) > 0) && strings.Contains(b.String(), "a month (unchanged") {
				t.Errorf("a change that costs money reads unchanged:\n%s", b.String())
			}
		})
	}
	var b bytes.Buffer
	WritePlan(&b, &deploy.Plan{}, style.Style{})
	if strings.Contains(b.String(), "estimate") {
		t.Errorf("a region without prices still printed an estimate:\n%s", b.String())
	}
}

// Deleting an environment in an existing VPC says, before and after, that the VPC and
// its subnets stay.
func TestRemovalSaysTheExistingNetworkStays(t *testing.T) {
	var b bytes.Buffer
	WriteRemoval(&b, &teardown.Removal{Env: "dev", Stacks: []string{"berth-dev-svc-api", "berth-dev-cluster"},
		Keeps: &environment.Existing{VPC: "vpc-0abc1234", PublicSubnets: []string{"subnet-0aaa1111", "subnet-0bbb2222"}, PrivateSubnets: []string{"subnet-0ccc3333"}}}, style.Style{})
	for _, want := range []string{"  - stack berth-dev-cluster\n", "the existing VPC vpc-0abc1234 and its subnets subnet-0aaa1111, subnet-0bbb2222, subnet-0ccc3333 stay as they are: berth did not create them"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("removal:\n%s\nwant %q", b.String(), want)
		}
	}
	if strings.Contains(b.String(), "network") {
		t.Errorf("the removal names a network stack:\n%s", b.String())
	}
}

// A duration is never rounded down to nothing, and the plan names the whole image.
func TestDurationsAndImagesAreTold(t *testing.T) {
	for s, want := range map[float64]string{0.4: "0.4s", 9.96: "10.0s", 42.4: "42s", 125: "2m5s"} {
		if got := Seconds(s); got != want {
			t.Errorf("Seconds(%v) = %q, want %q", s, got, want)
		}
	}
	img := "123456789012.dkr.ecr.eu-west-1.amazonaws.com/berth/production/orders@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	var b bytes.Buffer
	WritePlan(&b, &deploy.Plan{Image: deploy.ImagePlan{New: img}}, style.Style{})
	if !strings.Contains(b.String(), img) {
		t.Errorf("the plan cuts the image:\n%s", b.String())
	}
}
