// Package iam writes the IAM side of a service's template: the roles of its tasks (the
// execution role that reads its secrets, the task role of its permissions and of ECS
// Exec), where each secret is (its ARN, for the task definition and for the role), and
// IAM's limits on the size of a policy, held with the line of the manifest that passes
// them.
//
// It is a part of synth's pure function: it makes no AWS call, and it must not import
// synth (which imports it), the AWS path or local.
package iam

import (
	"slices"
	"strings"

	"github.com/berthdev/berth/internal/cfn"
	"github.com/berthdev/berth/internal/lazyregexp"
	"github.com/berthdev/berth/internal/manifest"
)

// The roles of a service's tasks. The environment's execution role (cluster stack) may
// pull images and write logs for every service deployed to it; a service with secrets
// gets an execution role of its own in its stack, allowed to read exactly its
// parameters and secrets, so that no other service's tasks can read them. A task role,
// which the app's own AWS calls use, exists only when the manifest gives permissions
// or turns exec on (HasTaskRole).

// TasksTrust lets this account's ECS tasks assume a role, and no other account's
// (confused deputy: aws:SourceAccount / aws:SourceArn).
func TasksTrust() map[string]any {
	return map[string]any{
		"Version": "2012-10-17",
		"Statement": []any{map[string]any{
			"Effect": "Allow", "Action": "sts:AssumeRole",
			"Principal": map[string]any{"Service": "ecs-tasks.amazonaws.com"},
			"Condition": map[string]any{
				"StringEquals": map[string]any{"aws:SourceAccount": cfn.Ref("AWS::AccountId")},
				"ArnLike":      map[string]any{"aws:SourceArn": cfn.Sub("arn:${AWS::Partition}:ecs:${AWS::Region}:${AWS::AccountId}:*")},
			},
		}},
	}
}

// ServiceExecutionRole is the environment's execution role plus reading this
// service's secrets: ssm:GetParameters on its parameters, secretsmanager:GetSecretValue
// on its secrets and, for a customer managed key, kms:Decrypt through those two
// services only. These are the permissions the ECS developer guide lists for secrets
// (task_execution_IAM_role.html#task-execution-secrets); an AWS managed key (aws/ssm,
// aws/secretsmanager) needs none, its key policy lets the account use it through the
// service.
func ServiceExecutionRole(m *manifest.Manifest) cfn.Resource {
	var params, secrets, via []any
	for _, name := range m.SecretNames() {
		s := m.Secrets[name]
		ref := secretRef(s)
		if s.Source == manifest.SSM {
			params = appendNew(params, ref.resource)
		} else {
			secrets = appendNew(secrets, ref.resource)
		}
		via = appendNew(via, ref.via)
	}
	var statements []any
	if len(params) > 0 {
		statements = append(statements, map[string]any{"Sid": "ReadTheParameters", "Effect": "Allow", "Action": "ssm:GetParameters", "Resource": params})
	}
	if len(secrets) > 0 {
		statements = append(statements, map[string]any{"Sid": "ReadTheSecrets", "Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": secrets})
	}
	if len(m.SecretsKMSKeys) > 0 {
		var keys []any
		for _, k := range m.SecretsKMSKeys {
			keys = appendNew(keys, kmsKeyARN(k))
		}
		statements = append(statements, map[string]any{
			"Sid": "DecryptThemThroughTheirServiceOnly", "Effect": "Allow", "Action": "kms:Decrypt", "Resource": keys,
			"Condition": map[string]any{"StringEquals": map[string]any{"kms:ViaService": via}},
		})
	}
	return cfn.Resource{Type: "AWS::IAM::Role", Properties: map[string]any{
		"Description":              "berth " + m.Name + " task execution: pull the image, write logs, read the service's secrets",
		"AssumeRolePolicyDocument": TasksTrust(),
		"ManagedPolicyArns":        []any{cfn.AWSManagedPolicy("service-role/AmazonECSTaskExecutionRolePolicy")},
		"Policies": []any{map[string]any{
			"PolicyName":     "read-secrets",
			"PolicyDocument": map[string]any{"Version": "2012-10-17", "Statement": statements},
		}},
	}}
}

// HasTaskRole reports whether the tasks get a role of their own.
func HasTaskRole(m *manifest.Manifest) bool { return !m.Permissions.Empty() || m.Exec }

// execChannels are what the SSM agent that ECS Exec runs in each task calls to open
// the Session Manager channels of a session, with the task role's credentials; these
// actions take no resource ("Amazon ECS task IAM role", section "ECS Exec
// permissions"; "Using Amazon ECS Exec for debugging", ecs-exec.html).
var execChannels = []any{
	"ssmmessages:CreateControlChannel", "ssmmessages:CreateDataChannel",
	"ssmmessages:OpenControlChannel", "ssmmessages:OpenDataChannel",
}

