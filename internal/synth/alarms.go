package synth

import (
	"fmt"

	"github.com/berthdev/berth/internal/cfn"
	"github.com/berthdev/berth/internal/manifest"
	"github.com/berthdev/berth/internal/rollout"
)

// The CloudWatch alarms of a service. Each says one thing that is wrong with the service
// as its users see it; the rollout rule (deployment.rollback_on) names which of them
// roll a deployment back, and whatever else comes to watch the service (a person's
// notification) reuses the same definitions.

// Logical ids of the alarms.
const (
	ResErrorAlarm   = "ErrorAlarm"
	ResLatencyAlarm = "LatencyAlarm"
)

// The rule's windows as CloudWatch takes them: one-minute datapoints, 2 breaching of 3,
// missing data (no requests, or no 5xx at all, which ELB does not report) not breaching
// (rollout.Window, Windows, Breaching).
const (
	alarmPeriod     = int(rollout.Window / 1e9)
	alarmEvaluation = rollout.Windows
	alarmDatapoints = rollout.Breaching
)

// errorAlarm is the share of the service's requests answered with a server error, in
// percent: 5xx from its tasks in either target group (a canary's new revision answers
// from the alternate one) and 5xx the load balancer gave itself (502, 503, 504: a
// task that died or answered nothing), over every request the target groups took plus
// those. ELB publishes these as Sums every minute, and only when they are not zero
// ("CloudWatch metrics for your Application Load Balancer": HTTPCode_Target_5XX_Count
// and RequestCount by LoadBalancer and TargetGroup, HTTPCode_ELB_5XX_Count by
// LoadBalancer), hence FILL(…, 0). Above deployment.rollback_on.errors in 2 of 3
// minutes, it is in ALARM: ECS Express Mode's rule ("Updating an Amazon ECS Express
// Mode service").
//
// On the environment's load balancer the load balancer's own 5xx are every service's
// (ELB publishes them by LoadBalancer only): they would roll one service back for
// another's failure, so there the alarm counts its target groups' answers alone.
func errorAlarm(m *manifest.Manifest, ids lbIDs) cfn.Resource {
	r := m.Deployment.Rollout.Rule
	metrics := []any{
		albMetric(ids, "target5xxA", "HTTPCode_Target_5XX_Count", "Sum", ids.targetGroup),
		albMetric(ids, "target5xxB", "HTTPCode_Target_5XX_Count", "Sum", ids.alternate),
		albMetric(ids, "lb5xx", "HTTPCode_ELB_5XX_Count", "Sum", ""),
		albMetric(ids, "requestsA", "RequestCount", "Sum", ids.targetGroup),
		albMetric(ids, "requestsB", "RequestCount", "Sum", ids.alternate),
		expression("errors", "FILL(target5xxA, 0) + FILL(target5xxB, 0) + FILL(lb5xx, 0)", "", false),
		expression("total", "FILL(requestsA, 0) + FILL(requestsB, 0) + FILL(lb5xx, 0)", "", false),
		expression("share", "IF(total > 0, 100 * errors / total, 0)", "5xx share of requests (%)", true),
	}
	if ids.shared {
		metrics = append(append(metrics[:2:2], metrics[3:5]...),
			expression("errors", "FILL(target5xxA, 0) + FILL(target5xxB, 0)", "", false),
			expression("total", "FILL(requestsA, 0) + FILL(requestsB, 0)", "", false),
			metrics[7])
	}
	return alarm(m, "errors", fmt.Sprintf("berth %s: more than %g %% of requests answered with a server error (5xx) in %d of %d minutes",
		m.Name, r.ErrorPercent, alarmDatapoints, alarmEvaluation), metrics, r.ErrorPercent)
}

// latencyAlarm is the slower of the two target groups' 99th percentile of response
// time (TargetResponseTime, seconds), above deployment.rollback_on.latency_p99 in 2 of
// 3 minutes.
func latencyAlarm(m *manifest.Manifest, ids lbIDs) cfn.Resource {
	r := m.Deployment.Rollout.Rule
	metrics := []any{
		albMetric(ids, "p99A", "TargetResponseTime", "p99", ids.targetGroup),
		albMetric(ids, "p99B", "TargetResponseTime", "p99", ids.alternate),
		expression("p99", "MAX([FILL(p99A, 0), FILL(p99B, 0)])", "p99 response time (s)", true),
	}
	return alarm(m, "latency", fmt.Sprintf("berth %s: the 99th percentile of response times above %s in %d of %d minutes",
		m.Name, r.LatencyP99, alarmDatapoints, alarmEvaluation), metrics, r.LatencyP99.Seconds())
}

