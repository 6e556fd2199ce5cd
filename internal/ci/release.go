package ci

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"github.com/berthdev/berth/internal/hint"
)

// Write renders the workflow into out (its File when empty), which it never overwrites
// without force. The archive's checksum, unless given, is read from the release.
func (w Workflow) Write(ctx context.Context, client *http.Client, out string, force bool) (string, error) {
	if out == "" {
		out = w.File()
	}
	if _, err := os.Stat(out); err == nil && !force {
		return "", hint.Usage(hint.Wrap(fmt.Errorf("%s exists already", out), "use --force to overwrite it, or --out to write elsewhere"))
	}
	if w.BerthSHA256 == "" && IsRelease(w.BerthVersion) {
		sum, err := ReleaseSHA256(ctx, client, ReleaseURL, w.BerthVersion)
		if err != nil {
			return "", hint.Wrap(err, "pass --berth-sha256 with the archive's line of the release's SHA256SUMS")
		}
		w.BerthSHA256 = sum
	}
	body, err := w.Render()
	if err != nil {
		return "", hint.Usage(hint.Wrap(err, "a development build of berth needs --berth-version vX.Y.Z and --berth-sha256 SUM; --region a region"))
	}
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return "", err
	}
	if err := os.WriteFile(out, body, 0o644); err != nil {
		return "", fmt.Errorf("write the workflow: %w", err)
	}
	return out, nil
}

// ReleaseSHA256 reads the SHA-256 of a release's Linux amd64 archive from the release's
// SHA256SUMS (sha256sum's format, which scripts/release.sh writes) at base/VERSION/, so
// that the workflow pins what the release holds today: a job then installs that archive
// or fails, whatever becomes of the release later.
func ReleaseSHA256(ctx context.Context, client *http.Client, base, version string) (string, error) {
	url := base + "/" + version + "/SHA256SUMS"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return "", err
	}
	resp, err := client.Do(req)
	if err != nil {
		return "", fmt.Errorf("read the checksums of berth %s: %w", version, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("read the checksums of berth %s: %s answered %s", version, url, resp.Status)
	}
	want := Archive(version)
	sc := bufio.NewScanner(io.LimitReader(resp.Body, 1<<20))
	for sc.Scan() {
		sum, file, ok := strings.Cut(sc.Text(), " ") // "SUM  FILE", or "SUM *FILE" in binary mode
		if ok && strings.TrimLeft(file, " *") == want && sha256Hex.MatchString(sum) {
			return sum, nil
		}
	}
	if err := sc.Err(); err != nil {
		return "", fmt.Errorf("read %s: %w", url, err)
	}
	return "", fmt.Errorf("%s lists no %s", url, want)
}
