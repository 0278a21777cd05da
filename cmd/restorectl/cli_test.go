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
