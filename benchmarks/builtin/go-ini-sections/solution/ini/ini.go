// Package ini reads simple INI files.
package ini

import (
	"bufio"
	"fmt"
	"strings"
)

// File maps section name -> key -> value. Keys before the first section live in section "".
type File map[string]map[string]string

// Get returns a value, and whether it was set.
func (f File) Get(section, key string) (string, bool) {
	v, ok := f[strings.ToLower(section)][strings.ToLower(key)]
	return v, ok
}

// stripComment removes a ';' or '#' comment that follows whitespace.
func stripComment(value string) string {
	for i := 1; i < len(value); i++ {
		if (value[i] == ';' || value[i] == '#') && (value[i-1] == ' ' || value[i-1] == '\t') {
			return value[:i]
		}
	}
	return value
}

// Parse reads INI text.
func Parse(text string) (File, error) {
	f := File{"": {}}
	section := f[""]
	scanner := bufio.NewScanner(strings.NewReader(text))
	for lineNo := 1; scanner.Scan(); lineNo++ {
		line := strings.TrimSpace(scanner.Text())
		if line == "" || strings.HasPrefix(line, ";") || strings.HasPrefix(line, "#") {
			continue
		}
		if strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]") {
			name := strings.ToLower(strings.TrimSpace(line[1 : len(line)-1]))
			if f[name] == nil {
				f[name] = map[string]string{}
			}
			section = f[name]
			continue
		}
		key, value, found := strings.Cut(line, "=")
		key = strings.ToLower(strings.TrimSpace(key))
		if !found || key == "" {
			return nil, fmt.Errorf("ini: line %d: expected [section] or key = value", lineNo)
		}
		section[key] = strings.TrimSpace(stripComment(strings.TrimSpace(value)))
	}
	return f, scanner.Err()
}
