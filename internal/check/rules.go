package check

import (
	"fmt"
	"slices"
	"strings"

	"github.com/berthdev/berth/internal/cfn"
	"github.com/berthdev/berth/internal/secrets"
)

var rules = []Rule{
	{"BERTH001", "ECS tasks get no public IP address, unless their security groups admit only the load balancer (public placement).", tasksNoPublicIP},
	{"BERTH002", "Task security groups accept traffic only from the load balancer's security group, and only on the container port.", taskIngress},
	{"BERTH003", "An internet-facing load balancer is open to the internet only on its listener ports.", loadBalancerIngress},
	{"BERTH004", "EC2 launch templates require IMDSv2 (session tokens).", imdsV2},
	{"BERTH005", "EBS volumes of launch templates and standalone volumes are encrypted.", encryptedVolumes},
	{"BERTH006", "Log groups have a retention period.", logRetention},
	{"BERTH007", "Roles that ECS tasks assume trust only this account's tasks (aws:SourceAccount or aws:SourceArn).", scopedTaskTrust},
	{"BERTH008", "ECS services roll back failed deployments (deployment circuit breaker with rollback).", circuitBreaker},
	{"BERTH009", "An internet-facing load balancer serves HTTPS, and its HTTP listeners only redirect to HTTPS.", httpsOnly},
	{"BERTH010", "Task definitions put nothing that looks like a credential in plain Environment (pass secrets as Secrets, by ARN).", noPlainCredentials},
	{"BERTH011", "The template has the form CloudFormation accepts: no key twice in a mapping, no YAML alias, hash merge or unsupported tag, every resource a mapping with a Type and an alphanumeric logical ID.", wellFormed},
	{"BERTH012", "ECS services behind a load balancer roll back on a CloudWatch alarm, not only on failed health checks (deployment alarms with rollback).", alarmRollback},
	{"BERTH013", "Roles that an OpenID Connect provider's tokens assume require its audience and a subject (aud and sub conditions).", webIdentityTrust},
	{"BERTH014", "CloudFront distributions redirect or refuse plain HTTP on every cache behavior, and with a certificate of their own accept TLS 1.2 or later only.", cloudFrontHTTPS},
}

// wellFormed: a template whose form CloudFormation refuses, or handles in no defined
// way (a key twice keeps one of them, unseen), is not the template that was reviewed.
// Each problem of the form fails at its line (cfn.Problem); a resource with none
// passes.
func wellFormed(d *cfn.Doc) []Result {
	var out []Result
	bad := map[string]bool{}
	for _, p := range d.Problems {
		r := fail(p.Resource, "%s", p.Msg)
		r.Line = p.Line
		out = append(out, r)
		bad[p.Resource] = true
	}
	for _, name := range d.Order {
		if !bad[name] {
			out = append(out, pass(name))
		}
	}
	return out
}

// httpsOnly: a listener of an internet-facing load balancer either terminates TLS or
// answers plain HTTP with a redirect to HTTPS; one that forwards plain HTTP carries
// every request, credentials and tokens included, in the clear. A load balancer that
// services share answers what no rule takes itself (a fixed response), and each
// service's rule on its HTTP listener is judged the same way; such a rule is in the
// service's template, on a listener it takes as a parameter, whose protocol the
// template says (sharedListeners).
func httpsOnly(d *cfn.Doc) []Result {
	var out []Result
	for _, r := range ofType(d, "AWS::ElasticLoadBalancingV2::ListenerRule") {
		p := d.Resources[r].Properties
		switch proto := sharedListeners(d)[target(p["ListenerArn"])]; {
		case proto == "HTTPS":
			out = append(out, pass(r))
		case proto == "HTTP" && redirectsToHTTPS(p["Actions"]):
			out = append(out, pass(r))
		case proto == "HTTP":
			out = append(out, fail(r, "forwards plain HTTP on the environment's shared HTTP listener; serve the service on a domain, and its HTTP requests redirect to HTTPS (berth does with domain: in berth.yml)"))
		}
	}
	for _, l := range ofType(d, "AWS::ElasticLoadBalancingV2::Listener") {
		p := d.Resources[l].Properties
		lb := target(p["LoadBalancerArn"])
		if r, ok := d.Resources[lb]; !ok || r.Type != "AWS::ElasticLoadBalancingV2::LoadBalancer" {
			out = append(out, skip(l, "its load balancer is not in this template"))
			continue
		} else if s, _ := r.Properties["Scheme"].(string); s == "internal" {
			// not on the internet: it passes when an HTTPS edge is its way in
			if dist := httpsEdgeOf(d, lb); dist != "" {
				out = append(out, pass(l))
			}
			continue
		} else if t, _ := r.Properties["Type"].(string); t == "network" || t == "gateway" {
			continue
		}
		switch proto, _ := p["Protocol"].(string); proto {
		case "HTTPS":
			out = append(out, pass(l))
		case "HTTP":
			if redirectsToHTTPS(p["DefaultActions"]) || answersItself(p["DefaultActions"]) {
				out = append(out, pass(l))
			} else {
				out = append(out, fail(l, "serves plain HTTP on port %v; serve HTTPS and redirect HTTP to it (berth does with domain: in berth.yml)", p["Port"]))
			}
		default:
			out = append(out, skip(l, "the protocol is not written in the template"))
		}
	}
	return out
}

