package secrets

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCredentialNames(t *testing.T) {
	for name, want := range map[string]bool{
		"DB_PASSWORD": true, "PASSWORD": true, "dbPassword": true, "DB_PASS": true, "MYSQL_PWD": true,
		"GITHUB_TOKEN": true, "accessToken": true, "CLIENT_SECRET": true, "SESSION_SECRET": true,
		"STRIPE_API_KEY": true, "apiKey": true, "SENDGRID_APIKEY": true, "AWS_SECRET_ACCESS_KEY": true,
		"AWS_ACCESS_KEY_ID": true, "JWT_PRIVATE_KEY": true, "GOOGLE_CREDENTIALS": true, "secret-key": true,
		// about a credential, not one
		"TOKEN_TTL": false, "SECRET_NAME": false, "SECRET_ARN": false, "PASSWORD_MIN_LENGTH": false,
		"API_KEY_HEADER": false, "PASSWORD_FILE": false, "JWT_PUBLIC_KEY": false, "BYPASS": false,
		"PWD": false, "LOG_LEVEL": false, "CACHE_KEY": false, "PORT": false,
	} {
		if got := LooksLikeCredentialName(name); got != want {
			t.Errorf("%s: %v, want %v", name, got, want)
		}
	}
}

func TestCredentialValues(t *testing.T) {
	for value, want := range map[string]string{
		"AKIAIOSFODNN7EXAMPLE":                "an AWS access key id",
		"key=ASIAY34FZKBOKMUTVV7A;x":          "an AWS access key id",
		"-----BEGIN RSA PRIVATE KEY-----\nx":  "a private key",
		"-----BEGIN OPENSSH PRIVATE KEY-----": "a private key",
		"-----BEGIN PRIVATE KEY-----":         "a private key",
		"-----BEGIN PUBLIC KEY-----":          "",
		"AKIAIOSFODNN7EXAMPLEX":               "", // 21 characters: not a key id
		"xAKIAIOSFODNN7EXAMPLE":               "",
		"hunter2":                             "",
		"info":                                "",
	} {
		got, ok := CredentialValue(value)
		if got != want || ok != (want != "") {
			t.Errorf("%q: %q %v, want %q", value, got, ok, want)
		}
	}
	for value, want := range map[string]bool{
		"postgres://app:hunter2@db:5432/orders":                      true,
		"postgres://app@db:5432/orders":                              false,
		"http://example.com/a:b@c":                                   false,
		"{{resolve:secretsmanager:orders/db:SecretString:password}}": true,
		"{{resolve:ssm-secure:/orders/db}}":                          true,
		"{{resolve:ssm:/orders/feature-flag}}":                       false,
		"AKIAIOSFODNN7EXAMPLE":                                       true,
	} {
		if _, ok := SuspiciousValue(value); ok != want {
			t.Errorf("%q: suspicious %v, want %v", value, ok, want)
		}
	}
}

func TestParseDotenv(t *testing.T) {
	src := "\xef\xbb\xbf# comment\n\nA=plain\nexport B = spaced out  \nC=with # comment\nD=no#comment\n" +
		"E='single $X \\n'\nF=\"double \\\"q\\\" \\n \\$X \\\\ \\q\"\nG=\"line one\nline two\"  # after\nH=\nI=a=b\r\nJ='last'"
	got, err := Parse([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"A": "plain", "B": "spaced out", "C": "with", "D": "no#comment", "E": `single $X \n`,
		"F": "double \"q\" \n $X \\ \\q", "G": "line one\nline two", "H": "", "I": "a=b", "J": "last",
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}
	if len(got) != len(want) {
		t.Errorf("parsed %d variables, want %d: %q", len(got), len(want), got)
	}
}

// A bad line is named by its number, and never quoted: it may hold a secret.
func TestParseErrorsNameTheLineNotTheValue(t *testing.T) {
	for src, want := range map[string]string{
		"A=1\nhunter2\n":                 "2: not a NAME=value line",
		"A=1\n1A=hunter2\n":              "2: not a NAME=value line",
		"A=hunter2\nA=hunter2\n":         "2: A is set twice",
		"A=1\nB=\"hunter2\n\nC=3\n":      "2: the quote \" is never closed",
		"A='hunter2' hunter2\n":          "1: text after the closing quote",
		"A=\"x\ny\"\nB=hunter2\n1=bad\n": "4: not a NAME=value line",
	} {
		_, err := Parse([]byte(src))
		var pe *ParseError
		if !errors.As(err, &pe) || !strings.HasPrefix(err.Error(), want) {
			t.Errorf("%q: %v, want %q", src, err, want)
			continue
		}
		if strings.Contains(err.Error(), "hunter2") {
			t.Errorf("%q: the error quotes the value: %v", src, err)
		}
	}
}

func TestLocalPrefersTheEnvironmentAndNamesWhatIsMissing(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, File)
	if err := os.WriteFile(path, []byte("DB_PASSWORD=from-file\nAPI_KEY=from-file\nDB_PASWORD=typo\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"API_KEY": "from-env"}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	v, err := Local(dir, []string{"API_KEY", "DB_PASSWORD"}, lookup)
	if err != nil {
		t.Fatal(err)
	}
	if v.Vars["API_KEY"] != "from-env" || v.From["API_KEY"] != FromEnvironment || v.Vars["DB_PASSWORD"] != "from-file" || v.From["DB_PASSWORD"] != File {
		t.Errorf("values %q from %q", v.Vars, v.From)
	}
	if len(v.Warnings) != 1 || !strings.Contains(v.Warnings[0], "sets DB_PASWORD, which the manifest's secrets do not name") {
		t.Errorf("warnings %q", v.Warnings)
	}

	_, err = Local(dir, []string{"DB_PASSWORD", "TOKEN", "OTHER"}, lookup)
	var missing *MissingError
	if !errors.As(err, &missing) || strings.Join(missing.Names, ",") != "TOKEN,OTHER" || !strings.Contains(err.Error(), path) ||
		!strings.Contains(missing.Hint(), "add TOKEN=... to "+path) {
		t.Errorf("missing: %v", err)
	}

	// no file at all: the environment alone
	v, err = Local(t.TempDir(), []string{"API_KEY"}, lookup)
	if err != nil || v.Vars["API_KEY"] != "from-env" {
		t.Errorf("without a file: %v %q", err, v.Vars)
	}
}

func TestLocalWarnsAboutAFileOthersCanRead(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, File)
	os.WriteFile(path, []byte("A=x\n"), 0o644)
	os.Chmod(path, 0o644)
	v, err := Local(dir, []string{"A"}, func(string) (string, bool) { return "", false })
	if err != nil || len(v.Warnings) != 1 || !strings.Contains(v.Warnings[0], "mode 0644): chmod 600") {
		t.Errorf("%v %q", err, v.Warnings)
	}
	os.WriteFile(path, []byte("A=x\nbroken line with hunter2\n"), 0o600)
	if _, err := Local(dir, []string{"A"}, func(string) (string, bool) { return "", false }); err == nil ||
		!strings.HasPrefix(err.Error(), path+":2: not a NAME=value line") || strings.Contains(err.Error(), "hunter2") {
		t.Errorf("bad file: %v", err)
	}
}
