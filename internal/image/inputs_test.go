package image

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// The fingerprint of a Go build's inputs stays while nothing changes, and changes with
// any file of the module, or the options; it is empty where berth cannot see every
// input, so that the build runs.
func TestGoInputsFollowTheModule(t *testing.T) {
	t.Setenv("GOWORK", "")
	root := t.TempDir()
	write := func(name, text string) {
		t.Helper()
		p := filepath.Join(root, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("go.mod", "module example.com/app\n\ngo 1.22\n")
	write("cmd/app/main.go", "package main\n\nfunc main() {}\n")
	write("internal/greet/greet.go", "package greet\n")
	o := GoOptions{Dir: filepath.Join(root, "cmd", "app"), Arch: "amd64", Port: 8080, Name: "app"}

	first := GoInputs(o)
	if first == "" || GoInputs(o) != first {
		t.Fatalf("unchanged module: %q then %q", first, GoInputs(o))
	}
	o2 := o
	o2.Port = 9090
	if GoInputs(o2) == first {
		t.Error("another port, same fingerprint")
	}
	write("internal/greet/greet.go", "package greet\n\nconst Hello = 1\n")
	second := GoInputs(o)
	if second == first {
		t.Error("a package of the module changed, same fingerprint")
	}
	later := time.Now().Add(time.Minute)
	os.Chtimes(filepath.Join(root, "internal/greet/greet.go"), later, later)
	if GoInputs(o) == second {
		t.Error("a file touched, same fingerprint")
	}
	os.MkdirAll(filepath.Join(root, ".git"), 0o755)
	before := GoInputs(o)
	write(".git/index", "changes with every commit")
	if GoInputs(o) != before {
		t.Error("the fingerprint follows .git")
	}

	write("go.mod", "module example.com/app\n\ngo 1.22\n\nreplace example.com/lib => ../lib\n")
	if got := GoInputs(o); got != "" {
		t.Error("a replace to a directory outside the module, yet a fingerprint")
	}
	write("go.mod", "module example.com/app\n\ngo 1.22\n\nreplace example.com/lib => example.com/fork v1.2.3\n")
	if got := GoInputs(o); got == "" {
		t.Error("a replace by another module version: no fingerprint")
	}
	write("go.work", "go 1.22\n\nuse ./\n")
	if got := GoInputs(o); got != "" {
		t.Error("a go.work, yet a fingerprint")
	}
	if got := GoInputs(GoOptions{Dir: t.TempDir()}); got != "" {
		t.Error("no go.mod, yet a fingerprint")
	}
}
