package appdir

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func write(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, text := range files {
		p := filepath.Join(dir, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestReadGuessesWhatTheAppIs(t *testing.T) {
	goApp := "package main\n\nimport \"net/http\"\n\nfunc main() {\n\thttp.HandleFunc(\"/healthz\", nil)\n\thttp.ListenAndServe(\":9000\", nil)\n}\n"
	for _, tc := range []struct {
		dir         string
		files       map[string]string
		name, build string
		port        int
		health      string
		why         map[string]string
		note        string
	}{
		{"shop", map[string]string{"main.go": goApp, "go.mod": "module shop\n"}, "shop", ".", 9000, "/healthz",
			map[string]string{"image.build": "a Go main package", "port": "a listening address :9000 in main.go:7", "health.path": "main.go:6"}, ""},
		{"orders", map[string]string{"cmd/orders/main.go": "package main\nfunc main(){}\n", "go.mod": "module x\n"}, "orders", "./cmd/orders", 8080, "/",
			map[string]string{"port": "berth passes PORT=8080", "health.path": "no health path"}, ""},
		{"api", map[string]string{"Dockerfile": "FROM python:3.12\nEXPOSE 8000\nHEALTHCHECK CMD curl -f http://localhost:8000/livez || exit 1\n", "app.py": "x = '/health'\n"},
			"api", ".", 8000, "/livez", map[string]string{"port": "EXPOSE 8000 in the Dockerfile (line 2)", "health.path": "HEALTHCHECK asks for /livez (line 3)"}, ""},
		{"web", map[string]string{"Dockerfile": "FROM node:22\nCMD node server.js\n", "server.js": "app.get('/health', ok)\n"}, "web", ".", 80, "/health",
			map[string]string{"port": "no EXPOSE", "health.path": "server.js:1"}, ""},
		{"node-only", map[string]string{"package.json": "{}", "index.js": "app.get(\"/ping\", f)\n"}, "node-only", ".", 8080, "/ping",
			map[string]string{"image.build": "a Node.js app"}, "needs a Dockerfile"},
		{"My_Shop 2", map[string]string{"main.go": goApp}, "my-shop-2", ".", 9000, "/healthz", map[string]string{"name": `"My_Shop 2"`}, ""},
		{"empty", map[string]string{"README.md": "hi"}, "empty", "", 8080, "/", nil, ""},
	} {
		t.Run(tc.dir, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), tc.dir)
			write(t, dir, tc.files)
			g, err := Read(dir)
			if err != nil {
				t.Fatal(err)
			}
			if g.Name != tc.name || g.Build != tc.build || g.Port != tc.port || g.HealthPath != tc.health {
				t.Errorf("got name %q build %q port %d health %q; want %q %q %d %q", g.Name, g.Build, g.Port, g.HealthPath, tc.name, tc.build, tc.port, tc.health)
			}
			for key, want := range tc.why {
				if !strings.Contains(g.Why[key], want) {
					t.Errorf("why %s: %q, want it to say %q", key, g.Why[key], want)
				}
			}
			if note := strings.Join(g.Notes, " "); !strings.Contains(note, tc.note) || (tc.note == "" && note != "") {
				t.Errorf("notes %q, want %q", note, tc.note)
			}
		})
	}
}
