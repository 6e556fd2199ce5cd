package preflight

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/berthdev/berth/internal/manifest"
)

// The offerings are the emulator's recorded answer for eu-west-1 (moto's copy of AWS's
// published offerings), where c8i.large is offered in eu-west-1a and eu-west-1c but not
// in eu-west-1b.
func TestInstanceTypeNotOfferedInAZoneIsRefused(t *testing.T) {
	for _, tc := range []struct {
		name     string
		text     string
		subnets  []string // deployed
		defaults []string // zones with a default subnet
		typ      string   // the instance type the deploy brings
		want     string   // in the error; "": none
		hint     []string // in its hint
		nohint   []string
	}{
		{name: "the first two zones of the region, one without the type",
			text: web + "capacity:\n  instance_type: c8i.large\n", defaults: []string{"eu-west-1a", "eu-west-1b", "eu-west-1c"}, typ: "c8i.large",
			want: "berth.yml:3: capacity.instance_type: c8i.large is not offered in eu-west-1b, one of the environment's zones (eu-west-1a, eu-west-1b)",
			hint: []string{"every zone of the environment offers c8a.large, c8i-flex.large, c7a.large, c7i-flex.large, c7i.large: set capacity.instance_type to one of them",
				"aws ec2 describe-instance-type-offerings --location-type availability-zone --filters Name=instance-type,Values=c8i.large --region eu-west-1"},
			nohint: []string{"c8g.large", "c7g.large"}}, // Graviton: another architecture than the images
		{name: "Fn::GetAZs skips the zone without a default subnet: the type is offered in both",
			text: web, defaults: []string{"eu-west-1a", "eu-west-1c"}, typ: "c8i.large"},
		{name: "no default subnet anywhere: every zone counts",
			text: web + "network:\n  azs: 3\n", typ: "c8i.large", want: "c8i.large is not offered in eu-west-1b, one of the environment's zones (eu-west-1a, eu-west-1b, eu-west-1c)"},
		{name: "a deployed network: its subnets' zones",
			text: web, subnets: []string{"subnet-1", "subnet-3"}, typ: "c8i.large"},
		{name: "a deployed network whose subnets are in a zone without the type",
			text: web, subnets: []string{"subnet-2", "subnet-1"}, typ: "c8i.xlarge",
			want: "c8i.xlarge is not offered in eu-west-1b, one of the environment's zones (eu-west-1a, eu-west-1b)", hint: []string{"c8a.xlarge, "}},
		{name: "a type no zone offers",
			text: web, subnets: []string{"subnet-1", "subnet-2"}, typ: "c9z.large",
			want: "c9z.large is not offered in any of the environment's zones (eu-west-1a, eu-west-1b)", hint: []string{"c8a.large"}},
		{name: "the instance type does not change: nothing is read",
			text: web, subnets: []string{"subnet-1", "subnet-2"}, typ: ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ec2 := &fakeEC2{zones: "zones-eu-west-1.json", offerings: "offerings-eu-west-1.json", defaultSubnets: tc.defaults,
				subnets: map[string]string{"subnet-1": "eu-west-1a", "subnet-2": "eu-west-1b", "subnet-3": "eu-west-1c"}}
			c := &Clients{EC2: ec2, Region: "eu-west-1"}
			d := deployOf(t, tc.text, "")
			d.Subnets, d.InstanceType = tc.subnets, tc.typ
			notes, err := c.checkInstanceType(context.Background(), d)
			if len(notes) > 0 {
				t.Errorf("notes %q", notes)
			}
			if tc.typ == "" && len(ec2.calls) > 0 {
				t.Errorf("calls %v", ec2.calls)
			}
			if tc.want == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v\nwant %q", err, tc.want)
			}
			var me *manifest.Error
			if !errors.As(err, &me) || me.Key != "capacity.instance_type" {
				t.Errorf("not a manifest error on capacity.instance_type: %#v", err)
			}
			h := hintOf(t, err)
			for _, w := range tc.hint {
				if !strings.Contains(h, w) {
					t.Errorf("hint %q\nwants %q", h, w)
				}
			}
			for _, w := range tc.nohint {
				if strings.Contains(h, w) {
					t.Errorf("hint %q\nsays %q", h, w)
				}
			}
		})
	}
}

// Offerings that cannot be read stop nothing: the plan says the check was not made.
func TestOfferingsThatCannotBeReadAreANote(t *testing.T) {
	c := &Clients{EC2: &fakeEC2{zones: "zones-eu-west-1.json", offerings: "absent.json"}, Region: "eu-west-1"}
	d := deployOf(t, web, "")
	d.InstanceType = "c8i.large"
	notes, err := c.checkInstanceType(context.Background(), d)
	if err != nil || len(notes) != 1 || !strings.HasPrefix(notes[0], "not checked: whether the zones of the environment offer c8i.large") {
		t.Errorf("notes %q, err %v", notes, err)
	}
}
