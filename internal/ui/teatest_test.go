package ui

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/teatest"
	"github.com/muesli/termenv"
)

// The golden files hold no escape codes: every test draws without colour
// unless it asks for colour itself.
func init() { lipgloss.SetColorProfile(termenv.Ascii) }

// goldenSizes are the terminal sizes every screen has golden files at.
var goldenSizes = []struct{ w, h int }{{80, 24}, {120, 40}}

// goldenTimeout bounds the waits of a golden test: loading the sample
// store takes milliseconds, so reaching it is a failure.
const goldenTimeout = 10 * time.Second

// goldenRun runs the console at first in a teatest program of w×h (the
// ticket screen below it, as in the console: Esc goes back from it),
// gives it drive (keys to send, text to type), waits, when wait is not
// empty, for the screen to draw wait, quits and compares the final frame
// with testdata/<test name>.golden (go test -update rewrites it). The
// frame must fit in w×h.
func goldenRun(t *testing.T, s *Session, first Screen, w, h int, wait string, drive func(tm *teatest.TestModel)) {
	t.Helper()
	a := New(s, first)
	if _, ok := first.(*ticketScreen); !ok {
		a = New(s, NewTicketScreen(s))
		a.stack = append(a.stack, first)
	}
	tm := teatest.NewTestModel(t, a, teatest.WithInitialTermSize(w, h))
	if drive != nil {
		drive(tm)
	}
	if wait != "" {
		teatest.WaitFor(t, tm.Output(), func(b []byte) bool { return bytes.Contains(b, []byte(wait)) },
			teatest.WithDuration(goldenTimeout), teatest.WithCheckInterval(10*time.Millisecond))
	}
	if err := tm.Quit(); err != nil {
		t.Fatal(err)
	}
	view := tm.FinalModel(t, teatest.WithFinalTimeout(goldenTimeout)).View()
	for i, l := range strings.Split(view, "\n") {
		if lw := ansi.StringWidth(l); lw > w {
			t.Errorf("line %d is %d wide, more than %d: %q", i+1, lw, w, l)
		}
	}
	if n := strings.Count(view, "\n") + 1; n > h {
		t.Errorf("%d lines, more than %d", n, h)
	}
	teatest.RequireEqualOutput(t, []byte(view))
}

// goldenSize names a golden size as its subtest does: "80x24".
func goldenSize(w, h int) string { return fmt.Sprintf("%dx%d", w, h) }

// goldenKeys returns a drive that sends msgs in order.
func goldenKeys(msgs ...tea.Msg) func(tm *teatest.TestModel) {
	return func(tm *teatest.TestModel) {
		for _, m := range msgs {
			tm.Send(m)
		}
	}
}
