package manifest

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/berthdev/berth/internal/rollout"
)

func TestDefaultsFollowTheReference(t *testing.T) {
	m, err := Parse([]byte("name: orders\n"), "berth.yml")
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		what      string
		got, want any
	}{
		{"image", m.Image.Location, DefaultImage},
		{"port", m.Port, 80},
		{"cpu", m.CPU, 256},
		{"memory", m.Memory, 512},
		{"count", m.Count, Count{Min: 2, Max: 2}},
		// the reference's thresholds, with a grace period so that slow starters live
		{"health", m.Health, Health{Path: "/", Interval: 6, Timeout: 5, HealthyThreshold: 2, UnhealthyThreshold: 10, GracePeriod: 60}},
		{"capacity", m.Capacity, Capacity{Type: "ec2", InstanceType: "c5.xlarge", Desired: 0, Max: 100, AMI: DefaultAMIParameter, VolumeSize: 50}},
		{"network", m.Network, Network{CIDR: "10.0.0.0/16", AZs: 2, NAT: "per-az", Placement: "private"}},
		{"logs", m.Logs.Retention, 30},
		{"deployment", m.Deployment, Deployment{MaxPercent: 200, MinHealthyPercent: 75, Rollout: rollout.Default()}},
		// a drain that lets requests in flight finish (the reference's 0 cuts them)
		{"load balancer", m.LoadBalancer, LoadBalancer{IdleTimeout: 30, DeregistrationDelay: 10}},
	}
	for _, c := range checks {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("%s = %+v, want %+v", c.what, c.got, c.want)
		}
	}
}

func TestZeroDrainAndGraceStayAllowed(t *testing.T) {
	m, err := Parse([]byte("name: a\nhealth:\n  grace_period: 0\nload_balancer:\n  deregistration_delay: 0\n"), "berth.yml")
	if err != nil {
		t.Fatal(err)
	}
	if m.Health.GracePeriod != 0 || m.LoadBalancer.DeregistrationDelay != 0 {
		t.Errorf("explicit zeros became %d and %d", m.Health.GracePeriod, m.LoadBalancer.DeregistrationDelay)
	}
}

func TestTheIssueExampleParses(t *testing.T) {
	m, err := Parse([]byte(`name: orders
image:
  location: public.ecr.aws/docker/library/nginx:latest
port: 8080
cpu: 512
memory: 1024
count: 3
health:
  path: /healthz
capacity:
  instance_type: m7i.large
  desired: 0
  max: 20
`), "berth.yml")
	if err != nil {
		t.Fatal(err)
	}
	if m.Port != 8080 || m.CPU != 512 || m.Count != (Count{3, 3, 0, 0}) || m.Capacity.Max != 20 || m.Health.Path != "/healthz" {
		t.Errorf("parsed %+v", m)
	}
}

func TestCountRange(t *testing.T) {
	for _, tc := range []struct {
		src  string
		want Count
	}{
		{"count: {min: 2, max: 10}", Count{2, 10, DefaultCPUTarget, 0}},
		{"count: {min: 2, max: 10, cpu: 60}", Count{2, 10, 60, 0}},
		{"count: {min: 1, max: 4, requests: 500}", Count{1, 4, 0, 500}},
		{"count: {min: 1, max: 4, cpu: 50, requests: 500}", Count{1, 4, 50, 500}},
		{"count: 0", Count{0, 0, 0, 0}},
	} {
		m, err := Parse([]byte("name: a\n"+tc.src+"\n"), "berth.yml")
		if err != nil {
			t.Errorf("%s: %v", tc.src, err)
			continue
		}
		if m.Count != tc.want {
			t.Errorf("%s: got %+v, want %+v", tc.src, m.Count, tc.want)
		}
	}
}

