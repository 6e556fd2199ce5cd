package manifest

import (
	"path/filepath"
	"strings"
	"testing"
)

// Permissions that amount to administrator access are refused like "*" is, at the line
// that grants them, with what the override does: AWS managed policies that give every
// action, every action but IAM, every IAM action, or an administrator's job; IAM
// writes and STS role assumption on every resource (IAM action names are case
// insensitive: reference_policies_elements_action.html).
func TestAdministratorAccessIsRefused(t *testing.T) {
	const override = "or set permissions_allow_admin: true to grant it anyway"
	for _, tc := range []struct{ name, src, want string }{
		{"AdministratorAccess", "permissions:\n  - arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess\n  - arn:aws:iam::aws:policy/AdministratorAccess\n",
			`berth.yml:4: permissions[1]: arn:aws:iam::aws:policy/AdministratorAccess gives every action on every resource`},
		{"another partition", "permissions:\n  - arn:aws-us-gov:iam::aws:policy/AdministratorAccess\n", `berth.yml:3: permissions[0]: arn:aws-us-gov:iam::aws:policy/AdministratorAccess gives every action on every resource`},
		{"IAMFullAccess", "permissions:\n  - arn:aws:iam::aws:policy/IAMFullAccess\n", `IAMFullAccess gives every IAM action, with which the app could grant itself anything`},
		{"PowerUserAccess", "permissions:\n  - arn:aws:iam::aws:policy/PowerUserAccess\n", `PowerUserAccess gives every action but IAM's and Organizations' on every resource`},
		{"job function", "permissions:\n  - arn:aws:iam::aws:policy/job-function/SystemAdministrator\n", `job-function/SystemAdministrator is AWS's policy for an administrator's job`},
		{"service administrator", "permissions:\n  - arn:aws:iam::aws:policy/AdministratorAccess-Amplify\n", `AdministratorAccess-Amplify gives account administrator permissions`},
		{"every action", "permissions:\n  - allow: ['*']\n    resources: ['*']\n", `berth.yml:3: permissions[0].allow: "*" allows every action of every service`},
		{"iam wildcard", "permissions:\n  - allow: ['iam:*']\n    resources: [arn:aws:iam::111122223333:role/app]\n", `berth.yml:3: permissions[0].allow: "iam:*" is a wildcard over IAM`},
		{"pass any role", "permissions:\n  - allow:\n      - s3:GetObject\n      - iam:PassRole\n    resources: ['*']\n",
			`berth.yml:5: permissions[0].allow: "iam:PassRole" on "*" lets the app change IAM, and so grant itself anything`},
		{"lower case", "permissions:\n  - allow: [iam:passrole]\n    resources: ['*']\n", `"iam:passrole" on "*" lets the app change IAM`},
		{"every role of an account", "permissions:\n  - allow: [iam:AttachRolePolicy]\n    resources: [arn:aws:s3:::b, 'arn:aws:iam::111122223333:role/*']\n",
			`"iam:AttachRolePolicy" on "arn:aws:iam::111122223333:role/*" lets the app change IAM`},
		{"assume any role", "permissions:\n  - allow: [sts:AssumeRole]\n    resources: ['*']\n", `berth.yml:3: permissions[0].allow: "sts:AssumeRole" on "*" lets the app become any role that trusts the account`},
		{"assume wildcard", "permissions:\n  - allow: [sts:Assume*]\n    resources: ['*']\n", `"sts:Assume*" on "*" lets the app become any role`},
		{"sts wildcard", "permissions:\n  - allow: ['sts:*']\n    resources: ['*']\n", `"sts:*" on "*" lets the app become any role`},
		{"unused override", "permissions_allow_admin: true\npermissions:\n  - allow: [s3:GetObject]\n    resources: ['*']\n",
			`berth.yml:2: permissions_allow_admin: nothing in permissions needs it: remove it`},
		{"override without permissions", "permissions_allow_admin: true\n", `berth.yml:2: permissions_allow_admin: nothing in permissions needs it`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte("name: a\n"+tc.src), filepath.Join(t.TempDir(), "berth.yml"))
			if err == nil || !strings.Contains(err.Error(), tc.want) || !IsManifestError(err) {
				t.Fatalf("error %v\nwant %q", err, tc.want)
			}
			if !strings.Contains(err.Error(), override) && !strings.Contains(tc.name, "override") {
				t.Errorf("the error does not say what overrides it: %v", err)
			}
		})
	}
}

// The override grants exactly what the manifest says; what is no administrator access
// needs none.
func TestAdministratorAccessWithTheOverride(t *testing.T) {
	for _, src := range []string{
		"permissions_allow_admin: true\npermissions:\n  - arn:aws:iam::aws:policy/AdministratorAccess\n",
		"permissions:\n  - allow: [iam:PassRole, sts:AssumeRole]\n    resources: ['*']\npermissions_allow_admin: true\n",
		"permissions_allow_admin: false\npermissions:\n  - arn:aws:iam::aws:policy/ReadOnlyAccess\n",
		"permissions:\n  - arn:aws:iam::aws:policy/AmazonS3FullAccess\n  - arn:aws:iam::111122223333:policy/AdministratorAccess\n" +
			"  - allow: [iam:GetRole, iam:ListRoles, sts:GetCallerIdentity, iam:SimulatePrincipalPolicy]\n    resources: ['*']\n" +
			"  - allow: [iam:PassRole]\n    resources: [arn:aws:iam::111122223333:role/app-worker, 'arn:aws:iam::111122223333:role/app-*']\n" +
			"  - allow: [sts:AssumeRole]\n    resources: [arn:aws:iam::111122223333:role/reporting]\n",
	} {
		m, err := Parse([]byte("name: a\n"+src), filepath.Join(t.TempDir(), "berth.yml"))
		if err != nil {
			t.Errorf("%s: %v", src, err)
			continue
		}
		if strings.Contains(src, "allow_admin: true") != m.PermissionsAllowAdmin {
			t.Errorf("%s: PermissionsAllowAdmin %v", src, m.PermissionsAllowAdmin)
		}
	}
}

func TestAdministratorPolicyNamesInAnyCase(t *testing.T) {
	_, err := Parse([]byte("name: a\npermissions:\n  - arn:aws:iam::aws:policy/administratorAccess\n"), "berth.yml")
	if err == nil || !strings.Contains(err.Error(), "gives every action on every resource") {
		t.Errorf("error %v", err)
	}
}
