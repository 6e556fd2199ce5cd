package progress

import (
	"fmt"
	"strings"

	"github.com/berthdev/berth/internal/traffic"
)

// RolloutLine says one look at a deployment on one line: its stage, each revision's
// share of the traffic and its tasks, the bake left, and the alarms' states:
// "rollout PRODUCTION_TRAFFIC_SHIFT: new 5 % (1/1 tasks), old 95 % (3/3 tasks); alarms: errors OK".
func RolloutLine(v *traffic.View) string {
	var b strings.Builder
	b.WriteString("rollout")
	if v.Stage != "" {
		b.WriteString(" " + v.Stage)
	}
	if v.Status != "" && v.Status != "IN_PROGRESS" {
		b.WriteString(" (" + v.Status + ")")
	}
	var revs []string
	for _, r := range v.Revisions {
		what := "old"
		if r.New {
			what = "new"
		}
		revs = append(revs, fmt.Sprintf("%s %s %% (%d/%d tasks)", what, trimFloat(r.Share), r.Running, r.Desired))
	}
	if len(revs) > 0 {
		b.WriteString(": " + strings.Join(revs, ", "))
	}
	if v.BakeLeft > 0 {
		fmt.Fprintf(&b, "; bake %s left", v.BakeLeft)
	}
	if len(v.Alarms) > 0 {
		var as []string
		for _, a := range v.Alarms {
			as = append(as, shortAlarm(a.Name)+" "+a.State)
		}
		b.WriteString("; alarms: " + strings.Join(as, ", "))
	}
	return b.String()
}

// shortAlarm drops the berth-<env>-<service>- prefix berth gives its alarms.
func shortAlarm(name string) string {
	if i := strings.LastIndex(name, "-"); strings.HasPrefix(name, "berth-") && i > 0 {
		return name[i+1:]
	}
	return name
}

func trimFloat(f float64) string {
	return strings.TrimSuffix(strings.TrimSuffix(fmt.Sprintf("%.1f", f), "0"), ".")
}

func (p *plainProgress) Rollout(v *traffic.View) {
	if line := RolloutLine(v); line != p.lastRollout {
		p.lastRollout = line
		p.Message(line)
	}
}

func (p *ttyProgress) Rollout(v *traffic.View) {
	if line := RolloutLine(v); line != p.lastRollout {
		p.lastRollout = line
		p.Message(line)
	}
}

func (p *jsonProgress) Rollout(v *traffic.View) { p.emit("rollout", map[string]any{"rollout": v}) }
