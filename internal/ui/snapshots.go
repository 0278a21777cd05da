package ui

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/spinner"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"

	"github.com/powabase/restorectl/internal/catalog"
	"github.com/powabase/restorectl/internal/extract"
	"github.com/powabase/restorectl/internal/termsafe"
)

// nextAfterSnapshots makes the screen shown once a snapshot's table of
// contents is read: the tables screen (tests replace it; when it returns
// nil the snapshots screen stays, saying what it read).
var nextAfterSnapshots = NewTablesScreen

// snapshotsKeys are the snapshots screen's keys.
type snapshotsKeys struct {
	Up, Down, Open, Retry key.Binding
	// move stands for Up and Down in the short help.
	move key.Binding
}

func newSnapshotsKeys(k KeyMap) snapshotsKeys {
	return snapshotsKeys{
		Up:    k.Up,
		Down:  k.Down,
		Open:  key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "read its tables")),
		Retry: key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "reload")),
		move:  key.NewBinding(key.WithKeys("up", "down"), key.WithHelp("↑/↓", "choose")),
	}
}

func (k snapshotsKeys) ShortHelp() []key.Binding { return []key.Binding{k.Open, k.move, k.Retry} }

func (k snapshotsKeys) FullHelp() [][]key.Binding {
	return [][]key.Binding{{k.Open, k.Up, k.Down, k.Retry}}
}

// snapshotsListedMsg is the result of listing the project's snapshots.
type snapshotsListedMsg struct {
	from  *snapshotsScreen
	job   int
	snaps []catalog.Ranked
	err   error
}

// snapshotOpenProgressMsg says how far reading a snapshot has got; next
// waits for the next message of the same job.
type snapshotOpenProgressMsg struct {
	from        *snapshotsScreen
	job         int
	read, total int64
	next        tea.Cmd
}

// snapshotOpenedMsg is the result of reading a snapshot's table of contents.
type snapshotOpenedMsg struct {
	from *snapshotsScreen
	job  int
	toc  *extract.TOC
	err  error
}

// snapshotsScreen is screen 2: the project's snapshots, nearest to the
// ticket's time first, the one to restore from pre-selected.
type snapshotsScreen struct {
	s       *Session
	keys    snapshotsKeys
	spinner spinner.Model
	ticking bool // a spinner tick is on its way

	// job tags the latest command; results of any other are dropped.
	job    int
	cancel context.CancelFunc

	listing bool
	listErr error
	list    []catalog.Ranked
	// noneBefore: every snapshot is after the ticket's time.
	noneBefore     bool
	cursor, offset int

	opening     bool
	openErr     error
	read, total int64
	opened      string // what was read, when there is no next screen yet

	width, height int
}

// NewSnapshotsScreen returns the snapshots screen of s.Ticket's project
// near s.Ticket.At. Enter sets s.Snapshot and, once read, s.TOC.
func NewSnapshotsScreen(s *Session) Screen {
	return &snapshotsScreen{
		s:       s,
		keys:    newSnapshotsKeys(s.Keys),
		spinner: spinner.New(spinner.WithSpinner(spinner.Dot), spinner.WithStyle(s.Styles.Subtle)),
		cancel:  func() {},
		width:   80,
		height:  20,
	}
}

func (m *snapshotsScreen) Init() tea.Cmd { return m.load() }

func (m *snapshotsScreen) Title() string { return "2 Snapshots" }

func (m *snapshotsScreen) KeyMap() help.KeyMap { return m.keys }

func (m *snapshotsScreen) Typing() bool { return false }

func (m *snapshotsScreen) SetSize(width, height int) { m.width, m.height = width, height }

// Close cancels the listing or reading under way: App calls it when the
// screen is left (its result, if one still comes, is dropped).
func (m *snapshotsScreen) Close() { m.cancel() }

