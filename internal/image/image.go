// Package image turns the manifest's image.build into a container image without a
// registry or a base image: a Go main package is compiled to a static binary and
// assembled in-process with go-containerregistry; a directory with a Dockerfile goes
// through the Docker engine's build.
//
// It builds and knows no registry and no AWS: publishing is package registry's.
package image

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// NonRoot is the user the image runs as (the conventional "nonroot" of distroless).
const NonRoot = 65532

// Kind says how a build directory is built.
type Kind int

// Build kinds.
const (
	GoMain Kind = iota
	Dockerfile
)

// Detect tells how dir is built: a Dockerfile wins over Go sources.
func Detect(dir string) (Kind, error) {
	if _, err := os.Stat(filepath.Join(dir, "Dockerfile")); err == nil {
		return Dockerfile, nil
	}
	matches, _ := filepath.Glob(filepath.Join(dir, "*.go"))
	for _, f := range matches {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err == nil && bytes.Contains(src, []byte("package main")) {
			return GoMain, nil
		}
	}
	return 0, fmt.Errorf("%s has neither a Dockerfile nor a Go main package", dir)
}

// GoOptions describe a Go image build.
type GoOptions struct {
	Dir  string // the main package
	Arch string // GOARCH of the image; the engine's architecture
	Port int    // exposed port
	Name string // service name, for the binary and labels
}

// BuildGo compiles the main package in dir as a static Linux binary and assembles an
// image around it. Unchanged sources give the same image, byte for byte: the Go build
// cache makes the compile a cache hit, and every timestamp in the image is fixed.
func BuildGo(ctx context.Context, o GoOptions) (v1.Image, error) {
	if o.Arch == "" {
		o.Arch = runtime.GOARCH
	}
	tmp, err := os.MkdirTemp("", "berth-build")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	bin := filepath.Join(tmp, "app")
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-ldflags=-s -w -buildid=", "-o", bin, ".")
	cmd.Dir = o.Dir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+o.Arch)
	if out, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("go build %s: %w\n%s", o.Dir, err, strings.TrimSpace(string(out)))
	}
	binary, err := os.ReadFile(bin)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(binary)
	revision := hex.EncodeToString(sum[:])[:12]

	files := []file{
		{"etc/passwd", []byte(fmt.Sprintf("root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:%d:%d:nonroot:/home/nonroot:/sbin/nologin\n", NonRoot, NonRoot)), 0o644},
		{"etc/group", []byte(fmt.Sprintf("root:x:0:\nnonroot:x:%d:\n", NonRoot)), 0o644},
		{"app/" + o.Name, binary, 0o755},
	}
	certs, err := caCertificates()
	if err != nil {
		return nil, err
	}
	files = append(files, file{"etc/ssl/certs/ca-certificates.crt", certs, 0o644})
	layer, err := tarLayer(files)
	if err != nil {
		return nil, err
	}
	img, err := mutate.AppendLayers(mutate.MediaType(empty.Image, types.DockerManifestSchema2), layer)
	if err != nil {
		return nil, err
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cf = cf.DeepCopy()
	cf.Architecture, cf.OS = o.Arch, "linux"
	cf.Created = v1.Time{Time: time.Unix(0, 0).UTC()}
	cf.Config.Entrypoint = []string{"/app/" + o.Name}
	cf.Config.User = strconv.Itoa(NonRoot) + ":" + strconv.Itoa(NonRoot)
	cf.Config.WorkingDir = "/"
	cf.Config.Env = []string{
		"PATH=/app:/usr/local/bin:/usr/bin:/bin",
		"SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt",
		"REVISION=" + revision,
		"PORT=" + strconv.Itoa(o.Port),
	}
	cf.Config.ExposedPorts = map[string]struct{}{strconv.Itoa(o.Port) + "/tcp": {}}
	cf.Config.Labels = map[string]string{
		"org.opencontainers.image.revision": revision,
		"org.opencontainers.image.title":    o.Name,
	}
	return mutate.ConfigFile(img, cf)
}

// Revision is the short revision recorded in an image berth built.
func Revision(img v1.Image) string {
	cf, err := img.ConfigFile()
	if err != nil {
		return ""
	}
	return cf.Config.Labels["org.opencontainers.image.revision"]
}

type file struct {
	name string
	data []byte
	mode int64
}

func tarLayer(files []file) (v1.Layer, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	dirs := map[string]bool{}
	epoch := time.Unix(0, 0).UTC()
	for _, f := range files {
		// path, not filepath: tar names are slash-separated, and filepath.Dir turns
		// "etc/ssl/certs" into etc\ssl\certs on Windows
		for d := path.Dir(f.name); d != "." && !dirs[d]; d = path.Dir(d) {
			dirs[d] = true
		}
	}
	for _, d := range slices.Sorted(maps.Keys(dirs)) { // parents sort before their children
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: d + "/", Mode: 0o755, ModTime: epoch}); err != nil {
			return nil, err
		}
	}
	for _, f := range files {
		hdr := &tar.Header{Typeflag: tar.TypeReg, Name: f.name, Mode: f.mode, Size: int64(len(f.data)), ModTime: epoch}
		if err := tw.WriteHeader(hdr); err != nil {
			return nil, err
		}
		if _, err := tw.Write(f.data); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	data := buf.Bytes()
	return tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(data)), nil
	})
}

// caCertificates reads the host's CA bundle, so that the service can call out over TLS.
func caCertificates() ([]byte, error) {
	for _, p := range []string{"/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt", "/etc/ssl/cert.pem"} {
		if b, err := os.ReadFile(p); err == nil {
			return b, nil
		}
	}
	return nil, errors.New("no CA certificate bundle on this machine (looked in /etc/ssl/certs and /etc/pki); install ca-certificates")
}
