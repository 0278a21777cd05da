package ui

import (
	"strings"
	"unicode"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"

	"github.com/powabase/restorectl/internal/termsafe"
)

// App is the console: a stack of screens under a title line, above a
// help bar. The shared keys, as in k9s or lazygit: Esc closes the help,
// then clears what the screen has in force (Escaper: a filter), then goes
// back, and does nothing on the first screen; q quits and ? shows every
// key on any screen that is not taking text; ctrl+g (or F1) shows them
// everywhere; Ctrl-C always quits. A screen taking text gets Esc itself
// (to leave a filter, say) and returns Back() when it has no use for it.
type App struct {
	s             *Session
	stack         []Screen
	help          help.Model
	width, height int
}

// New returns the console starting at first.
func New(s *Session, first Screen) *App {
	h := help.New()
	h.Styles.ShortKey = s.Styles.Help
	h.Styles.ShortDesc = s.Styles.Help
	h.Styles.FullKey = s.Styles.Help
	h.Styles.FullDesc = s.Styles.Help
	h.Styles.ShortSeparator = s.Styles.Help
	h.Styles.FullSeparator = s.Styles.Help
	h.Styles.Ellipsis = s.Styles.Help
	return &App{s: s, stack: []Screen{first}, help: h, width: 80, height: 24}
}

func (a *App) top() Screen { return a.stack[len(a.stack)-1] }

// Init starts the first screen.
func (a *App) Init() tea.Cmd { return a.top().Init() }

// Update routes navigation and the shared keys, and passes everything
// else to the screen on top.
func (a *App) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		a.width, a.height = msg.Width, msg.Height
		a.help.Width = msg.Width
		for _, s := range a.stack {
			a.resize(s)
		}
		return a, nil
	case pushMsg:
		a.stack = append(a.stack, msg.screen)
		a.resize(msg.screen)
		return a, msg.screen.Init()
	case popMsg:
		return a, a.back()
	case tea.KeyMsg:
		if msg.Type == tea.KeyRunes && len(msg.Runes) > 1 && !msg.Alt && !a.takingText() {
			return a, a.burst(msg)
		}
		k := a.s.Keys
		typing := a.top().Typing()
		switch {
		case key.Matches(msg, k.ForceQuit):
			return a, tea.Quit
		case key.Matches(msg, k.HelpAnywhere), key.Matches(msg, k.Help) && !a.fieldHasText():
			a.toggleHelp()
			return a, nil
		case key.Matches(msg, k.Back) && a.help.ShowAll:
			a.toggleHelp()
			return a, nil
		case key.Matches(msg, k.Back) && !typing:
			if e, ok := a.top().(Escaper); ok && e.Escape() {
				return a, nil
			}
			return a, a.back()
		case !typing && key.Matches(msg, k.Quit):
			return a, tea.Quit
		}
	}
	next, cmd := a.top().Update(msg)
	a.stack[len(a.stack)-1] = next
	return a, cmd
}

// takingText says the top screen types what it gets into a text field.
func (a *App) takingText() bool {
	f, ok := a.top().(TextField)
	if !ok || !a.top().Typing() {
		return false
	}
	_, focused := f.Field()
	return focused
}

// fieldHasText says ? is text: the top screen is typing into a field
// that holds something already.
func (a *App) fieldHasText() bool {
	f, ok := a.top().(TextField)
	if !ok || !a.top().Typing() {
		return false
	}
	text, focused := f.Field()
	return focused && text != ""
}

func (a *App) toggleHelp() {
	a.help.ShowAll = !a.help.ShowAll
	a.resize(a.top())
}

// burst handles runes that arrived in one read (a held key, a paste, a
// slow SSH link: Bubble Tea makes them one message) as the keys they are,
// one at a time, until one of them starts text entry (/ opens a filter):
// the rest is then that text, whole. Control characters of a paste (its
// newlines) are not keys pressed, and are dropped.
func (a *App) burst(msg tea.KeyMsg) tea.Cmd {
	var cmds []tea.Cmd
	for i, r := range msg.Runes {
		if a.takingText() {
			rest := msg
			rest.Runes = msg.Runes[i:]
			_, cmd := a.Update(rest)
			return tea.Batch(append(cmds, cmd)...)
		}
		if unicode.IsControl(r) {
			continue
		}
		k := tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}}
		if r == ' ' {
			k.Type = tea.KeySpace
		}
		_, cmd := a.Update(k)
		cmds = append(cmds, cmd)
	}
	return tea.Batch(cmds...)
}

