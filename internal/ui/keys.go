package ui

import "github.com/charmbracelet/bubbles/key"

// KeyMap holds the keys every screen shares. Screens add their own.
type KeyMap struct {
	Quit, ForceQuit, Back, Help key.Binding
	// HelpAnywhere opens the help on every screen, typing or not: keys
	// that never type. F1 is the convention, but some terminals keep it
	// for themselves (GNOME Terminal, VS Code); ctrl+g is nano's help key
	// and reaches the program everywhere.
	HelpAnywhere    key.Binding
	Up, Down, Enter key.Binding
}

// NewKeyMap returns the console's shared keys.
func NewKeyMap() KeyMap {
	return KeyMap{
		Quit:         key.NewBinding(key.WithKeys("q"), key.WithHelp("q", "quit")),
		ForceQuit:    key.NewBinding(key.WithKeys("ctrl+c"), key.WithHelp("ctrl+c", "quit")),
		Back:         key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "back")),
		Help:         key.NewBinding(key.WithKeys("?"), key.WithHelp("?", "more keys")),
		HelpAnywhere: key.NewBinding(key.WithKeys("ctrl+g", "f1"), key.WithHelp("ctrl+g", "more keys")),
		Up:           key.NewBinding(key.WithKeys("up", "k"), key.WithHelp("↑/k", "up")),
		Down:         key.NewBinding(key.WithKeys("down", "j"), key.WithHelp("↓/j", "down")),
		Enter:        key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "next")),
	}
}
