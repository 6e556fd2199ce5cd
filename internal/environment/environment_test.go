package environment

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/berthdev/berth/internal/stacks"

	"github.com/berthdev/berth/internal/names"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/aws/smithy-go"
	"github.com/berthdev/berth/internal/manifest"
)

// stacksCF holds stacks by name, as DescribeStacks and GetTemplate answer for them.
type stacksCF struct {
	stacks.CloudFormation
	stacks    []types.Stack
	templates map[string]string
	listings  int // DescribeStacks without a name: the account's every stack
}

func (f *stacksCF) DescribeStacks(_ context.Context, in *cloudformation.DescribeStacksInput, _ ...func(*cloudformation.Options)) (*cloudformation.DescribeStacksOutput, error) {
	if in.StackName == nil {
		f.listings++
		return &cloudformation.DescribeStacksOutput{Stacks: f.stacks}, nil
	}
	for _, s := range f.stacks {
		if aws.ToString(s.StackName) == *in.StackName {
			return &cloudformation.DescribeStacksOutput{Stacks: []types.Stack{s}}, nil
		}
	}
	return nil, &smithy.GenericAPIError{Code: "ValidationError", Message: "Stack with id " + *in.StackName + " does not exist"}
}

func (f *stacksCF) GetTemplate(_ context.Context, in *cloudformation.GetTemplateInput, _ ...func(*cloudformation.Options)) (*cloudformation.GetTemplateOutput, error) {
	return &cloudformation.GetTemplateOutput{TemplateBody: aws.String(f.templates[*in.StackName])}, nil
}

func stack(name string, tags ...string) types.Stack {
	s := types.Stack{StackName: aws.String(name), StackStatus: types.StackStatusCreateComplete}
	for i := 0; i+1 < len(tags); i += 2 {
		s.Tags = append(s.Tags, types.Tag{Key: aws.String(tags[i]), Value: aws.String(tags[i+1])})
	}
	return s
}

// A deployment made when service stacks were named berth-<env>-<service> keeps working:
// the old stack is found and kept, and the environment's own stacks (which an older
// berth tagged with the service that deployed them) are not mistaken for services.
func TestServiceStacksOfAnOlderBerthAreFound(t *testing.T) {
	cf := &stacksCF{stacks: []types.Stack{
		stack("berth-dev-network", names.TagEnv, "dev", names.TagService, "api"),
		stack("berth-dev-cluster", names.TagEnv, "dev", names.TagService, "api"),
		stack("berth-dev-api", names.TagEnv, "dev", names.TagService, "api"),
		stack("berth-dev-svc-web", names.TagEnv, "dev", names.TagService, "web", names.TagStack, "service"),
		stack("berth-prod-svc-api", names.TagEnv, "prod", names.TagService, "api", names.TagStack, "service"),
		stack("someone-elses", names.TagEnv, "dev"),
	}, templates: map[string]string{
		"berth-dev-network": "Resources:\n  VPC:\n    Type: AWS::EC2::VPC\n    Properties:\n      CidrBlock: 10.9.0.0/16\n  PublicSubnet1:\n    Type: AWS::EC2::Subnet\n  PublicSubnet2:\n    Type: AWS::EC2::Subnet\n",
	}}
	c := &Clients{CF: cf}
	e, err := c.Read(context.Background(), "dev")
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(e.ServiceNames(), ","); got != "api,web" {
		t.Errorf("services %s, want api,web", got)
	}
	if e.Network == nil || e.Cluster == nil || e.Settings["network.cidr"] != "10.9.0.0/16" || e.Settings["network.azs"] != "2" {
		t.Errorf("environment %+v", e)
	}
	name, st, err := c.ServiceStack(context.Background(), "dev", "api")
	if err != nil || name != "berth-dev-api" || st == nil {
		t.Errorf("legacy service stack: %s %v %v", name, st, err)
	}
	if name, st, _ := c.ServiceStack(context.Background(), "dev", "network"); name != "berth-dev-svc-network" || st != nil {
		t.Errorf("a service named network got %s (%v): the environment's network stack", name, st)
	}
}

