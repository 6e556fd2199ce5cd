// Package ops is what berth tells of a deployed service: its status (stacks, tasks,
// targets, why capacity does not come), the checks of "berth verify", and its logs.
// It reads; it changes nothing.
//
// It must not import deploy.
package ops

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/berthdev/berth/internal/session"

	"github.com/berthdev/berth/internal/edge"
	"github.com/berthdev/berth/internal/environment"
	"github.com/berthdev/berth/internal/ingress"
	"github.com/berthdev/berth/internal/manifest"
	"github.com/berthdev/berth/internal/names"
	"github.com/berthdev/berth/internal/routing"
	"github.com/berthdev/berth/internal/stacks"
	"github.com/berthdev/berth/internal/traffic"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/berthdev/berth/internal/synth"
	"github.com/berthdev/berth/internal/vitals"
)

// Clients are the AWS APIs the service is read through. Emulated names the endpoint
// override in force, if any (session.Session.Emulated).
type Clients struct {
	CF       stacks.CloudFormation
	ECS      ECS
	ELB      ELB
	Logs     Logs
	ASG      environment.AutoScaling
	CW       CloudWatch
	TG       TargetGroups
	Emulated string
	Region   string // for the AWS CLI commands berth suggests
	// CFIn is CloudFormation in another region: a service's edge stack is in us-east-1.
	CFIn func(region string) stacks.CloudFormation
}

func (c *Clients) environment() *environment.Clients {
	return &environment.Clients{CF: c.CF, ASG: c.ASG}
}

// ECS is the part of the ECS API berth reads.
type ECS interface {
	DescribeServices(context.Context, *ecs.DescribeServicesInput, ...func(*ecs.Options)) (*ecs.DescribeServicesOutput, error)
	ListTasks(context.Context, *ecs.ListTasksInput, ...func(*ecs.Options)) (*ecs.ListTasksOutput, error)
	DescribeTasks(context.Context, *ecs.DescribeTasksInput, ...func(*ecs.Options)) (*ecs.DescribeTasksOutput, error)
	DescribeClusters(context.Context, *ecs.DescribeClustersInput, ...func(*ecs.Options)) (*ecs.DescribeClustersOutput, error)
}

// ELB is the part of the Elastic Load Balancing v2 API berth reads.
type ELB interface {
	DescribeTargetHealth(context.Context, *elb.DescribeTargetHealthInput, ...func(*elb.Options)) (*elb.DescribeTargetHealthOutput, error)
	traffic.ELB
	ingress.ELB
}

// Status is what runs in one environment.
type Status struct {
	Env        string        `json:"env"`
	Service    string        `json:"service"`
	Stacks     []StackStatus `json:"stacks"`
	Desired    int32         `json:"desired"`
	Running    int32         `json:"running"`
	Pending    int32         `json:"pending"`
	Deployment string        `json:"deployment,omitempty"` // the primary deployment's rollout state
	// Strategy is how releases reach the traffic; Image is the revision that serves,
	// from the target group Serving (primary or alternate) by the production rule.
	Strategy string   `json:"strategy,omitempty"`
	Image    string   `json:"image,omitempty"`
	Serving  string   `json:"serving,omitempty"`
	Tasks    []Task   `json:"tasks"`
	Targets  []Target `json:"targets"`
	URL      string   `json:"url,omitempty"`
	// Edge is what stands in front of the load balancer: none, or cloudfront with the
	// distribution's id.
	Edge         string `json:"edge,omitempty"`
	Distribution string `json:"distribution,omitempty"`
	// SharedEdge: the distribution is the environment's, in front of the load balancer
	// the service shares with the environment's other services.
	SharedEdge bool     `json:"shared_edge,omitempty"`
	Capacity   []string `json:"capacity_providers"`
	// ContainerInstances is how many EC2 instances have joined the cluster.
	ContainerInstances int32 `json:"container_instances"`
	// Notes are what the user may want to act on (a newer AMI, capacity that fails to launch).
	Notes []string `json:"notes"`
	// Launches are the reasons the Auto Scaling group failed to launch instances in the
	// last hour, while tasks wait for capacity.
	Launches []string `json:"failed_launches"`
	// Network is the existing network the environment runs in (network.vpc), which has
	// no stack; nil in berth's own.
	Network *environment.Existing `json:"network,omitempty"`
	// Vitals are the service's vital signs, when asked for (Clients.Vitals).
	Vitals *vitals.Vitals `json:"vitals,omitempty"`

	cluster, serviceName, targetGroup, serviceStack, logGroup string
}

