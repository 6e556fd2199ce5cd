package image

import (
	"archive/tar"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"

	"github.com/docker/docker/api/types/build"
	"github.com/docker/docker/client"
	"github.com/docker/docker/pkg/jsonmessage"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
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

// DockerBuild builds dir with its Dockerfile on the engine and tags the result.
func DockerBuild(ctx context.Context, cli *client.Client, dir, tag string, out io.Writer) error {
	pr, pw := io.Pipe()
	go func() { pw.CloseWithError(tarDir(dir, pw)) }()
	resp, err := cli.ImageBuild(ctx, pr, build.ImageBuildOptions{Tags: []string{tag}, Remove: true, Dockerfile: "Dockerfile"})
	if err != nil {
		return fmt.Errorf("docker build %s: %w", dir, err)
	}
	defer resp.Body.Close()
	if err := jsonmessage.DisplayJSONMessagesStream(resp.Body, out, 0, false, nil); err != nil {
		return fmt.Errorf("docker build %s: %w", dir, err)
	}
	return nil
}

// tarDir sends a build context, leaving out what .dockerignore would usually hold.
func tarDir(dir string, w io.Writer) error {
	tw := tar.NewWriter(w)
	err := filepath.Walk(dir, func(path string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		if rel == "." {
			return nil
		}
		if info.IsDir() && (info.Name() == ".git" || info.Name() == "node_modules") {
			return filepath.SkipDir
		}
		hdr, err := tar.FileInfoHeader(info, "")
		if err != nil {
			return err
		}
		hdr.Name = filepath.ToSlash(rel)
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		if !info.Mode().IsRegular() {
			return nil
		}
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		_, err = io.Copy(tw, f)
		return err
	})
	if err != nil {
		return err
	}
	return tw.Close()
}

// FromDockerfile builds dir with the engine and reads the result back as an image that
// can be pushed, with its short id as the tag. The image is held in memory: an API's
// image is tens of megabytes, and nothing is left on disk.
func FromDockerfile(ctx context.Context, cli *client.Client, dir, tag string) (v1.Image, string, error) {
	if err := DockerBuild(ctx, cli, dir, tag, io.Discard); err != nil {
		return nil, "", err
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
