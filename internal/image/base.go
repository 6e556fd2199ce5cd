package image

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/berthdev/berth/internal/lazyregexp"
	"github.com/docker/docker/client"
	"github.com/google/go-containerregistry/pkg/name"
)

// A Dockerfile build pulls its base images (FROM) from their registries unless the
// engine has them: behind a proxy, offline, or without a login, that is where it fails,
// and the engine's error ("lookup registry-1.docker.io: no such host") names neither
// the image nor what to do. Only a Go app builds without a base image.

// BaseImageError says a Dockerfile's base image could not be pulled.
type BaseImageError struct {
	Dir      string
	Image    string // as the Dockerfile names it: python:3.12
	Registry string // docker.io, ghcr.io, ...
	Err      error  // what the engine said
}

func (e *BaseImageError) Error() string {
	return fmt.Sprintf("docker build %s: its base image %s cannot be pulled from %s, and the Docker engine does not have it: %s",
		e.Dir, e.Image, e.Registry, firstLine(e.Err.Error()))
}

// Hint tells the user what to do.
func (e *BaseImageError) Hint() string {
	return fmt.Sprintf("a Dockerfile build pulls its base images: log in if %s needs it (docker login %s); or pull %s where %s is reachable (docker pull %s; docker save and docker load carry it to this engine); or give the engine a registry mirror (registry-mirrors in daemon.json); a Go app needs no base image: remove the Dockerfile and berth builds it",
		e.Registry, e.Registry, e.Image, e.Registry, e.Image)
}

func (e *BaseImageError) Unwrap() error { return e.Err }

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	return s
}

// pullFailure tells the errors of a failed pull from those of a failed build step.
var pullFailure = lazyregexp.New(`(?i)pull access denied|manifest (for .*)?(not found|unknown)|toomanyrequests|unauthorized|` +
	`authentication required|no such host|dial tcp|i/o timeout|TLS handshake|connection refused|registry|` +
	`failed to resolve source metadata|failed to do request|repository does not exist`)

// buildError is the failure err of building dir: a BaseImageError when it is the pull
// of a base image the engine lacks.
func buildError(ctx context.Context, cli *client.Client, dir string, err error) error {
	if pullFailure.MatchString(err.Error()) {
		for _, img := range BaseImages(dir) {
			if _, _, ierr := cli.ImageInspectWithRaw(ctx, img); ierr == nil {
				continue // the engine has it: not what failed
			}
			return &BaseImageError{Dir: dir, Image: img, Registry: Registry(img), Err: err}
		}
	}
	return fmt.Errorf("docker build %s: %w", dir, err)
}

// Registry is the registry an image reference is pulled from, as people name it:
// docker.io for Docker Hub.
func Registry(ref string) string {
	r, err := name.ParseReference(ref)
	if err != nil {
		return "its registry"
	}
	if reg := r.Context().RegistryStr(); reg != name.DefaultRegistry {
		return reg
	}
	return "docker.io"
}

// BaseImages are the images dir's Dockerfile builds from, in order: its FROM lines
// but scratch and earlier stages, with the ARG defaults declared before the first FROM
// put in. A FROM whose image is left to a build argument without a default is skipped.
func BaseImages(dir string) []string {
	f, err := os.Open(filepath.Join(dir, "Dockerfile"))
	if err != nil {
		return nil
	}
	defer f.Close()
	args := map[string]string{}
	stages := map[string]bool{}
	var out []string
	seenFrom := false
	sc := bufio.NewScanner(f)
	var line string
	for sc.Scan() {
		text := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(text, "#") {
			continue
		}
		if cont, ok := strings.CutSuffix(text, `\`); ok {
			line += cont + " "
			continue
		}
		line += text
		fields := strings.Fields(line)
		line = ""
		if len(fields) < 2 {
			continue
		}
		switch strings.ToUpper(fields[0]) {
		case "ARG":
			if k, v, ok := strings.Cut(fields[1], "="); ok && !seenFrom {
				args[k] = strings.Trim(v, `"'`)
			}
		case "FROM":
			seenFrom = true
			rest := fields[1:]
			for len(rest) > 0 && strings.HasPrefix(rest[0], "--") {
				rest = rest[1:] // --platform=...
			}
			if len(rest) == 0 {
				continue
			}
			img := os.Expand(rest[0], func(k string) string { return args[k] })
			if img != "" && !strings.Contains(img, "$") && !strings.EqualFold(img, "scratch") && !stages[strings.ToLower(img)] {
				out = append(out, img)
			}
			if len(rest) >= 3 && strings.EqualFold(rest[1], "AS") {
				stages[strings.ToLower(rest[2])] = true
			}
		}
	}
	return out
}
