package local

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/berthdev/berth/internal/image"
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
	img, err := image.BuildGo(ctx, image.GoOptions{Dir: dir, Arch: ver.Arch, Port: m.Port, Name: m.Name})
	if err != nil {
		return Image{}, err
	}
	rev := image.Revision(img)
	tag := "berth.local/" + m.Name + ":" + rev
	if _, err := image.Load(ctx, cli, img, tag); err != nil {
		return Image{}, err
	}
	return Image{Ref: tag, Revision: rev}, nil
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