// redirectsToHTTPS reports whether a listener's default actions are one redirect to
// HTTPS (rules could still forward some paths in plain HTTP; berth writes none).
func redirectsToHTTPS(actions any) bool {
	as := list(actions)
	if len(as) != 1 {
		return false
	}
	a, _ := as[0].(map[string]any)
	proto, _ := path(a, "RedirectConfig", "Protocol").(string)
	return a["Type"] == "redirect" && proto == "HTTPS"
}

// answersItself reports whether a listener's default actions are one fixed response:
// what no rule takes, the load balancer answers without sending it anywhere.
func answersItself(actions any) bool {
	as := list(actions)
	if len(as) != 1 {
		return false
	}
	a, _ := as[0].(map[string]any)
	return a["Type"] == "fixed-response"
}

// sharedListeners are the listeners of a load balancer that services share, which a
// service's template takes as parameters, by parameter name with their protocol, as
// the template's Metadata says them (berth: load_balancer: listeners).
func sharedListeners(d *cfn.Doc) map[string]string {
	out := map[string]string{}
	ls, _ := path(d.Metadata, "berth", "load_balancer", "listeners").(map[string]any)
	for name, proto := range ls {
		if _, ok := d.Parameters[name]; ok {
			out[name], _ = proto.(string)
		}
	}
	return out
}

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

func imdsV2(d *cfn.Doc) []Result {
	var out []Result
	for _, name := range ofType(d, "AWS::EC2::LaunchTemplate") {
		tokens := path(d.Resources[name].Properties, "LaunchTemplateData", "MetadataOptions", "HttpTokens")
		if tokens == "required" {
			out = append(out, pass(name))
		} else {
			out = append(out, fail(name, "MetadataOptions.HttpTokens is %v: instances accept IMDSv1 (set required)", orUnset(tokens)))
		}
	}
	return out
}

func encryptedVolumes(d *cfn.Doc) []Result {
	var out []Result
	for _, name := range ofType(d, "AWS::EC2::LaunchTemplate", "AWS::EC2::Volume") {
		out = append(out, volumeEncryption(d, name))
	}
	return out
}

func volumeEncryption(d *cfn.Doc, name string) Result {
	props := d.Resources[name].Properties
	if d.Resources[name].Type == "AWS::EC2::Volume" {
		if isTrue(props["Encrypted"]) {
			return pass(name)
		}
		return fail(name, "Encrypted is %v (set true)", orUnset(props["Encrypted"]))
	}
	mappings := list(path(props, "LaunchTemplateData", "BlockDeviceMappings"))
	if len(mappings) == 0 {
		return fail(name, "no BlockDeviceMappings: the root volume's encryption is left to the account default (declare it with Ebs.Encrypted: true)")
	}
	for _, bd := range mappings {
		if ebs := path(bd, "Ebs"); ebs != nil && !isTrue(path(ebs, "Encrypted")) {
			return fail(name, "%v is not encrypted (set Ebs.Encrypted: true)", path(bd, "DeviceName"))
		}
	}
	return pass(name)
}

func logRetention(d *cfn.Doc) []Result {
	var out []Result
	for _, name := range ofType(d, "AWS::Logs::LogGroup") {
		if d.Resources[name].Properties["RetentionInDays"] != nil {
			out = append(out, pass(name))
		} else {
			out = append(out, fail(name, "no RetentionInDays: logs are kept, and billed, forever"))
		}
	}
	return out
}

