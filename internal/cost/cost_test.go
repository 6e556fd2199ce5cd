package cost

import (
	"math"
	"strings"
	"testing"

	"github.com/berthdev/berth/internal/manifest"
	"github.com/berthdev/berth/internal/style"
)

func parse(t *testing.T, text string) *manifest.Manifest {
	t.Helper()
	m, err := manifest.Parse([]byte(text), "berth.yml")
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func near(a, b float64) bool { return math.Abs(a-b) < 0.005 }

// The default manifest in us-east-1, by hand: 2 NAT gateways 2 × 0.045 × 730 = 65.70;
// the load balancer and one LCU (0.0225 + 0.008) × 730 = 22.265; 2 tasks spread over 2
// zones need 2 c5.xlarge, 2 × 0.17 × 730 = 248.20; 2 × 50 GiB gp3 × 0.08 = 8.00;
// 4 public addresses (2 NAT, 2 load balancer nodes) 4 × 0.005 × 730 = 14.60; the error
// alarm's 4 metrics (two target groups' 5xx and requests; on the environment's load
// balancer, its own 5xx are every service's and not counted) 4 × 0.10 = 0.40.
func TestDefaultManifestByHand(t *testing.T) {
	e, err := Of(parse(t, "name: web\n"), "us-east-1")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]float64{"NAT gateways": 65.70, "Application Load Balancer": 22.265, "c5.xlarge instances": 248.20,
		"gp3 root volumes": 8.00, "public IPv4 addresses": 14.60, "CloudWatch Logs": 0,
		"CloudWatch alarms": 0.40}
	for _, l := range e.Lines {
		if w, ok := want[l.Item]; !ok || !near(l.Monthly, w) {
			t.Errorf("%s: $%.3f, want $%.3f", l.Item, l.Monthly, w)
		}
		delete(want, l.Item)
	}
	if len(want) > 0 {
		t.Errorf("lines missing: %v", want)
	}
	if !near(e.Total, 359.17) || !e.Complete || e.NATPerGB != 0.045 {
		t.Errorf("total $%.2f complete %v NAT per GB %v, want $359.17", e.Total, e.Complete, e.NATPerGB)
	}
}

// What the environment pays once, by hand, for the default manifest: its 2 NAT
// gateways with their addresses, 2 × (0.045 + 0.005) × 730 = 73.00, and the shared load
// balancer with its 2 addresses, 22.265 + 2 × 0.005 × 730 = 29.565; the service's own
// part is the rest, 359.17 − 102.57 = 256.60. On a load balancer of its own, that is the
// service's: the environment pays the NAT gateways alone.
func TestEnvironmentPartByHand(t *testing.T) {
	e, err := Of(parse(t, "name: web\n"), "us-east-1")
	if err != nil {
		t.Fatal(err)
	}
	if !near(e.Environment, 102.57) || !near(e.Service(), 256.60) {
		t.Errorf("environment $%.2f, service $%.2f: want $102.57 and $256.60", e.Environment, e.Service())
	}
	e, err = Of(parse(t, "name: web\nload_balancer:\n  dedicated: true\n"), "us-east-1")
	if err != nil {
		t.Fatal(err)
	}
	if !near(e.Environment, 73.00) || !near(e.Service(), e.Total-73.00) {
		t.Errorf("dedicated: environment $%.2f, service $%.2f of $%.2f: want $73.00 and the rest", e.Environment, e.Service(), e.Total)
	}
}

// Fargate Graviton in eu-west-1, by hand: 2 tasks of 0.5 vCPU and 2 GB at
// 0.03238 and 0.00356 an hour: 2 × (0.5 × 0.03238 + 2 × 0.00356) × 730 = 34.0308.
func TestFargateVariantByHand(t *testing.T) {
	e, err := Of(parse(t, "name: api\ncpu: 512\nmemory: 2048\ncapacity:\n  type: fargate\n  arch: arm64\n"), "eu-west-1")
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range e.Lines {
		if l.Item == "Fargate tasks (ARM)" && !near(l.Monthly, 34.0308) {
			t.Errorf("tasks: $%.4f, want $34.0308", l.Monthly)
		}
		if l.Item == "NAT gateways" && !near(l.Monthly, 2*0.048*730) {
			t.Errorf("NAT: $%.2f", l.Monthly)
		}
	}
}

