package synth

import (
	"bytes"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/berthdev/berth/internal/cfn"
	"github.com/berthdev/berth/internal/manifest"
)

var update = flag.Bool("update", false, "rewrite the golden templates in testdata")

var cases = []string{"default", "orders", "all-options", "ec2-public", "fargate", "fargate-single", "fargate-public", "fargate-spot", "fargate-spot-single", "fargate-spot-public", "https", "https-edge", "https-zone-id", "secrets", "permissions-fargate", "permissions-admin", "canary", "linear", "blue-green",
	"existing-vpc", "existing-vpc-public", "existing-vpc-fargate", "existing-vpc-fargate-public", "existing-vpc-spot", "existing-vpc-spot-public", "exec", "exec-fargate", "alarms", "alarms-topic",
	"cloudfront", "cloudfront-domain", "cloudfront-waf",
	"dedicated", "shared-path", "shared-path-users", "shared-host", "shared-domain", "shared-cloudfront", "shared-cloudfront-users"}

func load(t testing.TB, name string) *manifest.Manifest {
	t.Helper()
	m, err := manifest.Load(filepath.Join("testdata", name, "berth.yml"))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestGolden(t *testing.T) {
	for _, name := range cases {
		t.Run(name, func(t *testing.T) {
			m := load(t, name)
			files, err := Render(m)
			if err != nil {
				t.Fatal(err)
			}
			if want := len(StacksOf(m)) + 1; len(files) != want {
				t.Errorf("rendered %d templates, want %d: %v and parent", len(files), want, StacksOf(m))
			}
			for file, got := range files {
				golden := filepath.Join("testdata", name, file)
				if *update {
					if err := os.WriteFile(golden, got, 0o644); err != nil {
						t.Fatal(err)
					}
					continue
				}
				want, err := os.ReadFile(golden)
				if err != nil {
					t.Fatalf("%v (run go test ./internal/synth -update)", err)
				}
				if !bytes.Equal(got, want) {
					t.Errorf("%s differs from %s (run go test ./internal/synth -update and review the diff)", file, golden)
				}
			}
		})
	}
}

func TestDeterministic(t *testing.T) {
	m := load(t, "all-options")
	first, err := Render(m)
	if err != nil {
		t.Fatal(err)
	}
	for range 20 {
		again, _ := Render(m)
		for f := range first {
			if !bytes.Equal(first[f], again[f]) {
				t.Fatalf("%s differs between two renders of the same manifest", f)
			}
		}
	}
}

// TestSystemResources checks that every resource of the reference architecture (docs/architecture.md) is there.
func TestSystemResources(t *testing.T) {
	want := map[Stack][]string{
		Network: {"AWS::EC2::VPC", "AWS::EC2::InternetGateway", "AWS::EC2::VPCGatewayAttachment", "AWS::EC2::Subnet", "AWS::EC2::RouteTable", "AWS::EC2::Route", "AWS::EC2::SubnetRouteTableAssociation", "AWS::EC2::EIP", "AWS::EC2::NatGateway"},
		Cluster: {"AWS::ECS::Cluster", "AWS::EC2::LaunchTemplate", "AWS::AutoScaling::AutoScalingGroup", "AWS::ECS::CapacityProvider", "AWS::ECS::ClusterCapacityProviderAssociations", "AWS::IAM::Role", "AWS::IAM::InstanceProfile", "AWS::EC2::SecurityGroup"},
		Ingress: {"AWS::ElasticLoadBalancingV2::LoadBalancer", "AWS::ElasticLoadBalancingV2::Listener", "AWS::EC2::SecurityGroup"},
		Service: {"AWS::ECS::TaskDefinition", "AWS::ECS::Service", "AWS::ElasticLoadBalancingV2::TargetGroup", "AWS::ElasticLoadBalancingV2::ListenerRule", "AWS::EC2::SecurityGroup", "AWS::Logs::LogGroup"},
	}
	ts := Build(load(t, "default"))
	for stack, types := range want {
		have := types_(ts[stack])
		for _, ty := range types {
			if !slices.Contains(have, ty) {
				t.Errorf("%s template has no %s", stack, ty)
			}
		}
	}
	if n := count(ts[Network], "AWS::EC2::NatGateway"); n != 2 {
		t.Errorf("default network has %d NAT gateways, want one per AZ (2)", n)
	}
	if n := count(ts[Service], "AWS::ApplicationAutoScaling::ScalingPolicy"); n != 0 {
		t.Errorf("a fixed count has %d scaling policies", n)
	}
	if n := count(ts[Service], "AWS::ElasticLoadBalancingV2::LoadBalancer"); n != 0 {
		t.Errorf("a service on the environment's load balancer has %d of its own", n)
	}
	own := Build(load(t, "dedicated"))
	if own[Ingress] != nil || count(own[Service], "AWS::ElasticLoadBalancingV2::LoadBalancer") != 1 || count(own[Service], "AWS::ElasticLoadBalancingV2::Listener") != 1 {
		t.Error("load_balancer.dedicated: true does not give the service a load balancer and listener of its own, and no ingress")
	}
	if bytes.Contains(mustMarshal(t, ts[Cluster]), []byte("AWS::Lambda")) {
		t.Error("the cluster uses Lambda: berth solves the teardown hazard without it")
	}

	all := Build(load(t, "all-options"))
	if n := count(all[Network], "AWS::EC2::NatGateway"); n != 1 {
		t.Errorf("nat: single gave %d NAT gateways", n)
	}
	if n := count(all[Network], "AWS::EC2::Subnet"); n != 6 {
		t.Errorf("azs: 3 gave %d subnets, want 6", n)
	}
	if n := count(all[Service], "AWS::ApplicationAutoScaling::ScalingPolicy"); n != 2 {
		t.Errorf("count with cpu and requests targets gave %d policies, want 2", n)
	}
}

func types_(t *cfn.Template) []string {
	var out []string
	for _, k := range t.Resources.Keys() {
		r, _ := t.Resources.Get(k)
		out = append(out, r.(cfn.Resource).Type)
	}
	return out
}

func count(t *cfn.Template, ty string) int {
	n := 0
	for _, have := range types_(t) {
		if have == ty {
			n++
		}
	}
	return n
}

func mustMarshal(t *testing.T, tpl *cfn.Template) []byte {
	b, err := tpl.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestSubnetCIDRs(t *testing.T) {
	pub, priv := SubnetCIDRs("10.0.0.0/16", 2)
	if strings.Join(pub, " ") != "10.0.0.0/18 10.0.64.0/18" || strings.Join(priv, " ") != "10.0.128.0/18 10.0.192.0/18" {
		t.Errorf("two zones: public %v private %v, want the reference layout", pub, priv)
	}
	pub, priv = SubnetCIDRs("10.20.0.0/16", 3)
	if strings.Join(pub, " ") != "10.20.0.0/19 10.20.32.0/19 10.20.64.0/19" || strings.Join(priv, " ") != "10.20.96.0/19 10.20.128.0/19 10.20.160.0/19" {
		t.Errorf("three zones: public %v private %v", pub, priv)
	}
	pub, _ = SubnetCIDRs("192.168.4.0/24", 2)
	if pub[1] != "192.168.4.64/26" {
		t.Errorf("/24: %v", pub)
	}
}

// TestCfnLint runs cfn-lint on the golden templates: zero findings, warnings included.
func TestCfnLint(t *testing.T) {
	lint, err := exec.LookPath("cfn-lint")
	if err != nil {
		t.Skip("cfn-lint is not installed (pip install cfn-lint); .ci/run installs it")
	}
	// one cfn-lint for every case: it spends most of its time starting (its schemas),
	// and names the file of each finding
	root := t.TempDir()
	var files []string
	for _, name := range cases {
		dir := filepath.Join(root, name)
		rendered, err := Render(load(t, name))
		if err != nil {
			t.Fatal(err)
		}
		os.MkdirAll(dir, 0o755)
		for file, text := range rendered {
			if err := os.WriteFile(filepath.Join(dir, file), text, 0o644); err != nil {
				t.Fatal(err)
			}
			files = append(files, filepath.Join(dir, file))
		}
	}
	out, err := exec.Command(lint, files...).CombinedOutput()
	if err != nil || len(bytes.TrimSpace(out)) > 0 {
		t.Errorf("cfn-lint: %v\n%s", err, out)
	}
}

func BenchmarkRender(b *testing.B) {
	for _, name := range []string{"default", "all-options"} {
		m := load(b, name)
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				if _, err := Render(m); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// IMDS is blocked for tasks, so the region reaches the SDKs in the container only
// through the environment.
func TestEveryContainerKnowsItsRegion(t *testing.T) {
	for _, name := range cases {
		doc, err := cfn.Parse(mustMarshal(t, Build(load(t, name))[Service]))
		if err != nil {
			t.Fatal(err)
		}
		containers, _ := doc.Resources["TaskDefinition"].Properties["ContainerDefinitions"].([]any)
		container, _ := containers[0].(map[string]any)
		env, _ := container["Environment"].([]any)
		got := map[string]any{}
		for _, e := range env {
			kv := e.(map[string]any)
			got[kv["Name"].(string)] = kv["Value"]
		}
		for _, k := range []string{"AWS_REGION", "AWS_DEFAULT_REGION"} {
			if ref, _ := got[k].(map[string]any); ref["Ref"] != "AWS::Region" {
				t.Errorf("%s: %s = %v, want the stack's region", name, k, got[k])
			}
		}
	}
}

// With network.vpc berth creates no network: the cluster and the service take the
// manifest's ids where the network stack's outputs would be, and the cluster records
// the network for the environment's other services.
func TestAnExistingVPCHasNoNetworkStack(t *testing.T) {
	for _, name := range []string{"existing-vpc", "existing-vpc-public", "existing-vpc-fargate"} {
		m := load(t, name)
		ts := Build(m)
		if _, ok := ts[Network]; ok || slices.Contains(StacksOf(m), Network) {
			t.Errorf("%s: there is a network stack", name)
		}
		parent := mustMarshal(t, ts[Parent])
		if bytes.Contains(parent, []byte("network.yml")) || bytes.Contains(parent, []byte("Network.Outputs")) {
			t.Errorf("%s: the parent nests a network stack", name)
		}
		vals := NetworkValues(m)
		if want := strings.Join(slices.Sorted(slices.Values(m.Network.TaskSubnets())), ","); vals[OutTaskSubnets] != want || vals[OutVpcID] != m.Network.VPC {
			t.Errorf("%s: network values %v", name, vals)
		}
		settings := ClusterSettings(m)
		if settings["network.vpc"] != m.Network.VPC || settings["network.public_subnets"] == "" || settings["network.cidr"] != "" {
			t.Errorf("%s: the cluster records %v", name, settings)
		}
		for _, stack := range []Stack{Cluster, Service} {
			if bytes.Contains(mustMarshal(t, ts[stack]), []byte("AWS::EC2::Subnet\n")) {
				t.Errorf("%s: %s creates a subnet", name, stack)
			}
		}
	}
	if NetworkValues(load(t, "default")) != nil {
		t.Error("berth's own network has values of an existing one")
	}
}
