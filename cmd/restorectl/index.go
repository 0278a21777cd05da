package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/powabase/restorectl/internal/catalog"
	"github.com/powabase/restorectl/internal/extract"
	"github.com/powabase/restorectl/internal/termsafe"
)

// runIndex builds the sidecar index of an existing snapshot in one scan and
// stores it beside the snapshot ("<key>.index.json"; next to a local file).
func runIndex(ctx context.Context, args []string, e env) error {
	fs := newFlagSet("index", "SNAPSHOT [--store URL]", e)
	snapFlags := addSnapshotFlags(fs)
	specs, err := parseArgs(fs, args, 1)
	if err != nil {
		return err
	}
	snap, err := snapFlags.resolve(ctx, specs[0], e)
	if err != nil {
		return err
	}
	if snap.VersionID != "" {
		return fmt.Errorf("index %s: an index describes the current version of a key only: index the current snapshot, or restore from this version without an index", snap.Name)
	}
	obj, err := snap.Store.Stat(ctx, snap.Key)
	if err != nil {
		return fmt.Errorf("index %s: %w", snap.Name, err)
	}
	rc, err := snap.Store.Open(ctx, snap.Key)
	if err != nil {
		return fmt.Errorf("index %s: %w", snap.Name, err)
	}
	defer rc.Close()
	ix, err := extract.IndexSnapshotStream(ctx, rc, obj.Size, obj.ETag)
	if err != nil {
		return fmt.Errorf("index %s: %w", snap.Name, err)
	}
	ix.Snapshot.Key = snap.Key
	if err := extract.StoreIndex(ctx, snap.Store, snap.Key, ix); err != nil {
		return fmt.Errorf("index %s: %w", snap.Name, err)
	}
	seek := "seekable"
	if !ix.Seekable() {
		seek = "one gzip member: not seekable, but tables reads it without a scan"
	}
	fmt.Fprintf(e.stdout, "indexed %s: %s, %s, %s (%s); wrote %s\n",
		termsafe.String(snap.Name), catalog.Plural(len(ix.Entries), "entry", "entries"), catalog.Plural(len(ix.Tables), "table", "tables"),
		catalog.Plural(len(ix.Members), "gzip member", "gzip members"), seek, termsafe.String(extract.IndexKey(snap.Key)))
	return nil
}

// stderrKey carries the command's stderr to helpers such as readTOC that
// print notes but take no env.
type stderrKey struct{}

func withStderr(ctx context.Context, w io.Writer) context.Context {
	return context.WithValue(ctx, stderrKey{}, w)
}

func stderrOf(ctx context.Context) io.Writer {
	if w, ok := ctx.Value(stderrKey{}).(io.Writer); ok {
		return w
	}
	return os.Stderr
}
