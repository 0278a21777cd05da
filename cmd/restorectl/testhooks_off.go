//go:build !restorectl_testhooks

package main

import (
	"context"

	"github.com/powabase/restorectl/internal/apply"
)

// testHooksBuilt says this binary has no test hooks (see testhooks_on.go,
// compiled only with -tags restorectl_testhooks).
const testHooksBuilt = false

// testHooks returns p as it is: a binary built without the
// restorectl_testhooks tag, as shipped, honours no RESTORECTL_TEST_*
// variable.
func testHooks(_ context.Context, p apply.Progress, _ env) apply.Progress { return p }
