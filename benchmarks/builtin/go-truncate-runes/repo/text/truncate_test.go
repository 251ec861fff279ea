package text

import "testing"

func TestShortUnchanged(t *testing.T) {
	if got := Truncate("short", 10); got != "short" {
		t.Fatalf("Truncate = %q", got)
	}
}

func TestASCIICut(t *testing.T) {
	if got := Truncate("abcdefghij", 5); got != "abcd…" {
		t.Fatalf("Truncate = %q", got)
	}
}
