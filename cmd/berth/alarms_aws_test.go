package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
)

// Issue 26: a deploy with alarms makes the service's topic, its subscriptions (an
// address and an HTTPS endpoint) and the alarms, each telling that topic and an
// existing one when it goes into ALARM and back to OK; the error alarm is also the
// deployment alarm, and alarms.latency_p99 alone rolls nothing back. Dropping an
// endpoint removes its subscription; delete removes the topic and the alarms and
// leaves the existing topic alone.
//
// The emulator confirms subscriptions at once (AWS keeps them PendingConfirmation
// until the mail's link is followed or the endpoint answers SNS's confirmation: the
// plan's note says so, TestAlarmNotes covers it) and its alarms never leave
// INSUFFICIENT_DATA: no alarm fires and nothing is delivered here.
func TestAlarmsMakeTopicSubscriptionsAndAlarms_EmulatorConfirmsAtOnceAndFiresNothing(t *testing.T) {
	t.Parallel()
	env := awsEnv(t)
	c := clients(t, env)
	ctx := context.Background()
	// a team's own topic, made beforehand
	var created struct {
		Arn string `xml:"CreateTopicResult>TopicArn"`
	}
	awsQuery(t, env, "sns", url.Values{"Action": {"CreateTopic"}, "Name": {"oncall-e2e"}, "Version": {"2010-03-31"}}, &created)
	oncall := created.Arn
	dir := project(t, "max: 20\n", "max: 20\nalarms:\n  notify: [ops@example.com, https://hooks.example.com/berth, "+oncall+"]\n  cpu: 90%\n  memory: off\n")
	manifest := filepath.Join(dir, "berth.yml")

	r := berthWith(t, dir, env, "deploy", "--env", "e2e-al", "--yes")
	mustSucceed(t, r, "deploy with alarms")
	for _, want := range []string{
		"alarms: email subscriptions must be confirmed from the mail AWS sends to ops@example.com (once each; no alarm reaches an address before)",
		"alarms: SNS first posts a SubscriptionConfirmation to https://hooks.example.com/berth",
	} {
		if strings.Count(r.stdout, want) != 1 {
			t.Errorf("the plan does not say %q once:\n%s", want, r.stdout)
		}
	}

	// the topic, as the stack made it, and its subscriptions
	topic := stackOutput(t, c, "berth-e2e-al-svc-orders", "AlarmTopicArn")
	if !strings.HasSuffix(topic, ":berth-e2e-al-orders-alarms") {
		t.Fatalf("topic %q", topic)
	}
	if got := subscriptions(t, env, topic); !slices.Equal(got, []string{"email ops@example.com", "https https://hooks.example.com/berth"}) {
		t.Errorf("subscriptions of %s: %v", topic, got)
	}

	// the alarms, each telling both topics
	want := []string{"berth-e2e-al-orders-cpu", "berth-e2e-al-orders-errors", "berth-e2e-al-orders-latency", "berth-e2e-al-orders-running-tasks", "berth-e2e-al-orders-unhealthy-targets"}
	alarms := describeAlarms(t, env, "berth-e2e-al-orders-")
	var names []string
	for _, a := range alarms {
		names = append(names, a.Name)
		if !slices.Equal(a.AlarmActions, []string{topic, oncall}) || !slices.Equal(a.OKActions, []string{topic, oncall}) {
			t.Errorf("%s: AlarmActions %v OKActions %v, want [%s %s]", a.Name, a.AlarmActions, a.OKActions, topic, oncall)
		}
	}
	if !slices.Equal(names, want) {
		t.Errorf("alarms %v, want %v", names, want)
	}
	// one error alarm, which rolls deployments back; the latency alarm only notifies
	if dc := describe(t, c, "berth-e2e-al").DeploymentConfiguration; dc.Alarms == nil || !slices.Equal(dc.Alarms.AlarmNames, []string{"berth-e2e-al-orders-errors"}) {
		t.Errorf("deployment alarms: %+v", dc.Alarms)
	}

	// an endpoint dropped: its subscription goes, the address's stays
	writeFile(t, manifest, strings.Replace(mustRead(t, manifest), "https://hooks.example.com/berth, ", "", 1))
	mustSucceed(t, berthWith(t, dir, env, "deploy", "--env", "e2e-al", "--yes"), "deploy without the endpoint")
	if got := subscriptions(t, env, topic); !slices.Equal(got, []string{"email ops@example.com"}) {
		t.Errorf("subscriptions after the endpoint went: %v", got)
	}

	mustSucceed(t, berthWith(t, dir, env, "delete", "--env", "e2e-al", "--yes"), "delete")
	if _, err := c.CF.DescribeStacks(ctx, &cloudformation.DescribeStacksInput{StackName: aws.String("berth-e2e-al-svc-orders")}); err == nil {
		t.Error("the service stack is still there after delete")
	}
	if a := describeAlarms(t, env, "berth-e2e-al-orders-"); len(a) > 0 {
		t.Errorf("alarms left after delete: %v", a)
	}
	var topics struct {
		Arns []string `xml:"ListTopicsResult>Topics>member>TopicArn"`
	}
	awsQuery(t, env, "sns", url.Values{"Action": {"ListTopics"}, "Version": {"2010-03-31"}}, &topics)
	if slices.Contains(topics.Arns, topic) || !slices.Contains(topics.Arns, oncall) {
		t.Errorf("topics after delete: %v (the service's %s must be gone, %s kept)", topics.Arns, topic, oncall)
	}
}

