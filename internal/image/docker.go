package image

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/berthdev/berth/internal/secrets"
	"github.com/docker/docker/api/types/build"
	"github.com/docker/docker/client"
	"github.com/docker/docker/pkg/jsonmessage"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/moby/go-archive"
	"github.com/moby/patternmatcher"
	"github.com/moby/patternmatcher/ignorefile"
)

// Load puts img into the Docker engine under tag, unless the engine has it already: the
// image ID is the config digest, so an unchanged build is a cache hit and costs nothing.
// It reports whether it loaded anything.
func Load(ctx context.Context, cli *client.Client, img v1.Image, tag string) (bool, error) {
	id, err := img.ConfigName()
	if err != nil {
		return false, err
	}
	if have, _, err := cli.ImageInspectWithRaw(ctx, id.String()); err == nil {
		if slices.Contains(have.RepoTags, tag) {
			return false, nil
		}
		return false, cli.ImageTag(ctx, id.String(), tag)
	}
	ref, err := name.NewTag(tag)
	if err != nil {
		return false, err
	}
	pr, pw := io.Pipe()
	go func() { pw.CloseWithError(tarball.Write(ref, img, pw)) }()
	resp, err := cli.ImageLoad(ctx, pr)
	if err != nil {
		pr.CloseWithError(err)
		return false, fmt.Errorf("load image into Docker: %w", err)
	}
	defer resp.Body.Close()
	if err := jsonmessage.DisplayJSONMessagesStream(resp.Body, io.Discard, 0, false, nil); err != nil {
		return false, fmt.Errorf("load image into Docker: %w", err)
	}
	return true, nil
}

// DockerBuild builds dir with its Dockerfile on the engine for platform (linux/amd64,
// say; "" for the engine's own) and tags the result.
func DockerBuild(ctx context.Context, cli *client.Client, dir, tag, platform string, out io.Writer) error {
	return dockerBuild(ctx, cli, dir, tag, platform, false, out)
}

func dockerBuild(ctx context.Context, cli *client.Client, dir, tag, platform string, noCache bool, out io.Writer) error {
	buildCtx, err := Context(dir)
	if err != nil {
		return fmt.Errorf("docker build %s: %w", dir, err)
	}
	defer buildCtx.Close()
	resp, err := cli.ImageBuild(ctx, buildCtx, build.ImageBuildOptions{Tags: []string{tag}, Remove: true, Dockerfile: "Dockerfile",
		Platform: platform, NoCache: noCache})
	if err != nil {
		return buildError(ctx, cli, dir, err)
	}
	defer resp.Body.Close()
	if err := jsonmessage.DisplayJSONMessagesStream(resp.Body, out, 0, false, nil); err != nil {
		return buildError(ctx, cli, dir, err)
	}
	return nil
}

// Context is the build context "docker build" would send for dir: without what
// .dockerignore excludes, matched by the same library the Docker CLI uses, with the
// Dockerfile and .dockerignore kept even where excluded (as the CLI keeps them), and
// symlinks sent as symlinks. A .env or secrets/ that the user keeps out of their images
// must never reach one through berth; berth's own secrets file (secrets.File) never
// does, at any depth, without a .dockerignore or despite one.
//
// On Windows the archive library writes slash-separated names and, as Windows has no
// exec bit to read, gives every file 0755: what "docker build" sends from Windows too,
// so that an entrypoint script runs as it does when the user builds it themselves.
func Context(dir string) (io.ReadCloser, error) {
	excludes, err := dockerignore(dir)
	if err != nil {
		return nil, err
	}
	for _, always := range []string{".dockerignore", "Dockerfile"} {
		if out, _ := patternmatcher.MatchesOrParentMatches(always, excludes); out {
			excludes = append(excludes, "!"+always)
		}
	}
	// last, so that no "!" pattern of the user's brings it back
	excludes = append(excludes, secrets.File, "**/"+secrets.File)
	return archive.TarWithOptions(dir, &archive.TarOptions{ExcludePatterns: excludes, ChownOpts: &archive.ChownOpts{UID: 0, GID: 0}})
}

func dockerignore(dir string) ([]string, error) {
	f, err := os.Open(filepath.Join(dir, ".dockerignore"))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	patterns, err := ignorefile.ReadAll(f)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", f.Name(), err)
	}
	return patterns, nil
}

// FromDockerfile builds dir with the engine and reads the result back as an image that
// can be pushed, with its short id as the tag. The image is held in memory: an API's
// image is tens of megabytes, and nothing is left on disk.
func FromDockerfile(ctx context.Context, cli *client.Client, dir, tag, platform string) (v1.Image, string, error) {
	if err := DockerBuild(ctx, cli, dir, tag, platform, io.Discard); err != nil {
		return nil, "", err
	}
	// the classic builder's cache does not key on the platform: a step built for another
	// one is reused as is, so a mismatch is built once more without the cache
	if _, arch, ok := strings.Cut(platform, "/"); ok {
		if info, _, err := cli.ImageInspectWithRaw(ctx, tag); err == nil && info.Architecture != arch {
			if err := dockerBuild(ctx, cli, dir, tag, platform, true, io.Discard); err != nil {
				return nil, "", err
			}
		}
	}
	rc, err := cli.ImageSave(ctx, []string{tag})
	if err != nil {
		return nil, "", fmt.Errorf("read image %s from Docker: %w", tag, err)
	}
	defer rc.Close()
	data, err := io.ReadAll(rc)
	if err != nil {
		return nil, "", fmt.Errorf("read image %s from Docker: %w", tag, err)
	}
	ref, err := name.NewTag(tag)
	if err != nil {
		return nil, "", err
	}
	img, err := tarball.Image(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil }, &ref)
	if err != nil {
		return nil, "", err
	}
	id, err := img.ConfigName()
	if err != nil {
		return nil, "", err
	}
	return img, id.Hex[:12], nil
}
