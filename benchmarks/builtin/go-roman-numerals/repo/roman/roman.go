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

// Parse returns the value of a Roman numeral such as "MCMXCIV".
func Parse(s string) (int, error) {
	total := 0
	for i := 0; i < len(s); i++ {
		v, ok := values[s[i]]
		if !ok {
			return 0, fmt.Errorf("%w: bad character %q in %q", ErrInvalid, s[i], s)
		}
		if i+1 < len(s) && values[s[i+1]] > v {
			total -= v
		} else {
			total += v
		}
	}
	return total, nil
}

// Format returns the Roman numeral for n.
func Format(n int) (string, error) {
	var b strings.Builder
	for _, t := range table {
		for n >= t.value {
			b.WriteString(t.symbol)
			n -= t.value
		}
	}
	return b.String(), nil
}
