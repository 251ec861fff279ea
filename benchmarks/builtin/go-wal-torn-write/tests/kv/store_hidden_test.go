package kv

import (
	"os"
	"path/filepath"
	"testing"
)

func TestStoreSurvivesATornWrite(t *testing.T) {
	path := filepath.Join(t.TempDir(), "data.wal")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	s.Set("a", "1")
	s.Set("b", "2")
	s.Set("c", "3")
	s.Close()
	info, _ := os.Stat(path)
	if err := os.Truncate(path, info.Size()-2); err != nil { // the power went during the last write
		t.Fatal(err)
	}
	s, err = Open(path)
	if err != nil {
		t.Fatalf("Open after a torn write: %v", err)
	}
	if _, ok := s.Get("c"); ok || s.Len() != 2 {
		t.Fatalf("after the torn write: len=%d", s.Len())
	}
	s.Set("d", "4")
	s.Delete("a")
	s.Close()
	s, err = Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	b, _ := s.Get("b")
	d, _ := s.Get("d")
	if _, ok := s.Get("a"); ok || b != "2" || d != "4" || s.Len() != 2 {
		t.Fatalf("after restart: b=%q d=%q len=%d", b, d, s.Len())
	}
}