func scopedTaskTrust(d *cfn.Doc) []Result {
	var out []Result
	for _, name := range ofType(d, "AWS::IAM::Role") {
		statements := list(path(d.Resources[name].Properties, "AssumeRolePolicyDocument", "Statement"))
		trustsTasks, scoped := false, true
		for _, s := range statements {
			if path(s, "Effect") != "Allow" || !mentions(path(s, "Principal", "Service"), "ecs-tasks.amazonaws.com") {
				continue
			}
			trustsTasks = true
			cond := fmt.Sprint(path(s, "Condition"))
			if !strings.Contains(cond, "aws:SourceAccount") && !strings.Contains(cond, "aws:SourceArn") {
				scoped = false
			}
		}
		switch {
		case !trustsTasks:
		case scoped:
			out = append(out, pass(name))
		default:
			out = append(out, fail(name, "trusts ecs-tasks.amazonaws.com without an aws:SourceAccount or aws:SourceArn condition: any account's tasks could use it"))
		}
	}
	return out
}

// webIdentityTrust: a role that trusts an OpenID Connect provider without a sub
// condition, or with one that matches any subject, can be assumed by every token the
// provider issues: for token.actions.githubusercontent.com, by the workflows of every
// repository on GitHub. AWS and GitHub recommend evaluating the sub key in every such
// trust ("Configuring OpenID Connect in Amazon Web Services", docs.github.com).
func webIdentityTrust(d *cfn.Doc) []Result {
	var out []Result
	for _, name := range ofType(d, "AWS::IAM::Role") {
		trusts, problem := false, ""
		for _, s := range list(path(d.Resources[name].Properties, "AssumeRolePolicyDocument", "Statement")) {
			fed := path(s, "Principal", "Federated")
			if path(s, "Effect") != "Allow" || fed == nil || !mentions(path(s, "Action"), "sts:AssumeRoleWithWebIdentity") ||
				!strings.Contains(fmt.Sprint(fed), "oidc-provider/") && !isOIDCProvider(d, target(fed)) {
				continue
			}
			trusts = true
			var aud, sub []string
			conds, _ := path(s, "Condition").(map[string]any)
			for _, byKey := range conds {
				m, _ := byKey.(map[string]any)
				for k, v := range m {
					values := []string{fmt.Sprint(v)}
					if l, ok := v.([]any); ok {
						values = values[:0]
						for _, x := range l {
							values = append(values, fmt.Sprint(x))
						}
					}
					switch {
					case strings.HasSuffix(k, ":aud"):
						aud = append(aud, values...)
					case strings.HasSuffix(k, ":sub"):
						sub = append(sub, values...)
					}
				}
			}
			switch {
			case len(aud) == 0:
				problem = "trusts an OpenID Connect provider without an :aud condition: tokens issued for any audience pass"
			case len(sub) == 0:
				problem = "trusts an OpenID Connect provider without a :sub condition: any repository's or project's jobs could assume it"
			}
			for _, v := range sub {
				// "*", "repo:*", "project_path:*": nothing of the subject is named
				if literal := strings.TrimRight(v, "*?"); literal == "" || strings.Count(literal, ":") == 1 && strings.HasSuffix(literal, ":") {
					problem = fmt.Sprintf("its :sub condition %q matches any subject: any repository's or project's jobs could assume it", v)
				}
			}
		}
		switch {
		case !trusts:
		case problem == "":
			out = append(out, pass(name))
		default:
			out = append(out, fail(name, "%s", problem))
		}
	}
	return out
}

func isOIDCProvider(d *cfn.Doc, name string) bool {
	r, ok := d.Resources[name]
	return ok && r.Type == "AWS::IAM::OIDCProvider"
}

func mentions(v any, want string) bool {
	if s, ok := v.(string); ok {
		return s == want
	}
	for _, x := range list(v) {
		if x == want {
			return true
		}
	}
	return false
}

func circuitBreaker(d *cfn.Doc) []Result {
	var out []Result
	for _, name := range ofType(d, "AWS::ECS::Service") {
		cb := path(d.Resources[name].Properties, "DeploymentConfiguration", "DeploymentCircuitBreaker")
		if isTrue(path(cb, "Enable")) && isTrue(path(cb, "Rollback")) {
			out = append(out, pass(name))
		} else {
			out = append(out, fail(name, "DeploymentCircuitBreaker is not enabled with rollback: a failing deployment keeps replacing tasks"))
		}
	}
	return out
}

