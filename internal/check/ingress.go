package check

import (
	"fmt"
	"slices"

	"github.com/berthdev/berth/internal/cfn"
)

// tasksNoPublicIP: a task with a public address is reachable from the internet unless
// its security groups admit only the load balancer. The public placement variant gives
// Fargate tasks an address on purpose (to reach the internet without NAT) and keeps
// them behind the load balancer that way, so that passes; an open group does not.
func tasksNoPublicIP(d *cfn.Doc) []Result {
	var out []Result
	lbGroups := loadBalancerGroups(d)
	for _, name := range ofType(d, "AWS::ECS::Service") {
		cfg := path(d.Resources[name].Properties, "NetworkConfiguration", "AwsvpcConfiguration")
		switch ip := path(cfg, "AssignPublicIp"); {
		case cfg == nil && d.Resources[target(d.Resources[name].Properties["TaskDefinition"])].Properties["NetworkMode"] == "bridge":
			// bridge-mode tasks have their instance's address: what counts is what reaches it
			if r := serviceIngress(d, name, lbGroups); r.Status == Fail {
				out = append(out, fail(name, "bridge-mode tasks on instances with a public address: %s", r.Reason))
			} else {
				out = append(out, Result{Resource: name, Status: r.Status, Reason: r.Reason})
			}
		case cfg == nil:
			out = append(out, skip(name, "no awsvpc network configuration: the tasks' addresses are not set here"))
		case ip == nil || ip == "DISABLED":
			out = append(out, pass(name))
		default:
			if r := serviceIngress(d, name, lbGroups); r.Status == Pass {
				out = append(out, pass(name))
			} else {
				out = append(out, fail(name, "AssignPublicIp is %v and the tasks' groups do not admit the load balancer only (%s): the tasks would be reachable without it", ip, r.Reason))
			}
		}
	}
	return out
}

// ingressRules gathers a security group's ingress: inline rules and the separate
// AWS::EC2::SecurityGroupIngress resources that attach to it.
func ingressRules(d *cfn.Doc, group string) []map[string]any {
	var out []map[string]any
	for _, r := range list(d.Resources[group].Properties["SecurityGroupIngress"]) {
		if m, ok := r.(map[string]any); ok {
			out = append(out, m)
		}
	}
	for _, name := range ofType(d, "AWS::EC2::SecurityGroupIngress") {
		p := d.Resources[name].Properties
		if target(p["GroupId"]) == group || target(p["GroupName"]) == group {
			out = append(out, p)
		}
	}
	return out
}

// portRange renders a rule's protocol and ports and reports whether it is exactly
// TCP on one of the allowed ports.
func portRange(rule map[string]any, allowed []int) (string, bool) {
	proto := fmt.Sprint(rule["IpProtocol"])
	from, okFrom := number(rule["FromPort"])
	to, okTo := number(rule["ToPort"])
	desc := fmt.Sprintf("%s %v-%v", proto, rule["FromPort"], rule["ToPort"])
	if proto == "-1" || proto == "all" {
		return "every protocol and port", false
	}
	if (proto != "tcp" && proto != "6") || !okFrom || !okTo || from != to {
		return desc, false
	}
	return desc, slices.Contains(allowed, from)
}

// loadBalancerGroups are the security groups of the template's load balancers, and the
// one of a load balancer that services share, which a service's template takes as a
// parameter and names in its Metadata (berth: load_balancer: security_group): its own
// ingress is judged in the template that makes it (BERTH003).
func loadBalancerGroups(d *cfn.Doc) map[string]bool {
	groups := map[string]bool{}
	if sg, _ := path(d.Metadata, "berth", "load_balancer", "security_group").(string); sg != "" {
		if _, ok := d.Parameters[sg]; ok {
			groups[sg] = true
		}
	}
	for _, lb := range ofType(d, "AWS::ElasticLoadBalancingV2::LoadBalancer") {
		for _, sg := range list(d.Resources[lb].Properties["SecurityGroups"]) {
			if t := target(sg); t != "" {
				groups[t] = true
			}
		}
	}
	return groups
}

func taskIngress(d *cfn.Doc) []Result {
	var out []Result
	lbGroups := loadBalancerGroups(d)
	for _, name := range ofType(d, "AWS::ECS::Service") {
		out = append(out, serviceIngress(d, name, lbGroups))
	}
	return out
}

