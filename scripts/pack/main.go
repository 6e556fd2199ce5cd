// Command pack writes a release archive whose bytes depend only on the files packed and
// one timestamp: entries sorted by name, owner 0, fixed modes, every mtime the commit
// time, and a gzip header without name or time. scripts/release.sh runs it.
//
//	go run ./scripts/pack -o berth_v1.0.0_linux_amd64.tar.gz -mtime 2026-11-26T21:41:00Z berth=dist/bin/berth README.md=README.md
//
// An archive ending in .zip is a zip (what Windows users open without extra tools),
// anything else a .tar.gz. It is Go rather than tar and zip because GNU tar's --sort and
// --mtime are missing from macOS's bsdtar and zip stamps local time and extra fields
// that vary by version; the standard library gives the same bytes wherever the same
// Go toolchain runs.
package main

import (
	"archive/tar"
	"archive/zip"
	"compress/flate"
	"compress/gzip"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path"
	"slices"
	"strings"
	"time"
)

// entry is one file in the archive: its name there and where to read it.
type entry struct {
	name, src string
	mode      int64
}

func main() {
	out := flag.String("o", "", "the archive to write (.tar.gz or .zip)")
	mtime := flag.String("mtime", "", "every entry's modification time, RFC 3339")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: pack -o ARCHIVE -mtime RFC3339 NAME=PATH...")
		flag.PrintDefaults()
	}
	flag.Parse()
	if err := run(*out, *mtime, flag.Args()); err != nil {
		fmt.Fprintln(os.Stderr, "pack:", err)
		os.Exit(1)
	}
}

func run(out, mtime string, args []string) error {
	if out == "" || len(args) == 0 {
		return errors.New("need -o ARCHIVE and at least one NAME=PATH")
	}
	when, err := time.Parse(time.RFC3339, mtime)
	if err != nil {
		return fmt.Errorf("-mtime: %w", err)
	}
	var entries []entry
	for _, a := range args {
		name, src, ok := strings.Cut(a, "=")
		if !ok || name == "" || src == "" || path.IsAbs(name) || strings.Contains(name, "\\") {
			return fmt.Errorf("%q: want NAME=PATH with a relative, slash-separated NAME", a)
		}
		entries = append(entries, entry{name: name, src: src, mode: modeOf(name)})
	}
	slices.SortFunc(entries, func(a, b entry) int { return strings.Compare(a.name, b.name) })
	f, err := os.Create(out)
	if err != nil {
		return err
	}
	write := writeTarGz
	if strings.HasSuffix(out, ".zip") {
		write = writeZip
	}
	if err := write(f, entries, when.UTC()); err != nil {
		f.Close()
		os.Remove(out)
		return fmt.Errorf("%s: %w", out, err)
	}
	return f.Close()
}

// modeOf gives the program an executable mode and every other file a plain one,
// whatever the files' modes where the release was built (Windows has no exec bit).
func modeOf(name string) int64 {
	if base := path.Base(name); base == "berth" || base == "berth.exe" {
		return 0o755
	}
	return 0o644
}

func writeTarGz(w io.Writer, entries []entry, when time.Time) error {
	// no Name and a zero ModTime: the header says nothing about where or when it ran
	zw, err := gzip.NewWriterLevel(w, gzip.BestCompression)
	if err != nil {
		return err
	}
	tw := tar.NewWriter(zw)
	for _, e := range entries {
		data, err := os.ReadFile(e.src)
		if err != nil {
			return err
		}
		hdr := &tar.Header{
			Typeflag: tar.TypeReg,
			Name:     e.name,
			Mode:     e.mode,
			Size:     int64(len(data)),
			ModTime:  when,
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		if _, err := tw.Write(data); err != nil {
			return err
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	return zw.Close()
}

func writeZip(w io.Writer, entries []entry, when time.Time) error {
	zw := zip.NewWriter(w)
	zw.RegisterCompressor(zip.Deflate, func(w io.Writer) (io.WriteCloser, error) {
		return flate.NewWriter(w, flate.BestCompression)
	})
	for _, e := range entries {
		data, err := os.ReadFile(e.src)
		if err != nil {
			return err
		}
		hdr := &zip.FileHeader{Name: e.name, Method: zip.Deflate, Modified: when}
		hdr.SetMode(os.FileMode(e.mode))
		fw, err := zw.CreateHeader(hdr)
		if err != nil {
			return err
		}
		if _, err := fw.Write(data); err != nil {
			return err
		}
	}
	return zw.Close()
}
