// Command api is the Go app of the documentation's transcripts: berth builds it
// without a Dockerfile or a base image, and gives it PORT.
package main

import (
	"fmt"
	"net/http"
	"os"
)

func main() {
	http.HandleFunc("GET /health", func(http.ResponseWriter, *http.Request) {})
	http.HandleFunc("GET /{$}", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintln(w, "hello from Go")
	})
	if err := http.ListenAndServe(":"+os.Getenv("PORT"), nil); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
