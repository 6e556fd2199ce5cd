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
