package synth

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/berthdev/berth/internal/cfn"
	"github.com/berthdev/berth/internal/cfn/cfntest"
	"github.com/berthdev/berth/internal/manifest"
)

// loader reads one rendered template into plain values, as some YAML reader does.
type loader func(file string, data []byte) (map[string]any, error)

// goYAML11 is the in-process YAML 1.1 reader.
func goYAML11(_ string, data []byte) (map[string]any, error) { return cfntest.Load(data) }

// readsBack checks that the templates, read by load, carry exactly the manifest's
// values: every string the manifest puts in a template is the same string there.
func readsBack(m *manifest.Manifest, files map[string][]byte, load loader) error {
	docs := map[Stack]map[string]any{}
	for _, s := range append(append([]Stack{}, StacksOf(m)...), Parent) {
		doc, err := load(s.File(), files[s.File()])
		if err != nil {
			return fmt.Errorf("%s: %w", s.File(), err)
		}
		docs[s] = doc
	}
	var errs []string
	want := func(stack Stack, path string, expect any) {
		got, err := at(docs[stack], path)
		if text, ok := cfntest.Text(got); ok {
			got = text
		}
		if f, ok := got.(float64); ok { // JSON numbers from PyYAML
			got = int(f)
		}
		if ns, ok := got.(cfntest.NotString); ok && ns.Tag == "int" {
			got = fmt.Sprint(ns.Text)
			expect = fmt.Sprint(expect)
		}
		if err != nil || got != expect {
			errs = append(errs, fmt.Sprintf("%s %s = %#v (%v), want %#v", stack.File(), path, got, err, expect))
		}
	}
	container := "Resources.TaskDefinition.Properties.ContainerDefinitions.0."
	want(Service, container+"Name", m.Name)
	want(Service, container+"LogConfiguration.Options.awslogs-stream-prefix", m.Name)
	want(Service, container+"Cpu", m.CPU)
	want(Service, container+"Memory", m.Memory)
	want(Service, container+"PortMappings.0.ContainerPort", m.Port)
	want(Service, "Resources.Service.Properties.ServiceName", m.Name)
	tg := ResTargetGroup
	if m.Shared() {
		tg = ResSharedTargetGroup
		if r := m.Route(); r.Host != "" {
			want(Service, "Resources.SharedRule.Properties.Conditions.0.HostHeaderConfig.Values.0", r.Host)
		}
		if r := m.Route(); r.Path != "" {
			want(Service, "Resources.SharedRule.Properties.Conditions."+fmt.Sprint(len(ruleConditions(m))-1)+".PathPatternConfig.Values.0", r.Path)
		}
	}
	want(Service, "Resources."+tg+".Properties.HealthCheckPath", m.Health.Path)
	if m.Image.Location != "" {
		want(Service, "Parameters.Image.Default", m.Image.Location)
		want(Parent, "Parameters.Image.Default", m.Image.Location)
	}
	if !m.Capacity.IsFargate() {
		want(Cluster, "Parameters.InstanceType.Default", m.Capacity.InstanceType)
		want(Cluster, "Metadata.berth.settings.capacity\x00ami", m.Capacity.AMI)
		want(Parent, "Parameters.AmiId.Default", m.Capacity.AMI)
	}
	if m.Network.Imported() {
		// no network stack: the ids are the parent's, the service's and the cluster's own
		want(Parent, "Parameters.VpcId.Default", m.Network.VPC)
		want(Service, "Parameters.VpcId.Default", m.Network.VPC)
		want(Cluster, "Metadata.berth.settings.network\x00vpc", m.Network.VPC)
	} else {
		want(Network, "Resources.VPC.Properties.CidrBlock", m.Network.CIDR)
	}

	// the region first (berth sets it for every container), then the manifest's, in order
	const platform = 2
	env, _ := at(docs[Service], container+"Environment")
	list, _ := env.([]any)
	if len(list) != platform+len(m.Env) {
		errs = append(errs, fmt.Sprintf("%d environment variables, want %d", len(list), platform+len(m.Env)))
	}
	for i, k := range m.EnvNames() {
		want(Service, fmt.Sprintf("%sEnvironment.%d.Name", container, platform+i), k)
		want(Service, fmt.Sprintf("%sEnvironment.%d.Value", container, platform+i), m.Env[k])
	}
	for i, k := range m.SecretNames() {
		want(Service, fmt.Sprintf("%sSecrets.%d.Name", container, i), k)
		if s := m.Secrets[k]; s.ARN != "" && s.JSONKey == "" {
			want(Service, fmt.Sprintf("%sSecrets.%d.ValueFrom", container, i), s.ARN)
		}
	}
	role := "Resources.TaskRole.Properties."
	for i, a := range m.Permissions.Managed {
		want(Service, fmt.Sprintf("%sManagedPolicyArns.%d", role, i), a)
	}
	for i, st := range m.Permissions.Statements {
		statement := fmt.Sprintf("%sPolicies.0.PolicyDocument.Statement.%d.", role, i)
		for j, a := range st.Allow {
			want(Service, fmt.Sprintf("%sAction.%d", statement, j), a)
		}
		for j, r := range st.Resources {
			want(Service, fmt.Sprintf("%sResource.%d", statement, j), r)
		}
		for op, keys := range st.Conditions {
			for k, vals := range keys {
				for j, v := range vals {
					want(Service, fmt.Sprintf("%sCondition.%s.%s.%d", statement, op, strings.ReplaceAll(k, ".", "\x00"), j), v)
				}
			}
		}
	}
	// where the alarms go: each address and endpoint subscribed, each topic an action
	n := m.Alarms.Notify
	for _, e := range n.Emails {
		want(Service, "Resources."+subscriptionID("email", e)+".Properties.Endpoint", e)
	}
	for _, u := range n.HTTPS {
		want(Service, "Resources."+subscriptionID("https", u)+".Properties.Endpoint", u)
	}
	for _, a := range serviceAlarms(m, idsOf(m, false)) {
		if !a.notifies {
			continue
		}
		own := 0
		if n.Endpoints() {
			own = 1
		}
		for i, arn := range n.Topics {
			want(Service, fmt.Sprintf("Resources.%s.Properties.AlarmActions.%d", a.id, own+i), arn)
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("%s", strings.Join(errs, "\n"))
	}
	return nil
}

// at follows a dotted path of keys and list indexes; a NUL in a key stands for a dot
// that belongs to the key (capacity.ami).
func at(v any, path string) (any, error) {
	for _, p := range strings.Split(path, ".") {
		p = strings.ReplaceAll(p, "\x00", ".")
		switch x := v.(type) {
		case map[string]any:
			var ok bool
			if v, ok = x[p]; !ok {
				return nil, fmt.Errorf("no %s", p)
			}
		case []any:
			var i int
			if _, err := fmt.Sscan(p, &i); err != nil || i >= len(x) {
				return nil, fmt.Errorf("no item %s", p)
			}
			v = x[i]
		default:
			return nil, fmt.Errorf("%s: not a mapping or list", p)
		}
	}
	return v, nil
}

// pyYAML reads the templates of files (keyed by relative path) with PyYAML, in one
// process, and returns a loader that serves them by the same keys.
func pyYAML(t *testing.T, files map[string][]byte) loader {
	t.Helper()
	names, paths := writeTree(t, t.TempDir(), files)
	docs, ok, err := cfntest.PyYAML(paths...)
	if !ok {
		t.Skip("python3 with PyYAML is absent")
	}
	if err != nil {
		t.Fatal(err)
	}
	return func(file string, _ []byte) (map[string]any, error) {
		for i, name := range names {
			if name == file {
				doc, _ := docs[i].(map[string]any)
				return doc, nil
			}
		}
		return nil, fmt.Errorf("not read")
	}
}

// lintAll runs cfn-lint once, with flags, over files (keyed by relative path), written
// under dir: zero findings, warnings included.
func lintAll(t *testing.T, dir string, files map[string][]byte, flags ...string) {
	t.Helper()
	lint, err := exec.LookPath("cfn-lint")
	if err != nil {
		t.Skip("cfn-lint is not installed (pip install cfn-lint); .ci/run installs it")
	}
	_, paths := writeTree(t, dir, files)
	out, err := exec.Command(lint, append(flags, paths...)...).CombinedOutput()
	if err != nil || len(bytes.TrimSpace(out)) > 0 {
		t.Errorf("cfn-lint: %v\n%s", err, out)
	}
}

// writeTree writes files (keyed by relative path) under dir, and returns their names
// and paths in the same order.
func writeTree(t *testing.T, dir string, files map[string][]byte) (names, paths []string) {
	t.Helper()
	for name, data := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		names, paths = append(names, name), append(paths, p)
	}
	return names, paths
}

