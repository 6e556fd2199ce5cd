// Package rollout is how a release reaches its traffic and when it is bad, as data and
// pure functions: the strategy and its numbers as berth.yml says them, the steps of
// new-revision traffic over time, the least time a rollout takes, and the rule that
// rolls one back. The manifest validates with it, synth renders the ECS deployment
// configuration and the CloudWatch alarms from it, the plan text says it, and berth up
// drives its local traffic split and its own judgement with the same numbers.
//
// It makes no AWS or Docker call and imports no other berth package.
package rollout

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Strategy is how traffic moves from the serving revision to the new one.
type Strategy string

// The strategies: ECS's own (DeploymentConfiguration.Strategy ROLLING, CANARY, LINEAR,
// BLUE_GREEN under the ECS deployment controller).
const (
	// Rolling replaces tasks a few at a time; the load balancer sends each request to
	// any healthy task, old or new.
	Rolling Strategy = "rolling"
	// Canary sends Percent of the traffic to the new revision for Interval, then all.
	Canary Strategy = "canary"
	// Linear moves Percent more of the traffic every Interval until all has moved.
	Linear Strategy = "linear"
	// BlueGreen starts the new revision beside the old one and moves all traffic at once.
	BlueGreen Strategy = "blue-green"
)

// Strategies are the accepted values of deployment.strategy, the default first.
var Strategies = []Strategy{Rolling, Canary, Linear, BlueGreen}

// ECS is the strategy's name in the ECS API and CloudFormation.
func (s Strategy) ECS() string {
	return map[Strategy]string{Rolling: "ROLLING", Canary: "CANARY", Linear: "LINEAR", BlueGreen: "BLUE_GREEN"}[s]
}

// ShiftsTraffic reports whether ECS moves traffic between two target groups itself
// (canary, linear, blue-green), which needs an alternate target group, a production
// listener rule and a role for ECS to change them.
func (s Strategy) ShiftsTraffic() bool { return s == Canary || s == Linear || s == BlueGreen }

// Defaults. The canary, the bake and the error rule are ECS Express Mode's: "5% of
// traffic is shifted to the new environment; alarm based rollbacks will trigger if sum
// of 4xx and 5xx errors percentage is > 1 for 2 datapoints within 3 minutes; after 3
// minutes bake time, 100% of traffic is shifted; after 3 minutes bake time for
// monitoring, old tasks are ... stopped" (Amazon ECS Developer Guide, "Updating an
// Amazon ECS Express Mode service"); berth counts 5xx only, a client's 4xx being no
// sign of a bad release. The linear step is ECS's default (LinearConfiguration:
// stepPercent 10, stepBakeTimeInMinutes 6).
const (
	DefaultCanaryPercent  = 5
	DefaultCanaryInterval = 3 * time.Minute
	DefaultLinearPercent  = 10
	DefaultLinearInterval = 6 * time.Minute
	DefaultBake           = 3 * time.Minute
	DefaultErrorPercent   = 1
)

// The rule's windows: one-minute datapoints, 2 breaching of the last 3 ("2 datapoints
// within 3 minutes", as above). CloudWatch alarms on load balancer metrics get one
// datapoint a minute: ELB "measures and sends its metrics in 60-second intervals"
// ("CloudWatch metrics for your Application Load Balancer").
const (
	Window    = time.Minute
	Windows   = 3
	Breaching = 2
)

// Limits ECS and CloudFormation set (Amazon ECS API Reference, CanaryConfiguration,
// LinearConfiguration, DeploymentConfiguration.bakeTimeInMinutes; CloudFormation
// AWS::ECS::Service CanaryConfiguration / LinearConfiguration: a canary or linear
// deployment whose computed time exceeds 33 hours is refused, as CloudFormation
// operations time out after 36).
const (
	MaxBake          = 1440 * time.Minute
	MaxRollout       = 33 * time.Hour
	MinCanaryPercent = 0.1
	MinLinearPercent = 3
)

// Spec is one service's rollout: the strategy, its numbers and the rule that rolls it
// back.
type Spec struct {
	Strategy Strategy
	// Percent is the canary's share of the traffic, or the linear step.
	Percent float64
	// Interval is how long the canary serves its share before the rest moves, or how
	// long each linear step lasts.
	Interval time.Duration
	// Bake is how long both revisions are kept after all traffic has moved, the old one
	// ready to take it back (canary, linear, blue-green).
	Bake time.Duration
	Rule Rule
}

