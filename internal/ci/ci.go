// Package ci is berth in a CI job: which CI service runs it (then berth asks no
// question and prints no colour), the job summary and annotations of GitHub Actions,
// and the workflow files "berth ci init" writes for GitHub Actions and GitLab CI.
//
// It imports nothing of berth's but hint.
package ci

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// Detect names the CI service the process runs in ("GitHub Actions", "GitLab CI", or
// "CI" for any that sets CI=true), "" outside one; getenv is os.Getenv.
func Detect(getenv func(string) string) string {
	on := func(k string) bool { v := strings.ToLower(getenv(k)); return v == "true" || v == "1" }
	switch {
	case on("GITHUB_ACTIONS"):
		return "GitHub Actions"
	case on("GITLAB_CI"):
		return "GitLab CI"
	case on("CI"):
		return "CI"
	}
	return ""
}

// Running names the CI service berth runs in, "" outside one.
func Running() string { return Detect(os.Getenv) }

// Annotation is a GitHub Actions workflow command that shows msg on line of file, in
// the run and on the pull request's diff ("Workflow commands for GitHub Actions",
// docs.github.com: ::error file={name},line={line}::{message}, sent over stdout).
// Properties escape % \r \n : and , the message % \r \n, as the actions toolkit does.
func Annotation(file string, line int, msg string) string {
	data := strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A")
	prop := strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C")
	return fmt.Sprintf("::error file=%s,line=%d::%s", prop.Replace(file), line, data.Replace(msg))
}

// Annotate writes, in a GitHub Actions job, the annotation of an error that has a
// position in a file (a manifest's: manifest.Error): the runner reads it from stdout.
func Annotate(stdout io.Writer, err error) {
	var at interface{ Position() (string, int) }
	if Running() == "GitHub Actions" && errors.As(err, &at) {
		file, line := at.Position()
		fmt.Fprintln(stdout, Annotation(file, line, err.Error()))
	}
}

// SummaryEnv names the file of a GitHub Actions step's summary, which the job's page
// shows as Markdown.
const SummaryEnv = "GITHUB_STEP_SUMMARY"

// maxSummary bounds what berth adds to a step's summary: GitHub takes 1 MiB a step
// and shows an error instead of a larger one.
const maxSummary = 512 << 10

// Summarize is AppendSummary, saying on warn what went wrong: a summary berth could
// not write is no reason to fail the job.
func Summarize(warn io.Writer, render func(io.Writer)) {
	if err := AppendSummary(render); err != nil {
		fmt.Fprintf(warn, "warning: %v\n", err)
	}
}

// AppendSummary adds what render writes to the step summary, when GITHUB_STEP_SUMMARY
// names one; nothing otherwise.
func AppendSummary(render func(io.Writer)) error {
	path := os.Getenv(SummaryEnv)
	if path == "" {
		return nil
	}
	var b bytes.Buffer
	render(&b)
	if b.Len() > maxSummary {
		b.Truncate(maxSummary)
		b.WriteString("\n\n… (cut: the job log has all of it)\n")
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return fmt.Errorf("job summary: %w", err)
	}
	_, err = f.Write(b.Bytes())
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("job summary %s: %w", path, err)
	}
	return nil
}
