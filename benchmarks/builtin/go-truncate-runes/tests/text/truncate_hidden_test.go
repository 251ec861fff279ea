package text

import (
	"testing"
	"unicode/utf8"
)

func TestTruncateRunes(t *testing.T) {
	cases := []struct {
		in   string
		max  int
		want string
	}{
		{"Überweisung fehlgeschlagen", 10, "Überweisu…"},
		{"請求書のPDFが文字化けする", 6, "請求書のP…"},
		{"請求書", 3, "請求書"},
		{"請求書の", 3, "請求…"},
		{"Export 🚀 button", 9, "Export 🚀…"},
		{"Grüße", 5, "Grüße"},
		{"Grüße!", 5, "Grüß…"},
		{"hello world", 7, "hello…"},
		{"hello   world", 9, "hello…"},
		{"abc", 0, ""},
		{"abc", -3, ""},
		{"", 0, ""},
		{"", 4, ""},
		{"abc", 1, "…"},
		{"a", 1, "a"},
		{"ab", 2, "ab"},
		{"abc", 2, "a…"},
	}
	for _, c := range cases {
		got := Truncate(c.in, c.max)
		if got != c.want {
			t.Errorf("Truncate(%q, %d) = %q, want %q", c.in, c.max, got, c.want)
		}
		if !utf8.ValidString(got) {
			t.Errorf("Truncate(%q, %d) = %q is not valid UTF-8", c.in, c.max, got)
		}
		if c.max >= 0 && utf8.RuneCountInString(got) > c.max {
			t.Errorf("Truncate(%q, %d) = %q is longer than %d runes", c.in, c.max, got, c.max)
		}
	}
}

func TestEveryWidth(t *testing.T) {
	s := "Ärger mit 日本語 und 🚀 emoji"
	for max := 0; max <= utf8.RuneCountInString(s)+1; max++ {
		got := Truncate(s, max)
		if !utf8.ValidString(got) || utf8.RuneCountInString(got) > max {
			t.Fatalf("Truncate(%q, %d) = %q", s, max, got)
		}
	}
}
