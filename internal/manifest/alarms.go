package manifest

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/berthdev/berth/internal/lazyregexp"
	"github.com/berthdev/berth/internal/manifest/strict"
	"github.com/berthdev/berth/internal/rollout"
	"go.yaml.in/yaml/v3"
)

// Alarms are the CloudWatch alarms that watch the service (the alarms key) and whom
// they tell. Without the key (On false) the service has only the alarms its rollout
// needs (deployment.rollback_on). Every threshold is a number, or 0 for an alarm that
// is off (alarms.X: off).
//
// The error and latency alarms are the rollout's own, one definition for both keys:
// alarms.errors and deployment.rollback_on.errors are two names of one threshold
// (Deployment.Rollout.Rule.ErrorPercent), and so are the latency_p99 keys. Errors and
// LatencyP99 here say whether the alarm notifies (and, for latency, that it exists
// without a latency rule).
type Alarms struct {
	On     bool
	Notify Notify
	// Errors is the error alarm's threshold while it notifies: Rule.ErrorPercent, or 0.
	Errors float64
	// LatencyP99 is the latency alarm's threshold while it notifies; 0: it does not.
	LatencyP99 time.Duration
	// UnhealthyTargets: targets of the service failing their health checks.
	UnhealthyTargets bool
	// RunningTasks: fewer tasks running than the service wants.
	RunningTasks bool
	CPU, Memory  float64 // percent of the tasks' reservation; 0: off
}

// Notify is where the alarms go: email addresses and HTTPS endpoints subscribed to a
// topic of the service's, and existing SNS topics used as they are.
type Notify struct {
	Emails []string
	HTTPS  []string
	Topics []string
}

// Endpoints reports whether the service needs a topic of its own (for Emails and HTTPS).
func (n Notify) Endpoints() bool { return len(n.Emails)+len(n.HTTPS) > 0 }

// Any reports whether anyone is told.
func (n Notify) Any() bool { return n.Endpoints() || len(n.Topics) > 0 }

// Defaults of the alarms key.
const (
	DefaultLatencyP99 = 2 * time.Second
	DefaultCPU        = 80
	DefaultMemory     = 80
	// MaxNotify bounds alarms.notify: each address is a resource of the service's
	// stack (CloudFormation takes 500 a template); a mailing list does the rest.
	MaxNotify = 20
	// MaxAlarmActions is what CloudWatch takes in an alarm's AlarmActions (PutMetricAlarm:
	// "Maximum number of 5 items"): the service's own topic and the existing ones.
	MaxAlarmActions = 5
)

var (
	// email is what SNS takes as an email endpoint: one address, no display name
	email = lazyregexp.New(`^[A-Za-z0-9.!#$%&'*+/=?^_{|}~-]+@[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)+$`)
	// snsTopic is a standard topic's ARN. CloudWatch alarms publish to standard topics
	// only: a FIFO topic (.fifo) takes SQS subscriptions alone ("Message delivery for
	// FIFO topics", Amazon SNS Developer Guide).
	snsTopic = lazyregexp.New(`^arn:aws(-cn|-us-gov)?:sns:[a-z]{2}(-[a-z]+)+-[0-9]:[0-9]{12}:[A-Za-z0-9_-]{1,256}$`)
)

// alarms decodes the alarms key.
func (d *decoder) alarms(dst *Alarms) strict.Field {
	return d.Object(strict.Fields{
		"notify":            d.notify(&dst.Notify),
		"errors":            d.alarmPercent(&dst.Errors),
		"latency_p99":       d.alarmDuration(&dst.LatencyP99),
		"unhealthy_targets": d.onOff(&dst.UnhealthyTargets),
		"running_tasks":     d.onOff(&dst.RunningTasks),
		"cpu":               d.alarmPercent(&dst.CPU),
		"memory":            d.alarmPercent(&dst.Memory),
	})
}

