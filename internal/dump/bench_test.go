package dump

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"testing"

	"github.com/klauspost/pgzip"
)

// syntheticDump returns about n bytes of dump-like text: COPY blocks of
// ids, timestamps, words, jsonb and float arrays (embeddings compress badly,
// the rest well), as pg_dump writes them.
func syntheticDump(n int) []byte {
	rng := rand.New(rand.NewPCG(1, 2))
	words := []string{"order", "customer", "lorem", "ipsum", "dolor", "shipped", "pending", "ünïcødé", "refund", "invoice"}
	var b bytes.Buffer
	b.WriteString("--\n-- PostgreSQL database dump\n--\n\nCOPY public.orders (id, customer_id, status, note, meta, embedding) FROM stdin;\n")
	for i := 0; b.Len() < n; i++ {
		fmt.Fprintf(&b, "%d\t%d\t%s\t", i, rng.IntN(5000), words[rng.IntN(len(words))])
		for range 3 + rng.IntN(8) {
			b.WriteString(words[rng.IntN(len(words))])
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "\t{\"n\": %d, \"tag\": \"t%d\"}\t{", i, rng.IntN(50))
		for k := range 16 {
			if k > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, "%.6g", rng.Float32()*2-1)
		}
		b.WriteString("}\n")
	}
	b.WriteString("\\.\n\n--\n-- PostgreSQL database dump complete\n--\n\n")
	return b.Bytes()
}

// BenchmarkCompress measures the compression stage alone (what BackupProject
// does between pg_dump and the store) per gzip level.
func BenchmarkCompress(b *testing.B) {
	data := syntheticDump(64 << 20)
	for _, level := range []int{1, 2, 3, 6} {
		b.Run(fmt.Sprintf("level%d", level), func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			var size int64
			for b.Loop() {
				cw := &byteCounter{}
				zw, err := pgzip.NewWriterLevel(cw, level)
				if err != nil {
					b.Fatal(err)
				}
				zw.SetConcurrency(blockSize, gzipBlocks())
				if _, err := io.Copy(zw, chunked(data, 64<<10)); err != nil {
					b.Fatal(err)
				}
				if err := zw.Close(); err != nil {
					b.Fatal(err)
				}
				size = cw.n
			}
			b.ReportMetric(float64(size)/float64(len(data)), "ratio")
		})
	}
}

type byteCounter struct{ n int64 }

func (c *byteCounter) Write(p []byte) (int, error) { c.n += int64(len(p)); return len(p), nil }

// chunked reads data in pieces of at most n bytes, as a pipe from pg_dump does.
func chunked(data []byte, n int) io.Reader { return &chunkReader{data, n} }

type chunkReader struct {
	b []byte
	n int
}

func (r *chunkReader) Read(p []byte) (int, error) {
	if len(r.b) == 0 {
		return 0, io.EOF
	}
	n := copy(p[:min(len(p), r.n)], r.b)
	r.b = r.b[n:]
	return n, nil
}