// Each bad manifest must fail with file:line: key: and a message naming what is allowed.
func TestInvalidManifests(t *testing.T) {
	for _, tc := range []struct {
		name, src, want string
	}{
		{"unknown key", "name: a\nimgae:\n  location: x\n", `berth.yml:2: imgae: unknown key, did you mean "image"?`},
		{"unknown nested key", "name: a\nhealth:\n  pth: /\n", `berth.yml:3: health.pth: unknown key, did you mean "path"?`},
		{"wrong type", "name: a\nport: eighty\n", `berth.yml:2: port: must be a whole number, got "eighty"`},
		{"float", "name: a\ncpu: 0.5\n", `berth.yml:2: cpu: must be a whole number, got the number 0.5`},
		{"string expected", "name: 12\n", `berth.yml:1: name: must be a string, got the number 12`},
		{"mapping expected", "name: a\nhealth: /x\n", `berth.yml:2: health: health must be a mapping of keys, got "/x"`},
		{"duplicate", "name: a\nport: 1\nport: 2\n", `berth.yml:3: port: set twice`},
		{"port range", "name: a\nport: 70000\n", `berth.yml:2: port: 70000 is out of range (1-65535)`},
		{"zero port", "name: a\nport: 0\n", `berth.yml:2: port: 0 is out of range`},
		{"cpu low", "name: a\ncpu: 64\n", `berth.yml:2: cpu: 64 is out of range (128-196608`},
		{"memory low", "name: a\nmemory: 4\n", `berth.yml:2: memory: 4 is out of range (128-786432 MiB)`},
		{"name too long", "name: a-very-long-service-name-x\n", `berth.yml:1: name: "a-very-long-service-name-x" is not a valid service name (1-20`},
		{"name upper", "name: Orders\n", `berth.yml:1: name: "Orders" is not a valid service name`},
		{"name double hyphen", "name: a--b\n", `berth.yml:1: name: "a--b" has two hyphens`},
		{"image both", "name: a\nimage:\n  location: nginx\n  build: .\n", `berth.yml:2: image: set one of image.location and image.build`},
		{"image malformed", "name: a\nimage:\n  location: 'Nginx:latest!'\n", `berth.yml:3: image.location: "Nginx:latest!" is not an image reference`},
		{"image build missing", "name: a\nimage:\n  build: ./nope\n", `berth.yml:3: image.build: "./nope" is not a directory`},
		{"count min > max", "name: a\ncount:\n  min: 5\n  max: 2\n", `berth.yml:3: count.min: 5 is greater than count.max 2`},
		{"count min missing", "name: a\ncount: {max: 3}\n", `berth.yml:2: count.min: required when count is a range`},
		{"count negative", "name: a\ncount: -1\n", `berth.yml:2: count: -1 is out of range (0-1000)`},
		{"count cpu range", "name: a\ncount: {min: 1, max: 3, cpu: 99}\n", `berth.yml:2: count.cpu: 99 is out of range (10-90`},
		{"count targets without range", "name: a\ncount: {min: 3, max: 3, cpu: 50}\n", `count.max: must be greater than count.min`},
		{"count wrong type", "name: a\ncount: many\n", `berth.yml:2: count: must be a whole number or a range`},
		{"health path", "name: a\nhealth:\n  path: healthz\n", `berth.yml:3: health.path: "healthz" is not a path`},
		{"health timeout", "name: a\nhealth:\n  interval: 5\n  timeout: 5\n", `berth.yml:4: health.timeout: 5 must be less than health.interval 5`},
		{"threshold", "name: a\nhealth:\n  unhealthy_threshold: 11\n", `health.unhealthy_threshold: 11 is out of range (2-10)`},
		{"instance type", "name: a\ncapacity:\n  instance_type: large\n", `berth.yml:3: capacity.instance_type: "large" is not an EC2 instance type`},
		{"a name ELB refuses", "name: internal\n", `berth.yml:1: name: "internal" is taken: the load balancer would be named internal-<env>, which Elastic Load Balancing refuses; pick another name`},
		{"a name of berth's own logs", "name: vpc-flow-logs\n", `berth.yml:1: name: "vpc-flow-logs" is taken: the environment's VPC flow logs are the log group /berth/<env>/vpc-flow-logs; pick another name`},
		{"capacity desired > max", "name: a\ncapacity:\n  desired: 5\n  max: 2\n", `berth.yml:3: capacity.desired: 5 is out of range (0-capacity.max, which is 2)`},
		{"capacity type", "name: a\ncapacity:\n  type: lambda\n", `berth.yml:3: capacity.type: "lambda" is not allowed (ec2: EC2 instances`},
		{"fargate cpu", "name: a\ncpu: 300\ncapacity:\n  type: fargate\n", `berth.yml:2: cpu: 300 is not a Fargate task size (allowed: 256, 512, 1024, 2048, 4096, 8192, 16384)`},
		{"fargate pair", "name: a\ncpu: 1024\nmemory: 512\ncapacity:\n  type: fargate\n", `berth.yml:3: memory: 512 MiB does not go with cpu 1024 on Fargate (allowed with cpu 1024: 2048-8192 in steps of 1024 MiB)`},
		{"fargate small pair", "name: a\nmemory: 4096\ncapacity:\n  type: fargate\n", `memory: 4096 MiB does not go with cpu 256 on Fargate (allowed with cpu 256: 512, 1024, 2048 MiB)`},
		{"fargate instance", "name: a\ncapacity:\n  type: fargate\n  instance_type: c5.large\n", `berth.yml:4: capacity.instance_type: applies to capacity.type ec2 only`},
		{"fargate spot arm", "name: a\ncapacity:\n  type: fargate-spot\n  arch: arm64\n", `berth.yml:4: capacity.arch: arm64 does not run on Fargate Spot`},
		{"arch vs instance", "name: a\ncapacity:\n  instance_type: c5.large\n  arch: arm64\n", `capacity.arch: "arm64" does not match capacity.instance_type c5.large, which is amd64`},
		{"placement", "name: a\nnetwork:\n  placement: dmz\n", `network.placement: "dmz" is not allowed (private:`},
		{"nat with public", "name: a\nnetwork:\n  placement: public\n  nat: single\n", `berth.yml:4: network.nat: applies to private placement only`},
		{"ami", "name: a\ncapacity:\n  ami: latest\n", `capacity.ami: "latest" is neither an AMI id`},
		{"volume", "name: a\ncapacity:\n  volume_size: 8\n", `capacity.volume_size: 8 is out of range (30-16384`},
		{"cidr", "name: a\nnetwork:\n  cidr: 10.0.0.0/8\n", `berth.yml:3: network.cidr: /8 is out of range (a VPC from /16 to /24)`},
		{"cidr malformed", "name: a\nnetwork:\n  cidr: 10.0.0.1/16\n", `network.cidr: "10.0.0.1/16" is not an IPv4 network`},
		{"azs", "name: a\nnetwork:\n  azs: 1\n", `network.azs: 1 is out of range (2-3`},
		{"nat", "name: a\nnetwork:\n  nat: none\n", `network.nat: "none" is not allowed (per-az`},
		{"retention", "name: a\nlogs:\n  retention: 10\n", `berth.yml:3: logs.retention: 10 days is not accepted by CloudWatch Logs (allowed: 1, 3, 5`},
		{"deployment", "name: a\ndeployment:\n  max_percent: 100\n  min_healthy_percent: 100\n", `deployment.min_healthy_percent: 100 leaves no room`},
		{"idle timeout", "name: a\nload_balancer:\n  idle_timeout: 0\n", `load_balancer.idle_timeout: 0 is out of range (1-4000`},
		{"env name", "name: a\nenv:\n  1BAD: x\n", `berth.yml:3: env.1BAD: not a valid variable name`},
		{"env value", "name: a\nenv:\n  A: [1]\n", `berth.yml:3: env.A: must be a string, number or boolean, got a list`},
		{"env reserved", "name: a\nenv:\n  AWS_REGION: x\n", `berth.yml:3: env.AWS_REGION: names starting with ECS_ or AWS_ are reserved`},
		{"yaml syntax", "name: a\nport: 1\n  x: 2\n", `berth.yml:3: invalid YAML: mapping values are not allowed`},
		{"tab", "a: 1\nb: 2\nc:\n\t- x\n", `berth.yml:4: invalid YAML: found character that cannot start any token`},
		{"empty", "", `berth.yml:1: the manifest is empty`},
		{"not a mapping", "- a\n", `berth.yml:1: the manifest must be a mapping of keys, got a list`},
		// issue 10, case 3: what follows a second document was silently ignored
		{"second document", "name: a\n---\nport: 80\n", `berth.yml:2: a second YAML document starts here`},
		{"empty second document", "name: a\n---\n", `berth.yml:2: a second YAML document starts here`},
		{"bad second document", "name: a\n---\nx: [\n", `berth.yml:3: invalid YAML`},
		// issue 10, case 4: an empty image.build or image.location deployed public nginx
		{"empty build", "name: a\nimage:\n  build: \"\"\n", `berth.yml:3: image.build: must not be empty (leave the key out for the default)`},
		{"empty location", "name: a\nimage:\n  location: ''\n", `berth.yml:3: image.location: must not be empty`},
		{"empty name", "name: ''\n", `berth.yml:1: name: must not be empty`},
		// issue 10, case 5: no limit on env
		{"env too large", "name: a\nenv:\n  A: x\n  B: " + strings.Repeat("x", MaxEnvSize) + "\n", `berth.yml:4: env.B: the environment is larger than 48 KiB with this variable (ECS takes task definitions of at most 64 KiB`},
		{"env too many", "name: a\nenv:\n" + manyVars(3000), `berth.yml:1296: env.V1293: the environment is larger than 48 KiB`},
		{"env escapes count", "name: a\nenv:\n  A: \"" + strings.Repeat(`\x01`, MaxEnvSize/6) + "\"\n", `env.A: the environment is larger than 48 KiB`},
		{"env NUL", "name: a\nenv:\n  A: \"x\\0y\"\n", `berth.yml:3: env.A: holds a NUL character`},
		{"manifest too large", "name: a\n#" + strings.Repeat("x", MaxSize) + "\n", `berth.yml:1: the manifest is larger than 256 KiB`},
		// issue 10, case 6: control characters in health.path failed every check forever
		{"health path CR", "name: a\nhealth:\n  path: \"/a\\rb\"\n", `berth.yml:3: health.path: "/a\rb" is not a URI path: '\r' at byte 3 must be percent-encoded`},
		{"health path NUL", "name: a\nhealth:\n  path: \"/\\0\"\n", `health.path: "/\x00" is not a URI path: '\x00' at byte 2 must be percent-encoded`},
		{"health path FF", "name: a\nhealth:\n  path: \"/\\f\"\n", `'\f' at byte 2 must be percent-encoded`},
		{"health path NBSP", "name: a\nhealth:\n  path: \"/a\\u00a0\"\n", `'\u00a0' at byte 3 must be percent-encoded`},
		{"health path LS", "name: a\nhealth:\n  path: \"/\\u2028\"\n", `'\u2028' at byte 2 must be percent-encoded`},
		{"health path space", "name: a\nhealth:\n  path: /a b\n", `' ' at byte 3 must be percent-encoded`},
		{"health path brace", "name: a\nhealth:\n  path: /${x}\n", `'{' at byte 3 must be percent-encoded`},
		{"health path bad escape", "name: a\nhealth:\n  path: /a%zz\n", `% at byte 3 does not start a %XX escape`},
		// issue 10, case 7: tags were dropped, !Ref X became the string X
		{"tag on env", "name: a\nenv:\n  A: !Ref X\n", `berth.yml:3: env.A: the YAML tag !Ref is not supported: berth.yml holds plain values`},
		{"tag on key", "name: a\n!k port: 80\n", `berth.yml:2: port: the YAML tag !k is not supported`},
		{"tag on mapping", "name: a\nhealth: !h\n  path: /\n", `berth.yml:2: health: the YAML tag !h is not supported`},
		{"tag in list", "name: a\nx: [a, !t b]\n", `berth.yml:2: x[1]: the YAML tag !t is not supported`},
		{"core tag", "name: a\nport: !!int \"80\"\n", `berth.yml:2: port: the YAML tag !!int is not supported`},
		{"local tag on name", "name: !Sub a\n", `berth.yml:1: name: the YAML tag !Sub is not supported`},
		// issue 13: the domain and the edge options
		{"domain upper", "name: a\ndomain: API.example.com\n", `berth.yml:2: domain.name: "API.example.com" is not a domain name (lower-case labels`},
		{"domain one label", "name: a\ndomain: localhost\n", `domain.name: "localhost" is not a domain name`},
		{"domain wildcard", "name: a\ndomain: '*.example.com'\n", `domain.name: "*.example.com" is not a domain name`},
		{"domain trailing dot", "name: a\ndomain: api.example.com.\n", `is not a domain name`},
		{"domain number", "name: a\ndomain: 12\n", `berth.yml:2: domain: must be a domain name like api.example.com, or {name, zone, certificate}, got the number 12`},
		{"domain without name", "name: a\ndomain:\n  zone: example.com\n", `berth.yml:2: domain.name: required`},
		{"domain unknown key", "name: a\ndomain:\n  name: api.example.com\n  certficate: x\n", `berth.yml:4: domain.certficate: unknown key, did you mean "certificate"?`},
		{"domain too long for ACM", "name: a\ndomain: " + strings.Repeat("a", 60) + ".example.com\n", `longer than the 64 characters ACM allows in a certificate's first name`},
		{"zone not a parent", "name: a\ndomain:\n  name: api.example.com\n  zone: example.org\n", `berth.yml:4: domain.zone: "example.org" is neither a hosted zone id (Z...) nor a zone api.example.com is in (like example.com)`},
		{"zone suffix is not a parent", "name: a\ndomain:\n  name: api.myexample.com\n  zone: example.com\n", `domain.zone: "example.com" is neither`},
		{"certificate", "name: a\ndomain:\n  name: api.example.com\n  certificate: my-cert\n", `berth.yml:4: domain.certificate: "my-cert" is not an ACM certificate ARN`},
		{"access logs zero", "name: a\nload_balancer:\n  access_logs: 0\n", `berth.yml:3: load_balancer.access_logs: 0 is out of range (1-3653 days; false for none)`},
		{"access logs text", "name: a\nload_balancer:\n  access_logs: yes please\n", `load_balancer.access_logs: must be the number of days to keep them, true (90 days) or false`},
		{"waf not bool", "name: a\nload_balancer:\n  waf: on\n", `berth.yml:3: load_balancer.waf: must be true or false, got "on"`},
		{"exec not bool", "name: a\nexec: yes\n", `berth.yml:2: exec: must be true or false, got "yes"`},
		{"rate limit without waf", "name: a\nload_balancer:\n  rate_limit: 500\n", `berth.yml:3: load_balancer.rate_limit: applies only with load_balancer.waf: true`},
		{"rate limit low", "name: a\nload_balancer:\n  waf: true\n  rate_limit: 50\n", `berth.yml:4: load_balancer.rate_limit: 50 is out of range (100-2000000000`},
		{"flow logs", "name: a\nnetwork:\n  flow_logs: accepted\n", `berth.yml:3: network.flow_logs: "accepted" is not allowed (rejected:`},
		{"flow logs retention alone", "name: a\nnetwork:\n  flow_logs_retention: 14\n", `network.flow_logs_retention: applies only with network.flow_logs rejected or all`},
		{"flow logs retention", "name: a\nnetwork:\n  flow_logs: all\n  flow_logs_retention: 10\n", `berth.yml:4: network.flow_logs_retention: 10 days is not accepted by CloudWatch Logs`},
		// issue 24: CloudFront in front
		{"edge unknown", "name: a\nedge: cdn\n", `berth.yml:2: edge: "cdn" is not an edge (allowed: none`},
		{"edge not text", "name: a\nedge: true\n", `berth.yml:2: edge: must be a string`},
		{"edge public placement", "name: a\nedge: cloudfront\nnetwork:\n  placement: public\n", `berth.yml:2: edge: cloudfront reaches the load balancer through a CloudFront VPC origin, which serves load balancers in private subnets`},
		{"edge certificate region", "name: a\nedge: cloudfront\ndomain:\n  name: api.example.com\n  certificate: arn:aws:acm:eu-west-1:123456789012:certificate/0b6d7f0e-8a8e-4f1c-9b1a-2c3d4e5f6a7b\n",
			`berth.yml:5: domain.certificate: with edge: cloudfront the certificate must be in us-east-1, where CloudFront takes its certificates from, and this one is in eu-west-1 (request or import one there: aws acm request-certificate --region us-east-1 --domain-name api.example.com`},
		{"edge hsts subdomains", "name: a\nedge: cloudfront\ndomain:\n  name: api.example.com\n  hsts_subdomains: true\n", `berth.yml:5: domain.hsts_subdomains: is not available with edge: cloudfront`},
		// found by fuzzing: a key with a line break made a two-line error
		{"key with line break", "name: a\n\"x\\ny\": 1\n", `berth.yml:2: "x\ny": unknown key`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.src), filepath.Join(t.TempDir(), "berth.yml"))
			if err == nil {
				t.Fatalf("no error, want %q", tc.want)
			}
			if !strings.HasPrefix(err.Error(), "berth.yml:") || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q\n does not contain %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error spans several lines: %q", err)
			}
			if !IsManifestError(err) {
				t.Errorf("not a manifest error: %T", err)
			}
		})
	}
}

