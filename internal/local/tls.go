package local

import (
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/berthdev/berth/internal/hint"
	"github.com/berthdev/berth/internal/localtls"
	"github.com/berthdev/berth/internal/manifest"
)

// TLSConfig makes (once per user) the local certificate authority and the localhost
// certificate berth up serves HTTPS with, and says on w how to trust them.
func TLSConfig(w io.Writer, m *manifest.Manifest) (*tls.Config, error) {
	dir, err := localtls.Dir()
	if err != nil {
		return nil, err
	}
	files, err := localtls.Ensure(dir, time.Now())
	var unsafe *localtls.UnsafeDirError
	if err != nil && !errors.As(err, &unsafe) { // that one has its own hint
		return nil, hint.Wrap(err, "set "+localtls.DirEnv+" to a directory berth may write")
	}
	if err != nil {
		return nil, err
	}
	why := "--tls"
	switch {
	case m.CloudFront():
		why = "edge: cloudfront in berth.yml, with the headers the app gets behind CloudFront (--tls=false serves plain HTTP)"
	case m.HTTPS():
		why = "domain " + m.Domain.Name + " in berth.yml (--tls=false serves plain HTTP)"
	}
	fmt.Fprintf(w, "HTTPS (%s) with berth's local certificate authority %s: trust it, or \"curl --cacert %s\"\n", why, files.CA, files.CA)
	if files.NewCA {
		fmt.Fprintf(w, "the authority is new, valid for localhost and loopback addresses only, until %s: trust it anew (berth makes the next one a week before)\n",
			files.CAExpires.Local().Format(time.DateOnly))
	}
	return files.Config()
}
