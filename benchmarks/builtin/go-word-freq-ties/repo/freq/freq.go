// Package freq counts words in text.
package freq

import "strings"

// Entry is one word and how often it occurs.
type Entry struct {
	Word  string
	Count int
}

// Count returns how many times each word occurs in text.
func Count(text string) map[string]int {
	counts := map[string]int{}
	for _, w := range strings.Fields(text) {
		counts[w]++
	}
	return counts
}

// Top returns the n most frequent words, most frequent first.
func Top(text string, n int) []Entry {
	var entries []Entry
	for w, c := range Count(text) {
		entries = append(entries, Entry{w, c})
	}
	for i := 1; i < len(entries); i++ {
		for j := i; j > 0 && entries[j].Count > entries[j-1].Count; j-- {
			entries[j], entries[j-1] = entries[j-1], entries[j]
		}
	}
	return entries[:n]
}
