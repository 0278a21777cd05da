package ui

import (
	"context"
	"errors"
	"fmt"
	"slices"
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

// snapshotsKeys are the snapshots screen's keys: its list's, opening
// one, listing again.
type snapshotsKeys struct {
	list        listKeys
	Open, Retry key.Binding
	// move stands for Up and Down in the short help.
	move key.Binding
	// filtering: the filter is typed, its keys are the help.
	filtering bool
}

func newSnapshotsKeys(k KeyMap) snapshotsKeys {
	return snapshotsKeys{
		list:  newListKeys(k),
		Open:  key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "read its tables")),
		Retry: key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "reload")),
		move:  key.NewBinding(key.WithKeys("up", "down"), key.WithHelp("↑/↓", "choose")),
	}
}

func (k snapshotsKeys) ShortHelp() []key.Binding {
	if k.filtering {
		return k.list.filterHelp()
	}
	// r is in the full help and in the messages that need it: with App's
	// keys, the short help must fit in 80 columns.
	return []key.Binding{k.Open, k.move, k.list.Filter}
}

func (k snapshotsKeys) FullHelp() [][]key.Binding {
	if k.filtering {
		return [][]key.Binding{k.ShortHelp()}
	}
	return [][]key.Binding{k.list.moves(), {k.Open, k.list.Filter, k.Retry}}
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

// snapshotsScreen is screen 2: the project's snapshots in time order,
// oldest first, a line at the ticket's time between those before and
// after it, the one to restore from (the newest before) pre-selected.
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
	// missing says the project has no snapshots, with the store's refs
	// closest to it.
	missing *catalog.NoSnapshotsError
	all     []catalog.Ranked // every snapshot, oldest first
	shown   []catalog.Ranked // those the filter lets through
	l       list
	// noneBefore: every snapshot is after the ticket's time.
	noneBefore bool
	// centre: the list was just loaded; View, which knows how many rows
	// it draws, scrolls the selection to their middle, so that the
	// snapshots after it show too.
	centre bool

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
		l:       newList(s.Styles, s.Keys, "part of a time or key: 11-21, before", 80),
		spinner: spinner.New(spinner.WithSpinner(spinner.Dot), spinner.WithStyle(s.Styles.Subtle)),
		cancel:  func() {},
		width:   80,
		height:  20,
	}
}

func (m *snapshotsScreen) Init() tea.Cmd { return m.load() }

func (m *snapshotsScreen) Title() string { return "2 Snapshots" }

func (m *snapshotsScreen) KeyMap() help.KeyMap {
	k := m.keys
	k.filtering = m.l.filtering
	return k
}

func (m *snapshotsScreen) Typing() bool { return m.l.filtering }

// Field is the filter's text while it is typed (TextField).
func (m *snapshotsScreen) Field() (string, bool) { return m.l.filter.Value(), m.l.filtering }

// Escape clears the filter in force, before Esc goes back.
func (m *snapshotsScreen) Escape() bool {
	if !m.l.escape() {
		return false
	}
	m.refilter()
	return true
}

func (m *snapshotsScreen) SetSize(width, height int) {
	m.width, m.height = width, height
	inputResize(&m.l.filter, width-ansi.StringWidth(m.l.filter.Prompt)-30)
	// An estimate until View knows how tall its footer is.
	m.l.setRows(height - 8)
}

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
	snap := m.shown[m.l.cursor]
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
		m.listErr, m.missing = msg.err, nil
		if errors.As(msg.err, &m.missing) {
			m.listErr = nil // listed: the project has none
		}
		m.all = slices.Clone(msg.snaps)
		// Stable: an object's versions stay as listed, current first.
		slices.SortStableFunc(m.all, func(a, b catalog.Ranked) int { return a.Time.Compare(b.Time) })
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
		m.opened = fmt.Sprintf("Read %s: %s, %s of SQL.", m.s.Snapshot.Key, catalog.Plural(len(msg.toc.Tables), "table", "tables"), catalog.FormatSize(msg.toc.Size))
		return m, nil

	case tea.KeyMsg:
		return m, m.key(msg)
	}
	if m.l.filtering {
		// A paste from the clipboard (ctrl+v) comes back as a message.
		return m, m.listUpdate(msg)
	}
	return m, nil
}

