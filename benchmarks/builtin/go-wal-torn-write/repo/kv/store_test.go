package kv

import (
	"path/filepath"
	"testing"
)

func TestReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "data.wal")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	s.Set("a", "1")
	s.Set("b", "2")
	s.Delete("a")
	s.Close()
	s, err = Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if v, ok := s.Get("b"); !ok || v != "2" || s.Len() != 1 {
		t.Fatalf("after reopen: b=%q ok=%v len=%d", v, ok, s.Len())
	}
}
