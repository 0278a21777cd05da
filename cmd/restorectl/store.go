package main

import (
	"context"
	"flag"
	"strings"

	"github.com/powabase/restorectl/internal/catalog"
)

// storeFlag registers --store (default from RESTORECTL_STORE).
func storeFlag(fs *flag.FlagSet) *string {
	return fs.String("store", "", "snapshot store: s3://bucket/prefix, file:///dir or a directory (env RESTORECTL_STORE)")
}

// openStore opens the configured store, which must exist and be readable
// (catalog.Open checks, and its *catalog.StoreError says what is wrong).
// A custom S3 endpoint (MinIO, Ceph, R2, ...) comes from the AWS SDK's own
// variables, AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL, and switches to
// path-style addressing.
func openStore(ctx context.Context, flagValue string, e env) (catalog.Store, error) {
	return openStoreWith(ctx, flagValue, e, s3Options(e))
}

// createStore is openStore for the backup job, which may create a local
// store's directory (catalog.Options.CreateDir).
func createStore(ctx context.Context, flagValue string, e env) (catalog.Store, error) {
	opts := s3Options(e)
	opts.CreateDir = true
	return openStoreWith(ctx, flagValue, e, opts)
}

func openStoreWith(ctx context.Context, flagValue string, e env, opts catalog.Options) (catalog.Store, error) {
	raw := stringFlag(flagValue, "RESTORECTL_STORE", e)
	if raw == "" {
		return nil, usagef("no snapshot store: pass --store s3://bucket/prefix or --store /path/to/dir, or set RESTORECTL_STORE")
	}
	return catalog.Open(ctx, raw, opts)
}

// s3Options carries the custom S3 endpoint, if any, to the catalog.
func s3Options(e env) catalog.Options {
	endpoint := e.getenv("AWS_ENDPOINT_URL_S3")
	if endpoint == "" {
		endpoint = e.getenv("AWS_ENDPOINT_URL")
	}
	return catalog.Options{S3Endpoint: strings.TrimSpace(endpoint)}
}