// newJob cancels the running job and returns the next one's id and context.
func (m *snapshotsScreen) newJob() (int, context.Context) {
	m.cancel()
	m.job++
	ctx, cancel := context.WithCancel(context.Background())
	m.cancel = cancel
	return m.job, ctx
}

// spin keeps the spinner turning while the screen is busy.
func (m *snapshotsScreen) spin() tea.Cmd {
	if m.ticking {
		return nil
	}
	m.ticking = true
	return m.spinner.Tick
}

// load lists the snapshots again.
func (m *snapshotsScreen) load() tea.Cmd {
	job, ctx := m.newJob()
	m.listing, m.listErr, m.openErr, m.opening, m.opened = true, nil, nil, false, ""
	b, t := m.s.Backend, m.s.Ticket
	list := func() tea.Msg {
		snaps, err := b.Snapshots(ctx, t.Project, t.At)
		return snapshotsListedMsg{from: m, job: job, snaps: snaps, err: err}
	}
	return tea.Batch(list, m.spin())
}

// open reads the table of contents of the snapshot under the cursor.
func (m *snapshotsScreen) open() tea.Cmd {
	snap := m.list[m.cursor]
	if m.s.Snapshot.Key != snap.Key || m.s.Snapshot.VersionID != snap.VersionID {
		m.s.Tables = nil // chosen in another snapshot
	}
	m.s.Snapshot, m.s.TOC = snap, nil
	job, ctx := m.newJob()
	m.opening, m.openErr, m.opened, m.read, m.total = true, nil, "", 0, snap.Size
	b := m.s.Backend

	progress := make(chan snapshotOpenProgressMsg, 1)
	done := make(chan snapshotOpenedMsg, 1)
	var wait tea.Cmd
	wait = func() tea.Msg {
		select {
		case d := <-done:
			return d
		case p := <-progress:
			p.next = wait
			return p
		}
	}
	start := func() tea.Msg {
		go func() {
			toc, err := b.Open(ctx, snap.Snapshot, func(read, total int64) {
				// Keep only the latest report: the screen reads them
				// as fast as it draws, not as fast as the reader reads.
				select {
				case <-progress:
				default:
				}
				select {
				case progress <- snapshotOpenProgressMsg{from: m, job: job, read: read, total: total}:
				default:
				}
			})
			done <- snapshotOpenedMsg{from: m, job: job, toc: toc, err: err}
		}()
		return wait()
	}
	return tea.Batch(start, m.spin())
}

func (m *snapshotsScreen) Update(msg tea.Msg) (Screen, tea.Cmd) {
	switch msg := msg.(type) {
	case spinner.TickMsg:
		if msg.ID != m.spinner.ID() {
			return m, nil
		}
		if !m.listing && !m.opening {
			m.ticking = false
			return m, nil
		}
		var cmd tea.Cmd
		m.spinner, cmd = m.spinner.Update(msg)
		return m, cmd

	case snapshotsListedMsg:
		if msg.from != m || msg.job != m.job || !m.listing {
			return m, nil
		}
		m.listing = false
		m.listErr = msg.err
		m.list = msg.snaps
		m.preselect()
		return m, nil

	case snapshotOpenProgressMsg:
		if msg.from != m || msg.job != m.job || !m.opening {
			return m, nil
		}
		m.read, m.total = msg.read, msg.total
		return m, msg.next

	case snapshotOpenedMsg:
		if msg.from != m || msg.job != m.job || !m.opening {
			return m, nil
		}
		m.opening = false
		if msg.err != nil {
			m.openErr = msg.err
			return m, nil
		}
		m.s.TOC = msg.toc
		if next := nextAfterSnapshots(m.s); next != nil {
			return m, Push(next)
		}
		m.opened = fmt.Sprintf("Read %s: %d tables, %s of SQL.", m.s.Snapshot.Key, len(msg.toc.Tables), catalog.FormatSize(msg.toc.Size))
		return m, nil

	case tea.KeyMsg:
		return m, m.key(msg)
	}
	return m, nil
}

