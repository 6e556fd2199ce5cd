package synth

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/berthdev/berth/internal/manifest"
	"go.yaml.in/yaml/v3"
)

var allowedKeys = regexp.MustCompile(`unknown key(?:, did you mean "[^"]*"\?)? \(allowed: ([^)]*)\)`)

// manifestKeys lists every key of today's manifest, dotted (permissions.allow for the
// keys of a statement), from the decoder itself: an unknown key at each level is
// answered with the keys allowed there. A key whose value is a mapping or a list of
// mappings with keys of their own is listed by those; env and secrets, whose keys are
// names, as themselves.
func manifestKeys(t testing.TB) []string {
	t.Helper()
	var keys []string
	var probe func(path []string)
	probe = func(path []string) {
		for _, list := range []bool{false, true} {
			doc := "{zzzz: 1}"
			for i := len(path) - 1; i >= 0; i-- {
				if list && i == len(path)-1 {
					doc = "[" + doc + "]"
				}
				doc = "{" + path[i] + ": " + doc + "}"
			}
			_, err := manifest.Parse([]byte(doc), filepath.Join(t.TempDir(), "berth.yml"))
			if err == nil {
				continue
			}
			if m := allowedKeys.FindStringSubmatch(err.Error()); m != nil {
				for _, k := range strings.Split(m[1], ", ") {
					probe(append(slices.Clone(path), k))
				}
				return
			}
		}
		keys = append(keys, strings.Join(path, "."))
	}
	probe(nil)
	if len(keys) < 40 || !slices.Contains(keys, "permissions.allow") || !slices.Contains(keys, "domain.zone") {
		t.Fatalf("the keys found are not the manifest's: %v", keys)
	}
	return keys
}

// yamlKeys are the dotted keys a YAML document sets: list items are transparent
// (permissions.allow), and so are the names under env and secrets (env.NAME).
func yamlKeys(data []byte) map[string]bool {
	var doc any
	if yaml.Unmarshal(data, &doc) != nil {
		return nil
	}
	out := map[string]bool{}
	var walk func(prefix string, v any)
	walk = func(prefix string, v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				key := k
				if prefix != "" {
					key = prefix + "." + k
				}
				out[key] = true
				walk(key, e)
			}
		case []any:
			for _, e := range x {
				walk(prefix, e)
			}
		}
	}
	walk("", doc)
	return out
}

// uncovered lists the keys that no document sets.
func uncovered(keys []string, docs [][]byte) []string {
	set := map[string]bool{}
	for _, d := range docs {
		for k := range yamlKeys(d) {
			set[k] = true
		}
	}
	var out []string
	for _, k := range keys {
		if !set[k] {
			out = append(out, k)
		}
	}
	return out
}

// variants are the manifests of the synthesis test cases, whose templates are the
// golden files (and seeds of the template fuzzer in internal/check).
func variants(t testing.TB) [][]byte {
	t.Helper()
	var out [][]byte
	for _, name := range cases {
		data, err := os.ReadFile(filepath.Join("testdata", name, "berth.yml"))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, data)
	}
	return out
}

// Every key of the manifest is set by some synthesis test case, so that the golden
// templates, cfn-lint and berth check in CI, and the template fuzzer's seeds (made
// from the golden templates) see what each key writes.
func TestTheVariantsSetEveryManifestKey(t *testing.T) {
	if missing := uncovered(manifestKeys(t), variants(t)); len(missing) > 0 {
		t.Errorf("no test case in testdata sets %v: add it to one (or a new case)", missing)
	}
}

// FuzzManifest starts from seeds that set every key of the manifest, in valid
// manifests, so that mutation starts from what each key does.
func TestFuzzManifestSeedsSetEveryKey(t *testing.T) {
	dir := t.TempDir()
	os.Mkdir(filepath.Join(dir, "app"), 0o755)
	var valid [][]byte
	for _, s := range manifestSeeds(t) {
		m, err := manifest.Parse(s, filepath.Join(dir, manifest.DefaultFile))
		if err != nil {
			continue
		}
		if _, err := Render(m); err == nil {
			valid = append(valid, s)
		}
	}
	if missing := uncovered(manifestKeys(t), valid); len(missing) > 0 {
		t.Errorf("no valid FuzzManifest seed sets %v", missing)
	}
}

// FuzzManifestStrings puts its strings in every key that takes text.
func TestFuzzManifestStringsReachEveryTextKey(t *testing.T) {
	var text []string
	for _, k := range manifestKeys(t) {
		doc := `"x"`
		parts := strings.Split(k, ".")
		for i := len(parts) - 1; i >= 0; i-- {
			if i == 0 && parts[0] == "permissions" && len(parts) > 1 {
				doc = "[" + doc + "]"
			}
			doc = "{" + parts[i] + ": " + doc + "}"
		}
		_, err := manifest.Parse([]byte(doc), filepath.Join(t.TempDir(), "berth.yml"))
		if err != nil && (strings.Contains(err.Error(), "must be a whole number") || strings.Contains(err.Error(), "must be true or false") || strings.Contains(err.Error(), "must be the number of days")) {
			continue
		}
		text = append(text, k)
	}
	if len(text) < 20 {
		t.Fatalf("text keys %v", text)
	}
	docs := stringsManifests("web", "public.ecr.aws/nginx/nginx:latest", "/", "c5.xlarge", "ami-0123456789abcdef0", "FLAG", "yes")
	if missing := uncovered(text, docs); len(missing) > 0 {
		t.Errorf("FuzzManifestStrings puts no string in %v", missing)
	}
}