// Public placement saves exactly the NAT gateways (the public addresses only move from
// the gateways to the instances or tasks), plus their per-GB processing.
func TestPublicPlacementSavesTheNATGateways(t *testing.T) {
	for _, typ := range []string{"ec2", "fargate"} {
		private, _ := Of(parse(t, "name: web\ncapacity:\n  type: "+typ+"\n"), "us-east-1")
		public, _ := Of(parse(t, "name: web\ncapacity:\n  type: "+typ+"\nnetwork:\n  placement: public\n"), "us-east-1")
		if !near(private.Total-public.Total, 65.70) || public.NATPerGB != 0 {
			t.Errorf("%s: private $%.2f, public $%.2f: want a difference of the 2 NAT gateways, $65.70", typ, private.Total, public.Total)
		}
		alts := Alternatives(parse(t, "name: web\ncapacity:\n  type: "+typ+"\n"), "us-east-1", private)
		if len(alts) != 6 || alts[0].Variant != private.Variant || alts[0].Difference != 0 {
			t.Errorf("alternatives %+v", alts)
		}
	}
}

func TestUnknownRegionAndInstanceTypeSaySo(t *testing.T) {
	if _, err := Of(parse(t, "name: web\n"), "ap-south-2"); err == nil {
		t.Error("a region without prices was estimated")
	}
	e, err := Of(parse(t, "name: web\ncapacity:\n  instance_type: x2iedn.xlarge\n"), "us-east-1")
	if err != nil || e.Complete {
		t.Fatalf("unknown instance type: complete %v, %v", e.Complete, err)
	}
	for _, l := range e.Lines {
		if l.Item == "x2iedn.xlarge instances" && (!l.Unknown || l.Monthly != 0) {
			t.Errorf("guessed a price: %+v", l)
		}
	}
}

func TestFargateSize(t *testing.T) {
	for in, want := range map[[2]int][2]int{{256, 512}: {256, 512}, {300, 512}: {512, 1024}, {1024, 1000}: {1024, 2048}, {256, 3000}: {512, 3072}} {
		if c, m := FargateSize(in[0], in[1]); [2]int{c, m} != want {
			t.Errorf("%v: %d/%d, want %v", in, c, m, want)
		}
	}
}

// The edge options by hand: a hosted zone $0.50; a web ACL $5 with the rate limit and
// three managed rule groups at $1 each, $9; access and flow logs cost by use only.
func TestEdgeOptionsByHand(t *testing.T) {
	plain, err := Of(parse(t, "name: web\n"), "us-east-1")
	if err != nil {
		t.Fatal(err)
	}
	edge, err := Of(parse(t, "name: web\ndomain: api.example.com\nload_balancer:\n  waf: true\n  access_logs: true\nnetwork:\n  flow_logs: all\n"), "us-east-1")
	if err != nil {
		t.Fatal(err)
	}
	if d := math.Round((edge.Total-plain.Total)*100) / 100; d != 9.50 {
		t.Errorf("the edge adds $%.2f a month, want $9.50", d)
	}
	byUse := 0
	for _, l := range edge.Lines {
		if l.Monthly == 0 && l.PerUse != "" {
			byUse++
		}
	}
	if byUse != 3 { // container logs, access logs, flow logs
		t.Errorf("%d lines by use, want 3: %+v", byUse, edge.Lines)
	}
}

