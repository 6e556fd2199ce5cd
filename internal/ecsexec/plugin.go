package ecsexec

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/signal"

	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/session-manager-plugin/src/sessionmanagerplugin/session"
	_ "github.com/aws/session-manager-plugin/src/sessionmanagerplugin/session/shellsession" // the shell session handler
	berthsession "github.com/berthdev/berth/internal/session"
)

// The Session Manager client is AWS's own (github.com/aws/session-manager-plugin, the
// program the AWS CLI runs for "aws ecs execute-command"), built into berth. Its
// packages own the terminal and the process: they read stdin, set the terminal's
// mode, and end the process when the session ends (os.Exit). So berth runs them in a
// child process of its own binary, started with ChildArg first, the way the AWS CLI
// runs the plugin; berth itself only waits.

// ChildArg, as berth's first argument, makes berth the Session Manager client.
const ChildArg = "__session-manager-client"

// IsChild reports whether berth was started as the Session Manager client.
func IsChild(args []string) bool { return len(args) > 1 && args[1] == ChildArg }

// RunChild is the Session Manager client: args are berth's, ChildArg then what
// PluginArgs gave. It returns only when the client could not start a session.
func RunChild(args []string) {
	session.ValidateInputAndStartSession(append([]string{"session-manager-plugin"}, args[2:]...), os.Stdout)
	os.Exit(1) // a session that ran ends the process itself
}

// Join runs the Session Manager client for target with the terminal berth has, and
// waits for the session to end. Ctrl-C belongs to the session meanwhile: berth ignores
// it (the client sends it to the remote command), as the AWS CLI does.
func Join(ctx context.Context, t *Target, region, profile string) error {
	self, err := os.Executable()
	if err != nil {
		return fmt.Errorf("find berth's own binary for the session: %w", err)
	}
	endpoint, err := ecsEndpoint(ctx, region)
	if err != nil {
		return err
	}
	args, env, err := t.PluginArgs(region, profile, endpoint)
	if err != nil {
		return err
	}
	cmd := exec.Command(self, append([]string{ChildArg}, args...)...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.Env = append(os.Environ(), env)
	signal.Ignore(os.Interrupt)
	defer signal.Reset(os.Interrupt)
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("the session in task %s ended: %w", t.Task, err)
	}
	return nil
}

// ecsEndpoint is the ECS endpoint berth called, which the client is given as the AWS
// CLI gives it: an override (AWS_ENDPOINT_URL_ECS, AWS_ENDPOINT_URL), else the
// region's.
func ecsEndpoint(ctx context.Context, region string) (string, error) {
	for _, k := range []string{"AWS_ENDPOINT_URL_ECS", "AWS_ENDPOINT_URL"} {
		if v := os.Getenv(k); v != "" {
			return v, nil
		}
	}
	e, err := ecs.NewDefaultEndpointResolverV2().ResolveEndpoint(ctx, ecs.EndpointParameters{Region: &region})
	if err != nil {
		return "", fmt.Errorf("the ECS endpoint of %s: %w", region, err)
	}
	return e.URI.String(), nil
}

// New takes the clients of an AWS session.
func New(s *berthsession.Session) *Clients { return &Clients{CF: s.CF, ECS: s.ECS} }

// Run opens a session in a running task (Open) and joins it (Join) until it ends.
// profile is the AWS profile berth was given, for the client's own calls.
func (c *Clients) Run(ctx context.Context, o Options, region, profile string) error {
	t, err := c.Open(ctx, o)
	if err != nil {
		return err
	}
	return Join(ctx, t, region, profile)
}
