package ops

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/berthdev/berth/internal/vitals"
)

// CloudWatch is the part of the CloudWatch API berth reads: the metrics of the vital
// signs, in one GetMetricData call, and the states of the service's alarms.
type CloudWatch interface {
	GetMetricData(context.Context, *cloudwatch.GetMetricDataInput, ...func(*cloudwatch.Options)) (*cloudwatch.GetMetricDataOutput, error)
	DescribeAlarms(context.Context, *cloudwatch.DescribeAlarmsInput, ...func(*cloudwatch.Options)) (*cloudwatch.DescribeAlarmsOutput, error)
}

// TargetGroups finds the load balancer of the service's target group: the metrics of
// the Application Load Balancer are kept by target group and load balancer.
type TargetGroups interface {
	DescribeTargetGroups(context.Context, *elb.DescribeTargetGroupsInput, ...func(*elb.Options)) (*elb.DescribeTargetGroupsOutput, error)
}

// maxPoints bounds the points of one series: a longer window gets longer steps
// (GetMetricData returns at most 100,800 datapoints a call; eight series of 1,440 stay
// far below, and a day at one point a minute fits).
const maxPoints = 1440

// Step is the grid of a window: a minute, or longer for a window of more than a day.
func Step(window time.Duration) time.Duration {
	step := time.Minute
	for window/step > maxPoints {
		step += time.Minute
	}
	return step
}

// query is one metric of the vital signs, as GetMetricData asks for it.
type query struct {
	id, namespace, metric, stat string
	dims                        []string // dimension names; the values come from the service
}

// The metrics, each documented with its dimensions and statistics: "CloudWatch metrics
// for your Application Load Balancer" (RequestCount, HTTPCode_Target_5XX_Count and
// TargetResponseTime by TargetGroup and LoadBalancer; HTTPCode_ELB_5XX_Count by
// LoadBalancer: the load balancer is the service's own), "Amazon ECS CloudWatch
// metrics" (CPUUtilization, MemoryUtilization by ClusterName and ServiceName) and
// "Amazon ECS Container Insights metrics" (RunningTaskCount; the cluster has Container
// Insights on).
var queries = []query{
	{"requests", "AWS/ApplicationELB", "RequestCount", "Sum", []string{"LoadBalancer", "TargetGroup"}},
	{"target5xx", "AWS/ApplicationELB", "HTTPCode_Target_5XX_Count", "Sum", []string{"LoadBalancer", "TargetGroup"}},
	{"elb5xx", "AWS/ApplicationELB", "HTTPCode_ELB_5XX_Count", "Sum", []string{"LoadBalancer"}},
	{"p50", "AWS/ApplicationELB", "TargetResponseTime", "p50", []string{"LoadBalancer", "TargetGroup"}},
	{"p99", "AWS/ApplicationELB", "TargetResponseTime", "p99", []string{"LoadBalancer", "TargetGroup"}},
	{"cpu", "AWS/ECS", "CPUUtilization", "Average", []string{"ClusterName", "ServiceName"}},
	{"memory", "AWS/ECS", "MemoryUtilization", "Average", []string{"ClusterName", "ServiceName"}},
	{"tasks", "ECS/ContainerInsights", "RunningTaskCount", "Average", []string{"ClusterName", "ServiceName"}},
}

// Vitals reads the service's vital signs from since to now: the metrics in one
// GetMetricData call, then its alarms. st is the service's status (Status), which
// names its cluster, service, stack and target group; a service that is not deployed
// has none (nil).
func (c *Clients) Vitals(ctx context.Context, st *Status, since, now time.Time) (*vitals.Vitals, error) {
	if st.targetGroup == "" || st.cluster == "" {
		return nil, nil
	}
	step := Step(now.Sub(since))
	v := &vitals.Vitals{Since: since.Truncate(step), Until: now.Truncate(step), Step: step, Series: vitals.Empty(), Alarms: []vitals.Alarm{}, Source: "CloudWatch"}
	lb, err := c.loadBalancerOf(ctx, st.targetGroup)
	if err != nil {
		return nil, err
	}
	dims := map[string]string{
		"LoadBalancer": dimension(lb, ":loadbalancer/"), "TargetGroup": dimension(st.targetGroup, ":"),
		"ClusterName": st.cluster, "ServiceName": st.serviceName,
	}
	in := &cloudwatch.GetMetricDataInput{StartTime: aws.Time(v.Since), EndTime: aws.Time(v.Until), ScanBy: cwtypes.ScanByTimestampAscending}
	for _, q := range queries {
		var d []cwtypes.Dimension
		for _, name := range q.dims {
			d = append(d, cwtypes.Dimension{Name: aws.String(name), Value: aws.String(dims[name])})
		}
		in.MetricDataQueries = append(in.MetricDataQueries, cwtypes.MetricDataQuery{Id: aws.String(q.id), ReturnData: aws.Bool(true),
			MetricStat: &cwtypes.MetricStat{Stat: aws.String(q.stat), Period: aws.Int32(int32(step / time.Second)),
				Metric: &cwtypes.Metric{Namespace: aws.String(q.namespace), MetricName: aws.String(q.metric), Dimensions: d}}})
	}
	got := map[string][]vitals.Point{}
	for {
		out, err := c.CW.GetMetricData(ctx, in)
		if err != nil {
			return nil, fmt.Errorf("read the metrics of %s: %w", st.serviceName, err)
		}
		for _, r := range out.MetricDataResults {
			id := aws.ToString(r.Id)
			for i := range min(len(r.Timestamps), len(r.Values)) {
				got[id] = append(got[id], vitals.Point{Time: r.Timestamps[i].UTC(), Value: r.Values[i]})
			}
		}
		if out.NextToken == nil {
			break
		}
		in.NextToken = out.NextToken
	}
	fill(v, got)
	if v.Alarms, err = c.alarms(ctx, st.serviceStack); err != nil {
		return nil, err
	}
	return v, nil
}

