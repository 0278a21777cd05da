package catalog

import "fmt"

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