func (m *snapshotsScreen) key(msg tea.KeyMsg) tea.Cmd {
	if m.opening {
		return nil // the choice is made; Esc leaves
	}
	switch {
	case key.Matches(msg, m.keys.Retry):
		if m.openErr != nil {
			return m.open()
		}
		return m.load()
	case m.listing || len(m.list) == 0:
		return nil
	case key.Matches(msg, m.keys.Up):
		m.move(-1)
	case key.Matches(msg, m.keys.Down):
		m.move(1)
	case key.Matches(msg, m.keys.Open):
		return m.open()
	}
	return nil
}

func (m *snapshotsScreen) move(d int) {
	c := min(max(m.cursor+d, 0), len(m.list)-1)
	if c != m.cursor {
		m.cursor = c
		m.openErr, m.opened = nil, ""
	}
}

// preselect puts the cursor on the newest snapshot at or before the
// ticket's time: the one that holds the data as it was then.
func (m *snapshotsScreen) preselect() {
	m.cursor, m.offset, m.noneBefore = 0, 0, false
	if len(m.list) == 0 {
		return
	}
	snaps := make([]catalog.Snapshot, len(m.list))
	for i, r := range m.list {
		snaps[i] = r.Snapshot
	}
	best, ok := catalog.NewestAtOrBefore(snaps, m.s.Ticket.At)
	if !ok {
		m.noneBefore = true
		return
	}
	for i, r := range m.list {
		if r.Key == best.Key && r.VersionID == best.VersionID && r.Noncurrent == best.Noncurrent {
			m.cursor = i
			return
		}
	}
}

