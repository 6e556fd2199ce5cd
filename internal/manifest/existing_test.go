package manifest

import (
	"reflect"
	"strings"
	"testing"
)

const existingVPC = `name: a
network:
  vpc: vpc-0abc1234def567890
  public_subnets: [subnet-0aaa1111aaaa1111a, subnet-0bbb2222bbbb2222b]
  private_subnets: [subnet-0ccc3333cccc3333c, subnet-0ddd4444dddd4444d]
`

func TestAnExistingVPCParses(t *testing.T) {
	m, err := Parse([]byte(existingVPC), "berth.yml")
	if err != nil {
		t.Fatal(err)
	}
	n := m.Network
	if !n.Imported() || n.VPC != "vpc-0abc1234def567890" || n.Zones() != 2 {
		t.Errorf("network %+v: imported %v, zones %d", n, n.Imported(), n.Zones())
	}
	if want := []string{"subnet-0ccc3333cccc3333c", "subnet-0ddd4444dddd4444d"}; !reflect.DeepEqual(n.TaskSubnets(), want) {
		t.Errorf("tasks in %v, want the private subnets %v", n.TaskSubnets(), want)
	}
	public, err := Parse([]byte("name: a\nnetwork:\n  placement: public\n  vpc: vpc-0abc1234\n  public_subnets: [subnet-0aaa1111, subnet-0bbb2222]\n"), "berth.yml")
	if err != nil {
		t.Fatal(err)
	}
	if got := public.Network.TaskSubnets(); !reflect.DeepEqual(got, public.Network.PublicSubnets) {
		t.Errorf("placement public: tasks in %v, want the public subnets", got)
	}
}

func TestAnExistingVPCIsRecordedAndInherited(t *testing.T) {
	m, err := Parse([]byte(strings.Replace(existingVPC, "[subnet-0aaa1111aaaa1111a, subnet-0bbb2222bbbb2222b]", "[subnet-0bbb2222bbbb2222b, subnet-0aaa1111aaaa1111a]", 1)), "berth.yml")
	if err != nil {
		t.Fatal(err)
	}
	// the same subnets in another order are the same setting
	if got := m.Setting("network.public_subnets"); got != "subnet-0aaa1111aaaa1111a,subnet-0bbb2222bbbb2222b" {
		t.Errorf("public_subnets recorded as %q", got)
	}
	settings := m.Settings([]string{"network.vpc", "network.public_subnets", "network.private_subnets", "network.placement"})

	// a service that leaves the network out runs in the environment's VPC
	other, _ := Parse([]byte("name: b\n"), "berth.yml")
	if err := other.Inherit(settings); err != nil {
		t.Fatal(err)
	}
	if other.Network.VPC != "vpc-0abc1234def567890" || len(other.Network.PrivateSubnets) != 2 || !other.Network.Imported() {
		t.Errorf("inherited network %+v", other.Network)
	}
	if !other.IsEnvironmentKey("network.vpc") || !other.IsEnvironmentKey("network.private_subnets") {
		t.Error("network.vpc and its subnets are not environment keys")
	}
}

