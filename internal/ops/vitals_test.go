package ops

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/berthdev/berth/internal/vitals"
)

const (
	tgARN = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/berth-dev-api-tg/73e2d6bc24d8a067"
	lbARN = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/berth-dev-api/50dc6c495c0c9188"
)

// fakeCW answers GetMetricData with recorded series (by query id) and DescribeAlarms
// with recorded alarms, and records what it was asked.
type fakeCW struct {
	series map[string][]float64 // one value a minute from the start, NaN-free
	alarms []cwtypes.MetricAlarm
	calls  []*cloudwatch.GetMetricDataInput
	prefix string
}

func (f *fakeCW) GetMetricData(_ context.Context, in *cloudwatch.GetMetricDataInput, _ ...func(*cloudwatch.Options)) (*cloudwatch.GetMetricDataOutput, error) {
	f.calls = append(f.calls, in)
	out := &cloudwatch.GetMetricDataOutput{}
	for _, q := range in.MetricDataQueries {
		r := cwtypes.MetricDataResult{Id: q.Id, StatusCode: cwtypes.StatusCodeComplete, Timestamps: []time.Time{}, Values: []float64{}}
		for i, v := range f.series[aws.ToString(q.Id)] {
			r.Timestamps = append(r.Timestamps, in.StartTime.Add(time.Duration(i)*time.Minute))
			r.Values = append(r.Values, v)
		}
		out.MetricDataResults = append(out.MetricDataResults, r)
	}
	return out, nil
}

func (f *fakeCW) DescribeAlarms(_ context.Context, in *cloudwatch.DescribeAlarmsInput, _ ...func(*cloudwatch.Options)) (*cloudwatch.DescribeAlarmsOutput, error) {
	f.prefix = aws.ToString(in.AlarmNamePrefix)
	return &cloudwatch.DescribeAlarmsOutput{MetricAlarms: f.alarms}, nil
}

type fakeTG struct{}

func (fakeTG) DescribeTargetGroups(_ context.Context, in *elb.DescribeTargetGroupsInput, _ ...func(*elb.Options)) (*elb.DescribeTargetGroupsOutput, error) {
	return &elb.DescribeTargetGroupsOutput{TargetGroups: []elbtypes.TargetGroup{{TargetGroupArn: aws.String(in.TargetGroupArns[0]), LoadBalancerArns: []string{lbARN}}}}, nil
}

func deployed() *Status {
	return &Status{cluster: "berth-dev", serviceName: "api", targetGroup: tgARN, serviceStack: "berth-dev-api-service"}
}

// The vital signs are one GetMetricData call of every metric, by the dimensions
// CloudWatch keeps them under, a point a minute over the window.
func TestVitalsAreOneMetricsCall(t *testing.T) {
	cw := &fakeCW{}
	now := time.Date(2026, 11, 30, 11, 4, 37, 0, time.UTC)
	v, err := (&Clients{CW: cw, TG: fakeTG{}}).Vitals(context.Background(), deployed(), now.Add(-time.Hour), now)
	if err != nil {
		t.Fatal(err)
	}
	if len(cw.calls) != 1 {
		t.Fatalf("%d GetMetricData calls, want one", len(cw.calls))
	}
	in := cw.calls[0]
	if !in.StartTime.Equal(time.Date(2026, 11, 30, 10, 4, 0, 0, time.UTC)) || !in.EndTime.Equal(time.Date(2026, 11, 30, 11, 4, 0, 0, time.UTC)) {
		t.Errorf("window %v to %v: not whole minutes", in.StartTime, in.EndTime)
	}
	got := map[string]string{}
	for _, q := range in.MetricDataQueries {
		var dims []string
		for _, d := range q.MetricStat.Metric.Dimensions {
			dims = append(dims, aws.ToString(d.Name)+"="+aws.ToString(d.Value))
		}
		got[aws.ToString(q.Id)] = fmt.Sprintf("%s %s %s %d %s", aws.ToString(q.MetricStat.Metric.Namespace), aws.ToString(q.MetricStat.Metric.MetricName),
			aws.ToString(q.MetricStat.Stat), aws.ToInt32(q.MetricStat.Period), strings.Join(dims, ","))
	}
	lb, tg := "LoadBalancer=app/berth-dev-api/50dc6c495c0c9188", "TargetGroup=targetgroup/berth-dev-api-tg/73e2d6bc24d8a067"
	for id, want := range map[string]string{
		"requests":  "AWS/ApplicationELB RequestCount Sum 60 " + lb + "," + tg,
		"target5xx": "AWS/ApplicationELB HTTPCode_Target_5XX_Count Sum 60 " + lb + "," + tg,
		"elb5xx":    "AWS/ApplicationELB HTTPCode_ELB_5XX_Count Sum 60 " + lb,
		"p50":       "AWS/ApplicationELB TargetResponseTime p50 60 " + lb + "," + tg,
		"p99":       "AWS/ApplicationELB TargetResponseTime p99 60 " + lb + "," + tg,
		"cpu":       "AWS/ECS CPUUtilization Average 60 ClusterName=berth-dev,ServiceName=api",
		"memory":    "AWS/ECS MemoryUtilization Average 60 ClusterName=berth-dev,ServiceName=api",
		"tasks":     "ECS/ContainerInsights RunningTaskCount Average 60 ClusterName=berth-dev,ServiceName=api",
	} {
		if got[id] != want {
			t.Errorf("query %s: %q, want %q", id, got[id], want)
		}
	}
	if len(got) != 8 || cw.prefix != "berth-dev-api-service-" {
		t.Errorf("%d queries; alarms by prefix %q", len(got), cw.prefix)
	}
	if v.HasData() || v.Steps() != 60 || len(v.Alarms) != 0 {
		t.Errorf("the emulator's empty answer: %+v", v)
	}
}

