package catalog

import (
	"math"
	"testing"
)

func TestFormatSize(t *testing.T) {
	for n, want := range map[int64]string{
		0: "0 B", 119: "119 B", 1023: "1023 B", 1024: "1.0 KiB", 2818: "2.8 KiB", 3495: "3.4 KiB",
		5 << 20: "5.0 MiB", 5 << 30: "5.0 GiB", 3 << 40: "3.0 TiB", 67145728: "64.0 MiB",
	} {
		if got := FormatSize(n); got != want {
			t.Errorf("FormatSize(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestFormatCount(t *testing.T) {
	tests := []struct {
		n    int64
		want string
	}{
		{0, "0"},
		{1, "1"},
		{999, "999"},
		{1000, "1k"},
		{1049, "1k"},
		{1050, "1.1k"}, // 1.05 is stored as a little more than 1.05
		{1500, "1.5k"},
		{15_300, "15.3k"},
		{150_000, "150k"},
		{999_949, "999.9k"},
		{999_950, "1M"}, // rounds up into the next unit, never "1000k"
		{1_500_000, "1.5M"},
		{2_000_000, "2M"},
		{1_234_567_890, "1.2G"},
		{math.MaxInt64, "9.2E"},
		{-1, "-1"},
		{-1500, "-1.5k"},
		{math.MinInt64, "-9223372036854775808"},
	}
	for _, tt := range tests {
		if got := FormatCount(tt.n); got != tt.want {
			t.Errorf("FormatCount(%d) = %q, want %q", tt.n, got, tt.want)
		}
	}
}

func TestFormatExact(t *testing.T) {
	tests := []struct {
		n    int64
		want string
	}{
		{0, "0"},
		{999, "999"},
		{1000, "1,000"},
		{1_500_000, "1,500,000"},
		{-1_500_000, "-1,500,000"},
		{-12, "-12"},
		{math.MinInt64, "-9,223,372,036,854,775,808"},
	}
	for _, tt := range tests {
		if got := FormatExact(tt.n); got != tt.want {
			t.Errorf("FormatExact(%d) = %q, want %q", tt.n, got, tt.want)
		}
	}
}

func TestPlural(t *testing.T) {
	tests := []struct {
		n    int64
		want string
	}{
		{0, "0 tables"},
		{1, "1 table"},
		{2, "2 tables"},
		{-1, "-1 tables"},
		{1_500_000, "1.5M tables"},
	}
	for _, tt := range tests {
		if got := Plural(tt.n, "table", "tables"); got != tt.want {
			t.Errorf("Plural(%d) = %q, want %q", tt.n, got, tt.want)
		}
	}
	for n, want := range map[int64]string{0: "0 rows", 1: "1 row", 1_500_000: "1,500,000 rows"} {
		if got := PluralExact(n, "row", "rows"); got != want {
			t.Errorf("PluralExact(%d) = %q, want %q", n, got, want)
		}
	}
	if got := Plural(len([]int{1}), "COPY block", "COPY blocks"); got != "1 COPY block" {
		t.Errorf("Plural of an int = %q", got)
	}
}