// alarms are the logical ids of the alarms that roll a deployment back.
func alarms(m *manifest.Manifest) []string {
	out := []string{ResErrorAlarm}
	if m.Deployment.Rollout.Rule.LatencyP99 > 0 {
		out = append(out, ResLatencyAlarm)
	}
	return out
}

// addAlarms puts the service's alarms in its template.
func addAlarms(t *cfn.Template, m *manifest.Manifest, ids lbIDs) {
	t.Resources.Set(ResErrorAlarm, errorAlarm(m, ids))
	if m.Deployment.Rollout.Rule.LatencyP99 > 0 {
		t.Resources.Set(ResLatencyAlarm, latencyAlarm(m, ids))
	}
}

// AlarmName is the name berth gives a service's alarm: berth-<env>-<service>-<what>.
// berth names them so that a person and "berth deploy" find them by name; an alarm's
// other properties change in place.
func AlarmName(m *manifest.Manifest, what string) cfn.Sub {
	return cfn.Sub(fmt.Sprintf("berth-${Env}-%s-%s", m.Name, what))
}

func alarm(m *manifest.Manifest, what, desc string, metrics []any, threshold float64) cfn.Resource {
	return cfn.Resource{Type: "AWS::CloudWatch::Alarm", Properties: map[string]any{
		"AlarmName":          AlarmName(m, what),
		"AlarmDescription":   desc,
		"Metrics":            metrics,
		"ComparisonOperator": "GreaterThanThreshold",
		"Threshold":          threshold,
		"EvaluationPeriods":  alarmEvaluation,
		"DatapointsToAlarm":  alarmDatapoints,
		"TreatMissingData":   "notBreaching",
	}}
}

// albMetric is one Application Load Balancer metric of the service's load balancer,
// of one of its target groups when tg is set.
func albMetric(ids lbIDs, id, name, stat, tg string) map[string]any {
	var lb any = cfn.GetAtt("LoadBalancer.LoadBalancerFullName")
	if ids.shared {
		lb = cfn.Ref(OutSharedFullName)
	}
	dims := []any{map[string]any{"Name": "LoadBalancer", "Value": lb}}
	if tg != "" {
		dims = append(dims, map[string]any{"Name": "TargetGroup", "Value": targetGroupFullName(tg)})
	}
	return map[string]any{
		"Id": id,
		"MetricStat": map[string]any{
			"Metric": map[string]any{"Namespace": "AWS/ApplicationELB", "MetricName": name, "Dimensions": dims},
			"Period": alarmPeriod,
			"Stat":   stat,
		},
		"ReturnData": false,
	}
}

// targetGroupFullName is the TargetGroup dimension, "targetgroup/<name>/<id>": the
// last field of the group's ARN, which is what GetAtt TargetGroupFullName returns
// (AWS::ElasticLoadBalancingV2::TargetGroup return values). Read from the ARN because
// the emulator the end-to-end tests run on has no GetAtt of it.
func targetGroupFullName(tg string) any {
	return cfn.Select(5, cfn.Fn{Name: "Split", Args: []any{":", cfn.Ref(tg)}})
}

func expression(id, expr, label string, result bool) map[string]any {
	e := map[string]any{"Id": id, "Expression": expr, "ReturnData": result}
	if label != "" {
		e["Label"] = label
	}
	return e
}

// AlarmMetrics is how many metrics the service's alarms watch: CloudWatch prices an
// alarm by the metrics it evaluates, a metric math alarm by each metric of its
// expression (Amazon CloudWatch pricing, "Alarms").
func AlarmMetrics(m *manifest.Manifest) int {
	n := 0
	count := func(r cfn.Resource) {
		for _, q := range r.Properties["Metrics"].([]any) {
			if _, ok := q.(map[string]any)["MetricStat"]; ok {
				n++
			}
		}
	}
	ids := idsOf(m, false)
	count(errorAlarm(m, ids))
	if m.Deployment.Rollout.Rule.LatencyP99 > 0 {
		count(latencyAlarm(m, ids))
	}
	return n
}

// AlarmNames are the names of the alarms that roll the service's deployments back in
// environment env, as AlarmName writes them.
func AlarmNames(env string, m *manifest.Manifest) []string {
	out := []string{fmt.Sprintf("berth-%s-%s-errors", env, m.Name)}
	if m.Deployment.Rollout.Rule.LatencyP99 > 0 {
		out = append(out, fmt.Sprintf("berth-%s-%s-latency", env, m.Name))
	}
	return out
}
