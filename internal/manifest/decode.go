package manifest

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/berthdev/berth/internal/lazyregexp"
	"go.yaml.in/yaml/v3"
)

// decode walks the YAML tree by hand rather than unmarshalling into tagged structs:
// that is what lets every error name the key, its line, and what it accepts.
func decode(data []byte, m *Manifest) error {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err == io.EOF {
		return &Error{File: m.File, Line: 1, Msg: "the manifest is empty (at least: name)"}
	} else if err != nil {
		return syntaxError(m.File, err)
	}
	// a second document would be ignored, and what it says silently lost
	var next yaml.Node
	if err := dec.Decode(&next); err == nil {
		return &Error{File: m.File, Line: next.Line, Msg: "a second YAML document starts here; the manifest is one document (remove the --- or merge what follows into the first)"}
	} else if err != io.EOF {
		return syntaxError(m.File, err)
	}
	d := &decoder{m: m}
	root := doc.Content[0]
	if err := d.refuseTags(root, ""); err != nil {
		return err
	}
	return d.mapping(root, "", fields{
		"name":   d.str(&m.Name),
		"image":  d.object(fields{"location": d.str(&m.Image.Location), "build": d.str(&m.Image.Build)}),
		"port":   d.int(&m.Port),
		"cpu":    d.int(&m.CPU),
		"memory": d.int(&m.Memory),
		"count":  d.count(&m.Count),
		"health": d.object(fields{
			"path":                d.str(&m.Health.Path),
			"interval":            d.int(&m.Health.Interval),
			"timeout":             d.int(&m.Health.Timeout),
			"healthy_threshold":   d.int(&m.Health.HealthyThreshold),
			"unhealthy_threshold": d.int(&m.Health.UnhealthyThreshold),
			"grace_period":        d.int(&m.Health.GracePeriod),
		}),
		"capacity": d.object(fields{
			"type":          d.str(&m.Capacity.Type),
			"instance_type": d.str(&m.Capacity.InstanceType),
			"desired":       d.int(&m.Capacity.Desired),
			"max":           d.int(&m.Capacity.Max),
			"ami":           d.str(&m.Capacity.AMI),
			"volume_size":   d.int(&m.Capacity.VolumeSize),
			"arch":          d.str(&m.Capacity.CPUArch),
		}),
		"network": d.object(fields{
			"cidr":                d.str(&m.Network.CIDR),
			"azs":                 d.int(&m.Network.AZs),
			"nat":                 d.str(&m.Network.NAT),
			"placement":           d.str(&m.Network.Placement),
			"flow_logs":           d.str(&m.Network.FlowLogs),
			"flow_logs_retention": d.int(&m.Network.FlowLogsRetention),
			"vpc":                 d.str(&m.Network.VPC),
			"public_subnets":      d.subnets(&m.Network.PublicSubnets),
			"private_subnets":     d.subnets(&m.Network.PrivateSubnets),
		}),
		"logs":                    d.object(fields{"retention": d.int(&m.Logs.Retention)}),
		"env":                     d.env(&m.Env),
		"secrets":                 d.secrets(&m.Secrets),
		"secrets_kms_key":         d.kmsKeys(&m.SecretsKMSKeys),
		"permissions":             d.permissions(&m.Permissions),
		"permissions_allow_admin": d.boolean(&m.PermissionsAllowAdmin),
		"deployment":              d.deployment(&m.Deployment),
		"load_balancer": d.object(fields{
			"dedicated":            d.boolean(&m.LoadBalancer.Dedicated),
			"path":                 d.str(&m.LoadBalancer.Path),
			"host":                 d.str(&m.LoadBalancer.Host),
			"idle_timeout":         d.int(&m.LoadBalancer.IdleTimeout),
			"deregistration_delay": d.int(&m.LoadBalancer.DeregistrationDelay),
			"access_logs":          d.days(&m.LoadBalancer.AccessLogs, DefaultAccessLogDays),
			"waf":                  d.boolean(&m.LoadBalancer.WAF),
			"rate_limit":           d.int(&m.LoadBalancer.RateLimit),
		}),
		"domain": d.domain(&m.Domain),
		"exec":   d.boolean(&m.Exec),
		"alarms": d.alarms(&m.Alarms),
		"edge":   d.str(&m.Edge),
	})
}

var yamlLine = lazyregexp.New(`^yaml: line (\d+): (.*)$`)

func syntaxError(file string, err error) error {
	if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
		line, _ := strconv.Atoi(m[1])
		return &Error{File: file, Line: line, Msg: "invalid YAML: " + m[2]}
	}
	return &Error{File: file, Line: 1, Msg: "invalid YAML: " + strings.TrimPrefix(err.Error(), "yaml: ")}
}

type decoder struct{ m *Manifest }

// a field decodes the value node of one key; key is its dotted path.
type field func(n *yaml.Node, key string) error

