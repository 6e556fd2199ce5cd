package synth

import (
	"fmt"
	"hash/fnv"
	"strings"

	"github.com/berthdev/berth/internal/cfn"
	"github.com/berthdev/berth/internal/manifest"
	"github.com/berthdev/berth/internal/rollout"
)

// The CloudWatch alarms of a service. Each says one thing that is wrong with the service
// as its users see it; the rollout rule (deployment.rollback_on) names which of them
// roll a deployment back, and the alarms key (manifest.Alarms) adds those that watch
// its capacity and whom they all tell. One definition each: the error alarm that rolls
// a deployment back is the one that notifies, with one threshold.

// Logical ids of the alarms, their topic, and its output.
const (
	ResErrorAlarm     = "ErrorAlarm"
	ResLatencyAlarm   = "LatencyAlarm"
	ResUnhealthyAlarm = "UnhealthyTargetsAlarm"
	ResTasksAlarm     = "RunningTasksAlarm"
	ResCPUAlarm       = "CPUAlarm"
	ResMemoryAlarm    = "MemoryAlarm"
	ResAlarmTopic     = "AlarmTopic"
	OutAlarmTopic     = "AlarmTopicArn"
)

// The rule's windows as CloudWatch takes them: one-minute datapoints, 2 breaching of 3,
// missing data (no requests, or no 5xx at all, which ELB does not report) not breaching
// (rollout.Window, Windows, Breaching).
const (
	alarmPeriod     = int(rollout.Window / 1e9)
	alarmEvaluation = rollout.Windows
	alarmDatapoints = rollout.Breaching
)

// The capacity alarms (running tasks, CPU, memory) fire on what lasts, not on a
// spike: 5 one-minute datapoints in a row, as CloudWatch's recommended alarms for ECS
// services do ("Best practice alarm recommendations for AWS services"). ECS and
// Container Insights publish every minute ("Amazon ECS CloudWatch metrics").
const (
	capacityEvaluation = 5
	capacityDatapoints = 5
)

// errorAlarm is the share of a target group's requests its tasks answered with a
// server error, in percent, for the worse of the service's two target groups: during a
// canary or linear deployment the new revision answers from one and the old from the
// other, and a share over both would dilute the canary's (a canary of 5 % failing one
// request in ten is 0.5 % of all requests; helper review, 2026-12-04). The slower
// group's p99 is the latency alarm's for the same reason. Once a deployment is done
// the idle group has no requests, and its share is 0. With the service's own load
// balancer, the 5xx the load balancer gave itself (502, 503, 504: a task that died or
// answered nothing) count as a third share, of every request. ELB publishes these as
// Sums every minute, and only when they are not zero ("CloudWatch metrics for your
// Application Load Balancer": HTTPCode_Target_5XX_Count and RequestCount by
// LoadBalancer and TargetGroup, HTTPCode_ELB_5XX_Count by LoadBalancer), hence FILL(…,
// 0); metric math applies IF and MAX per datapoint. Above
// deployment.rollback_on.errors in 2 of 3 minutes, it is in ALARM: ECS Express Mode's
// rule ("Updating an Amazon ECS Express Mode service").
//
// On the environment's load balancer the load balancer's own 5xx are every service's
// (ELB publishes them by LoadBalancer only): they would roll one service back for
// another's failure, so there the alarm counts its target groups' answers alone.
func errorAlarm(m *manifest.Manifest, ids lbIDs) cfn.Resource {
	r := m.Deployment.Rollout.Rule
	metrics := []any{
		albMetric(ids, "target5xxA", "HTTPCode_Target_5XX_Count", "Sum", ids.targetGroup),
		albMetric(ids, "target5xxB", "HTTPCode_Target_5XX_Count", "Sum", ids.alternate),
		albMetric(ids, "requestsA", "RequestCount", "Sum", ids.targetGroup),
		albMetric(ids, "requestsB", "RequestCount", "Sum", ids.alternate),
		expression("shareA", "IF(FILL(requestsA, 0) > 0, 100 * FILL(target5xxA, 0) / FILL(requestsA, 0), 0)", "", false),
		expression("shareB", "IF(FILL(requestsB, 0) > 0, 100 * FILL(target5xxB, 0) / FILL(requestsB, 0), 0)", "", false),
	}
	shares := "MAX([shareA, shareB])"
	if !ids.shared {
		metrics = append(metrics,
			albMetric(ids, "lb5xx", "HTTPCode_ELB_5XX_Count", "Sum", ""),
			expression("total", "FILL(requestsA, 0) + FILL(requestsB, 0) + FILL(lb5xx, 0)", "", false),
			expression("shareLB", "IF(total > 0, 100 * FILL(lb5xx, 0) / total, 0)", "", false))
		shares = "MAX([shareA, shareB, shareLB])"
	}
	metrics = append(metrics, expression("share", shares, "5xx share of the worse target group's requests (%)", true))
	return alarm(m, "errors", fmt.Sprintf("berth %s: more than %g %% of a target group's requests answered with a server error (5xx) in %d of %d minutes",
		m.Name, r.ErrorPercent, alarmDatapoints, alarmEvaluation), metrics, r.ErrorPercent)
}

