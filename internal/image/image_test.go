package image

import (
	"archive/tar"
	"context"
	"io"
	"testing"

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
	tr := tar.NewReader(mutate.Extract(first))
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
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
