package traffic

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/berthdev/berth/internal/rollout"
	"github.com/berthdev/berth/internal/synth"
)

// recorded holds the answers of ListServiceDeployments, DescribeServiceDeployments and
// DescribeAlarms, in the APIs' JSON (the emulator runs no deployment: no traffic shift,
// no bake, no alarm rollback, so these are written after the API reference).
type recorded struct {
	List     ecs.ListServiceDeploymentsOutput     `json:"list"`
	Describe ecs.DescribeServiceDeploymentsOutput `json:"describe"`
	Alarms   cloudwatch.DescribeAlarmsOutput      `json:"alarms"`
	asked    []string
}

func (r *recorded) ListServiceDeployments(context.Context, *ecs.ListServiceDeploymentsInput, ...func(*ecs.Options)) (*ecs.ListServiceDeploymentsOutput, error) {
	return &r.List, nil
}

func (r *recorded) DescribeServiceDeployments(_ context.Context, in *ecs.DescribeServiceDeploymentsInput, _ ...func(*ecs.Options)) (*ecs.DescribeServiceDeploymentsOutput, error) {
	r.asked = append(r.asked, in.ServiceDeploymentArns...)
	return &r.Describe, nil
}

func (r *recorded) DescribeAlarms(context.Context, *cloudwatch.DescribeAlarmsInput, ...func(*cloudwatch.Options)) (*cloudwatch.DescribeAlarmsOutput, error) {
	return &r.Alarms, nil
}

func load(t *testing.T, name string) *recorded {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	r := &recorded{}
	if err := json.Unmarshal(b, r); err != nil {
		t.Fatal(err)
	}
	return r
}

func TestLookReadsTheNewestDeploymentOnRecordedAnswers(t *testing.T) {
	r := load(t, "canary-shifting.json")
	c := &Clients{ECS: r, CW: r}
	spec := rollout.Spec{Strategy: rollout.Canary, Percent: 5, Interval: 3 * time.Minute, Bake: 3 * time.Minute}
	v, err := c.Look(context.Background(), "berth-dev", "orders", spec, []string{"berth-dev-orders-errors"}, time.Date(2026, 11, 27, 9, 6, 30, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	if len(r.asked) != 1 || !strings.HasSuffix(r.asked[0], "/new") {
		t.Errorf("described %v, want the newest deployment", r.asked)
	}
	if v.Stage != "BAKE_TIME" || v.BakeLeft != 90*time.Second || len(v.Revisions) != 2 || !v.Revisions[0].New || v.Revisions[0].Share != 100 ||
		v.Revisions[1].Share != 0 || len(v.Alarms) != 1 || v.Alarms[0].State != "OK" {
		t.Errorf("view %+v", v)
	}
}

func TestWhyNamesTheAlarmThatFiredWithItsNumbers(t *testing.T) {
	r := load(t, "canary-rolled-back.json")
	why, err := (&Clients{ECS: r, CW: r}).Why(context.Background(), "berth-dev", "orders")
	if err != nil || why == nil {
		t.Fatalf("%v %v", why, err)
	}
	want := "the new release of orders was rolled back (ROLLBACK_SUCCESSFUL): alarm berth-dev-orders-errors fired: Threshold Crossed: 2 out of the last 3 datapoints [12.5 (27/11/26 09:02:00), 8.0 (27/11/26 09:01:00)] were greater than the threshold (1.0)"
	if !strings.HasPrefix(why.Error(), want) || !strings.Contains(why.Hint(), "berth status") {
		t.Errorf("%q\nhint %q", why.Error(), why.Hint())
	}
	if why, _ := (&Clients{ECS: load(t, "canary-shifting.json"), CW: r}).Why(context.Background(), "berth-dev", "orders"); why != nil {
		t.Errorf("a deployment in progress reads as rolled back: %v", why)
	}
}

type rules struct{ weights map[string]int32 }

func (r rules) DescribeRules(context.Context, *elb.DescribeRulesInput, ...func(*elb.Options)) (*elb.DescribeRulesOutput, error) {
	var tgs []elbtypes.TargetGroupTuple
	for arn, w := range r.weights {
		tgs = append(tgs, elbtypes.TargetGroupTuple{TargetGroupArn: aws.String(arn), Weight: aws.Int32(w)})
	}
	return &elb.DescribeRulesOutput{Rules: []elbtypes.Rule{{Actions: []elbtypes.Action{{Type: "forward", ForwardConfig: &elbtypes.ForwardActionConfig{TargetGroups: tgs}}}}}}, nil
}

func TestServingFollowsTheRuleWeights(t *testing.T) {
	out := map[string]string{synth.OutProductionRuleArn: "rule", synth.OutAlternateTargetGroup: "alt"}
	for _, tc := range []struct {
		weights map[string]int32
		outputs map[string]string
		want    string
	}{
		{map[string]int32{"tg": 100, "alt": 0}, out, synth.ServingPrimary},
		{map[string]int32{"tg": 0, "alt": 100}, out, synth.ServingAlternate},
		{map[string]int32{"tg": 95, "alt": 5}, out, synth.ServingPrimary}, // a canary in progress
		{nil, map[string]string{}, synth.ServingPrimary},                  // a stack from before rollouts
	} {
		got, err := (&Clients{ELB: rules{tc.weights}}).Serving(context.Background(), tc.outputs)
		if err != nil || got != tc.want {
			t.Errorf("%v: %s %v, want %s", tc.weights, got, err, tc.want)
		}
	}
}