// StackStatus is one stack's state; for a stack a failed operation left in a state
// CloudFormation starts no update from, why and what to do (Recovery, Hint).
type StackStatus struct {
	Name     string           `json:"name"`
	Status   string           `json:"status"`
	Reason   string           `json:"reason,omitempty"`
	Recovery *stacks.Recovery `json:"recovery,omitempty"`
	Hint     string           `json:"hint,omitempty"`
}

// stackStatus is a stack's state, diagnosed when it is a failed one.
func (c *Clients) stackStatus(ctx context.Context, name string, st *stacks.Stack) (StackStatus, error) {
	if st == nil {
		return StackStatus{Name: name, Status: "NOT_DEPLOYED"}, nil
	}
	s := StackStatus{Name: name, Status: st.Status, Reason: st.Reason}
	r, err := stacks.Diagnose(ctx, c.CF, st)
	if err != nil || r == nil {
		return s, err
	}
	again := "berth deploy"
	if r.Status == stacks.DeleteFailed {
		again = "berth delete" // it was being deleted (berth deploy would delete it, then create it again)
	}
	s.Recovery, s.Hint = r, r.Remedy(again)+"; or: "+r.Command(c.Region)
	return s, nil
}

// Failed are the stacks in a failed state.
func (st *Status) Failed() []StackStatus {
	var out []StackStatus
	for _, s := range st.Stacks {
		if s.Recovery != nil {
			out = append(out, s)
		}
	}
	return out
}

// Task is one running or pending task.
type Task struct {
	ID         string `json:"id"`
	PrivateIP  string `json:"private_ip"`
	AZ         string `json:"availability_zone"`
	Health     string `json:"health"`
	LastStatus string `json:"last_status"`
}

// Target is one registered target of the target group.
type Target struct {
	ID     string `json:"id"`
	State  string `json:"state"`
	Reason string `json:"reason,omitempty"`
}

