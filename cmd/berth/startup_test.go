package main

import (
	"bufio"
	"cmp"
	"debug/elf"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// initCost is what one package's initializers allocated before main, as
// GODEBUG=inittrace=1 reports it.
type initCost struct {
	pkg   string
	bytes int
}

// startupInits runs "berth version" with GODEBUG=inittrace=1, which prints a line per
// package initialized: "init PKG @T ms, C ms clock, B bytes, A allocs".
func startupInits(t *testing.T) []initCost {
	t.Helper()
	cmd := exec.Command(bin, "version")
	cmd.Env = append(os.Environ(), "GODEBUG=inittrace=1")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("berth version: %v\n%s", err, stderr.String())
	}
	var inits []initCost
	sc := bufio.NewScanner(strings.NewReader(stderr.String()))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 9 || f[0] != "init" || f[8] != "bytes," {
			continue
		}
		n, err := strconv.Atoi(f[7])
		if err != nil {
			t.Fatalf("inittrace line %q: %v", sc.Text(), err)
		}
		inits = append(inits, initCost{f[1], n})
	}
	if len(inits) == 0 {
		t.Fatalf("no inittrace lines in:\n%s", stderr.String())
	}
	return inits
}

// Every berth command, those that never call AWS too, first runs the initializers of
// every package linked into berth. Since aws-sdk-go-v2's schema-based serialization
// each service module builds a schema of its whole API there: berth version took 25 ms
// and 9 MB instead of a few. Allocation is what the test holds, as it does not depend
// on how busy the machine is; scripts/bench-start.sh measures the time.
func TestStartupAllocations(t *testing.T) {
	inits := startupInits(t)
	total, own := 0, 0
	for _, in := range inits {
		total += in.bytes
		if strings.HasPrefix(in.pkg, "github.com/berthdev/berth/") {
			own += in.bytes
		}
		// the credential chain's own clients (aws-sdk-go-v2/config and credentials)
		// are schema-based and small (under 100 kB each); holding them back would hold
		// back the credential chain's fixes too
		svc, ok := strings.CutPrefix(in.pkg, "github.com/aws/aws-sdk-go-v2/service/")
		if name, isSchemas := strings.CutSuffix(svc, "/schemas"); ok && isSchemas {
			switch name {
			case "sts", "sso", "ssooidc", "signin":
			default:
				t.Errorf("%s builds its schemas at every start (%d bytes): keep github.com/aws/aws-sdk-go-v2/service/%s at its last release before schema-based serialization (see go.mod)", in.pkg, in.bytes, name)
			}
		}
	}
	// 2.3 MB in December 2026: the SDK's endpoint tables (1.3 MB) and the Docker
	// client's image reference grammar (0.4 MB) are most of it
	const budget = 3_000_000
	if total > budget {
		slices.SortFunc(inits, func(a, b initCost) int { return cmp.Compare(b.bytes, a.bytes) })
		var top strings.Builder
		for _, in := range inits[:min(8, len(inits))] {
			fmt.Fprintf(&top, "\n  %9d  %s", in.bytes, in.pkg)
		}
		t.Errorf("package initializers allocate %d bytes at every start, want at most %d; the largest:%s", total, budget, top.String())
	}
	// berth's own packages compile nothing and decode nothing before main: regular
	// expressions are internal/lazyregexp's, tables are decoded on first use
	if own > 64<<10 {
		t.Errorf("berth's own packages allocate %d bytes in initializers, want at most 64 KiB: compile and decode on first use", own)
	}
}

// The linker leaves out the methods a program never calls, unless the program can call
// a method by its name at run time: then it keeps every exported method of every type
// in use. text/template does so (a template may name any method), and linking it,
// through cobra's SetVersionTemplate once, kept all of each AWS client's API: berth
// was 66 MB stripped instead of 25, and every command paid for the pages at start
// (docs/performance.md). Operations berth never calls stand for the rest.
func TestTheLinkerDropsTheAPIBerthDoesNotCall(t *testing.T) {
	f, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	syms, err := f.Symbols()
	if err != nil {
		t.Fatal(err)
	}
	uncalled := map[string]bool{
		"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs.(*Client).DeleteQueryDefinition": true,
		"github.com/aws/aws-sdk-go-v2/service/iam.(*Client).DeleteAccountAlias":               true,
		"github.com/aws/aws-sdk-go-v2/service/acm.(*Client).GetCertificate":                   true,
	}
	for _, s := range syms {
		if uncalled[s.Name] {
			t.Errorf("berth holds %s, which it never calls: something links a way to call methods by name (text/template, reflect's MethodByName); go build -ldflags=-dumpdep 2>&1 | grep ReflectMethod names it", s.Name)
		}
	}
}
