package main

import "testing"

func TestGroupOf(t *testing.T) {
	for _, c := range []struct {
		prefix, key string
		depth       int
		want        string
	}{
		{"", "db1/2026-12-07/chunk.0", 1, "db1/"},
		{"", "db1/2026-12-07/chunk.0", 2, "db1/2026-12-07/"},
		{"db1/", "db1/2026-12-07/chunk.0", 1, "db1/2026-12-07/"},
		{"db1/", "db1/flat", 1, "db1/"},
		{"", "flat", 3, ""},
		{"db", "db1/x/y", 0, "db"},
	} {
		if got := groupOf(c.prefix, c.key, c.depth); got != c.want {
			t.Errorf("groupOf(%q, %q, %d) = %q, want %q", c.prefix, c.key, c.depth, got, c.want)
		}
	}
}