// back leaves the top screen, stopping its work (Closer). The first
// screen stays: q and Ctrl-C quit, Esc never does.
func (a *App) back() tea.Cmd {
	if len(a.stack) == 1 {
		return nil
	}
	if c, ok := a.top().(Closer); ok {
		c.Close()
	}
	a.stack = a.stack[:len(a.stack)-1]
	return nil
}

// resize gives s the height left by the title and the help bar.
func (a *App) resize(s Screen) {
	s.SetSize(a.width, max(a.height-2-lipglossHeight(a.help.View(a.keys())), 1))
}

// View draws the title, the screen and the help bar, no line wider than
// the terminal. The screens escape the names, values and errors they draw
// (termsafe); whatever one forgets is escaped here, so that nothing but
// the styles' own colour sequences reaches the terminal.
func (a *App) View() string {
	var titles []string
	for _, s := range a.stack {
		titles = append(titles, s.Title())
	}
	var ticket string
	if t := a.s.Ticket; t.Project != "" {
		ticket = "   " + termsafe.String(t.Project) + " " + termsafe.String(t.ID)
	}
	// Deep in a ticket the trail is cut from the middle: where you are and
	// which ticket it is matter more than the steps on the way.
	trail := strings.Join(titles, " › ")
	for cut := 1; len(titles)-cut > 1 && ansi.StringWidth("restorectl  "+trail+ticket) > a.width; cut++ {
		trail = titles[0] + " › … › " + strings.Join(titles[cut+1:], " › ")
	}
	if len(titles) > 1 && ansi.StringWidth("restorectl  "+trail+ticket) > a.width {
		trail = "… › " + titles[len(titles)-1]
	}
	title := a.s.Styles.Title.Render("restorectl") + "  " + trail + a.s.Styles.Subtle.Render(ticket)
	body := a.top().View()
	out := termsafe.Styled(title + "\n" + body + "\n" + a.help.View(a.keys()))
	lines := strings.Split(out, "\n")
	for i, l := range lines {
		lines[i] = ansi.Truncate(l, a.width, "…")
	}
	return strings.Join(lines, "\n")
}

// keys is the help bar's content: the screen's keys, then the shared ones.
func (a *App) keys() help.KeyMap {
	return appKeys{screen: a.top().KeyMap(), k: a.s.Keys, typing: a.top().Typing(), text: a.takingText(), first: len(a.stack) == 1}
}

// appKeys shows q and ? only where they are keys, not text, and Esc only
// where it goes back.
type appKeys struct {
	screen help.KeyMap
	k      KeyMap
	typing bool // q is not quit
	text   bool // ? is text (ctrl+g is help)
	first  bool
}

func (a appKeys) ShortHelp() []key.Binding {
	own := a.screen.ShortHelp()
	var shared []key.Binding
	if !hasKey(own, "esc") && !a.first {
		shared = append(shared, a.k.Back) // unless the screen says what Esc does
	}
	if a.text {
		shared = append(shared, a.k.HelpAnywhere)
	} else {
		shared = append(shared, a.k.Help)
	}
	if a.typing {
		shared = append(shared, a.k.ForceQuit)
	} else {
		shared = append(shared, a.k.Quit)
	}
	return append(own, shared...)
}

func hasKey(bs []key.Binding, k string) bool {
	for _, b := range bs {
		for _, bk := range b.Keys() {
			if bk == k {
				return true
			}
		}
	}
	return false
}

func (a appKeys) FullHelp() [][]key.Binding {
	anywhere := a.k.HelpAnywhere
	anywhere.SetHelp("ctrl+g/f1", "more keys, also while typing")
	var shared []key.Binding
	if !a.first {
		shared = append(shared, a.k.Back)
	}
	if !a.text {
		shared = append(shared, a.k.Help)
	}
	shared = append(shared, anywhere)
	if !a.typing {
		shared = append(shared, a.k.Quit)
	}
	return append(a.screen.FullHelp(), append(shared, a.k.ForceQuit))
}

func lipglossHeight(s string) int { return strings.Count(s, "\n") + 1 }

// fitLines fits a screen's lines to its size: each cut to the width, the
// whole cut or padded to the height, so that the help bar stays at the
// bottom.
func fitLines(lines []string, width, height int) string {
	if len(lines) > height {
		lines = lines[:height]
	}
	for len(lines) < height {
		lines = append(lines, "")
	}
	for i, l := range lines {
		lines[i] = ansi.Truncate(l, width, "…")
	}
	return strings.Join(lines, "\n")
}
