package check

import (
	"github.com/berthdev/berth/internal/cfn"
)

func circuitBreaker(d *cfn.Doc) []Result {
	var out []Result
	for _, name := range ofType(d, "AWS::ECS::Service") {
		cb := path(d.Resources[name].Properties, "DeploymentConfiguration", "DeploymentCircuitBreaker")
		if isTrue(path(cb, "Enable")) && isTrue(path(cb, "Rollback")) {
			out = append(out, pass(name))
		} else {
			out = append(out, fail(name, "DeploymentCircuitBreaker is not enabled with rollback: a failing deployment keeps replacing tasks"))
		}
	}
	return out
}

// alarmRollback: the circuit breaker stops a release whose tasks fail their health
// checks; one that passes /health and answers 500 to real requests goes to all the
// traffic unless an alarm on what the users get rolls it back ("How CloudWatch alarms
// detect Amazon ECS deployment failures"). Alarms named by Ref must be alarms of the
// template; names written out are taken as they are.
func alarmRollback(d *cfn.Doc) []Result {
	var out []Result
	for _, name := range ofType(d, "AWS::ECS::Service") {
		p := d.Resources[name].Properties
		if len(list(p["LoadBalancers"])) == 0 {
			out = append(out, skip(name, "behind no load balancer"))
			continue
		}
		a := path(p, "DeploymentConfiguration", "Alarms")
		names := list(path(a, "AlarmNames"))
		switch {
		case a == nil:
			out = append(out, fail(name, "DeploymentConfiguration has no Alarms: a release that passes its health checks and fails its users reaches all the traffic"))
			continue
		case !isTrue(path(a, "Enable")) || !isTrue(path(a, "Rollback")):
			out = append(out, fail(name, "deployment alarms are not enabled with rollback (Enable %v, Rollback %v)", orUnset(path(a, "Enable")), orUnset(path(a, "Rollback"))))
			continue
		case len(names) == 0:
			out = append(out, fail(name, "deployment alarms name no alarm"))
			continue
		}
		bad := ""
		for _, n := range names {
			if t := target(n); t != "" {
				if r, ok := d.Resources[t]; !ok || r.Type != "AWS::CloudWatch::Alarm" {
					bad = t
					break
				}
			}
		}
		if bad != "" {
			out = append(out, fail(name, "deployment alarm %s is not a CloudWatch alarm of this template", bad))
		} else {
			out = append(out, pass(name))
		}
	}
	return out
}
