package environment

import (
	"context"
	"fmt"

	"github.com/berthdev/berth/internal/stacks"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/berthdev/berth/internal/hint"
	"github.com/berthdev/berth/internal/synth"
)

// SSM is the part of the Systems Manager API the environment reads: the public
// parameter that names the current ECS-optimized AMI.
type SSM interface {
	GetParameter(context.Context, *ssm.GetParameterInput, ...func(*ssm.Options)) (*ssm.GetParameterOutput, error)
}

// AMI is the image the container instances run, as a deploy decides it.
type AMI struct {
	ID     string // what the cluster stack gets
	Source string // capacity.ami: an image id, or the SSM parameter it was read from
	// Latest is what the SSM parameter names now; when it differs from ID, AWS has
	// published a newer image than the instances run.
	Latest string
}

// Newer reports whether AWS recommends a newer image than the one chosen.
func (a AMI) Newer() bool { return a.Latest != "" && a.Latest != a.ID }

// Note says so, and what to do about it.
func (a AMI) Note() string {
	if !a.Newer() {
		return ""
	}
	return fmt.Sprintf("capacity.ami: %s now names %s, newer than the %s the instances run; \"berth deploy --refresh-ami\" rolls them to it", a.Source, a.Latest, a.ID)
}

// ChooseAMI resolves capacity.ami once and then keeps it: an SSM parameter is read
// when the cluster is created, when the manifest points at another source, and on
// --refresh-ami; otherwise the deployed image stays, so that the weekly AMI releases
// never roll the instances as a side effect of an unrelated change.
func (c *Clients) ChooseAMI(ctx context.Context, source string, cluster *stacks.Stack, deployedSource string, refresh bool) (AMI, error) {
	if synth.IsAMIID(source) {
		return AMI{ID: source, Source: source}, nil
	}
	out, err := c.SSM.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(source)})
	if err != nil {
		return AMI{}, hint.Wrap(fmt.Errorf("capacity.ami: read the SSM parameter %s: %w", source, err),
			"check the parameter exists in this region (aws ssm get-parameter --name "+source+") and that the credentials may call ssm:GetParameter")
	}
	a := AMI{Source: source, Latest: aws.ToString(out.Parameter.Value), ID: aws.ToString(out.Parameter.Value)}
	if cluster == nil || refresh || deployedSource != source {
		return a, nil
	}
	if id := deployedAMI(cluster); id != "" {
		a.ID = id
	}
	return a, nil
}

// deployedAMI is the image id a cluster stack runs. Stacks made before berth resolved
// the AMI itself hold the SSM path as the parameter and the id as its resolved value.
func deployedAMI(cluster *stacks.Stack) string {
	if v := cluster.Params[synth.ParamAmiID]; synth.IsAMIID(v) {
		return v
	}
	return cluster.Resolved[synth.ParamAmiID]
}

// DeployedAMISource is capacity.ami as the deployed cluster was made from it.
func DeployedAMISource(cluster *stacks.Stack, settings map[string]string) string {
	if s := settings["capacity.ami"]; s != "" {
		return s
	}
	if cluster != nil && !synth.IsAMIID(cluster.Params[synth.ParamAmiID]) {
		return cluster.Params[synth.ParamAmiID] // an SSM-typed parameter holds its path
	}
	return ""
}

// AMINote says, for a deployed environment, whether AWS recommends a newer image than
// its instances run ("" when not, or when nothing is deployed).
func (c *Clients) AMINote(ctx context.Context, env, source string) (string, error) {
	if synth.IsAMIID(source) {
		return "", nil
	}
	e, err := c.ReadShared(ctx, env)
	if err != nil || stacks.Usable(e.Cluster) == nil {
		return "", err
	}
	if s := e.Settings["capacity.ami"]; s != "" {
		source = s // what the environment runs, whatever this manifest says
	}
	ami, err := c.ChooseAMI(ctx, source, e.Cluster, DeployedAMISource(e.Cluster, e.Settings), false)
	if err != nil {
		return "", err
	}
	return ami.Note(), nil
}