// latencyAlarm is the slower of the two target groups' 99th percentile of response
// time (TargetResponseTime, seconds), above deployment.rollback_on.latency_p99 (or
// alarms.latency_p99: one threshold, manifest.LatencyAlarm) in 2 of 3 minutes.
func latencyAlarm(m *manifest.Manifest, ids lbIDs) cfn.Resource {
	metrics := []any{
		albMetric(ids, "p99A", "TargetResponseTime", "p99", ids.targetGroup),
		albMetric(ids, "p99B", "TargetResponseTime", "p99", ids.alternate),
		expression("p99", "MAX([FILL(p99A, 0), FILL(p99B, 0)])", "p99 response time (s)", true),
	}
	return alarm(m, "latency", fmt.Sprintf("berth %s: the 99th percentile of response times above %s in %d of %d minutes",
		m.Name, m.LatencyAlarm(), alarmDatapoints, alarmEvaluation), metrics, m.LatencyAlarm().Seconds())
}

// unhealthyAlarm is the targets of the service that fail the load balancer's health
// checks, in either target group (the one that serves changes with every
// traffic-shifting deployment, without a stack update), in 2 of 3 minutes. ELB reports
// UnHealthyHostCount per TargetGroup and LoadBalancer every minute while health checks
// run, requests or not ("CloudWatch metrics for your Application Load Balancer"); its
// Maximum is the worst moment of the minute. A task that crashes is replaced by ECS and
// leaves the group: this is the task that runs and answers its health check wrong.
func unhealthyAlarm(m *manifest.Manifest, ids lbIDs) cfn.Resource {
	metrics := []any{
		albMetric(ids, "unhealthyA", "UnHealthyHostCount", "Maximum", ids.targetGroup),
		albMetric(ids, "unhealthyB", "UnHealthyHostCount", "Maximum", ids.alternate),
		expression("unhealthy", "FILL(unhealthyA, 0) + FILL(unhealthyB, 0)", "unhealthy targets", true),
	}
	return alarm(m, "unhealthy-targets", fmt.Sprintf("berth %s: targets failing the load balancer's health checks in %d of %d minutes",
		m.Name, alarmDatapoints, alarmEvaluation), metrics, 0)
}

// tasksAlarm is the tasks the service wants (DesiredTaskCount) and does not have
// running (RunningTaskCount), from Container Insights (ECS/ContainerInsights, by
// ClusterName and ServiceName; the cluster has it on, cluster.go), for 5 minutes in a
// row: tasks that crash, instances that do not come, capacity that is not there.
func tasksAlarm(m *manifest.Manifest) cfn.Resource {
	metrics := []any{
		ecsMetric("desired", "ECS/ContainerInsights", "DesiredTaskCount", m),
		ecsMetric("running", "ECS/ContainerInsights", "RunningTaskCount", m),
		expression("missing", "FILL(desired, 0) - FILL(running, 0)", "tasks below desired", true),
	}
	return capacity(alarm(m, "running-tasks", fmt.Sprintf("berth %s: fewer tasks running than the service wants for %d minutes in a row",
		m.Name, capacityEvaluation), metrics, 0))
}

