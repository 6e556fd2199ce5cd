// Package cost estimates what a manifest costs a month on AWS, line by line, from a
// price table compiled into berth (prices.go), and sets the reference's variants side by
// side so that the trade-off between them shows before anything is deployed.
//
// It makes no AWS call and must not import the AWS path.
package cost

import (
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/berthdev/berth/internal/instances"
	"github.com/berthdev/berth/internal/manifest"
	"github.com/berthdev/berth/internal/synth"
)

// Line is one item of an estimate.
type Line struct {
	Item     string  `json:"item"`
	Quantity string  `json:"quantity"`
	Monthly  float64 `json:"monthly"`           // US dollars a month; 0 for a per-use line
	PerUse   string  `json:"per_use,omitempty"` // what it costs by use, beyond the monthly part
	Unknown  bool    `json:"unknown,omitempty"` // no price in the table: not in the total
	// NotBerths is a cost of what berth uses but does not own (an existing network's):
	// said, not estimated.
	NotBerths bool `json:"not_berths,omitempty"`
}

// Estimate is a manifest's monthly cost in one region.
type Estimate struct {
	Region   string  `json:"region"`
	Variant  string  `json:"variant"` // e.g. "ec2, private, NAT per AZ"
	Lines    []Line  `json:"lines"`
	Total    float64 `json:"total"`
	Complete bool    `json:"complete"` // every line had a price
	// NATPerGB is what each GB the tasks send out costs on top, through NAT gateways.
	NATPerGB float64 `json:"nat_per_gb"`
	// PricesChecked says the region's figures were checked against a published source.
	PricesChecked bool `json:"prices_checked"`
	// LoadBalancer is what the load balancer costs a month (its hours, one LCU and its
	// public addresses), and Shared whether it is the environment's, which every further
	// service on it shares, rather than the service's own.
	LoadBalancer float64 `json:"load_balancer"`
	Shared       bool    `json:"load_balancer_shared"`
	// Internal: the load balancer has no public address (CloudFront in front).
	Internal bool `json:"load_balancer_internal,omitempty"`
	// Environment is the part of Total the environment pays once for all its services:
	// its NAT gateways with their addresses, and the shared load balancer with its
	// addresses. The rest (Service) is the service's own.
	Environment float64 `json:"environment"`
}

// Service is the part of the estimate that is the service's own: its tasks or
// instances, volumes, its own load balancer, alarms, edge, secrets.
func (e *Estimate) Service() float64 {
	return math.Round((e.Total-e.Environment)*100) / 100
}

// UnknownRegionError says the table has no prices for a region.
type UnknownRegionError struct{ Region string }

func (e *UnknownRegionError) Error() string {
	return fmt.Sprintf("berth has no prices for region %q", e.Region)
}

// Hint names the regions it has.
func (e *UnknownRegionError) Hint() string {
	return "the price table covers " + strings.Join(Regions(), ", ") + " (compiled " + PricesDate + "); for another region use the AWS Pricing Calculator"
}

// Regions lists the regions of the table.
func Regions() []string {
	out := make([]string, 0, len(Table))
	for r := range Table {
		out = append(out, r)
	}
	sort.Strings(out)
	return out
}

