package appdir

import (
	"fmt"
	"io"
)

// WriteText says what berth init wrote to file and why, then what to do next.
func (g *Guess) WriteText(w io.Writer, file string) {
	if g.Build == "" {
		fmt.Fprintf(w, "wrote %s: no app here (no Dockerfile, no Go main package), so it runs a public nginx image; point image.build at your app, then run \"berth up\"\n", file)
		return
	}
	fmt.Fprintf(w, "wrote %s for the app in this directory:\n", file)
	fmt.Fprintf(w, "  name: %s   (%s)\n", g.Name, g.Why["name"])
	fmt.Fprintf(w, "  image.build: %s   (%s)\n", g.Build, g.Why["image.build"])
	fmt.Fprintf(w, "  port: %d   (%s)\n", g.Port, g.Why["port"])
	fmt.Fprintf(w, "  health.path: %s   (%s)\n", g.HealthPath, g.Why["health.path"])
	for _, n := range g.Notes {
		fmt.Fprintf(w, "note: %s\n", n)
	}
	fmt.Fprintln(w, "next: \"berth up\" runs it on Docker, \"berth deploy\" on AWS; every other key is in the file, commented")
}
