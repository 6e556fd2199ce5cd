// Package templatedir writes a manifest's templates into a directory, as berth synth
// does: all of them or none, a symlink in place of a template replaced and never
// followed, a template that already holds its text left alone, and a template an
// earlier synth wrote that no longer applies removed.
package templatedir

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"

	"github.com/berthdev/berth/internal/hint"
	"github.com/berthdev/berth/internal/manifest"
	"github.com/berthdev/berth/internal/synth"
)

// ValidDir refuses, as a usage error, an --output-dir that cannot be a directory of
// templates: empty, or something that exists and is not a directory (/dev/null).
func ValidDir(dir string) error {
	if dir == "" {
		return hint.Usage(errors.New("--output-dir is empty: name the directory to write the templates to"))
	}
	if st, err := os.Stat(dir); err == nil && !st.IsDir() {
		return hint.Usage(fmt.Errorf("--output-dir %s is not a directory", dir))
	}
	return nil
}

// Write renders the templates into dir, creating it if needed, and returns their paths.
// It writes all of them or none: each template goes to a new file in a private staging
// directory inside dir, then replaces its destination by rename, so a symlink in place
// of a template is replaced, never followed. Should a rename fail, the templates
// already replaced are put back. A template whose file already holds exactly its text
// is left as it is (its modification time too, which make and its kind go by), and
// costs no write and no fsync. A network.yml an earlier synth left is removed when m
// has no network stack.
func Write(m *manifest.Manifest, dir string) ([]string, error) {
	files, err := synth.Render(m)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create output directory: %w", err)
	}
	order := append(append([]synth.Stack{}, synth.StacksOf(m)...), synth.Parent)
	var changed []synth.Stack
	var paths []string
	for _, s := range order {
		path := filepath.Join(dir, s.File())
		paths = append(paths, path)
		st, err := os.Lstat(path)
		if err == nil && st.IsDir() {
			return nil, fmt.Errorf("write %s: it is a directory", path)
		}
		if err != nil || !holds(path, st, files[s.File()]) {
			changed = append(changed, s)
		}
	}
	var stale []synth.Stack
	for _, s := range []synth.Stack{synth.Network, synth.Cluster, synth.Edge, synth.Service} {
		if slices.Contains(order, s) {
			continue
		}
		if st, err := os.Lstat(filepath.Join(dir, s.File())); err == nil && !st.IsDir() {
			stale = append(stale, s)
		}
	}
	if len(changed) == 0 && len(stale) == 0 {
		return paths, nil
	}
	stage, err := os.MkdirTemp(dir, ".berth-synth-")
	if err != nil {
		return nil, fmt.Errorf("write templates: %w", err)
	}
	defer os.RemoveAll(stage)
	for _, s := range changed {
		if err := writeNew(filepath.Join(stage, s.File()), files[s.File()]); err != nil {
			return nil, err
		}
	}
	var undo []func()
	for _, s := range changed {
		path, old := filepath.Join(dir, s.File()), filepath.Join(stage, s.File()+".old")
		restore := func() { os.Remove(path) }
		if err := rename(path, old); err == nil {
			restore = func() { os.Rename(old, path) }
		} else if !errors.Is(err, fs.ErrNotExist) {
			return nil, rollback(undo, fmt.Errorf("write %s: %w", path, err))
		}
		if err := rename(filepath.Join(stage, s.File()), path); err != nil {
			restore()
			return nil, rollback(undo, fmt.Errorf("write %s: %w", path, err))
		}
		undo = append(undo, restore)
	}
	// a template an earlier synth wrote that this manifest has none of (network.yml,
	// with network.vpc; edge.yml) would no longer apply: it goes too, restored should
	// this fail
	for _, s := range stale {
		path, old := filepath.Join(dir, s.File()), filepath.Join(stage, s.File()+".old")
		if err := rename(path, old); err != nil {
			return nil, rollback(undo, fmt.Errorf("remove %s, which no longer applies: %w", path, err))
		}
	}
	return paths, nil
}

// holds reports whether path, which Lstat described as st, is a regular file (not a
// symlink, which Write replaces) whose content is exactly data.
func holds(path string, st fs.FileInfo, data []byte) bool {
	if !st.Mode().IsRegular() || st.Size() != int64(len(data)) {
		return false
	}
	have, err := os.ReadFile(path)
	return err == nil && bytes.Equal(have, data)
}

// rename is os.Rename; tests make it fail to see a failed write undone.
var rename = os.Rename

// writeNew creates path, which must not exist, with data, flushed to disk before the
// rename that publishes it.
func writeNew(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return fmt.Errorf("write templates: %w", err)
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("write templates: %w", err)
	}
	return nil
}

// rollback undoes the renames done so far, newest first, and returns err.
func rollback(undo []func(), err error) error {
	for i := len(undo) - 1; i >= 0; i-- {
		undo[i]()
	}
	return err
}
