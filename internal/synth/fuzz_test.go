package synth

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/berthdev/berth/internal/cfn"
	"github.com/berthdev/berth/internal/manifest"
	"go.yaml.in/yaml/v3"
)

// manifestError is what the CLI prints, after "berth: ", for a manifest it refuses
// with exit code 2.
var manifestError = regexp.MustCompile(`^berth\.yml:[1-9][0-9]*: [^\n]+$`)

// seeds are manifests for both fuzz targets: the examples, and the inputs of issue 10.
var seeds = []string{
	"name: web\n",
	"name: orders\nimage:\n  location: public.ecr.aws/docker/library/nginx:latest\nport: 8080\ncount: 3\nhealth:\n  path: /healthz\n",
	"name: \"no\"\nenv:\n  FLAG: \"yes\"\n  MODE: \"off\"\n  N: 0777\n  T: \"${Env}\"\n  D: 2001-12-14\n",
	"name: a\nenv:\n  A: !Ref X\n",
	"name: a\n---\nport: 80\n",
	"name: a\nimage:\n  build: \"\"\n",
	"name: a\nimage:\n  location: ''\n",
	"name: a\nhealth:\n  path: \"/a\\r\\0\\f\\u00a0\"\n",
	"name: a\nenv: &e {A: x}\nx: *e\n",
	"name: a\nsecrets:\n  DB_PASSWORD: ssm:/a/b\n  K: secretsmanager:s#k\n  T: ssm:arn:aws:ssm:eu-west-1:111122223333:parameter/t\nsecrets_kms_key: 1234abcd-12ab-34cd-56ef-1234567890ab\n",
	"name: a\npermissions:\n  - arn:aws:iam::aws:policy/ReadOnlyAccess\n  - allow: [s3:GetObject]\n    resources: [\"arn:aws:s3:::b/${aws:username}/*\"]\n    conditions: {StringEquals: {\"s3:prefix\": [\"on\", 0777, \"1:20\"]}}\n",
	"name: a\nnetwork:\n  vpc: vpc-0abc1234\n  public_subnets: [subnet-0aaa1111, subnet-0bbb2222]\n  private_subnets: [subnet-0ccc3333, subnet-0ddd4444]\n",
	"name: a\nimage:\n  build: ./app\ncount: {min: 1, max: 4, cpu: 50, requests: 500}\ncapacity:\n  instance_type: m7g.large\n  ami: ami-0123456789abcdef0\nnetwork:\n  cidr: 10.1.0.0/16\n  azs: 3\n  nat: single\nlogs:\n  retention: 7\n",
	// issue 21: administrator access and its override, resources of every shape, text
	// that reads differently than it is (raw: refused; escaped: allowed and escaped in
	// the templates), a role policy past IAM's size
	"name: a\npermissions_allow_admin: true\npermissions:\n  - arn:aws:iam::aws:policy/AdministratorAccess\n  - allow: [iam:PassRole, sts:AssumeRole]\n    resources: ['*', 'arn:aws:iam::111122223333:role/*']\n",
	"name: a\npermissions:\n  - arn:aws:iam::aws:policy/job-function/SystemAdministrator\n  - allow: [IAM:passrole, s3:GetObject]\n    resources: [arn:aws:sqs:*, 'arn:aws:s3:::b/${aws:username}/*', arn:aws:s3, 'arn:aws:*:x:1:y']\n",
	"name: a\nenv:\n  MSG: \"\\u202eadmin\\u202c \\u2066x\\u2069 zw\\u200bsp nb\\u00a0sp \\U000E0041\"\npermissions:\n  - allow: [s3:GetObject]\n    resources: ['*']\n    conditions: {StringEquals: {aws:PrincipalTag/team: \"ops\\u00e9\"}}\n",
	"name: a # \u2067note\u2069\nenv:\n  A\u200b: \"x\u202e\"\n",
	func() string {
		var b strings.Builder
		b.WriteString("name: a\nsecrets:\n")
		for i := range 12 {
			fmt.Fprintf(&b, "  S%d: ssm:/%s\n", i, strings.Repeat("p", 900))
		}
		return b.String()
	}(),
	"name: a\ndomain: api.example.com\nload_balancer: {access_logs: true, waf: true}\nnetwork: {flow_logs: rejected, placement: public}\ncapacity: {type: fargate-spot}\n",
	// issue 24: CloudFront in front, with and without a domain, WAF at the edge
	"name: a\nedge: cloudfront\n",
	"name: a\nedge: cloudfront\ndomain: api.example.com\nload_balancer: {waf: true, idle_timeout: 4000}\ncapacity: {type: fargate}\n",
	// issue 23: routes on the environment's load balancer, and a load balancer of one's own
	"name: a\nload_balancer: {path: /orders, host: shop.example.com, dedicated: false}\n",
	"name: a\ndomain: api.example.com\nload_balancer: {path: /v1/orders}\nnetwork: {placement: public}\n",
	"name: a\nload_balancer: {dedicated: true, waf: true}\n",
}