func TestImageBuildIsRelativeToTheManifest(t *testing.T) {
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "app"), 0o755); err != nil {
		t.Fatal(err)
	}
	m, err := Parse([]byte("name: a\nimage:\n  build: ./app\n"), filepath.Join(dir, "berth.yml"))
	if err != nil {
		t.Fatal(err)
	}
	if m.BuildDir() != filepath.Join(dir, "app") || m.Image.Location != "" {
		t.Errorf("build dir %q, location %q", m.BuildDir(), m.Image.Location)
	}
}

func TestStarterIsValidAndDefault(t *testing.T) {
	m, err := Parse([]byte(Starter), "berth.yml")
	if err != nil {
		t.Fatal(err)
	}
	d, _ := Parse([]byte("name: web\n"), "berth.yml")
	m.lines, d.lines = nil, nil
	if m.Name != d.Name || m.Capacity != d.Capacity || !reflect.DeepEqual(m.Network, d.Network) || m.Health != d.Health || m.Count != d.Count {
		t.Errorf("the starter's values are not the defaults:\n%+v\n%+v", m, d)
	}
}

func TestFargateVariants(t *testing.T) {
	for text, arch := range map[string]string{
		"name: a\ncapacity:\n  type: fargate\n":                                  "amd64",
		"name: a\ncapacity:\n  type: fargate\n  arch: arm64\n":                   "arm64",
		"name: a\ncpu: 16384\nmemory: 122880\ncapacity:\n  type: fargate-spot\n": "amd64",
		"name: a\nnetwork:\n  placement: public\ncapacity:\n  type: fargate\n":   "amd64",
	} {
		m, err := Parse([]byte(text), "berth.yml")
		if err != nil {
			t.Errorf("%q: %v", text, err)
			continue
		}
		if m.Capacity.Arch() != arch || !m.Capacity.IsFargate() {
			t.Errorf("%q: arch %s", text, m.Capacity.Arch())
		}
	}
}

