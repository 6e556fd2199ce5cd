package instances

import (
	"strings"
	"testing"
)

func TestLookup(t *testing.T) {
	for name, want := range map[string]Type{
		"c5.xlarge":   {"c5.xlarge", 4, 8192, 4},
		"m7i.large":   {"m7i.large", 2, 8192, 3},
		"r6g.4xlarge": {"r6g.4xlarge", 16, 131072, 8},
		"c6g.medium":  {"c6g.medium", 1, 2048, 2},
		"t3.micro":    {"t3.micro", 2, 1024, 2},
		"t4g.small":   {"t4g.small", 2, 2048, 3},
	} {
		if got, ok := Lookup(name); !ok || got != want {
			t.Errorf("%s: %+v %v, want %+v", name, got, ok, want)
		}
	}
	for _, unknown := range []string{"c5n.xlarge", "m5d.large", "t2.micro", "x2idn.16xlarge", "m7i-flex.large", "c5.metal", "p4d.24xlarge"} {
		if _, ok := Lookup(unknown); ok {
			t.Errorf("%s: figures where berth has none", unknown)
		}
	}
}

// awsvpc tasks need a network interface each: the reference's c5.xlarge holds three
// tasks whatever their size, which the reference's own count of 2 fits, and a rollout
// at 200 % of it does not, on one instance.
func TestTasksPerInstance(t *testing.T) {
	c5, _ := Lookup("c5.xlarge")
	if f := c5.TasksPerInstance(256, 512, true); f.Tasks != 3 || f.Bound != "network interfaces" {
		t.Errorf("c5.xlarge, 256/512: %+v", f)
	}
	if f := c5.TasksPerInstance(2048, 1024, true); f.Tasks != 2 || f.Bound != "CPU" {
		t.Errorf("c5.xlarge, 2048 CPU: %+v", f)
	}
	if f := c5.TasksPerInstance(256, 4096, true); f.Tasks != 1 || f.Bound != "memory" {
		t.Errorf("c5.xlarge, 4 GiB: %+v", f)
	}
}

func TestRoom(t *testing.T) {
	if w := Room("c5.xlarge", 256, 512, 2, 200, 100, true); w != "" {
		t.Errorf("the reference's defaults: %s", w)
	}
	w := Room("c5.xlarge", 256, 512, 4, 200, 2, true)
	if !strings.Contains(w, "up to 8 task(s)") || !strings.Contains(w, "capacity.max 2 instance(s) hold 6") || !strings.Contains(w, "awsvpcTrunking") {
		t.Errorf("8 tasks on two c5.xlarge: %q", w)
	}
	if w := Room("t3.micro", 256, 2048, 1, 200, 10, true); !strings.Contains(w, "cannot hold one task") {
		t.Errorf("2 GiB task on t3.micro: %q", w)
	}
	// bridge mode (public placement on EC2) shares the instance's interface: only CPU
	// and memory bound it
	if w := Room("c5.xlarge", 256, 512, 4, 200, 2, false); w != "" {
		t.Errorf("bridge mode got a network interface bound: %s", w)
	}
	if w := Room("p4d.24xlarge", 256, 512, 1000, 200, 1, true); w != "" {
		t.Errorf("an unknown type got a warning: %s", w)
	}
}