func (m *snapshotsScreen) View() string {
	st := m.s.Styles
	t := m.s.Ticket
	near := t.At.UTC().Format("2006-01-02 15:04 MST")
	if t.AtText != "" && t.AtText != near {
		near += " (" + t.AtText + ")"
	}
	wrap := max(m.width-4, 20)
	var lines []string
	add := func(style lipgloss.Style, text string) {
		for _, l := range ticketWrap(text, wrap) {
			lines = append(lines, "  "+style.Render(l))
		}
	}
	lines = append(lines, "")

	switch {
	case m.listing:
		add(st.Subtle, m.spinner.View()+" listing the snapshots of "+t.Project+"…")
		return fitLines(lines, m.width, m.height)

	case m.listErr != nil:
		add(st.Error, "✗ Could not list the snapshots of "+termsafe.String(t.Project)+": "+termsafe.String(m.listErr.Error()))
		lines = append(lines, "")
		add(st.Subtle, "Check that the store is reachable and readable (network, credentials, the store's URL), then press r to try again; esc goes back to the ticket.")
		return fitLines(lines, m.width, m.height)

	case len(m.list) == 0:
		add(st.Warning, "No snapshots of project "+t.Project+" in this store.")
		lines = append(lines, "")
		add(st.Subtle, "Check the project ref (esc goes back to the ticket) and that this is the store its backups go to: the backup job writes "+catalog.ProjectPrefix(t.Project)+"<timestamp>.sql.gz. Press r to look again.")
		return fitLines(lines, m.width, m.height)
	}

	add(st.Subtle, fmt.Sprintf("%d snapshots of %s, nearest to %s first", len(m.list), t.Project, near))
	lines = append(lines, "")

	showKey := m.width >= snapRowWidth+2+snapKeyWidth(m.list)
	cols := []string{"WHEN", "DISTANCE", "AGE", "TIME (UTC)", "SIZE", "INDEXED"}
	if showKey {
		cols = append(cols, "KEY")
	}
	header := snapRow("  ", cols...)
	lines = append(lines, st.Header.Render(header))

	// The footer: what the selected snapshot is, and what is going on.
	var foot []string
	addFoot := func(style lipgloss.Style, text string) {
		for _, l := range ticketWrap(text, wrap) {
			foot = append(foot, "  "+style.Render(l))
		}
	}
	foot = append(foot, "")
	sel := m.list[m.cursor]
	switch {
	case m.noneBefore:
		addFoot(st.Warning, "Every snapshot was taken after "+near+": none holds the data as it was then. The nearest is selected.")
	case sel.Position == catalog.After:
		addFoot(st.Warning, "Taken after "+near+": it may not hold the data as it was then.")
	default:
		addFoot(st.Subtle, "The newest snapshot at or before the time holds the data as it was then.")
	}
	switch {
	case m.opening:
		text := m.spinner.View() + " reading the table of contents of " + termsafe.String(m.s.Snapshot.Key) + "…"
		if m.total > 0 {
			text += fmt.Sprintf(" %d%% (%s of %s)", min(100, m.read*100/m.total), catalog.FormatSize(m.read), catalog.FormatSize(m.total))
		}
		addFoot(st.Subtle, text)
	case m.openErr != nil:
		addFoot(st.Error, "✗ "+termsafe.String(m.openErr.Error()))
		addFoot(st.Subtle, "The snapshot may be damaged or incomplete: choose another (↑/↓, enter) or press r to try this one again.")
	case m.opened != "":
		addFoot(st.OK, "✓ "+m.opened)
	}

	rows := max(m.height-len(lines)-len(foot), 1)
	if m.cursor < m.offset {
		m.offset = m.cursor
	}
	if m.cursor >= m.offset+rows {
		m.offset = m.cursor - rows + 1
	}
	for i := m.offset; i < len(m.list) && i < m.offset+rows; i++ {
		r := m.list[i]
		mark := "  "
		if i == m.cursor {
			mark = "> "
		}
		cells := []string{string(r.Position), snapDistance(r), snapAge(ticketNow(m.s).Sub(r.Time)),
			r.Time.UTC().Format("2006-01-02 15:04"), catalog.FormatSize(r.Size), snapYesNo(r.Indexed)}
		if showKey {
			k := termsafe.String(r.Key)
			if r.Noncurrent {
				k += " (older version)"
			}
			cells = append(cells, k)
		}
		row := snapRow(mark, cells...)
		switch {
		case i == m.cursor:
			row = st.Selected.Render(row)
		case r.Position == catalog.After:
			row = st.Subtle.Render(row)
		}
		lines = append(lines, row)
	}
	return fitLines(append(lines, foot...), m.width, m.height)
}

// snapColumns are the widths of a snapshot's columns but its key.
var snapColumns = [...]int{6, 14, 11, 16, 9, 7}

// snapRowWidth is the width of a row without its key.
const snapRowWidth = 2 + 6 + 14 + 11 + 16 + 9 + 7 + 2*6

// snapRow lays out a row: the cursor's mark, then the cells in their
// columns (a cell past the last column is not padded).
func snapRow(mark string, cells ...string) string {
	var b strings.Builder
	b.WriteString(mark)
	for i, c := range cells {
		b.WriteString(" ")
		b.WriteString(c)
		if i < len(snapColumns) {
			b.WriteString(strings.Repeat(" ", max(snapColumns[i]-ansi.StringWidth(c), 0)+1))
		}
	}
	return strings.TrimRight(b.String(), " ")
}

func snapKeyWidth(list []catalog.Ranked) int {
	w := 0
	for _, r := range list {
		w = max(w, ansi.StringWidth(r.Key))
	}
	return w
}

// snapDistance says how far a snapshot is from the ticket's time.
func snapDistance(r catalog.Ranked) string {
	d := r.Distance
	if d < 0 {
		d = -d
	}
	if r.Position == catalog.At || d == 0 {
		return "at the time"
	}
	return formatDuration(d) + " " + string(r.Position)
}

// snapAge says how old a snapshot is.
func snapAge(d time.Duration) string {
	if d < 0 {
		return "in " + formatDuration(-d)
	}
	return formatDuration(d) + " ago"
}

func snapYesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