// Two keys of one JSON secret and a second secret are two secrets, $0.80; SSM
// parameters add nothing.
func TestSecretsByHand(t *testing.T) {
	plain, _ := Of(parse(t, "name: web\n"), "us-east-1")
	e, err := Of(parse(t, "name: web\nsecrets:\n  DB_USER: secretsmanager:orders/db#username\n  DB_PASSWORD: secretsmanager:orders/db#password\n  API_KEY: secretsmanager:orders/api\n  TOKEN: ssm:/orders/token\n"), "us-east-1")
	if err != nil {
		t.Fatal(err)
	}
	if d := math.Round((e.Total-plain.Total)*100) / 100; d != 0.80 {
		t.Errorf("secrets add $%.2f a month, want $0.80", d)
	}
}

// A latency rule adds an alarm on each target group's p99: 2 more alarm metrics. A
// load balancer of the service's own adds its own 5xx to the error alarm.
func TestLatencyAlarmCosts(t *testing.T) {
	for src, want := range map[string]float64{"name: web\n": 0.40, "deployment:\n  rollback_on: {latency_p99: 2s}\n": 0.60, "load_balancer: {dedicated: true}\n": 0.50} {
		e, err := Of(parse(t, src), "us-east-1")
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range e.Lines {
			if l.Item == "CloudWatch alarms" && !near(l.Monthly, want) {
				t.Errorf("%q: alarms $%.2f, want $%.2f", src, l.Monthly, want)
			}
		}
	}
}

// In an existing VPC the network's costs are its owner's: the default manifest there
// costs the same less its 2 NAT gateways (65.70) and their 2 addresses (2 × 0.005 × 730
// = 7.30): 359.17 - 73.00 = 286.17 (359.17: with the rollout alarms); a line says whose
// the rest is.
func TestAnExistingVPCCountsNoNATGateway(t *testing.T) {
	const existing = "name: web\nnetwork:\n  vpc: vpc-0abc1234\n  public_subnets: [subnet-0aaa1111, subnet-0bbb2222]\n  private_subnets: [subnet-0ccc3333, subnet-0ddd4444]\n"
	e, err := Of(parse(t, existing), "us-east-1")
	if err != nil {
		t.Fatal(err)
	}
	if !near(e.Total, 286.17) || e.NATPerGB != 0 || e.Variant != "ec2, private, existing VPC" {
		t.Errorf("total $%.2f, NAT per GB %v, variant %q: want $286.17, none, ec2, private, existing VPC", e.Total, e.NATPerGB, e.Variant)
	}
	var b strings.Builder
	WriteText(&b, "web", e, Alternatives(parse(t, existing), "us-east-1", e), style.Style{})
	for _, want := range []string{"the existing network vpc-0abc1234  not berth's  its NAT gateways, VPC endpoints, flow logs and data processing are its owner's costs, not berth's",
		"public IPv4 addresses", "(2 load balancer)", "fargate-spot, public, existing VPC"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("estimate lacks %q:\n%s", want, b.String())
		}
	}
	if strings.Contains(b.String(), "NAT gateways  ") || strings.Contains(b.String(), "per GB of NAT") {
		t.Errorf("an existing VPC's estimate counts NAT gateways:\n%s", b.String())
	}
}