// usageAlarm is the service's average CPU or memory utilization (AWS/ECS, by
// ClusterName and ServiceName: what the tasks use of what their task definition
// reserves, averaged over them; "Amazon ECS service utilization metrics") above
// percent for 5 minutes in a row. ECS reports it only while tasks run.
func usageAlarm(m *manifest.Manifest, id, what, metric string, percent float64) cfn.Resource {
	q := ecsMetric(id, "AWS/ECS", metric, m)
	q["ReturnData"], q["Label"] = true, what+" utilization (%)"
	metrics := []any{q}
	return capacity(alarm(m, id, fmt.Sprintf("berth %s: the tasks' average %s above %g %% of what they reserve for %d minutes in a row",
		m.Name, what, percent, capacityEvaluation), metrics, percent))
}

func capacity(r cfn.Resource) cfn.Resource {
	r.Properties["EvaluationPeriods"] = capacityEvaluation
	r.Properties["DatapointsToAlarm"] = capacityDatapoints
	return r
}

// alarms are the logical ids of the alarms that roll a deployment back.
func alarms(m *manifest.Manifest) []string {
	out := []string{ResErrorAlarm}
	if m.Deployment.Rollout.Rule.LatencyP99 > 0 {
		out = append(out, ResLatencyAlarm)
	}
	return out
}

// serviceAlarm is one alarm of the service and whether it notifies.
type serviceAlarm struct {
	id       string
	alarm    cfn.Resource
	notifies bool
}

// serviceAlarms are every alarm of the service: the rollout's (the error alarm always,
// the latency alarm with a latency threshold from either key) and those the alarms key
// turns on.
func serviceAlarms(m *manifest.Manifest, ids lbIDs) []serviceAlarm {
	a := m.Alarms
	out := []serviceAlarm{{ResErrorAlarm, errorAlarm(m, ids), a.Errors > 0}}
	if m.LatencyAlarm() > 0 {
		out = append(out, serviceAlarm{ResLatencyAlarm, latencyAlarm(m, ids), a.LatencyP99 > 0})
	}
	if a.UnhealthyTargets {
		out = append(out, serviceAlarm{ResUnhealthyAlarm, unhealthyAlarm(m, ids), true})
	}
	if a.RunningTasks {
		out = append(out, serviceAlarm{ResTasksAlarm, tasksAlarm(m), true})
	}
	if a.CPU > 0 {
		out = append(out, serviceAlarm{ResCPUAlarm, usageAlarm(m, "cpu", "CPU", "CPUUtilization", a.CPU), true})
	}
	if a.Memory > 0 {
		out = append(out, serviceAlarm{ResMemoryAlarm, usageAlarm(m, "memory", "memory", "MemoryUtilization", a.Memory), true})
	}
	return out
}

// addAlarms puts the service's alarms in its template, and with alarms.notify the
// topic they publish to and its subscriptions. An alarm that notifies tells its
// topics when it goes into ALARM and when it is OK again.
func addAlarms(t *cfn.Template, m *manifest.Manifest, ids lbIDs) {
	actions := alarmActions(m)
	for _, a := range serviceAlarms(m, ids) {
		if a.notifies && len(actions) > 0 {
			a.alarm.Properties["AlarmActions"] = actions
			a.alarm.Properties["OKActions"] = actions
		}
		t.Resources.Set(a.id, a.alarm)
	}
	if n := m.Alarms.Notify; n.Endpoints() {
		t.Resources.Set(ResAlarmTopic, alarmTopic(m))
		for _, e := range n.Emails {
			t.Resources.Set(subscriptionID("email", e), subscription("email", e))
		}
		for _, u := range n.HTTPS {
			t.Resources.Set(subscriptionID("https", u), subscription("https", u))
		}
		t.Outputs.Set(OutAlarmTopic, output("The SNS topic the service's alarms publish to", cfn.Ref(ResAlarmTopic)))
	}
}

// alarmActions are the topics the alarms publish to: the service's own (with email or
// HTTPS endpoints), then the existing ones, as they are. CloudWatch publishes to
// topics of the alarm's region only; berth deploy checks that before anything changes.
func alarmActions(m *manifest.Manifest) []any {
	var out []any
	if m.Alarms.Notify.Endpoints() {
		out = append(out, cfn.Ref(ResAlarmTopic))
	}
	for _, arn := range m.Alarms.Notify.Topics {
		out = append(out, cfn.Text(arn))
	}
	return out
}

