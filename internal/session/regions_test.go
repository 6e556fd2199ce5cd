package session

import (
	"strings"
	"testing"
)

func TestUnknownRegionsAreRefusedWithTheClosest(t *testing.T) {
	for region, want := range map[string]string{
		"eu-wset-1": "eu-west-1", "us-east1": "us-east-1", "useast-1": "us-east-1", "ap-southeast-9": "ap-southeast-",
		"eu-central-3": "eu-central-", "EU-WEST-1": "eu-west-1",
	} {
		err := CheckRegion(region, "--region")
		if err == nil || !strings.Contains(err.Error(), "did you mean "+want) {
			t.Errorf("%s: %v, want a refusal naming %s", region, err, want)
		}
	}
	for _, ok := range []string{"", "eu-west-1", "us-gov-west-1", "cn-north-1", "mx-central-1"} {
		if err := CheckRegion(ok, "--region"); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
	t.Setenv(UncheckedRegionEnv, "1")
	if err := CheckRegion("xx-new-1", "--region"); err != nil {
		t.Errorf("with %s: %v", UncheckedRegionEnv, err)
	}
}
