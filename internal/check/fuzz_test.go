package check

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime/metrics"
	"strings"
	"testing"
)

// maxAlloc bounds what checking one template may allocate. A template at the alias
// budget (cfn.MaxAliasValues) allocates about 40 MB; before the bound, a 400-byte one
// allocated gigabytes.
const maxAlloc = 256 << 20

func allocated() uint64 {
	s := []metrics.Sample{{Name: "/gc/heap/allocs:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// FuzzTemplate runs berth check on hostile templates: any input gives results or an
// error, never a panic, and within bounded memory. Its seeds are the fixtures, the
// templates berth writes for every synthesis test case (which together set every key
// of the manifest: internal/synth, TestTheVariantsSetEveryManifestKey), and templates
// of a form CloudFormation refuses.
func FuzzTemplate(f *testing.F) {
	golden, _ := filepath.Glob(filepath.Join("..", "synth", "testdata", "*", "*.yml"))
	files := []string{filepath.Join("testdata", "bad-service.yml"), filepath.Join("testdata", "bad-cluster.json"), filepath.Join("testdata", "lb-cidr-on-other-port.yml")}
	for _, g := range golden {
		if filepath.Base(g) != "berth.yml" {
			files = append(files, g)
		}
	}
	if len(files) < 3+4*15 {
		f.Fatalf("%d seed files: the synthesis test cases' templates are missing", len(files))
	}
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	// issue 21: a key twice at every level, aliases as values and keys, a merge, an
	// unsupported tag, Resources and a resource that are not mappings, no Type, text
	// written with escapes
	f.Add([]byte("Resources:\n  A:\n    Type: T\n  A:\n    Type: U\n    Properties: {X: 1, X: 2}\nResources: {}\n"))
	f.Add([]byte("Metadata:\n  k: &k Name\nResources:\n  A:\n    Type: T\n    Properties: &p\n      *k : a\n  B:\n    Type: T\n    Properties:\n      <<: *p\n      Y: !!binary aGk=\n"))
	f.Add([]byte("Resources: [A, B]\n"))
	f.Add([]byte("Resources:\n  my-topic: AWS::SNS::Topic\n  B: {Properties: {}}\n  ? [x]\n  : y\n"))
	f.Add([]byte(`{"Resources": {"A": {"Type": "AWS::SNS::Topic", "Type": "AWS::SQS::Queue", "Properties": {"TopicName": "a\u202eb"}}}}`))
	f.Add([]byte("Resources:\n  R:\n    Type: T\n    Properties: &a\n      X: [*a]\n"))
	f.Add([]byte(billionLaughs))
	f.Add([]byte("Resources:\n  R:\n    Type: T\n    Properties:\n      a: &a [x, x, x, x]\n      b: &b [*a, *a, *a, *a]\n      c: &c [*b, *b, *b, *b]\n      d: [*c, *c, *c, *c]\n"))
	f.Add([]byte("Resources:\n  R: {Type: AWS::ECS::Service, Properties: {NetworkConfiguration: !Ref X, DeploymentConfiguration: [1]}}\n"))
	f.Add([]byte("Resources:\n  R:\n    Type: AWS::EC2::SecurityGroup\n    Properties:\n      SecurityGroupIngress: [{IpProtocol: -1, FromPort: x, CidrIp: !GetAtt A.B}]\n" + strings.Repeat("[", 50)))
	f.Fuzz(func(t *testing.T, data []byte) {
		before := allocated()
		results, err := Template("t.yml", data)
		if used := allocated() - before; used > maxAlloc {
			t.Fatalf("checking %d bytes allocated %d MiB", len(data), used>>20)
		}
		if err != nil {
			return
		}
		for _, r := range results {
			if r.Status != Pass && r.Status != Fail && r.Status != Skip {
				t.Fatalf("result %+v", r)
			}
		}
	})
}

// billionLaughs holds 9^8 strings once its aliases are expanded: issue 10, case 2.
var billionLaughs = func() string {
	var b strings.Builder
	b.WriteString("Resources:\n  R:\n    Type: AWS::SNS::Topic\n    Properties:\n      l0: &l0 [x, x, x, x, x, x, x, x, x]\n")
	for i := 1; i < 8; i++ {
		p := fmt.Sprintf("*l%d", i-1)
		fmt.Fprintf(&b, "      l%d: &l%d [%s]\n", i, i, strings.Repeat(p+", ", 8)+p)
	}
	return b.String()
}()
