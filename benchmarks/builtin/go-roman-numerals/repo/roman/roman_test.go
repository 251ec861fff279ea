package roman

import "testing"

func TestParseValid(t *testing.T) {
	for s, want := range map[string]int{"III": 3, "IV": 4, "IX": 9, "LVIII": 58, "MCMXCIV": 1994} {
		got, err := Parse(s)
		if err != nil || got != want {
			t.Errorf("Parse(%q) = %d, %v; want %d", s, got, err, want)
		}
	}
}

func TestFormat(t *testing.T) {
	if got, err := Format(2024); err != nil || got != "MMXXIV" {
		t.Fatalf("Format(2024) = %q, %v", got, err)
	}
}