func TestInvalidExistingVPCs(t *testing.T) {
	const nets = "  public_subnets: [subnet-0aaa1111, subnet-0bbb2222]\n  private_subnets: [subnet-0ccc3333, subnet-0ddd4444]\n"
	for _, c := range []struct{ name, text, want string }{
		{"vpc id", "name: a\nnetwork:\n  vpc: default\n" + nets, `berth.yml:3: network.vpc: "default" is not a VPC id`},
		{"cidr alongside", "name: a\nnetwork:\n  vpc: vpc-0abc1234\n  cidr: 10.0.0.0/16\n" + nets, `berth.yml:4: network.cidr: does not apply with network.vpc`},
		{"azs alongside", "name: a\nnetwork:\n  azs: 3\n  vpc: vpc-0abc1234\n" + nets, `berth.yml:3: network.azs: does not apply with network.vpc`},
		{"nat alongside", "name: a\nnetwork:\n  vpc: vpc-0abc1234\n  nat: single\n" + nets, `berth.yml:4: network.nat: does not apply with network.vpc`},
		{"flow logs alongside", "name: a\nnetwork:\n  vpc: vpc-0abc1234\n  flow_logs: all\n" + nets, `berth.yml:4: network.flow_logs: does not apply with network.vpc`},
		{"no public subnets", "name: a\nnetwork:\n  vpc: vpc-0abc1234\n  private_subnets: [subnet-0ccc3333, subnet-0ddd4444]\n", `berth.yml:2: network.public_subnets: required with network.vpc: at least two`},
		{"one public subnet", "name: a\nnetwork:\n  vpc: vpc-0abc1234\n  public_subnets: [subnet-0aaa1111]\n  private_subnets: [subnet-0ccc3333, subnet-0ddd4444]\n", `berth.yml:4: network.public_subnets: required with network.vpc: at least two`},
		{"no private subnets", "name: a\nnetwork:\n  vpc: vpc-0abc1234\n  public_subnets: [subnet-0aaa1111, subnet-0bbb2222]\n", `network.private_subnets: required with network.vpc and placement private`},
		{"private with public placement", "name: a\nnetwork:\n  placement: public\n  vpc: vpc-0abc1234\n" + nets, `berth.yml:6: network.private_subnets: applies to placement private only`},
		{"subnet id", "name: a\nnetwork:\n  vpc: vpc-0abc1234\n  public_subnets: [subnet-0aaa1111, sn-2]\n", `berth.yml:4: network.public_subnets[1]: must be a subnet id like subnet-0123456789abcdef0, got "sn-2"`},
		{"subnets not a list", "name: a\nnetwork:\n  vpc: vpc-0abc1234\n  public_subnets: subnet-0aaa1111\n", `berth.yml:4: network.public_subnets: must be a list of subnet ids`},
		{"subnet twice", "name: a\nnetwork:\n  vpc: vpc-0abc1234\n  public_subnets:\n    - subnet-0aaa1111\n    - subnet-0aaa1111\n", `berth.yml:6: network.public_subnets[1]: subnet-0aaa1111 is listed twice`},
		{"public and private", "name: a\nnetwork:\n  vpc: vpc-0abc1234\n  public_subnets: [subnet-0aaa1111, subnet-0bbb2222]\n  private_subnets: [subnet-0ccc3333, subnet-0bbb2222]\n", `network.private_subnets[1]: subnet-0bbb2222 is also in network.public_subnets`},
		{"subnets without vpc", "name: a\nnetwork:\n" + nets, `berth.yml:3: network.public_subnets: applies only with network.vpc`},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse([]byte(c.text), "berth.yml")
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("got %v, want %q", err, c.want)
			}
		})
	}
}

// The starter's comment on an existing VPC works as it says: remove cidr, azs and nat,
// uncomment the three keys with real ids.
func TestTheStartersExistingVPCCommentWorks(t *testing.T) {
	text := Starter
	for _, l := range []string{"  cidr: 10.0.0.0/16\n", "  azs: 2\n"} {
		text = strings.Replace(text, l, "", 1)
	}
	text = strings.Replace(text, "  nat: per-az              # or single: one NAT gateway, cheaper, not zone-redundant\n", "", 1)
	text = strings.Replace(text, "  # vpc: vpc-0123456789abcdef0", "  vpc: vpc-0123456789abcdef0", 1)
	text = strings.Replace(text, "  # public_subnets: [subnet-..., subnet-...]", "  public_subnets: [subnet-0aaa1111, subnet-0bbb2222]", 1)
	text = strings.Replace(text, "  # private_subnets: [subnet-..., subnet-...]", "  private_subnets: [subnet-0ccc3333, subnet-0ddd4444]", 1)
	m, err := Parse([]byte(text), "berth.yml")
	if err != nil || !m.Network.Imported() || len(m.Network.PrivateSubnets) != 2 {
		t.Fatalf("%v\n%s", err, text)
	}
}
