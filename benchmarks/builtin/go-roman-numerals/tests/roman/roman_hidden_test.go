package roman

import (
	"errors"
	"testing"
)

func TestParseRejectsNonStandard(t *testing.T) {
	for _, s := range []string{
		"", "IIII", "VV", "VX", "IC", "IL", "XM", "IM", "IIX", "XXXX", "LL", "DD", "CCCC", "MMMM",
		"IVI", "IXI", "XCX", "VIV", "CMC", "IIV", "ABC", "X I", "XIV ", "Ⅻ", "-X", "0",
	} {
		if n, err := Parse(s); !errors.Is(err, ErrInvalid) {
			t.Errorf("Parse(%q) = %d, %v; want an error wrapping ErrInvalid", s, n, err)
		}
	}
}

func TestParseLowerAndMixedCase(t *testing.T) {
	for s, want := range map[string]int{"xiv": 14, "mcmxciv": 1994, "MmXxIv": 2024, "i": 1} {
		if got, err := Parse(s); err != nil || got != want {
			t.Errorf("Parse(%q) = %d, %v; want %d", s, got, err, want)
		}
	}
}

func TestRoundTripAll(t *testing.T) {
	for n := 1; n <= 3999; n++ {
		s, err := Format(n)
		if err != nil {
			t.Fatalf("Format(%d): %v", n, err)
		}
		got, err := Parse(s)
		if err != nil || got != n {
			t.Fatalf("Parse(Format(%d) = %q) = %d, %v", n, s, got, err)
		}
	}
}

func TestKnownValues(t *testing.T) {
	for s, want := range map[string]int{"MMMCMXCIX": 3999, "CDXLIV": 444, "XLIX": 49, "MMMDCCCLXXXVIII": 3888} {
		if got, err := Parse(s); err != nil || got != want {
			t.Errorf("Parse(%q) = %d, %v; want %d", s, got, err, want)
		}
	}
}

func TestFormatRange(t *testing.T) {
	for _, n := range []int{0, -1, 4000, 10000} {
		if s, err := Format(n); !errors.Is(err, ErrRange) {
			t.Errorf("Format(%d) = %q, %v; want an error wrapping ErrRange", n, s, err)
		}
	}
	if s, err := Format(3999); err != nil || s != "MMMCMXCIX" {
		t.Errorf("Format(3999) = %q, %v", s, err)
	}
}