// Status reads the stacks, the service, its tasks and its targets.
func (c *Clients) Status(ctx context.Context, env, service string) (*Status, error) {
	st := &Status{Env: env, Service: service, Tasks: []Task{}, Targets: []Target{}, Capacity: []string{}, Notes: []string{}, Launches: []string{}}
	var svc, cluster *stacks.Stack
	for _, s := range synth.Stacks {
		name := names.Stack(env, service, s)
		stack, err := stacks.Describe(ctx, c.CF, name)
		if s == synth.Service {
			name, stack, err = c.environment().ServiceStack(ctx, env, service)
		}
		if err != nil {
			return nil, err
		}
		if s == synth.Ingress && stack == nil {
			continue // no service of the environment is on its load balancer
		}
		ss, err := c.stackStatus(ctx, name, stack)
		if err != nil {
			return nil, err
		}
		st.Stacks = append(st.Stacks, ss)
		if stack == nil {
			continue
		}
		switch s {
		case synth.Service:
			svc, st.serviceStack = stack, name
		case synth.Cluster:
			cluster = stack
		}
	}
	if cluster != nil && st.Stacks[0].Status == "NOT_DEPLOYED" {
		// no network stack: the environment may run in an existing VPC, which its
		// cluster records
		settings, err := c.environment().Settings(ctx, cluster.Name)
		if err != nil {
			return nil, err
		}
		if st.Network = environment.ExistingOf(settings); st.Network != nil {
			st.Stacks = st.Stacks[1:]
		}
	}
	if svc == nil || cluster == nil {
		return st, nil
	}
	st.URL = svc.Outputs[synth.OutURL]
	st.Edge, st.Distribution = cmp.Or(svc.Outputs[synth.OutEdge], manifest.EdgeNone), svc.Outputs[synth.OutDistributionID]
	_, shared := svc.Outputs[synth.OutRoute]
	st.SharedEdge = shared && st.Edge == manifest.EdgeCloudFront
	if st.Edge == manifest.EdgeCloudFront && !st.SharedEdge && c.CFIn != nil {
		// the certificate and web ACL of the distribution, in us-east-1, when it has any
		name := names.Stack(env, service, synth.Edge)
		edge, err := stacks.Describe(ctx, c.CFIn(synth.EdgeRegion), name)
		if err != nil {
			return nil, err
		}
		if edge != nil {
			st.Stacks = append(st.Stacks, StackStatus{Name: name + " (" + synth.EdgeRegion + ")", Status: edge.Status, Reason: edge.Reason})
		}
	}
	st.Strategy, st.Image = svc.Outputs[synth.OutStrategy], svc.Params[synth.ParamImage]
	if st.Strategy != "" {
		serving, err := (&traffic.Clients{ELB: c.ELB}).Serving(ctx, svc.Outputs)
		if err != nil {
			return nil, err
		}
		st.Serving = serving
	}
	if strings.HasPrefix(st.URL, "http://") {
		st.Notes = append(st.Notes, edge.PlainHTTPNote)
	}
	st.cluster, st.serviceName, st.targetGroup = cluster.Outputs[synth.OutClusterName], svc.Outputs[synth.OutServiceName], svc.Outputs[synth.OutTargetGroupArn]
	st.logGroup = svc.Outputs[synth.OutLogGroupName]
	if st.serviceName == "" {
		st.serviceName = service
	}
	if err := c.readService(ctx, st); err != nil {
		return nil, err
	}
	if err := c.readTasks(ctx, st); err != nil {
		return nil, err
	}
	if err := c.readTargets(ctx, st); err != nil {
		return nil, err
	}
	if st.Running < st.Desired {
		// tasks wait in PROVISIONING: say why the capacity does not come, if the group knows
		failed, err := c.environment().FailedLaunches(ctx, cluster.Outputs[synth.OutAutoScalingGroup], time.Now().Add(-time.Hour))
		if err != nil {
			return nil, err
		}
		st.Launches = failed
		for _, f := range failed {
			st.Notes = append(st.Notes, "the Auto Scaling group could not launch an instance: "+f)
		}
	}
	return st, nil
}

func (c *Clients) readService(ctx context.Context, st *Status) error {
	out, err := c.ECS.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String(st.cluster), Services: []string{st.serviceName}})
	if err != nil {
		return fmt.Errorf("describe service %s: %w", st.serviceName, err)
	}
	if len(out.Services) > 0 {
		s := out.Services[0]
		st.Desired, st.Running, st.Pending = s.DesiredCount, s.RunningCount, s.PendingCount
		for _, d := range s.Deployments {
			if aws.ToString(d.Status) == "PRIMARY" {
				st.Deployment = string(d.RolloutState)
			}
		}
	}
	cl, err := c.ECS.DescribeClusters(ctx, &ecs.DescribeClustersInput{Clusters: []string{st.cluster}})
	if err != nil {
		return fmt.Errorf("describe cluster %s: %w", st.cluster, err)
	}
	if len(cl.Clusters) > 0 {
		st.Capacity = append(st.Capacity, cl.Clusters[0].CapacityProviders...)
		st.ContainerInstances = cl.Clusters[0].RegisteredContainerInstancesCount
	}
	return nil
}