// off reports whether n turns an alarm off: off or false.
func off(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && (n.Tag == "!!bool" && strings.EqualFold(n.Value, "false") || n.Tag == "!!str" && n.Value == "off")
}

func (d *decoder) alarmPercent(dst *float64) strict.Field {
	return func(n *yaml.Node, key string) error {
		if off(n) {
			*dst = 0
			return nil
		}
		if err := d.percent(dst)(n, key); err != nil {
			return d.Fail(n, key, "%s, or off", err.(*Error).Msg)
		}
		if *dst <= 0 || *dst > 100 {
			return d.Fail(n, key, "%s %% is out of range (more than 0, at most 100; off for no alarm)", strconv.FormatFloat(*dst, 'f', -1, 64))
		}
		return nil
	}
}

func (d *decoder) alarmDuration(dst *time.Duration) strict.Field {
	return func(n *yaml.Node, key string) error {
		if off(n) {
			*dst = 0
			return nil
		}
		if err := d.duration(dst)(n, key); err != nil {
			return d.Fail(n, key, "%s, or off", err.(*Error).Msg)
		}
		if *dst < time.Millisecond {
			return d.Fail(n, key, "%s is out of range (at least 1ms; off for no alarm)", rollout.Minutes(*dst))
		}
		return nil
	}
}

// onOff takes on or true, off or false.
func (d *decoder) onOff(dst *bool) strict.Field {
	return func(n *yaml.Node, key string) error {
		switch {
		case off(n):
			*dst = false
		case n.Kind == yaml.ScalarNode && (n.Tag == "!!bool" || n.Tag == "!!str" && n.Value == "on"):
			*dst = true
		default:
			return d.Fail(n, key, "must be on or off, got %s", strict.Kind(n))
		}
		return nil
	}
}

// notify decodes alarms.notify: an address, endpoint or topic, or a list of them.
func (d *decoder) notify(dst *Notify) strict.Field {
	return func(n *yaml.Node, key string) error {
		items := strict.OneOrList(n)
		if len(items) > MaxNotify {
			return d.Fail(n, key, "%d entries, more than %d (each is a subscription in the service's stack): notify a mailing list, or an SNS topic of your own", len(items), MaxNotify)
		}
		seen := map[string]bool{}
		for i, it := range items {
			sub := fmt.Sprintf("%s[%d]", key, i)
			if it.Kind != yaml.ScalarNode || it.Tag != "!!str" || it.Value == "" {
				return d.Fail(it, key, "must be an email address, an https:// URL or an SNS topic ARN, or a list of them, got %s", strict.Kind(it))
			}
			v := it.Value
			if seen[strings.ToLower(v)] {
				return d.Fail(it, key, "%q is listed twice", v)
			}
			seen[strings.ToLower(v)] = true
			d.m.lines[sub] = it.Line
			switch {
			case strings.HasPrefix(v, "arn:"):
				if !snsTopic.MatchString(v) {
					return d.Fail(it, key, "%q is not the ARN of a standard SNS topic (arn:aws:sns:REGION:ACCOUNT:NAME; CloudWatch alarms cannot publish to a FIFO topic)", v)
				}
				dst.Topics = append(dst.Topics, v)
			case strings.Contains(v, "://"):
				if err := httpsEndpoint(v); err != "" {
					return d.Fail(it, key, "%q %s", v, err)
				}
				dst.HTTPS = append(dst.HTTPS, v)
			default:
				if len(v) > 254 || !email.MatchString(v) {
					return d.Fail(it, key, "%q is not an email address (name@example.com), an https:// URL or an SNS topic ARN", v)
				}
				dst.Emails = append(dst.Emails, v)
			}
		}
		if actions := len(dst.Topics) + min(1, len(dst.Emails)+len(dst.HTTPS)); actions > MaxAlarmActions {
			return d.Fail(n, key, "the alarms would publish to %d topics, more than the %d actions CloudWatch takes per alarm (the service's own topic counts as one)", actions, MaxAlarmActions)
		}
		return nil
	}
}