// A CI role stack (berth ci role) is the environment's, listed with it, and never taken
// for a service: it holds no service, and a delete of the last service must not wait
// for one that never goes.
func TestCIRoleStacksAreListedAndNoService(t *testing.T) {
	ci := names.CIStack("dev", "github", "acme/orders")
	cf := &stacksCF{stacks: []types.Stack{
		stack("berth-dev-svc-web", names.TagEnv, "dev", names.TagService, "web", names.TagStack, "service"),
		stack(ci, names.TagEnv, "dev", names.TagStack, names.CIPart, names.TagCI, "github:acme/orders"),
		stack(names.CIStack("prod", "github", "acme/orders"), names.TagEnv, "prod", names.TagStack, names.CIPart),
	}}
	e, err := (&Clients{CF: cf}).Read(context.Background(), "dev")
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(e.ServiceNames(), ","); got != "web" {
		t.Errorf("services %s, want web", got)
	}
	if len(e.CI) != 1 || e.CI[ci] == nil {
		t.Errorf("CI stacks %v, want %s", e.CI, ci)
	}
}

func TestEnvironmentKeysAreInheritedOrRefused(t *testing.T) {
	e := &Environment{Name: "dev", Network: &stacks.Stack{}, Cluster: &stacks.Stack{}, Services: map[string]*stacks.Stack{"web": {}},
		Settings: map[string]string{"network.cidr": "10.9.0.0/16", "network.azs": "3", "capacity.instance_type": "m7i.large", "capacity.max": "40"}}
	parse := func(text string) *manifest.Manifest {
		m, err := manifest.Parse([]byte(text), "berth.yml")
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	m, err := ForEnvironment(parse("name: api\n"), e, false)
	if err != nil {
		t.Fatal(err)
	}
	if m.Network.CIDR != "10.9.0.0/16" || m.Network.AZs != 3 || m.Capacity.InstanceType != "m7i.large" || m.Capacity.Max != 40 {
		t.Errorf("inherited %+v %+v", m.Network, m.Capacity)
	}
	_, err = ForEnvironment(parse("name: api\ncapacity:\n  instance_type: c6i.large\n"), e, false)
	if err == nil || !manifest.IsManifestError(err) || !strings.Contains(err.Error(), "berth.yml:3: capacity.instance_type") {
		t.Errorf("a shared key changed without --update-env: %v", err)
	}
	if m, err := ForEnvironment(parse("name: api\ncapacity:\n  instance_type: c6i.large\n"), e, true); err != nil || m.Capacity.InstanceType != "c6i.large" {
		t.Errorf("--update-env: %v", err)
	}
	// the only service may change its environment's capacity
	alone := *e
	alone.Services = map[string]*stacks.Stack{"api": {}}
	if _, err := ForEnvironment(parse("name: api\ncapacity:\n  instance_type: c6i.large\n"), &alone, false); err != nil {
		t.Errorf("the environment's only service: %v", err)
	}
}

// An environment in an existing VPC has no network stack: its cluster's template records
// the network, every service of it runs there, and a service naming another VPC, other
// subnets while services run, or the keys of berth's own network, is refused.
func TestAnExistingNetworkIsRecordedAndShared(t *testing.T) {
	const vpc = "vpc-0abc1234def567890"
	cf := &stacksCF{stacks: []types.Stack{
		stack("berth-dev-cluster", names.TagEnv, "dev", names.TagStack, "cluster"),
		stack("berth-dev-svc-web", names.TagEnv, "dev", names.TagService, "web", names.TagStack, "service"),
	}, templates: map[string]string{
		"berth-dev-cluster": "Metadata:\n  berth:\n    settings:\n      capacity.type: fargate\n      network.placement: private\n      network.vpc: " + vpc +
			"\n      network.public_subnets: subnet-0aaa1111,subnet-0bbb2222\n      network.private_subnets: subnet-0ccc3333,subnet-0ddd4444\nResources:\n  Cluster:\n    Type: AWS::ECS::Cluster\n",
	}}
	e, err := (&Clients{CF: cf}).Read(context.Background(), "dev")
	if err != nil {
		t.Fatal(err)
	}
	x := e.Existing()
	if e.Network != nil || x == nil || x.VPC != vpc || strings.Join(x.PrivateSubnets, " ") != "subnet-0ccc3333 subnet-0ddd4444" {
		t.Fatalf("environment %+v, existing %+v", e, x)
	}
	if got := x.String(); got != "the existing VPC "+vpc+", public subnets subnet-0aaa1111, subnet-0bbb2222, private subnets subnet-0ccc3333, subnet-0ddd4444" {
		t.Errorf("described as %q", got)
	}
	parse := func(text string) *manifest.Manifest {
		m, err := manifest.Parse([]byte(text), "berth.yml")
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	m, err := ForEnvironment(parse("name: api\ncapacity:\n  type: fargate\n"), e, false)
	if err != nil {
		t.Fatal(err)
	}
	if !m.Network.Imported() || m.Network.VPC != vpc || len(m.Network.PublicSubnets) != 2 {
		t.Errorf("a service that leaves the network out runs in %+v", m.Network)
	}
	// the same network, subnets in another order, is no disagreement
	same := "name: api\ncapacity:\n  type: fargate\nnetwork:\n  vpc: " + vpc + "\n  public_subnets: [subnet-0bbb2222, subnet-0aaa1111]\n  private_subnets: [subnet-0ddd4444, subnet-0ccc3333]\n"
	if _, err := ForEnvironment(parse(same), e, false); err != nil {
		t.Errorf("the environment's own network: %v", err)
	}
	for _, c := range []struct{ name, text, want string }{
		{"another VPC", strings.Replace(same, vpc, "vpc-0fff9999", 1), "berth.yml:5: network.vpc: the environment dev runs in the existing VPC " + vpc + " and this manifest names vpc-0fff9999"},
		{"other subnets while a service runs", strings.Replace(same, "subnet-0ddd4444, ", "subnet-0eee5555, ", 1), "berth.yml:7: network.private_subnets: the environment dev runs subnet-0ccc3333,subnet-0ddd4444 and this manifest says subnet-0ccc3333,subnet-0eee5555, and service(s) web run in it"},
		{"berth's own network's keys", "name: api\ncapacity:\n  type: fargate\nnetwork:\n  cidr: 10.1.0.0/16\n", "berth.yml:5: network.cidr: the environment dev runs in the existing VPC " + vpc + ", which berth did not create"},
	} {
		_, err := ForEnvironment(parse(c.text), e, true)
		if err == nil || !manifest.IsManifestError(err) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", c.name, err, c.want)
		}
	}
	// an environment in berth's own network cannot move into an existing VPC
	own := &Environment{Name: "dev", Network: &stacks.Stack{Name: "berth-dev-network"}, Cluster: &stacks.Stack{}, Settings: map[string]string{"network.cidr": "10.0.0.0/16"}}
	if _, err := ForEnvironment(parse(same), own, true); err == nil || !strings.Contains(err.Error(), "berth.yml:5: network.vpc: the environment dev runs in the VPC berth created for it (stack berth-dev-network)") {
		t.Errorf("into an existing VPC: %v", err)
	}
}

// A deploy reads its environment by name; it lists the account's stacks (to find the
// other services) only when the manifest sets an environment key to another value, the
// one case where the other services matter.
func TestADeployListsNoStacksUnlessAnEnvironmentKeyDiffers(t *testing.T) {
	network := "Metadata:\n  berth:\n    settings:\n      network.cidr: 10.9.0.0/16\n      network.azs: 2\nResources:\n  VPC:\n    Type: AWS::EC2::VPC\n"
	cf := &stacksCF{stacks: []types.Stack{
		stack("berth-dev-network", names.TagEnv, "dev"),
		stack("berth-dev-cluster", names.TagEnv, "dev"),
		stack("berth-dev-svc-web", names.TagEnv, "dev", names.TagService, "web", names.TagStack, "service"),
		stack("berth-prod-network", names.TagEnv, "prod"),
	}, templates: map[string]string{"berth-dev-network": network}}
	c := &Clients{CF: cf}
	parse := func(text string) *manifest.Manifest {
		m, err := manifest.Parse([]byte(text), "berth.yml")
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	e, err := c.ReadFor(context.Background(), "dev", parse("name: api\nnetwork:\n  cidr: 10.9.0.0/16\n"))
	if err != nil || e.Network == nil || e.Cluster == nil || e.Settings["network.azs"] != "2" {
		t.Fatalf("%+v %v", e, err)
	}
	if cf.listings != 0 || len(e.Services) != 0 {
		t.Errorf("%d listing(s) of every stack for a manifest that agrees with its environment (services %v)", cf.listings, e.ServiceNames())
	}
	e, err = c.ReadFor(context.Background(), "dev", parse("name: api\nnetwork:\n  azs: 3\n"))
	if err != nil || cf.listings != 1 || strings.Join(e.ServiceNames(), ",") != "web" {
		t.Errorf("a differing key: %d listing(s), services %v, %v", cf.listings, e.ServiceNames(), err)
	}
	if _, err := ForEnvironment(parse("name: api\nnetwork:\n  azs: 3\n"), e, false); err == nil || !strings.Contains(err.Error(), "service(s) web run in it") {
		t.Errorf("the check that needs the services: %v", err)
	}
	if e, err := c.ReadShared(context.Background(), "prod"); err != nil || e.Network == nil || e.Cluster != nil || cf.listings != 1 {
		t.Errorf("prod: %+v %v (%d listings)", e, err, cf.listings)
	}
}

// The environment's load balancer is one of its parts, read by name like the network
// and the cluster; its settings are inherited by the services on it, and refused
// without --update-env where another service shares it. A service named ingress that an
// older berth deployed as berth-<env>-ingress stays a service.
func TestTheSharedLoadBalancerIsAPartOfTheEnvironment(t *testing.T) {
	withRoute := func(s types.Stack) types.Stack {
		s.Outputs = []types.Output{{OutputKey: aws.String("Route"), OutputValue: aws.String("/orders")}}
		return s
	}
	cf := &stacksCF{stacks: []types.Stack{
		stack("berth-dev-cluster", names.TagEnv, "dev", names.TagStack, "cluster"),
		stack("berth-dev-ingress", names.TagEnv, "dev", names.TagStack, "ingress"),
		withRoute(stack("berth-dev-svc-orders", names.TagEnv, "dev", names.TagService, "orders", names.TagStack, "service")),
		stack("berth-dev-svc-legacy", names.TagEnv, "dev", names.TagService, "legacy", names.TagStack, "service"),
		stack("berth-qa-ingress", names.TagEnv, "qa", names.TagService, "ingress"), // an older berth's service named ingress
	}, templates: map[string]string{
		"berth-dev-ingress": "Metadata:\n  berth:\n    settings:\n      load_balancer.idle_timeout: \"60\"\n      load_balancer.waf: \"true\"\n      load_balancer.rate_limit: \"500\"\n      load_balancer.access_logs: \"0\"\nResources:\n  LoadBalancer:\n    Type: AWS::ElasticLoadBalancingV2::LoadBalancer\n",
	}}
	c := &Clients{CF: cf}
	e, err := c.Read(context.Background(), "dev")
	if err != nil {
		t.Fatal(err)
	}
	if e.Ingress == nil || e.Settings["load_balancer.waf"] != "true" || strings.Join(e.Shared(), ",") != "orders" || strings.Join(e.ServiceNames(), ",") != "legacy,orders" {
		t.Fatalf("environment %+v, shared %v", e, e.Shared())
	}
	if qa, _ := c.Read(context.Background(), "qa"); qa.Ingress != nil || strings.Join(qa.ServiceNames(), ",") != "ingress" {
		t.Errorf("qa: ingress %v, services %v", qa.Ingress, qa.ServiceNames())
	}
	parse := func(text string) *manifest.Manifest {
		m, err := manifest.Parse([]byte(text), "berth.yml")
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	m, err := ForEnvironment(parse("name: users\nload_balancer:\n  path: /users\n"), e, false)
	if err != nil || !m.LoadBalancer.WAF || m.LoadBalancer.RateLimit != 500 || m.LoadBalancer.IdleTimeout != 60 {
		t.Errorf("inherited %+v %v", m.LoadBalancer, err)
	}
	own, err := ForEnvironment(parse("name: users\nload_balancer:\n  dedicated: true\n"), e, false)
	if err != nil || own.LoadBalancer.WAF || own.LoadBalancer.IdleTimeout != 30 {
		t.Errorf("a load balancer of its own inherited %+v %v", own.LoadBalancer, err)
	}
	_, err = ForEnvironment(parse("name: users\nload_balancer:\n  idle_timeout: 120\n"), e, false)
	if err == nil || !strings.Contains(err.Error(), "berth.yml:3: load_balancer.idle_timeout: the load balancer of environment dev runs 60 and this manifest says 120, and service(s) orders share it") {
		t.Errorf("changed under another service: %v", err)
	}
	if m, err := ForEnvironment(parse("name: users\nload_balancer:\n  idle_timeout: 120\n"), e, true); err != nil || m.LoadBalancer.IdleTimeout != 120 {
		t.Errorf("--update-env: %v", err)
	}
	if _, err := ForEnvironment(parse("name: orders\nload_balancer:\n  waf: false\n"), e, false); err != nil {
		t.Errorf("the only service on it changes it: %v", err)
	}
}

// edge is a key of the environment's load balancer: a service on it takes the
// environment's, and one that asks for another is refused while services are on it,
// --update-env or not (the load balancer would be replaced under them). An ingress
// stack that records no edge has none.
func TestTheEdgeOfTheSharedLoadBalancerIsTheEnvironments(t *testing.T) {
	withRoute := func(s types.Stack) types.Stack {
		s.Outputs = []types.Output{{OutputKey: aws.String("Route"), OutputValue: aws.String("/orders")}}
		return s
	}
	parse := func(text string) *manifest.Manifest {
		m, err := manifest.Parse([]byte(text), "berth.yml")
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	for _, tc := range []struct{ recorded, other, want string }{
		{"      edge: cloudfront\n", "none", "berth.yml:2: edge: the load balancer of environment dev has edge cloudfront and this manifest says none, and service(s) orders are on it"},
		{"", "cloudfront", "berth.yml:2: edge: the load balancer of environment dev has edge none and this manifest says cloudfront, and service(s) orders are on it"},
	} {
		cf := &stacksCF{stacks: []types.Stack{
			stack("berth-dev-cluster", names.TagEnv, "dev", names.TagStack, "cluster"),
			stack("berth-dev-ingress", names.TagEnv, "dev", names.TagStack, "ingress"),
			withRoute(stack("berth-dev-svc-orders", names.TagEnv, "dev", names.TagService, "orders", names.TagStack, "service")),
		}, templates: map[string]string{
			"berth-dev-ingress": "Metadata:\n  berth:\n    settings:\n      load_balancer.idle_timeout: \"30\"\n" + tc.recorded + "Resources:\n  LoadBalancer:\n    Type: AWS::ElasticLoadBalancingV2::LoadBalancer\n",
		}}
		c := &Clients{CF: cf}
		e, err := c.ReadFor(context.Background(), "dev", parse("name: users\nedge: "+tc.other+"\nload_balancer:\n  path: /users\n"))
		if err != nil {
			t.Fatal(err)
		}
		for _, updateEnv := range []bool{false, true} {
			_, err := ForEnvironment(parse("name: users\nedge: "+tc.other+"\nload_balancer:\n  path: /users\n"), e, updateEnv)
			var h interface{ Hint() string }
			if err == nil || !strings.Contains(err.Error(), tc.want) || !errors.As(err, &h) || !strings.Contains(h.Hint(), "load_balancer.dedicated: true") {
				t.Errorf("--update-env %v: %v", updateEnv, err)
			}
		}
		m, err := ForEnvironment(parse("name: users\nload_balancer:\n  path: /users\n"), e, false)
		if err != nil || m.CloudFront() != (tc.recorded != "") || !m.Shared() {
			t.Errorf("left out: %v, edge %s", err, m.Edge)
		}
		if own, err := ForEnvironment(parse("name: users\nedge: "+tc.other+"\nload_balancer:\n  dedicated: true\n"), e, false); err != nil || own.Edge != tc.other {
			t.Errorf("dedicated: %v", err)
		}
	}
}