// Rule is when a release is bad: the share of requests answered with a server error
// above ErrorPercent, or the 99th percentile of response times above LatencyP99 (0:
// not watched), in Breaching of the last Windows one-minute windows.
type Rule struct {
	ErrorPercent float64
	LatencyP99   time.Duration
}

// Default is the rollout of a manifest that says nothing: rolling, with the error rule.
func Default() Spec {
	return Spec{Strategy: Rolling, Rule: Rule{ErrorPercent: DefaultErrorPercent}}
}

// Step is one point of a rollout: from At after the new revision is ready, Percent of
// the traffic goes to it.
type Step struct {
	At      time.Duration
	Percent float64
}

// Plan is the new revision's share of the traffic over time, from the moment its
// tasks are ready: one step a change. A rolling update is one step of 100 %: ECS
// replaces tasks and the load balancer spreads requests over whichever are healthy.
func (s Spec) Plan() []Step {
	switch s.Strategy {
	case Canary:
		if s.Percent >= 100 {
			return []Step{{0, 100}}
		}
		return []Step{{0, s.Percent}, {s.Interval, 100}}
	case Linear:
		var out []Step
		for i := 0; i < s.linearSteps(); i++ {
			out = append(out, Step{time.Duration(i) * s.Interval, round1(float64(i+1) * s.Percent)})
		}
		return append(out, Step{time.Duration(s.linearSteps()) * s.Interval, 100})
	}
	return []Step{{0, 100}}
}

// linearSteps is the number of steps before the one that reaches 100 %, as
// CloudFormation counts them: 100/step - 1 when the step divides 100, else its floor.
func (s Spec) linearSteps() int {
	if s.Percent <= 0 {
		return 0
	}
	q := 100 / s.Percent
	n := int(math.Floor(q + 1e-9))
	if math.Abs(q-float64(n)) < 1e-9 {
		n--
	}
	return n
}

// MinDuration is the least time a rollout takes once the new tasks are ready: the
// traffic steps and the bake. Starting tasks, health checks and draining come on top.
// A rolling update has no fixed part (ECS adds a bake of its own that it computes from
// the alarms; "How CloudWatch alarms detect Amazon ECS deployment failures").
func (s Spec) MinDuration() time.Duration {
	if !s.Strategy.ShiftsTraffic() {
		return 0
	}
	p := s.Plan()
	return p[len(p)-1].At + s.Bake
}

// String says the rollout as a plan shows it, with its least duration:
// "canary 5 % for 3m, then 100 %, bake 3m: ≥ 6m".
func (s Spec) String() string {
	switch s.Strategy {
	case Canary:
		if s.Percent >= 100 {
			return fmt.Sprintf("canary 100 %%, bake %s: ≥ %s", Minutes(s.Bake), Minutes(s.MinDuration()))
		}
		return fmt.Sprintf("canary %s %% for %s, then 100 %%, bake %s: ≥ %s", num(s.Percent), Minutes(s.Interval), Minutes(s.Bake), Minutes(s.MinDuration()))
	case Linear:
		return fmt.Sprintf("linear %s %% more every %s (%d steps), then 100 %%, bake %s: ≥ %s", num(s.Percent), Minutes(s.Interval),
			s.linearSteps()+1, Minutes(s.Bake), Minutes(s.MinDuration()))
	case BlueGreen:
		return fmt.Sprintf("blue-green: all traffic at once, bake %s with both revisions running: ≥ %s", Minutes(s.Bake), Minutes(s.MinDuration()))
	}
	return "rolling: tasks replaced a few at a time"
}

// ShortBake says, when the bake of a traffic-shifting rollout is shorter than the
// rule's windows, what that costs: the rule needs 3 one-minute windows to judge (and
// the load balancer's metrics come a minute at a time), and once the bake is over the
// old revision is gone ("BakeTimeInMinutes": the time both revisions run after all the
// traffic moved, in which a deployment can still roll back), so a release it finds bad
// after that stays. "" when the bake is long enough, or the strategy keeps no old
// revision (rolling: ECS bakes it by the alarms).
func (s Spec) ShortBake() string {
	if !s.Strategy.ShiftsTraffic() || s.Bake >= Windows*Window {
		return ""
	}
	least := Minutes(Windows * Window)
	return fmt.Sprintf("bake %s is shorter than the %s the rule needs to judge a release: one found bad after the bake is not rolled back, the old revision being gone (deployment.bake: %s or more)",
		Minutes(s.Bake), least, least)
}

