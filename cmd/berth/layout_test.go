package main

import (
	"encoding/json"
	"io"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"unicode"
)

// The floors of docs/code-layout.md: a package may import only packages on lower
// floors, and the local path and the AWS path do not import each other (but for
// replicaenv's use of session, for the credentials of berth up --aws-profile).
var floors = map[string]int{
	"internal/hint": 0, "internal/style": 0, "internal/prompt": 0, "internal/version": 0, "internal/secrets": 0,
	"internal/cfn": 0, "internal/rollout": 0, "internal/routing": 0, "internal/lb/wire": 0, "internal/localtls": 0, "internal/listening": 0, "internal/chart": 0, "internal/vitals": 1,
	"internal/manifest/strict": 0, "internal/manifest/policy": 0,
	"internal/cfn/cfntest": 1, "internal/manifest": 1, "internal/check": 1, "internal/session": 1, "internal/stacks": 1,
	"internal/image": 1, "internal/ci": 1, "internal/lb": 1,
	"internal/localvitals": 2, "internal/docker": 2, "internal/replicaenv": 2,
	"internal/stacks/stackstest": 2, "internal/instances": 2, "internal/synth/iam": 2, "internal/synth/edge": 2, "internal/appdir": 2, "internal/exit": 2,
	"internal/synth": 3, "internal/control": 3,
	"internal/synth/templatedir": 4, "internal/cost": 4, "internal/names": 4, "internal/identity": 4, "internal/localexec": 4, "internal/localops": 4, "internal/envlistener": 4,
	"internal/local": 5, "internal/buckets": 5, "internal/registry": 5, "internal/environment": 5, "internal/traffic": 5, "internal/network": 5, "internal/preflight": 5, "internal/cirole": 5, "internal/ingress": 5,
	"internal/edge": 6,
	"internal/ops":  7, "internal/teardown": 7, "internal/ecsexec": 7,
	"internal/deploy":   8,
	"internal/progress": 9,
	"cmd/berth":         10,

	// below every floor: any package may compile its patterns on first use
	"internal/lazyregexp": -1,
}

var localPath = map[string]bool{"internal/local": true, "internal/docker": true, "internal/localexec": true, "internal/localvitals": true, "internal/control": true, "internal/localops": true, "internal/envlistener": true, "internal/replicaenv": true, "internal/lb": true, "internal/lb/wire": true, "internal/localtls": true, "internal/image": true}
var awsPath = map[string]bool{"internal/session": true, "internal/stacks": true, "internal/names": true, "internal/buckets": true,
	"internal/identity": true, "internal/registry": true, "internal/traffic": true, "internal/ingress": true, "internal/network": true, "internal/preflight": true, "internal/cirole": true, "internal/environment": true, "internal/edge": true,
	"internal/ops": true, "internal/deploy": true, "internal/teardown": true, "internal/progress": true, "internal/ecsexec": true,
	"internal/stacks/stackstest": true}

func TestImportsGoDownwards(t *testing.T) {
	out, err := exec.Command("go", "list", "-json", "../../...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	const mod = "github.com/berthdev/berth/"
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for {
		var p struct {
			ImportPath string
			Imports    []string
		}
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		from := strings.TrimPrefix(p.ImportPath, mod)
		if strings.HasPrefix(from, "scripts/") || strings.HasPrefix(from, "examples/") || strings.Contains(from, "testdata") {
			continue
		}
		f, ok := floors[from]
		if !ok {
			t.Errorf("%s is not on a floor: add it to docs/code-layout.md and to this test", from)
			continue
		}
		for _, imp := range p.Imports {
			to, ours := strings.CutPrefix(imp, mod)
			if !ours {
				continue
			}
			if floors[to] >= f {
				t.Errorf("%s (floor %d) imports %s (floor %d): imports go downwards only", from, f, to, floors[to])
			}
			if localPath[from] && awsPath[to] && !(from == "internal/replicaenv" && to == "internal/session") ||
				awsPath[from] && localPath[to] {
				t.Errorf("%s imports %s: the local and the AWS path do not import each other", from, to)
			}
		}
	}
}

// The SDK's EC2 client has some 750 operations; berth calls five. Should the client
// reach an interface (or a struct field of a type that does), the linker keeps every
// operation and berth grows by 30 MB (session.EC2).
func TestTheEC2ClientKeepsOnlyItsReads(t *testing.T) {
	out, err := exec.Command("go", "tool", "nm", bin).Output()
	if err != nil {
		t.Fatalf("go tool nm: %v", err)
	}
	const client = "github.com/aws/aws-sdk-go-v2/service/ec2.(*Client)."
	var kept []string
	for _, line := range strings.Split(string(out), "\n") {
		if _, op, ok := strings.Cut(line, client); ok && op != "" && unicode.IsUpper(rune(op[0])) && !strings.ContainsAny(op, ".-") {
			kept = append(kept, op)
		}
	}
	if len(kept) == 0 || len(kept) > 20 || slices.Contains(kept, "RunInstances") {
		t.Errorf("berth keeps %d operations of the EC2 client (%v, ...): want only the reads of internal/network", len(kept), kept[:min(5, len(kept))])
	}
}
