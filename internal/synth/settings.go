package synth

import (
	"strconv"

	"github.com/berthdev/berth/internal/manifest"
)

// NetworkSettings are the manifest keys the network stack is made from. They are
// recorded in the template's Metadata, so that a later deploy can tell what the
// environment runs without the manifest that made it.
func NetworkSettings(m *manifest.Manifest) map[string]string {
	n := m.Network
	return map[string]string{
		"network.cidr":      n.CIDR,
		"network.azs":       strconv.Itoa(n.AZs),
		"network.nat":       n.NAT,
		"network.placement": n.Placement,
	}
}

// ClusterSettings are the manifest keys the cluster stack is made from.
func ClusterSettings(m *manifest.Manifest) map[string]string {
	c := m.Capacity
	return map[string]string{
		"capacity.type":          c.Type,
		"capacity.instance_type": c.InstanceType,
		"capacity.desired":       strconv.Itoa(c.Desired),
		"capacity.max":           strconv.Itoa(c.Max),
		"capacity.ami":           c.AMI,
		"capacity.volume_size":   strconv.Itoa(c.VolumeSize),
	}
}