func TestArchFollowsTheInstanceType(t *testing.T) {
	for it, want := range map[string]string{
		"c5.xlarge": "amd64", "m7i.large": "amd64", "m7i-flex.large": "amd64", "g4dn.xlarge": "amd64",
		"m7g.large": "arm64", "c7gn.2xlarge": "arm64", "r6gd.large": "arm64", "t4g.small": "arm64", "g5g.xlarge": "arm64",
	} {
		m, err := Parse([]byte("name: a\ncapacity:\n  instance_type: "+it+"\n"), "berth.yml")
		if err != nil {
			t.Fatal(err)
		}
		if m.Capacity.Arch() != want {
			t.Errorf("%s: %s, want %s", it, m.Capacity.Arch(), want)
		}
		wantAMI := DefaultAMIParameter
		if want == "arm64" {
			wantAMI = DefaultArm64AMIParameter
		}
		if m.Capacity.AMI != wantAMI {
			t.Errorf("%s: default AMI %s", it, m.Capacity.AMI)
		}
	}
}

func manyVars(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "  V%04d: value-%04d\n", i, i)
	}
	return b.String()
}

// A present !!str tag only says "string": it stays allowed, and env values keep any
// text, empty included.
func TestDomainAndEdgeForms(t *testing.T) {
	for _, tc := range []struct {
		src  string
		want func(*Manifest) bool
	}{
		{"domain: api.example.com\n", func(m *Manifest) bool { return m.Domain == Domain{Name: "api.example.com"} && m.HTTPS() }},
		{"domain:\n  name: api.example.com\n  zone: Z0123456789ABC\n  certificate: arn:aws:acm:eu-west-1:123456789012:certificate/0b6d7f0e-8a8e-4f1c-9b1a-2c3d4e5f6a7b\n",
			func(m *Manifest) bool { return m.Domain.Zone == "Z0123456789ABC" && m.Domain.Certificate != "" }},
		{"domain:\n  name: example.com\n  zone: example.com.\n", func(m *Manifest) bool { return m.Domain.Name == "example.com" }},
		{"load_balancer:\n  access_logs: true\n", func(m *Manifest) bool { return m.LoadBalancer.AccessLogs == DefaultAccessLogDays }},
		{"load_balancer:\n  access_logs: 7\n", func(m *Manifest) bool { return m.LoadBalancer.AccessLogs == 7 }},
		{"load_balancer:\n  access_logs: false\n", func(m *Manifest) bool { return m.LoadBalancer.AccessLogs == 0 }},
		{"load_balancer:\n  waf: true\n", func(m *Manifest) bool { return m.LoadBalancer.WAF && m.LoadBalancer.RateLimit == DefaultRateLimit }},
		{"network:\n  flow_logs: rejected\n", func(m *Manifest) bool {
			return m.Network.FlowLogsOn() && m.Network.FlowLogsRetention == DefaultFlowLogsRetention
		}},
		{"network:\n  flow_logs: 'off'\n", func(m *Manifest) bool { return !m.Network.FlowLogsOn() && m.IsSet("network.flow_logs") }},
		{"exec: true\n", func(m *Manifest) bool { return m.Exec }},
		{"name: a\n", func(m *Manifest) bool {
			return !m.HTTPS() && m.LoadBalancer.AccessLogs == 0 && !m.LoadBalancer.WAF && !m.Network.FlowLogsOn() && !m.Exec && m.Edge == EdgeNone && !m.CloudFront()
		}},
		{"edge: cloudfront\n", func(m *Manifest) bool { return m.CloudFront() && !m.HTTPS() }},
		{"edge: none\n", func(m *Manifest) bool { return !m.CloudFront() && m.IsSet("edge") }},
		{"edge: cloudfront\ndomain:\n  name: api.example.com\n  certificate: arn:aws:acm:us-east-1:123456789012:certificate/0b6d7f0e-8a8e-4f1c-9b1a-2c3d4e5f6a7b\n",
			func(m *Manifest) bool { return m.CloudFront() && m.HTTPS() }},
	} {
		m, err := Parse([]byte(tc.src), filepath.Join(t.TempDir(), "berth.yml"))
		if err != nil || !tc.want(m) {
			t.Errorf("%q: %v %+v %+v", tc.src, err, m.Domain, m.LoadBalancer)
		}
	}
}

