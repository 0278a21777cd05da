package ui

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"
	"github.com/powabase/restorectl/internal/apply"
	"github.com/powabase/restorectl/internal/catalog"
	"github.com/powabase/restorectl/internal/extract"
	"github.com/powabase/restorectl/internal/termsafe"
)

// progressEventMsg is one event of the restore job.
type progressEventMsg struct {
	job int
	ev  apply.Event
}

// progressDoneMsg is the restore job's return.
type progressDoneMsg struct {
	job int
	res *apply.Result
	err error
}

// progressTickMsg redraws the elapsed time while the job runs.
type progressTickMsg struct{ job int }

// progressDone is what a restore returned, passed on its channel.
type progressDone struct {
	res *apply.Result
	err error
}

// progressKeys are the progress screen's keys: Esc asks whether to
// cancel, y and n answer.
type progressKeys struct {
	Cancel, Yes, No key.Binding
	asking          bool
}

func newProgressKeys() progressKeys {
	return progressKeys{
		Cancel: key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "cancel the restore")),
		Yes:    key.NewBinding(key.WithKeys("y", "Y"), key.WithHelp("y", "cancel it")),
		No:     key.NewBinding(key.WithKeys("n", "N", "esc"), key.WithHelp("n/esc", "go on")),
	}
}

func (k progressKeys) ShortHelp() []key.Binding {
	if k.asking {
		return []key.Binding{k.Yes, k.No}
	}
	return []key.Binding{k.Cancel}
}
func (k progressKeys) FullHelp() [][]key.Binding { return [][]key.Binding{k.ShortHelp()} }

// progressTable is a table loaded so far.
type progressTable struct {
	name extract.Name
	rows int64
}

// progressScreen is screen 7: the restore running, phase by phase.
type progressScreen struct {
	s        *Session
	keys     progressKeys
	barWidth int

	job    int
	cancel context.CancelFunc
	events chan apply.Event
	done   chan progressDone

	running bool
	// asking: Esc was pressed and "cancel the restore? y/n" is shown (a
	// stray Esc must not stop a restore); cancelling: y was.
	asking     bool
	cancelling bool
	start      time.Time
	now        func() time.Time // the clock of elapsed and ETA (tests fix it)

	phase, message    string
	table             extract.Name
	tableBytes, bytes int64
	doneBytes, total  int64
	loaded            []progressTable

	width, height int
}

// NewProgressScreen returns the progress screen: its Init starts the
// restore of the session's choices.
func NewProgressScreen(s *Session) Screen {
	return &progressScreen{
		s:     s,
		keys:  newProgressKeys(),
		now:   time.Now,
		width: 80, height: 20, barWidth: 60,
	}
}

func (p *progressScreen) Title() string { return "7 Restoring" }
func (p *progressScreen) KeyMap() help.KeyMap {
	k := p.keys
	k.asking = p.asking
	return k
}

// Typing is true while the restore runs, so that Esc reaches the screen
// (to ask whether to cancel) instead of going back, and q does not quit.
func (p *progressScreen) Typing() bool { return p.running }

func (p *progressScreen) SetSize(width, height int) {
	p.width, p.height = width, height
	p.barWidth = max(min(width-8, 60), 10)
}

// Init starts the restore in a goroutine whose events and return come
// back through channels.
func (p *progressScreen) Init() tea.Cmd {
	p.job++
	ctx, cancel := context.WithCancel(p.s.context())
	p.cancel = cancel
	p.events = make(chan apply.Event, 256)
	p.done = make(chan progressDone, 1)
	p.running, p.asking, p.cancelling = true, false, false
	p.start = p.now()
	p.phase, p.message = apply.PhasePlan, "starting"
	s := p.s
	req := s.request()
	events, done, backend := p.events, p.done, s.Backend
	run := func() tea.Msg {
		s.Restores.Add(1)
		go func() {
			defer s.Restores.Done()
			// The callback must not block the restore: a full channel
			// drops the event (the next one says as much).
			prog := apply.ProgressFunc(func(e apply.Event) {
				select {
				case events <- e:
				default:
				}
			})
			res, err := backend.Restore(ctx, req, prog)
			cancel()
			s.recordRestore(req, res, err)
			done <- progressDone{res, err}
		}()
		return nil
	}
	return tea.Batch(run, p.wait(), p.tick())
}

// wait returns the command waiting for the job's next event or its end.
func (p *progressScreen) wait() tea.Cmd {
	job, events, done := p.job, p.events, p.done
	return func() tea.Msg {
		select {
		case e := <-events:
			return progressEventMsg{job, e}
		case d := <-done:
			return progressDoneMsg{job, d.res, d.err}
		}
	}
}

func (p *progressScreen) tick() tea.Cmd {
	job := p.job
	return tea.Tick(time.Second, func(time.Time) tea.Msg { return progressTickMsg{job} })
}

