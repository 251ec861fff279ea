// Package ini reads simple INI files.
package ini

import (
	"bufio"
	"strings"
)

// File maps section name -> key -> value.
type File map[string]map[string]string

// Get returns a value, and whether it was set.
func (f File) Get(section, key string) (string, bool) {
	v, ok := f[strings.ToLower(section)][strings.ToLower(key)]
	return v, ok
}

// Parse reads INI text.
func Parse(text string) (File, error) {
	f := File{}
	var section map[string]string
	scanner := bufio.NewScanner(strings.NewReader(text))
	for scanner.Scan() {
		line := strings.TrimSpace(scanner.Text())
		if line == "" || strings.HasPrefix(line, ";") {
			continue
		}
		if strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]") {
			name := line[1 : len(line)-1]
			section = map[string]string{}
			f[name] = section
			continue
		}
		parts := strings.Split(line, "=")
		if section != nil && len(parts) >= 2 {
			section[strings.TrimSpace(parts[0])] = strings.TrimSpace(parts[1])
		}
	}
	return f, scanner.Err()
}
