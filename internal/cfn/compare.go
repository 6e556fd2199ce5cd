package cfn

import (
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/berthdev/berth/internal/lazyregexp"
)

// ResourceChange is what an update of a stack does to one resource, as the two
// templates and their parameters tell it: the plan is right even where CloudFormation's
// change set says little (an emulator's, or one of a stack not deployed yet).
type ResourceChange struct {
	Resource   string           `json:"resource"`
	Type       string           `json:"type"`
	Action     string           `json:"action"` // Add, Modify, Remove
	Replaced   bool             `json:"replaced,omitempty"`
	Reason     string           `json:"reason,omitempty"` // why it is replaced, when it follows another
	Properties []PropertyChange `json:"properties,omitempty"`
}

// PropertyChange is one property that changes; Old or New is nil when it is absent.
type PropertyChange struct {
	Path     string `json:"path"` // Port, LaunchTemplateData.InstanceType, ContainerDefinitions[0].Image
	Old      any    `json:"old,omitempty"`
	New      any    `json:"new,omitempty"`
	Replaces bool   `json:"replaces,omitempty"`
}

// replacing lists, per resource type, the properties whose change makes CloudFormation
// replace the resource ("Update requires: Replacement" in the CloudFormation reference),
// for the types berth's templates hold. "*" is every property.
var replacing = map[string][]string{
	"AWS::EC2::VPC":                                 {"CidrBlock", "InstanceTenancy"},
	"AWS::EC2::Subnet":                              {"AvailabilityZone", "AvailabilityZoneId", "CidrBlock", "VpcId"},
	"AWS::EC2::RouteTable":                          {"VpcId"},
	"AWS::EC2::Route":                               {"RouteTableId", "DestinationCidrBlock", "DestinationIpv6CidrBlock"},
	"AWS::EC2::SubnetRouteTableAssociation":         {"SubnetId"},
	"AWS::EC2::EIP":                                 {"Domain"},
	"AWS::EC2::NatGateway":                          {"AllocationId", "SubnetId", "ConnectivityType"},
	"AWS::EC2::InternetGateway":                     {},
	"AWS::EC2::VPCGatewayAttachment":                {"VpcId"},
	"AWS::EC2::SecurityGroup":                       {"GroupDescription", "GroupName", "VpcId"},
	"AWS::EC2::SecurityGroupEgress":                 {"GroupId", "IpProtocol", "FromPort", "ToPort", "CidrIp", "CidrIpv6", "DestinationSecurityGroupId", "DestinationPrefixListId"},
	"AWS::EC2::SecurityGroupIngress":                {"GroupId", "GroupName", "IpProtocol", "FromPort", "ToPort", "CidrIp", "CidrIpv6", "SourceSecurityGroupId", "SourcePrefixListId"},
	"AWS::EC2::LaunchTemplate":                      {"LaunchTemplateName"},
	"AWS::AutoScaling::AutoScalingGroup":            {"AutoScalingGroupName", "InstanceId"},
	"AWS::ECS::Cluster":                             {"ClusterName"},
	"AWS::ECS::CapacityProvider":                    {"Name", "AutoScalingGroupProvider.AutoScalingGroupArn"},
	"AWS::ECS::ClusterCapacityProviderAssociations": {"Cluster"},
	"AWS::ECS::TaskDefinition":                      {"*"}, // every change registers a new revision
	"AWS::ECS::Service":                             {"ServiceName", "Cluster", "LaunchType", "Role", "SchedulingStrategy", "DeploymentController"},
	"AWS::ElasticLoadBalancingV2::LoadBalancer":     {"Name", "Scheme", "Type"},
	"AWS::ElasticLoadBalancingV2::TargetGroup":      {"Name", "Port", "Protocol", "ProtocolVersion", "TargetType", "VpcId", "IpAddressType"},
	"AWS::ElasticLoadBalancingV2::Listener":         {"LoadBalancerArn"},
	"AWS::Logs::LogGroup":                           {"LogGroupName"},
	"AWS::IAM::Role":                                {"RoleName", "Path"},
	"AWS::IAM::InstanceProfile":                     {"InstanceProfileName", "Path"},
	"AWS::ApplicationAutoScaling::ScalableTarget":   {"ResourceId", "ScalableDimension", "ServiceNamespace"},
	"AWS::ApplicationAutoScaling::ScalingPolicy":    {"PolicyName", "ResourceId", "ScalableDimension", "ServiceNamespace", "ScalingTargetId"},
}

// Replaces reports whether a change of the property at path replaces a resource of typ.
func Replaces(typ, path string) bool {
	for _, p := range replacing[typ] {
		if p == "*" || path == p || strings.HasPrefix(path, p+".") || strings.HasPrefix(path, p+"[") {
			return true
		}
	}
	return false
}

