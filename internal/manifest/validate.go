package manifest

import (
	"fmt"
	"net/netip"
	"os"
	"strings"

	"github.com/berthdev/berth/internal/lazyregexp"
	"github.com/google/go-containerregistry/pkg/name"
)

// Reference defaults (docs/architecture.md), except where the reference is out of date:
// log retention (it keeps logs forever) and the AMI (Amazon Linux 2 is past support).
const (
	DefaultName              = "web"
	DefaultImage             = "public.ecr.aws/nginx/nginx:latest"
	DefaultAMIParameter      = "/aws/service/ecs/optimized-ami/amazon-linux-2023/recommended/image_id"
	DefaultArm64AMIParameter = "/aws/service/ecs/optimized-ami/amazon-linux-2023/arm64/recommended/image_id"
	DefaultCPUTarget         = 70
	// DefaultGracePeriod lets an ordinary app (a JVM, Rails, Python) start before failed
	// health checks count against it; the reference has none, so a slow starter is
	// killed and replaced forever. AWS Copilot defaults to the same 60 s.
	DefaultGracePeriod = 60
	// DefaultDeregistrationDelay lets requests in flight finish when a task is drained
	// (rollouts, scale-in). The reference's 0 cuts them; AWS's ECS best practices guide
	// suggests 5 s for APIs that answer within a second
	// (docs.aws.amazon.com/AmazonECS/latest/bestpracticesguide/load-balancer-connection-draining.html);
	// 10 s leaves room for slower requests, and a target with nothing in flight and no
	// open connection is removed at once anyway.
	DefaultDeregistrationDelay = 10
	// DefaultAccessLogDays is how long load_balancer.access_logs: true keeps them.
	DefaultAccessLogDays = 90
	// DefaultRateLimit is the requests one client address may make in 5 minutes
	// (about 6.7 a second) before the WAF blocks it for a while; AWS WAF counts over a
	// 5-minute window by default.
	DefaultRateLimit = 2000
	// DefaultFlowLogsRetention is how long VPC flow logs are kept.
	DefaultFlowLogsRetention = 30
)

func applyDefaults(m *Manifest) {
	defStr(m, "name", &m.Name, DefaultName)
	if m.Image.Location == "" && m.Image.Build == "" {
		m.Image.Location = DefaultImage
	}
	defInt(m, "port", &m.Port, 80)
	defInt(m, "cpu", &m.CPU, 256)
	defInt(m, "memory", &m.Memory, 512)
	if _, set := m.lines["count"]; !set {
		m.Count = Count{Min: 2, Max: 2}
	}
	if m.Count.Scales() && m.Count.CPU == 0 && m.Count.Requests == 0 {
		m.Count.CPU = DefaultCPUTarget
	}
	defStr(m, "health.path", &m.Health.Path, "/")
	defInt(m, "health.interval", &m.Health.Interval, 6)
	defInt(m, "health.timeout", &m.Health.Timeout, 5)
	defInt(m, "health.healthy_threshold", &m.Health.HealthyThreshold, 2)
	defInt(m, "health.unhealthy_threshold", &m.Health.UnhealthyThreshold, 10)
	defInt(m, "health.grace_period", &m.Health.GracePeriod, DefaultGracePeriod)
	defStr(m, "capacity.type", &m.Capacity.Type, "ec2")
	defStr(m, "capacity.instance_type", &m.Capacity.InstanceType, "c5.xlarge")
	defInt(m, "capacity.max", &m.Capacity.Max, 100)
	ami := DefaultAMIParameter
	if m.Capacity.Arch() == "arm64" {
		ami = DefaultArm64AMIParameter
	}
	defStr(m, "capacity.ami", &m.Capacity.AMI, ami)
	defInt(m, "capacity.volume_size", &m.Capacity.VolumeSize, 50)
	defStr(m, "network.cidr", &m.Network.CIDR, "10.0.0.0/16")
	defInt(m, "network.azs", &m.Network.AZs, 2)
	defStr(m, "network.nat", &m.Network.NAT, "per-az")
	defStr(m, "network.placement", &m.Network.Placement, "private")
	defInt(m, "logs.retention", &m.Logs.Retention, 30)
	defInt(m, "deployment.max_percent", &m.Deployment.MaxPercent, 200)
	defInt(m, "deployment.min_healthy_percent", &m.Deployment.MinHealthyPercent, 75)
	defaultRollout(m)
	defaultAlarms(m)
	defInt(m, "load_balancer.idle_timeout", &m.LoadBalancer.IdleTimeout, 30)
	defInt(m, "load_balancer.deregistration_delay", &m.LoadBalancer.DeregistrationDelay, DefaultDeregistrationDelay)
	if m.LoadBalancer.WAF {
		defInt(m, "load_balancer.rate_limit", &m.LoadBalancer.RateLimit, DefaultRateLimit)
	}
	defStr(m, "edge", &m.Edge, EdgeNone)
	defaultLoadBalancer(m)
	if m.Network.FlowLogsOn() {
		defInt(m, "network.flow_logs_retention", &m.Network.FlowLogsRetention, DefaultFlowLogsRetention)
	}
	if m.Env == nil {
		m.Env = map[string]string{}
	}
	if m.Secrets == nil {
		m.Secrets = map[string]Secret{}
	}
}