func (m *snapshotsScreen) key(msg tea.KeyMsg) tea.Cmd {
	if m.opening {
		return nil // the choice is made; Esc leaves
	}
	if m.l.filtering || !m.listing && len(m.all) > 0 {
		if cmd, took := m.listKey(msg); took {
			return cmd
		}
	}
	switch {
	case key.Matches(msg, m.keys.Retry):
		if m.openErr != nil {
			return m.open()
		}
		return m.load()
	case m.listing || len(m.shown) == 0:
		return nil
	case key.Matches(msg, m.keys.Open):
		return m.open()
	}
	return nil
}

// listKey gives msg to the list, and says whether it took it.
func (m *snapshotsScreen) listKey(msg tea.Msg) (tea.Cmd, bool) {
	before, had := m.current()
	took, changed, cmd := m.l.update(msg)
	if changed {
		m.refilter()
	}
	if after, has := m.current(); has != had || !sameSnapshot(before, after) {
		m.openErr, m.opened = nil, "" // they were about another snapshot
	}
	return cmd, took
}

func (m *snapshotsScreen) listUpdate(msg tea.Msg) tea.Cmd {
	cmd, _ := m.listKey(msg)
	return cmd
}

// current is the snapshot under the cursor; false when none is shown.
func (m *snapshotsScreen) current() (catalog.Ranked, bool) {
	if m.l.cursor < 0 || m.l.cursor >= len(m.shown) {
		return catalog.Ranked{}, false
	}
	return m.shown[m.l.cursor], true
}

func sameSnapshot(a, b catalog.Ranked) bool {
	return a.Key == b.Key && a.VersionID == b.VersionID && a.Noncurrent == b.Noncurrent
}

// refilter recomputes the snapshots shown, keeping the cursor on the same
// one when it is still shown.
func (m *snapshotsScreen) refilter() {
	cur, ok := m.current()
	m.pick(cur, ok)
}

// pick filters the snapshots again and puts the cursor on want when it
// passes the filter (ok), and otherwise on the first shown.
func (m *snapshotsScreen) pick(want catalog.Ranked, ok bool) {
	m.shown = nil
	at := 0
	for _, r := range m.all {
		if m.l.matches(snapFilterText(r, m.s.zone())) {
			if ok && sameSnapshot(r, want) {
				at = len(m.shown)
			}
			m.shown = append(m.shown, r)
		}
	}
	m.l.reset(len(m.shown), at)
}

// snapFilterText is what the filter searches in a snapshot: its time as
// drawn, its distance (so "before" and "after" work) and its key.
func snapFilterText(r catalog.Ranked, loc *time.Location) string {
	return r.Time.In(loc).Format("2006-01-02 15:04") + " " + snapDistance(r) + " " + r.Key
}

// preselect puts the cursor on the newest snapshot at or before the
// ticket's time: the one that holds the data as it was then. When every
// snapshot is after it, the nearest (the oldest) is selected.
func (m *snapshotsScreen) preselect() {
	snaps := make([]catalog.Snapshot, len(m.all))
	for i, r := range m.all {
		snaps[i] = r.Snapshot
	}
	best, ok := catalog.NewestAtOrBefore(snaps, m.s.Ticket.At)
	m.noneBefore = !ok && len(m.all) > 0
	var want catalog.Ranked
	for _, r := range m.all {
		if ok && r.Key == best.Key && r.VersionID == best.VersionID && r.Noncurrent == best.Noncurrent {
			want = r
		}
	}
	m.pick(want, ok)
	m.centre = true
}

// divider is the index in shown before which the ticket's time falls:
// the first snapshot after it.
func (m *snapshotsScreen) divider() int {
	for i, r := range m.shown {
		if r.Position == catalog.After {
			return i
		}
	}
	return len(m.shown)
}