func (c *Clients) readTasks(ctx context.Context, st *Status) error {
	list, err := c.ECS.ListTasks(ctx, &ecs.ListTasksInput{Cluster: aws.String(st.cluster), ServiceName: aws.String(st.serviceName)})
	if err != nil {
		return fmt.Errorf("list tasks: %w", err)
	}
	if len(list.TaskArns) == 0 {
		return nil
	}
	out, err := c.ECS.DescribeTasks(ctx, &ecs.DescribeTasksInput{Cluster: aws.String(st.cluster), Tasks: list.TaskArns})
	if err != nil {
		return fmt.Errorf("describe tasks: %w", err)
	}
	for _, t := range out.Tasks {
		task := Task{ID: lastSegment(aws.ToString(t.TaskArn)), AZ: aws.ToString(t.AvailabilityZone),
			Health: string(t.HealthStatus), LastStatus: aws.ToString(t.LastStatus)}
		for _, a := range t.Attachments {
			for _, d := range a.Details {
				if aws.ToString(d.Name) == "privateIPv4Address" {
					task.PrivateIP = aws.ToString(d.Value)
				}
			}
		}
		st.Tasks = append(st.Tasks, task)
	}
	return nil
}

func (c *Clients) readTargets(ctx context.Context, st *Status) error {
	if st.targetGroup == "" {
		return nil
	}
	out, err := c.ELB.DescribeTargetHealth(ctx, &elb.DescribeTargetHealthInput{TargetGroupArn: aws.String(st.targetGroup)})
	if err != nil {
		return fmt.Errorf("describe target health: %w", err)
	}
	for _, d := range out.TargetHealthDescriptions {
		t := Target{}
		if d.Target != nil {
			t.ID = fmt.Sprintf("%s:%d", aws.ToString(d.Target.Id), aws.ToInt32(d.Target.Port))
		}
		if d.TargetHealth != nil {
			t.State, t.Reason = string(d.TargetHealth.State), aws.ToString(d.TargetHealth.Description)
		}
		st.Targets = append(st.Targets, t)
	}
	return nil
}

func lastSegment(arn string) string {
	for i := len(arn) - 1; i >= 0; i-- {
		if arn[i] == '/' {
			return arn[i+1:]
		}
	}
	return arn
}

// ServiceSummary is one service of an environment, as "berth status" lists them.
type ServiceSummary struct {
	Name    string `json:"name"`
	Stack   string `json:"stack"`
	Status  string `json:"status"`
	Desired int32  `json:"desired"`
	Running int32  `json:"running"`
	Pending int32  `json:"pending"`
	URL     string `json:"url,omitempty"`
	Edge    string `json:"edge"` // none or cloudfront
}

// EnvironmentStatus is an environment at a glance: its shared stacks, its services,
// and the stacks of the roles CI jobs deploy it with (berth ci role).
type EnvironmentStatus struct {
	Env      string            `json:"env"`
	Stacks   []StackStatus     `json:"stacks"`
	Services []ServiceSummary  `json:"services"`
	CI       []CIRoleStatus    `json:"ci_roles"`
	Settings map[string]string `json:"settings"`
	// Network is the existing network the environment runs in (network.vpc), which has
	// no stack; nil in berth's own.
	Network *environment.Existing `json:"network,omitempty"`
	// Failed are the service stacks in a failed state (the shared ones say so in Stacks).
	Failed []StackStatus `json:"failed_services,omitempty"`
	// Routes is the routing table of the environment's load balancer, while services
	// share one: which host and path goes to which service, in the order it is tried.
	Routes routing.Table `json:"routes"`
	// Edge is what stands in front of the environment's load balancer (none, or
	// cloudfront with its Distribution), while services share one.
	Edge         string `json:"edge,omitempty"`
	Distribution string `json:"distribution,omitempty"`
}

