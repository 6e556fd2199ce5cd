package deploy

import (
	"path/filepath"
	"testing"

	"github.com/berthdev/berth/internal/manifest"
)

// A service deployed with a load balancer of its own keeps it while its manifest says
// nothing of it; a manifest that says which it wants moves it, in two steps with a
// domain; a move that did not finish finishes in one.
func TestWhichLoadBalancerADeployLeavesTheServiceOn(t *testing.T) {
	parse := func(text string) *manifest.Manifest {
		m, err := manifest.Parse([]byte(text), filepath.Join(t.TempDir(), "berth.yml"))
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	for _, c := range []struct {
		name                string
		manifest            string
		liveOwn, liveShared bool
		shared, moving, two bool
	}{
		{"a new service shares", "name: a\n", false, false, true, false, false},
		{"a new service that asks for its own", "name: a\nload_balancer: {dedicated: true}\n", false, false, false, false, false},
		{"its own, the manifest says nothing: kept", "name: a\n", true, false, false, false, false},
		{"its own, the manifest says nothing, a domain: kept", "name: a\ndomain: api.example.com\n", true, false, false, false, false},
		{"its own, then a path: moves", "name: a\nload_balancer: {path: /a}\n", true, false, true, true, false},
		{"its own, then dedicated: false, a domain: two steps", "name: a\ndomain: api.example.com\nload_balancer: {dedicated: false}\n", true, false, true, true, true},
		{"shared, then dedicated", "name: a\nload_balancer: {dedicated: true}\n", false, true, false, true, false},
		{"shared, then dedicated, a domain: two steps", "name: a\ndomain: api.example.com\nload_balancer: {dedicated: true}\n", false, true, false, true, true},
		{"shared, and it stays", "name: a\nload_balancer: {path: /a}\n", false, true, true, false, false},
		{"a move that did not finish", "name: a\ndomain: api.example.com\nload_balancer: {path: /a}\n", true, true, true, true, false},
	} {
		m := chooseLoadBalancer(parse(c.manifest), c.liveOwn, c.liveShared)
		moving, two := moveOf(m, c.liveOwn, c.liveShared)
		if m.Shared() != c.shared || moving != c.moving || two != c.two {
			t.Errorf("%s: shared %v, moving %v, two steps %v", c.name, m.Shared(), moving, two)
		}
	}
}
