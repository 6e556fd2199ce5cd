package local

import (
	"context"
	"crypto/sha256"
	"fmt"
	"io/fs"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"
)

// Offer asks for a reload unless one is pending already.
func Offer(ch chan Reload, r Reload) {
	select {
	case ch <- r:
	default: // a reload is pending already: it will read everything as it is then
	}
}

// Watch polls the manifest and the build directory and asks for a reload when a
// file changes. Polling is portable and cheap at this size; a second is the debounce.
func Watch(ctx context.Context, file, dir string, reloads chan Reload) {
	last := fingerprint(file, dir)
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if fp := fingerprint(file, dir); fp != last {
				last = fp
				Offer(reloads, Reload{Why: "files changed"})
			}
		}
	}
}

func fingerprint(file, dir string) string {
	h := sha256.New()
	if info, err := os.Stat(file); err == nil {
		fmt.Fprintf(h, "%s %d %d\n", file, info.Size(), info.ModTime().UnixNano())
	}
	if dir == "" {
		return fmt.Sprintf("%x", h.Sum(nil))
	}
	filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		if info, err := d.Info(); err == nil {
			fmt.Fprintf(h, "%s %d %d\n", path, info.Size(), info.ModTime().UnixNano())
		}
		return nil
	})
	return fmt.Sprintf("%x", h.Sum(nil))
}

// Reloads is where berth up hears that it should apply berth.yml again: SIGHUP (what
// "berth reload" sent before the control endpoint, and what a user may still send),
// and with watch a change of file or of the sources in dir. It stops listening when
// ctx ends.
func Reloads(ctx context.Context, file, dir string, watch bool) chan Reload {
	reloads := make(chan Reload, 1)
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	go func() {
		defer signal.Stop(hup)
		for {
			select {
			case <-ctx.Done():
				return
			case <-hup:
				Offer(reloads, Reload{Why: "reload requested", Force: true})
			}
		}
	}()
	if watch {
		go Watch(ctx, file, dir, reloads)
	}
	return reloads
}
