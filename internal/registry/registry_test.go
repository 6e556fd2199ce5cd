package registry

import (
	"strings"
	"testing"

	"github.com/berthdev/berth/internal/manifest"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
)

func imageFor(t *testing.T, arch string, env ...string) v1.Image {
	t.Helper()
	img, err := mutate.ConfigFile(empty.Image, &v1.ConfigFile{OS: "linux", Architecture: arch, Config: v1.Config{Env: env}})
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// ECR tags are immutable: a tag names exactly one content, so the same image gets the
// same tag on any machine and a different image never reuses one. (Go builds were
// tagged by the binary's hash, while the image also holds the port and CA bundle.)
func TestImagesAreTaggedByContent(t *testing.T) {
	a, _ := ContentTag(imageFor(t, "amd64", "PORT=80"))
	again, _ := ContentTag(imageFor(t, "amd64", "PORT=80"))
	other, _ := ContentTag(imageFor(t, "amd64", "PORT=8080"))
	if a != again || a == other || !strings.HasPrefix(a, "sha256-") || len(a) != len("sha256-")+16 {
		t.Errorf("tags %s %s %s", a, again, other)
	}
}

func TestAnImageForAnotherCPUIsRefused(t *testing.T) {
	m := &manifest.Manifest{Capacity: manifest.Capacity{InstanceType: "c5.xlarge"}}
	if err := CheckArch(imageFor(t, "amd64"), "amd64", m); err != nil {
		t.Errorf("amd64 on c5: %v", err)
	}
	err := CheckArch(imageFor(t, "arm64"), "amd64", m)
	if err == nil || !strings.Contains(err.Error(), "built for linux/arm64, but c5.xlarge instances run linux/amd64") {
		t.Errorf("arm64 on c5: %v", err)
	}
}
