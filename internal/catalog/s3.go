package catalog

import "context"

// NewS3 opens the bucket's prefix as a Store. (Being implemented.)
func NewS3(ctx context.Context, bucket, prefix string, opts Options) (Store, error) {
	panic("TODO")
}
