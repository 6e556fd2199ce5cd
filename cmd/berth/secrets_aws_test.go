package main

import (
	"context"
	"encoding/json"
	"net/url"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/berthdev/berth/internal/session"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
)

// Issue 16 on the emulator: a deploy whose SSM parameter does not exist is refused
// before any stack changes, naming the secret, its line and the command that creates
// it; with the parameter there, the registered task definition holds its ARN (not its
// value), and the service's own execution role may read exactly that parameter and
// secret, nothing else. The values never appear in berth's output, the templates or the
// task definition.
func TestSecretsAreCheckedAndReadByARN(t *testing.T) {
	t.Parallel()
	env := awsEnv(t)
	c := clients(t, env)
	ctx := context.Background()
	const password, token = "pw-e2e-7f3a9c", "tok-e2e-51bd02"
	if _, err := c.SM.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("orders/e2e-api"), SecretString: aws.String(`{"token":"` + token + `"}`)}); err != nil {
		t.Fatal(err)
	}
	dir := project(t, "health:\n", `secrets:
  DB_PASSWORD: ssm:/orders/e2e/db-password
  API_TOKEN: secretsmanager:orders/e2e-api#token
permissions:
  - allow: [s3:GetObject]
    resources: [arn:aws:s3:::orders-e2e-uploads/*]
health:
`)

	r := berthWith(t, dir, env, "deploy", "--env", "e2e-sec", "--yes")
	if r.code != 1 || !strings.Contains(r.stderr, "berth: berth.yml:9: secrets.DB_PASSWORD: the SSM parameter /orders/e2e/db-password does not exist in us-east-1 (account 123456789012); nothing was changed") ||
		!strings.Contains(r.stderr, `hint: create it: aws ssm put-parameter --region us-east-1 --type SecureString --name /orders/e2e/db-password --value "$DB_PASSWORD"`) {
		t.Fatalf("deploy with a missing parameter: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if d := berthWith(t, dir, env, "diff", "--env", "e2e-sec"); d.code != 1 || !strings.Contains(d.stderr, "secrets.DB_PASSWORD: the SSM parameter") {
		t.Errorf("diff with a missing parameter: exit %d\n%s", d.code, d.stderr)
	}
	stacks, err := c.CF.DescribeStacks(ctx, &cloudformation.DescribeStacksInput{})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range stacks.Stacks {
		if strings.HasPrefix(aws.ToString(s.StackName), "berth-e2e-sec-") {
			t.Errorf("the refused deploy made stack %s (%s)", aws.ToString(s.StackName), s.StackStatus)
		}
	}

	if _, err := c.SSM.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/orders/e2e/db-password"), Value: aws.String(password), Type: ssmtypes.ParameterTypeSecureString}); err != nil {
		t.Fatal(err)
	}
	r = berthWith(t, dir, env, "deploy", "--env", "e2e-sec", "--yes")
	mustSucceed(t, r, "deploy with the parameter")
	if !strings.Contains(r.stdout, "+ ExecutionRole") || !strings.Contains(r.stdout, "+ TaskRole") {
		t.Errorf("the plan does not show the service's roles:\n%s", r.stdout)
	}

	ecsc := c.ECS
	svc, err := ecsc.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String("berth-e2e-sec"), Services: []string{"orders"}})
	if err != nil || len(svc.Services) != 1 {
		t.Fatalf("service: %v %v", svc, err)
	}
	td, err := ecsc.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: svc.Services[0].TaskDefinition})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, s := range td.TaskDefinition.ContainerDefinitions[0].Secrets {
		got[aws.ToString(s.Name)] = aws.ToString(s.ValueFrom)
	}
	paramARN := "arn:aws:ssm:us-east-1:123456789012:parameter/orders/e2e/db-password"
	want := map[string]string{
		"DB_PASSWORD": paramARN,
		"API_TOKEN":   "arn:aws:secretsmanager:us-east-1:123456789012:secret:orders/e2e-api:token::",
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("task definition: %s from %q, want %q", k, got[k], v)
		}
	}
	registered, _ := json.Marshal(td.TaskDefinition)
	tmpl, err := c.CF.GetTemplate(ctx, &cloudformation.GetTemplateInput{StackName: aws.String("berth-e2e-sec-svc-orders")})
	if err != nil {
		t.Fatal(err)
	}
	for what, text := range map[string]string{"berth's output": r.stdout + r.stderr, "the task definition": string(registered), "the template": aws.ToString(tmpl.TemplateBody)} {
		if strings.Contains(text, password) || strings.Contains(text, token) {
			t.Errorf("%s holds a secret's value", what)
		}
	}

	// the service's own execution role, not the environment's, reading exactly these
	envRole := stackOutput(t, c, "berth-e2e-sec-cluster", "ExecutionRoleArn")
	execRole := aws.ToString(td.TaskDefinition.ExecutionRoleArn)
	if execRole == "" || execRole == envRole {
		t.Fatalf("the task definition runs with %q, the environment's role is %q", execRole, envRole)
	}
	resources := rolePolicyResources(t, c, execRole, "read-secrets")
	if strings.Join(resources, " ") != "arn:aws:secretsmanager:us-east-1:123456789012:secret:orders/e2e-api-?????? "+paramARN {
		t.Errorf("the execution role may read %v, want exactly the parameter and the secret", resources)
	}
	if taskRole := aws.ToString(td.TaskDefinition.TaskRoleArn); taskRole == "" ||
		strings.Join(rolePolicyResources(t, c, taskRole, "permissions"), " ") != "arn:aws:s3:::orders-e2e-uploads/*" {
		t.Errorf("task role %q: not the manifest's permissions", taskRole)
	}
	if envResources := rolePolicies(t, c, envRole); len(envResources) != 0 {
		t.Errorf("the environment's execution role gained policies: %v", envResources)
	}
}

