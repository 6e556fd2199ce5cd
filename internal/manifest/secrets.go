package manifest

import (
	"fmt"
	"sort"
	"strings"
	"unicode"

	"github.com/berthdev/berth/internal/lazyregexp"
	"github.com/berthdev/berth/internal/manifest/policy"
	"github.com/berthdev/berth/internal/manifest/strict"
	"github.com/berthdev/berth/internal/secrets"
	"go.yaml.in/yaml/v3"
)

// Secret is one environment variable whose value ECS reads, when a task starts, from
// SSM Parameter Store or Secrets Manager: the task definition holds where, never what.
type Secret struct {
	Source string // SSM or SecretsManager
	// Name is the parameter's or the secret's name, as written; empty when ARN is set.
	Name string
	// ARN is the full ARN, when the manifest gives one (another region or account, or a
	// secret whose name would be taken for an ARN suffix).
	ARN string
	// JSONKey picks one key of a Secrets Manager secret that holds a JSON object.
	JSONKey string
	Text    string // as written, for messages
}

// Secret sources.
const (
	SSM            = "ssm"
	SecretsManager = "secretsmanager"
)

// Permissions are what the service's code may call in AWS: its task role.
type Permissions struct {
	Managed    []string    // managed policy ARNs, attached as they are
	Statements []Statement // the role's own policy

	managedKeys []string // the key of each managed policy, permissions[i]
}

// Empty reports whether the service asks for no permission: it then gets no task role.
func (p Permissions) Empty() bool { return len(p.Managed) == 0 && len(p.Statements) == 0 }

// Statement allows actions on resources, under conditions.
type Statement struct {
	Allow      []string
	Resources  []string
	Conditions map[string]map[string][]string // operator -> key -> values
	// Key is where the statement is in the manifest, permissions[i]; the line of each
	// action and resource is that of KEY.allow[i] and KEY.resources[i].
	Key string
}

