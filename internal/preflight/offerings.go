package preflight

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/berthdev/berth/internal/hint"
	"github.com/berthdev/berth/internal/lazyregexp"
	"github.com/berthdev/berth/internal/manifest"
)

// An instance type that a zone of the environment does not offer leaves the Auto
// Scaling group unable to launch there, and the deploy waiting for instances that never
// come. Offerings differ by zone (DescribeInstanceTypeOfferings, location type
// availability-zone), so the type is looked up in each of the environment's zones.

// checkInstanceType refuses an instance type that a zone of the environment does not
// offer, naming the zone and the types of the same size (or family) that every zone
// offers.
func (c *Clients) checkInstanceType(ctx context.Context, d Deploy) ([]string, error) {
	if d.InstanceType == "" || d.Manifest == nil {
		return nil, nil
	}
	zones, err := c.zones(ctx, d)
	if err != nil {
		return []string{unread("whether the zones of the environment offer "+d.InstanceType, err)}, nil
	}
	if len(zones) == 0 {
		return nil, nil
	}
	offered, err := c.offerings(ctx, zones)
	if err != nil {
		return []string{unread("whether the zones of the environment offer "+d.InstanceType, err)}, nil
	}
	var missing []string
	for _, z := range zones {
		if !offered[z][d.InstanceType] {
			missing = append(missing, z)
		}
	}
	if len(missing) == 0 {
		return nil, nil
	}
	where := fmt.Sprintf("%s, one of the environment's zones (%s)", strings.Join(missing, ", "), strings.Join(zones, ", "))
	if len(missing) == len(zones) {
		where = "any of the environment's zones (" + strings.Join(zones, ", ") + ")"
	} else if len(missing) > 1 {
		where = fmt.Sprintf("%s, of the environment's zones (%s)", strings.Join(missing, ", "), strings.Join(zones, ", "))
	}
	msg := fmt.Sprintf("%s is not offered in %s: the Auto Scaling group could not launch instances there", d.InstanceType, where)
	h := "choose a type every zone offers"
	if alt := alternatives(d.InstanceType, zones, offered); len(alt) > 0 {
		h = "every zone of the environment offers " + strings.Join(alt, ", ") + ": set capacity.instance_type to one of them"
	}
	h += fmt.Sprintf(" (aws ec2 describe-instance-type-offerings --location-type availability-zone --filters Name=instance-type,Values=%s --region %s lists the zones of a type)", d.InstanceType, c.Region)
	m := d.Manifest
	return nil, hint.Wrap(&manifest.Error{File: m.File, Line: m.Line("capacity.instance_type"), Key: "capacity.instance_type", Msg: msg}, h)
}

// zones are the environment's zones: those of its deployed subnets; for a network still
// to be made, the first network.azs zones that Fn::GetAZs gives its template.
// Fn::GetAZs lists the region's zones in alphabetical order, and "returns only
// Availability Zones that have a default subnet unless none of the Availability Zones
// has a default subnet" (CloudFormation Template Reference, Fn::GetAZs); synth's subnets
// take them by index (Fn::Select).
func (c *Clients) zones(ctx context.Context, d Deploy) ([]string, error) {
	if len(d.Subnets) > 0 {
		out, err := c.EC2.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{SubnetIds: d.Subnets})
		if err != nil {
			return nil, err
		}
		var zones []string
		for _, s := range out.Subnets {
			if z := aws.ToString(s.AvailabilityZone); !slices.Contains(zones, z) {
				zones = append(zones, z)
			}
		}
		sort.Strings(zones)
		return zones, nil
	}
	out, err := c.EC2.DescribeAvailabilityZones(ctx, &ec2.DescribeAvailabilityZonesInput{})
	if err != nil {
		return nil, err
	}
	var all []string
	for _, z := range out.AvailabilityZones {
		if (z.ZoneType == nil || aws.ToString(z.ZoneType) == "availability-zone") && z.State == ec2types.AvailabilityZoneStateAvailable {
			all = append(all, aws.ToString(z.ZoneName))
		}
	}
	sort.Strings(all)
	withDefault := map[string]bool{}
	p := ec2.NewDescribeSubnetsPaginator(c.EC2, &ec2.DescribeSubnetsInput{Filters: []ec2types.Filter{{Name: aws.String("default-for-az"), Values: []string{"true"}}}})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, s := range page.Subnets {
			withDefault[aws.ToString(s.AvailabilityZone)] = true
		}
	}
	zones := all
	if len(withDefault) > 0 {
		zones = slices.DeleteFunc(slices.Clone(all), func(z string) bool { return !withDefault[z] })
	}
	n := d.Manifest.Network.AZs
	if n > len(zones) {
		n = len(zones) // the network template fails on its own; here, check what there is
	}
	return zones[:n], nil
}

// offerings are the instance types each zone offers.
func (c *Clients) offerings(ctx context.Context, zones []string) (map[string]map[string]bool, error) {
	offered := map[string]map[string]bool{}
	for _, z := range zones {
		offered[z] = map[string]bool{}
	}
	p := ec2.NewDescribeInstanceTypeOfferingsPaginator(c.EC2, &ec2.DescribeInstanceTypeOfferingsInput{
		LocationType: ec2types.LocationTypeAvailabilityZone,
		Filters:      []ec2types.Filter{{Name: aws.String("location"), Values: zones}},
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, o := range page.InstanceTypeOfferings {
			if in := offered[aws.ToString(o.Location)]; in != nil {
				in[string(o.InstanceType)] = true
			}
		}
	}
	return offered, nil
}

// instanceName splits a type into its family's class letters, generation and size:
// c7i.large is c, 7, large.
var instanceName = lazyregexp.New(`^([a-z]+)([0-9]*)[^.]*\.(.+)$`)

// alternatives are the types every zone offers that could stand in: the same size and
// class (c, m, r, ...) first, newest generation first, else other sizes of the same
// family; always of the same architecture, which the images are built for.
func alternatives(typ string, zones []string, offered map[string]map[string]bool) []string {
	want := instanceName.FindStringSubmatch(typ)
	if want == nil {
		return nil
	}
	family, _, _ := strings.Cut(typ, ".")
	arch := (manifest.Capacity{Type: manifest.EC2, InstanceType: typ}).Arch()
	var sameSize, sameFamily []string
	for t := range offered[zones[0]] {
		everywhere := true
		for _, z := range zones[1:] {
			everywhere = everywhere && offered[z][t]
		}
		got := instanceName.FindStringSubmatch(t)
		if !everywhere || got == nil || t == typ || (manifest.Capacity{Type: manifest.EC2, InstanceType: t}).Arch() != arch {
			continue
		}
		if f, _, _ := strings.Cut(t, "."); f == family {
			sameFamily = append(sameFamily, t)
		} else if got[1] == want[1] && got[3] == want[3] {
			sameSize = append(sameSize, t)
		}
	}
	newestFirst := func(list []string) {
		sort.Slice(list, func(i, j int) bool {
			gi, _ := strconv.Atoi(instanceName.FindStringSubmatch(list[i])[2])
			gj, _ := strconv.Atoi(instanceName.FindStringSubmatch(list[j])[2])
			if gi != gj {
				return gi > gj
			}
			return list[i] < list[j]
		})
	}
	newestFirst(sameSize)
	sort.Strings(sameFamily)
	out := sameSize
	if len(out) == 0 {
		out = sameFamily
	}
	if len(out) > 5 {
		out = out[:5]
	}
	return out
}
