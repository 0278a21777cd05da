package ui

import (
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
	"github.com/muesli/termenv"
)

// With NO_COLOR the console draws no colour, even on a terminal that has
// it; without, it does.
func TestNoColor(t *testing.T) {
	s := tablesSession(t)
	lipgloss.SetColorProfile(termenv.TrueColor)
	defer lipgloss.SetColorProfile(termenv.Ascii)
	for _, noColor := range []bool{true, false} {
		s.Styles = NewStyles(noColor)
		for _, first := range []Screen{NewTicketScreen(s), NewTablesScreen(s), NewModeScreen(s)} {
			a := New(s, first)
			a.Update(tea.WindowSizeMsg{Width: 80, Height: 24})
			view := a.View()
			colour := strings.Contains(view, "\x1b[3") || strings.Contains(view, "\x1b[9")
			if colour == noColor {
				t.Errorf("%s, noColor %v: colour drawn %v:\n%q", first.Title(), noColor, colour, view)
			}
		}
	}
}

// The console follows the terminal's size as it changes: every screen of
// a stack is resized, and nothing is drawn past the new size.
func TestResizeLive(t *testing.T) {
	s := tablesSession(t)
	a := New(s, NewTicketScreen(s))
	a.Update(pushMsg{NewSnapshotsScreen(s)})
	a.Update(pushMsg{NewTablesScreen(s)})
	for _, size := range []struct{ w, h int }{{120, 40}, {80, 24}, {50, 12}, {100, 30}} {
		a.Update(tea.WindowSizeMsg{Width: size.w, Height: size.h})
		view := a.View()
		lines := strings.Split(view, "\n")
		if len(lines) > size.h {
			t.Errorf("%dx%d: %d lines", size.w, size.h, len(lines))
		}
		for i, l := range lines {
			if ansi.StringWidth(l) > size.w {
				t.Errorf("%dx%d: line %d is %d wide", size.w, size.h, i, ansi.StringWidth(l))
			}
		}
		if !strings.Contains(view, "public.orders") {
			t.Errorf("%dx%d: the tables are gone:\n%s", size.w, size.h, view)
		}
	}
	// Going back shows the screen below at the current size too.
	a.Update(popMsg{})
	for i, l := range strings.Split(a.View(), "\n") {
		if ansi.StringWidth(l) > 100 {
			t.Errorf("after going back: line %d is %d wide", i, ansi.StringWidth(l))
		}
	}
}

// TestTitleTrailKeepsTheTicket: deep in a ticket on a narrow terminal the
// trail is cut from the middle, so the first step, the current one and
// the ticket's project and id stay in view.
func TestTitleTrailKeepsTheTicket(t *testing.T) {
	s := &Session{Styles: NewStyles(true), Keys: NewKeyMap(), Ticket: Ticket{Project: "abcd1234efgh5678ijkl", ID: "SUP-12345"}}
	a := New(s, &resultStub{title: "1 Ticket"})
	for _, title := range []string{"2 Snapshots", "3 Tables", "4 Preview", "5 Mode", "6 Confirm"} {
		a.Update(pushMsg{&resultStub{title: title}})
	}
	for _, width := range []int{80, 60} {
		a.Update(tea.WindowSizeMsg{Width: width, Height: 24})
		first := strings.SplitN(a.View(), "\n", 2)[0]
		want := []string{"6 Confirm", "abcd1234efgh5678ijkl SUP-12345"}
		if width == 80 {
			want = append(want, "1 Ticket › … › ")
		}
		for _, want := range want {
			if !strings.Contains(first, want) {
				t.Errorf("at %d columns the title lacks %q: %q", width, want, first)
			}
		}
	}
}
