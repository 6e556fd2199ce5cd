package manifest

import (
	"time"

	"github.com/berthdev/berth/internal/manifest/strict"
	"github.com/berthdev/berth/internal/rollout"
	"go.yaml.in/yaml/v3"
)

// deployment decodes the deployment key: the rolling bounds and the rollout. The
// rollout's numbers are checked by rollout.Spec.Validate once defaults are in
// (validateDeployment).
func (d *decoder) deployment(dst *Deployment) strict.Field {
	r := &dst.Rollout
	return d.Object(strict.Fields{
		"max_percent":         d.Int(&dst.MaxPercent),
		"min_healthy_percent": d.Int(&dst.MinHealthyPercent),
		"strategy":            d.strategy(&r.Strategy),
		"canary":              d.Object(strict.Fields{"percent": d.percent(&r.Percent), "bake": d.duration(&r.Interval)}),
		"linear":              d.Object(strict.Fields{"percent": d.percent(&r.Percent), "interval": d.duration(&r.Interval)}),
		"bake":                d.duration(&r.Bake),
		"rollback_on": d.Object(strict.Fields{
			"errors":      d.percent(&r.Rule.ErrorPercent),
			"latency_p99": d.duration(&r.Rule.LatencyP99),
		}),
	})
}

func (d *decoder) strategy(dst *rollout.Strategy) strict.Field {
	return func(n *yaml.Node, key string) error {
		var s string
		if err := d.Str(&s)(n, key); err != nil {
			return err
		}
		v, err := rollout.ParseStrategy(s)
		if err != nil {
			return d.Fail(n, key, "%v", err)
		}
		*dst = v
		return nil
	}
}

// percent accepts a number (5, 0.5) or text with a percent sign ("1%").
func (d *decoder) percent(dst *float64) strict.Field {
	return func(n *yaml.Node, key string) error {
		if n.Kind != yaml.ScalarNode || n.Tag == "!!null" || n.Tag == "!!bool" {
			return d.Fail(n, key, "must be a percentage like 5 or 1%%, got %s", strict.Kind(n))
		}
		v, err := rollout.ParsePercent(n.Value)
		if err != nil {
			return d.Fail(n, key, "%v", err)
		}
		*dst = v
		return nil
	}
}

// duration accepts Go's form (3m, 90s, 1h30m, 500ms) or 0.
func (d *decoder) duration(dst *time.Duration) strict.Field {
	return func(n *yaml.Node, key string) error {
		if n.Kind != yaml.ScalarNode || n.Tag != "!!str" && n.Tag != "!!int" {
			return d.Fail(n, key, "must be a duration like 3m or 90s, got %s", strict.Kind(n))
		}
		v, err := rollout.ParseDuration(n.Value)
		if err != nil {
			return d.Fail(n, key, "%v", err)
		}
		*dst = v
		return nil
	}
}

// defaultRollout fills in what the manifest leaves out of the rollout.
func defaultRollout(m *Manifest) {
	r := &m.Deployment.Rollout
	if !m.IsSet("deployment.strategy") {
		r.Strategy = rollout.Rolling
	}
	switch r.Strategy {
	case rollout.Canary:
		defPercent(m, "deployment.canary.percent", &r.Percent, rollout.DefaultCanaryPercent)
		defDuration(m, "deployment.canary.bake", &r.Interval, rollout.DefaultCanaryInterval)
	case rollout.Linear:
		defPercent(m, "deployment.linear.percent", &r.Percent, rollout.DefaultLinearPercent)
		defDuration(m, "deployment.linear.interval", &r.Interval, rollout.DefaultLinearInterval)
	}
	if r.Strategy.ShiftsTraffic() {
		defDuration(m, "deployment.bake", &r.Bake, rollout.DefaultBake)
	}
	defPercent(m, "deployment.rollback_on.errors", &r.Rule.ErrorPercent, alarmsErrorDefault(m))
}

func defPercent(m *Manifest, key string, v *float64, def float64) {
	if !m.IsSet(key) {
		*v = def
	}
}

func defDuration(m *Manifest, key string, v *time.Duration, def time.Duration) {
	if !m.IsSet(key) {
		*v = def
	}
}

// validateDeployment checks the rolling bounds and the rollout.
func validateDeployment(m *Manifest) error {
	d := m.Deployment
	switch {
	case d.MaxPercent < 100 || d.MaxPercent > 200:
		return m.errorf("deployment.max_percent", "%d is out of range (100-200)", d.MaxPercent)
	case d.MinHealthyPercent < 0 || d.MinHealthyPercent > 100:
		return m.errorf("deployment.min_healthy_percent", "%d is out of range (0-100)", d.MinHealthyPercent)
	case d.MinHealthyPercent >= d.MaxPercent:
		return m.errorf("deployment.min_healthy_percent", "%d leaves no room to replace a task under max_percent %d (must be less)", d.MinHealthyPercent, d.MaxPercent)
	}
	s := d.Rollout.Strategy
	switch {
	case m.IsSet("deployment.canary") && s != rollout.Canary:
		return m.errorf("deployment.canary", "applies only with deployment.strategy: canary (the strategy is %s)", s)
	case m.IsSet("deployment.linear") && s != rollout.Linear:
		return m.errorf("deployment.linear", "applies only with deployment.strategy: linear (the strategy is %s)", s)
	case m.IsSet("deployment.bake") && !s.ShiftsTraffic():
		return m.errorf("deployment.bake", "applies only with strategy canary, linear or blue-green: a rolling update keeps no old revision to go back to (ECS bakes it by the alarms)")
	case s.ShiftsTraffic() && !m.Capacity.IsFargate() && m.Network.Public():
		// "Target type: IP (for Fargate or EC2 with awsvpc network mode)", Amazon ECS
		// Developer Guide, "Application Load Balancer resources for blue/green, linear,
		// and canary deployments"; public EC2 placement runs bridge-mode tasks
		return m.errorf("deployment.strategy", "%s needs tasks with their own network interfaces (awsvpc) behind IP target groups; EC2 capacity with public placement runs them in bridge mode: use private placement or Fargate", s)
	}
	if err := d.Rollout.Validate(); err != nil {
		p := err.(*rollout.Problem)
		return m.errorf("deployment."+p.Key, "%s", p.Msg)
	}
	return nil
}
