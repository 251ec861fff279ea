// Package text formats strings for terminal tables.
package text

// Truncate shortens s to at most max characters, ending with "…" when it was cut.
func Truncate(s string, max int) string {
	if len(s) <= max {
		return s
	}
	return s[:max-1] + "…"
}