// envValues are values YAML 1.1 readers take for booleans, nulls, numbers and dates,
// and values that look like CloudFormation substitutions.
var envValues = []string{
	"yes", "no", "on", "off", "y", "n", "Y", "N", "YES", "Off", "true", "False", "null", "~", "",
	"0777", "0o17", "0x1F", "0b11", "1_000", "1:20", "1.5", "1e5", ".inf", ".NaN", "2001-12-14",
	"${Env}", "${AWS::Region}", "a${ServiceSecurityGroup.GroupId}b", "${!Literal}", "$${x}", "line1\nline2",
	// text that reads differently than it is: a right-to-left override, a zero-width
	// space, a no-break space, a tag character (written as escapes in the manifest)
	"admin\u202e// only\u202c", "zero\u200bwidth", "nb\u00a0sp", "tag\U000E0041",
}

// trickyManifest is a service named "no" whose environment holds envValues.
func trickyManifest(t testing.TB) *manifest.Manifest {
	var b strings.Builder
	b.WriteString("name: \"no\"\nenv:\n")
	for i, v := range envValues {
		fmt.Fprintf(&b, "  V%02d: %q\n", i, v)
	}
	m, err := manifest.Parse([]byte(b.String()), filepath.Join(t.TempDir(), "berth.yml"))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// Issue 10, case 1: env FLAG: "yes" was written bare, and CloudFormation (YAML 1.1)
// passed true to the container; a service named no got a boolean ServiceName.
func TestManifestStringsReadBackUnderYAML11(t *testing.T) {
	m := trickyManifest(t)
	files, err := Render(m)
	if err != nil {
		t.Fatal(err)
	}
	if err := readsBack(m, files, goYAML11); err != nil {
		t.Error(err)
	}
	if err := readsBack(m, files, pyYAML(t, files)); err != nil {
		t.Errorf("PyYAML: %v", err)
	}
	for name, data := range files {
		if i := bytes.IndexFunc(data, cfn.Hidden); i >= 0 {
			t.Errorf("%s holds %q as is at byte %d: it must be an escape", name, []rune(string(data[i:]))[0], i)
		}
	}
}

// Issue 10, case 9: env values holding ${...} made cfn-lint report E1029 (a substitution
// outside Fn::Sub); the README promises lint-clean output for every valid manifest.
func TestTrickyManifestLintsClean(t *testing.T) {
	files, err := Render(trickyManifest(t))
	if err != nil {
		t.Fatal(err)
	}
	lintAll(t, t.TempDir(), files)
}
