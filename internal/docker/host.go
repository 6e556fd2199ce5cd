package docker

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/docker/cli/cli/config"
	dockercontext "github.com/docker/cli/cli/context"
	"github.com/docker/cli/cli/context/store"
)

// contextHost is where the Docker CLI would reach the engine when DOCKER_HOST is not
// set: the endpoint of the current Docker context ("docker context use", or
// DOCKER_CONTEXT). Colima, Rancher Desktop, OrbStack, and Docker Desktop without its
// default socket are reachable only that way, and the engine client alone knows
// nothing of contexts: tools built on it fail where "docker ps" works
// (tensorchord/envd#1503, abiosoft/colima#468). Empty host: the client's default.
func contextHost() (host, name string, err error) {
	if os.Getenv("DOCKER_HOST") != "" {
		return "", "", nil
	}
	// config.Dir reads DOCKER_CONFIG once per process; read here, it is read every time
	dir := os.Getenv("DOCKER_CONFIG")
	if dir == "" {
		dir = config.Dir()
	}
	name = os.Getenv("DOCKER_CONTEXT")
	if name == "" {
		cf, err := config.Load(dir)
		if err != nil {
			return "", "", nil // no readable CLI configuration: nothing chosen there
		}
		name = cf.CurrentContext
	}
	if name == "" || name == "default" {
		return "", "", nil
	}
	s := store.New(filepath.Join(dir, "contexts"), store.NewConfig(
		func() any { return &map[string]any{} },
		store.EndpointTypeGetter("docker", func() any { return &dockercontext.EndpointMetaBase{} }),
	))
	md, err := s.GetMetadata(name)
	if err != nil {
		return "", name, fmt.Errorf("docker context %q: %w", name, err)
	}
	ep, ok := md.Endpoints["docker"].(dockercontext.EndpointMetaBase)
	if !ok || ep.Host == "" {
		return "", name, fmt.Errorf("docker context %q names no Docker endpoint", name)
	}
	scheme, _, _ := strings.Cut(ep.Host, "://")
	tlsFiles, _ := s.ListTLSFiles(name)
	if scheme == "ssh" || ep.SkipTLSVerify || len(tlsFiles["docker"]) > 0 {
		return "", name, fmt.Errorf("docker context %q reaches the engine at %s with SSH or TLS, which berth does not take from a context: set DOCKER_HOST (with DOCKER_TLS_VERIFY and DOCKER_CERT_PATH for TLS)", name, ep.Host)
	}
	return ep.Host, name, nil
}
