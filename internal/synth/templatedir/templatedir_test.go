package templatedir

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/berthdev/berth/internal/manifest"
)

// load reads one of synth's test manifests.
func load(t testing.TB, name string) *manifest.Manifest {
	t.Helper()
	m, err := manifest.Load(filepath.Join("..", "testdata", name, "berth.yml"))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// Issue 10, case 8: a symlink in place of a template made synth overwrite the file it
// points to, outside the output directory.
func TestWriteReplacesSymlinksInsteadOfFollowingThem(t *testing.T) {
	dir, outside := t.TempDir(), filepath.Join(t.TempDir(), "precious")
	writeFile(t, outside, "keep me\n")
	if err := os.Symlink(outside, filepath.Join(dir, "network.yml")); err != nil {
		t.Fatal(err)
	}
	if _, err := Write(load(t, "default"), dir); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(outside); string(b) != "keep me\n" {
		t.Errorf("the symlink's target was overwritten: %.40q", b)
	}
	st, err := os.Lstat(filepath.Join(dir, "network.yml"))
	if err != nil || !st.Mode().IsRegular() {
		t.Errorf("network.yml is not a regular file: %v", err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "network.yml")); !strings.Contains(string(b), "AWS::EC2::VPC") {
		t.Error("network.yml does not hold the network template")
	}
	assertNoStaging(t, dir)
}

// Issue 10, case 8: a failed write left a mix of old and new templates. Now it is all
// four or none.
func TestWriteIsAllOrNothing(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{"network.yml", "cluster.yml", "parent.yml"} {
		writeFile(t, filepath.Join(dir, f), "old\n")
	}
	// service.yml cannot be replaced: it is a directory with something in it
	if err := os.MkdirAll(filepath.Join(dir, "service.yml", "x"), 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := Write(load(t, "default"), dir); err == nil || !strings.Contains(err.Error(), "service.yml") {
		t.Fatalf("err %v, want one naming service.yml", err)
	}
	for _, f := range []string{"network.yml", "cluster.yml", "parent.yml"} {
		if b, _ := os.ReadFile(filepath.Join(dir, f)); string(b) != "old\n" {
			t.Errorf("%s was replaced although the write failed", f)
		}
	}
	assertNoStaging(t, dir)

	// the same when the failure comes after the first templates were replaced: the
	// ones before it are put back
	os.RemoveAll(filepath.Join(dir, "service.yml"))
	writeFile(t, filepath.Join(dir, "service.yml"), "old\n")
	calls := 0
	rename = func(from, to string) error {
		if calls++; calls == 5 { // network and cluster are in place, service is next
			return fmt.Errorf("injected failure")
		}
		return os.Rename(from, to)
	}
	defer func() { rename = os.Rename }()
	if _, err := Write(load(t, "default"), dir); err == nil || !strings.Contains(err.Error(), "injected") {
		t.Fatalf("err %v", err)
	}
	for _, f := range []string{"network.yml", "cluster.yml", "service.yml", "parent.yml"} {
		if b, _ := os.ReadFile(filepath.Join(dir, f)); string(b) != "old\n" {
			t.Errorf("%s is %.20q after a failed write, want the old content", f, b)
		}
	}
	assertNoStaging(t, dir)
}

func assertNoStaging(t *testing.T, dir string) {
	t.Helper()
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".berth-synth-") {
			t.Errorf("staging directory %s left behind", e.Name())
		}
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// With network.vpc there is no network stack: a network.yml an earlier synth wrote into
// the directory would describe a VPC the service does not run in, so it goes, and
// comes back if the write fails.
func TestWriteRemovesANetworkTemplateThatNoLongerApplies(t *testing.T) {
	dir := t.TempDir()
	if _, err := Write(load(t, "default"), dir); err != nil {
		t.Fatal(err)
	}
	rename = func(from, to string) error {
		if strings.HasSuffix(from, "network.yml") {
			return fmt.Errorf("injected failure")
		}
		return os.Rename(from, to)
	}
	if _, err := Write(load(t, "existing-vpc"), dir); err == nil || !strings.Contains(err.Error(), "injected") {
		t.Fatalf("err %v", err)
	}
	rename = os.Rename
	if b, _ := os.ReadFile(filepath.Join(dir, "cluster.yml")); strings.Contains(string(b), "vpc-0abc1234def567890") {
		t.Error("cluster.yml was replaced although the write failed")
	}
	written, err := Write(load(t, "existing-vpc"), dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(written) != 4 {
		t.Errorf("wrote %v, want cluster, ingress, service and parent", written)
	}
	if _, err := os.Lstat(filepath.Join(dir, "network.yml")); err == nil {
		t.Error("network.yml of the earlier synth is still there")
	}
	assertNoStaging(t, dir)
}

// A second synth of the same manifest finds every template already holding its text:
// it writes nothing, so each file keeps its modification time (make and its kind
// rebuild nothing) and no fsync is paid; a template that differs is replaced.
func TestWriteLeavesUnchangedTemplatesAlone(t *testing.T) {
	dir := t.TempDir()
	first, err := Write(load(t, "default"), dir)
	if err != nil {
		t.Fatal(err)
	}
	long := time.Date(2001, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, f := range first {
		if err := os.Chtimes(f, long, long); err != nil {
			t.Fatal(err)
		}
	}
	writeFile(t, filepath.Join(dir, "cluster.yml"), "edited by hand\n")
	second, err := Write(load(t, "default"), dir)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(first, second) {
		t.Errorf("second synth reports %v, want %v: the same templates, whether rewritten or not", second, first)
	}
	for _, f := range second {
		st, err := os.Stat(f)
		if err != nil {
			t.Fatal(err)
		}
		if rewritten := !st.ModTime().Equal(long); rewritten != (filepath.Base(f) == "cluster.yml") {
			t.Errorf("%s rewritten: %v; only the template edited by hand should be", filepath.Base(f), rewritten)
		}
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "cluster.yml")); !strings.Contains(string(b), "AWS::ECS::Cluster") {
		t.Errorf("cluster.yml not restored: %.40q", b)
	}
	assertNoStaging(t, dir)
}
