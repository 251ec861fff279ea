// Package roman converts between integers and Roman numerals.
package roman

import (
	"errors"
	"fmt"
	"strings"
)

var (
	// ErrInvalid is returned (wrapped) for text that is not a valid Roman numeral.
	ErrInvalid = errors.New("roman: invalid numeral")
	// ErrRange is returned (wrapped) for numbers that have no Roman numeral.
	ErrRange = errors.New("roman: number out of range")
)

var values = map[byte]int{'I': 1, 'V': 5, 'X': 10, 'L': 50, 'C': 100, 'D': 500, 'M': 1000}

var table = []struct {
	value  int
	symbol string
}{
	{1000, "M"}, {900, "CM"}, {500, "D"}, {400, "CD"}, {100, "C"}, {90, "XC"},
	{50, "L"}, {40, "XL"}, {10, "X"}, {9, "IX"}, {5, "V"}, {4, "IV"}, {1, "I"},
}

// Parse returns the value of a Roman numeral such as "MCMXCIV" (or "mcmxciv"). Only the standard form is
// accepted: the one Format writes, for 1 to 3999.
func Parse(s string) (int, error) {
	upper := asciiUpper(s)
	if upper == "" {
		return 0, fmt.Errorf("%w: empty string", ErrInvalid)
	}
	total := 0
	for i := 0; i < len(upper); i++ {
		v, ok := values[upper[i]]
		if !ok {
			return 0, fmt.Errorf("%w: bad character %q in %q", ErrInvalid, upper[i], s)
		}
		if i+1 < len(upper) && values[upper[i+1]] > v {
			total -= v
		} else {
			total += v
		}
	}
	// Anything but the standard spelling of the total ("IIII", "VX", "IC", "MMMM") is rejected.
	if canonical, err := Format(total); err != nil || canonical != upper {
		return 0, fmt.Errorf("%w: %q is not a standard numeral", ErrInvalid, s)
	}
	return total, nil
}

// asciiUpper upper-cases ASCII letters only, so that no other character can turn into a numeral letter.
func asciiUpper(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'a' <= c && c <= 'z' {
			b[i] = c - 'a' + 'A'
		}
	}
	return string(b)
}

// Format returns the Roman numeral for n, which must be between 1 and 3999.
func Format(n int) (string, error) {
	if n < 1 || n > 3999 {
		return "", fmt.Errorf("%w: %d (want 1 to 3999)", ErrRange, n)
	}
	var b strings.Builder
	for _, t := range table {
		for n >= t.value {
			b.WriteString(t.symbol)
			n -= t.value
		}
	}
	return b.String(), nil
}
