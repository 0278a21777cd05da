package extract

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/klauspost/compress/gzip"
)

// benchDump is a ~100 MB synthetic dump: mostly COPY rows (text with
// escapes, numbers, a bytea-like column), a few big function bodies, and
// the usual DDL, like a project with a few large tables.
var benchDump = sync.OnceValue(func() []byte {
	var b bytes.Buffer
	b.WriteString("--\n-- PostgreSQL database dump\n--\n\n\\restrict abc\n\nSET statement_timeout = 0;\nSET standard_conforming_strings = on;\n")
	body := strings.Repeat("  PERFORM 1; -- a comment with 'quotes' and $x$\n  x := 'it''s; fine';\n", 4000) // ~300 KB
	for table := 0; b.Len() < 100<<20; table++ {
		fmt.Fprintf(&b, "\n--\n-- Name: f%d(); Type: FUNCTION; Schema: public; Owner: -\n--\n\n", table)
		fmt.Fprintf(&b, "CREATE FUNCTION public.f%d() RETURNS void LANGUAGE plpgsql AS $fn$\nBEGIN\n%sEND;\n$fn$;\n", table, body)
		fmt.Fprintf(&b, "\n--\n-- Name: t%d; Type: TABLE; Schema: public; Owner: -\n--\n\n", table)
		fmt.Fprintf(&b, "CREATE TABLE public.t%d (id bigint NOT NULL, name text, note text, data bytea, at timestamp with time zone);\n", table)
		fmt.Fprintf(&b, "\n--\n-- Data for Name: t%d; Type: TABLE DATA; Schema: public; Owner: -\n--\n\n", table)
		fmt.Fprintf(&b, "COPY public.t%d (id, name, note, data, at) FROM stdin;\n", table)
		for i := range 100_000 {
			fmt.Fprintf(&b, "%d\tcustomer %d\tline one\\nline two\\twith tab %s\t\\\\x%x\t2024-01-01 00:00:%02d+00\n",
				i, i*7, strings.Repeat("ab", i%40), i*2654435761, i%60)
		}
		b.WriteString("\\.\n\n")
		fmt.Fprintf(&b, "\n--\n-- Name: t%d t%d_pkey; Type: CONSTRAINT; Schema: public; Owner: -\n--\n\n", table, table)
		fmt.Fprintf(&b, "ALTER TABLE ONLY public.t%d\n    ADD CONSTRAINT t%d_pkey PRIMARY KEY (id);\n", table, table)
	}
	b.WriteString(trailer + "\\unrestrict abc\n\n")
	return b.Bytes()
})

// benchGzip is benchDump gzipped at the default level, as one member.
var benchGzip = sync.OnceValue(func() []byte {
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	zw.Write(benchDump())
	zw.Close()
	return b.Bytes()
})

// scanAll reads every item of r, streaming rows to io.Discard.
func scanAll(b *testing.B, r *Reader) (items int) {
	for {
		it, err := r.Next()
		if err == io.EOF {
			return items
		}
		if err != nil {
			b.Fatal(err)
		}
		if it.Rows != nil {
			if _, err := io.Copy(io.Discard, it.Rows); err != nil {
				b.Fatal(err)
			}
		}
		items++
	}
}

// BenchmarkReader measures splitting uncompressed text (MB/s of dump).
func BenchmarkReader(b *testing.B) {
	dump := benchDump()
	for _, mode := range []string{"read rows", "skip rows"} {
		b.Run(mode, func(b *testing.B) {
			b.SetBytes(int64(len(dump)))
			for b.Loop() {
				r := NewReader(bytes.NewReader(dump))
				if mode == "read rows" {
					scanAll(b, r)
					continue
				}
				for {
					if _, err := r.Next(); err == io.EOF {
						break
					} else if err != nil {
						b.Fatal(err)
					}
				}
			}
		})
	}
}

// BenchmarkSnapshotReader compares decompression alone with decompression
// plus splitting; MB/s are of uncompressed dump in both.
func BenchmarkSnapshotReader(b *testing.B) {
	dump, compressed := benchDump(), benchGzip()
	// To compare with /usr/bin/gzip: BENCH_GZ=/tmp/d.sql.gz, then time gzip -dc.
	if path := os.Getenv("BENCH_GZ"); path != "" {
		if err := os.WriteFile(path, compressed, 0o644); err != nil {
			b.Fatal(err)
		}
	}
	b.Run("gunzip only", func(b *testing.B) {
		b.SetBytes(int64(len(dump)))
		for b.Loop() {
			zr, err := gzip.NewReader(bytes.NewReader(compressed))
			if err != nil {
				b.Fatal(err)
			}
			if _, err := io.Copy(io.Discard, zr); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("gunzip and split", func(b *testing.B) {
		b.SetBytes(int64(len(dump)))
		for b.Loop() {
			sr, err := NewSnapshotReader(bytes.NewReader(compressed))
			if err != nil {
				b.Fatal(err)
			}
			scanAll(b, NewReader(sr))
		}
	})
}