// defStr and defInt fill a key the user left out; a key that is present keeps its
// value, even "" or 0, and is validated like any other.
func defStr(m *Manifest, key string, v *string, def string) {
	if _, set := m.lines[key]; !set {
		*v = def
	}
}

func defInt(m *Manifest, key string, v *int, def int) {
	if _, set := m.lines[key]; !set {
		*v = def
	}
}

var (
	serviceName  = lazyregexp.New(`^[a-z]([a-z0-9-]*[a-z0-9])?$`)
	instanceType = lazyregexp.New(`^[a-z][a-z0-9-]*\.[a-z0-9]+$`)
	amiID        = lazyregexp.New(`^ami-[0-9a-f]{8}([0-9a-f]{9})?$`)
	ssmPath      = lazyregexp.New(`^/[A-Za-z0-9_./-]+$`)
)

// reservedNames are service names that would collide with a name AWS refuses or berth
// gives something else.
var reservedNames = map[string]string{
	// the load balancer is named <name>-<env>, and a load balancer's name "must not
	// begin with internal-" (ELB API reference, CreateLoadBalancer, Name)
	"internal": "the load balancer would be named internal-<env>, which Elastic Load Balancing refuses",
	// log groups are /berth/<env>/<service>; the environment's flow logs go to
	// /berth/<env>/vpc-flow-logs
	"vpc-flow-logs": "the environment's VPC flow logs are the log group /berth/<env>/vpc-flow-logs",
}

// MaxNameLength keeps "<name>-<env>" within the 32 characters AWS allows in a load
// balancer's name, with env names of up to MaxEnvLength characters.
const (
	MaxNameLength = 20
	MaxEnvLength  = 11
)

// LogRetentionDays are the values CloudWatch Logs accepts.
var LogRetentionDays = []int{1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653}

func validate(m *Manifest) error {
	checks := []func(*Manifest) error{validateService, validateHealth, validateCapacity, validateNetwork, validateRest, validateAlarms, validateSecrets, validateAdmin}
	for _, c := range checks {
		if err := c(m); err != nil {
			return err
		}
	}
	return nil
}

// CheckName says what is wrong with a service name, if anything.
func CheckName(name string) error {
	switch {
	case len(name) > MaxNameLength || !serviceName.MatchString(name):
		return fmt.Errorf("%q is not a valid service name (1-%d lower-case letters, digits and hyphens, starting with a letter; the load balancer is named <name>-<env> and AWS allows 32 characters)", name, MaxNameLength)
	case strings.Contains(name, "--"):
		return fmt.Errorf("%q has two hyphens in a row (AWS load balancer names do not allow it)", name)
	case reservedNames[name] != "":
		return fmt.Errorf("%q is taken: %s; pick another name", name, reservedNames[name])
	}
	return nil
}

