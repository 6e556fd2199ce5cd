package check

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func results(t *testing.T, file string) map[string]Result {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	rs, err := Template(filepath.Base(file), data)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]Result{}
	for _, r := range rs {
		out[r.Rule+" "+r.Resource] = r
	}
	return out
}

// Every rule fails on a fixture written to break it, with a reason that says why.
func TestEachRuleCanFail(t *testing.T) {
	for _, tc := range []struct {
		file, rule, resource, reason string
	}{
		{"bad-service.yml", "BERTH001", "Service", "AssignPublicIp is ENABLED"},
		{"bad-service.yml", "BERTH002", "Service", "admits the load balancer on tcp 0-65535, not only the container port"},
		{"bad-service.yml", "BERTH003", "LoadBalancer", "every protocol and port"},
		{"bad-service.yml", "BERTH006", "LogGroup", "no RetentionInDays"},
		{"bad-service.yml", "BERTH007", "TaskRole", "without an aws:SourceAccount"},
		{"bad-service.yml", "BERTH008", "Service", "not enabled with rollback"},
		{"bad-service.yml", "BERTH012", "Service", "DeploymentConfiguration has no Alarms"},
		{"bad-rollback.yml", "BERTH012", "NoAlarms", "no Alarms: a release that passes its health checks and fails its users reaches all the traffic"},
		{"bad-rollback.yml", "BERTH012", "FailOnly", "not enabled with rollback (Enable true, Rollback false)"},
		{"bad-rollback.yml", "BERTH012", "Off", "not enabled with rollback (Enable false, Rollback true)"},
		{"bad-rollback.yml", "BERTH012", "NotAnAlarm", "deployment alarm LogGroup is not a CloudWatch alarm of this template"},
		{"bad-cluster.json", "BERTH004", "LaunchTemplate", "HttpTokens is optional"},
		{"bad-cluster.json", "BERTH005", "LaunchTemplate", "/dev/xvda is not encrypted"},
		{"bad-cluster.json", "BERTH005", "NoMappings", "no BlockDeviceMappings"},
		{"bad-cluster.json", "BERTH005", "Data", "Encrypted is unset"},
		{"lb-cidr-on-other-port.yml", "BERTH003", "LoadBalancer", "admits ::/0 on tcp 8080-8080; listener ports are [80]"},
		{"bad-public.yml", "BERTH001", "PublicFargate", "AssignPublicIp is ENABLED and the tasks' groups do not admit the load balancer only"},
		{"bad-public.yml", "BERTH002", "PublicFargate", "OpenTasks admits an address range (0.0.0.0/0)"},
		{"bad-public.yml", "BERTH001", "BridgeService", "bridge-mode tasks on instances with a public address: HostsFromEverywhere admits an address range"},
		{"bad-public.yml", "BERTH002", "BridgeService", "HostsFromEverywhere admits an address range (0.0.0.0/0) to the instances"},
		{"bad-service.yml", "BERTH009", "Listener", "serves plain HTTP on port 80"},
		{"plain-http.yml", "BERTH009", "Forwards", "serves plain HTTP on port 8080; serve HTTPS"},
		{"plain-http.yml", "BERTH009", "RedirectsToHTTP", "serves plain HTTP on port 80"},
		{"cloudfront.yml", "BERTH014", "AllowsHTTP", "the default cache behavior has ViewerProtocolPolicy allow-all: it serves plain HTTP"},
		{"cloudfront.yml", "BERTH014", "PathAllowsHTTP", "cache behavior /legacy/* has ViewerProtocolPolicy allow-all"},
		{"cloudfront.yml", "BERTH014", "OldTLS", "MinimumProtocolVersion TLSv1_2016 accepts protocols older than TLS 1.2"},
		{"cloudfront.yml", "BERTH014", "NoMinimum", "without MinimumProtocolVersion: CloudFront's default, TLSv1, accepts TLS 1.0"},
		{"bad-secrets.yml", "BERTH010", "TaskDefinition", "Environment holds what looks like a credential: DB_PASSWORD (its name), UPLOADS (an AWS access key id), " +
			"DATABASE_URL (a URL with a password), STRIPE_KEY (a dynamic reference to a secret, which CloudFormation resolves into the plain value); pass it in Secrets"},
		{"bad-ci-trust.yml", "BERTH013", "AudienceOnly", "without a :sub condition: any repository's or project's jobs"},
		{"bad-ci-trust.yml", "BERTH013", "AnyRepository", `its :sub condition "repo:*" matches any subject`},
		{"bad-ci-trust.yml", "BERTH013", "NoAudience", "without an :aud condition"},
	} {
		r, ok := results(t, filepath.Join("testdata", tc.file))[tc.rule+" "+tc.resource]
		switch {
		case !ok:
			t.Errorf("%s: %s has no result for %s", tc.file, tc.rule, tc.resource)
		case r.Status != Fail:
			t.Errorf("%s: %s on %s is %s, want fail", tc.file, tc.rule, tc.resource, r.Status)
		case !strings.Contains(r.Reason, tc.reason):
			t.Errorf("%s: %s reason %q, want it to contain %q", tc.file, tc.rule, r.Reason, tc.reason)
		}
	}
}

