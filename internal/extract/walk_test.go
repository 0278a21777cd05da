package extract

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
)

// walkLog visits every item, recording its index, SQL and (for a COPY
// block) as much of its rows as keep says: a visitor may stop reading
// rows early, and the walk must still check them.
func walkLog(log *strings.Builder, keep int) Visit {
	return func(i int, it *Item) error {
		fmt.Fprintf(log, "%d %s\n", i, it.SQL)
		if it.Kind == CopyData {
			buf := make([]byte, keep)
			n, _ := io.ReadFull(it.Rows, buf)
			log.Write(buf[:n])
		}
		return nil
	}
}

func TestWalkScanEqualsRanged(t *testing.T) {
	var b strings.Builder
	b.WriteString("SELECT pg_catalog.set_config('search_path', '', false);\n\nCREATE TABLE public.a (id integer);\n\nCREATE TABLE public.b (id integer);\n\n")
	for _, tb := range []string{"a", "b"} {
		fmt.Fprintf(&b, "COPY public.%s (id) FROM stdin;\n", tb)
		for i := range 2000 {
			fmt.Fprintf(&b, "%d\n", i)
		}
		b.WriteString("\\.\n\n")
	}
	b.WriteString("CREATE INDEX a_id ON public.a USING btree (id);\n\n-- PostgreSQL database dump complete\n\n")
	gz, ix := seekable(t, []byte(b.String()), 1<<10)
	toc := ix.TOC()
	// The data of b and the index of a, not a's rows: ranged reads must
	// skip what is left out, and both walks must agree.
	include := func(i int) bool {
		e := toc.Entries[i]
		return (e.Kind == KindCopy && e.Object.Name == "b") || e.Kind == KindIndex
	}
	for _, keep := range []int{0, 10, 1 << 20} {
		var scan, ranged strings.Builder
		if err := Walk(t.Context(), mustDumpReader(t, gz), toc, include, walkLog(&scan, keep)); err != nil {
			t.Fatalf("Walk: %v", err)
		}
		o := &byteOpener{t: t, obj: gz}
		rg := &Ranged{Index: ix, Open: o.open}
		if err := rg.Walk(t.Context(), toc, include, walkLog(&ranged, keep)); err != nil {
			t.Fatalf("Ranged.Walk: %v", err)
		}
		if scan.String() != ranged.String() {
			t.Errorf("keep %d: scan walk\n%s\nranged walk\n%s", keep, scan.String(), ranged.String())
		}
		if strings.Contains(scan.String(), "COPY public.a") || !strings.Contains(scan.String(), "COPY public.b") || !strings.Contains(scan.String(), "CREATE INDEX") {
			t.Errorf("keep %d: walk visited the wrong items:\n%s", keep, scan.String())
		}
		if n, _ := rg.Fetched(); n >= int64(len(gz)) {
			t.Errorf("ranged walk read %d of %d bytes: it should skip a's rows", n, len(gz))
		}
	}
}

func TestWalkChecksRows(t *testing.T) {
	dump := "COPY public.a (id) FROM stdin;\n1\n2\n\\.\n\n-- PostgreSQL database dump complete\n\n"
	toc, err := ReadTOC(t.Context(), NewReader(strings.NewReader(dump)), nil)
	if err != nil {
		t.Fatal(err)
	}
	changed := strings.Replace(dump, "2\n", "2\n3\n", 1)
	err = Walk(t.Context(), NewReader(strings.NewReader(changed)), toc, func(int) bool { return true }, walkLog(&strings.Builder{}, 0))
	var ce *ChangedError
	if !errors.As(err, &ce) {
		t.Fatalf("walk of a changed snapshot: %v, want a ChangedError", err)
	}
	stop := errors.New("stop")
	err = Walk(t.Context(), NewReader(strings.NewReader(dump)), toc, func(int) bool { return true }, func(int, *Item) error { return stop })
	if !errors.Is(err, stop) {
		t.Fatalf("a visitor's error: got %v", err)
	}
}
