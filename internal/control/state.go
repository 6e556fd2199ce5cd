package control

import (
	"time"

	"github.com/berthdev/berth/internal/localvitals"
)

// State is what a running "berth up" says it runs.
type State struct {
	Service  string         `json:"service"`
	Env      string         `json:"env"`
	URL      string         `json:"url,omitempty"`
	PID      int            `json:"pid,omitempty"`
	Replicas []ReplicaState `json:"replicas"`
	// Traffic is what the load balancer saw: since berth up started, the last minute,
	// and a series of 10-second points.
	Traffic *localvitals.Traffic `json:"traffic,omitempty"`
	// Serving is each revision's share of the requests now; Rollout the rollout in
	// progress, or how the last one ended (none before the first reload).
	Serving []Serving     `json:"serving,omitempty"`
	Rollout *RolloutState `json:"rollout,omitempty"`
	Updated time.Time     `json:"updated"`
}

// ReplicaState is one replica as status shows it.
type ReplicaState struct {
	Name      string `json:"name"`
	Container string `json:"container"`
	Addr      string `json:"addr,omitempty"`
	Revision  string `json:"revision"`
	Health    string `json:"health"`
	Reason    string `json:"reason,omitempty"`
	Status    string `json:"status,omitempty"`
	// Traffic is what the load balancer sent it: since it was registered, and the
	// last minute.
	Traffic *localvitals.Traffic `json:"traffic,omitempty"`
}

// RolloutState is a rollout as berth status --local shows it: the one in progress, or
// how the last one ended.
type RolloutState struct {
	Deployment int    `json:"deployment"`
	Revision   string `json:"revision"`
	Strategy   string `json:"strategy"`
	// Stage is ECS's name for it: SCALE_UP, PRODUCTION_TRAFFIC_SHIFT, BAKE_TIME, then
	// COMPLETED or ROLLED_BACK.
	Stage           string  `json:"stage"`
	NewPercent      float64 `json:"new_percent"`
	BakeLeftSeconds float64 `json:"bake_left_seconds,omitempty"`
	Reason          string  `json:"reason,omitempty"` // why it was rolled back
}

// Serving is a revision and its share of the requests, as the load balancer sends them.
type Serving struct {
	Deployment int     `json:"deployment"`
	Revision   string  `json:"revision"`
	Percent    float64 `json:"percent"`
}