func (m *snapshotsScreen) View() string {
	st := m.s.Styles
	t := m.s.Ticket
	near := m.s.local(t.At).Format("2006-01-02 15:04 MST")
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

	case len(m.all) == 0:
		add(st.Warning, "No snapshots of project "+termsafe.String(t.Project)+" in this store.")
		if miss := m.missing; miss != nil && len(miss.Suggestions) > 0 {
			add(st.Warning, "Did you mean "+termsafe.String(strings.Join(miss.Suggestions, " or "))+"? (esc goes back to the ticket to change the ref)")
		} else if miss != nil && miss.Projects == 0 {
			add(st.Warning, "The store holds no projects at all: check the console's --store (or RESTORECTL_STORE).")
		}
		lines = append(lines, "")
		add(st.Subtle, "Check the project ref (esc goes back to the ticket) and that this is the store its backups go to: the backup job writes "+catalog.ProjectPrefix(t.Project)+"<timestamp>.sql.gz. Press r to look again.")
		return fitLines(lines, m.width, m.height)
	}

	// The info line: the filter being typed, or the one in force, or what
	// the list is; each with where the cursor is.
	pos := m.l.position(len(m.all), "snapshot", "snapshots")
	switch {
	case m.l.filtering:
		suffix := "  " + pos
		lines = append(lines, "  "+inputView(m.l.filter, max(m.width-2-ansi.StringWidth(suffix), 1))+st.Subtle.Render(suffix))
	case m.l.filter.Value() != "":
		add(st.Subtle, fmt.Sprintf("%s · filter %q · / to change, esc to clear", pos, m.l.filter.Value()))
	default:
		add(st.Subtle, pos+" of "+t.Project+", oldest first")
	}
	lines = append(lines, "")

	showKey := m.width >= snapRowWidth+2+snapKeyWidth(m.all)
	cols := []string{"TIME (" + m.s.zone().String() + ")", "AGE", "DISTANCE", "SIZE", "INDEXED"}
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
	sel, ok := m.current()
	switch {
	case !ok:
		addFoot(st.Subtle, "No snapshot matches the filter: esc clears it.")
	case m.noneBefore:
		addFoot(st.Warning, "Every snapshot was taken after "+near+": none holds the data as it was then. The nearest is selected.")
	case sel.Position == catalog.After:
		addFoot(st.Warning, "Taken after the ticket's time: it may not hold the data as it was then.")
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

	// The rows, and the line at the ticket's time between those before
	// and after it (a row is kept for it).
	m.l.setRows(m.height - len(lines) - len(foot) - 1)
	if m.centre {
		m.l.center()
		m.centre = false
	}
	from, to := m.l.window()
	div := m.divider()
	rowWidth := ansi.StringWidth(header)
	for i := from; i <= to; i++ {
		if i == div {
			lines = append(lines, st.Header.Render(snapDivider(near, min(rowWidth, m.width))))
		}
		if i == to {
			break
		}
		r := m.shown[i]
		mark := "  "
		if i == m.l.cursor {
			mark = "> "
		}
		cells := []string{m.s.local(r.Time).Format("2006-01-02 15:04"), snapAge(ticketNow(m.s).Sub(r.Time)), snapDistance(r),
			catalog.FormatSize(r.Size), snapYesNo(r.Indexed)}
		if showKey {
			k := termsafe.String(r.Key)
			if r.Noncurrent {
				k += " (older version)"
			}
			cells = append(cells, k)
		}
		row := snapRow(mark, cells...)
		switch {
		case i == m.l.cursor:
			row = st.Selected.Render(row)
		case r.Position == catalog.After:
			row = st.Subtle.Render(row)
		}
		lines = append(lines, row)
	}
	if len(m.shown) == 0 {
		lines = append(lines, st.Subtle.Render(fmt.Sprintf("   no snapshot matches %q", m.l.filter.Value())))
	}
	return fitLines(append(lines, foot...), m.width, m.height)
}

// snapDivider is the line at the ticket's time, near, width columns wide:
// the snapshots above it were taken before, those below after.
func snapDivider(near string, width int) string {
	line := "   ── ↑ before ── ticket: " + near + " ── after ↓ "
	return line + strings.Repeat("─", max(width-ansi.StringWidth(line), 2))
}

// snapColumns are the widths of a snapshot's columns but its key.
var snapColumns = [...]int{16, 11, 14, 9, 7}

// snapRowWidth is the width of a row without its key.
const snapRowWidth = 2 + 16 + 11 + 14 + 9 + 7 + 2*5

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
