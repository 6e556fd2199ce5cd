package manifest

import (
	"fmt"
	"slices"

	"github.com/berthdev/berth/internal/manifest/policy"
)

// Permissions that amount to administrator access: with them the app, and anyone who
// gets to run code in it, can do anything in the account, or grant itself the right
// to. They are refused unless permissions_allow_admin: true says they are meant; which
// grants they are, package policy says (AdminPolicy, AdminAction).

// validateAdmin refuses, at its line, the first grant in permissions that amounts to
// administrator access, unless permissions_allow_admin is true; and refuses the
// override when nothing needs it, so that it cannot outlive the grant it was for and
// silently cover the next one.
func validateAdmin(m *Manifest) error {
	type grant struct {
		line      int
		key, what string
	}
	var grants []grant
	p := m.Permissions
	for i, arn := range p.Managed {
		if why := policy.AdminPolicy(arn); why != "" {
			key := p.managedKeys[i]
			grants = append(grants, grant{m.Line(key), key, arn + " " + why})
		}
	}
	for _, s := range p.Statements {
		for i, a := range s.Allow {
			if why := policy.AdminAction(a, s.Resources); why != "" {
				grants = append(grants, grant{m.Line(fmt.Sprintf("%s.allow[%d]", s.Key, i)), s.Key + ".allow", why})
			}
		}
	}
	switch {
	case len(grants) > 0 && !m.PermissionsAllowAdmin:
		g := slices.MinFunc(grants, func(a, b grant) int { return a.line - b.line })
		return &Error{File: m.File, Line: g.line, Key: g.key, Msg: g.what + ": name the actions and resources the app uses, or set permissions_allow_admin: true to grant it anyway (the app, and anyone who runs code in it, could then do anything in the account)"}
	case len(grants) == 0 && m.PermissionsAllowAdmin:
		return m.errorf("permissions_allow_admin", "nothing in permissions needs it: remove it, so that it cannot let a later administrator grant through unnoticed")
	}
	return nil
}
