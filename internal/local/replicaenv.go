package local

import (
	"context"
	"maps"
	"slices"

	"github.com/berthdev/berth/internal/manifest"
)

// replicaEnv is Options.ReplicaEnv, or nothing.
func (r *Runner) replicaEnv(ctx context.Context, m *manifest.Manifest) ([]string, error) {
	if r.o.ReplicaEnv == nil {
		return nil, nil
	}
	return r.o.ReplicaEnv(ctx, m)
}

// secretKeys are the secrets' names of both manifests, sorted.
func secretKeys(a, b *manifest.Manifest) []string {
	seen := map[string]bool{}
	for _, m := range []*manifest.Manifest{a, b} {
		for k := range m.Secrets {
			seen[k] = true
		}
	}
	return slices.Sorted(maps.Keys(seen))
}
