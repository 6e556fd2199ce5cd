package image

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// maxInputFiles bounds the walk of a module: past it, the build just runs.
const maxInputFiles = 50_000

// GoInputs is a fingerprint of everything a Go image build reads: every file of the
// module that holds the main package (path, size and modification time, as berth up
// --watch tells a change), the go command, the Go environment, the CA bundle, berth
// itself, and the options. Equal fingerprints give the same image, so a caller that
// kept the image of one can skip the build: "go build -o" links the binary anew each
// time, a second or more on a laptop, even when every package is in its cache.
//
// It is "" when berth cannot see every input, and the build must run: no go.mod, a
// replace directive or a go.work that brings in a directory outside the module, a
// module too large to walk.
func GoInputs(o GoOptions) string {
	dir, err := filepath.Abs(o.Dir)
	if err != nil {
		return ""
	}
	root := moduleRoot(dir)
	if root == "" || localReplace(filepath.Join(root, "go.mod")) || workspace(root) {
		return ""
	}
	h := sha256.New()
	fmt.Fprintf(h, "berth image inputs 1\ndir %s\narch %s\nport %d\nname %s\n", dir, o.Arch, o.Port, o.Name)
	goCmd, err := exec.LookPath("go")
	if err != nil {
		return ""
	}
	self, _ := os.Executable()
	for _, f := range []string{goCmd, self, "/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt", "/etc/ssl/cert.pem"} {
		stamp(h, f)
	}
	for _, k := range []string{"GOROOT", "GOFLAGS", "GOEXPERIMENT", "GOTOOLCHAIN", "GOENV", "GOAMD64", "GOARM64", "GOARM", "GO386", "GOWORK", "GODEBUG"} {
		fmt.Fprintf(h, "env %s=%s\n", k, os.Getenv(k))
	}
	if cfg, err := os.UserConfigDir(); err == nil {
		stamp(h, filepath.Join(cfg, "go", "env")) // what "go env -w" set
	}
	n := 0
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && d.Name() == ".git" {
			return filepath.SkipDir
		}
		if n++; n > maxInputFiles {
			return fs.SkipAll
		}
		if !d.IsDir() {
			stamp(h, p)
		}
		return nil
	})
	if err != nil || n > maxInputFiles {
		return ""
	}
	return hex.EncodeToString(h.Sum(nil))
}

func stamp(h hash.Hash, path string) {
	info, err := os.Stat(path)
	if err != nil {
		fmt.Fprintf(h, "%s none\n", path)
		return
	}
	fmt.Fprintf(h, "%s %d %d %v\n", path, info.Size(), info.ModTime().UnixNano(), info.Mode())
}

// moduleRoot is the directory of the go.mod that holds dir, "" when none does.
func moduleRoot(dir string) string {
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}

// localReplace reports a go.mod that replaces a module with a directory, whose files
// the walk of the module would not see (or a go.mod it cannot read).
func localReplace(gomod string) bool {
	data, err := os.ReadFile(gomod)
	if err != nil {
		return true
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		_, target, ok := strings.Cut(sc.Text(), "=>")
		if !ok {
			continue
		}
		fields := strings.Fields(target)
		if len(fields) == 0 {
			continue
		}
		t := fields[0]
		if strings.HasPrefix(t, ".") || filepath.IsAbs(t) || strings.HasPrefix(t, "/") || strings.Contains(t, `\`) {
			return true
		}
	}
	return false
}

// workspace reports a go.work that the go command would use for root.
func workspace(root string) bool {
	switch w := os.Getenv("GOWORK"); {
	case w == "off":
		return false
	case w != "":
		return true
	}
	for dir := root; ; {
		if _, err := os.Stat(filepath.Join(dir, "go.work")); err == nil {
			return true
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return false
		}
		dir = parent
	}
}