func TestStrTagAndEmptyEnvValue(t *testing.T) {
	m, err := Parse([]byte("name: !!str web\nenv:\n  A: ''\n  B: !!str yes\n"), "berth.yml")
	if err != nil {
		t.Fatal(err)
	}
	if m.Name != "web" || m.Env["A"] != "" || m.Env["B"] != "yes" {
		t.Errorf("name %q env %q", m.Name, m.Env)
	}
}

// A health path that is a valid URI path and query, escapes included, is accepted.
func TestHealthPathURI(t *testing.T) {
	for _, p := range []string{"/", "/healthz", "/a/b-c_d.e~f", "/h?full=1&x=y", "/%E2%9C%93", "/a:b@c!$&'()*+,;="} {
		if _, err := Parse([]byte(fmt.Sprintf("name: a\nhealth:\n  path: %q\n", p)), "berth.yml"); err != nil {
			t.Errorf("%s: %v", p, err)
		}
	}
}

// Issue 10, case 5: reading the manifest is bounded by its size, whatever -f names.
func TestLoadReadsABoundedAmount(t *testing.T) {
	_, err := Load("/dev/zero")
	if err == nil || !strings.Contains(err.Error(), "larger than 256 KiB") || !IsManifestError(err) {
		t.Errorf("Load(/dev/zero): %v", err)
	}
}