// Issue 26, by hand: the alarms key with its defaults adds to the error alarm's 4
// metrics (each target group's 5xx and requests; on the environment's load balancer
// not its own 5xx, which are every service's) the latency alarm's 2 (each target
// group's p99), the unhealthy targets' 2 (each group's count), the running tasks' 2
// (desired and running), CPU's 1 and memory's 1: 12 × 0.10 = 1.20 a month. The topic's deliveries are by use, past the
// free tier; an existing topic is its owner's.
func TestAlarmsCostByHand(t *testing.T) {
	for _, tc := range []struct {
		src     string
		alarms  float64
		sns     string // the per-use text of the SNS line; "" for none
		surplus float64
	}{
		{"alarms: {}\n", 1.20, "", 0.80},
		{"alarms:\n  notify: [ops@example.com, https://hooks.example.com/berth]\n", 1.20,
			"email: 1,000 a month free, then $2.00 per 100,000; HTTPS: 100,000 a month free, then $0.60 per million", 0.80},
		{"alarms:\n  notify: [ops@example.com]\n  cpu: off\n  memory: off\n  running_tasks: off\n", 0.80, "email: 1,000 a month free, then $2.00 per 100,000", 0.40},
		{"alarms:\n  notify: arn:aws:sns:us-east-1:123456789012:oncall\n  latency_p99: off\n", 1.00, "", 0.60},
	} {
		plain, _ := Of(parse(t, "name: web\n"), "us-east-1")
		e, err := Of(parse(t, tc.src), "us-east-1")
		if err != nil {
			t.Fatal(err)
		}
		sns := ""
		for _, l := range e.Lines {
			switch l.Item {
			case "CloudWatch alarms":
				if !near(l.Monthly, tc.alarms) {
					t.Errorf("%q: alarms $%.2f (%s), want $%.2f", tc.src, l.Monthly, l.Quantity, tc.alarms)
				}
			case "SNS alarm notifications":
				sns = l.PerUse
				if l.Monthly != 0 {
					t.Errorf("%q: notifications $%.2f a month, want by use", tc.src, l.Monthly)
				}
			}
		}
		if sns != tc.sns || !near(e.Total-plain.Total, tc.surplus) {
			t.Errorf("%q: SNS %q, %+.2f a month; want %q, %+.2f", tc.src, sns, e.Total-plain.Total, tc.sns, tc.surplus)
		}
	}
}

// The lines docs/alarms.md shows, for the manifest of the alarms test case.
func TestAlarmsLinesAsDocumented(t *testing.T) {
	e, err := Of(parse(t, "name: orders\nalarms:\n  notify: [ops@example.com, https://hooks.example.com/berth]\n"), "us-east-1")
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	WriteText(&b, "orders", e, nil, style.Style{})
	for _, want := range []string{
		"\n  CloudWatch alarms          $1.20    12 alarm metrics × $0.10\n",
		"\n  SNS alarm notifications    by use   1 topic, 2 subscription(s)\n" +
			"                                      + email: 1,000 a month free, then $2.00 per 100,000; HTTPS: 100,000 a month free, then $0.60 per million\n",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("no %q in\n%s", want, b.String())
		}
	}
}

// CloudFront in front, by hand: no monthly fee (its use is priced per request and GB
// beyond the free tier, said on its line), and the internal load balancer has no
// public address: 2 × 0.005 × 730 = $7.30 less than the default. No public-placement
// variant is offered (a VPC origin reaches private subnets only).
func TestCloudFrontByHand(t *testing.T) {
	plain, _ := Of(parse(t, "name: web\nload_balancer: {dedicated: true}\n"), "us-east-1") // CloudFront's is the service's own
	cf, err := Of(parse(t, "name: web\nedge: cloudfront\n"), "us-east-1")
	if err != nil {
		t.Fatal(err)
	}
	if d := math.Round((plain.Total-cf.Total)*100) / 100; d != 7.30 {
		t.Errorf("CloudFront in front saves $%.2f a month before traffic, want $7.30 (the load balancer's two addresses)", d)
	}
	var line *Line
	for i, l := range cf.Lines {
		if l.Item == "CloudFront distribution" {
			line = &cf.Lines[i]
		}
		if l.Item == "public IPv4 addresses" && strings.Contains(l.Quantity, "load balancer") {
			t.Errorf("an internal load balancer counted with public addresses: %s", l.Quantity)
		}
	}
	if line == nil || line.Monthly != 0 || !strings.Contains(line.Quantity, "1 TB out and 10,000,000 requests") ||
		!strings.Contains(line.PerUse, "$0.0100 per 10,000 HTTPS requests and $0.085 per GB out") {
		t.Errorf("CloudFront line: %+v", line)
	}
	if cf.Variant != "ec2, private, NAT per-az, CloudFront" {
		t.Errorf("variant %q", cf.Variant)
	}
	for _, a := range Alternatives(parse(t, "name: web\nedge: cloudfront\n"), "us-east-1", cf) {
		if strings.Contains(a.Variant, "public") {
			t.Errorf("a public variant with CloudFront in front: %+v", a)
		}
	}
}