// alarmRollback: the circuit breaker stops a release whose tasks fail their health
// checks; one that passes /health and answers 500 to real requests goes to all the
// traffic unless an alarm on what the users get rolls it back ("How CloudWatch alarms
// detect Amazon ECS deployment failures"). Alarms named by Ref must be alarms of the
// template; names written out are taken as they are.
func alarmRollback(d *cfn.Doc) []Result {
	var out []Result
	for _, name := range ofType(d, "AWS::ECS::Service") {
		p := d.Resources[name].Properties
		if len(list(p["LoadBalancers"])) == 0 {
			out = append(out, skip(name, "behind no load balancer"))
			continue
		}
		a := path(p, "DeploymentConfiguration", "Alarms")
		names := list(path(a, "AlarmNames"))
		switch {
		case a == nil:
			out = append(out, fail(name, "DeploymentConfiguration has no Alarms: a release that passes its health checks and fails its users reaches all the traffic"))
			continue
		case !isTrue(path(a, "Enable")) || !isTrue(path(a, "Rollback")):
			out = append(out, fail(name, "deployment alarms are not enabled with rollback (Enable %v, Rollback %v)", orUnset(path(a, "Enable")), orUnset(path(a, "Rollback"))))
			continue
		case len(names) == 0:
			out = append(out, fail(name, "deployment alarms name no alarm"))
			continue
		}
		bad := ""
		for _, n := range names {
			if t := target(n); t != "" {
				if r, ok := d.Resources[t]; !ok || r.Type != "AWS::CloudWatch::Alarm" {
					bad = t
					break
				}
			}
		}
		if bad != "" {
			out = append(out, fail(name, "deployment alarm %s is not a CloudWatch alarm of this template", bad))
		} else {
			out = append(out, pass(name))
		}
	}
	return out
}

func orUnset(v any) any {
	if v == nil {
		return "unset"
	}
	return v
}

// noPlainCredentials: a container's Environment is plain text in the template, the
// task definition, the console and every describe call; a credential there is readable
// by anyone who may read those. A variable is suspect by its name (DB_PASSWORD,
// GITHUB_TOKEN) when it has a value, or by a value that is a credential whatever its
// name (an AWS access key id, a private key, a URL with a password, a dynamic
// reference that CloudFormation resolves into the secret's value). The reason names
// the variables, never their values.
func noPlainCredentials(d *cfn.Doc) []Result {
	var out []Result
	for _, name := range ofType(d, "AWS::ECS::TaskDefinition") {
		containers, ok := d.Resources[name].Properties["ContainerDefinitions"].([]any)
		if !ok {
			out = append(out, skip(name, "ContainerDefinitions are not written in the template"))
			continue
		}
		var found []string
		for _, c := range containers {
			for _, e := range list(path(c, "Environment")) {
				v, _ := path(e, "Name").(string)
				if why := suspect(v, path(e, "Value")); why != "" {
					found = append(found, fmt.Sprintf("%s (%s)", v, why))
				}
			}
		}
		if len(found) == 0 {
			out = append(out, pass(name))
			continue
		}
		out = append(out, fail(name, "Environment holds what looks like a credential: %s; pass it in Secrets (ValueFrom: a parameter's or secret's ARN), which ECS reads when the task starts", strings.Join(found, ", ")))
	}
	return out
}

// suspect says why an Environment entry looks like a credential, or "".
func suspect(name string, value any) string {
	text, literal := plainText(value)
	if literal && text != "" {
		if what, ok := secrets.SuspiciousValue(text); ok {
			return what
		}
	}
	if name != "" && secrets.LooksLikeCredentialName(name) && (!literal || text != "") {
		return "its name"
	}
	return ""
}

// plainText is the text of a value that is written in the template: a string, the
// text of an Fn::Sub, or an Fn::Join of strings. Another intrinsic (a Ref to a
// parameter, say) is not literal; a missing value is the empty literal.
func plainText(v any) (string, bool) {
	switch x := v.(type) {
	case nil:
		return "", true
	case string:
		return x, true
	case int, bool, float64:
		return fmt.Sprint(x), true
	case map[string]any:
		if s, ok := x["Fn::Sub"].(string); ok {
			return s, true
		}
		if args := list(x["Fn::Join"]); len(args) == 2 {
			sep, _ := args[0].(string)
			var parts []string
			for _, p := range list(args[1]) {
				s, ok := p.(string)
				if !ok {
					return "", false
				}
				parts = append(parts, s)
			}
			return strings.Join(parts, sep), true
		}
	}
	return "", false
}