// String says the rule: "errors > 1 % or p99 > 2s in 2 of 3 one-minute windows".
func (r Rule) String() string {
	s := fmt.Sprintf("5xx > %s %%", num(r.ErrorPercent))
	if r.LatencyP99 > 0 {
		s += fmt.Sprintf(" or p99 > %s", r.LatencyP99)
	}
	return s + fmt.Sprintf(" in %d of %d one-minute windows", Breaching, Windows)
}

// Stats are what one window of traffic saw.
type Stats struct {
	Requests int
	Errors   int // answered with a 5xx, by the service or by the load balancer for it
	P99      time.Duration
}

// ErrorPercent is the window's share of server errors; 0 without requests.
func (w Stats) ErrorPercent() float64 {
	if w.Requests <= 0 {
		return 0
	}
	return 100 * float64(w.Errors) / float64(w.Requests)
}

// Bad applies the rule to windows, oldest first, as a CloudWatch alarm does with
// DatapointsToAlarm 2 of EvaluationPeriods 3 and missing data not breaching: of the
// last Windows windows, at least Breaching break the error share or the latency. why
// names the numbers.
func (r Rule) Bad(windows []Stats) (fired bool, why string) {
	v := r.Judge(windows)
	if !v.Fired {
		return false, ""
	}
	var each []string
	for _, w := range v.Windows {
		if v.Latency {
			each = append(each, w.P99.String())
		} else {
			each = append(each, num(round1(w.ErrorPercent()))+" %")
		}
	}
	if v.Latency {
		return true, fmt.Sprintf("p99 latency above %s in %d of the last %d minutes (%s)", r.LatencyP99, v.Breaching, len(v.Windows), strings.Join(each, ", "))
	}
	return true, fmt.Sprintf("5xx share above %s %% in %d of the last %d minutes (%s)", num(r.ErrorPercent), v.Breaching, len(v.Windows), strings.Join(each, ", "))
}

// Verdict is what the rule found in the last windows: whether it fired, on which
// measure, in how many of them, and the numbers of the windows that breached.
type Verdict struct {
	Fired     bool
	Latency   bool    // the p99 fired (else the 5xx share, which wins when both do)
	Breaching int     // windows that broke it
	Windows   []Stats // the windows looked at, oldest first
	// Over the breaching windows: their requests, 5xx, and the highest p99.
	Requests, Errors int
	P99              time.Duration
	Rule             Rule
}

// Judge applies the rule to windows, oldest first, as Bad does, and returns the
// numbers.
func (r Rule) Judge(windows []Stats) Verdict {
	if len(windows) > Windows {
		windows = windows[len(windows)-Windows:]
	}
	errs, slow := Verdict{Rule: r, Windows: windows}, Verdict{Rule: r, Windows: windows, Latency: true}
	for _, w := range windows {
		if w.Requests <= 0 {
			continue // missing data, not breaching
		}
		if w.ErrorPercent() > r.ErrorPercent {
			errs.Breaching++
			errs.Requests += w.Requests
			errs.Errors += w.Errors
		}
		if r.LatencyP99 > 0 && w.P99 > r.LatencyP99 {
			slow.Breaching++
			slow.Requests += w.Requests
			slow.Errors += w.Errors
			slow.P99 = max(slow.P99, w.P99)
		}
	}
	switch {
	case errs.Breaching >= Breaching:
		errs.Fired = true
		return errs
	case slow.Breaching >= Breaching:
		slow.Fired = true
		return slow
	}
	errs.Breaching = max(errs.Breaching, slow.Breaching)
	return errs
}

// String says what fired, with its numbers: "5xx 12.1 % of 412 requests > 1 % in 2 of
// 3 windows", "p99 2.4s > 2s in 2 of 3 windows". Of Windows always, as CloudWatch says
// "2 out of the last 3 datapoints" when one of them is missing.
func (v Verdict) String() string {
	if v.Latency {
		return fmt.Sprintf("p99 %s > %s in %d of %d windows", v.P99, v.Rule.LatencyP99, v.Breaching, Windows)
	}
	share := 0.0
	if v.Requests > 0 {
		share = 100 * float64(v.Errors) / float64(v.Requests)
	}
	return fmt.Sprintf("5xx %s %% of %d requests > %s %% in %d of %d windows", num(round1(share)), v.Requests, num(v.Rule.ErrorPercent), v.Breaching, Windows)
}