// Of estimates m in region: the environment's share (NAT gateways, addresses,
// instances) as if the service were alone in it, and the service's. In an existing VPC
// (network.vpc) the network's own costs are its owner's: no NAT gateway is counted.
func Of(m *manifest.Manifest, region string) (*Estimate, error) {
	p, ok := Table[region]
	if !ok {
		return nil, &UnknownRegionError{region}
	}
	e := &Estimate{Region: region, Variant: Variant(m), Complete: true, PricesChecked: p.Checked}
	month := func(hourly float64) float64 { return hourly * HoursPerMonth }
	add := func(l Line) {
		e.Lines = append(e.Lines, l)
		if l.Unknown {
			e.Complete = false
		}
		e.Total += l.Monthly
	}
	azs, tasks := m.Network.Zones(), m.Count.Min // a scaling service at its minimum

	nats := 0
	if m.Network.Imported() {
		add(Line{Item: "the existing network " + m.Network.VPC, Quantity: "its NAT gateways, VPC endpoints, flow logs and data processing are its owner's costs, not berth's", NotBerths: true})
	} else if !m.Network.Public() {
		nats = azs
		if m.Network.NAT == "single" {
			nats = 1
		}
		add(Line{Item: "NAT gateways", Quantity: fmt.Sprintf("%d × $%.3f/hour", nats, p.NATHour), Monthly: float64(nats) * month(p.NATHour),
			PerUse: fmt.Sprintf("$%.3f per GB the tasks send or receive through them", p.NATGB)})
		e.NATPerGB = p.NATGB
		e.Environment += float64(nats) * month(p.NATHour+p.IPv4Hour) // with their addresses
	}
	lb := Line{Item: "Application Load Balancer", Quantity: fmt.Sprintf("$%.4f/hour + 1 LCU at $%.4f/hour", p.ALBHour, p.LCUHour),
		Monthly: month(p.ALBHour + p.LCUHour), PerUse: "LCUs grow with new connections, active connections, bytes and rule evaluations"}
	if m.Shared() {
		// one per environment, whatever the number of services on it (ingress stack)
		lb.Quantity += ", the environment's: once for all its services"
		lb.PerUse = "LCUs grow with every service's connections, bytes and rule evaluations"
	}
	add(lb)
	// public IPv4: one per load balancer node (one per zone) unless the load balancer is
	// internal (CloudFront in front)
	lbIPs := azs
	if m.CloudFront() {
		lbIPs = 0
	}
	e.Shared, e.Internal, e.LoadBalancer = m.Shared(), m.CloudFront(), lb.Monthly+float64(lbIPs)*month(p.IPv4Hour)
	if e.Shared {
		e.Environment += e.LoadBalancer
	}

	var computeIPs int
	switch {
	case m.Capacity.IsFargate():
		add(fargateLine(m, p, tasks))
		if m.Network.Public() {
			computeIPs = tasks // each task has its own public address
		}
	default:
		n, why := instancesFor(m, tasks)
		line := Line{Item: m.Capacity.InstanceType + " instances", Quantity: fmt.Sprintf("%d (%s)", n, why)}
		if hourly, ok := p.Instance(m.Capacity.InstanceType); ok {
			line.Quantity = fmt.Sprintf("%d × $%.4f/hour (%s)", n, hourly, why)
			line.Monthly = float64(n) * month(hourly)
		} else {
			line.Unknown = true
			line.Quantity += fmt.Sprintf("; no price for %s in %s", m.Capacity.InstanceType, region)
		}
		add(line)
		add(Line{Item: "gp3 root volumes", Quantity: fmt.Sprintf("%d × %d GiB × $%.4f/GB-month", n, m.Capacity.VolumeSize, p.GP3GBMonth),
			Monthly: float64(n*m.Capacity.VolumeSize) * p.GP3GBMonth})
		if m.Network.Public() {
			computeIPs = n // each instance has its own public address
		}
	}
	// public IPv4: the NAT gateways' addresses, one per load balancer node (one per
	// zone) unless the load balancer is internal (CloudFront in front), and the
	// instances' or tasks' own with public placement
	if ips := nats + lbIPs + computeIPs; ips > 0 {
		add(Line{Item: "public IPv4 addresses", Quantity: fmt.Sprintf("%d × $%.3f/hour (%s)", ips, p.IPv4Hour, ipWhy(nats, lbIPs, computeIPs, m)),
			Monthly: float64(ips) * month(p.IPv4Hour)})
	}
	add(Line{Item: "CloudWatch Logs", Quantity: fmt.Sprintf("kept %d days", m.Logs.Retention),
		PerUse: fmt.Sprintf("$%.2f per GB the containers write", p.LogsGB)})
	addEdge(m, p, add)
	e.Total = math.Round(e.Total*100) / 100
	e.Environment = math.Round(e.Environment*100) / 100
	return e, nil
}

