package main

import (
	"fmt"
	"io"
	"os"

	"envelopegw/metrics"
)

// version is set at link time by release builds:
// go build -ldflags "-X main.version=1.2.3 -X main.commit=abc123".
// Without it the module version and the VCS revision Go embeds are used.
var version, commit string

func init() {
	register("version", "print the version, commit and Go version", func(args []string) error {
		if len(args) > 0 {
			return fmt.Errorf("version takes no arguments")
		}
		printVersion(os.Stdout)
		return nil
	})
}

// buildInfo describes this binary: -X values first, then what
// runtime/debug.ReadBuildInfo knows (go build embeds the VCS revision
// when it builds inside a git checkout and -buildvcs is not false).
func buildInfo() metrics.Build {
	b := metrics.BuildFromBinary(version)
	if commit != "" {
		b.Commit = commit
	}
	return b
}

func printVersion(w io.Writer) {
	b := buildInfo()
	fmt.Fprintf(w, "envelopegw %s\ncommit     %s\ngo         %s\n", b.Version, b.Commit, b.GoVersion)
}
