package main

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// The same files give the same bytes, whatever their order on the command line, their
// modes on disk and the time of the run; entries come out sorted, owned by 0, with the
// given mtime.
func TestReleaseArchivesAreReproducible(t *testing.T) {
	dir := t.TempDir()
	bin, readme := filepath.Join(dir, "berth"), filepath.Join(dir, "README.md")
	os.WriteFile(bin, []byte("binary"), 0o700)
	os.WriteFile(readme, []byte("# berth\n"), 0o666)
	when := "2026-11-26T21:41:00Z"
	for _, ext := range []string{"tar.gz", "zip"} {
		a, b := filepath.Join(dir, "a."+ext), filepath.Join(dir, "b."+ext)
		if err := run(a, when, []string{"berth=" + bin, "README.md=" + readme}); err != nil {
			t.Fatal(err)
		}
		os.Chtimes(bin, time.Now(), time.Now())
		os.Chmod(bin, 0o755)
		if err := run(b, "2026-11-26T22:41:00+01:00", []string{"README.md=" + readme, "berth=" + bin}); err != nil {
			t.Fatal(err)
		}
		x, _ := os.ReadFile(a)
		y, _ := os.ReadFile(b)
		if !bytes.Equal(x, y) {
			t.Errorf("%s: two runs differ", ext)
		}
		want := []struct {
			name string
			mode os.FileMode
		}{{"README.md", 0o644}, {"berth", 0o755}}
		got := entries(t, a)
		if len(got) != len(want) {
			t.Fatalf("%s: entries %v", ext, got)
		}
		for i, w := range want {
			if got[i].name != w.name || got[i].mode != w.mode || !got[i].mtime.Equal(time.Date(2026, 11, 26, 21, 41, 0, 0, time.UTC)) || got[i].uid != 0 {
				t.Errorf("%s: entry %d is %+v, want %s mode %o", ext, i, got[i], w.name, w.mode)
			}
		}
	}
}

func TestPackRefusesBackslashNames(t *testing.T) {
	if err := run(filepath.Join(t.TempDir(), "x.zip"), "2026-11-26T21:41:00Z", []string{`bin\berth.exe=x`}); err == nil {
		t.Error("a backslash name was packed")
	}
}

type got struct {
	name  string
	mode  os.FileMode
	mtime time.Time
	uid   int
}

func entries(t *testing.T, archive string) []got {
	t.Helper()
	var out []got
	if filepath.Ext(archive) == ".zip" {
		zr, err := zip.OpenReader(archive)
		if err != nil {
			t.Fatal(err)
		}
		defer zr.Close()
		for _, f := range zr.File {
			out = append(out, got{f.Name, f.Mode().Perm(), f.Modified, 0})
		}
		return out
	}
	f, err := os.Open(archive)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	if zr.Name != "" || !zr.ModTime.IsZero() {
		t.Errorf("gzip header names %q at %v", zr.Name, zr.ModTime)
	}
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, got{h.Name, os.FileMode(h.Mode).Perm(), h.ModTime, h.Uid + h.Gid})
	}
}
