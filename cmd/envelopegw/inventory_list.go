package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"envelopegw/envelope"
	"envelopegw/gateway"
)

// backupRow is one listed object, as JSON and CSV show it.
type backupRow struct {
	Key        string    `json:"key"`
	Version    string    `json:"version,omitempty"`
	Latest     bool      `json:"latest"`
	Size       int64     `json:"size"`
	Stored     int64     `json:"stored"`
	Created    time.Time `json:"created"`
	Retention  string    `json:"retention,omitempty"`
	Signer     string    `json:"signer"`
	Recipients []string  `json:"recipients"`
	Error      string    `json:"error,omitempty"`
}

// prefixTotal sums the versions listed under one common prefix (every
// version is a backup that can be restored).
type prefixTotal struct {
	Prefix  string `json:"prefix"`
	Objects int64  `json:"objects"`
	Size    int64  `json:"size"`
	Stored  int64  `json:"stored"`
}

// listInventory lists BUCKET[/PREFIX] with each record verified; an
// object whose record does not verify is listed with its error, and makes
// the exit status non-zero.
func listInventory(ctx context.Context, f inventoryFlags, trusted envelope.Signers, target string, stdout io.Writer) error {
	bucket, prefix, _ := strings.Cut(target, "/")
	if bucket == "" {
		return fmt.Errorf("%w: want BUCKET or BUCKET/PREFIX, not %q", errUsage, target)
	}
	if f.depth < 0 {
		return fmt.Errorf("%w: --group-depth must not be negative", errUsage)
	}
	be, err := f.store.open(ctx, true)
	if err != nil {
		return err
	}
	cfg := gateway.Config{Backend: be, Signers: trusted}
	if f.stateKey != "" {
		if cfg.StateKey, err = readStateKey(f.stateKey); err != nil {
			return err
		}
		defer clear(cfg.StateKey)
	}
	svc, err := gateway.New(cfg)
	if err != nil {
		return err
	}
	out := newInventoryWriter(f, stdout)
	totals := map[string]*prefixTotal{}
	var order []string
	bad := 0
	err = svc.EachBackup(ctx, bucket, prefix, f.currentOnly, func(b gateway.Backup) error {
		row := backupRow{Key: b.Key, Version: b.Version, Latest: b.Latest, Size: b.Size, Stored: b.Stored, Created: b.Created,
			Retention: b.Retention, Signer: b.Signer, Recipients: b.KeyIDs}
		if b.Err != nil {
			row.Error = b.Err.Error()
			bad++
		}
		g := groupOf(prefix, b.Key, f.depth)
		t := totals[g]
		if t == nil {
			t = &prefixTotal{Prefix: g}
			totals[g] = t
			order = append(order, g)
		}
		t.Objects++
		t.Size += row.Size
		t.Stored += row.Stored
		return out.row(row)
	})
	if err != nil {
		return fmt.Errorf("bucket %s: %w", bucket, err)
	}
	sums := make([]prefixTotal, len(order))
	for i, g := range order {
		sums[i] = *totals[g]
	}
	if err := out.finish(sums); err != nil {
		return err
	}
	if bad > 0 {
		return fmt.Errorf("%d objects whose record does not verify", bad)
	}
	return nil
}

// inventoryWriter prints rows as they come (table, CSV) or at the end
// (JSON, which needs the totals in the same document).
type inventoryWriter struct {
	f    inventoryFlags
	tw   *tabwriter.Writer
	cw   *csv.Writer
	out  io.Writer
	rows []backupRow
}

func newInventoryWriter(f inventoryFlags, out io.Writer) *inventoryWriter {
	w := &inventoryWriter{f: f, out: out}
	switch {
	case f.asJSON:
	case f.asCSV:
		w.cw = csv.NewWriter(out)
		w.cw.Write([]string{"key", "version", "latest", "size", "stored", "created", "retention", "signer", "recipients", "error"})
	default:
		w.tw = tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
		fmt.Fprintln(w.tw, "KEY\tVERSION\tLATEST\tSIZE\tSTORED\tCREATED\tRETENTION\tSIGNER\tRECIPIENTS")
	}
	return w
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func (w *inventoryWriter) row(r backupRow) error {
	created := ""
	if !r.Created.IsZero() {
		created = r.Created.UTC().Format(time.RFC3339)
	}
	switch {
	case w.f.asJSON:
		w.rows = append(w.rows, r)
	case w.cw != nil:
		w.cw.Write([]string{r.Key, r.Version, strconv.FormatBool(r.Latest), strconv.FormatInt(r.Size, 10), strconv.FormatInt(r.Stored, 10), created,
			r.Retention, r.Signer, strings.Join(r.Recipients, " "), r.Error})
		return w.cw.Error()
	default:
		if r.Error != "" {
			fmt.Fprintf(w.tw, "%s\t%s\t%t\t-\t%d\t-\t-\tNOT VERIFIED: %s\t\n", r.Key, orDash(r.Version), r.Latest, r.Stored, r.Error)
			return nil
		}
		fmt.Fprintf(w.tw, "%s\t%s\t%t\t%d\t%d\t%s\t%s\t%s\t%s\n", r.Key, orDash(r.Version), r.Latest, r.Size, r.Stored, created,
			orDash(r.Retention), r.Signer, strings.Join(r.Recipients, ","))
	}
	return nil
}

func (w *inventoryWriter) finish(totals []prefixTotal) error {
	switch {
	case w.f.asJSON:
		enc := json.NewEncoder(w.out)
		enc.SetIndent("", "  ")
		if w.rows == nil {
			w.rows = []backupRow{}
		}
		return enc.Encode(struct {
			Objects []backupRow   `json:"objects"`
			Totals  []prefixTotal `json:"totals"`
		}{w.rows, totals})
	case w.cw != nil:
		w.cw.Flush()
		return w.cw.Error()
	}
	fmt.Fprintln(w.tw, "\nPREFIX\tOBJECTS\tSIZE\tSTORED\t\t\t\t\t")
	for _, t := range totals {
		fmt.Fprintf(w.tw, "%s\t%d\t%d\t%d\t\t\t\t\t\n", orDash(t.Prefix), t.Objects, t.Size, t.Stored)
	}
	return w.tw.Flush()
}

// writeFileAtomic writes name through a temporary file and a rename.
// An existing non-regular destination (/dev/null, a FIFO) is written in
// place, and a symbolic link is followed (outputTarget).
func writeFileAtomic(name string, b []byte, perm os.FileMode) error {
	name, direct, err := outputTarget(name)
	if err != nil {
		return err
	}
	if direct {
		f, err := os.OpenFile(name, os.O_WRONLY, 0)
		if err != nil {
			return err
		}
		if _, err := f.Write(b); err != nil {
			f.Close()
			return err
		}
		return f.Close()
	}
	tmp, err := os.CreateTemp(filepath.Dir(name), "."+filepath.Base(name)+".tmp*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(perm); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), name)
}
