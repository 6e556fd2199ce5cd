package main

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode"
)

// docFiles are the user documentation: the README and the pages under docs/.
func docFiles(t *testing.T) []string {
	t.Helper()
	pages, err := filepath.Glob("../../docs/*.md")
	if err != nil || len(pages) == 0 {
		t.Fatalf("no pages under docs/: %v", err)
	}
	return append([]string{"../../README.md"}, pages...)
}

var (
	mdLink     = regexp.MustCompile(`\]\(([^)\s]+)\)`)
	codeSpan   = regexp.MustCompile("`[^`]*`")
	mdHeading  = regexp.MustCompile(`^(#{1,6})\s+(.*?)\s*#*\s*$`)
	inlineLink = regexp.MustCompile(`\[([^\]]*)\]\([^)]*\)`)
)

// proseLines calls f with each line of a Markdown file that is outside fenced code
// blocks, with its number.
func proseLines(t *testing.T, path string, f func(n int, line string)) {
	t.Helper()
	file, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	sc := bufio.NewScanner(file)
	sc.Buffer(nil, 1<<20)
	fence := ""
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if trimmed := strings.TrimLeft(line, " "); strings.HasPrefix(trimmed, "```") {
			switch {
			case fence == "":
				fence = "```"
			case strings.TrimSpace(trimmed) == "```":
				fence = ""
			}
			continue
		}
		if fence == "" {
			f(n, line)
		}
	}
}

// slug is the anchor GitHub gives a heading: the text as it shows (link targets and
// formatting marks gone), lower case, every character but letters, digits, "_" and "-"
// dropped, spaces made hyphens (github.com/Flet/github-slugger, which GitHub's renderer
// follows).
func slug(heading string) string {
	heading = inlineLink.ReplaceAllString(heading, "$1")
	var b strings.Builder
	for _, r := range strings.ToLower(strings.TrimSpace(heading)) {
		switch {
		case unicode.IsLetter(r), unicode.IsDigit(r), unicode.Is(unicode.Mn, r), r == '_', r == '-':
			b.WriteRune(r)
		case r == ' ':
			b.WriteByte('-')
		}
	}
	return b.String()
}

// anchors are the heading anchors of a Markdown file; a heading that repeats gets -1,
// -2, ... as on GitHub.
func anchors(t *testing.T, path string) map[string]bool {
	seen, out := map[string]int{}, map[string]bool{}
	proseLines(t, path, func(_ int, line string) {
		if m := mdHeading.FindStringSubmatch(line); m != nil {
			s := slug(m[2])
			if n := seen[s]; n > 0 {
				out[fmt.Sprintf("%s-%d", s, n)] = true
			} else {
				out[s] = true
			}
			seen[s]++
		}
	})
	return out
}

// Every relative link of the documentation names a file of the repository, and every
// #anchor a heading of the page it points to: pages were split and headings renamed,
// and GitHub shows a dead link without a word.
func TestDocLinks(t *testing.T) {
	cache := map[string]map[string]bool{}
	checked := 0
	for _, file := range docFiles(t) {
		proseLines(t, file, func(n int, line string) {
			for _, m := range mdLink.FindAllStringSubmatch(codeSpan.ReplaceAllString(line, ""), -1) {
				target := m[1]
				if regexp.MustCompile(`^[a-z][a-z0-9+.-]*:`).MatchString(target) {
					continue // https:, mailto:
				}
				checked++
				path, frag, _ := strings.Cut(target, "#")
				dest := file
				if path != "" {
					dest = filepath.Join(filepath.Dir(file), filepath.FromSlash(path))
					if _, err := os.Stat(dest); err != nil {
						t.Errorf("%s:%d: %s: no such file", file, n, target)
						continue
					}
				}
				if frag == "" || !strings.HasSuffix(dest, ".md") {
					continue
				}
				if cache[dest] == nil {
					cache[dest] = anchors(t, dest)
				}
				if !cache[dest][frag] {
					t.Errorf("%s:%d: %s: %s has no heading with the anchor #%s", file, n, target, dest, frag)
				}
			}
		})
	}
	if checked < 50 {
		t.Errorf("only %d relative links found: is the link pattern still right?", checked)
	}
}

func TestSlugIsGitHubs(t *testing.T) {
	for heading, want := range map[string]string{
		"CloudFront in front: HTTPS from the first deploy (`edge: cloudfront`)": "cloudfront-in-front-https-from-the-first-deploy-edge-cloudfront",
		"A shell in a replica (berth exec --local)":                             "a-shell-in-a-replica-berth-exec---local",
		"Access logs, WAF and flow logs":                                        "access-logs-waf-and-flow-logs",
		"On macOS and Windows (Docker Desktop)":                                 "on-macos-and-windows-docker-desktop",
		"The [manifest](docs/manifest.md) keys":                                 "the-manifest-keys",
		"berth_up and Ünïcode":                                                  "berth_up-and-ünïcode",
	} {
		if got := slug(heading); got != want {
			t.Errorf("slug(%q) = %q, want %q", heading, got, want)
		}
	}
}
