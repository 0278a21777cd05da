package catalog

import (
	"errors"
	"fmt"
	"testing"

	"github.com/aws/smithy-go"
)

func TestIsAccessDenied(t *testing.T) {
	tests := []struct {
		err  error
		want bool
	}{
		{&smithy.GenericAPIError{Code: "AccessDenied", Message: "no ListBucketVersions"}, true},
		{fmt.Errorf("list versions: %w", &smithy.GenericAPIError{Code: "AccessDenied"}), true},
		{&smithy.GenericAPIError{Code: "NoSuchBucket"}, false},
		{errors.New("connection refused"), false},
	}
	for _, tt := range tests {
		if got := isAccessDenied(tt.err); got != tt.want {
			t.Errorf("isAccessDenied(%v) = %v, want %v", tt.err, got, tt.want)
		}
	}
}