// rolePolicyResources lists, sorted, the resources of a role's inline policy.
func rolePolicyResources(t *testing.T, c *session.Session, roleARN, policy string) []string {
	t.Helper()
	name := roleARN[strings.LastIndex(roleARN, "/")+1:]
	out, err := c.IAM.GetRolePolicy(context.Background(), &iam.GetRolePolicyInput{RoleName: aws.String(name), PolicyName: aws.String(policy)})
	if err != nil {
		t.Fatalf("policy %s of %s: %v", policy, name, err)
	}
	doc := aws.ToString(out.PolicyDocument)
	if d, err := url.QueryUnescape(doc); err == nil { // IAM returns the document URL-encoded
		doc = d
	}
	var v struct {
		Statement []struct {
			Action   any
			Resource any
		}
	}
	if strings.HasPrefix(doc, "{'") {
		// moto keeps a policy that CloudFormation made as Python prints a dict; the
		// documents here hold no quote of their own
		doc = strings.ReplaceAll(doc, "'", `"`)
	}
	if err := json.Unmarshal([]byte(doc), &v); err != nil {
		t.Fatalf("policy %s: %v\n%s", policy, err, doc)
	}
	var resources []string
	for _, s := range v.Statement {
		switch r := s.Resource.(type) {
		case string:
			resources = append(resources, r)
		case []any:
			for _, x := range r {
				resources = append(resources, x.(string))
			}
		}
	}
	sort.Strings(resources)
	return slices.Compact(resources)
}

// rolePolicies lists a role's inline policies.
func rolePolicies(t *testing.T, c *session.Session, roleARN string) []string {
	t.Helper()
	out, err := c.IAM.ListRolePolicies(context.Background(), &iam.ListRolePoliciesInput{RoleName: aws.String(roleARN[strings.LastIndex(roleARN, "/")+1:])})
	if err != nil {
		t.Fatal(err)
	}
	return out.PolicyNames
}

func stackOutput(t *testing.T, c *session.Session, stack, key string) string {
	t.Helper()
	st, err := c.CF.DescribeStacks(context.Background(), &cloudformation.DescribeStacksInput{StackName: aws.String(stack)})
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range st.Stacks[0].Outputs {
		if aws.ToString(o.OutputKey) == key {
			return aws.ToString(o.OutputValue)
		}
	}
	t.Fatalf("%s has no output %s", stack, key)
	return ""
}