// Compare tells what updating a stack from old (with oldParams) to new (with newParams)
// does, resource by resource, in the new template's order (removals last). References
// to parameters are resolved to their values, and conditions on them evaluated, so that
// a parameter change shows where it lands. A resource whose replacing property refers to
// a replaced resource is replaced too.
//
// A resource made under a condition that the parameters make false is not made: it is
// as absent as a resource the template does not have.
func Compare(old, new *Doc, oldParams, newParams map[string]string) []ResourceChange {
	before, after := resolver{old, oldParams}, resolver{new, newParams}
	var out []ResourceChange
	byName := map[string]int{}
	for _, name := range new.Order {
		r := new.Resources[name]
		if !after.made(name) {
			continue
		}
		o, existed := old.Resources[name]
		existed = existed && before.made(name)
		if !existed {
			byName[name] = len(out)
			out = append(out, ResourceChange{Resource: name, Type: r.Type, Action: "Add"})
			continue
		}
		var props []PropertyChange
		diffValues("", before.value(o.Properties), after.value(r.Properties), &props)
		if o.Type != r.Type {
			props = append(props, PropertyChange{Path: "Type", Old: o.Type, New: r.Type, Replaces: true})
		}
		if len(props) == 0 {
			continue
		}
		c := ResourceChange{Resource: name, Type: r.Type, Action: "Modify", Properties: props}
		for i := range c.Properties {
			if c.Properties[i].Path != "Type" {
				c.Properties[i].Replaces = Replaces(r.Type, c.Properties[i].Path)
			}
			c.Replaced = c.Replaced || c.Properties[i].Replaces
		}
		byName[name] = len(out)
		out = append(out, c)
	}
	// what refers to a replaced resource gets the new one: replaced too where the
	// reference is a replacing property, modified otherwise
	for changed := true; changed; {
		changed = false
		for _, name := range new.Order {
			r := new.Resources[name]
			if _, existed := old.Resources[name]; !existed || !before.made(name) || !after.made(name) {
				continue
			}
			i, listed := byName[name]
			if listed && out[i].Replaced {
				continue
			}
			for path, target := range references("", r.Properties) {
				j, ok := byName[target]
				if !ok || !out[j].Replaced {
					continue
				}
				if !listed {
					byName[name], i, listed = len(out), len(out), true
					out = append(out, ResourceChange{Resource: name, Type: r.Type, Action: "Modify"})
				}
				if Replaces(r.Type, path) && !out[i].Replaced {
					out[i].Replaced, out[i].Reason, changed = true, "follows "+target+", which is replaced", true
				} else if out[i].Reason == "" && len(out[i].Properties) == 0 {
					out[i].Reason = "refers to " + target + ", which is replaced"
				}
			}
		}
	}
	for _, name := range old.Order {
		if _, kept := new.Resources[name]; (!kept || !after.made(name)) && before.made(name) {
			out = append(out, ResourceChange{Resource: name, Type: old.Resources[name].Type, Action: "Remove"})
		}
	}
	return out
}

// made reports whether the template makes a resource: it has no condition, or one that
// is true or not known from the parameters.
func (r resolver) made(name string) bool {
	c := r.doc.Resources[name].Condition
	if c == "" {
		return true
	}
	v, known := r.condition(r.doc.Conditions[c])
	return v || !known
}

// resolver puts parameter values into a template's properties.
type resolver struct {
	doc    *Doc
	params map[string]string
}

// param is the value of a parameter: the one passed, else the template's default. A
// list parameter's value is a list.
func (r resolver) param(name string) (any, bool) {
	p, _ := r.doc.Parameters[name].(map[string]any)
	v, ok := r.params[name]
	if !ok {
		d, hasDefault := p["Default"]
		if !hasDefault {
			return nil, false
		}
		v = fmt.Sprint(d)
	}
	if typ, _ := p["Type"].(string); strings.HasPrefix(typ, "List<") || typ == "CommaDelimitedList" {
		return splitList(v), true
	}
	return v, true
}

// splitList reads a list parameter's value: "a,b" as AWS gives it back, or "['a', 'b']"
// as moto does.
func splitList(v string) []any {
	v = strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(v), "["), "]")
	var out []any
	for _, item := range strings.Split(v, ",") {
		if item = strings.Trim(strings.TrimSpace(item), `'"`); item != "" {
			out = append(out, item)
		}
	}
	return out
}

var subVar = lazyregexp.New(`\$\{([^}!]+)\}`)

