package synth

import (
	"slices"

	"github.com/berthdev/berth/internal/manifest"
)

// NetworkSettings are the manifest keys the network stack is made from. They are
// recorded in the template's Metadata, so that a later deploy can tell what the
// environment runs without the manifest that made it.
func NetworkSettings(m *manifest.Manifest) map[string]string {
	keys := slices.DeleteFunc(slices.Clone(manifest.NetworkKeys), func(k string) bool {
		switch k {
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
// the type, since AWS chooses the machines.
func ClusterSettings(m *manifest.Manifest) map[string]string {
	if m.Capacity.IsFargate() {
		return m.Settings([]string{"capacity.type"})
	}
	return m.Settings(manifest.CapacityKeys)
}
