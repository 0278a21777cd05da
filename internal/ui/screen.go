package ui

import (
	"github.com/charmbracelet/bubbles/help"
	tea "github.com/charmbracelet/bubbletea"
)

// Screen is one step of the console. Every screen keeps the same small
// contract, so App can stack them, size them and show their help.
type Screen interface {
	// Init starts the screen's work (a tea.Cmd) when it is shown.
	Init() tea.Cmd
	// Update handles a message: keys, window sizes, the results of its own
	// commands. It returns the screen (screens are values or pointers, as
	// they like) and a command.
	Update(msg tea.Msg) (Screen, tea.Cmd)
	// View draws the screen in the size last given to SetSize.
	View() string
	// SetSize gives the screen the space below the title and above the
	// help bar.
	SetSize(width, height int)
	// Title names the screen in the header ("1 Ticket", ...).
	Title() string
	// KeyMap is the screen's own keys, shown in the help bar with App's.
	KeyMap() help.KeyMap
	// Typing says the screen has an input focused: q and ? are text then,
	// not quit and help.
	Typing() bool
}

// Escaper is a screen with something Esc clears before it goes back (a
// filter in force): App asks it first, and goes back only when Escape
// reports there was nothing to clear.
type Escaper interface {
	Escape() bool
}

// TextField is a Typing screen whose focus is a text field: ? is text
// there once something is typed, and opens the help while the field is
// empty (nobody searches for or names a thing "?"). A Typing screen
// without a field (one that only wants Esc) gets ? as help.
type TextField interface {
	// Field is the focused field's text; focused is false when no field
	// has the focus.
	Field() (text string, focused bool)
}

// Closer is a screen with work to stop when it is left: App calls Close
// as it takes the screen off the stack (Esc, Back), so that a job the
// screen started (a dry run against the project's database, a snapshot
// being read) does not run on for nobody. A screen covered by the next
// one is not left: Esc comes back to it.
type Closer interface {
	Close()
}

// pushMsg shows a screen on top of the current one.
type pushMsg struct{ screen Screen }

// popMsg goes back to the screen below.
type popMsg struct{}

// Push returns a command that shows s; Esc on s comes back.
func Push(s Screen) tea.Cmd { return func() tea.Msg { return pushMsg{s} } }

// Back returns a command that leaves the current screen.
func Back() tea.Cmd { return func() tea.Msg { return popMsg{} } }
