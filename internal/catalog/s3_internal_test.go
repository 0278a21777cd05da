package catalog

import "testing"

func TestPartSize(t *testing.T) {
	const mib = 1 << 20
	cases := []struct {
		base int64
		n    int32
		want int64
	}{
		{16 * mib, 1, 16 * mib},
		{16 * mib, 2000, 16 * mib},
		{16 * mib, 2001, 32 * mib},
		{16 * mib, 4001, 64 * mib},
		{16 * mib, 10000, 256 * mib},
		{5 * mib, 10000, 80 * mib},
		{1 << 30, 10000, maxPartSize}, // capped at S3's maximum
	}
	for _, c := range cases {
		if got := partSize(c.base, c.n); got != c.want {
			t.Errorf("partSize(%d, %d) = %d, want %d", c.base, c.n, got, c.want)
		}
	}
}

// 10,000 parts hold 62,000 × the base part size: 968 GiB at the default.
func TestPartSizeCapacity(t *testing.T) {
	for _, base := range []int64{minPartSize, DefaultPartSize} {
		var total int64
		for n := int32(1); n <= maxParts; n++ {
			total += partSize(base, n)
		}
		if want := 62000 * base; total != want {
			t.Errorf("base %d: %d parts hold %d bytes, want %d", base, maxParts, total, want)
		}
	}
}