// The issue's secrets and permissions parse into their sources and statements.
func TestSecretsAndPermissions(t *testing.T) {
	m, err := Parse([]byte(`name: orders
env:
  LOG_LEVEL: info
secrets:
  DB_PASSWORD: ssm:/orders/prod/db-password
  FLAG: ssm:feature-flag
  API_KEY: secretsmanager:orders/api-key
  DB_USER: secretsmanager:orders/db#username
  OTHER: ssm:arn:aws:ssm:eu-west-1:111122223333:parameter/shared/token
  FULL: secretsmanager:arn:aws:secretsmanager:us-east-1:111122223333:secret:orders/db-secret-AbCdEf#password
secrets_kms_key: arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab
permissions:
  - arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess
  - allow: [s3:GetObject, s3:PutObject]
    resources: [arn:aws:s3:::orders-uploads/*]
  - allow: [sqs:SendMessage]
    resources: [arn:aws:sqs:us-east-1:111122223333:orders]
    conditions:
      StringEquals: {aws:SourceVpce: vpce-1a2b3c4d}
      ForAnyValue:StringLike: {"aws:TagKeys": [team, "env*"]}
`), "berth.yml")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]Secret{
		"DB_PASSWORD": {Source: SSM, Name: "/orders/prod/db-password"},
		"FLAG":        {Source: SSM, Name: "feature-flag"},
		"API_KEY":     {Source: SecretsManager, Name: "orders/api-key"},
		"DB_USER":     {Source: SecretsManager, Name: "orders/db", JSONKey: "username"},
		"OTHER":       {Source: SSM, ARN: "arn:aws:ssm:eu-west-1:111122223333:parameter/shared/token"},
		"FULL":        {Source: SecretsManager, ARN: "arn:aws:secretsmanager:us-east-1:111122223333:secret:orders/db-secret-AbCdEf", JSONKey: "password"},
	}
	for k, w := range want {
		got := m.Secrets[k]
		got.Text = ""
		if got != w {
			t.Errorf("%s: %+v, want %+v", k, got, w)
		}
	}
	if strings.Join(m.SecretNames(), " ") != "API_KEY DB_PASSWORD DB_USER FLAG FULL OTHER" || m.Line("secrets.DB_USER") != 8 {
		t.Errorf("names %v, DB_USER on line %d", m.SecretNames(), m.Line("secrets.DB_USER"))
	}
	p := m.Permissions
	if len(p.Managed) != 1 || len(p.Statements) != 2 || p.Statements[0].Allow[1] != "s3:PutObject" ||
		p.Statements[1].Conditions["ForAnyValue:StringLike"]["aws:TagKeys"][1] != "env*" || p.Statements[1].Conditions["StringEquals"]["aws:SourceVpce"][0] != "vpce-1a2b3c4d" {
		t.Errorf("permissions %+v", p)
	}
	if len(m.SecretsKMSKeys) != 1 {
		t.Errorf("keys %v", m.SecretsKMSKeys)
	}
	d, _ := Parse([]byte("name: a\n"), "berth.yml")
	if len(d.Secrets) != 0 || !d.Permissions.Empty() {
		t.Errorf("defaults: %+v %+v", d.Secrets, d.Permissions)
	}
}

