package main

import "testing"

func TestParseShard(t *testing.T) {
	tests := []struct {
		in     string
		i, n   int
		wantOK bool
	}{
		{"0/1", 0, 1, true},
		{"3/4", 3, 4, true},
		{"4/4", 0, 0, false},
		{"-1/4", 0, 0, false},
		{"1/0", 0, 0, false},
		{"1", 0, 0, false},
		{"a/b", 0, 0, false},
		{"", 0, 0, false},
	}
	for _, tt := range tests {
		i, n, err := parseShard(tt.in)
		if (err == nil) != tt.wantOK || i != tt.i || n != tt.n {
			t.Errorf("parseShard(%q) = %d, %d, %v", tt.in, i, n, err)
		}
	}
}

func TestFormatBytes(t *testing.T) {
	for in, want := range map[int64]string{0: "0 B", 1023: "1023 B", 1024: "1.0 KiB", 5 << 20: "5.0 MiB", 3 << 30: "3.0 GiB"} {
		if got := formatBytes(in); got != want {
			t.Errorf("formatBytes(%d) = %q, want %q", in, got, want)
		}
	}
}
