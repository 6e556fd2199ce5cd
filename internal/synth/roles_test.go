package synth

import (
	"fmt"
	"path"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/berthdev/berth/internal/cfn"
	"github.com/berthdev/berth/internal/manifest"
)

// sub is the text of a string or of an {Fn::Sub: text}.
func sub(v any) string {
	if m, ok := v.(map[string]any); ok {
		return fmt.Sprint(m["Fn::Sub"])
	}
	return fmt.Sprint(v)
}

func serviceDoc(t *testing.T, m *manifest.Manifest) *cfn.Doc {
	t.Helper()
	doc, err := cfn.Parse(mustMarshal(t, Build(m)[Service]))
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

var jsonKey = regexp.MustCompile(`^(.*:secret:[^:]+):[^:]+::$`)
var suffixed = regexp.MustCompile(`-[A-Za-z0-9]{6}$`)

// The execution role of a service with secrets reads exactly what its task definition
// names, nothing more: every ValueFrom is within a Resource of the role's policy, and
// every Resource holds a ValueFrom. (The role is the service's own: the environment's
// is shared by every service deployed to it.)
func TestTheExecutionRoleReadsExactlyTheSecrets(t *testing.T) {
	for _, name := range cases {
		m := load(t, name)
		doc := serviceDoc(t, m)
		td := doc.Resources["TaskDefinition"].Properties
		role, hasRole := doc.Resources["ExecutionRole"]
		if len(m.Secrets) == 0 {
			if hasRole || td["ExecutionRoleArn"].(map[string]any)["Ref"] != OutExecutionRoleArn {
				t.Errorf("%s: a service without secrets keeps the environment's execution role", name)
			}
			continue
		}
		if target := fmt.Sprint(td["ExecutionRoleArn"]); !hasRole || !strings.Contains(target, "ExecutionRole") || doc.Parameters[OutExecutionRoleArn] != nil {
			t.Fatalf("%s: the task definition runs with %s, not the service's own execution role", name, target)
		}
		var read []string // what the task definition names, as the role sees it
		for _, s := range td["ContainerDefinitions"].([]any)[0].(map[string]any)["Secrets"].([]any) {
			v := sub(s.(map[string]any)["ValueFrom"])
			if m := jsonKey.FindStringSubmatch(v); m != nil {
				v = m[1] // ARN:KEY:: reads the secret ARN
			}
			if strings.Contains(v, ":secret:") && !suffixed.MatchString(v) {
				v += "-AbCdEf" // a partial ARN: Secrets Manager resolves it to the full one
			}
			read = append(read, v)
		}
		var allowed []string
		for _, st := range role.Properties["Policies"].([]any)[0].(map[string]any)["PolicyDocument"].(map[string]any)["Statement"].([]any) {
			st := st.(map[string]any)
			if st["Action"] == "kms:Decrypt" {
				if fmt.Sprint(st["Condition"]) == "<nil>" || !strings.Contains(fmt.Sprint(st["Condition"]), "kms:ViaService") {
					t.Errorf("%s: kms:Decrypt is not limited to SSM and Secrets Manager", name)
				}
				continue
			}
			for _, r := range st["Resource"].([]any) {
				allowed = append(allowed, sub(r))
			}
		}
		for _, r := range read {
			if !slices.ContainsFunc(allowed, func(a string) bool { ok, _ := path.Match(a, r); return ok }) {
				t.Errorf("%s: the task reads %s, which its execution role may not", name, r)
			}
		}
		for _, a := range allowed {
			if a == "*" || !slices.ContainsFunc(read, func(r string) bool { ok, _ := path.Match(a, r); return ok }) {
				t.Errorf("%s: the execution role may read %s, which the task does not", name, a)
			}
		}
	}
}

// A task role exists only with permissions or exec, trusts only this account's tasks,
// and holds exactly the manifest's policies and, with exec, the four Session Manager
// channel actions of ECS Exec, nothing else.
func TestTheTaskRoleIsThePermissions(t *testing.T) {
	for _, name := range cases {
		m := load(t, name)
		doc := serviceDoc(t, m)
		role, has := doc.Resources["TaskRole"]
		td := doc.Resources["TaskDefinition"].Properties
		if m.Permissions.Empty() && !m.Exec {
			if has || td["TaskRoleArn"] != nil {
				t.Errorf("%s: a task role without permissions or exec", name)
			}
			continue
		}
		if !has || !strings.Contains(fmt.Sprint(td["TaskRoleArn"]), "TaskRole") {
			t.Fatalf("%s: no task role", name)
		}
		trust := fmt.Sprint(role.Properties["AssumeRolePolicyDocument"])
		if !strings.Contains(trust, "aws:SourceAccount") || !strings.Contains(trust, "aws:SourceArn") {
			t.Errorf("%s: the task role's trust is not limited to this account's tasks: %s", name, trust)
		}
		var managed []string
		if arns, ok := role.Properties["ManagedPolicyArns"].([]any); ok {
			for _, a := range arns {
				managed = append(managed, a.(string))
			}
		}
		if !slices.Equal(managed, m.Permissions.Managed) {
			t.Errorf("%s: managed policies %v, want %v", name, managed, m.Permissions.Managed)
		}
		policies := map[string][]any{}
		for _, p := range role.Properties["Policies"].([]any) {
			p := p.(map[string]any)
			policies[p["PolicyName"].(string)] = p["PolicyDocument"].(map[string]any)["Statement"].([]any)
		}
		if got := len(policies["permissions"]); got != len(m.Permissions.Statements) {
			t.Errorf("%s: %d statements, want %d", name, got, len(m.Permissions.Statements))
		}
		execPolicy, hasExec := policies["ecs-exec"]
		if hasExec != m.Exec {
			t.Errorf("%s: ecs-exec policy %v, exec %v", name, hasExec, m.Exec)
		}
		if len(policies) != len(slices.DeleteFunc([]bool{len(m.Permissions.Statements) > 0, m.Exec}, func(b bool) bool { return !b })) {
			t.Errorf("%s: policies %v", name, policies)
		}
		if hasExec {
			want := "[map[Action:[ssmmessages:CreateControlChannel ssmmessages:CreateDataChannel ssmmessages:OpenControlChannel ssmmessages:OpenDataChannel] Effect:Allow Resource:* Sid:SessionManagerChannels]]"
			if got := fmt.Sprint(execPolicy); got != want {
				t.Errorf("%s: ECS Exec policy %s, want %s", name, got, want)
			}
			if doc.Resources["Service"].Properties["EnableExecuteCommand"] != true {
				t.Errorf("%s: exec without EnableExecuteCommand on the service", name)
			}
			// turning exec on starts no task by itself (UpdateService; aws/aws-cli#7548):
			// the nonce that comes with it makes the deploy replace the tasks, which then
			// have the agent (helper review, 2026-12-04)
			if got := fmt.Sprint(doc.Resources["Service"].Properties["ForceNewDeployment"]); got != "map[EnableForceNewDeployment:true ForceNewDeploymentNonce:exec]" {
				t.Errorf("%s: exec turned on replaces no task: ForceNewDeployment %s", name, got)
			}
		} else if _, set := doc.Resources["Service"].Properties["EnableExecuteCommand"]; set {
			t.Errorf("%s: EnableExecuteCommand without exec", name)
		} else if _, set := doc.Resources["Service"].Properties["ForceNewDeployment"]; set {
			t.Errorf("%s: a forced deployment without exec", name)
		}
	}
}

// The role ECS shifts traffic with trusts ecs.amazonaws.com exactly as AWS's page
// "Amazon ECS infrastructure IAM role for load balancers" writes its trust policy, with
// no condition: AWS documents no aws:SourceAccount from ECS when it assumes this role,
// and a condition ECS does not meet would fail every canary, linear and blue/green
// deployment (helper review, 2026-12-04).
func TestDeploymentRoleTrustsECSAsAWSDocumentsIt(t *testing.T) {
	for _, name := range []string{"canary", "linear", "blue-green"} {
		doc := serviceDoc(t, load(t, name))
		role, ok := doc.Resources[ResDeploymentRole]
		if !ok {
			t.Fatalf("%s: no %s", name, ResDeploymentRole)
		}
		stmts := role.Properties["AssumeRolePolicyDocument"].(map[string]any)["Statement"].([]any)
		want := map[string]any{"Effect": "Allow", "Principal": map[string]any{"Service": "ecs.amazonaws.com"}, "Action": "sts:AssumeRole"}
		if len(stmts) != 1 || fmt.Sprint(stmts[0]) != fmt.Sprint(want) {
			t.Errorf("%s: the deployment role's trust is %v, want AWS's documented %v", name, stmts, want)
		}
		if got := fmt.Sprint(role.Properties["ManagedPolicyArns"]); !strings.Contains(got, "policy/AmazonECSInfrastructureRolePolicyForLoadBalancers") {
			t.Errorf("%s: the deployment role's policies are %s", name, got)
		}
	}
}
