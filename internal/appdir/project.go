// Package appdir reads a project directory the way "berth init" does: the service's
// name from the directory, what to build (a Dockerfile, or a Go main package that berth
// builds without one), the port the app listens on and a health path it obviously
// serves, each with the reason it was guessed, so that the first berth.yml of an app
// runs that app, not a placeholder.
//
// It reads files only: it must not import anything that builds, runs or calls AWS.
package appdir

import (
	"bufio"
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/berthdev/berth/internal/lazyregexp"
	"github.com/berthdev/berth/internal/manifest"
)

// Guess is what berth init learned from a directory. A zero Build means no app was
// found that berth can build.
type Guess struct {
	Name       string
	Build      string // image.build, relative to the directory ("." or ./cmd/x); "" when none
	Port       int
	HealthPath string
	// Why says, per manifest key, where the value came from.
	Why map[string]string
	// Notes are what the user must know or do (an app berth cannot build as it is).
	Notes []string
}

// DefaultPort is what berth passes a Go app in PORT when nothing says otherwise.
const DefaultPort = 8080

// Read looks at dir.
func Read(dir string) (*Guess, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	g := &Guess{Why: map[string]string{}, Port: DefaultPort, HealthPath: "/"}
	g.Name, g.Why["name"] = serviceName(filepath.Base(abs))
	if st, err := os.Stat(filepath.Join(abs, "Dockerfile")); err == nil && !st.IsDir() {
		g.fromDockerfile(abs)
	} else if pkg := goMain(abs); pkg != "" {
		g.fromGo(abs, pkg)
	} else {
		g.noBuild(abs)
	}
	return g, nil
}

// serviceName turns a directory's name into a valid service name.
func serviceName(dir string) (string, string) {
	var b strings.Builder
	for _, r := range strings.ToLower(dir) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
		case b.Len() > 0 && !strings.HasSuffix(b.String(), "-"):
			b.WriteByte('-')
		}
	}
	name := strings.TrimLeft(strings.Trim(b.String(), "-"), "0123456789-")
	if len(name) > manifest.MaxNameLength {
		name = strings.TrimRight(name[:manifest.MaxNameLength], "-")
	}
	if name == "" || manifest.CheckName(name) != nil {
		return "app", fmt.Sprintf("the directory's name %q makes no valid service name", dir)
	}
	if name == dir {
		return name, "the directory's name"
	}
	return name, fmt.Sprintf("the directory's name %q, as a service name may be spelled", dir)
}

var (
	exposeLine = lazyregexp.New(`(?i)^\s*EXPOSE\s+(\d+)`)
	healthURL  = lazyregexp.New(`https?://(?:localhost|127\.0\.0\.1)(?::\d+)?(/[A-Za-z0-9._~/-]*)`)
)

func (g *Guess) fromDockerfile(dir string) {
	g.Build, g.Why["image.build"] = ".", "a Dockerfile"
	f, err := os.Open(filepath.Join(dir, "Dockerfile"))
	if err != nil {
		return
	}
	defer f.Close()
	g.Port, g.Why["port"] = 80, "no EXPOSE in the Dockerfile: 80, where most web servers' images listen"
	exposed := false
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if m := exposeLine.FindStringSubmatch(line); m != nil && !exposed {
			if p, err := strconv.Atoi(m[1]); err == nil && p > 0 && p < 65536 {
				g.Port, g.Why["port"], exposed = p, fmt.Sprintf("EXPOSE %d in the Dockerfile (line %d)", p, n), true
			}
		}
		if strings.HasPrefix(strings.ToUpper(strings.TrimSpace(line)), "HEALTHCHECK") {
			if m := healthURL.FindStringSubmatch(line); m != nil {
				g.HealthPath, g.Why["health.path"] = m[1], fmt.Sprintf("the Dockerfile's HEALTHCHECK asks for %s (line %d)", m[1], n)
			}
		}
	}
	if g.Why["health.path"] == "" {
		g.guessHealth(dir)
	}
}

func (g *Guess) fromGo(dir, pkg string) {
	g.Build = "./" + filepath.ToSlash(pkg)
	if pkg == "." {
		g.Build = "."
	}
	g.Why["image.build"] = "a Go main package (" + filepath.ToSlash(filepath.Join(pkg, "*.go")) + "): berth builds it without a Dockerfile or a base image"
	g.Why["port"] = fmt.Sprintf("berth passes PORT=%d to a Go app; nothing in it names another port", DefaultPort)
	g.scanSources(filepath.Join(dir, pkg), ".go", true)
	if g.Why["health.path"] == "" {
		g.guessHealth(dir)
	}
}

