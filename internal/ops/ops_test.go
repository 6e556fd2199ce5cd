package ops

import (
	"strings"
	"testing"

	"github.com/berthdev/berth/internal/edge"
	"github.com/berthdev/berth/internal/environment"
)

// moto-server now models capacity providers, so "emulator" must be decided from the
// endpoint and the absence of container instances, never from a missing provider.
func TestVerifySkipsOnlyAnEmulatorWithoutInstances(t *testing.T) {
	for _, tc := range []struct {
		emulated  string
		instances int32
		providers []string
		skip      bool
	}{
		{"AWS_ENDPOINT_URL=http://127.0.0.1:5000", 0, []string{"berth-dev-cluster-CapacityProvider-x"}, true},
		{"AWS_ENDPOINT_URL=http://127.0.0.1:5000", 0, nil, true},
		{"AWS_ENDPOINT_URL=http://127.0.0.1:5000", 2, []string{"cp"}, false}, // LocalStack with real containers
		{"", 0, nil, false}, // AWS before the capacity provider launched anything: wait, then fail
		{"", 0, []string{"cp"}, false},
	} {
		c := &Clients{Emulated: tc.emulated}
		st := &Status{Desired: 2, Pending: 2, ContainerInstances: tc.instances, Capacity: tc.providers}
		if got := c.emulatorRunsNothing(st); got != tc.skip {
			t.Errorf("%+v: skip %v, want %v", tc, got, tc.skip)
		}
		if got := c.countCheck(st).Result; (got == "skip") != tc.skip {
			t.Errorf("%+v: count check %s", tc, got)
		}
	}
}

// Tasks that stay PROVISIONING are explained by what the group failed to launch
// (environment.Clients.FailedLaunches reads them: TestCapacityThatNeverArrivesIsExplained).
func TestCapacityThatNeverArrivesFailsVerify(t *testing.T) {
	got := []string{"You have requested more vCPU capacity than your current vCPU limit of 32 allows for the instance bucket that the specified instance type belongs to. Launching EC2 instance failed."}
	check := (&Clients{}).countCheck(&Status{Desired: 2, Pending: 2, Launches: got})
	if check.Result != "fail" || !strings.Contains(check.Detail, "could not launch instances: You have requested more vCPU capacity") {
		t.Errorf("check %+v", check)
	}
}

// An environment in an existing VPC shows the VPC and its subnets where the network
// stack would be.
func TestStatusShowsAnExistingNetwork(t *testing.T) {
	var b strings.Builder
	st := &EnvironmentStatus{Env: "dev", Stacks: []StackStatus{{Name: "berth-dev-cluster", Status: "CREATE_COMPLETE"}},
		Network: &environment.Existing{VPC: "vpc-0abc1234", PublicSubnets: []string{"subnet-0aaa1111", "subnet-0bbb2222"}, PrivateSubnets: []string{"subnet-0ccc3333", "subnet-0ddd4444"}}}
	if err := st.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	want := "network: the existing VPC vpc-0abc1234, public subnets subnet-0aaa1111, subnet-0bbb2222, private subnets subnet-0ccc3333, subnet-0ddd4444 (not berth's: no network stack, nothing of it changed by berth)"
	if !strings.Contains(b.String(), want) || strings.Contains(b.String(), "berth-dev-network") {
		t.Errorf("status:\n%s\nwant %q", b.String(), want)
	}
}

// A note that is a warning prints as one, not as "note: warning: ...".
func TestStatusPrintsAWarningAsAWarning(t *testing.T) {
	var b strings.Builder
	st := &Status{Env: "dev", Service: "api", URL: "http://api-dev-1.us-east-1.elb.amazonaws.com",
		Notes: []string{edge.PlainHTTPNote, "the Auto Scaling group could not launch an instance: quota"}}
	st.WriteText(&b)
	if !strings.Contains(b.String(), "\n"+edge.PlainHTTPNote+"\n") || strings.Contains(b.String(), "note: warning:") ||
		!strings.Contains(b.String(), "\nnote: the Auto Scaling group could not launch an instance: quota\n") {
		t.Errorf("status:\n%s", b.String())
	}
}
