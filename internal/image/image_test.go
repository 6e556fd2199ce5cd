package image

import (
	"archive/tar"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	dimage "github.com/docker/docker/api/types/image"
	"github.com/docker/docker/client"

	"github.com/google/go-containerregistry/pkg/v1/mutate"
)

// Unchanged sources give the same image, so that loading it again is a cache hit; the
// image runs as non-root and carries CA certificates.
func TestGoImageIsReproducibleAndNonRoot(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: compiles the example API")
	}
	o := GoOptions{Dir: "../../examples/api", Port: 8080, Name: "api"}
	first, err := BuildGo(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	second, err := BuildGo(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	d1, _ := first.Digest()
	d2, _ := second.Digest()
	if d1 != d2 {
		t.Errorf("two builds of the same sources differ: %s %s", d1, d2)
	}
	cf, _ := first.ConfigFile()
	if cf.Config.User != "65532:65532" || cf.Config.Entrypoint[0] != "/app/api" || cf.OS != "linux" {
		t.Errorf("config %+v", cf.Config)
	}
	if Revision(first) == "" {
		t.Error("no revision label")
	}
	files := map[string]bool{}
	for _, h := range tarHeaders(t, mutate.Extract(first)) {
		files[h.Name] = true
	}
	for _, f := range []string{"app/api", "etc/ssl/certs/ca-certificates.crt", "etc/passwd"} {
		if !files[f] {
			t.Errorf("image lacks %s (has %v)", f, files)
		}
	}
}

func TestDetect(t *testing.T) {
	if k, err := Detect("../../examples/api"); err != nil || k != GoMain {
		t.Errorf("examples/api: %v %v", k, err)
	}
	if _, err := Detect(t.TempDir()); err == nil {
		t.Error("an empty directory was accepted")
	}
}

// A directory with a Dockerfile is built by the engine and read back as a pushable image.
func TestDockerfileImage(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: builds with the Docker engine")
	}
	cli, err := client.NewClientWithOpts(client.FromEnv, client.WithAPIVersionNegotiation())
	if err == nil {
		_, err = cli.Ping(context.Background())
	}
	if err != nil {
		t.Skip("no Docker engine reachable: the Dockerfile build needs one")
	}
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte("FROM scratch\nCOPY hello.txt /hello.txt\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "hello.txt"), []byte("hello\n"), 0o644)
	if k, err := Detect(dir); err != nil || k != Dockerfile {
		t.Fatalf("detect: %v %v", k, err)
	}
	tag := "berth.local/image-test:latest"
	defer cli.ImageRemove(context.Background(), tag, dimage.RemoveOptions{Force: true})
	img, id, err := FromDockerfile(context.Background(), cli, dir, tag, "")
	if err != nil {
		t.Fatal(err)
	}
	layers, err := img.Layers()
	if err != nil || len(layers) != 1 || len(id) != 12 {
		t.Errorf("layers %d, id %q, err %v", len(layers), id, err)
	}

	// for the instances' CPU, whatever the engine's: the engine pulls base images for
	// that platform and labels the result so, even where its build cache holds the same
	// steps built for another platform (the classic builder's cache ignores it)
	for _, arch := range []string{"arm64", "amd64", "arm64"} {
		img, _, err := FromDockerfile(context.Background(), cli, dir, tag, "linux/"+arch)
		if err != nil {
			t.Fatalf("%s: %v", arch, err)
		}
		if cf, err := img.ConfigFile(); err != nil || cf.Architecture != arch || cf.OS != "linux" {
			t.Errorf("built for linux/%s, got %s/%s (%v)", arch, cf.OS, cf.Architecture, err)
		}
	}
}

// The build context is what docker build would send: .dockerignore honoured with
// Docker's own matcher, the Dockerfile and .dockerignore always sent, symlinks kept.
// Before, berth sent .env and secrets/ that .dockerignore keeps out, and failed on
// symlinks.
func TestBuildContextHonoursDockerignore(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"Dockerfile": "FROM scratch\nCOPY . /\n", ".dockerignore": "# secrets stay home\n.env\nsecrets/\n*.log\n!keep.log\nDockerfile\n",
		".env": "DB_PASSWORD=hunter2\n", "secrets/key.pem": "KEY", "app/main.go": "package main", "debug.log": "x", "keep.log": "y",
	}
	for name, content := range files {
		os.MkdirAll(filepath.Join(dir, filepath.Dir(name)), 0o755)
		os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644)
	}
	if err := os.Symlink("app/main.go", filepath.Join(dir, "link.go")); err != nil {
		t.Fatal(err)
	}
	rc, err := Context(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	got := map[string]byte{}
	for _, h := range tarHeaders(t, rc) {
		got[strings.TrimSuffix(h.Name, "/")] = h.Typeflag
	}
	for _, want := range []string{"Dockerfile", ".dockerignore", "app/main.go", "keep.log", "link.go"} {
		if _, ok := got[want]; !ok {
			t.Errorf("the context lacks %s (has %v)", want, got)
		}
	}
	for _, never := range []string{".env", "secrets/key.pem", "secrets", "debug.log"} {
		if _, ok := got[never]; ok {
			t.Errorf("the context holds %s, which .dockerignore excludes", never)
		}
	}
	if got["link.go"] != tar.TypeSymlink {
		t.Errorf("link.go went in as type %c, not as a symlink", got["link.go"])
	}
}

