package manifest

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

// Windows editors save berth.yml with CRLF line ends and often a UTF-8 byte order mark:
// it loads as the LF file does, multi-line values included, and errors name the same
// line.
func TestCRLFAndBOMLoadLikeLF(t *testing.T) {
	saved := map[string]func(string) string{
		"CRLF":       func(s string) string { return strings.ReplaceAll(s, "\n", "\r\n") },
		"BOM":        func(s string) string { return "\ufeff" + s },
		"BOM + CRLF": func(s string) string { return "\ufeff" + strings.ReplaceAll(s, "\n", "\r\n") },
	}
	valid := `# orders API
name: orders
image:
  location: public.ecr.aws/docker/library/nginx:latest
port: 8080
count: {min: 2, max: 6}
health:
  path: /healthz
env:
  GREETING: "hello"
  BANNER: |
    two
    lines
`
	want, err := Parse([]byte(valid), "berth.yml")
	if err != nil {
		t.Fatal(err)
	}
	if want.Env["BANNER"] != "two\nlines\n" {
		t.Fatalf("LF: BANNER = %q", want.Env["BANNER"])
	}
	for name, save := range saved {
		got, err := Parse([]byte(save(valid)), "berth.yml")
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: parsed\n%+v\nwant\n%+v", name, got, want)
		}
	}

	for _, invalid := range []string{
		"name: a\nport: 1\nhealth:\n  pth: /\n",
		"\nname: a\n\nport: 70000\n",
		"name: a\nenv:\n  A: |\n    x\n    y\n  b-c: 1\n",
		"name: a\nport: [1\n",
	} {
		var lf *Error
		_, err := Parse([]byte(invalid), "berth.yml")
		if !errors.As(err, &lf) {
			t.Fatalf("%q: want a manifest error, got %v", invalid, err)
		}
		for name, save := range saved {
			_, err := Parse([]byte(save(invalid)), "berth.yml")
			if err == nil || err.Error() != lf.Error() {
				t.Errorf("%s %q: got %v, want %v", name, invalid, err, lf)
			}
		}
	}
}