func (p *progressScreen) Update(msg tea.Msg) (Screen, tea.Cmd) {
	switch msg := msg.(type) {
	case progressEventMsg:
		if msg.job != p.job || !p.running {
			return p, nil
		}
		p.event(msg.ev)
		return p, p.wait()
	case progressDoneMsg:
		if msg.job != p.job || !p.running {
			return p, nil
		}
		p.running, p.asking = false, false
		p.s.Result = msg.res
		err := msg.err
		if err == nil && msg.res == nil {
			err = fmt.Errorf("the restore returned no result")
		}
		return p, Push(NewResultScreen(p.s, err))
	case progressTickMsg:
		if msg.job != p.job || !p.running {
			return p, nil
		}
		return p, p.tick()
	case tea.KeyMsg:
		switch {
		case !p.running || p.cancelling:
		case p.asking && key.Matches(msg, p.keys.Yes):
			p.asking, p.cancelling = false, true
			p.cancel()
		case p.asking && key.Matches(msg, p.keys.No):
			p.asking = false
		case !p.asking && key.Matches(msg, p.keys.Cancel):
			p.asking = true
		}
	}
	return p, nil
}

// event takes in one event of the restore.
func (p *progressScreen) event(e apply.Event) {
	if e.Phase != "" {
		p.phase = e.Phase
	}
	if e.Message != "" {
		p.message = e.Message
	}
	if e.TotalBytes > 0 {
		p.total = e.TotalBytes
		p.doneBytes = max(p.doneBytes, e.DoneBytes)
	}
	if e.Phase == apply.PhaseCopy && e.Table != (extract.Name{}) {
		p.table, p.bytes, p.tableBytes = e.Table, e.Bytes, e.TableBytes
		if strings.HasPrefix(e.Message, "loaded ") {
			p.loaded = append(p.loaded, progressTable{e.Table, e.Rows})
		}
	}
}

// eta is the time left at the rate so far, 0 when unknown.
func (p *progressScreen) eta(elapsed time.Duration) time.Duration {
	if p.doneBytes <= 0 || p.total <= p.doneBytes || elapsed <= 0 {
		return 0
	}
	rate := float64(p.doneBytes) / elapsed.Seconds()
	return time.Duration(float64(p.total-p.doneBytes) / rate * float64(time.Second))
}

func (p *progressScreen) View() string {
	st := p.s.Styles
	what := string(p.s.Mode)
	if p.s.Mode == apply.NewProject {
		what += " " + p.s.Database
	}
	if p.s.request().UpdateChanged {
		what += " --update-changed"
	}
	lines := []string{
		st.Header.Render("Restoring") + " " + fmt.Sprintf("%s from %s (%s)", catalog.Plural(len(p.s.Tables), "table", "tables"), termsafe.String(p.s.Snapshot.Key), termsafe.String(what)),
		"",
		// A message names tables: the customer's, escaped.
		"phase    " + st.Header.Render(termsafe.String(p.phase)) + "  " + st.Subtle.Render(termsafe.String(p.message)),
	}
	frac := 0.0
	if p.total > 0 {
		frac = float64(p.doneBytes) / float64(p.total)
	}
	lines = append(lines, progressBar(frac, p.barWidth)+fmt.Sprintf(" %3.0f%%", frac*100),
		fmt.Sprintf("data     %s of %s", catalog.FormatSize(p.doneBytes), catalog.FormatSize(p.total)))
	if p.table != (extract.Name{}) {
		lines = append(lines, fmt.Sprintf("table    %s  %s of %s", termsafe.String(p.table.String()), catalog.FormatSize(p.bytes), catalog.FormatSize(p.tableBytes)))
	}
	elapsed := p.now().Sub(p.start)
	t := "elapsed  " + formatDuration(elapsed)
	if eta := p.eta(elapsed); eta > 0 {
		t += "   about " + formatDuration(eta) + " left"
	}
	lines = append(lines, t)
	var tail []string
	switch {
	case p.asking:
		tail = []string{"", st.Warning.Render("Cancel the restore? y/n") + st.Subtle.Render("  (y stops it and rolls it back; n or esc lets it go on)")}
	case p.cancelling:
		tail = []string{"", st.Warning.Render("cancelling… rolling back (the result says what happened to the target)")}
	}
	// The tables loaded, the latest last, in the room left.
	if room := p.height - len(lines) - len(tail) - 2; len(p.loaded) > 0 && room > 0 {
		lines = append(lines, "", st.Header.Render(fmt.Sprintf("loaded (%d)", len(p.loaded))))
		for _, l := range p.loaded[max(len(p.loaded)-room, 0):] {
			lines = append(lines, fmt.Sprintf("  %s  %s", termsafe.String(l.name.String()), catalog.Plural(l.rows, "row", "rows")))
		}
	}
	lines = append(lines, tail...)
	if len(lines) > p.height {
		// The question or the cancelling notice stays: it is the last line.
		lines = append(lines[:max(p.height-1, 0)], lines[len(lines)-1])
	}
	for i, l := range lines {
		lines[i] = ansi.Truncate(l, p.width, "…")
	}
	return strings.Join(lines, "\n")
}

// progressBar draws frac (0 to 1) as a bar of width cells. (The bubbles
// progress bar needs a module go.mod does not have.)
func progressBar(frac float64, width int) string {
	frac = min(max(frac, 0), 1)
	n := int(frac*float64(width) + 0.5)
	return strings.Repeat("█", n) + strings.Repeat("░", width-n)
}