// alarmTopic is the service's topic of alarms. It is not encrypted: CloudWatch cannot
// publish to a topic encrypted with the AWS managed key alias/aws/sns, whose policy
// does not let it use the key ("How do I configure a CloudWatch alarm to use an
// encrypted Amazon SNS topic?", AWS re:Post Knowledge Center; ASFHyP3/hyp3#762), and a
// customer managed key would cost $1 a month a service for messages that hold an
// alarm's name, reason and numbers, which email then carries in the clear anyway. Its
// default access policy lets this account alone publish, CloudWatch's alarms of the
// account included ("Why didn't I receive an SNS notification for my CloudWatch alarm
// trigger?").
func alarmTopic(m *manifest.Manifest) cfn.Resource {
	return cfn.Resource{Type: "AWS::SNS::Topic", Properties: map[string]any{
		"TopicName":   AlarmName(m, "alarms"),
		"DisplayName": cfn.Sub("berth ${Env} " + m.Name),
	}}
}

// subscription subscribes an email address or HTTPS endpoint to the service's topic.
// SNS sends each a confirmation first (a mail with a link; a SubscriptionConfirmation
// POST with a SubscribeURL), and delivers nothing before it is confirmed; a
// subscription left unconfirmed is skipped when its stack is deleted and expires by
// itself (go-to-k/cdkd#1301, on CloudFormation's behaviour).
func subscription(protocol, endpoint string) cfn.Resource {
	return cfn.Resource{Type: "AWS::SNS::Subscription", Properties: map[string]any{
		"TopicArn": cfn.Ref(ResAlarmTopic),
		"Protocol": protocol,
		"Endpoint": cfn.Text(endpoint),
	}}
}

// subscriptionID is a subscription's logical id, from its endpoint rather than its
// place in the list, so that reordering alarms.notify replaces nothing (a replaced
// email subscription would have to be confirmed again).
func subscriptionID(protocol, endpoint string) string {
	h := fnv.New32a()
	h.Write([]byte(protocol + ":" + strings.ToLower(endpoint)))
	return fmt.Sprintf("Alarm%s%08X", map[string]string{"email": "Email", "https": "HTTPS"}[protocol], h.Sum32())
}

// AlarmName is the name berth gives a service's alarm: berth-<env>-<service>-<what>.
// berth names them so that a person and "berth deploy" find them by name; an alarm's
// other properties change in place.
func AlarmName(m *manifest.Manifest, what string) cfn.Sub {
	return cfn.Sub(fmt.Sprintf("berth-${Env}-%s-%s", m.Name, what))
}

func alarm(m *manifest.Manifest, what, desc string, metrics []any, threshold float64) cfn.Resource {
	for _, q := range metrics {
		if ms, ok := q.(map[string]any)["MetricStat"].(map[string]any); ok {
			ms["Period"] = alarmPeriod // the alarm's; a scaling policy's query takes none
		}
	}
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
	return metricStat(id, "AWS/ApplicationELB", name, stat, dims)
}

// ecsMetric is one metric of the service in namespace, by ClusterName and ServiceName
// (the ECS service is named after the manifest).
func ecsMetric(id, namespace, name string, m *manifest.Manifest) map[string]any {
	return metricStat(id, namespace, name, "Average", []any{
		map[string]any{"Name": "ClusterName", "Value": cfn.Ref(OutClusterName)},
		map[string]any{"Name": "ServiceName", "Value": m.Name},
	})
}

// metricStat is one metric query, as an alarm (which adds its period) and a target
// tracking policy (TargetTrackingMetricStat: Metric, Stat, no Period) take it.
func metricStat(id, namespace, name, stat string, dims []any) map[string]any {
	return map[string]any{
		"Id": id,
		"MetricStat": map[string]any{
			"Metric": map[string]any{"Namespace": namespace, "MetricName": name, "Dimensions": dims},
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
	for _, a := range serviceAlarms(m, idsOf(m, false)) {
		for _, q := range a.alarm.Properties["Metrics"].([]any) {
			if _, ok := q.(map[string]any)["MetricStat"]; ok {
				n++
			}
		}
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