// Prices of the edge options, the same in every region of the table: Route 53 and AWS
// WAF price regional resources alike, and ACM's public certificates are free.
const (
	HostedZoneMonth = 0.50 // a public hosted zone, the first 25 of an account
	WebACLMonth     = 5.00 // an AWS WAF web ACL
	WAFRuleMonth    = 1.00 // each rule or rule group in it
	WAFPerMillion   = 0.60 // requests it inspects
	S3GBMonth       = 0.023
	// CloudFront, pay as you go, read on the Amazon CloudFront pricing page
	// (aws.amazon.com/cloudfront/pricing, 2026-11-30): free each month, "1 TB of data
	// transfer out to the internet" and "10,000,000 HTTP or HTTPS Requests"; then, in the
	// United States and Europe, $0.085 per GB for the first 10 TB out, and $0.0100 per
	// 10,000 HTTPS requests in the United States (Europe's $0.0120 was not read there).
	// A web ACL of scope CLOUDFRONT costs what a regional one does.
	CloudFrontFreeGB        = 1024
	CloudFrontFreeRequests  = 10_000_000
	CloudFrontGB            = 0.085
	CloudFrontHTTPSPer10000 = 0.0100
	SecretMonth             = 0.40 // a Secrets Manager secret; SSM standard parameters are free
	// AlarmMetricMonth is a standard-resolution CloudWatch alarm, per metric it
	// evaluates: a metric math alarm counts each metric of its expression (Amazon
	// CloudWatch pricing, "Alarms"; the free tier's 10 alarm metrics are not counted)
	AlarmMetricMonth = 0.10
	// SNS deliveries of the alarms' topic, beyond the free tier of each month: emails
	// and HTTPS posts (Amazon SNS pricing, "Notification deliveries"; the first million
	// publishes a month are free, and alarms publish a few)
	SNSFreeEmails      = 1000
	SNSEmailPer100k    = 2.00
	SNSFreeHTTPS       = 100000
	SNSHTTPSPerMillion = 0.60
)

// addEdge prices the options in front of the load balancer and in the VPC.
func addEdge(m *manifest.Manifest, p Prices, add func(Line)) {
	if m.CloudFront() {
		quantity := fmt.Sprintf("no monthly fee; free each month: %d TB out and %s requests", CloudFrontFreeGB/1024, "10,000,000")
		if m.Shared() {
			// one per environment, in front of its load balancer (the ingress stack's)
			quantity = "the environment's: once for all the services on its load balancer; " + quantity + ", for all of them"
		}
		add(Line{Item: "CloudFront distribution", Quantity: quantity,
			PerUse: fmt.Sprintf("then $%.4f per 10,000 HTTPS requests and $%.3f per GB out (United States; Europe's requests cost more)", CloudFrontHTTPSPer10000, CloudFrontGB)})
	}
	if m.HTTPS() {
		to := "the load balancer"
		if m.CloudFront() {
			to = "the distribution"
		}
		add(Line{Item: "Route 53 hosted zone", Quantity: "1 (if berth's is the only use of it); the ACM certificate is free", Monthly: HostedZoneMonth,
			PerUse: "alias queries to " + to + " are free"})
	}
	if m.LoadBalancer.WAF {
		rules := 4 // the rate limit and three AWS managed rule groups
		add(Line{Item: "AWS WAF web ACL", Quantity: fmt.Sprintf("$%.2f + %d rules × $%.2f", WebACLMonth, rules, WAFRuleMonth),
			Monthly: WebACLMonth + float64(rules)*WAFRuleMonth, PerUse: fmt.Sprintf("$%.2f per million requests", WAFPerMillion)})
	}
	n := synth.AlarmMetrics(m)
	add(Line{Item: "CloudWatch alarms", Quantity: fmt.Sprintf("%d alarm metrics × $%.2f", n, AlarmMetricMonth),
		Monthly: float64(n) * AlarmMetricMonth})
	if l, ok := notifications(m.Alarms.Notify); ok {
		add(l)
	}
	if d := m.LoadBalancer.AccessLogs; d > 0 {
		add(Line{Item: "load balancer access logs", Quantity: fmt.Sprintf("kept %d days in S3", d),
			PerUse: fmt.Sprintf("about $%.3f per GB-month stored (S3 Standard, us-east-1)", S3GBMonth)})
	}
	secrets := map[string]bool{} // two keys of one JSON secret are one secret
	for _, sec := range m.Secrets {
		if sec.Source == manifest.SecretsManager {
			secrets[sec.Name+sec.ARN] = true
		}
	}
	if n := len(secrets); n > 0 {
		add(Line{Item: "Secrets Manager secrets", Quantity: fmt.Sprintf("%d × $%.2f (unless other services share them)", n, SecretMonth),
			Monthly: float64(n) * SecretMonth, PerUse: "$0.05 per 10,000 API calls (each task start reads them)"})
	}
	if m.Network.FlowLogsOn() {
		add(Line{Item: "VPC flow logs (" + m.Network.FlowLogs + ")", Quantity: fmt.Sprintf("kept %d days", m.Network.FlowLogsRetention),
			PerUse: fmt.Sprintf("$%.2f per GB recorded (CloudWatch Logs vended logs)", p.LogsGB)})
	}
}