// serviceIngress judges the ingress rules of one service's task security groups.
func serviceIngress(d *cfn.Doc, service string, lbGroups map[string]bool) Result {
	props := d.Resources[service].Properties
	var ports []int
	for _, lb := range list(props["LoadBalancers"]) {
		if p, ok := number(path(lb, "ContainerPort")); ok {
			ports = append(ports, p)
		}
	}
	groups := list(path(props, "NetworkConfiguration", "AwsvpcConfiguration", "SecurityGroups"))
	if len(groups) == 0 {
		if td := d.Resources[target(props["TaskDefinition"])]; td.Properties["NetworkMode"] == "bridge" {
			return bridgeIngress(d, service, td, lbGroups)
		}
		return skip(service, "no task security groups in the template")
	}
	for _, g := range groups {
		sg := target(g)
		if d.Resources[sg].Type != "AWS::EC2::SecurityGroup" {
			return skip(service, "security group %v is not defined in this template", g)
		}
		for _, rule := range ingressRules(d, sg) {
			desc, onPort := portRange(rule, ports)
			switch {
			case rule["CidrIp"] != nil || rule["CidrIpv6"] != nil || rule["SourcePrefixListId"] != nil:
				return fail(service, "%s admits an address range (%v) on %s", sg, firstOf(rule, "CidrIp", "CidrIpv6", "SourcePrefixListId"), desc)
			case !lbGroups[target(rule["SourceSecurityGroupId"])]:
				return fail(service, "%s admits %v, which is not a load balancer's security group", sg, rule["SourceSecurityGroupId"])
			case !onPort:
				return fail(service, "%s admits the load balancer on %s, not only the container port", sg, desc)
			}
		}
	}
	return pass(service)
}

// bridgeIngress judges a bridge-mode service, whose containers listen on ports of their
// instance: every rule the template adds to a group it takes as a parameter (the
// instances' group) must admit a load balancer's group only, on the containers' host
// ports: the dynamic range (32768-65535 at most) for host port 0, else that port.
func bridgeIngress(d *cfn.Doc, service string, td cfn.ParsedResource, lbGroups map[string]bool) Result {
	var fixed []int
	dynamic := false
	for _, c := range list(td.Properties["ContainerDefinitions"]) {
		for _, pm := range list(path(c, "PortMappings")) {
			if hp, ok := number(path(pm, "HostPort")); ok && hp != 0 {
				fixed = append(fixed, hp)
			} else {
				dynamic = true
			}
		}
	}
	judged := 0
	for _, name := range ofType(d, "AWS::EC2::SecurityGroupIngress") {
		p := d.Resources[name].Properties
		if _, defined := d.Resources[target(p["GroupId"])]; defined {
			continue // a group of this template: not the instances'
		}
		judged++
		from, okFrom := number(p["FromPort"])
		to, okTo := number(p["ToPort"])
		proto := fmt.Sprint(p["IpProtocol"])
		switch {
		case p["CidrIp"] != nil || p["CidrIpv6"] != nil || p["SourcePrefixListId"] != nil:
			return fail(service, "%s admits an address range (%v) to the instances", name, firstOf(p, "CidrIp", "CidrIpv6", "SourcePrefixListId"))
		case !lbGroups[target(p["SourceSecurityGroupId"])]:
			return fail(service, "%s admits %v to the instances, which is not a load balancer's security group", name, p["SourceSecurityGroupId"])
		case (proto != "tcp" && proto != "6") || !okFrom || !okTo:
			return fail(service, "%s admits %s %v-%v, not the containers' host ports", name, proto, p["FromPort"], p["ToPort"])
		case dynamic && from >= 32768 && to <= 65535 && from <= to:
		case from == to && slices.Contains(fixed, from):
		default:
			return fail(service, "%s admits the load balancer on %d-%d, not only the containers' host ports", name, from, to)
		}
	}
	if judged == 0 {
		return skip(service, "bridge-mode tasks take traffic on their instances' group, to which this template adds no rule")
	}
	return pass(service)
}

func firstOf(m map[string]any, keys ...string) any {
	for _, k := range keys {
		if v, ok := m[k]; ok {
			return v
		}
	}
	return nil
}

func loadBalancerIngress(d *cfn.Doc) []Result {
	var out []Result
	for _, lb := range ofType(d, "AWS::ElasticLoadBalancingV2::LoadBalancer") {
		if s, _ := d.Resources[lb].Properties["Scheme"].(string); s != "internal" {
			out = append(out, internetIngress(d, lb))
		}
	}
	return out
}

// internetIngress judges what an internet-facing load balancer's groups admit from
// address ranges, against its listeners' ports.
func internetIngress(d *cfn.Doc, lb string) Result {
	var listenerPorts []int
	for _, l := range ofType(d, "AWS::ElasticLoadBalancingV2::Listener") {
		lp := d.Resources[l].Properties
		if target(lp["LoadBalancerArn"]) == lb {
			if p, ok := number(lp["Port"]); ok {
				listenerPorts = append(listenerPorts, p)
			}
		}
	}
	for _, g := range list(d.Resources[lb].Properties["SecurityGroups"]) {
		sg := target(g)
		if d.Resources[sg].Type != "AWS::EC2::SecurityGroup" {
			continue
		}
		for _, rule := range ingressRules(d, sg) {
			cidr := firstOf(rule, "CidrIp", "CidrIpv6")
			if cidr == nil {
				continue // from another group, not from the internet
			}
			if desc, ok := portRange(rule, listenerPorts); !ok {
				return fail(lb, "%s admits %v on %s; listener ports are %v", sg, cidr, desc, listenerPorts)
			}
		}
	}
	return pass(lb)
}