// SecretNames returns the secrets' variable names in a stable order.
func (m *Manifest) SecretNames() []string {
	names := make([]string, 0, len(m.Secrets))
	for k := range m.Secrets {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}

var (
	// a parameter name: letters, digits and . - _ /, hierarchies starting with /
	// (docs.aws.amazon.com/systems-manager/latest/userguide/sysman-paramstore-su-create.html)
	ssmName = lazyregexp.New(`^[A-Za-z0-9_.\-/]+$`)
	ssmARN  = lazyregexp.New(`^arn:(aws[a-z-]*):ssm:([a-z0-9-]+):([0-9]{12}):parameter/(.+)$`)
	// a secret name: letters, digits and / _ + = . @ -, at most 512 characters
	// (docs.aws.amazon.com/secretsmanager/latest/apireference/API_CreateSecret.html)
	secretName = lazyregexp.New(`^[A-Za-z0-9/_+=.@-]{1,512}$`)
	secretARN  = lazyregexp.New(`^arn:(aws[a-z-]*):secretsmanager:([a-z0-9-]+):([0-9]{12}):secret:([A-Za-z0-9/_+=.@-]+-[A-Za-z0-9]{6})$`)
	// the hyphen and six characters Secrets Manager appends to a secret's name in its ARN
	arnSuffix = lazyregexp.New(`-[A-Za-z0-9]{6}$`)
	kmsKeyID  = lazyregexp.New(`^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32})$`)
	kmsKeyARN = lazyregexp.New(`^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32})$`)
)

// MaxManagedPolicies is how many managed policies IAM attaches to a role at most (the
// default quota is 10; docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html).
// The size of the role's own policy is checked when synth writes it, on the policy
// itself (internal/synth, checkPolicies).
const MaxManagedPolicies = 20

// secrets decodes secrets: {NAME: source}.
func (d *decoder) secrets(dst *map[string]Secret) strict.Field {
	return func(n *yaml.Node, key string) error {
		if n.Kind != yaml.MappingNode {
			return d.Fail(n, key, "must be a mapping of NAME: source (ssm:PARAMETER or secretsmanager:SECRET), got %s", strict.Kind(n))
		}
		*dst = map[string]Secret{}
		return d.Entries(n, key, envName, notEnvName, func(k, v *yaml.Node, sub string) error {
			if v.Kind != yaml.ScalarNode || v.Tag != "!!str" {
				return d.Fail(v, sub, "must be a source such as ssm:/orders/db-password or secretsmanager:orders/api-key, got %s", strict.Kind(v))
			}
			s, err := parseSecret(v.Value)
			if err != nil {
				return d.Fail(v, sub, "%s", err.Error())
			}
			d.m.lines[sub] = k.Line
			(*dst)[k.Value] = s
			return nil
		})
	}
}

// parseSecret reads one source: ssm:NAME, ssm:ARN, secretsmanager:NAME[#KEY] or
// secretsmanager:ARN[#KEY].
func parseSecret(text string) (Secret, error) {
	source, ref, ok := strings.Cut(text, ":")
	s := Secret{Source: source, Text: text}
	switch {
	case !ok || (source != SSM && source != SecretsManager):
		return s, fmt.Errorf("%q is not a source (ssm:PARAMETER for SSM Parameter Store, secretsmanager:SECRET or secretsmanager:SECRET#JSONKEY for Secrets Manager)", text)
	case ref == "":
		return s, fmt.Errorf("%q names no %s", text, map[string]string{SSM: "parameter", SecretsManager: "secret"}[source])
	case source == SSM:
		return s, parseParameter(&s, ref)
	}
	return s, parseSecretsManager(&s, ref)
}

func parseParameter(s *Secret, ref string) error {
	name := ref
	if strings.HasPrefix(ref, "arn:") {
		m := ssmARN.FindStringSubmatch(ref)
		if m == nil {
			return fmt.Errorf("%q is not an SSM parameter ARN (arn:aws:ssm:REGION:ACCOUNT:parameter/NAME)", ref)
		}
		s.ARN, name = ref, "/"+m[4]
	} else {
		s.Name = ref
	}
	if strings.HasPrefix(name, "/aws/reference/secretsmanager/") {
		return fmt.Errorf("%q reads a Secrets Manager secret through Parameter Store: write secretsmanager:%s", ref, strings.TrimPrefix(name, "/aws/reference/secretsmanager/"))
	}
	switch {
	case len(name) > 1011:
		return fmt.Errorf("the parameter name is longer than SSM's 1011 characters")
	case !ssmName.MatchString(name):
		return fmt.Errorf("%q is not an SSM parameter name (letters, digits and . - _ /)", ref)
	case strings.Contains(name, "/") && !strings.HasPrefix(name, "/"):
		return fmt.Errorf("%q is a hierarchy without its leading / (SSM names a hierarchical parameter /a/b)", ref)
	case strings.HasSuffix(name, "/") || strings.Contains(name, "//"):
		return fmt.Errorf("%q is not an SSM parameter name (an empty level in the path)", ref)
	case strings.Count(name, "/") > 15:
		return fmt.Errorf("%q is deeper than SSM's 15 levels", ref)
	}
	return nil
}

func parseSecretsManager(s *Secret, ref string) error {
	if r, key, ok := strings.Cut(ref, "#"); ok {
		if key == "" || strings.ContainsAny(key, ":$#") || strings.IndexFunc(key, func(r rune) bool { return !unicode.IsPrint(r) || unicode.IsSpace(r) }) >= 0 {
			return fmt.Errorf("%q: the JSON key after # must be a key name without spaces, :, $ or # (secretsmanager:orders/db#username)", ref)
		}
		ref, s.JSONKey = r, key
	}
	if strings.HasPrefix(ref, "arn:") {
		if strings.Count(ref, ":") > 6 {
			return fmt.Errorf("%q holds more than the secret's ARN: name one JSON key with # (secretsmanager:ARN#username)", ref)
		}
		if !secretARN.MatchString(ref) {
			return fmt.Errorf("%q is not a secret's full ARN (arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME-AbCdEf, as \"aws secretsmanager describe-secret\" prints it)", ref)
		}
		s.ARN = ref
		return nil
	}
	if !secretName.MatchString(ref) {
		return fmt.Errorf("%q is not a secret name (1-512 letters, digits and / _ + = . @ -)", ref)
	}
	if arnSuffix.MatchString(ref) {
		// Secrets Manager takes the last "-XXXXXX" of a partial ARN for the random
		// suffix of a full one (API_GetSecretValue.html, SecretId), and ECS would not
		// find the secret
		return fmt.Errorf("%q ends with a hyphen and six characters, which Secrets Manager takes for the random suffix of an ARN: give the secret's full ARN (secretsmanager:arn:aws:secretsmanager:...:secret:%s-AbCdEf)", ref, ref)
	}
	s.Name = ref
	return nil
}

// kmsKeys decodes secrets_kms_key: one key, or a list of them.
func (d *decoder) kmsKeys(dst *[]string) strict.Field {
	return func(n *yaml.Node, key string) error {
		items := strict.OneOrList(n)
		if n.Kind == yaml.SequenceNode {
			if len(items) == 0 {
				return d.Fail(n, key, "must name at least one key (leave the key out for the AWS managed keys)")
			}
		}
		for _, it := range items {
			if it.Kind != yaml.ScalarNode || it.Tag != "!!str" {
				return d.Fail(it, key, "must be a KMS key ARN or key id, or a list of them, got %s", strict.Kind(it))
			}
			if strings.HasPrefix(it.Value, "alias/") || strings.Contains(it.Value, ":alias/") {
				return d.Fail(it, key, "%q is an alias, which IAM cannot grant by: give the key's ARN (aws kms describe-key --key-id %s --query KeyMetadata.Arn)", it.Value, it.Value)
			}
			if !kmsKeyID.MatchString(it.Value) && !kmsKeyARN.MatchString(it.Value) {
				return d.Fail(it, key, "%q is not a KMS key ARN (arn:aws:kms:REGION:ACCOUNT:key/ID) or key id", it.Value)
			}
			*dst = append(*dst, it.Value)
		}
		return nil
	}
}

// permissions decodes permissions: a list of managed policy ARNs and statements.
func (d *decoder) permissions(dst *Permissions) strict.Field {
	return func(n *yaml.Node, key string) error {
		if n.Kind != yaml.SequenceNode {
			return d.Fail(n, key, "must be a list of managed policy ARNs and {allow: [...], resources: [...]} statements, got %s", strict.Kind(n))
		}
		for i, it := range n.Content {
			sub := fmt.Sprintf("%s[%d]", key, i)
			d.m.lines[sub] = it.Line
			switch {
			case it.Kind == yaml.ScalarNode && it.Tag == "!!str":
				if !policy.IsManaged(it.Value) {
					return d.Fail(it, sub, "%q is not a managed policy ARN (arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess, or one of your account's)", it.Value)
				}
				for _, have := range dst.Managed {
					if have == it.Value {
						return d.Fail(it, sub, "%s is listed twice", it.Value)
					}
				}
				dst.Managed = append(dst.Managed, it.Value)
				dst.managedKeys = append(dst.managedKeys, sub)
			case it.Kind == yaml.MappingNode:
				s, err := d.statement(it, sub)
				if err != nil {
					return err
				}
				dst.Statements = append(dst.Statements, s)
			default:
				return d.Fail(it, sub, "must be a managed policy ARN or a statement {allow: [actions], resources: [ARNs]}, got %s", strict.Kind(it))
			}
		}
		if len(dst.Managed) > MaxManagedPolicies {
			return d.Fail(n, key, "%d managed policies: IAM attaches at most %d to a role", len(dst.Managed), MaxManagedPolicies)
		}
		return nil
	}
}

func (d *decoder) statement(n *yaml.Node, key string) (Statement, error) {
	s := Statement{Key: key}
	err := d.Mapping(n, key, strict.Fields{
		"allow":      d.Strings(&s.Allow, "actions such as s3:GetObject"),
		"resources":  d.Strings(&s.Resources, "ARNs, or *"),
		"conditions": d.conditions(&s.Conditions),
	})
	if err != nil {
		return s, err
	}
	switch {
	case s.Allow == nil:
		return s, d.m.errorf(key+".allow", "required: the actions the app calls, such as [s3:GetObject]")
	case s.Resources == nil:
		return s, d.m.errorf(key+".resources", "required: the ARNs the actions apply to (write [\"*\"] only for actions that take no resource)")
	}
	for i, a := range s.Allow {
		if !policy.IsAction(a) && a != "*" && a != "*:*" {
			return s, &Error{File: d.m.File, Line: d.m.Line(fmt.Sprintf("%s.allow[%d]", key, i)), Key: key + ".allow",
				Msg: fmt.Sprintf("%q is not an action (service:Action, such as s3:GetObject or s3:Get*)", a)}
		}
	}
	for i, r := range s.Resources {
		if err := policy.CheckResource(r); err != nil {
			return s, &Error{File: d.m.File, Line: d.m.Line(fmt.Sprintf("%s.resources[%d]", key, i)), Key: key + ".resources", Msg: err.Error()}
		}
	}
	return s, nil
}

// conditions decodes {Operator: {key: value or [values]}}, as IAM writes a Condition.
func (d *decoder) conditions(dst *map[string]map[string][]string) strict.Field {
	return func(n *yaml.Node, key string) error {
		if n.Kind != yaml.MappingNode || len(n.Content) == 0 {
			return d.Fail(n, key, "must be a mapping of IAM condition operators, such as {StringEquals: {\"s3:prefix\": [uploads/]}}, got %s", strict.Kind(n))
		}
		*dst = map[string]map[string][]string{}
		return d.Entries(n, key, policy.ConditionOperator, "not an IAM condition operator (StringEquals, ArnLike, ForAnyValue:StringLike, ...)", func(op, keys *yaml.Node, sub string) error {
			if keys.Kind != yaml.MappingNode || len(keys.Content) == 0 {
				return d.Fail(keys, sub, "must be a mapping of condition keys to values, got %s", strict.Kind(keys))
			}
			(*dst)[op.Value] = map[string][]string{}
			return d.Entries(keys, sub, policy.ConditionKey, "not a condition key (aws:SourceVpce, s3:prefix, aws:PrincipalTag/team, ...)", func(k, v *yaml.Node, ksub string) error {
				vals := strict.OneOrList(v)
				if len(vals) == 0 {
					return d.Fail(v, ksub, "must have a value")
				}
				for _, x := range vals {
					if x.Kind != yaml.ScalarNode || x.Tag == "!!null" {
						return d.Fail(x, ksub, "must be a value or a list of values, got %s", strict.Kind(x))
					}
					if err := policy.Text(x.Value); err != nil {
						return d.Fail(x, ksub, "%s", err.Error())
					}
					(*dst)[op.Value][k.Value] = append((*dst)[op.Value][k.Value], x.Value)
				}
				return nil
			})
		})
	}
}

// validateSecrets checks what concerns secrets as a whole: a name is either plain env
// or a secret, never both, and with env they fit a task definition.
func validateSecrets(m *Manifest) error {
	for _, k := range m.SecretNames() {
		if strings.HasPrefix(k, "ECS_") || strings.HasPrefix(k, "AWS_") {
			return m.errorf("secrets."+k, "names starting with ECS_ or AWS_ are reserved for the platform")
		}
		if _, both := m.Env[k]; both {
			return m.errorf("secrets."+k, "%s is set in env too (line %d): a variable is either plain text or a secret", k, m.Line("env."+k))
		}
	}
	size := 0
	for _, k := range m.EnvNames() {
		size += envEntrySize(k, m.Env[k])
	}
	for _, k := range m.SecretNames() {
		if size += secretEntrySize(k, m.Secrets[k]); size > MaxEnvSize {
			return m.errorf("secrets."+k, "env and secrets are larger than %d KiB with this one (ECS takes task definitions of at most 64 KiB)", MaxEnvSize>>10)
		}
	}
	if len(m.SecretsKMSKeys) > 0 && len(m.Secrets) == 0 {
		return m.errorf("secrets_kms_key", "applies to secrets, and there is none")
	}
	return nil
}

// secretEntrySize is the size of {"name":"K","valueFrom":"ARN"} in a task definition,
// with the ARN of a parameter or secret given by name counted at its longest
// (partition, region and account filled in).
func secretEntrySize(name string, s Secret) int {
	const overhead = len(`{"name":"","valueFrom":""},`)
	const arnPrefix = len("arn:aws-us-gov:secretsmanager:ap-southeast-5:123456789012:secret:::")
	ref := s.ARN
	if ref == "" {
		ref = s.Name
	}
	return overhead + jsonLen(name) + arnPrefix + jsonLen(ref) + jsonLen(s.JSONKey)
}

// refuseCredential stops an env value that is unmistakably a credential: it would be
// plain text in the template, the task definition and every console that shows them.
func (d *decoder) refuseCredential(v *yaml.Node, key string) error {
	if what, ok := secrets.CredentialValue(v.Value); ok {
		return d.Fail(v, key, "the value is %s, which env would keep in plain text in the template and the task definition: move it to secrets (docs/aws.md, \"Secrets and permissions\")", what)
	}
	return nil
}
