package main

import (
	"os"
	"runtime/debug"
	"testing"
)

// The quick commands run with the collector off (up to quickLimit); the others keep
// Go's default, and a GOGC the user set is left to rule.
func TestQuickCommandsTurnTheCollectorOff(t *testing.T) {
	root := newRoot()
	for name := range quick {
		if c, _, err := root.Find([]string{name}); err != nil || c.Name() != name {
			t.Errorf("quick names %q, which is not a berth command", name)
		}
	}
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(-1))
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	for _, env := range []string{"GOGC", "GOMEMLIMIT"} {
		if v, set := os.LookupEnv(env); set {
			t.Cleanup(func() { os.Setenv(env, v) })
			os.Unsetenv(env)
		}
	}
	for _, c := range []struct {
		args []string
		gogc string
		want int
	}{
		{[]string{"synth", "-f", "berth.yml"}, "", -1},
		{[]string{"version"}, "", -1},
		{[]string{"up"}, "", 100},
		{[]string{"deploy", "--env", "synth"}, "", 100},
		{nil, "", 100},
		{[]string{"check"}, "200", 100},
	} {
		debug.SetGCPercent(100)
		if c.gogc != "" {
			os.Setenv("GOGC", c.gogc)
		}
		collectLess(c.args)
		os.Unsetenv("GOGC")
		if got := debug.SetGCPercent(100); got != c.want {
			t.Errorf("berth %v with GOGC=%q: GC percent %d, want %d", c.args, c.gogc, got, c.want)
		}
	}
}