// value resolves v: parameter references and Fn::If on conditions that can be told.
// AWS::NoValue resolves to nil, which drops the property.
func (r resolver) value(v any) any {
	switch x := v.(type) {
	case map[string]any:
		if ref, ok := x["Ref"].(string); ok && len(x) == 1 {
			if ref == "AWS::NoValue" {
				return nil
			}
			if p, ok := r.param(ref); ok {
				return p
			}
			return x
		}
		if args, ok := x["Fn::If"].([]any); ok && len(x) == 1 && len(args) == 3 {
			if name, ok := args[0].(string); ok {
				if c, known := r.condition(r.doc.Conditions[name]); known {
					if c {
						return r.value(args[1])
					}
					return r.value(args[2])
				}
			}
		}
		if s, ok := x["Fn::Sub"].(string); ok && len(x) == 1 {
			return map[string]any{"Fn::Sub": subVar.ReplaceAllStringFunc(s, func(m string) string {
				if p, ok := r.param(m[2 : len(m)-1]); ok {
					return fmt.Sprint(p)
				}
				return m
			})}
		}
		out := make(map[string]any, len(x))
		for k, e := range x {
			if rv := r.value(e); rv != nil {
				out[k] = rv
			}
		}
		return out
	case []any:
		out := make([]any, 0, len(x))
		for _, e := range x {
			if rv := r.value(e); rv != nil {
				out = append(out, rv)
			}
		}
		return out
	}
	return v
}

// condition evaluates a condition of Fn::Equals, Fn::Not, Fn::And, Fn::Or and
// Condition references over parameters; known is false when it depends on more.
func (r resolver) condition(c any) (value, known bool) {
	m, ok := c.(map[string]any)
	if !ok || len(m) != 1 {
		return false, false
	}
	for fn, arg := range m {
		args, _ := arg.([]any)
		switch fn {
		case "Condition":
			name, _ := arg.(string)
			return r.condition(r.doc.Conditions[name])
		case "Fn::Equals":
			if len(args) != 2 {
				return false, false
			}
			a, b := r.value(args[0]), r.value(args[1])
			if !isScalar(a) || !isScalar(b) {
				return false, false
			}
			return fmt.Sprint(a) == fmt.Sprint(b), true
		case "Fn::Not":
			if len(args) != 1 {
				return false, false
			}
			v, known := r.condition(args[0])
			return !v, known
		case "Fn::And", "Fn::Or":
			all, any := true, false
			for _, a := range args {
				v, known := r.condition(a)
				if !known {
					return false, false
				}
				all, any = all && v, any || v
			}
			if fn == "Fn::And" {
				return all, true
			}
			return any, true
		}
	}
	return false, false
}

func isScalar(v any) bool {
	switch v.(type) {
	case string, int, bool, float64:
		return true
	}
	return false
}

// diffValues records where a and b differ, by path. Lists are compared item by item.
func diffValues(path string, a, b any, out *[]PropertyChange) {
	if equal(a, b) {
		return
	}
	am, aIsMap := a.(map[string]any)
	bm, bIsMap := b.(map[string]any)
	if aIsMap && bIsMap && !intrinsic(am) && !intrinsic(bm) {
		keys := map[string]bool{}
		for k := range am {
			keys[k] = true
		}
		for k := range bm {
			keys[k] = true
		}
		for _, k := range slices.Sorted(maps.Keys(keys)) {
			diffValues(join(path, k), am[k], bm[k], out)
		}
		return
	}
	al, aIsList := a.([]any)
	bl, bIsList := b.([]any)
	if aIsList && bIsList && len(al) == len(bl) {
		for i := range al {
			diffValues(fmt.Sprintf("%s[%d]", path, i), al[i], bl[i], out)
		}
		return
	}
	*out = append(*out, PropertyChange{Path: path, Old: a, New: b})
}

// equal compares resolved values, taking "80" and 80 for the same (CloudFormation
// passes every parameter as a string).
func equal(a, b any) bool {
	if isScalar(a) && isScalar(b) {
		return fmt.Sprint(a) == fmt.Sprint(b)
	}
	return reflect.DeepEqual(a, b)
}

func intrinsic(m map[string]any) bool {
	if len(m) != 1 {
		return false
	}
	for k := range m {
		return k == "Ref" || k == "Condition" || strings.HasPrefix(k, "Fn::")
	}
	return false
}

// references lists, by property path, the resources a property refers to (Ref,
// Fn::GetAtt, ${X} or ${X.Attr} in Fn::Sub).
func references(path string, v any) map[string]string {
	out := map[string]string{}
	var walk func(path string, v any)
	walk = func(path string, v any) {
		switch x := v.(type) {
		case map[string]any:
			if ref, ok := x["Ref"].(string); ok {
				out[path] = ref
				return
			}
			if l, ok := x["Fn::GetAtt"].([]any); ok && len(l) > 0 {
				if s, ok := l[0].(string); ok {
					out[path] = s
				}
				return
			}
			if s, ok := x["Fn::Sub"].(string); ok {
				for _, m := range subVar.FindAllStringSubmatch(s, -1) {
					name, _, _ := strings.Cut(m[1], ".")
					out[path] = name
				}
				return
			}
			for k, e := range x {
				walk(join(path, k), e)
			}
		case []any:
			for i, e := range x {
				walk(path+"["+strconv.Itoa(i)+"]", e)
			}
		}
	}
	walk(path, v)
	return out
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}
