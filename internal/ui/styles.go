package ui

import "github.com/charmbracelet/lipgloss"

// Styles are every style the console draws with, built in one place.
type Styles struct {
	Title, Subtle, Selected, Error, Warning, OK, Header, Help lipgloss.Style
}

// NewStyles builds the styles; with noColor (NO_COLOR set, or a test)
// they use no colour, only bold and reverse where emphasis is needed.
func NewStyles(noColor bool) Styles {
	if noColor {
		plain := lipgloss.NewStyle()
		return Styles{
			Title: plain.Bold(true), Subtle: plain, Selected: plain.Reverse(true), Error: plain.Bold(true),
			Warning: plain, OK: plain, Header: plain.Bold(true), Help: plain,
		}
	}
	return Styles{
		Title:    lipgloss.NewStyle().Bold(true).Foreground(lipgloss.Color("12")),
		Subtle:   lipgloss.NewStyle().Foreground(lipgloss.Color("8")),
		Selected: lipgloss.NewStyle().Bold(true).Foreground(lipgloss.Color("0")).Background(lipgloss.Color("12")),
		Error:    lipgloss.NewStyle().Bold(true).Foreground(lipgloss.Color("9")),
		Warning:  lipgloss.NewStyle().Foreground(lipgloss.Color("11")),
		OK:       lipgloss.NewStyle().Foreground(lipgloss.Color("10")),
		Header:   lipgloss.NewStyle().Bold(true),
		Help:     lipgloss.NewStyle().Foreground(lipgloss.Color("8")),
	}
}