type fields map[string]field

func (d *decoder) fail(n *yaml.Node, key, format string, args ...any) error {
	return &Error{File: d.m.File, Line: n.Line, Key: key, Msg: fmt.Sprintf(format, args...)}
}

func (d *decoder) mapping(n *yaml.Node, prefix string, fs fields) error {
	if n.Kind != yaml.MappingNode {
		what := "the manifest"
		if prefix != "" {
			what = prefix
		}
		return &Error{File: d.m.File, Line: n.Line, Key: prefix, Msg: fmt.Sprintf("%s must be a mapping of keys, got %s", what, kind(n))}
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		key := join(prefix, k.Value)
		f, ok := fs[k.Value]
		if !ok {
			return d.fail(k, key, "unknown key%s (allowed: %s)", suggest(k.Value, fs), strings.Join(names(fs), ", "))
		}
		if seen[k.Value] {
			return d.fail(k, key, "set twice")
		}
		seen[k.Value] = true
		d.m.lines[key] = k.Line
		if err := f(v, key); err != nil {
			return err
		}
	}
	return nil
}

func (d *decoder) object(fs fields) field {
	return func(n *yaml.Node, key string) error { return d.mapping(n, key, fs) }
}

// refuseTags stops at the first explicit YAML tag under n. berth defines none: a tag
// such as !Ref would otherwise be dropped and its value used as plain text. !!str, which
// only says "this is a string", is allowed on scalars.
func (d *decoder) refuseTags(n *yaml.Node, key string) error {
	if n.Style&yaml.TaggedStyle != 0 && (n.Kind != yaml.ScalarNode || n.Tag != "!!str") {
		return d.fail(n, key, "the YAML tag %s is not supported: berth.yml holds plain values (quote text that starts with !)", n.Tag)
	}
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := join(key, n.Content[i].Value)
			if err := d.refuseTags(n.Content[i], k); err != nil {
				return err
			}
			if err := d.refuseTags(n.Content[i+1], k); err != nil {
				return err
			}
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			if err := d.refuseTags(c, fmt.Sprintf("%s[%d]", key, i)); err != nil {
				return err
			}
		}
	}
	return nil
}

// str decodes a string that must have a value: a key that is present is validated like
// any other, and "" is never what a user means (leaving the key out gives the default).
func (d *decoder) str(dst *string) field {
	return func(n *yaml.Node, key string) error {
		if n.Kind != yaml.ScalarNode || n.Tag != "!!str" {
			return d.fail(n, key, "must be a string, got %s", kind(n))
		}
		if n.Value == "" {
			return d.fail(n, key, "must not be empty (leave the key out for the default)")
		}
		*dst = n.Value
		return nil
	}
}

func (d *decoder) int(dst *int) field {
	return func(n *yaml.Node, key string) error {
		if n.Kind != yaml.ScalarNode || n.Tag != "!!int" {
			return d.fail(n, key, "must be a whole number, got %s", kind(n))
		}
		v, err := strconv.Atoi(n.Value)
		if err != nil {
			return d.fail(n, key, "must be a whole number, got %q", n.Value)
		}
		*dst = v
		return nil
	}
}

func (d *decoder) boolean(dst *bool) field {
	return func(n *yaml.Node, key string) error {
		if n.Kind != yaml.ScalarNode || n.Tag != "!!bool" {
			return d.fail(n, key, "must be true or false, got %s", kind(n))
		}
		*dst = n.Value == "true" || n.Value == "True" || n.Value == "TRUE"
		return nil
	}
}

// days accepts a number of days, true for def days, or false for none (0).
func (d *decoder) days(dst *int, def int) field {
	return func(n *yaml.Node, key string) error {
		if n.Kind == yaml.ScalarNode && n.Tag == "!!bool" {
			var on bool
			d.boolean(&on)(n, key)
			*dst = 0
			if on {
				*dst = def
			}
			return nil
		}
		if err := d.int(dst)(n, key); err != nil {
			return d.fail(n, key, "must be the number of days to keep them, true (%d days) or false, got %s", def, kind(n))
		}
		if *dst < 1 {
			return d.fail(n, key, "%d is out of range (1-3653 days; false for none)", *dst)
		}
		return nil
	}
}

// domain accepts a name (api.example.com) or {name, zone, certificate}.
func (d *decoder) domain(dst *Domain) field {
	return func(n *yaml.Node, key string) error {
		if n.Kind == yaml.ScalarNode {
			if err := d.str(&dst.Name)(n, key); err != nil {
				return d.fail(n, key, "must be a domain name like api.example.com, or {name, zone, certificate}, got %s", kind(n))
			}
			d.m.lines[key+".name"] = n.Line
			return nil
		}
		err := d.mapping(n, key, fields{
			"name":            d.str(&dst.Name),
			"zone":            d.str(&dst.Zone),
			"certificate":     d.str(&dst.Certificate),
			"hsts_subdomains": d.boolean(&dst.HSTSSubdomains),
		})
		if err == nil && dst.Name == "" {
			return &Error{File: d.m.File, Line: d.m.lines[key], Key: key + ".name", Msg: "required: the name the service answers on, like api.example.com"}
		}
		return err
	}
}

