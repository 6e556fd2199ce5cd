package deploy

import (
	"cmp"
	"fmt"

	"github.com/berthdev/berth/internal/manifest"
	"github.com/berthdev/berth/internal/stacks"
	"github.com/berthdev/berth/internal/synth"
)

// edgeNotes say what stands in front of the service, and what a move between edges
// changes: the load balancer is replaced (its scheme cannot change in place), and the
// URL with it unless the service keeps its domain.
func edgeNotes(m *manifest.Manifest, live *stacks.Stack) []string {
	var notes []string
	if m.CloudFront() && m.Shared() {
		notes = append(notes, "edge: cloudfront, the environment's: its CloudFront distribution serves HTTPS on its *.cloudfront.net name (HTTP redirected to it), this service on "+
			m.Route().String()+", and reaches the environment's load balancer, internal, through a VPC origin; nothing else reaches the load balancer")
	} else if m.CloudFront() {
		where := "its own *.cloudfront.net name"
		if m.HTTPS() {
			where = m.Domain.Name
		}
		notes = append(notes, "edge: cloudfront: a CloudFront distribution serves HTTPS on "+where+
			" (HTTP redirected to it) and reaches the load balancer, internal, through a VPC origin; nothing else reaches the load balancer")
	}
	if live == nil {
		return notes
	}
	was := cmp.Or(live.Outputs[synth.OutEdge], manifest.EdgeNone)
	if was == m.Edge {
		return notes
	}
	now, scheme := "the distribution's https://….cloudfront.net name (known once it is made)", "by an internal one"
	if !m.CloudFront() {
		now, scheme = "the new load balancer's http://… name (known once it is made)", "by an internet-facing one"
	}
	if m.HTTPS() {
		now = "https://" + m.Domain.Name
	}
	change := "changes from " + cmp.Or(live.Outputs[synth.OutURL], "(none)") + " to " + now
	if live.Outputs[synth.OutURL] == now {
		change = "stays " + now + ", whose alias records move to the new " + map[bool]string{true: "distribution", false: "load balancer"}[m.CloudFront()]
	}
	return append(notes, fmt.Sprintf("warning: edge %s → %s: the service's URL %s; the load balancer is replaced %s, and its target groups with it", was, m.Edge, change, scheme))
}