// A topic of another region is refused before anything changes, with the line.
func TestAlarmsTopicOfAnotherRegionIsRefused(t *testing.T) {
	t.Parallel()
	env := awsEnv(t)
	dir := project(t, "max: 20\n", "max: 20\nalarms:\n  notify: arn:aws:sns:eu-west-1:123456789012:oncall\n")
	r := berthWith(t, dir, env, "deploy", "--env", "e2e-alr", "--yes")
	if r.code != 2 || !strings.Contains(r.stderr, "berth.yml:15: alarms.notify: the topic arn:aws:sns:eu-west-1:123456789012:oncall is in eu-west-1 and the service deploys to us-east-1") ||
		!strings.Contains(r.stderr, "hint: create a topic in us-east-1") {
		t.Errorf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	c := clients(t, env)
	if _, err := c.CF.DescribeStacks(context.Background(), &cloudformation.DescribeStacksInput{StackName: aws.String("berth-e2e-alr-network")}); err == nil {
		t.Error("a stack was made before the refusal")
	}
}

type metricAlarm struct {
	Name         string   `xml:"AlarmName"`
	AlarmActions []string `xml:"AlarmActions>member"`
	OKActions    []string `xml:"OKActions>member"`
}

func describeAlarms(t *testing.T, env []string, prefix string) []metricAlarm {
	t.Helper()
	var out struct {
		Alarms []metricAlarm `xml:"DescribeAlarmsResult>MetricAlarms>member"`
	}
	awsQuery(t, env, "monitoring", url.Values{"Action": {"DescribeAlarms"}, "Version": {"2010-08-01"}, "AlarmNamePrefix": {prefix}}, &out)
	slices.SortFunc(out.Alarms, func(a, b metricAlarm) int { return strings.Compare(a.Name, b.Name) })
	return out.Alarms
}

// subscriptions are a topic's, as "protocol endpoint", sorted.
func subscriptions(t *testing.T, env []string, topic string) []string {
	t.Helper()
	var out struct {
		Subs []struct {
			Protocol string `xml:"Protocol"`
			Endpoint string `xml:"Endpoint"`
		} `xml:"ListSubscriptionsByTopicResult>Subscriptions>member"`
	}
	awsQuery(t, env, "sns", url.Values{"Action": {"ListSubscriptionsByTopic"}, "Version": {"2010-03-31"}, "TopicArn": {topic}}, &out)
	var got []string
	for _, s := range out.Subs {
		got = append(got, s.Protocol+" "+s.Endpoint)
	}
	slices.Sort(got)
	return got
}

// awsQuery calls an AWS query-protocol API of the emulator, signed as the SDK signs:
// SNS, and CloudWatch, whose SDK client speaks a protocol (CBOR) the emulator does not.
func awsQuery(t *testing.T, env []string, service string, form url.Values, out any) {
	t.Helper()
	endpoint := ""
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "AWS_ENDPOINT_URL="); ok {
			endpoint = v
		}
	}
	body := form.Encode()
	req, err := http.NewRequest(http.MethodPost, endpoint+"/", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	sum := sha256.Sum256([]byte(body))
	creds := aws.Credentials{AccessKeyID: "testing", SecretAccessKey: "testing"}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hex.EncodeToString(sum[:]), service, "us-east-1", time.Now()); err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%s %s: %s\n%s", service, form.Get("Action"), resp.Status, data)
	}
	if err := xml.Unmarshal(data, out); err != nil {
		t.Fatalf("%s %s: %v\n%s", service, form.Get("Action"), err, data)
	}
}