// BERTH013 passes a role that trusts one repository's branch, exactly.
func TestOneBranchsTrustPasses(t *testing.T) {
	if r := results(t, filepath.Join("testdata", "bad-ci-trust.yml"))["BERTH013 OneBranch"]; r.Status != Pass {
		t.Errorf("%+v", r)
	}
}

// A separate ingress resource that opens the tasks to an address range fails, even when
// the inline rules are right.
// BERTH009 passes HTTPS and a redirect to it, leaves internal load balancers alone, and
// cannot judge a listener whose load balancer is elsewhere.
func TestHTTPSOnlyVerdicts(t *testing.T) {
	rs := results(t, filepath.Join("testdata", "plain-http.yml"))
	if r := rs["BERTH009 Secure"]; r.Status != Pass {
		t.Errorf("HTTPS listener: %+v", r)
	}
	if r, ok := rs["BERTH009 InsideOnly"]; ok {
		t.Errorf("a listener of an internal load balancer was judged: %+v", r)
	}
	if r := rs["BERTH009 Elsewhere"]; r.Status != Skip {
		t.Errorf("listener of a load balancer outside the template: %+v", r)
	}
	all := []Result{rs["BERTH009 Forwards"], rs["BERTH003 LoadBalancer"]}
	if err := Ignore(all, []string{"BERTH009"}); err != nil || all[0].Status != Ignored || Failed(all) != 0 {
		t.Errorf("ignore: %v %+v", err, all)
	}
	if err := Ignore(all, []string{"BERTH099"}); err == nil || !strings.Contains(err.Error(), "the rules are BERTH001 to") {
		t.Errorf("ignoring an unknown rule: %v", err)
	}
}

// Behind CloudFront: an internal load balancer's listener passes BERTH009 when a
// distribution that passes BERTH014 is its way in, and is not judged otherwise; the
// default *.cloudfront.net certificate is CloudFront's policy, not the template's.
func TestHTTPSEdgeVerdicts(t *testing.T) {
	rs := results(t, filepath.Join("testdata", "cloudfront.yml"))
	for _, want := range []string{"BERTH009 InsideListener", "BERTH014 Redirects", "BERTH014 OwnCertificate"} {
		if r := rs[want]; r.Status != Pass {
			t.Errorf("%s: %+v", want, r)
		}
	}
	if r, ok := rs["BERTH009 OpenInsideListener"]; ok {
		t.Errorf("an internal load balancer behind a distribution that serves plain HTTP passed: %+v", r)
	}
	if r := rs["BERTH014 OpenEdge"]; r.Status != Fail {
		t.Errorf("OpenEdge: %+v", r)
	}
}

func TestTaskIngressFromAddressRange(t *testing.T) {
	data, _ := os.ReadFile(filepath.Join("testdata", "bad-service.yml"))
	src := strings.Replace(string(data), "FromPort: 0\n          ToPort: 65535", "FromPort: 8080\n          ToPort: 8080", 1)
	rs, err := Template("x.yml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rs {
		if r.Rule == "BERTH002" && (r.Status != Fail || !strings.Contains(r.Reason, "admits an address range (0.0.0.0/0) on tcp 8080-8080")) {
			t.Errorf("BERTH002: %s %q", r.Status, r.Reason)
		}
	}
}

