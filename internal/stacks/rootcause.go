package stacks

import (
	"fmt"
	"strings"
)

// Failure is the first resource that failed in a stack operation, which is the cause;
// what follows it is mostly "Resource creation cancelled".
type Failure struct {
	Stack      string `json:"stack"`
	Resource   string `json:"resource"`
	Type       string `json:"type"`
	Status     string `json:"status"`
	Reason     string `json:"reason"`
	PhysicalID string `json:"physical_id,omitempty"`
}

func (f *Failure) Error() string {
	return fmt.Sprintf("stack %s failed: %s (%s) %s: %s", f.Stack, f.Resource, f.Type, f.Status, f.Reason)
}

// Hint says what to do about the common causes.
func (f *Failure) Hint() string { return HintFor(f.Reason) }

// RootCause finds the first failed resource in events (oldest first), skipping failures
// that only report that something else failed. It returns nil when nothing failed.
func RootCause(events []Event) *Failure {
	var fallback *Failure
	for _, e := range events {
		if !strings.HasSuffix(e.Status, "_FAILED") {
			continue
		}
		f := &Failure{Stack: e.Stack, Resource: e.Resource, Type: e.Type, Status: e.Status, Reason: e.Reason}
		if isCascade(e.Reason) || e.Type == "AWS::CloudFormation::Stack" {
			if fallback == nil {
				fallback = f
			}
			continue
		}
		return f
	}
	return fallback
}

func isCascade(reason string) bool {
	r := strings.ToLower(reason)
	for _, s := range []string{"resource creation cancelled", "resource update cancelled", "resource deletion cancelled",
		"the following resource(s) failed", "cancelled"} {
		if strings.Contains(r, s) {
			return true
		}
	}
	return false
}

// hints are tried in order, the first match wins: the transient answers come first, so
// that an SDK's "exceeded maximum number of attempts" after throttling or a server
// error is never taken for an account quota.
var hints = []struct {
	match []string
	hint  string
}{
	{[]string{"throttling", "rate exceeded", "too many requests", "requestlimitexceeded", "slowdown", "slow down"},
		"AWS throttled the calls (the account is busy, or another tool polls it hard): berth already retried with backoff; run the command again in a minute, and the stack operation in progress, if any, goes on in CloudFormation"},
	{[]string{"statuscode: 500", "statuscode: 502", "statuscode: 503", "statuscode: 504", "internalfailure", "internalerror", "serviceunavailable", "service unavailable", "internal server error"},
		"AWS answered with a server error, which is not something to fix on your side: run the command again; if it persists, see the AWS Health Dashboard for the region"},
	{[]string{"requires capabilities", "insufficientcapabilities"}, "the template creates IAM resources: berth passes CAPABILITY_IAM; if you deploy parent.yml yourself add --capabilities CAPABILITY_IAM CAPABILITY_AUTO_EXPAND"},
	{[]string{"limitexceeded", "limit exceeded", "quota", "maximum number of"}, "an account quota is reached: raise it in the Service Quotas console, or remove unused resources (EIPs, VPCs, NAT gateways, load balancers)"},
	{[]string{"cannotpullcontainer", "pull image", "image manifest", "not found: manifest", "repository does not exist"}, "the tasks cannot pull the image: check image.location, that the repository is in this account and region, and that the NAT gateways route out"},
	{[]string{"health checks failed", "failed elb health checks", "circuit breaker", "did not stabilize"}, "the tasks start but fail their health checks: check health.path and port against the service, and read \"berth logs\""},
	{[]string{"already exists"}, "a resource with this name exists outside the stack: pick another --env or name, or delete the leftover"},
	{[]string{"dependencyviolation", "has dependencies"}, "something outside the stack still uses its resources (often network interfaces a load balancer or task is still releasing): wait a few minutes and run berth delete again, or find them with aws ec2 describe-network-interfaces --filters Name=vpc-id,Values=VPC"},
	{[]string{"not authorized", "accessdenied", "access denied"}, "the credentials lack a permission: berth iam-policy prints the ones berth needs (docs/aws.md, \"IAM permissions\")"},
}

// HintFor is what to do about a failure that reads so; "" when berth does not know.
func HintFor(reason string) string {
	r := strings.ToLower(reason)
	for _, h := range hints {
		for _, m := range h.match {
			if strings.Contains(r, m) {
				return h.hint
			}
		}
	}
	return ""
}
