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

// keys are the names of both manifests' env (or secrets, with secrets), sorted.
func keys(a, b *manifest.Manifest, secrets bool) []string {
	seen := map[string]bool{}
	for _, m := range []*manifest.Manifest{a, b} {
		names := m.EnvNames()
		if secrets {
			names = m.SecretNames()
		}
		for _, k := range names {
			seen[k] = true
		}
	}
	return slices.Sorted(maps.Keys(seen))
}