// Problem is what is wrong with one key of a rollout; Key is relative to deployment:
// ("canary.percent").
type Problem struct {
	Key, Msg string
}

func (p *Problem) Error() string { return p.Key + ": " + p.Msg }

// Validate checks the numbers against what ECS and CloudFormation accept.
func (s Spec) Validate() error {
	switch s.Strategy {
	case Rolling, BlueGreen:
	case Canary:
		if s.Percent < MinCanaryPercent || s.Percent > 100 || !tenths(s.Percent) {
			return &Problem{"canary.percent", fmt.Sprintf("%s is not accepted by ECS (0.1-100, in steps of 0.1)", num(s.Percent))}
		}
		// berth.yml calls the canary's interval its bake: canary: {percent: 5, bake: 3m}
		if err := minutes("canary.bake", s.Interval); err != nil {
			return err
		}
	case Linear:
		if s.Percent < MinLinearPercent || s.Percent > 100 || !tenths(s.Percent) {
			return &Problem{"linear.percent", fmt.Sprintf("%s is not accepted by ECS (3-100, in steps of 0.1)", num(s.Percent))}
		}
		if err := minutes("linear.interval", s.Interval); err != nil {
			return err
		}
	default:
		return &Problem{"strategy", fmt.Sprintf("%q is not a strategy (allowed: %s)", s.Strategy, strategyList())}
	}
	if err := minutes("bake", s.Bake); err != nil {
		return err
	}
	if d := s.MinDuration(); d > MaxRollout {
		key := map[Strategy]string{Canary: "canary.bake", Linear: "linear.interval"}[s.Strategy]
		return &Problem{key, fmt.Sprintf("the rollout takes at least %s, more than the 33 hours CloudFormation allows a deployment", Minutes(d))}
	}
	r := s.Rule
	if r.ErrorPercent <= 0 || r.ErrorPercent > 100 {
		return &Problem{"rollback_on.errors", fmt.Sprintf("%s %% is out of range (more than 0, at most 100)", num(r.ErrorPercent))}
	}
	if r.LatencyP99 < 0 || r.LatencyP99 > 0 && r.LatencyP99 < time.Millisecond {
		return &Problem{"rollback_on.latency_p99", fmt.Sprintf("%s is out of range (at least 1ms)", Minutes(r.LatencyP99))}
	}
	return nil
}

func minutes(key string, d time.Duration) error {
	if d < 0 || d > MaxBake || d%time.Minute != 0 {
		return &Problem{key, fmt.Sprintf("%s is not accepted by ECS (whole minutes, 0-24h)", Minutes(d))}
	}
	return nil
}

func strategyList() string {
	var s []string
	for _, x := range Strategies {
		s = append(s, string(x))
	}
	return strings.Join(s, ", ")
}

// ParseStrategy reads deployment.strategy.
func ParseStrategy(s string) (Strategy, error) {
	for _, x := range Strategies {
		if string(x) == s {
			return x, nil
		}
	}
	return "", fmt.Errorf("%q is not a strategy (allowed: %s)", s, strategyList())
}

// ParseDuration reads a duration as berth.yml writes them: Go's form (3m, 90s, 1h30m,
// 500ms) or 0.
func ParseDuration(s string) (time.Duration, error) {
	if s == "0" {
		return 0, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("%q is not a duration (like 3m, 90s, 1h30m, 500ms)", s)
	}
	return d, nil
}

// ParsePercent reads a share: 5, 0.5, "1%" or "1 %".
func ParsePercent(s string) (float64, error) {
	t := strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(s), "%"))
	v, err := strconv.ParseFloat(t, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, fmt.Errorf("%q is not a percentage (like 5, 0.5 or 1%%)", s)
	}
	return v, nil
}

// Minutes writes a duration the short way: 3m, 1h30m, 45s, 0.
func Minutes(d time.Duration) string {
	if d == 0 {
		return "0"
	}
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

func tenths(v float64) bool { return math.Abs(v*10-math.Round(v*10)) < 1e-9 }

func round1(v float64) float64 { return math.Round(v*10) / 10 }

func num(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