func validateService(m *Manifest) error {
	switch err := CheckName(m.Name); {
	case err != nil:
		return m.errorf("name", "%s", err)
	case m.Image.Location != "" && m.Image.Build != "":
		return m.errorf("image", "set one of image.location and image.build, not both")
	case m.Port < 1 || m.Port > 65535:
		return m.errorf("port", "%d is out of range (1-65535)", m.Port)
	case m.CPU < 128 || m.CPU > 196608:
		return m.errorf("cpu", "%d is out of range (128-196608 CPU units; 1024 is one vCPU)", m.CPU)
	case m.Memory < 128 || m.Memory > 786432:
		return m.errorf("memory", "%d is out of range (128-786432 MiB)", m.Memory)
	}
	if m.Image.Location != "" {
		if _, err := name.ParseReference(m.Image.Location, name.StrictValidation); err != nil {
			return m.errorf("image.location", "%q is not an image reference (like public.ecr.aws/nginx/nginx:1.27 or 123456789012.dkr.ecr.us-east-1.amazonaws.com/app@sha256:...)", m.Image.Location)
		}
	}
	if m.Image.Build != "" {
		if st, err := os.Stat(m.BuildDir()); err != nil || !st.IsDir() {
			return m.errorf("image.build", "%q is not a directory (a Go main package or a directory with a Dockerfile, relative to the manifest)", m.Image.Build)
		}
	}
	c := m.Count
	switch {
	case c.Min < 0 || c.Min > 1000:
		return m.errorf(countKey(m, "min"), "%d is out of range (0-1000)", c.Min)
	case c.Max < 0 || c.Max > 1000:
		return m.errorf(countKey(m, "max"), "%d is out of range (0-1000)", c.Max)
	case c.Min > c.Max:
		return m.errorf("count.min", "%d is greater than count.max %d", c.Min, c.Max)
	case c.Scales() && c.Max < 1:
		return m.errorf("count.max", "must be at least 1 when count is a range")
	case c.CPU != 0 && (c.CPU < 10 || c.CPU > 90):
		return m.errorf("count.cpu", "%d is out of range (10-90 percent average CPU)", c.CPU)
	case c.Requests < 0 || c.Requests > 1000000:
		return m.errorf("count.requests", "%d is out of range (1-1000000 requests per task per minute)", c.Requests)
	case !c.Scales() && (c.CPU != 0 || c.Requests != 0):
		return m.errorf("count.max", "must be greater than count.min for cpu or requests targets to apply")
	}
	return nil
}

func countKey(m *Manifest, bound string) string {
	if _, ok := m.lines["count."+bound]; ok {
		return "count." + bound
	}
	return "count"
}

func validateHealth(m *Manifest) error {
	h := m.Health
	switch {
	case !strings.HasPrefix(h.Path, "/") || len(h.Path) > 1024:
		return m.errorf("health.path", "%q is not a path (starts with /, at most 1024 characters)", h.Path)
	case !healthPath.MatchString(h.Path):
		return m.errorf("health.path", "%q is not a URI path: %s (the load balancer sends it as written; allowed: letters, digits, - . _ ~ ! $ & ' ( ) * + , ; = : @ / ? and %%XX escapes)", h.Path, badPathChar(h.Path))
	case h.Interval < 5 || h.Interval > 300:
		return m.errorf("health.interval", "%d is out of range (5-300 seconds)", h.Interval)
	case h.Timeout < 2 || h.Timeout > 120:
		return m.errorf("health.timeout", "%d is out of range (2-120 seconds)", h.Timeout)
	case h.Timeout >= h.Interval:
		return m.errorf("health.timeout", "%d must be less than health.interval %d", h.Timeout, h.Interval)
	case h.HealthyThreshold < 2 || h.HealthyThreshold > 10:
		return m.errorf("health.healthy_threshold", "%d is out of range (2-10)", h.HealthyThreshold)
	case h.UnhealthyThreshold < 2 || h.UnhealthyThreshold > 10:
		return m.errorf("health.unhealthy_threshold", "%d is out of range (2-10)", h.UnhealthyThreshold)
	case h.GracePeriod < 0 || h.GracePeriod > 2147483647:
		return m.errorf("health.grace_period", "%d is out of range (0-2147483647 seconds)", h.GracePeriod)
	}
	return nil
}

