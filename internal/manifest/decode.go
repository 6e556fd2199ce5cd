package manifest

import (
	"errors"
	"strings"
	"unicode/utf8"

	"github.com/berthdev/berth/internal/lazyregexp"
	"github.com/berthdev/berth/internal/manifest/strict"
	"go.yaml.in/yaml/v3"
)

// decode walks the YAML tree by hand rather than unmarshalling into tagged structs:
// that is what lets every error name the key, its line, and what it accepts.
func decode(data []byte, m *Manifest) error {
	root, err := strict.Document(data, m.File)
	if err != nil {
		return err
	}
	d := &decoder{Decoder: &strict.Decoder{File: m.File, Lines: m.lines}, m: m}
	if err := d.RefuseTags(root, ""); err != nil {
		return err
	}
	return d.Mapping(root, "", strict.Fields{
		"name":   d.Str(&m.Name),
		"image":  d.Object(strict.Fields{"location": d.Str(&m.Image.Location), "build": d.Str(&m.Image.Build)}),
		"port":   d.Int(&m.Port),
		"cpu":    d.Int(&m.CPU),
		"memory": d.Int(&m.Memory),
		"count":  d.count(&m.Count),
		"health": d.Object(strict.Fields{
			"path":                d.Str(&m.Health.Path),
			"interval":            d.Int(&m.Health.Interval),
			"timeout":             d.Int(&m.Health.Timeout),
			"healthy_threshold":   d.Int(&m.Health.HealthyThreshold),
			"unhealthy_threshold": d.Int(&m.Health.UnhealthyThreshold),
			"grace_period":        d.Int(&m.Health.GracePeriod),
		}),
		"capacity": d.Object(strict.Fields{
			"type":          d.Str(&m.Capacity.Type),
			"instance_type": d.Str(&m.Capacity.InstanceType),
			"desired":       d.Int(&m.Capacity.Desired),
			"max":           d.Int(&m.Capacity.Max),
			"ami":           d.Str(&m.Capacity.AMI),
			"volume_size":   d.Int(&m.Capacity.VolumeSize),
			"arch":          d.Str(&m.Capacity.CPUArch),
		}),
		"network": d.Object(strict.Fields{
			"cidr":                d.Str(&m.Network.CIDR),
			"azs":                 d.Int(&m.Network.AZs),
			"nat":                 d.Str(&m.Network.NAT),
			"placement":           d.Str(&m.Network.Placement),
			"flow_logs":           d.Str(&m.Network.FlowLogs),
			"flow_logs_retention": d.Int(&m.Network.FlowLogsRetention),
			"vpc":                 d.Str(&m.Network.VPC),
			"public_subnets":      d.subnets(&m.Network.PublicSubnets),
			"private_subnets":     d.subnets(&m.Network.PrivateSubnets),
		}),
		"logs":                    d.Object(strict.Fields{"retention": d.Int(&m.Logs.Retention)}),
		"env":                     d.env(&m.Env),
		"secrets":                 d.secrets(&m.Secrets),
		"secrets_kms_key":         d.kmsKeys(&m.SecretsKMSKeys),
		"permissions":             d.permissions(&m.Permissions),
		"permissions_allow_admin": d.Bool(&m.PermissionsAllowAdmin),
		"deployment":              d.deployment(&m.Deployment),
		"load_balancer": d.Object(strict.Fields{
			"dedicated":            d.Bool(&m.LoadBalancer.Dedicated),
			"path":                 d.Str(&m.LoadBalancer.Path),
			"host":                 d.Str(&m.LoadBalancer.Host),
			"idle_timeout":         d.Int(&m.LoadBalancer.IdleTimeout),
			"deregistration_delay": d.Int(&m.LoadBalancer.DeregistrationDelay),
			"access_logs":          d.Days(&m.LoadBalancer.AccessLogs, DefaultAccessLogDays),
			"waf":                  d.Bool(&m.LoadBalancer.WAF),
			"rate_limit":           d.Int(&m.LoadBalancer.RateLimit),
		}),
		"domain": d.domain(&m.Domain),
		"exec":   d.Bool(&m.Exec),
		"alarms": d.alarms(&m.Alarms),
		"edge":   d.Str(&m.Edge),
	})
}