// checkManifest is the property both fuzz targets hold berth to: a manifest is refused
// with a berth.yml:LINE: message, or its templates read back under YAML 1.1 to exactly
// the manifest's values.
func checkManifest(t *testing.T, dir string, data []byte) {
	m, err := manifest.Parse(data, filepath.Join(dir, manifest.DefaultFile))
	if err != nil {
		var me *manifest.Error
		if !errors.As(err, &me) || !manifestError.MatchString(err.Error()) {
			t.Fatalf("%T %q is not a berth.yml:LINE: error", err, err)
		}
		return
	}
	files, err := Render(m)
	var me *manifest.Error
	if errors.As(err, &me) && manifestError.MatchString(err.Error()) {
		return // a policy larger than IAM takes, found on the templates
	} else if err != nil {
		t.Fatalf("valid manifest, no templates: %v", err)
	}
	for name, b := range files {
		if len(b) > 460800 {
			t.Fatalf("%s is %d bytes, over the smallest template limit CloudFormation has had", name, len(b))
		}
	}
	if err := readsBack(m, files, goYAML11); err != nil {
		t.Fatal(err)
	}
}

// fuzzDir is a manifest directory with the ./app that image.build seeds name.
func fuzzDir(f *testing.F) string {
	dir := f.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "app"), 0o755); err != nil {
		f.Fatal(err)
	}
	return dir
}

// manifestSeeds are the seeds of FuzzManifest: seeds, and the manifest of every
// synthesis test case, which together set every key of the manifest
// (TestFuzzManifestSeedsSetEveryKey).
func manifestSeeds(t testing.TB) [][]byte {
	var out [][]byte
	for _, s := range seeds {
		out = append(out, []byte(s))
	}
	return append(out, variants(t)...)
}

// FuzzManifest feeds arbitrary bytes to the manifest decoder and synthesis.
func FuzzManifest(f *testing.F) {
	for _, s := range manifestSeeds(f) {
		f.Add(s)
	}
	dir := fuzzDir(f)
	f.Fuzz(func(t *testing.T, data []byte) { checkManifest(t, dir, data) })
}

// FuzzManifestStrings puts arbitrary strings where a manifest takes text (name, image,
// health path, instance type, AMI, env names and values), so that mutation works on
// the strings rather than on the YAML around them. Each string goes into a manifest of
// its own, so that one invalid string does not hide what the others do.
func FuzzManifestStrings(f *testing.F) {
	f.Add("web", "public.ecr.aws/nginx/nginx:latest", "/", "c5.xlarge", "ami-0123456789abcdef0", "FLAG", "yes")
	f.Add("no", "nginx", "/h?x=1", "m7g.large", "/aws/service/x", "A", "${Env}")
	f.Add("on", "a/b:1", "/%41", "t4g.nano", "/p", "B_1", "0777\n1:20\u2028.inf")
	// issue 21: text with a bidirectional override, a zero-width space and a no-break
	// space; an IAM write on every resource; an ARN too short
	f.Add("ops", "arn:aws:iam::aws:policy/AdministratorAccess", "arn:aws:s3", "iam:PassRole", "*", "A", "user\u202e \u2066// admin\u2069\u202c zw\u200bsp nb\u00a0sp")
	f.Add("vpc-0abc1234", "subnet-0aaa1111", "subnet-0bbb2222", "subnet-0ccc3333", "subnet-0ddd4444", "A", "B")
	f.Add("canary", "blue-green", "3m", "20%", "1m", "2s", "5%")
	// issue 26: where alarms go (an address, an endpoint, a topic), and their thresholds
	f.Add("ops@example.com", "https://hooks.example.com/berth?t=${x}", "arn:aws:sns:us-east-1:123456789012:oncall", "off", "90%", "on", "2%")
	f.Add("api.example.com", "arn:aws:acm:us-east-1:123456789012:certificate/0b6d7f0e-8a8e-4f1c-9b1a-2c3d4e5f6a7b", "10.1.0.0/16", "fargate", "arm64", "DB", "secretsmanager:orders/db#user")
	// issue 23: a route on the environment's load balancer
	f.Add("shop.example.com", "nginx", "/orders/v1", "c5.xlarge", "/p", "A", "B")
	f.Add("no", "nginx", "/a.b/$x~y/'q'/@u:p+z-1", "c5.xlarge", "/p", "A", "B")
	dir := fuzzDir(f)
	f.Fuzz(func(t *testing.T, name, image, path, instanceType, ami, envName, envValue string) {
		for _, data := range stringsManifests(name, image, path, instanceType, ami, envName, envValue) {
			checkManifest(t, dir, data)
		}
	})
}