// CIRoleStatus is one CI role stack and whose jobs its roles trust.
type CIRoleStatus struct {
	Stack  string `json:"stack"`
	Status string `json:"status"`
	Trusts string `json:"trusts"` // github:OWNER/REPO, gitlab:GROUP/PROJECT
}

// EnvironmentStatus lists what runs in env.
func (c *Clients) EnvironmentStatus(ctx context.Context, env string) (*EnvironmentStatus, error) {
	e, err := c.environment().Read(ctx, env)
	if err != nil {
		return nil, err
	}
	out := &EnvironmentStatus{Env: env, Stacks: []StackStatus{}, Services: []ServiceSummary{}, CI: []CIRoleStatus{}, Settings: e.Settings, Network: e.Existing(), Routes: routing.Table{}}
	for _, name := range slices.Sorted(maps.Keys(e.CI)) {
		out.CI = append(out.CI, CIRoleStatus{Stack: name, Status: e.CI[name].Status, Trusts: e.CI[name].Tags[names.TagCI]})
	}
	for _, p := range []struct {
		name string
		st   *stacks.Stack
	}{{names.Stack(env, "", synth.Network), e.Network}, {names.Stack(env, "", synth.Cluster), e.Cluster}, {names.Stack(env, "", synth.Ingress), e.Ingress}} {
		if p.st == nil && p.name == names.Stack(env, "", synth.Network) && out.Network != nil {
			continue // an existing VPC: there is no network stack
		}
		if p.st == nil && p.name == names.Stack(env, "", synth.Ingress) {
			continue // no service is on the environment's load balancer: there is none
		}
		ss, err := c.stackStatus(ctx, p.name, p.st)
		if err != nil {
			return nil, err
		}
		out.Stacks = append(out.Stacks, ss)
	}
	if ing := stacks.Usable(e.Ingress); ing != nil {
		out.Edge, out.Distribution = cmp.Or(ing.Outputs[synth.OutEdge], manifest.EdgeNone), ing.Outputs[synth.OutSharedDistribution]
		if out.Routes, err = (&ingress.Clients{ELB: c.ELB}).Table(ctx, ing.Outputs); err != nil {
			return nil, err
		}
	}
	names := e.ServiceNames()
	for _, n := range names {
		st := e.Services[n]
		out.Services = append(out.Services, ServiceSummary{Name: n, Stack: st.Name, Status: st.Status, URL: st.Outputs[synth.OutURL],
			Edge: cmp.Or(st.Outputs[synth.OutEdge], manifest.EdgeNone)})
		if stacks.NeedsRecovery(st.Status) {
			ss, err := c.stackStatus(ctx, st.Name, st)
			if err != nil {
				return nil, err
			}
			out.Failed = append(out.Failed, ss)
		}
	}
	if e.Cluster == nil || len(names) == 0 {
		return out, nil
	}
	cluster := e.Cluster.Outputs[synth.OutClusterName]
	for i := 0; i < len(names); i += 10 { // DescribeServices takes ten at a time
		batch := names[i:min(i+10, len(names))]
		svcs, err := c.ECS.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String(cluster), Services: batch})
		if err != nil {
			return nil, fmt.Errorf("describe the services of %s: %w", env, err)
		}
		for _, s := range svcs.Services {
			for j := range out.Services {
				if out.Services[j].Name == aws.ToString(s.ServiceName) {
					out.Services[j].Desired, out.Services[j].Running, out.Services[j].Pending = s.DesiredCount, s.RunningCount, s.PendingCount
				}
			}
		}
	}
	return out, nil
}

// New takes the clients of an AWS session.
func New(s *session.Session) *Clients {
	return &Clients{CF: s.CF, ECS: s.ECS, ELB: s.ELB, Logs: s.Logs, ASG: s.ASG, CW: s.CW, TG: s.ELB, Emulated: s.Emulated, Region: s.Region,
		CFIn: func(region string) stacks.CloudFormation { return s.CFIn(region) }}
}
