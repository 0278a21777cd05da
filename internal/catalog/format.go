package catalog

import (
	"fmt"
	"strconv"
	"strings"
)

// FormatSize writes a size in bytes with a binary unit, as support
// engineers read it in listings: 119 B, 3.4 KiB, 5.0 GiB.
func FormatSize(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

// FormatCount writes a count (of rows, statements, ...) as people read it
// at a glance: exact below 1000, else with an SI suffix and at most one
// decimal: 999, 1.5k, 15k, 1.5M, 2G. Where a difference of one matters
// (a verification, a sequence's value), use FormatExact.
func FormatCount(n int64) string {
	if n > -1000 && n < 1000 {
		return strconv.FormatInt(n, 10)
	}
	if n < 0 {
		if n == -n { // math.MinInt64 has no positive counterpart
			return strconv.FormatInt(n, 10)
		}
		return "-" + FormatCount(-n)
	}
	v, exp := float64(n), 0
	for v >= 999.95 && exp < len("kMGTPE") {
		v /= 1000
		exp++
	}
	s := strconv.FormatFloat(v, 'f', 1, 64)
	s = strings.TrimSuffix(s, ".0")
	return s + string("kMGTPE"[exp-1])
}

// FormatExact writes n exactly, with thousands separators: 1,500,000.
func FormatExact(n int64) string {
	s := strconv.FormatInt(n, 10)
	digits := strings.TrimPrefix(s, "-")
	var b strings.Builder
	if len(digits) < len(s) {
		b.WriteByte('-')
	}
	for i := range len(digits) {
		if i > 0 && (len(digits)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteByte(digits[i])
	}
	return b.String()
}

// Plural writes a count and the noun's form for it: "1 table", "3
// tables", "1.5M rows" (the count as FormatCount writes it).
func Plural[N ~int | ~int64](n N, one, many string) string {
	return FormatCount(int64(n)) + " " + noun(n, one, many)
}

// PluralExact is Plural with the count as FormatExact writes it:
// "1 row", "1,500,000 rows".
func PluralExact[N ~int | ~int64](n N, one, many string) string {
	return FormatExact(int64(n)) + " " + noun(n, one, many)
}

func noun[N ~int | ~int64](n N, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