// Each bad secret or permission fails at its line, saying what is allowed.
func TestInvalidSecretsAndPermissions(t *testing.T) {
	for _, tc := range []struct {
		name, src, want string
	}{
		{"not a mapping", "secrets: [a]\n", `berth.yml:2: secrets: must be a mapping of NAME: source`},
		{"bad name", "secrets:\n  1X: ssm:/a\n", `berth.yml:3: secrets.1X: not a valid variable name`},
		{"reserved name", "secrets:\n  AWS_KEY: ssm:/a\n", `berth.yml:3: secrets.AWS_KEY: names starting with ECS_ or AWS_ are reserved`},
		{"in env too", "env:\n  DB_PASSWORD: x\nsecrets:\n  DB_PASSWORD: ssm:/a\n", `berth.yml:5: secrets.DB_PASSWORD: DB_PASSWORD is set in env too (line 3): a variable is either plain text or a secret`},
		{"no source", "secrets:\n  A: /orders/db\n", `berth.yml:3: secrets.A: "/orders/db" is not a source (ssm:PARAMETER`},
		{"unknown source", "secrets:\n  A: vault:x\n", `secrets.A: "vault:x" is not a source`},
		{"empty ref", "secrets:\n  A: 'ssm:'\n", `secrets.A: "ssm:" names no parameter`},
		{"number", "secrets:\n  A: 12\n", `secrets.A: must be a source such as ssm:/orders/db-password or secretsmanager:orders/api-key, got the number 12`},
		{"ssm bad chars", "secrets:\n  A: ssm:/a b\n", `secrets.A: "/a b" is not an SSM parameter name`},
		{"ssm hierarchy without slash", "secrets:\n  A: ssm:a/b\n", `"a/b" is a hierarchy without its leading /`},
		{"ssm empty level", "secrets:\n  A: ssm:/a//b\n", `an empty level in the path`},
		{"ssm too deep", "secrets:\n  A: ssm:" + strings.Repeat("/a", 16) + "\n", `deeper than SSM's 15 levels`},
		{"ssm bad arn", "secrets:\n  A: ssm:arn:aws:ssm:us-east-1:12:parameter/a\n", `is not an SSM parameter ARN`},
		{"ssm reference", "secrets:\n  A: ssm:/aws/reference/secretsmanager/orders/db\n", `reads a Secrets Manager secret through Parameter Store: write secretsmanager:orders/db`},
		{"secret bad chars", "secrets:\n  A: secretsmanager:orders db\n", `"orders db" is not a secret name`},
		{"secret like an arn suffix", "secrets:\n  A: secretsmanager:orders/db-secret\n", `"orders/db-secret" ends with a hyphen and six characters, which Secrets Manager takes for the random suffix of an ARN: give the secret's full ARN`},
		{"secret partial arn", "secrets:\n  A: secretsmanager:arn:aws:secretsmanager:us-east-1:111122223333:secret:orders/db\n", `is not a secret's full ARN`},
		{"secret arn with key", "secrets:\n  A: 'secretsmanager:arn:aws:secretsmanager:us-east-1:111122223333:secret:orders/db-AbCdEf:username::'\n", `holds more than the secret's ARN: name one JSON key with #`},
		{"empty json key", "secrets:\n  A: 'secretsmanager:orders/db#'\n", `the JSON key after # must be a key name`},
		{"json key with colon", "secrets:\n  A: 'secretsmanager:orders/db#a:b'\n", `the JSON key after # must be a key name`},
		{"kms alias", "secrets:\n  A: ssm:/a\nsecrets_kms_key: alias/orders\n", `berth.yml:4: secrets_kms_key: "alias/orders" is an alias, which IAM cannot grant by`},
		{"kms garbage", "secrets:\n  A: ssm:/a\nsecrets_kms_key: [abc]\n", `secrets_kms_key: "abc" is not a KMS key ARN`},
		{"kms without secrets", "secrets_kms_key: 1234abcd-12ab-34cd-56ef-1234567890ab\n", `berth.yml:2: secrets_kms_key: applies to secrets, and there is none`},
		{"permissions mapping", "permissions: {allow: [s3:GetObject]}\n", `berth.yml:2: permissions: must be a list of managed policy ARNs and {allow: [...], resources: [...]} statements`},
		{"bad policy arn", "permissions:\n  - AmazonS3ReadOnlyAccess\n", `berth.yml:3: permissions[0]: "AmazonS3ReadOnlyAccess" is not a managed policy ARN`},
		{"policy twice", "permissions:\n  - arn:aws:iam::aws:policy/A\n  - arn:aws:iam::aws:policy/A\n", `berth.yml:4: permissions[1]: arn:aws:iam::aws:policy/A is listed twice`},
		{"too many policies", "permissions:\n" + manyPolicies(21), `permissions: 21 managed policies: IAM attaches at most 20 to a role`},
		{"no resources", "permissions:\n  - allow: [s3:GetObject]\n", `berth.yml:3: permissions[0].resources: required: the ARNs the actions apply to`},
		{"no allow", "permissions:\n  - resources: ['*']\n", `berth.yml:3: permissions[0].allow: required`},
		{"empty allow", "permissions:\n  - allow: []\n    resources: ['*']\n", `berth.yml:3: permissions[0].allow: must be a list of actions such as s3:GetObject, got a list`},
		{"unknown statement key", "permissions:\n  - allow: [s3:GetObject]\n    resource: ['*']\n", `berth.yml:4: permissions[0].resource: unknown key, did you mean "resources"?`},
		{"every action", "permissions:\n  - allow: ['*']\n    resources: ['*']\n", `berth.yml:3: permissions[0].allow: "*" allows every action of every service`},
		{"iam wildcard", "permissions:\n  - allow: ['iam:*']\n    resources: ['*']\n", `permissions[0].allow: "iam:*" is a wildcard over IAM`},
		{"iam partial wildcard", "permissions:\n  - allow: ['iam:Put*']\n    resources: ['*']\n", `"iam:Put*" is a wildcard over IAM`},
		{"not an action", "permissions:\n  - allow: [GetObject]\n    resources: ['*']\n", `"GetObject" is not an action (service:Action`},
		{"not an arn", "permissions:\n  - allow: [s3:GetObject]\n    resources: [orders-uploads]\n", `berth.yml:4: permissions[0].resources: "orders-uploads" is not an ARN`},
		{"bad operator", "permissions:\n  - allow: [s3:GetObject]\n    resources: ['*']\n    conditions: {Equals: {a: b}, 'String Equals': {a: b}}\n", `permissions[0].conditions.String Equals: not an IAM condition operator`},
		{"condition value list of lists", "permissions:\n  - allow: [s3:GetObject]\n    resources: ['*']\n    conditions: {StringEquals: {a: [[b]]}}\n", `permissions[0].conditions.StringEquals.a: must be a value or a list of values, got a list`},
		{"env holds a key id", "env:\n  KEY: AKIAIOSFODNN7EXAMPLE\n", `berth.yml:3: env.KEY: the value is an AWS access key id, which env would keep in plain text in the template and the task definition: move it to secrets`},
		{"env holds a private key", "env:\n  TLS: \"-----BEGIN EC PRIVATE KEY-----\\nMHc\"\n", `env.TLS: the value is a private key`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte("name: a\n"+tc.src), filepath.Join(t.TempDir(), "berth.yml"))
			if err == nil {
				t.Fatalf("no error, want %q", tc.want)
			}
			if !strings.HasPrefix(err.Error(), "berth.yml:") || !strings.Contains(err.Error(), tc.want) || !IsManifestError(err) {
				t.Errorf("error %q\n does not contain %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "AKIAIOSFODNN7EXAMPLE") || strings.Contains(err.Error(), "MHc") {
				t.Errorf("the error repeats the credential: %q", err)
			}
		})
	}
}

func manyPolicies(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "  - arn:aws:iam::aws:policy/P%d\n", i)
	}
	return b.String()
}

// The starter of an app found by berth init is valid and says what was found, and
// nothing else differs from the starter's defaults.
func TestStarterForAnApp(t *testing.T) {
	dir := t.TempDir()
	os.Mkdir(filepath.Join(dir, "cmd"), 0o755)
	text := StarterFor("shop", ".", 8000, "/healthz")
	os.WriteFile(filepath.Join(dir, "berth.yml"), []byte(text), 0o644)
	m, err := Load(filepath.Join(dir, "berth.yml"))
	if err != nil {
		t.Fatal(err)
	}
	if m.Name != "shop" || m.Image.Build != "." || m.Image.Location != "" || m.Port != 8000 || m.Health.Path != "/healthz" {
		t.Errorf("starter for shop: %+v %+v %d %s", m.Image, m.Name, m.Port, m.Health.Path)
	}
	if !strings.Contains(text, "ssm:/shop/db-password") || strings.Contains(text, "/web/") {
		t.Errorf("the examples do not name the service:\n%s", text)
	}
}