// stringsManifests are the manifests FuzzManifestStrings builds from its strings,
// which go in every key that takes text (TestFuzzManifestStringsReachEveryTextKey);
// strings YAML cannot hold (invalid UTF-8) make none. A manifest whose strings hold
// characters the manifest refuses typed as is (cfn.Hidden) comes twice: as yaml.Marshal
// writes it, and with every string double-quoted and those characters escaped, which
// the manifest takes and the templates must carry.
func stringsManifests(name, image, path, instanceType, ami, envName, envValue string) [][]byte {
	var out [][]byte
	for _, doc := range []map[string]any{
		{"name": name},
		{"image": map[string]any{"location": image}},
		{"image": map[string]any{"build": path}},
		{"health": map[string]any{"path": path}},
		{"capacity": map[string]any{"instance_type": instanceType, "ami": ami}},
		{"capacity": map[string]any{"type": instanceType, "arch": ami}},
		{"network": map[string]any{"cidr": path, "nat": name, "placement": instanceType, "flow_logs": ami}},
		{"network": map[string]any{"vpc": name, "public_subnets": []any{image, path}, "private_subnets": []any{instanceType, ami}}},
		{"env": map[string]any{envName: envValue, "OTHER": envValue + "x"}},
		{"env": map[string]any{"VALUE": envValue}},
		{"secrets": map[string]any{envName: envValue, "OTHER": "ssm:" + path}, "secrets_kms_key": ami},
		{"permissions": []any{image, map[string]any{"allow": []any{instanceType, envName}, "resources": []any{path, image},
			"conditions": map[string]any{"StringEquals": map[string]any{envName: envValue}}}}},
		{"domain": map[string]any{"name": name, "zone": instanceType, "certificate": image}},
		{"edge": name},
		{"load_balancer": map[string]any{"path": path, "host": name}},
		{"load_balancer": map[string]any{"path": path}, "domain": name},
		{"deployment": map[string]any{"strategy": name, "bake": path, "canary": map[string]any{"percent": envValue, "bake": ami},
			"linear": map[string]any{"percent": instanceType, "interval": envName}, "rollback_on": map[string]any{"errors": envValue, "latency_p99": path}}},
		{"alarms": map[string]any{"notify": []any{name, image, path}, "errors": envValue, "latency_p99": instanceType, "unhealthy_targets": envName,
			"running_tasks": instanceType, "cpu": ami, "memory": envValue}},
	} {
		data, err := yaml.Marshal(doc)
		if err != nil || !utf8.Valid(data) || bytes.Contains(data, []byte("!!binary")) {
			continue
		}
		out = append(out, data)
		if bytes.ContainsFunc(data, cfn.Hidden) {
			out = append(out, quotedYAML(doc))
		}
	}
	return out
}

// quotedYAML writes doc with every string in double quotes and each cfn.Hidden
// character as its escape (\u202E), which YAML reads back as the same character.
func quotedYAML(doc any) []byte {
	var n yaml.Node
	if n.Encode(doc) != nil {
		return nil
	}
	var quote func(*yaml.Node)
	quote = func(n *yaml.Node) {
		if n.Kind == yaml.ScalarNode && n.Tag == "!!str" {
			n.Style = yaml.DoubleQuotedStyle
		}
		for _, c := range n.Content {
			quote(c)
		}
	}
	quote(&n)
	data, err := yaml.Marshal(&n)
	if err != nil {
		return nil
	}
	var b strings.Builder
	for _, r := range string(data) {
		switch {
		case !cfn.Hidden(r):
			b.WriteRune(r)
		case r > 0xffff:
			fmt.Fprintf(&b, "\\U%08X", r)
		default:
			fmt.Fprintf(&b, "\\u%04X", r)
		}
	}
	return []byte(b.String())
}

