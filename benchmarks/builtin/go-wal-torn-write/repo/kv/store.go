// Package kv is a small persistent key-value store: every change is a record in a write-ahead log, replayed
// when the store is opened.
package kv

import (
	"fmt"
	"strings"

	"example.com/tinykv/wal"
)

// Store maps string keys to string values.
type Store struct {
	log  *wal.Log
	data map[string]string
}

// Open replays the log at path and opens it for new changes.
func Open(path string) (*Store, error) {
	records, err := wal.ReadAll(path)
	if err != nil {
		return nil, fmt.Errorf("replaying %s: %w", path, err)
	}
	s := &Store{data: make(map[string]string)}
	for _, rec := range records {
		if err := s.apply(rec); err != nil {
			return nil, err
		}
	}
	if s.log, err = wal.Open(path); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *Store) apply(rec []byte) error {
	parts := strings.SplitN(string(rec), "\x00", 3)
	switch {
	case parts[0] == "set" && len(parts) == 3:
		s.data[parts[1]] = parts[2]
	case parts[0] == "del" && len(parts) == 2:
		delete(s.data, parts[1])
	default:
		return fmt.Errorf("kv: unknown log record %q", rec)
	}
	return nil
}

func (s *Store) write(rec string) error {
	if err := s.log.Append([]byte(rec)); err != nil {
		return err
	}
	return s.apply([]byte(rec))
}

// Set stores value under key.
func (s *Store) Set(key, value string) error { return s.write("set\x00" + key + "\x00" + value) }

// Delete removes key.
func (s *Store) Delete(key string) error { return s.write("del\x00" + key) }

// Get returns the value stored under key.
func (s *Store) Get(key string) (string, bool) {
	v, ok := s.data[key]
	return v, ok
}

// Len is the number of keys.
func (s *Store) Len() int { return len(s.data) }

// Close closes the log.
func (s *Store) Close() error { return s.log.Close() }