// TaskRole is what the app's code may call: the manifest's managed policies and
// statements, nothing else; with exec, also the channels of ECS Exec sessions.
func TaskRole(m *manifest.Manifest) cfn.Resource {
	what := "the AWS calls of the app (berth.yml permissions)"
	if m.Permissions.Empty() {
		what = "ECS Exec sessions (berth.yml exec)"
	} else if m.Exec {
		what += " and ECS Exec sessions (exec)"
	}
	props := map[string]any{
		"Description":              "berth " + m.Name + " tasks: " + what,
		"AssumeRolePolicyDocument": TasksTrust(),
	}
	var policies []any
	p := m.Permissions
	if len(p.Managed) > 0 {
		var arns []any
		for _, a := range p.Managed {
			arns = append(arns, a)
		}
		props["ManagedPolicyArns"] = arns
	}
	if len(p.Statements) > 0 {
		var statements []any
		for _, s := range p.Statements {
			st := map[string]any{"Effect": "Allow", "Action": texts(s.Allow), "Resource": texts(s.Resources)}
			if len(s.Conditions) > 0 {
				cond := map[string]any{}
				for op, keys := range s.Conditions {
					c := map[string]any{}
					for k, vals := range keys {
						c[k] = texts(vals)
					}
					cond[op] = c
				}
				st["Condition"] = cond
			}
			statements = append(statements, st)
		}
		policies = append(policies, map[string]any{
			"PolicyName":     "permissions",
			"PolicyDocument": map[string]any{"Version": "2012-10-17", "Statement": statements},
		})
	}
	if m.Exec {
		policies = append(policies, map[string]any{
			"PolicyName": "ecs-exec",
			"PolicyDocument": map[string]any{"Version": "2012-10-17", "Statement": []any{map[string]any{
				"Sid": "SessionManagerChannels", "Effect": "Allow", "Action": execChannels, "Resource": "*",
			}}},
		})
	}
	if len(policies) > 0 {
		props["Policies"] = policies
	}
	return cfn.Resource{Type: "AWS::IAM::Role", Properties: props}
}

// texts keeps the user's strings as written: IAM policy variables such as
// ${aws:username} must reach IAM as text (see cfn.Text).
func texts(list []string) []any {
	out := make([]any, len(list))
	for i, s := range list {
		out[i] = cfn.Text(s)
	}
	return out
}

// ref is where one secret is, for the task definition and for the execution role.
type ref struct {
	valueFrom any // the task definition's ValueFrom
	resource  any // what the execution role may read
	via       any // the service that decrypts it: the kms:ViaService value
}

var arnRegion = lazyregexp.New(`^arn:[^:]+:[^:]+:([^:]+):`)

// secretRef builds the ARNs of a secret in the deploy's partition, region and account
// (Fn::Sub), or takes the manifest's ARN as it is.
//
// ValueFrom is always an ARN, so that the task definition names exactly what it reads
// (ECS takes a parameter's name too, in the task's own region: ECS API reference,
// Secret). A Secrets Manager secret named without its ARN's random suffix is read by
// its partial ARN, which Secrets Manager resolves, and the role may read NAME-??????,
// the name and any six-character suffix; one key of a JSON secret is
// ARN:KEY:: (no version stage, no version id: the current version), per the ECS
// developer guide, secrets-envvar-secrets-manager.html.
func secretRef(s manifest.Secret) ref {
	service := "ssm"
	if s.Source == manifest.SecretsManager {
		service = "secretsmanager"
	}
	r := ref{via: cfn.Sub(service + ".${AWS::Region}.${AWS::URLSuffix}")}
	if s.ARN != "" {
		if m := arnRegion.FindStringSubmatch(s.ARN); m != nil {
			r.via = cfn.Sub(service + "." + m[1] + ".${AWS::URLSuffix}")
		}
	}
	switch {
	case s.Source == manifest.SSM && s.ARN != "":
		r.valueFrom, r.resource = s.ARN, s.ARN
	case s.Source == manifest.SSM:
		// the ARN of /a/b is ...:parameter/a/b, of b ...:parameter/b
		arn := cfn.Sub(inAccount("ssm") + "parameter/" + strings.TrimPrefix(s.Name, "/"))
		r.valueFrom, r.resource = arn, arn
	case s.ARN != "":
		r.valueFrom, r.resource = s.ARN, s.ARN
		if s.JSONKey != "" {
			r.valueFrom = s.ARN + ":" + s.JSONKey + "::"
		}
	default:
		base := inAccount("secretsmanager") + "secret:" + s.Name
		r.valueFrom, r.resource = cfn.Sub(base), cfn.Sub(base+"-??????")
		if s.JSONKey != "" {
			r.valueFrom = cfn.Sub(base + ":" + s.JSONKey + "::")
		}
	}
	return r
}

// inAccount is the start of an ARN of service in the stack's partition, region and
// account, for Fn::Sub.
func inAccount(service string) string {
	return "arn:${AWS::Partition}:" + service + ":${AWS::Region}:${AWS::AccountId}:"
}

// kmsKeyARN is a key's ARN: as given, or built from a key id in the stack's account
// and region.
func kmsKeyARN(key string) any {
	if strings.HasPrefix(key, "arn:") {
		return key
	}
	return cfn.Sub(inAccount("kms") + "key/" + key)
}

// appendNew appends v unless the list holds it already.
func appendNew(list []any, v any) []any {
	if slices.Contains(list, v) {
		return list
	}
	return append(list, v)
}

// ContainerSecrets is the task definition's Secrets: one per variable, by name.
func ContainerSecrets(m *manifest.Manifest) []any {
	var out []any
	for _, name := range m.SecretNames() {
		out = append(out, map[string]any{"Name": name, "ValueFrom": secretRef(m.Secrets[name]).valueFrom})
	}
	return out
}