// noBuild: nothing berth can build as it is. An app of another language is said, with
// what it takes.
func (g *Guess) noBuild(dir string) {
	for file, lang := range map[string]string{"package.json": "a Node.js app", "requirements.txt": "a Python app",
		"pyproject.toml": "a Python app", "Gemfile": "a Ruby app", "pom.xml": "a Java app", "build.gradle": "a Java app",
		"Cargo.toml": "a Rust app", "composer.json": "a PHP app"} {
		if _, err := os.Stat(filepath.Join(dir, file)); err == nil {
			g.Build, g.Why["image.build"] = ".", lang+" ("+file+")"
			g.Notes = append(g.Notes, fmt.Sprintf("%s needs a Dockerfile for berth to build it (only Go apps build without one): write one in %s, then run berth up", lang, dir))
			g.Port, g.Why["port"] = 8080, "no Dockerfile to read it from: 8080, change it to the port the app listens on"
			g.guessHealth(dir)
			return
		}
	}
}

// goMain is the directory of the project's Go main package: the project's own, or
// its only command under cmd/.
func goMain(dir string) string {
	if isMain(dir) {
		return "."
	}
	cmds, _ := filepath.Glob(filepath.Join(dir, "cmd", "*"))
	var mains []string
	for _, c := range cmds {
		if isMain(c) {
			rel, _ := filepath.Rel(dir, c)
			mains = append(mains, rel)
		}
	}
	if len(mains) == 1 {
		return mains[0]
	}
	return ""
}

func isMain(dir string) bool {
	files, _ := filepath.Glob(filepath.Join(dir, "*.go"))
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		if src, err := os.ReadFile(f); err == nil && bytes.Contains(src, []byte("package main")) {
			return true
		}
	}
	return false
}

// healthPaths are the paths apps conventionally answer health checks on, most usual
// first.
var healthPaths = []string{"/health", "/healthz", "/livez", "/readyz", "/ping", "/status"}

var (
	goPort    = lazyregexp.New(`(?:ListenAndServe(?:TLS)?\(|Addr:\s*|Listen\("tcp",\s*)"(?:[a-z0-9.]*)?:(\d{2,5})"`)
	pathQuote = lazyregexp.New(`["'](/[A-Za-z]+z?)["'\s]`)
)

// guessHealth looks for a conventional health path in the project's sources.
func (g *Guess) guessHealth(dir string) {
	g.scanSources(dir, "", false)
}

// scanSources reads the project's source files (ext only, or every usual source
// type) for a listening port (Go) and a conventional health path.
func (g *Guess) scanSources(dir, ext string, port bool) {
	exts := []string{".go", ".js", ".ts", ".mjs", ".py", ".rb", ".java", ".kt", ".rs", ".php"}
	if ext != "" {
		exts = []string{ext}
	}
	seen, portFound := 0, false
	filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if d.IsDir() {
			switch d.Name() {
			case "node_modules", "vendor", ".git", "testdata", "dist", "build", "target", ".venv", "venv":
				return filepath.SkipDir
			}
			return nil
		}
		if !slices.Contains(exts, filepath.Ext(path)) || strings.HasSuffix(path, "_test.go") || seen > 500 {
			return nil
		}
		seen++
		src, err := os.ReadFile(path)
		if err != nil || len(src) > 1<<20 {
			return nil
		}
		rel, _ := filepath.Rel(dir, path)
		if port && !portFound {
			if m := goPort.Regexp().FindSubmatchIndex(src); m != nil {
				if p, err := strconv.Atoi(string(src[m[2]:m[3]])); err == nil && p > 0 && p < 65536 {
					g.Port, portFound = p, true
					g.Why["port"] = fmt.Sprintf("a listening address :%d in %s:%d", p, filepath.ToSlash(rel), bytes.Count(src[:m[0]], []byte("\n"))+1)
				}
			}
		}
		if g.Why["health.path"] == "" {
			for _, m := range pathQuote.Regexp().FindAllSubmatchIndex(src, -1) {
				p := string(src[m[2]:m[3]])
				if slices.Contains(healthPaths, p) {
					g.HealthPath = p
					g.Why["health.path"] = fmt.Sprintf("the app serves %s (%s:%d)", p, filepath.ToSlash(rel), bytes.Count(src[:m[0]], []byte("\n"))+1)
					break
				}
			}
		}
		return nil
	})
	if g.Why["health.path"] == "" {
		g.Why["health.path"] = "no health path found in the sources: / must answer 200, or set health.path"
	}
}
