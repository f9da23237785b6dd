package logctx

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
)

func TestHandlerAddsRequestID(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(NewHandler(slog.NewJSONHandler(&buf, nil))).With("component", "test")
	ctx := WithRequestID(context.Background(), "ABC123")
	log.InfoContext(ctx, "with id")
	log.Info("without id")
	log.WithGroup("g").InfoContext(ctx, "grouped", "k", "v")

	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 3 {
		t.Fatalf("got %d lines:\n%s", len(lines), buf.String())
	}
	var recs []map[string]any
	for _, l := range lines {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("%q: %v", l, err)
		}
		recs = append(recs, m)
	}
	if recs[0][Key] != "ABC123" || recs[0]["component"] != "test" {
		t.Errorf("line 1: %v", recs[0])
	}
	if _, ok := recs[1][Key]; ok {
		t.Errorf("line 2 has a request ID without one in its context: %v", recs[1])
	}
	// Inside a group the ID lands in the group; it is still on the line.
	if !strings.Contains(lines[2], `"ABC123"`) {
		t.Errorf("line 3 lost the ID: %s", lines[2])
	}
	if RequestID(context.Background()) != "" || RequestID(nil) != "" {
		t.Error("RequestID of a bare context is not empty")
	}
}