// The templates berth writes pass every rule (the golden files of the synth package,
// and of the CI role stack's).
func TestSynthesizedTemplatesPass(t *testing.T) {
	files, _ := filepath.Glob("../synth/testdata/*/*.yml")
	ci, _ := filepath.Glob("../cirole/testdata/*.yml")
	files = append(files, ci...)
	seen := map[string]bool{}
	plainSaid, plain := map[string]bool{}, map[string]bool{}
	for _, f := range files {
		if filepath.Base(f) == "berth.yml" {
			continue
		}
		manifest, _ := os.ReadFile(filepath.Join(filepath.Dir(f), "berth.yml"))
		plainHTTP := !strings.Contains(string(manifest), "\ndomain:") && !strings.Contains(string(manifest), "\nedge: cloudfront")
		if plainHTTP && len(manifest) > 0 { // the CI role stack's have none: no listener
			plain[filepath.Dir(f)] = true
		}
		body, _ := os.ReadFile(f)
		// bridge-mode tasks on the environment's load balancer are reached through their
		// instances' group, which the ingress stack opens to it once for every service
		sharedBridge := strings.Contains(string(body), "NetworkMode: bridge") && strings.Contains(string(body), "SharedRule:")
		for _, r := range results(t, f) {
			seen[r.Rule] = true
			if sharedBridge && (r.Rule == "BERTH001" || r.Rule == "BERTH002") && r.Status == Skip {
				continue
			}
			if r.Rule == "BERTH009" && plainHTTP {
				// without a domain berth serves plain HTTP, and says so (on the listener of
				// the service's own load balancer, or on its rule on the environment's)
				if r.Status == Fail {
					plainSaid[filepath.Dir(f)] = true
				}
				continue
			}
			if r.Status != Pass {
				t.Errorf("%s: %s %s: %s %s", f, r.Rule, r.Resource, r.Status, r.Reason)
			}
		}
	}
	for dir := range plain {
		if !plainSaid[dir] {
			t.Errorf("%s: no domain, and BERTH009 does not say that it serves plain HTTP", dir)
		}
	}
	for _, rule := range Rules() {
		if !seen[rule.ID] {
			t.Errorf("%s applied to no resource of the synthesized templates", rule.ID)
		}
	}
}

func TestNotATemplate(t *testing.T) {
	if _, err := Template("x", []byte("just: text\n")); err == nil || !strings.Contains(err.Error(), "no Resources") {
		t.Errorf("got %v", err)
	}
}

// A service on a load balancer that services share takes its listeners and security
// group as parameters, which its Metadata names: its tasks may admit that group (and no
// other parameter), and its rule on the shared HTTP listener forwards plain HTTP (a
// fail, like a listener of its own that does) or redirects to HTTPS.
func TestASharedLoadBalancerIsKnownByTheTemplatesMetadata(t *testing.T) {
	src := func(sg, action string) []byte {
		return []byte(`Metadata:
  berth:
    load_balancer:
      security_group: SharedLoadBalancerSecurityGroup
      listeners: {SharedListener: HTTP}
Parameters:
  SharedLoadBalancerSecurityGroup: {Type: AWS::EC2::SecurityGroup::Id}
  SomeGroup: {Type: AWS::EC2::SecurityGroup::Id}
  SharedListener: {Type: String}
Resources:
  Tasks:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: tasks
      SecurityGroupIngress:
        - {IpProtocol: tcp, FromPort: 8080, ToPort: 8080, SourceSecurityGroupId: !Ref ` + sg + `}
  Rule:
    Type: AWS::ElasticLoadBalancingV2::ListenerRule
    Properties:
      ListenerArn: !Ref SharedListener
      Priority: 10
      Conditions: [{Field: path-pattern, PathPatternConfig: {Values: [/a]}}]
      Actions: [` + action + `]
  Service:
    Type: AWS::ECS::Service
    Properties:
      LoadBalancers: [{ContainerName: a, ContainerPort: 8080, TargetGroupArn: x}]
      NetworkConfiguration: {AwsvpcConfiguration: {SecurityGroups: [!GetAtt Tasks.GroupId]}}
`)
	}
	verdicts := func(data []byte) map[string]Result {
		rs, err := Template("service.yml", data)
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]Result{}
		for _, r := range rs {
			out[r.Rule+" "+r.Resource] = r
		}
		return out
	}
	forward, redirect := "{Type: forward, TargetGroupArn: x}", "{Type: redirect, RedirectConfig: {Protocol: HTTPS, StatusCode: HTTP_301}}"
	rs := verdicts(src("SharedLoadBalancerSecurityGroup", forward))
	if r := rs["BERTH002 Service"]; r.Status != Pass {
		t.Errorf("tasks admitting the shared load balancer's group: %+v", r)
	}
	if r := rs["BERTH009 Rule"]; r.Status != Fail || !strings.Contains(r.Reason, "forwards plain HTTP on the environment's shared HTTP listener") {
		t.Errorf("a rule forwarding plain HTTP: %+v", r)
	}
	rs = verdicts(src("SomeGroup", redirect))
	if r := rs["BERTH002 Service"]; r.Status != Fail || !strings.Contains(r.Reason, "not a load balancer's security group") {
		t.Errorf("tasks admitting another parameter's group: %+v", r)
	}
	if r := rs["BERTH009 Rule"]; r.Status != Pass {
		t.Errorf("a rule redirecting to HTTPS: %+v", r)
	}
	// behind CloudFront the shared load balancer is internal: its rule forwards plain
	// HTTP inside the VPC, the distribution (in the ingress template) serving HTTPS
	internal := strings.Replace(string(src("SharedLoadBalancerSecurityGroup", forward)), "      listeners:", "      scheme: internal\n      edge: cloudfront\n      listeners:", 1)
	if r := verdicts([]byte(internal))["BERTH009 Rule"]; r.Status != Pass {
		t.Errorf("a rule on an internal load balancer behind CloudFront: %+v", r)
	}
	edgeOnly := strings.Replace(internal, "      scheme: internal\n", "", 1)
	if r := verdicts([]byte(edgeOnly))["BERTH009 Rule"]; r.Status != Fail {
		t.Errorf("a rule on a load balancer said to be behind CloudFront but not internal: %+v", r)
	}
}

