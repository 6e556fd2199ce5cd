package progress

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/berthdev/berth/internal/prompt"
	"github.com/berthdev/berth/internal/teardown"
)

// ConfirmRemoval asks before a delete; an environment named like production takes its
// name typed out, not a y.
func ConfirmRemoval(ctx context.Context, in io.Reader, out io.Writer, r *teardown.Removal) error {
	if teardown.ProductionLike(r.Env) {
		typed, err := prompt.Ask(ctx, in, out, fmt.Sprintf("%s looks like a production environment: type its name to delete this: ", r.Env))
		if err != nil {
			return fmt.Errorf("nothing deleted: %w", err)
		}
		if typed != r.Env {
			return fmt.Errorf("nothing deleted: %q is not %q", typed, r.Env)
		}
		return nil
	}
	ok, err := prompt.Yes(ctx, in, out, "delete all of this? [y/N] ")
	if err != nil {
		return fmt.Errorf("nothing deleted: %w", err)
	}
	if !ok {
		return errors.New("nothing deleted")
	}
	return nil
}