// httpsEndpoint says what is wrong with an HTTPS endpoint SNS would post to, if
// anything. Plain HTTP is refused: the notification, and the confirmation SNS sends
// first, would cross the internet in the clear.
func httpsEndpoint(v string) string {
	u, err := url.Parse(v)
	switch {
	case err != nil || strings.ContainsAny(v, " \t\r\n"):
		return "is not a URL"
	case u.Scheme == "http":
		return "is plain HTTP: SNS would deliver the alarms in the clear; give an https:// URL"
	case u.Scheme != "https":
		return "is not an https:// URL"
	case u.Hostname() == "":
		return "has no host"
	case u.User != nil:
		return "holds a user name or password, which the template would show in plain text; put a token the endpoint checks in the path instead"
	case len(v) > 2048:
		return "is longer than 2048 characters"
	}
	return ""
}

// defaultAlarms fills in what the alarms key leaves out, once the rollout's rule is
// known: the thresholds the rule already has are the alarms', so that one alarm
// watches each thing.
func defaultAlarms(m *Manifest) {
	a := &m.Alarms
	a.On = m.IsSet("alarms")
	if !a.On {
		*a = Alarms{}
		return
	}
	r := m.Deployment.Rollout.Rule
	defPercent(m, "alarms.errors", &a.Errors, r.ErrorPercent)
	latency := r.LatencyP99
	if latency == 0 {
		latency = DefaultLatencyP99
	}
	defDuration(m, "alarms.latency_p99", &a.LatencyP99, latency)
	defBool(m, "alarms.unhealthy_targets", &a.UnhealthyTargets, true)
	defBool(m, "alarms.running_tasks", &a.RunningTasks, true)
	defPercent(m, "alarms.cpu", &a.CPU, DefaultCPU)
	defPercent(m, "alarms.memory", &a.Memory, DefaultMemory)
}

func defBool(m *Manifest, key string, v *bool, def bool) {
	if !m.IsSet(key) {
		*v = def
	}
}

// alarmsErrorDefault is deployment.rollback_on.errors when it is left out:
// alarms.errors when that gives a number, for both keys name the one error alarm.
func alarmsErrorDefault(m *Manifest) float64 {
	if m.IsSet("alarms.errors") && m.Alarms.Errors > 0 {
		return m.Alarms.Errors
	}
	return rollout.DefaultErrorPercent
}

// validateAlarms refuses two thresholds for one alarm.
func validateAlarms(m *Manifest) error {
	a, r := m.Alarms, m.Deployment.Rollout.Rule
	const same = "the error alarm (berth-<env>-%s-errors) both rolls deployments back and notifies: it has one threshold, and deployment.rollback_on.errors says %s %%; give one of the two keys, or the same value"
	if m.IsSet("alarms.errors") && m.IsSet("deployment.rollback_on.errors") && a.Errors > 0 && a.Errors != r.ErrorPercent {
		return m.errorf("alarms.errors", same, m.Name, strconv.FormatFloat(r.ErrorPercent, 'f', -1, 64))
	}
	if m.IsSet("alarms.latency_p99") && a.LatencyP99 > 0 && r.LatencyP99 > 0 && a.LatencyP99 != r.LatencyP99 {
		return m.errorf("alarms.latency_p99", "the latency alarm (berth-<env>-%s-latency) both rolls deployments back and notifies: it has one threshold, and deployment.rollback_on.latency_p99 says %s; give one of the two keys, or the same value",
			m.Name, rollout.Minutes(r.LatencyP99))
	}
	return nil
}

// LatencyAlarm is the threshold of the latency alarm, 0 when the service has none: the
// rollout's rule when it watches latency, else alarms.latency_p99.
func (m *Manifest) LatencyAlarm() time.Duration {
	if r := m.Deployment.Rollout.Rule.LatencyP99; r > 0 {
		return r
	}
	return m.Alarms.LatencyP99
}