// count accepts a number (a fixed count) or a range that turns on auto scaling.
func (d *decoder) count(dst *Count) field {
	return func(n *yaml.Node, key string) error {
		if n.Kind == yaml.ScalarNode {
			var v int
			if err := d.int(&v)(n, key); err != nil {
				return d.fail(n, key, "must be a whole number or a range like {min: 2, max: 10, cpu: 70}, got %s", kind(n))
			}
			dst.Min, dst.Max = v, v
			return nil
		}
		dst.Min, dst.Max = -1, -1 // so that validation can tell a missing bound from 0
		err := d.mapping(n, key, fields{
			"min":      d.int(&dst.Min),
			"max":      d.int(&dst.Max),
			"cpu":      d.int(&dst.CPU),
			"requests": d.int(&dst.Requests),
		})
		if err != nil {
			return err
		}
		if dst.Min < 0 {
			return d.fail(n, key+".min", "required when count is a range")
		}
		if dst.Max < 0 {
			return d.fail(n, key+".max", "required when count is a range")
		}
		return nil
	}
}

var envName = lazyregexp.New(`^[A-Za-z_][A-Za-z0-9_]*$`)

// MaxEnvSize bounds the environment as ECS receives it: names and values, counted as
// JSON (quotes and escapes included). ECS refuses a task definition larger than 64 KiB;
// this leaves 16 KiB for the rest of it.
const MaxEnvSize = 48 << 10

func (d *decoder) env(dst *map[string]string) field {
	return func(n *yaml.Node, key string) error {
		if n.Kind != yaml.MappingNode {
			return d.fail(n, key, "must be a mapping of NAME: value, got %s", kind(n))
		}
		*dst = map[string]string{}
		size := 0
		return d.entries(n, key, envName, notEnvName, func(k, v *yaml.Node, sub string) error {
			if v.Kind != yaml.ScalarNode || v.Tag == "!!null" {
				return d.fail(v, sub, "must be a string, number or boolean, got %s", kind(v))
			}
			if strings.ContainsRune(v.Value, 0) {
				return d.fail(v, sub, "holds a NUL character, which no process environment can carry")
			}
			if err := d.refuseCredential(v, sub); err != nil {
				return err
			}
			// checked as the entries come, so that a huge environment stops early
			if size += envEntrySize(k.Value, v.Value); size > MaxEnvSize {
				return d.fail(k, sub, "the environment is larger than %d KiB with this variable (ECS takes task definitions of at most 64 KiB; keep large configuration elsewhere, such as in a file in the image)", MaxEnvSize>>10)
			}
			d.m.lines[sub] = k.Line
			(*dst)[k.Value] = v.Value
			return nil
		})
	}
}

const notEnvName = "not a valid variable name (letters, digits and _, not starting with a digit)"

// entries walks the NAME: value pairs of a mapping: each name must match valid (else
// the error says notValid) and come once; fn decodes the pair, sub being its key path.
func (d *decoder) entries(n *yaml.Node, key string, valid *lazyregexp.Regexp, notValid string, fn func(k, v *yaml.Node, sub string) error) error {
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		sub := join(key, k.Value)
		if !valid.MatchString(k.Value) {
			return d.fail(k, sub, "%s", notValid)
		}
		if seen[k.Value] {
			return d.fail(k, sub, "set twice")
		}
		seen[k.Value] = true
		if err := fn(k, v, sub); err != nil {
			return err
		}
	}
	return nil
}

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

func kind(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.AliasNode:
		return "an alias"
	}
	switch n.Tag {
	case "!!null":
		return "nothing"
	case "!!int", "!!float":
		return "the number " + n.Value
	case "!!bool":
		return "the boolean " + n.Value
	}
	return fmt.Sprintf("%q", n.Value)
}

func join(prefix, key string) string {
	if prefix == "" {
		return key
	}
	return prefix + "." + key
}

func names(fs fields) []string {
	out := make([]string, 0, len(fs))
	for k := range fs {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// suggest names the closest known key when the unknown one looks like a typo.
func suggest(got string, fs fields) string {
	best, dist := "", 3
	for _, k := range names(fs) {
		if d := levenshtein(got, k); d < dist {
			best, dist = k, d
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf(", did you mean %q?", best)
}

func levenshtein(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}

// IsManifestError reports whether err is a problem with the manifest's content, which
// the CLI reports as a usage error.
func IsManifestError(err error) bool {
	var e *Error
	return errors.As(err, &e)
}
