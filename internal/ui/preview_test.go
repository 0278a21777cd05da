package ui

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/teatest"

	"github.com/powabase/restorectl/internal/catalog"
	"github.com/powabase/restorectl/internal/extract"
)

var previewOrders = []extract.Name{{Schema: "public", Name: "orders"}}

func TestPreviewGolden(t *testing.T) {
	for _, size := range [][2]int{{80, 24}, {120, 40}} {
		t.Run(fmt.Sprintf("%dx%d", size[0], size[1]), func(t *testing.T) {
			s := tablesSession(t)
			s.Tables = previewOrders
			tm := teatest.NewTestModel(t, New(s, NewPreviewScreen(s)), teatest.WithInitialTermSize(size[0], size[1]))
			teatest.WaitFor(t, tm.Output(), func(b []byte) bool { return bytes.Contains(b, []byte("rows, the first")) },
				teatest.WithDuration(10*time.Second))
			tm.Send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("q")})
			view := tm.FinalModel(t, teatest.WithFinalTimeout(10*time.Second)).View()
			for i, l := range strings.Split(view, "\n") {
				if w := ansi.StringWidth(l); w > size[0] {
					t.Errorf("line %d is %d wide: %q", i, w, l)
				}
			}
			teatest.RequireEqualOutput(t, []byte(view))
		})
	}
}

// previewLoad runs the screen's load to its message.
func previewLoad(t *testing.T, m *previewScreen) previewLoadedMsg {
	t.Helper()
	msg, ok := m.Init()().(previewLoadedMsg)
	if !ok {
		t.Fatal("Init did not load")
	}
	return msg
}

func TestPreviewShowsRowsAndDefinitions(t *testing.T) {
	s := tablesSession(t)
	s.Tables = previewOrders
	m := NewPreviewScreen(s).(*previewScreen)
	m.SetSize(100, 1000)
	m.Update(previewLoad(t, m))
	v := m.View()
	for _, want := range []string{"public.orders: 55 rows, the first 10", "customer_id", "CREATE TABLE public.orders", "CREATE TYPE public.order_status"} {
		if !strings.Contains(v, want) {
			t.Errorf("the preview lacks %q:\n%s", want, v)
		}
	}
	if strings.Contains(v, "COPY public.orders") {
		t.Errorf("the definitions hold rows:\n%s", v)
	}
}

// failingBackend is the sample store whose previews fail.
type failingBackend struct{ *StoreBackend }

func (failingBackend) Preview(context.Context, catalog.Snapshot, extract.Name, int) (*extract.RowSet, error) {
	return nil, errors.New("the snapshot is truncated at byte 1234")
}

func (failingBackend) Script(context.Context, catalog.Snapshot, *extract.Selection, extract.Mode, io.Writer) error {
	return nil
}

func TestPreviewErrorAndRetry(t *testing.T) {
	s := tablesSession(t)
	s.Tables = previewOrders
	real := s.Backend
	s.Backend = failingBackend{real.(*StoreBackend)}
	m := NewPreviewScreen(s).(*previewScreen)
	m.SetSize(80, 20)
	m.Update(previewLoad(t, m))
	if v := m.View(); !strings.Contains(v, "truncated at byte 1234") || !strings.Contains(v, "r retries") {
		t.Fatalf("the error is not shown with what to do:\n%s", v)
	}
	if _, cmd := m.Update(tea.KeyMsg{Type: tea.KeyEnter}); cmd != nil {
		t.Error("Enter moved on from a failed preview")
	}
	s.Backend = real
	_, cmd := m.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("r")})
	if cmd == nil {
		t.Fatal("r did not retry")
	}
	m.Update(cmd())
	if v := m.View(); !strings.Contains(v, "public.orders: 55 rows") {
		t.Errorf("after the retry:\n%s", v)
	}
}

func TestPreviewDropsStaleResults(t *testing.T) {
	s := tablesSession(t)
	s.Tables = previewOrders
	m := NewPreviewScreen(s).(*previewScreen)
	m.SetSize(80, 20)
	old := previewLoad(t, m) // job 1
	m.load()                 // job 2 starts; job 1's result arrives late
	m.Update(old)
	if m.loaded != "" {
		t.Error("a stale result was shown")
	}
}

func TestPreviewNext(t *testing.T) {
	defer func(f func(*Session) Screen) { nextAfterPreview = f }(nextAfterPreview)
	var next Screen = NewPreviewScreen(tablesSession(t))
	nextAfterPreview = func(*Session) Screen { return next }
	s := tablesSession(t)
	s.Tables = previewOrders
	m := NewPreviewScreen(s).(*previewScreen)
	m.SetSize(80, 20)
	if _, cmd := m.Update(tea.KeyMsg{Type: tea.KeyEnter}); cmd != nil {
		t.Error("Enter moved on before the preview was read")
	}
	m.Update(previewLoad(t, m))
	_, cmd := m.Update(tea.KeyMsg{Type: tea.KeyEnter})
	if cmd == nil {
		t.Fatal("Enter did not move on")
	}
	if msg, ok := cmd().(pushMsg); !ok || msg.screen != next {
		t.Errorf("Enter sent %v", msg)
	}
}
