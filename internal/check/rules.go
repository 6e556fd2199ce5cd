package check

import (
	"github.com/berthdev/berth/internal/cfn"
)

// rules are the rules in ID order. Each family is in a file named for it: ingress.go
// (BERTH001-003), instances.go (004, 005), logs.go (006), trust.go (007, 013),
// deployments.go (008, 012), https.go (009), credentials.go (010), cloudfront.go (014);
// the form of the template (011) is below.
var rules = []Rule{
	{"BERTH001", "ECS tasks get no public IP address, unless their security groups admit only the load balancer (public placement).", tasksNoPublicIP},
	{"BERTH002", "Task security groups accept traffic only from the load balancer's security group, and only on the container port.", taskIngress},
	{"BERTH003", "An internet-facing load balancer is open to the internet only on its listener ports.", loadBalancerIngress},
	{"BERTH004", "EC2 launch templates require IMDSv2 (session tokens).", imdsV2},
	{"BERTH005", "EBS volumes of launch templates and standalone volumes are encrypted.", encryptedVolumes},
	{"BERTH006", "Log groups have a retention period.", logRetention},
	{"BERTH007", "Roles that ECS tasks assume trust only this account's tasks (aws:SourceAccount or aws:SourceArn).", scopedTaskTrust},
	{"BERTH008", "ECS services roll back failed deployments (deployment circuit breaker with rollback).", circuitBreaker},
	{"BERTH009", "An internet-facing load balancer serves HTTPS, and its HTTP listeners only redirect to HTTPS.", httpsOnly},
	{"BERTH010", "Task definitions put nothing that looks like a credential in plain Environment (pass secrets as Secrets, by ARN).", noPlainCredentials},
	{"BERTH011", "The template has the form CloudFormation accepts: no key twice in a mapping, no YAML alias, hash merge or unsupported tag, every resource a mapping with a Type and an alphanumeric logical ID.", wellFormed},
	{"BERTH012", "ECS services behind a load balancer roll back on a CloudWatch alarm, not only on failed health checks (deployment alarms with rollback).", alarmRollback},
	{"BERTH013", "Roles that an OpenID Connect provider's tokens assume require its audience and a subject (aud and sub conditions).", webIdentityTrust},
	{"BERTH014", "CloudFront distributions redirect or refuse plain HTTP on every cache behavior, and with a certificate of their own accept TLS 1.2 or later only.", cloudFrontHTTPS},
}

// wellFormed: a template whose form CloudFormation refuses, or handles in no defined
// way (a key twice keeps one of them, unseen), is not the template that was reviewed.
// Each problem of the form fails at its line (cfn.Problem); a resource with none
// passes.
func wellFormed(d *cfn.Doc) []Result {
	var out []Result
	bad := map[string]bool{}
	for _, p := range d.Problems {
		r := fail(p.Resource, "%s", p.Msg)
		r.Line = p.Line
		out = append(out, r)
		bad[p.Resource] = true
	}
	for _, name := range d.Order {
		if !bad[name] {
			out = append(out, pass(name))
		}
	}
	return out
}
