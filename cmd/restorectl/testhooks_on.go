//go:build restorectl_testhooks

package main

import (
	"context"
	"fmt"
	"io"
	"sync"

	"github.com/powabase/restorectl/internal/apply"
)

// testHooksBuilt says this binary has the test hooks: it was built with
// -tags restorectl_testhooks, as only the tests build it.
const testHooksBuilt = true

// testHooks wraps a restore's progress with the hooks the end-to-end tests
// ask for in the environment:
//
//	RESTORECTL_TEST_STALL_AT=PHASE  park the restore at PHASE (see stallProgress)
//
// This file is compiled only with the restorectl_testhooks build tag; the
// shipped binary has testhooks_off.go instead, which reads no variable.
func testHooks(ctx context.Context, p apply.Progress, e env) apply.Progress {
	if phase := e.getenv("RESTORECTL_TEST_STALL_AT"); phase != "" {
		return &stallProgress{next: p, phase: phase, w: e.stderr, ctx: ctx}
	}
	return p
}

// stallProgress holds the restore at the first event of one phase until
// the process is stopped: the end-to-end tests kill the binary there
// (RESTORECTL_TEST_STALL_AT=copy|index|commit|...), to prove that a
// restore killed at that point leaves the target as it was.
type stallProgress struct {
	next  apply.Progress
	phase string
	w     io.Writer
	ctx   context.Context
	once  sync.Once
}

func (p *stallProgress) Event(ev apply.Event) {
	if p.next != nil {
		p.next.Event(ev)
	}
	// "copy" means in the middle of a COPY, with rows sent.
	if ev.Phase != p.phase || (ev.Phase == apply.PhaseCopy && ev.Bytes == 0) {
		return
	}
	p.once.Do(func() {
		fmt.Fprintf(p.w, "restore: stalled at %s (RESTORECTL_TEST_STALL_AT)\n", ev.Phase)
		<-p.ctx.Done()
	})
}