// Recorded answers of a service under load: the 5xx share adds the targets' and the
// load balancer's 5xx over the requests, and a minute of 503s without any request
// (no healthy target) counts as all errors.
func TestVitalsFromRecordedAnswers(t *testing.T) {
	cw := &fakeCW{series: map[string][]float64{
		"requests":  {200, 400, 0, 100},
		"target5xx": {0, 4, 0},
		"elb5xx":    {0, 0, 7},
		"p99":       {0.2, 0.9, 0.3, 0.25},
		"tasks":     {2, 2, 1, 2},
	}, alarms: []cwtypes.MetricAlarm{{AlarmName: aws.String("berth-dev-api-service-Errors-1A2B"), StateValue: cwtypes.StateValueAlarm, StateReason: aws.String("Threshold Crossed")}}}
	now := time.Date(2026, 11, 30, 11, 0, 0, 0, time.UTC)
	v, err := (&Clients{CW: cw, TG: fakeTG{}}).Vitals(context.Background(), deployed(), now.Add(-time.Hour), now)
	if err != nil {
		t.Fatal(err)
	}
	var share []float64
	for _, p := range v.Get(vitals.Errors).Points {
		share = append(share, p.Value)
	}
	if fmt.Sprint(share) != "[0 1 100 0]" {
		t.Errorf("5xx share %v, want [0 1 100 0]", share)
	}
	if n := len(v.Get(vitals.LatencyP99).Points); n != 4 || len(v.Get(vitals.CPU).Points) != 0 {
		t.Errorf("p99 %d points, cpu %v", n, v.Get(vitals.CPU).Points)
	}
	if len(v.Alarms) != 1 || v.Alarms[0].State != "ALARM" {
		t.Errorf("alarms %+v", v.Alarms)
	}
}

func TestLongWindowsGetLongerSteps(t *testing.T) {
	for window, want := range map[time.Duration]time.Duration{time.Hour: time.Minute, 24 * time.Hour: time.Minute, 3 * 24 * time.Hour: 3 * time.Minute, 30 * time.Minute: time.Minute} {
		if got := Step(window); got != want {
			t.Errorf("Step(%v) = %v, want %v", window, got, want)
		}
	}
}

func TestNoVitalsBeforeTheServiceIsDeployed(t *testing.T) {
	cw := &fakeCW{}
	v, err := (&Clients{CW: cw, TG: fakeTG{}}).Vitals(context.Background(), &Status{}, time.Now().Add(-time.Hour), time.Now())
	if err != nil || v != nil || len(cw.calls) != 0 {
		t.Errorf("%+v %v, %d calls", v, err, len(cw.calls))
	}
}