// notifications is what the alarms' own topic costs by use: each email or HTTPS post
// it delivers past the free tier. Existing topics (alarms.notify ARNs) are their
// owners' costs.
func notifications(n manifest.Notify) (Line, bool) {
	if !n.Endpoints() {
		return Line{}, false
	}
	var per []string
	if len(n.Emails) > 0 {
		per = append(per, fmt.Sprintf("email: %s a month free, then $%.2f per 100,000", thousands(SNSFreeEmails), SNSEmailPer100k))
	}
	if len(n.HTTPS) > 0 {
		per = append(per, fmt.Sprintf("HTTPS: %s a month free, then $%.2f per million", thousands(SNSFreeHTTPS), SNSHTTPSPerMillion))
	}
	return Line{Item: "SNS alarm notifications", Quantity: fmt.Sprintf("1 topic, %d subscription(s)", len(n.Emails)+len(n.HTTPS)),
		PerUse: strings.Join(per, "; ")}, true
}

func thousands(n int) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// Instance is the hourly price of an instance type, if the table has it.
func (p Prices) Instance(instanceType string) (float64, bool) {
	family, size, ok := strings.Cut(instanceType, ".")
	if !ok {
		return 0, false
	}
	large, ok := p.Large[family]
	mult, okSize := Size[size]
	if !ok || !okSize {
		return 0, false
	}
	return large * mult, true
}

func fargateLine(m *manifest.Manifest, p Prices, tasks int) Line {
	vcpu, gb := p.FargateVCPU, p.FargGB
	arch := "x86"
	if m.Capacity.Arch() == "arm64" {
		vcpu, gb, arch = p.ArmVCPU, p.ArmGB, "ARM"
	}
	share, what := 1.0, "Fargate"
	if m.Capacity.Type == manifest.FargateSpot {
		share, what = FargateSpotShare, "Fargate Spot (estimated at 30 % of on-demand; it varies)"
	}
	cpus, mem := float64(m.CPU)/1024, float64(m.Memory)/1024
	hourly := (cpus*vcpu + mem*gb) * share
	return Line{Item: what + " tasks (" + arch + ")", Quantity: fmt.Sprintf("%d × (%.2f vCPU × $%.5f + %.1f GB × $%.6f)/hour", tasks, cpus, vcpu, mem, gb),
		Monthly: float64(tasks) * hourly * HoursPerMonth}
}

// instancesFor is how many instances the capacity provider runs for tasks: what their
// size and (with awsvpc) network interfaces need, and one per zone the placement spreads
// them over; capacity.desired when more.
func instancesFor(m *manifest.Manifest, tasks int) (int, string) {
	if tasks == 0 {
		return m.Capacity.Desired, "no task"
	}
	perInstance := 1
	if t, ok := instances.Lookup(m.Capacity.InstanceType); ok {
		perInstance = max(t.TasksPerInstance(m.CPU, m.Memory, !m.Network.Public()).Tasks, 1)
	}
	n := (tasks + perInstance - 1) / perInstance
	why := fmt.Sprintf("%d task(s), %d per instance", tasks, perInstance)
	if spread := min(tasks, m.Network.Zones()); spread > n {
		n, why = spread, fmt.Sprintf("%d task(s) spread over %d zones", tasks, spread)
	}
	if m.Capacity.Desired > n {
		n, why = m.Capacity.Desired, "capacity.desired"
	}
	return n, why
}

