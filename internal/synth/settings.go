package synth

import "github.com/berthdev/berth/internal/manifest"

// NetworkSettings are the manifest keys the network stack is made from. They are
// recorded in the template's Metadata, so that a later deploy can tell what the
// environment runs without the manifest that made it.
func NetworkSettings(m *manifest.Manifest) map[string]string { return m.Settings(manifest.NetworkKeys) }

// ClusterSettings are the manifest keys the cluster stack is made from.
func ClusterSettings(m *manifest.Manifest) map[string]string {
	return m.Settings(manifest.CapacityKeys)
}