// fill puts what CloudWatch answered into the series. The 5xx share of a minute is
// the 5xx answers (the targets' and the load balancer's own) over the requests,
// capped at 100 %: the load balancer's 503s when no target is healthy reach no target
// and are not in RequestCount. A minute without requests and without 5xx has no share.
func fill(v *vitals.Vitals, got map[string][]vitals.Point) {
	v.Get(vitals.Requests).Points = append([]vitals.Point{}, got["requests"]...)
	v.Get(vitals.LatencyP50).Points = append([]vitals.Point{}, got["p50"]...)
	v.Get(vitals.LatencyP99).Points = append([]vitals.Point{}, got["p99"]...)
	v.Get(vitals.CPU).Points = append([]vitals.Point{}, got["cpu"]...)
	v.Get(vitals.Memory).Points = append([]vitals.Point{}, got["memory"]...)
	v.Get(vitals.Running).Points = append([]vitals.Point{}, got["tasks"]...)
	requests, errors := map[time.Time]float64{}, map[time.Time]float64{}
	for _, p := range got["requests"] {
		requests[p.Time] += p.Value
	}
	for _, p := range append(append([]vitals.Point{}, got["target5xx"]...), got["elb5xx"]...) {
		errors[p.Time] += p.Value
	}
	times := slices.Collect(maps.Keys(requests))
	for t := range errors {
		if _, ok := requests[t]; !ok {
			times = append(times, t)
		}
	}
	slices.SortFunc(times, time.Time.Compare)
	share := v.Get(vitals.Errors)
	for _, t := range times {
		r, e := requests[t], errors[t]
		if r == 0 && e == 0 {
			continue
		}
		pct := 100.0
		if r > 0 {
			pct = min(100, 100*e/r)
		}
		share.Points = append(share.Points, vitals.Point{Time: t, Value: pct})
	}
}

// loadBalancerOf is the ARN of the load balancer that forwards to the target group.
func (c *Clients) loadBalancerOf(ctx context.Context, targetGroup string) (string, error) {
	out, err := c.TG.DescribeTargetGroups(ctx, &elb.DescribeTargetGroupsInput{TargetGroupArns: []string{targetGroup}})
	if err != nil {
		return "", fmt.Errorf("describe target group %s: %w", targetGroup, err)
	}
	for _, tg := range out.TargetGroups {
		if len(tg.LoadBalancerArns) > 0 {
			return tg.LoadBalancerArns[0], nil
		}
	}
	return "", nil
}

// dimension is the CloudWatch dimension value of a load balancer or target group: the
// end of its ARN after the resource type's separator, app/NAME/ID and
// targetgroup/NAME/ID ("CloudWatch metrics for your Application Load Balancer",
// Metric dimensions).
func dimension(arn, after string) string {
	i := strings.LastIndex(arn, after)
	if i < 0 {
		return arn
	}
	return arn[i+len(after):]
}

// alarms are the alarms of the service's stack: CloudFormation names an alarm without
// AlarmName STACK-LOGICALID-SUFFIX, so they share the stack's name as prefix.
func (c *Clients) alarms(ctx context.Context, stack string) ([]vitals.Alarm, error) {
	out := []vitals.Alarm{}
	if stack == "" {
		return out, nil
	}
	in := &cloudwatch.DescribeAlarmsInput{AlarmNamePrefix: aws.String(stack + "-"),
		AlarmTypes: []cwtypes.AlarmType{cwtypes.AlarmTypeMetricAlarm, cwtypes.AlarmTypeCompositeAlarm}}
	for {
		page, err := c.CW.DescribeAlarms(ctx, in)
		if err != nil {
			return nil, fmt.Errorf("describe the alarms of %s: %w", stack, err)
		}
		for _, a := range page.MetricAlarms {
			out = append(out, vitals.Alarm{Name: aws.ToString(a.AlarmName), State: string(a.StateValue), Reason: aws.ToString(a.StateReason)})
		}
		for _, a := range page.CompositeAlarms {
			out = append(out, vitals.Alarm{Name: aws.ToString(a.AlarmName), State: string(a.StateValue), Reason: aws.ToString(a.StateReason)})
		}
		if page.NextToken == nil {
			return out, nil
		}
		in.NextToken = page.NextToken
	}
}
