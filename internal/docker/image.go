package docker

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/berthdev/berth/internal/image"
	"github.com/berthdev/berth/internal/localtls"
	"github.com/berthdev/berth/internal/manifest"
	dimage "github.com/docker/docker/api/types/image"
	"github.com/docker/docker/client"
	"github.com/docker/docker/pkg/jsonmessage"
	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// Image is what the replicas run.
type Image struct {
	Ref      string // what Docker runs: a tag or an id
	Revision string // short, for messages and labels
	// Unchanged says the build was skipped: nothing it reads changed since the build
	// that made Ref, and the engine still has Ref.
	Unchanged bool
}

// Resolve makes the manifest's image available in the engine: it builds image.build
// (a Go main package in-process, a Dockerfile through the engine) or finds or pulls
// image.location.
func Resolve(ctx context.Context, cli *client.Client, m *manifest.Manifest, out io.Writer) (Image, error) {
	if m.Image.Build == "" {
		return locate(ctx, cli, m.Image.Location)
	}
	dir := m.BuildDir()
	kind, err := image.Detect(dir)
	if err != nil {
		return Image{}, fmt.Errorf("image.build: %w", err)
	}
	if kind == image.Dockerfile {
		tag := "berth.local/" + m.Name + ":latest"
		if err := image.DockerBuild(ctx, cli, dir, tag, "", io.Discard); err != nil {
			return Image{}, err
		}
		return locate(ctx, cli, tag)
	}
	ver, err := cli.ServerVersion(ctx)
	if err != nil {
		return Image{}, fmt.Errorf("ask the Docker engine its architecture: %w", err)
	}
	o := image.GoOptions{Dir: dir, Arch: ver.Arch, Port: m.Port, Name: m.Name}
	inputs := image.GoInputs(o)
	if img, ok := lastBuild(ctx, cli, o, inputs); ok {
		return img, nil
	}
	img, err := image.BuildGo(ctx, o)
	if err != nil {
		return Image{}, err
	}
	rev := image.Revision(img)
	tag := "berth.local/" + m.Name + ":" + rev
	if _, err := image.Load(ctx, cli, img, tag); err != nil {
		return Image{}, err
	}
	built := Image{Ref: tag, Revision: rev}
	rememberBuild(o, inputs, built)
	return built, nil
}

// How says how the image came to be ready, for berth up's line about it.
func (i Image) How() string {
	if i.Unchanged {
		return "unchanged since its last build, ready"
	}
	return "ready"
}

// builds remember, per build directory, the inputs of the last Go build and the image
// it made, so that berth up with nothing changed starts without building.
type buildRecord struct {
	Inputs   string `json:"inputs"`
	Ref      string `json:"ref"`
	Revision string `json:"revision"`
}

func buildRecordPath(o image.GoOptions) (string, error) {
	dir, err := os.UserCacheDir()
	if err != nil {
		return "", err
	}
	abs, err := filepath.Abs(o.Dir)
	if err != nil {
		return "", err
	}
	key := sha256.Sum256([]byte(abs + "\x00" + o.Arch + "\x00" + o.Name))
	return filepath.Join(dir, "berth", "build", hex.EncodeToString(key[:12])+".json"), nil
}

// lastBuild is the image of the last build when its inputs are these, and the engine
// has it still.
func lastBuild(ctx context.Context, cli *client.Client, o image.GoOptions, inputs string) (Image, bool) {
	if inputs == "" {
		return Image{}, false
	}
	path, err := buildRecordPath(o)
	if err != nil || localtls.CheckPrivate(filepath.Dir(path), "build directory", "XDG_CACHE_HOME") != nil {
		return Image{}, false // a record someone else could have written is not believed
	}
	var rec buildRecord
	if b, err := os.ReadFile(path); err != nil || json.Unmarshal(b, &rec) != nil || rec.Inputs != inputs {
		return Image{}, false
	}
	info, _, err := cli.ImageInspectWithRaw(ctx, rec.Ref)
	if err != nil || info.Config == nil || info.Config.Labels["org.opencontainers.image.revision"] != rec.Revision {
		return Image{}, false
	}
	return Image{Ref: rec.Ref, Revision: rec.Revision, Unchanged: true}, true
}

// rememberBuild keeps what a build made, for the next start. A failure to keep it costs
// the next start a build, nothing else.
func rememberBuild(o image.GoOptions, inputs string, img Image) {
	path, err := buildRecordPath(o)
	if inputs == "" || err != nil || os.MkdirAll(filepath.Dir(path), 0o700) != nil {
		return
	}
	b, _ := json.Marshal(buildRecord{Inputs: inputs, Ref: img.Ref, Revision: img.Revision})
	tmp := fmt.Sprintf("%s.%d.tmp", path, os.Getpid())
	if os.WriteFile(tmp, b, 0o600) == nil && os.Rename(tmp, path) != nil {
		os.Remove(tmp)
	}
}

// locate finds an image in the engine, or pulls it.
func locate(ctx context.Context, cli *client.Client, ref string) (Image, error) {
	info, _, err := cli.ImageInspectWithRaw(ctx, ref)
	if err != nil {
		rc, perr := cli.ImagePull(ctx, ref, dimage.PullOptions{})
		if perr == nil {
			perr = jsonmessage.DisplayJSONMessagesStream(rc, io.Discard, 0, false, nil)
			rc.Close()
		}
		if perr != nil {
			return Image{}, fmt.Errorf("image %s is not in the local Docker engine and cannot be pulled: %s", ref, firstLine(perr.Error()))
		}
		if info, _, err = cli.ImageInspectWithRaw(ctx, ref); err != nil {
			return Image{}, err
		}
	}
	return Image{Ref: ref, Revision: strings.TrimPrefix(info.ID, "sha256:")[:12]}, nil
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return s
}

// BuildFor builds image.build for linux on a CPU architecture (amd64, arm64): the
// image a deploy pushes, for the instances it runs on.
func BuildFor(ctx context.Context, m *manifest.Manifest, arch string) (v1.Image, error) {
	kind, err := image.Detect(m.BuildDir())
	if err != nil {
		return nil, fmt.Errorf("image.build: %w", err)
	}
	if kind == image.Dockerfile {
		cli, err := Connect(ctx)
		if err != nil {
			return nil, err
		}
		defer cli.Close()
		img, _, err := image.FromDockerfile(ctx, cli, m.BuildDir(), "berth.local/"+m.Name+":deploy", "linux/"+arch)
		return img, err
	}
	return image.BuildGo(ctx, image.GoOptions{Dir: m.BuildDir(), Arch: arch, Port: m.Port, Name: m.Name})
}