// The environment's load balancer is counted once, as for a service alone in it; the
// estimate says what one per service would add, and a dedicated one says the reverse.
// By hand: (0.0225 + 0.008) × 730 = 22.265 for its hours and one LCU, plus its 2
// addresses 2 × 0.005 × 730 = 7.30: $29.57 a month.
func TestTheSharedLoadBalancerIsPaidOnce(t *testing.T) {
	shared, _ := Of(parse(t, "name: web\nload_balancer: {path: /web}\n"), "us-east-1")
	own, _ := Of(parse(t, "name: web\nload_balancer: {dedicated: true}\n"), "us-east-1")
	if !shared.Shared || own.Shared || !near(shared.LoadBalancer, 29.565) || !near(own.LoadBalancer, 29.565) {
		t.Errorf("shared %v $%.3f, own %v $%.3f", shared.Shared, shared.LoadBalancer, own.Shared, own.LoadBalancer)
	}
	for _, c := range []struct {
		e        *Estimate
		services int
		want     string
	}{
		{shared, 0, "The load balancer ($29.57 a month with its addresses) is the environment's: every further service on it adds none of it, where one per service (load_balancer.dedicated: true) would add $29.57 each."},
		{shared, 5, "The load balancer ($29.57 a month with its addresses) is shared by the environment's 5 services: one per service would cost $147.83, $118.26 more."},
		{own, 0, "is the service's own (load_balancer.dedicated: true): on the environment's, which its services share, it is paid once for all of them."},
	} {
		if got := SharingText(c.e, c.services); !strings.Contains(got, c.want) {
			t.Errorf("%d services: %q, want %q", c.services, got, c.want)
		}
	}
	var b strings.Builder
	WriteText(&b, "web", shared, Alternatives(parse(t, "name: web\n"), "us-east-1", shared), style.Style{})
	if !strings.Contains(b.String(), "once for all its services") || !strings.Contains(b.String(), "every further service on it adds none of it") {
		t.Errorf("the estimate does not say the load balancer is shared:\n%s", b.String())
	}
}

// CloudFront in front of the environment's load balancer: the load balancer, internal,
// has no public address (its $7.30 of them gone from the environment's part), and the
// distribution is the environment's, said once for all its services. By hand: the
// load balancer's hours and one LCU, (0.0225 + 0.008) × 730 = $22.265.
func TestCloudFrontOnTheSharedLoadBalancer(t *testing.T) {
	plain, _ := Of(parse(t, "name: web\nload_balancer: {path: /web}\n"), "us-east-1")
	cf, err := Of(parse(t, "name: web\nedge: cloudfront\nload_balancer: {path: /web}\n"), "us-east-1")
	if err != nil {
		t.Fatal(err)
	}
	if !cf.Shared || !cf.Internal || !near(cf.LoadBalancer, 22.265) || !near(plain.Environment-cf.Environment, 7.30) || !near(plain.Total-cf.Total, 7.30) || !near(plain.Service(), cf.Service()) {
		t.Errorf("shared behind CloudFront: %+v; without: %+v", cf, plain)
	}
	var line Line
	for _, l := range cf.Lines {
		if l.Item == "CloudFront distribution" {
			line = l
		}
	}
	if !strings.Contains(line.Quantity, "the environment's: once for all the services on its load balancer") || line.Monthly != 0 {
		t.Errorf("CloudFront line: %+v", line)
	}
	if got := SharingText(cf, 2); !strings.Contains(got, "internal, behind CloudFront, it has no public address") {
		t.Errorf("sharing: %q", got)
	}
}
