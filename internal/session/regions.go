package session

import (
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/berthdev/berth/internal/hint"
)

// Regions are the AWS regions berth knows, in every partition, as of late 2026 (the
// regions CloudFormation's published resource schemas exist for). A region name that
// is not one of them is a typo far more often than a region opened since: berth
// refuses it before any call, naming the closest, rather than letting the SDK build an
// endpoint that does not resolve ("dial tcp: lookup cloudformation.eu-wset-1...").
var Regions = []string{
	"af-south-1", "ap-east-1", "ap-east-2", "ap-northeast-1", "ap-northeast-2", "ap-northeast-3",
	"ap-south-1", "ap-south-2", "ap-southeast-1", "ap-southeast-2", "ap-southeast-3", "ap-southeast-4",
	"ap-southeast-5", "ap-southeast-6", "ap-southeast-7", "ca-central-1", "ca-west-1", "cn-north-1",
	"cn-northwest-1", "eu-central-1", "eu-central-2", "eu-isoe-west-1", "eu-north-1", "eu-south-1",
	"eu-south-2", "eu-west-1", "eu-west-2", "eu-west-3", "eusc-de-east-1", "il-central-1", "me-central-1",
	"me-south-1", "mx-central-1", "sa-east-1", "us-east-1", "us-east-2", "us-gov-east-1", "us-gov-west-1",
	"us-iso-east-1", "us-iso-west-1", "us-isob-east-1", "us-isob-west-1", "us-isof-east-1",
	"us-isof-south-1", "us-west-1", "us-west-2",
}

// UncheckedRegionEnv lets berth use a region it does not know (one opened after this
// berth was built).
const UncheckedRegionEnv = "BERTH_UNKNOWN_REGION_OK"

// CheckRegion refuses a region berth does not know, naming the closest one it does.
func CheckRegion(region, from string) error {
	if region == "" || slices.Contains(Regions, region) || UncheckedRegionAllowed() {
		return nil
	}
	closest, best := "", 1<<30
	for _, r := range Regions {
		if d := distance(strings.ToLower(region), r); d < best {
			closest, best = r, d
		}
	}
	return hint.Wrap(fmt.Errorf("%s: %q is not an AWS region berth knows; did you mean %s?", from, region, closest),
		"correct the region; if AWS opened it after this berth was built, set "+UncheckedRegionEnv+"=1")
}

// UncheckedRegionAllowed reports whether UncheckedRegionEnv is set.
func UncheckedRegionAllowed() bool { return os.Getenv(UncheckedRegionEnv) != "" }

// distance is the edit distance of a and b (insertions, deletions, substitutions and
// swaps of neighbours, the typos of a region name).
func distance(a, b string) int {
	prev2, prev, cur := make([]int, len(b)+1), make([]int, len(b)+1), make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}
