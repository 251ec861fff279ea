// Package text formats strings for terminal tables.
package text

import "strings"

// Truncate shortens s to at most max characters (runes), ending with "…" when it was cut. The cut never
// splits a rune, and spaces before the "…" are dropped.
func Truncate(s string, max int) string {
	if max <= 0 {
		return ""
	}
	runes := []rune(s)
	if len(runes) <= max {
		return s
	}
	return strings.TrimRight(string(runes[:max-1]), " ") + "…"
}
