package apply

import (
	"context"
	"fmt"
	"io"
	"net"
	"strconv"

	"github.com/jackc/pgx/v5"

	"github.com/powabase/restorectl/internal/extract"
)

// ScanSource is a Source read by scanning: every walk opens the snapshot
// afresh with open (a gzipped or plain dump) and reads it from the start.
// toc is its table of contents.
func ScanSource(name string, toc *extract.TOC, open func(ctx context.Context) (io.ReadCloser, error)) *Source {
	return &Source{Name: name, TOC: toc, Walk: func(ctx context.Context, include func(int) bool, fn extract.Visit) error {
		rc, err := open(ctx)
		if err != nil {
			return fmt.Errorf("open snapshot %s: %w", name, err)
		}
		defer rc.Close()
		r, err := extract.NewDumpReader(rc)
		if err != nil {
			return fmt.Errorf("read snapshot %s: %w", name, err)
		}
		return extract.Walk(ctx, r, toc, include, fn)
	}}
}

// RangedSource is a Source read with ranged reads of an indexed, seekable
// snapshot: walks fetch only the members they need and may run at once.
func RangedSource(name string, rg *extract.Ranged) *Source {
	toc := rg.Index.TOC()
	return &Source{Name: name, TOC: toc, Concurrent: true, Walk: func(ctx context.Context, include func(int) bool, fn extract.Visit) error {
		return rg.Walk(ctx, toc, include, fn)
	}}
}

// Redact describes a connection string without its password, as
// user@host:port/database, for output, logs and records. One that does not
// parse is described as such, never echoed.
func Redact(conn string) string {
	cfg, err := pgx.ParseConfig(conn)
	if err != nil {
		return "(unparseable connection string)"
	}
	return fmt.Sprintf("%s@%s/%s", cfg.User, net.JoinHostPort(cfg.Host, strconv.Itoa(int(cfg.Port))), cfg.Database)
}
