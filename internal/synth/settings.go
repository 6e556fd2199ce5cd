package synth

import (
	"maps"
	"slices"

	"github.com/berthdev/berth/internal/manifest"
)

// NetworkSettings are the manifest keys the network is made from: of berth's own, or
// of an existing VPC (network.vpc, its subnets, the placement). They are recorded in a
// template's Metadata, so that a later deploy can tell what the environment runs
// without the manifest that made it.
func NetworkSettings(m *manifest.Manifest) map[string]string {
	keys := slices.DeleteFunc(slices.Clone(manifest.NetworkKeys), func(k string) bool {
		if m.Network.Imported() {
			return slices.Contains(manifest.OwnNetworkKeys, k) || k == "network.private_subnets" && m.Network.Public()
		}
		switch k {
		case "network.vpc", "network.public_subnets", "network.private_subnets":
			return true
		case "network.nat": // no NAT gateway to say anything of
			return m.Network.Public()
		case "network.flow_logs", "network.flow_logs_retention": // recorded when on only, as before they existed
			return !m.Network.FlowLogsOn()
		}
		return false
	})
	return m.Settings(keys)
}

// ClusterSettings are the manifest keys the cluster stack is made from: on Fargate only
// the type, since AWS chooses the machines. With an existing VPC there is no network
// stack to record the network, and the cluster records it: every service deployed to
// the environment then finds the VPC and subnets it runs in (environment.Read).
func ClusterSettings(m *manifest.Manifest) map[string]string {
	keys := manifest.CapacityKeys
	if m.Capacity.IsFargate() {
		keys = []string{"capacity.type"}
	}
	out := m.Settings(keys)
	if m.Network.Imported() {
		maps.Copy(out, NetworkSettings(m))
	}
	return out
}
