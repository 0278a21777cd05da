package ui

import (
	"testing"

	"github.com/powabase/restorectl/internal/testenv"
)

// TestMain stops the servers testenv started (the progress screen's real
// restores) after the tests.
func TestMain(m *testing.M) { testenv.Main(m) }