// domain accepts a name (api.example.com) or {name, zone, certificate}.
func (d *decoder) domain(dst *Domain) strict.Field {
	return func(n *yaml.Node, key string) error {
		if n.Kind == yaml.ScalarNode {
			if err := d.Str(&dst.Name)(n, key); err != nil {
				return d.Fail(n, key, "must be a domain name like api.example.com, or {name, zone, certificate}, got %s", strict.Kind(n))
			}
			d.m.lines[key+".name"] = n.Line
			return nil
		}
		err := d.Mapping(n, key, strict.Fields{
			"name":            d.Str(&dst.Name),
			"zone":            d.Str(&dst.Zone),
			"certificate":     d.Str(&dst.Certificate),
			"hsts_subdomains": d.Bool(&dst.HSTSSubdomains),
		})
		if err == nil && dst.Name == "" {
			return &Error{File: d.m.File, Line: d.m.lines[key], Key: key + ".name", Msg: "required: the name the service answers on, like api.example.com"}
		}
		return err
	}
}

// count accepts a number (a fixed count) or a range that turns on auto scaling.
func (d *decoder) count(dst *Count) strict.Field {
	return func(n *yaml.Node, key string) error {
		if n.Kind == yaml.ScalarNode {
			var v int
			if err := d.Int(&v)(n, key); err != nil {
				return d.Fail(n, key, "must be a whole number or a range like {min: 2, max: 10, cpu: 70}, got %s", strict.Kind(n))
			}
			dst.Min, dst.Max = v, v
			return nil
		}
		dst.Min, dst.Max = -1, -1 // so that validation can tell a missing bound from 0
		err := d.Mapping(n, key, strict.Fields{
			"min":      d.Int(&dst.Min),
			"max":      d.Int(&dst.Max),
			"cpu":      d.Int(&dst.CPU),
			"requests": d.Int(&dst.Requests),
		})
		if err != nil {
			return err
		}
		if dst.Min < 0 {
			return d.Fail(n, key+".min", "required when count is a range")
		}
		if dst.Max < 0 {
			return d.Fail(n, key+".max", "required when count is a range")
		}
		return nil
	}
}

var envName = lazyregexp.New(`^[A-Za-z_][A-Za-z0-9_]*$`)

// MaxEnvSize bounds the environment as ECS receives it: names and values, counted as
// JSON (quotes and escapes included). ECS refuses a task definition larger than 64 KiB;
// this leaves 16 KiB for the rest of it.
const MaxEnvSize = 48 << 10

func (d *decoder) env(dst *map[string]string) strict.Field {
	return func(n *yaml.Node, key string) error {
		if n.Kind != yaml.MappingNode {
			return d.Fail(n, key, "must be a mapping of NAME: value, got %s", strict.Kind(n))
		}
		*dst = map[string]string{}
		size := 0
		return d.Entries(n, key, envName, notEnvName, func(k, v *yaml.Node, sub string) error {
			if v.Kind != yaml.ScalarNode || v.Tag == "!!null" {
				return d.Fail(v, sub, "must be a string, number or boolean, got %s", strict.Kind(v))
			}
			if strings.ContainsRune(v.Value, 0) {
				return d.Fail(v, sub, "holds a NUL character, which no process environment can carry")
			}
			if err := d.refuseCredential(v, sub); err != nil {
				return err
			}
			// checked as the entries come, so that a huge environment stops early
			if size += envEntrySize(k.Value, v.Value); size > MaxEnvSize {
				return d.Fail(k, sub, "the environment is larger than %d KiB with this variable (ECS takes task definitions of at most 64 KiB; keep large configuration elsewhere, such as in a file in the image)", MaxEnvSize>>10)
			}
			d.m.lines[sub] = k.Line
			(*dst)[k.Value] = v.Value
			return nil
		})
	}
}

const notEnvName = "not a valid variable name (letters, digits and _, not starting with a digit)"

// envEntrySize is the size of {"name":"K","value":"V"}, in the JSON of a task definition.
func envEntrySize(name, value string) int {
	const overhead = len(`{"name":"","value":""},`)
	return overhead + jsonLen(name) + jsonLen(value)
}

// jsonLen is the length of s in a JSON string, without the quotes.
func jsonLen(s string) int {
	n := 0
	for _, r := range s {
		switch {
		case r == '"' || r == '\\' || r == '\n' || r == '\r' || r == '\t' || r == '\b' || r == '\f':
			n += 2
		case r < 0x20:
			n += 6 // \u00XX
		default:
			n += utf8.RuneLen(r)
		}
	}
	return n
}

// decoder is the strict decoder with the manifest's own kinds of value (a domain, a
// count, env, secrets, permissions, alarms, ...), which need the manifest.
type decoder struct {
	*strict.Decoder
	m *Manifest
}

// IsManifestError reports whether err is a problem with the manifest's content, which
// the CLI reports as a usage error.
func IsManifestError(err error) bool {
	var e *Error
	return errors.As(err, &e)
}