// TestFuzzCorpusReadsBackAndLints runs the outside readers over the manifests of the
// checked-in fuzz corpora, which the fuzz loop cannot afford per input: every valid
// manifest's templates read back through PyYAML to the manifest's values, and cfn-lint
// reports nothing on them.
func TestFuzzCorpusReadsBackAndLints(t *testing.T) {
	var inputs [][]byte
	for _, target := range []string{"FuzzManifest", "FuzzManifestStrings"} {
		entries, _ := filepath.Glob(filepath.Join("testdata", "fuzz", target, "*"))
		for _, e := range entries {
			args := corpusEntry(t, e)
			if len(args) == 1 {
				inputs = append(inputs, []byte(args[0]))
			} else {
				inputs = append(inputs, stringsManifests(args[0], args[1], args[2], args[3], args[4], args[5], args[6])...)
			}
		}
	}
	dir := t.TempDir()
	os.Mkdir(filepath.Join(dir, "app"), 0o755)
	var manifests []*manifest.Manifest
	all := map[string][]byte{}
	for _, data := range inputs {
		m, err := manifest.Parse(data, filepath.Join(dir, manifest.DefaultFile))
		if err != nil {
			continue
		}
		files, err := Render(m)
		if manifest.IsManifestError(err) {
			continue
		} else if err != nil {
			t.Fatal(err)
		}
		for name, b := range files {
			all[fmt.Sprintf("m%03d/%s", len(manifests), name)] = b
		}
		manifests = append(manifests, m)
	}
	if len(manifests) < 10 {
		t.Fatalf("only %d valid manifests in the corpora", len(manifests))
	}
	read := pyYAML(t, all)
	for i, m := range manifests {
		prefix := fmt.Sprintf("m%03d/", i)
		files := map[string][]byte{}
		for name, b := range all {
			if strings.HasPrefix(name, prefix) {
				files[strings.TrimPrefix(name, prefix)] = b
			}
		}
		err := readsBack(m, files, func(file string, data []byte) (map[string]any, error) { return read(prefix+file, data) })
		if err != nil {
			t.Errorf("manifest %d (%q): PyYAML: %v", i, m.Name, err)
		}
	}
	// cfn-lint takes about a second per ten templates: lint a sample of 10 manifests.
	// W1030 is cfn-lint's stale instance-type list, which berth deliberately does not
	// follow (docs/architecture.md): a well-shaped type it does not know, a8x.huge say, is valid.
	sample := map[string][]byte{}
	step := max(1, len(manifests)/10)
	for i := 0; i < len(manifests); i += step {
		prefix := fmt.Sprintf("m%03d/", i)
		for name, b := range all {
			if strings.HasPrefix(name, prefix) {
				sample[name] = b
			}
		}
	}
	lintAll(t, t.TempDir(), sample, "--ignore-checks=W1030")
	t.Logf("%d of %d corpus manifests valid: all read back through PyYAML, %d templates lint clean", len(manifests), len(inputs), len(sample))
}

// corpusEntry reads the arguments of one fuzz corpus file ("go test fuzz v1", one
// string(...) or []byte(...) literal a line).
func corpusEntry(t *testing.T, file string) []string {
	t.Helper()
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(raw)), "\n")
	if len(lines) < 2 || lines[0] != "go test fuzz v1" {
		t.Fatalf("%s: not a fuzz corpus entry", file)
	}
	var args []string
	for _, l := range lines[1:] {
		lit, ok := strings.CutPrefix(l, "string(")
		if !ok {
			lit, ok = strings.CutPrefix(l, "[]byte(")
		}
		s, err := strconv.Unquote(strings.TrimSuffix(lit, ")"))
		if !ok || err != nil {
			t.Fatalf("%s: cannot read %q", file, l)
		}
		args = append(args, s)
	}
	return args
}
