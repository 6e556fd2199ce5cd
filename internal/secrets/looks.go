// Package secrets is what berth knows about secret values without ever handling one on
// AWS: which names and values look like credentials (for the manifest and berth check),
// and where berth up finds the values locally (the developer's environment and a
// dotenv file next to the manifest).
//
// It imports nothing of berth's.
package secrets

import (
	"strings"
	"unicode"

	"github.com/berthdev/berth/internal/lazyregexp"
)

// credentialWords end the names of variables that hold credentials, as words of the
// name (DB_PASSWORD, githubToken, STRIPE_API_KEY). A name that only starts with one
// names something about a credential, not the credential: TOKEN_TTL, SECRET_NAME,
// PASSWORD_MIN_LENGTH.
var credentialWords = [][]string{
	{"PASSWORD"}, {"PASSWD"}, {"PASS"}, {"PWD"},
	{"SECRET"}, {"SECRET", "KEY"}, {"SECRET", "ACCESS", "KEY"},
	{"TOKEN"},
	{"API", "KEY"}, {"APIKEY"},
	{"ACCESS", "KEY"}, {"ACCESS", "KEY", "ID"},
	{"PRIVATE", "KEY"},
	{"CREDENTIAL"}, {"CREDENTIALS"},
}

// notCredentials are names that end in such a word and are well known to hold
// something else: the shell's working directory.
var notCredentials = map[string]bool{"PWD": true}

// LooksLikeCredentialName reports whether an environment variable's name says it holds
// a credential.
func LooksLikeCredentialName(name string) bool {
	words := nameWords(name)
	if notCredentials[strings.Join(words, "_")] {
		return false
	}
	for _, cw := range credentialWords {
		if len(words) >= len(cw) && equalWords(words[len(words)-len(cw):], cw) {
			return true
		}
	}
	return false
}

// nameWords splits a variable name into upper-case words at underscores, hyphens, dots
// and lower-to-upper case changes: dbPassword and DB_PASSWORD are both DB PASSWORD.
func nameWords(name string) []string {
	var words []string
	var cur []rune
	flush := func() {
		if len(cur) > 0 {
			words = append(words, strings.ToUpper(string(cur)))
			cur = cur[:0]
		}
	}
	var prev rune
	for _, r := range name {
		switch {
		case r == '_' || r == '-' || r == '.':
			flush()
		case unicode.IsUpper(r) && (unicode.IsLower(prev) || unicode.IsDigit(prev)):
			flush()
			cur = append(cur, r)
		default:
			cur = append(cur, r)
		}
		prev = r
	}
	flush()
	return words
}

func equalWords(a, b []string) bool {
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// Values that are credentials whatever their variable is called. Each pattern has next
// to no false positives: an AWS access key id has a fixed shape and prefix (AKIA for
// long-term keys, ASIA for temporary ones), a PEM private key says so in its armour.
var credentialValues = []struct {
	what string
	re   *lazyregexp.Regexp
}{
	{"an AWS access key id", lazyregexp.New(`(^|[^A-Za-z0-9])(AKIA|ASIA)[A-Z0-9]{16}([^A-Za-z0-9]|$)`)},
	{"a private key", lazyregexp.New(`-----BEGIN ([A-Z0-9]+ )*PRIVATE KEY( BLOCK)?-----`)},
}

// CredentialValue names what kind of credential value is, when it unmistakably is one.
func CredentialValue(value string) (string, bool) {
	for _, c := range credentialValues {
		if c.re.MatchString(value) {
			return c.what, true
		}
	}
	return "", false
}

// urlPassword matches a URL that carries a password in its user information, such as
// postgres://app:hunter2@db:5432/orders.
var urlPassword = lazyregexp.New(`^[a-zA-Z][a-zA-Z0-9+.-]*://[^/@:\s]*:[^/@\s]+@`)

// dynamicSecret matches a CloudFormation dynamic reference that resolves to a secret's
// value: in an Environment entry, CloudFormation writes the value itself into the task
// definition.
var dynamicSecret = lazyregexp.New(`\{\{resolve:(secretsmanager|ssm-secure):`)

// SuspiciousValue names what makes a value look like a credential: a credential
// value, a URL with a password, or a dynamic reference to a secret. It is wider than
// CredentialValue, for a check that a person reads, not for refusing input.
func SuspiciousValue(value string) (string, bool) {
	if what, ok := CredentialValue(value); ok {
		return what, true
	}
	if urlPassword.MatchString(value) {
		return "a URL with a password", true
	}
	if dynamicSecret.MatchString(value) {
		return "a dynamic reference to a secret, which CloudFormation resolves into the plain value", true
	}
	return "", false
}