// healthPath is a path and query as RFC 3986 writes them, which is what the load
// balancer puts in its request line: anything else (spaces, control characters,
// non-ASCII) must be percent-encoded, or the local balancer cannot send the request.
var healthPath = lazyregexp.New(`^/(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/?]|%[0-9A-Fa-f]{2})*$`)

// badPathChar names the first character of p that healthPath refuses.
func badPathChar(p string) string {
	for i, r := range p {
		if r == '%' {
			if i+2 < len(p) && isHex(p[i+1]) && isHex(p[i+2]) {
				continue
			}
			return fmt.Sprintf("%% at byte %d does not start a %%XX escape", i+1)
		}
		if r > 0x7e || !healthPath.MatchString("/"+string(r)) {
			return fmt.Sprintf("%q at byte %d must be percent-encoded", r, i+1)
		}
	}
	return "it does not start with /"
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func validateCapacity(m *Manifest) error {
	c := m.Capacity
	switch c.Type {
	case EC2:
		return validateEC2(m)
	case Fargate, FargateSpot:
		return validateFargate(m)
	}
	return m.errorf("capacity.type", "%q is not allowed (ec2: EC2 instances behind a capacity provider; fargate; fargate-spot: Fargate on spare capacity, interruptible, cheaper)", c.Type)
}

func validateEC2(m *Manifest) error {
	c := m.Capacity
	switch {
	case !instanceType.MatchString(c.InstanceType):
		return m.errorf("capacity.instance_type", "%q is not an EC2 instance type (family.size, like c5.xlarge or m7i.large)", c.InstanceType)
	case c.Max < 1 || c.Max > 5000:
		return m.errorf("capacity.max", "%d is out of range (1-5000 instances)", c.Max)
	case c.Desired < 0 || c.Desired > c.Max:
		return m.errorf("capacity.desired", "%d is out of range (0-capacity.max, which is %d)", c.Desired, c.Max)
	case !amiID.MatchString(c.AMI) && !ssmPath.MatchString(c.AMI):
		return m.errorf("capacity.ami", "%q is neither an AMI id (ami-0123456789abcdef0) nor an SSM parameter path (%s)", c.AMI, DefaultAMIParameter)
	case c.VolumeSize < 30 || c.VolumeSize > 16384:
		return m.errorf("capacity.volume_size", "%d is out of range (30-16384 GiB; the ECS-optimized AMI needs 30)", c.VolumeSize)
	case c.CPUArch != "" && c.CPUArch != c.Arch():
		return m.errorf("capacity.arch", "%q does not match capacity.instance_type %s, which is %s (on EC2 the instance type decides: Graviton types such as m7g are arm64)", c.CPUArch, c.InstanceType, c.Arch())
	}
	return nil
}

// ec2Keys apply to EC2 capacity only: Fargate chooses the machines.
var ec2Keys = []string{"capacity.instance_type", "capacity.desired", "capacity.max", "capacity.ami", "capacity.volume_size"}

func validateFargate(m *Manifest) error {
	c := m.Capacity
	for _, k := range ec2Keys {
		if m.IsSet(k) {
			return m.errorf(k, "applies to capacity.type ec2 only (on %s AWS chooses the machines)", c.Type)
		}
	}
	switch {
	case c.CPUArch != "" && c.CPUArch != "amd64" && c.CPUArch != "arm64":
		return m.errorf("capacity.arch", "%q is not allowed (amd64, or arm64 for Graviton)", c.CPUArch)
	case c.Type == FargateSpot && c.CPUArch == "arm64":
		// docs.aws.amazon.com/AmazonECS/latest/developerguide/fargate-capacity-providers.html
		return m.errorf("capacity.arch", "arm64 does not run on Fargate Spot, which runs only X86_64 Linux tasks (use capacity.type fargate for Graviton)")
	}
	if mems, ok := FargateMemory[m.CPU]; !ok {
		return m.errorf("cpu", "%d is not a Fargate task size (allowed: 256, 512, 1024, 2048, 4096, 8192, 16384)", m.CPU)
	} else if !containsInt(mems, m.Memory) {
		return m.errorf("memory", "%d MiB does not go with cpu %d on Fargate (allowed with cpu %d: %s MiB)", m.Memory, m.CPU, m.CPU, ranges(mems))
	}
	return nil
}

// FargateMemory lists, by task CPU units, the memory sizes (MiB) Fargate runs, from the
// task size table of the ECS developer guide (fargate-tasks-services.html#fargate-tasks-size).
var FargateMemory = map[int][]int{
	256:   {512, 1024, 2048},
	512:   steps(1024, 4096, 1024),
	1024:  steps(2048, 8192, 1024),
	2048:  steps(4096, 16384, 1024),
	4096:  steps(8192, 30720, 1024),
	8192:  steps(16384, 61440, 4096),
	16384: steps(32768, 122880, 8192),
}

func steps(from, to, by int) []int {
	var out []int
	for v := from; v <= to; v += by {
		out = append(out, v)
	}
	return out
}

func containsInt(list []int, v int) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// ranges renders a list of sizes: "512, 1024, 2048" or "2048-8192 in steps of 1024".
func ranges(list []int) string {
	if len(list) > 3 {
		return fmt.Sprintf("%d-%d in steps of %d", list[0], list[len(list)-1], list[1]-list[0])
	}
	return joinInts(list)
}

func validateNetwork(m *Manifest) error {
	n := m.Network
	if n.Placement != "private" && n.Placement != "public" {
		return m.errorf("network.placement", "%q is not allowed (private: tasks in private subnets, out through NAT gateways; public: tasks in the public subnets, no NAT, for egress-heavy services)", n.Placement)
	}
	if n.Imported() {
		return validateExisting(m)
	}
	for _, k := range []string{"network.public_subnets", "network.private_subnets"} {
		if m.IsSet(k) {
			return m.errorf(k, "applies only with network.vpc, the existing VPC the subnets are in (without it berth creates the network and its subnets)")
		}
	}
	p, err := netip.ParsePrefix(n.CIDR)
	switch {
	case err != nil || !p.Addr().Is4() || p.Masked() != p:
		return m.errorf("network.cidr", "%q is not an IPv4 network in CIDR form (like 10.0.0.0/16)", n.CIDR)
	case p.Bits() < 16 || p.Bits() > 24:
		return m.errorf("network.cidr", "/%d is out of range (a VPC from /16 to /24)", p.Bits())
	case n.AZs < 2 || n.AZs > 3:
		return m.errorf("network.azs", "%d is out of range (2-3 availability zones; a load balancer needs 2)", n.AZs)
	case n.Public() && m.IsSet("network.nat"):
		return m.errorf("network.nat", "applies to private placement only (with placement public there is no NAT gateway)")
	case n.NAT != "per-az" && n.NAT != "single":
		return m.errorf("network.nat", "%q is not allowed (per-az: one NAT gateway per zone; single: one for all, cheaper, not zone-redundant)", n.NAT)
	case m.IsSet("network.flow_logs") && n.FlowLogs != FlowLogsRejected && n.FlowLogs != FlowLogsAll && n.FlowLogs != "off":
		return m.errorf("network.flow_logs", "%q is not allowed (rejected: the connections the security groups and network ACLs refuse; all: every connection; off)", n.FlowLogs)
	case m.IsSet("network.flow_logs_retention") && !n.FlowLogsOn():
		return m.errorf("network.flow_logs_retention", "applies only with network.flow_logs rejected or all")
	case n.FlowLogsOn() && !contains(LogRetentionDays, n.FlowLogsRetention):
		return m.errorf("network.flow_logs_retention", "%d days is not accepted by CloudWatch Logs (allowed: %s)", n.FlowLogsRetention, joinInts(LogRetentionDays))
	}
	return nil
}

func validateRest(m *Manifest) error {
	if !contains(LogRetentionDays, m.Logs.Retention) {
		return m.errorf("logs.retention", "%d days is not accepted by CloudWatch Logs (allowed: %s)", m.Logs.Retention, joinInts(LogRetentionDays))
	}
	if err := validateDeployment(m); err != nil {
		return err
	}
	lb := m.LoadBalancer
	switch {
	case lb.IdleTimeout < 1 || lb.IdleTimeout > 4000:
		return m.errorf("load_balancer.idle_timeout", "%d is out of range (1-4000 seconds)", lb.IdleTimeout)
	case lb.DeregistrationDelay < 0 || lb.DeregistrationDelay > 3600:
		return m.errorf("load_balancer.deregistration_delay", "%d is out of range (0-3600 seconds)", lb.DeregistrationDelay)
	case lb.AccessLogs > 3653:
		return m.errorf("load_balancer.access_logs", "%d is out of range (1-3653 days; false for none)", lb.AccessLogs)
	case m.IsSet("load_balancer.rate_limit") && !lb.WAF:
		return m.errorf("load_balancer.rate_limit", "applies only with load_balancer.waf: true (the limit is a rule of the web ACL)")
	case lb.WAF && (lb.RateLimit < 100 || lb.RateLimit > 2000000000):
		// AWS WAF's rate-based rule: RateBasedStatement Limit
		return m.errorf("load_balancer.rate_limit", "%d is out of range (100-2000000000 requests per client address in 5 minutes)", lb.RateLimit)
	}
	if err := validateDomain(m); err != nil {
		return err
	}
	if err := validateEdge(m); err != nil {
		return err
	}
	if err := validateLoadBalancer(m); err != nil {
		return err
	}
	for _, k := range m.EnvNames() {
		if strings.HasPrefix(k, "ECS_") || strings.HasPrefix(k, "AWS_") {
			return m.errorf("env."+k, "names starting with ECS_ or AWS_ are reserved for the platform")
		}
	}
	return nil
}

var (
	// hostname is a DNS name of at least two labels, in lower case (ACM and Route 53
	// keep names in lower case; a name typed otherwise would never match).
	hostname    = lazyregexp.New(`^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]([a-z0-9-]{0,61}[a-z0-9])?$`)
	zoneID      = lazyregexp.New(`^Z[A-Z0-9]{1,31}$`)
	acmARN      = lazyregexp.New(`^arn:aws(-cn|-us-gov)?:acm:[a-z]{2}(-[a-z]+)+-[0-9]:[0-9]{12}:certificate/[0-9a-f-]{36}$`)
	maxCertName = 64
)

func validateDomain(m *Manifest) error {
	d := m.Domain
	if d.Name == "" {
		return nil
	}
	switch {
	case len(d.Name) > 253 || !hostname.MatchString(d.Name):
		return m.errorf("domain.name", "%q is not a domain name (lower-case labels of letters, digits and hyphens separated by dots, like api.example.com; no wildcard, no trailing dot)", d.Name)
	case d.Certificate == "" && len(d.Name) > maxCertName:
		// ACM: the first name of a certificate is at most 64 characters
		return m.errorf("domain.name", "%q is longer than the %d characters ACM allows in a certificate's first name: bring a certificate that covers it (domain.certificate)", d.Name, maxCertName)
	case d.Zone != "" && !zoneID.MatchString(d.Zone) && !inZone(d.Name, strings.TrimSuffix(d.Zone, ".")):
		return m.errorf("domain.zone", "%q is neither a hosted zone id (Z...) nor a zone %s is in (like %s)", d.Zone, d.Name, parentOf(d.Name))
	case d.Certificate != "" && !acmARN.MatchString(d.Certificate):
		return m.errorf("domain.certificate", "%q is not an ACM certificate ARN (arn:aws:acm:REGION:ACCOUNT:certificate/ID)", d.Certificate)
	}
	return nil
}

// CloudFrontCertificateRegion is where CloudFront takes its certificates from: "To
// use an ACM certificate with CloudFront, make sure you request (or import) the
// certificate in the US East (N. Virginia) Region (us-east-1)" (CloudFront Developer
// Guide, "Requirements for using SSL/TLS certificates with CloudFront").
const CloudFrontCertificateRegion = "us-east-1"

// validateEdge: the distribution reaches the load balancer through a CloudFront VPC
// origin, which serves load balancers "in private subnets" (CloudFront Developer Guide,
// "Restrict access with VPC origins"): public placement has none. A certificate of the
// manifest's must be one CloudFront can use; the Strict-Transport-Security header comes
// from CloudFront's managed SecurityHeadersPolicy, which has no includeSubDomains.
func validateEdge(m *Manifest) error {
	if m.Edge != EdgeNone && m.Edge != EdgeCloudFront {
		return m.errorf("edge", "%q is not an edge (allowed: none, the load balancer faces the internet; cloudfront, a CloudFront distribution serves HTTPS in front of an internal load balancer)", m.Edge)
	}
	if !m.CloudFront() {
		return nil
	}
	switch {
	case m.Network.Public():
		return m.errorf("edge", "cloudfront reaches the load balancer through a CloudFront VPC origin, which serves load balancers in private subnets, and network.placement public has none (use placement private, or leave edge out)")
	case m.Domain.Certificate != "" && certificateRegion(m.Domain.Certificate) != CloudFrontCertificateRegion:
		return m.errorf("domain.certificate", "with edge: cloudfront the certificate must be in %s, where CloudFront takes its certificates from, and this one is in %s (request or import one there: aws acm request-certificate --region %s --domain-name %s --validation-method DNS; or leave domain.certificate out and berth requests it there)",
			CloudFrontCertificateRegion, certificateRegion(m.Domain.Certificate), CloudFrontCertificateRegion, m.Domain.Name)
	case m.Domain.HSTSSubdomains:
		return m.errorf("domain.hsts_subdomains", "is not available with edge: cloudfront: the distribution adds Strict-Transport-Security (max-age one year) from CloudFront's managed SecurityHeadersPolicy, which has no includeSubDomains (leave the key out, or leave edge out)")
	}
	return nil
}

// certificateRegion is the region of an ACM certificate ARN (validated before).
func certificateRegion(arn string) string {
	parts := strings.SplitN(arn, ":", 5)
	if len(parts) < 4 {
		return ""
	}
	return parts[3]
}

// IsZoneID tells a Route 53 hosted zone id from a zone name in domain.zone.
func IsZoneID(s string) bool { return zoneID.MatchString(s) }

// inZone reports whether name is zone or one of its subdomains.
func inZone(name, zone string) bool {
	return name == zone || strings.HasSuffix(name, "."+zone)
}

func parentOf(name string) string {
	if _, rest, ok := strings.Cut(name, "."); ok && strings.Contains(rest, ".") {
		return rest
	}
	return name
}

// ValidEnv checks an environment name (--env) against the same naming rules.
func ValidEnv(env string) error {
	if len(env) > MaxEnvLength || !serviceName.MatchString(env) || strings.Contains(env, "--") {
		return fmt.Errorf("environment %q: 1-%d lower-case letters, digits and single hyphens, starting with a letter", env, MaxEnvLength)
	}
	for _, part := range strings.Split(env, "-") {
		if part == ReservedEnvWord {
			return fmt.Errorf("environment %q: %q is reserved (berth names service stacks berth-<env>-%s-<service>, so that no service name can collide with an environment's stacks)", env, part, part)
		}
	}
	return nil
}

// ReservedEnvWord marks, in a service stack's name, where the environment's name ends.
const ReservedEnvWord = "svc"

func contains(list []int, v int) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

func joinInts(list []int) string {
	s := make([]string, len(list))
	for i, v := range list {
		s[i] = fmt.Sprint(v)
	}
	return strings.Join(s, ", ")
}
