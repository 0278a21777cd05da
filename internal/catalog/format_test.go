package catalog

import "testing"

func TestFormatSize(t *testing.T) {
	for n, want := range map[int64]string{
		0: "0 B", 119: "119 B", 1023: "1023 B", 1024: "1.0 KiB", 2818: "2.8 KiB", 3495: "3.4 KiB",
		5 << 20: "5.0 MiB", 5 << 30: "5.0 GiB", 3 << 40: "3.0 TiB",
	} {
		if got := FormatSize(n); got != want {
			t.Errorf("FormatSize(%d) = %q, want %q", n, got, want)
		}
	}
}
