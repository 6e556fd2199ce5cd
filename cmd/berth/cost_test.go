package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The default manifest in us-east-1, by hand: 2 NAT gateways 65.70, the environment's
// ALB + 1 LCU 22.27, 2 m7i.large 147.17, 2 × 50 GiB gp3 8.00, 4 public IPv4 14.60, 4
// alarm metrics 0.40 = 258.14 (rounding per line gives 258.13 in total).
func TestCostPricesTheManifestAndEachVariant(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	example, err := os.ReadFile(issueExample)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "berth.yml"), string(example))
	r := berth(t, dir, "cost", "--region", "us-east-1")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	for _, want := range []string{
		"NAT gateways", "$65.70", "$0.045 per GB", "m7i.large instances", "$147.17", "total", "$258.13  a month before traffic",
		"is the environment's: every further service on it adds none of it",
		"ec2, public", "-$65.70 a month, and no $0.045 per GB of NAT processing", "fargate-spot, public",
		"Check the AWS Pricing Calculator",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("cost output lacks %q:\n%s", want, r.stdout)
		}
	}
	if strings.Contains(r.stdout, "were not checked") {
		t.Error("us-east-1's checked prices are flagged as unchecked")
	}

	r = berth(t, dir, "cost", "--region", "eu-west-1", "-o", "json")
	var out struct {
		Estimate struct {
			Total         float64 `json:"total"`
			PricesChecked bool    `json:"prices_checked"`
		} `json:"estimate"`
		Alternatives []struct {
			Variant string  `json:"variant"`
			Total   float64 `json:"total"`
		} `json:"alternatives"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
		t.Fatalf("json: %v\n%s", err, r.stdout)
	}
	if out.Estimate.Total < 200 || out.Estimate.PricesChecked || len(out.Alternatives) != 6 {
		t.Errorf("eu-west-1 estimate %+v with %d alternatives", out.Estimate, len(out.Alternatives))
	}

	r = berth(t, dir, "cost", "--region", "ap-southeast-7")
	if r.code != 1 || !strings.Contains(r.stderr, `no prices for region "ap-southeast-7"`) || !strings.Contains(r.stderr, "AWS Pricing Calculator") {
		t.Errorf("unknown region: exit %d, %s", r.code, r.stderr)
	}
	r = berthWith(t, dir, []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir}, "cost")
	if r.code != 2 || !strings.Contains(r.stderr, "--region") {
		t.Errorf("no region: exit %d, %s", r.code, r.stderr)
	}
}
