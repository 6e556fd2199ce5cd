package lazyregexp

import (
	"regexp"
	"testing"
)

func TestCompiledInTests(t *testing.T) {
	if !inTest {
		t.Fatal("a test binary is not recognized as one: bad patterns would pass the tests")
	}
	defer func() {
		if recover() == nil {
			t.Error("New of a pattern that does not compile did not panic in a test")
		}
	}()
	New(`(`)
}

func TestCompiledOnFirstUse(t *testing.T) {
	inTest = false
	defer func() { inTest = true }()
	r := New(`(`) // compiled only when used
	defer func() {
		if recover() == nil {
			t.Error("using a pattern that does not compile did not panic")
		}
	}()
	r.MatchString("x")
}

// The methods answer as the regexp package's do.
func TestMethods(t *testing.T) {
	const expr = `([a-z]+)=([0-9]+)`
	r, want := New(expr), regexp.MustCompile(expr)
	const s = "a=1 b=2 c"
	if r.String() != expr || r.Regexp().String() != expr {
		t.Errorf("String() = %q, Regexp() = %q", r.String(), r.Regexp())
	}
	if r.MatchString(s) != want.MatchString(s) || r.MatchString("nothing") {
		t.Error("MatchString differs")
	}
	if got := r.FindStringSubmatch(s); len(got) != 3 || got[2] != "1" {
		t.Errorf("FindStringSubmatch = %q", got)
	}
	if got := r.FindAllStringSubmatch(s, -1); len(got) != 2 || got[1][1] != "b" {
		t.Errorf("FindAllStringSubmatch = %q", got)
	}
	if got := r.ReplaceAllStringFunc(s, func(m string) string { return "<" + m + ">" }); got != "<a=1> <b=2> c" {
		t.Errorf("ReplaceAllStringFunc = %q", got)
	}
}
