// Package lazyregexp holds regular expressions that are compiled when first used, not
// when the program starts: Go runs every package-level initializer of every linked
// package before main, whatever command runs, so a regexp.MustCompile at package level
// costs every berth command its compile time and memory. The Go toolchain keeps its
// own regular expressions the same way (its internal/lazyregexp).
//
// In a test binary each expression is compiled at once, so that a pattern that does
// not compile fails its package's tests at start, as regexp.MustCompile would.
//
// It imports nothing of berth's: anyone may use it.
package lazyregexp

import (
	"os"
	"regexp"
	"strings"
	"sync"
)

// Regexp is a regular expression compiled on first use; safe for concurrent use.
type Regexp struct {
	expr string
	re   func() *regexp.Regexp
}

// New returns expr, to be compiled by regexp.MustCompile on first use.
func New(expr string) *Regexp {
	r := &Regexp{expr: expr, re: sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(expr) })}
	if inTest {
		r.re()
	}
	return r
}

// inTest: "go test" names its binaries pkg.test (pkg.test.exe on Windows).
var inTest = len(os.Args) > 0 && strings.HasSuffix(strings.TrimSuffix(os.Args[0], ".exe"), ".test")

// Regexp is the compiled expression, for what the methods below do not cover.
func (r *Regexp) Regexp() *regexp.Regexp { return r.re() }

// String is the source text of the expression.
func (r *Regexp) String() string { return r.expr }

func (r *Regexp) MatchString(s string) bool { return r.re().MatchString(s) }

func (r *Regexp) FindStringSubmatch(s string) []string { return r.re().FindStringSubmatch(s) }

func (r *Regexp) FindAllStringSubmatch(s string, n int) [][]string {
	return r.re().FindAllStringSubmatch(s, n)
}

func (r *Regexp) ReplaceAllStringFunc(src string, repl func(string) string) string {
	return r.re().ReplaceAllStringFunc(src, repl)
}
