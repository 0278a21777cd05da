package ui

import (
	"strings"

	"github.com/charmbracelet/bubbles/cursor"
	"github.com/charmbracelet/bubbles/textinput"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
)

// newInput is a one-line text input in the console's styles: the given
// prompt, placeholder (a hint shown while it is empty) and limit in
// runes, and a steady cursor (it does not blink, so a frame is the same
// whenever it is drawn). It starts blurred.
func newInput(st Styles, prompt, placeholder string, limit int) textinput.Model {
	ti := textinput.New()
	ti.Prompt = prompt
	ti.Placeholder = placeholder
	ti.CharLimit = limit
	ti.PlaceholderStyle = st.Subtle
	// The cursor draws reversed: swapping Selected's colours back makes
	// it look like Selected (plain reverse without colour).
	ti.Cursor.Style = lipgloss.NewStyle().
		Foreground(st.Selected.GetBackground()).
		Background(st.Selected.GetForeground())
	ti.Cursor.SetMode(cursor.CursorStatic)
	ti.Blur()
	return ti
}

// inputView draws ti in at most width columns, without the spaces
// textinput pads it with up to its Width (ti.Width still decides how the
// text scrolls), nor the blank a blurred input draws for its cursor after
// the text.
func inputView(ti textinput.Model, width int) string {
	ti.Width = 0
	v := ti.View()
	if !ti.Focused() && ti.Value() != "" && ti.Position() == len([]rune(ti.Value())) {
		v = strings.TrimSuffix(v, " ")
	}
	return ansi.Truncate(v, max(width, 1), "…")
}

// inputResize sets the columns ti scrolls its text in, keeping the
// cursor in view.
func inputResize(ti *textinput.Model, width int) {
	ti.Width = max(width, 1)
	ti.SetCursor(ti.Position())
}
