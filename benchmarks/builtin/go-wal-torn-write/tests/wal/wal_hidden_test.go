package wal

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

var recs = [][]byte{[]byte("first record"), []byte("second, a little longer record"), []byte("third")}

// offsets[i] is where record i starts; offsets[len(recs)] is the file size.
func writeLog(t *testing.T) (string, []int64) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "test.wal")
	l, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	offsets := []int64{0}
	for _, r := range recs {
		if err := l.Append(r); err != nil {
			t.Fatal(err)
		}
		offsets = append(offsets, offsets[len(offsets)-1]+headerSize+int64(len(r)))
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	return path, offsets
}

func same(a, b [][]byte) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !bytes.Equal(a[i], b[i]) {
			return false
		}
	}
	return true
}

func size(t *testing.T, path string) int64 {
	t.Helper()
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return info.Size()
}

func flip(t *testing.T, path string, at int64) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	data[at] ^= 0x10
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestTornLastRecordAtEveryLength(t *testing.T) {
	path, offsets := writeLog(t)
	for cut := offsets[2] + 1; cut < offsets[3]; cut++ {
		if err := os.Truncate(path, cut); err != nil {
			t.Fatal(err)
		}
		got, err := ReadAll(path)
		if err != nil || !same(got, recs[:2]) {
			t.Fatalf("cut at %d: ReadAll = %q, %v; want the first two records and no error", cut, got, err)
		}
	}
}

func TestOpenTruncatesTheTornTail(t *testing.T) {
	path, offsets := writeLog(t)
	if err := os.Truncate(path, offsets[3]-2); err != nil {
		t.Fatal(err)
	}
	l, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if size(t, path) != offsets[2] {
		t.Fatalf("size after Open = %d, want %d", size(t, path), offsets[2])
	}
	if err := l.Append([]byte("after restart")); err != nil {
		t.Fatal(err)
	}
	l.Close()
	got, err := ReadAll(path)
	want := [][]byte{recs[0], recs[1], []byte("after restart")}
	if err != nil || !same(got, want) {
		t.Fatalf("ReadAll = %q, %v; want %q", got, err, want)
	}
}

func TestTornHeader(t *testing.T) {
	path, offsets := writeLog(t)
	if err := os.Truncate(path, offsets[2]+3); err != nil {
		t.Fatal(err)
	}
	l, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	l.Append([]byte("x"))
	l.Close()
	got, err := ReadAll(path)
	if err != nil || !same(got, [][]byte{recs[0], recs[1], []byte("x")}) {
		t.Fatalf("ReadAll = %q, %v", got, err)
	}
}

func TestBadChecksumOfTheLastRecordIsTorn(t *testing.T) {
	path, offsets := writeLog(t)
	flip(t, path, offsets[2]+headerSize+1)
	got, err := ReadAll(path)
	if err != nil || !same(got, recs[:2]) {
		t.Fatalf("ReadAll = %q, %v; want the first two records", got, err)
	}
	l, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	l.Close()
	if size(t, path) != offsets[2] {
		t.Fatalf("size after Open = %d, want %d", size(t, path), offsets[2])
	}
}

func TestCorruptionInTheMiddle(t *testing.T) {
	path, offsets := writeLog(t)
	flip(t, path, offsets[1]+headerSize+4)
	got, err := ReadAll(path)
	if !errors.Is(err, ErrCorrupt) || !same(got, recs[:1]) {
		t.Fatalf("ReadAll = %q, %v; want the first record and ErrCorrupt", got, err)
	}
	if !strings.Contains(err.Error(), strconv.FormatInt(offsets[1], 10)) {
		t.Fatalf("error %q does not name offset %d", err, offsets[1])
	}
	before, _ := os.ReadFile(path)
	if _, err := Open(path); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("Open = %v, want ErrCorrupt", err)
	}
	after, _ := os.ReadFile(path)
	if !bytes.Equal(before, after) {
		t.Fatal("Open changed a corrupt log")
	}
}

func TestCorruptChecksumField(t *testing.T) {
	path, offsets := writeLog(t)
	flip(t, path, offsets[0]+5)
	if got, err := ReadAll(path); !errors.Is(err, ErrCorrupt) || len(got) != 0 {
		t.Fatalf("ReadAll = %q, %v; want nothing and ErrCorrupt", got, err)
	}
}

func TestGarbageLengthAtTheEnd(t *testing.T) {
	path, _ := writeLog(t)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.Write([]byte{0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 'a', 'b'})
	f.Close()
	got, err := ReadAll(path)
	if err != nil || !same(got, recs) {
		t.Fatalf("ReadAll = %q, %v; want all three records", got, err)
	}
}

func TestOversizedLengthInTheMiddle(t *testing.T) {
	path, _ := writeLog(t)
	var header [headerSize]byte
	binary.LittleEndian.PutUint32(header[:4], MaxRecordSize+1)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.Write(header[:])
	f.Write(make([]byte, MaxRecordSize+100))
	f.Close()
	got, err := ReadAll(path)
	if !errors.Is(err, ErrCorrupt) || !same(got, recs) {
		t.Fatalf("ReadAll = %d records, %v; want three and ErrCorrupt", len(got), err)
	}
}

func TestAppendLimits(t *testing.T) {
	path := filepath.Join(t.TempDir(), "limits.wal")
	l, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Append(make([]byte, MaxRecordSize+1)); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("Append(too large) = %v, want ErrTooLarge", err)
	}
	if size(t, path) != 0 {
		t.Fatal("a refused record was written")
	}
	if err := l.Append(nil); err != nil {
		t.Fatal(err)
	}
	if err := l.Append(bytes.Repeat([]byte("x"), MaxRecordSize)); err != nil {
		t.Fatal(err)
	}
	l.Close()
	got, err := ReadAll(path)
	if err != nil || len(got) != 2 || len(got[0]) != 0 || len(got[1]) != MaxRecordSize {
		t.Fatalf("ReadAll: %d records, %v", len(got), err)
	}
}

func TestMissingFile(t *testing.T) {
	got, err := ReadAll(filepath.Join(t.TempDir(), "nothing.wal"))
	if err != nil || len(got) != 0 {
		t.Fatalf("ReadAll = %q, %v", got, err)
	}
}
