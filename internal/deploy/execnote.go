package deploy

import "github.com/berthdev/berth/internal/manifest"

// execNote says what exec: true widens, for the plan: the service accepts ECS Exec
// sessions, so whoever may call ecs:ExecuteCommand on its tasks runs commands in them
// as the app, with the app's task role and secrets ("Using Amazon ECS Exec for
// debugging": access is controlled with IAM policies on ecs:ExecuteCommand).
func execNote(m *manifest.Manifest) string {
	if !m.Exec {
		return ""
	}
	return "exec: true widens access: anyone allowed ecs:ExecuteCommand on the cluster can run commands in the tasks of " + m.Name +
		" (berth exec), as the app, with its task role and secrets; set exec: false (the default) when nobody needs it"
}
