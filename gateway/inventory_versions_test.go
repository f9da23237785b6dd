package gateway

import (
	"testing"
	"time"
)

// TestInventoryVersionOfSuffix: the inventory takes a noncurrent
// version's ID from its reserved name only when the name carries one.
func TestInventoryVersionOfSuffix(t *testing.T) {
	vid, err := newVersionID(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	tp := timePrefix(time.Now())
	for sfx, want := range map[string]string{vid: vid, tp + nullVersion: nullVersion, "null": "", "": "", "zz" + vid[2:]: "", tp + "nul": "", "x" + tp[1:] + nullVersion: ""} {
		got, ok := versionOfSuffix(sfx)
		if ok != (want != "") || ok && got != want {
			t.Errorf("versionOfSuffix(%q) = %q, %v; want %q", sfx, got, ok, want)
		}
	}
}