func ipWhy(nats, azs, compute int, m *manifest.Manifest) string {
	parts := []string{}
	if nats > 0 {
		parts = append(parts, fmt.Sprintf("%d NAT", nats))
	}
	if azs > 0 {
		parts = append(parts, fmt.Sprintf("%d load balancer", azs))
	}
	if compute > 0 {
		what := "instance"
		if m.Capacity.IsFargate() {
			what = "task"
		}
		parts = append(parts, fmt.Sprintf("%d %s", compute, what))
	}
	return strings.Join(parts, ", ")
}

// Variant names a manifest's capacity and placement, and CloudFront in front.
func Variant(m *manifest.Manifest) string {
	v := m.Capacity.Type + ", " + m.Network.Placement
	switch {
	case m.Network.Imported():
		v += ", existing VPC"
	case !m.Network.Public():
		v += ", NAT " + m.Network.NAT
	}
	if m.CloudFront() {
		v += ", CloudFront"
	}
	return v
}

// Alternative is the same service on another variant.
type Alternative struct {
	Variant    string  `json:"variant"`
	Total      float64 `json:"total"`
	Difference float64 `json:"difference"` // against the manifest's own
	NATPerGB   float64 `json:"nat_per_gb"`
	Complete   bool    `json:"complete"`
	Note       string  `json:"note,omitempty"`
}

// Alternatives estimates the manifest on every capacity type and placement (NAT as the
// manifest says), the manifest's own first. The service keeps its size; on Fargate it
// takes the nearest task size Fargate runs.
func Alternatives(m *manifest.Manifest, region string, own *Estimate) []Alternative {
	var out []Alternative
	for _, typ := range []string{manifest.EC2, manifest.Fargate, manifest.FargateSpot} {
		for _, placement := range []string{"private", "public"} {
			if placement == "public" && m.CloudFront() {
				continue // a VPC origin reaches load balancers in private subnets only
			}
			v := variantOf(m, typ, placement)
			e, err := Of(v, region)
			if err != nil {
				continue
			}
			a := Alternative{Variant: e.Variant, Total: e.Total, Difference: math.Round((e.Total-own.Total)*100) / 100, NATPerGB: e.NATPerGB, Complete: e.Complete}
			if v.CPU != m.CPU || v.Memory != m.Memory {
				a.Note = fmt.Sprintf("as a %d CPU / %d MiB Fargate task", v.CPU, v.Memory)
			}
			out = append(out, a)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Variant == own.Variant && out[j].Variant != own.Variant })
	return out
}

func variantOf(m *manifest.Manifest, typ, placement string) *manifest.Manifest {
	v := *m
	v.Capacity.Type, v.Network.Placement = typ, placement
	if typ != manifest.EC2 {
		v.CPU, v.Memory = FargateSize(m.CPU, m.Memory)
		if typ == manifest.FargateSpot {
			v.Capacity.CPUArch = "amd64"
		} else if m.Capacity.Arch() == "arm64" {
			v.Capacity.CPUArch = "arm64"
		}
	}
	return &v
}

// FargateSize is the smallest Fargate task size that holds cpu and memory.
func FargateSize(cpu, memory int) (int, int) {
	cpus := make([]int, 0, len(manifest.FargateMemory))
	for c := range manifest.FargateMemory {
		cpus = append(cpus, c)
	}
	sort.Ints(cpus)
	for _, c := range cpus {
		if c < cpu {
			continue
		}
		for _, mem := range manifest.FargateMemory[c] {
			if mem >= memory {
				return c, mem
			}
		}
	}
	c := cpus[len(cpus)-1]
	mems := manifest.FargateMemory[c]
	return c, mems[len(mems)-1]
}