// A task security group passed in as a parameter cannot be judged from the template:
// the rule says so instead of passing or failing.
func TestTaskIngressSkipsGroupsFromParameters(t *testing.T) {
	src := `Parameters:
  TaskGroup: {Type: String}
Resources:
  Service:
    Type: AWS::ECS::Service
    Properties:
      NetworkConfiguration:
        AwsvpcConfiguration:
          SecurityGroups: [!Ref TaskGroup]
`
	rs, err := Template("x.yml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rs {
		if r.Rule == "BERTH002" && (r.Status != Skip || !strings.Contains(r.Reason, "not defined in this template")) {
			t.Errorf("BERTH002: %s %q", r.Status, r.Reason)
		}
	}
}

// BERTH010 names the variables, never their values, and passes a task definition
// whose Environment only talks about credentials (SECRET_NAME, PASSWORD_MIN_LENGTH) and
// whose secrets are Secrets.
func TestPlainCredentialsAreNamedNotShown(t *testing.T) {
	rs := results(t, filepath.Join("testdata", "bad-secrets.yml"))
	bad := rs["BERTH010 TaskDefinition"]
	for _, v := range []string{"AKIAIOSFODNN7EXAMPLE", "hunter2", "stripe:SecretString"} {
		if strings.Contains(bad.Reason, v) {
			t.Errorf("the reason shows a value (%s): %s", v, bad.Reason)
		}
	}
	for _, n := range []string{"LOG_LEVEL", "TOKEN_TTL", "API_KEY", "SESSION_SECRET"} {
		if strings.Contains(bad.Reason, n) {
			t.Errorf("%s is named, but holds no credential in Environment: %s", n, bad.Reason)
		}
	}
	if r := rs["BERTH010 CleanTaskDefinition"]; r.Status != Pass {
		t.Errorf("CleanTaskDefinition: %s %s", r.Status, r.Reason)
	}
}

// Container definitions that the template does not spell out cannot be judged.
func TestPlainCredentialsSkipsDefinitionsFromParameters(t *testing.T) {
	src := "Parameters:\n  Defs: {Type: String}\nResources:\n  TaskDefinition:\n    Type: AWS::ECS::TaskDefinition\n    Properties:\n      ContainerDefinitions: !Ref Defs\n"
	rs, err := Template("x.yml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rs {
		if r.Rule == "BERTH010" && (r.Status != Skip || !strings.Contains(r.Reason, "not written in the template")) {
			t.Errorf("BERTH010: %s %q", r.Status, r.Reason)
		}
	}
}