// berth up's secrets file stays out of every build context, at any depth, with no
// .dockerignore and even when one names it with "!".
func TestBuildContextNeverHoldsTheSecretsFile(t *testing.T) {
	for _, ignore := range []string{"", "!berth.secrets.env\n!**/berth.secrets.env\n"} {
		dir := t.TempDir()
		files := map[string]string{"Dockerfile": "FROM scratch\nCOPY . /\n", "berth.secrets.env": "DB_PASSWORD=hunter2\n",
			"sub/deeper/berth.secrets.env": "X=y\n", "berth.yml": "name: a\n", "sub/deeper/keep.txt": "k"}
		if ignore != "" {
			files[".dockerignore"] = ignore
		}
		for name, content := range files {
			os.MkdirAll(filepath.Join(dir, filepath.Dir(name)), 0o755)
			os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600)
		}
		rc, err := Context(dir)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, h := range tarHeaders(t, rc) {
			names = append(names, strings.TrimSuffix(h.Name, "/"))
		}
		rc.Close()
		all := strings.Join(names, " ")
		if strings.Contains(all, "berth.secrets.env") || !strings.Contains(all, "berth.yml") || !strings.Contains(all, "sub/deeper/keep.txt") {
			t.Errorf(".dockerignore %q: the context holds %s", ignore, all)
		}
	}
}

// Tar names are slash-separated wherever berth runs: a backslash, as filepath would
// write on Windows, makes a file named "etc\ssl\certs" in the image instead of a tree.
func TestTarNamesUseSlashes(t *testing.T) {
	check := func(what string, r io.Reader) {
		t.Helper()
		headers := tarHeaders(t, r)
		for _, h := range headers {
			if strings.Contains(h.Name, `\`) {
				t.Errorf("%s: tar entry %q holds a backslash", what, h.Name)
			}
			if h.Typeflag == tar.TypeReg && h.Mode&0o444 != 0o444 {
				t.Errorf("%s: %s has mode %o, not readable by all", what, h.Name, h.Mode)
			}
		}
		if len(headers) == 0 {
			t.Errorf("%s: empty tar", what)
		}
	}

	layer, err := tarLayer([]file{{"etc/ssl/certs/ca-certificates.crt", []byte("x"), 0o644}, {"app/api", []byte("y"), 0o755}})
	if err != nil {
		t.Fatal(err)
	}
	rc, err := layer.Uncompressed()
	if err != nil {
		t.Fatal(err)
	}
	check("image layer", rc)
	rc.Close()

	dir := t.TempDir()
	for _, name := range []string{"Dockerfile", "cmd/api/main.go", "static/css/site.css"} {
		os.MkdirAll(filepath.Join(dir, filepath.Dir(name)), 0o755)
		os.WriteFile(filepath.Join(dir, name), []byte("x"), 0o644)
	}
	ctx, err := Context(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer ctx.Close()
	check("build context", ctx)
}

// tarHeaders reads a whole tar stream and returns its entries' headers.
func tarHeaders(t *testing.T, r io.Reader) []*tar.Header {
	t.Helper()
	var out []*tar.Header
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, h)
	}
}

func TestBaseImagesOfADockerfile(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte(`# syntax=docker/dockerfile:1
ARG PY=3.12
ARG UNSET
FROM --platform=$BUILDPLATFORM golang:1.22 AS build
RUN go build \
  -o /app .
FROM python:${PY}-slim
FROM ${UNSET}
from build AS again
FROM scratch
COPY --from=build /app /app
FROM ghcr.io/acme/base:1
`), 0o644)
	got := strings.Join(BaseImages(dir), " ")
	if want := "golang:1.22 python:3.12-slim ghcr.io/acme/base:1"; got != want {
		t.Errorf("base images %q, want %q", got, want)
	}
	for ref, want := range map[string]string{"python:3.12": "docker.io", "ghcr.io/acme/base:1": "ghcr.io", "localhost:5000/x": "localhost:5000"} {
		if got := Registry(ref); got != want {
			t.Errorf("registry of %s: %s, want %s", ref, got, want)
		}
	}
}
