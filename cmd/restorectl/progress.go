package main

import (
	"fmt"
	"io"
	"os"
	"sync"

	"github.com/powabase/restorectl/internal/backupjob"
	"github.com/powabase/restorectl/internal/catalog"
)

// progressPrinter is the plain CLI's view of backupjob progress: one line
// per event, for an operator watching a manual run. The CronJob's record is
// the JSON log, so it is off unless stderr is a terminal or --progress asks.
type progressPrinter struct {
	mu sync.Mutex // events come from several backups at once
	w  io.Writer
}

func (p *progressPrinter) Event(ev backupjob.Event) {
	p.mu.Lock()
	defer p.mu.Unlock()
	state := ev.Stage
	switch {
	case ev.Done && ev.Stage == backupjob.StageCancelled:
		state = "cancelled"
	case ev.Done && ev.Err != nil:
		state = "FAILED at " + ev.Stage
	case ev.Done:
		state = "done"
	}
	fmt.Fprintf(p.w, "%-20s %-18s %10s read, %10s stored\n", ev.Project, state, catalog.FormatSize(ev.RawBytes), catalog.FormatSize(ev.CompressedBytes))
}

// isTerminal reports whether w is a character device (a terminal).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
