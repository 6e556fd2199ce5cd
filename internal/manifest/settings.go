package manifest

import (
	"fmt"
	"strconv"
)

// The keys that belong to the environment rather than to the service: one network and
// one cluster serve every service deployed to an environment.
var (
	NetworkKeys = []string{"network.cidr", "network.azs", "network.nat", "network.placement", "network.flow_logs", "network.flow_logs_retention",
		"network.vpc", "network.public_subnets", "network.private_subnets"}
	CapacityKeys = []string{"capacity.type", "capacity.instance_type", "capacity.desired", "capacity.max", "capacity.ami", "capacity.volume_size"}
)

// IsEnvironmentKey reports whether key is one of NetworkKeys or CapacityKeys, or for
// a service on the environment's shared load balancer one of IngressKeys.
func (m *Manifest) IsEnvironmentKey(key string) bool {
	keys := append(append([]string{}, NetworkKeys...), CapacityKeys...)
	if m.Shared() {
		keys = append(keys, IngressKeys...)
	}
	for _, k := range keys {
		if k == key {
			return true
		}
	}
	return false
}

// IsSet reports whether the manifest gives key, rather than leaving it to its default.
func (m *Manifest) IsSet(key string) bool {
	_, ok := m.lines[key]
	return ok
}

// Line is the line of key in the manifest, or of the closest parent key it has; 1 when
// the manifest has neither.
func (m *Manifest) Line(key string) int {
	return m.errorf(key, "").(*Error).Line
}

// Setting is the value of an environment key, as text: a list's items sorted and
// separated by commas.
func (m *Manifest) Setting(key string) string {
	if l := m.listField(key); l != nil {
		return listText(*l)
	}
	if key == "load_balancer.waf" {
		return strconv.FormatBool(m.LoadBalancer.WAF)
	}
	s, i := m.settingField(key)
	switch {
	case s != nil:
		return *s
	case i != nil:
		return strconv.Itoa(*i)
	}
	return ""
}

// Settings are the values of keys, as text.
func (m *Manifest) Settings(keys []string) map[string]string {
	out := make(map[string]string, len(keys))
	for _, k := range keys {
		out[k] = m.Setting(k)
	}
	return out
}

// Inherit takes, for every environment key the manifest leaves out, the value the
// deployed environment runs: a service that does not say which instance type it wants
// runs on the environment's. Keys the manifest gives are kept, and the result is
// validated again.
func (m *Manifest) Inherit(deployed map[string]string) error {
	for key, v := range deployed {
		if !m.IsEnvironmentKey(key) || m.IsSet(key) || v == "" {
			continue
		}
		if key == "capacity.ami" && m.IsSet("capacity.instance_type") {
			continue // the default AMI follows the instance type's architecture
		}
		if err := m.SetSetting(key, v); err != nil {
			return fmt.Errorf("the deployed environment records %s = %q, which is not a number", key, v)
		}
	}
	return validate(m)
}

func (m *Manifest) settingField(key string) (*string, *int) {
	switch key {
	case "network.cidr":
		return &m.Network.CIDR, nil
	case "network.azs":
		return nil, &m.Network.AZs
	case "network.nat":
		return &m.Network.NAT, nil
	case "network.placement":
		return &m.Network.Placement, nil
	case "network.flow_logs":
		return &m.Network.FlowLogs, nil
	case "network.flow_logs_retention":
		return nil, &m.Network.FlowLogsRetention
	case "network.vpc":
		return &m.Network.VPC, nil
	case "capacity.type":
		return &m.Capacity.Type, nil
	case "capacity.instance_type":
		return &m.Capacity.InstanceType, nil
	case "capacity.desired":
		return nil, &m.Capacity.Desired
	case "capacity.max":
		return nil, &m.Capacity.Max
	case "capacity.ami":
		return &m.Capacity.AMI, nil
	case "capacity.volume_size":
		return nil, &m.Capacity.VolumeSize
	case "capacity.arch":
		return &m.Capacity.CPUArch, nil
	case "load_balancer.idle_timeout":
		return nil, &m.LoadBalancer.IdleTimeout
	case "load_balancer.access_logs":
		return nil, &m.LoadBalancer.AccessLogs
	case "load_balancer.rate_limit":
		return nil, &m.LoadBalancer.RateLimit
	case "edge":
		return &m.Edge, nil
	}
	return nil, nil
}

// SetSetting sets an environment key from its text, as a deployed environment records it.
func (m *Manifest) SetSetting(key, value string) error {
	if l := m.listField(key); l != nil {
		*l = splitList(value)
		return nil
	}
	if key == "load_balancer.waf" {
		on, err := strconv.ParseBool(value)
		if err != nil {
			return fmt.Errorf("%s = %q is not true or false", key, value)
		}
		m.LoadBalancer.WAF = on
		return nil
	}
	s, i := m.settingField(key)
	switch {
	case s != nil:
		*s = value
	case i != nil:
		n, err := strconv.Atoi(value)
		if err != nil {
			return fmt.Errorf("%s = %q is not a number", key, value)
		}
		*i = n
	default:
		return fmt.Errorf("%s is not an environment key", key)
	}
	return nil
}
