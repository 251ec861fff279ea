// Package wal is an append-only write-ahead log of binary records.
//
// Each record is stored as a 4-byte little-endian length, the 4-byte little-endian CRC-32 (IEEE) of the
// data, then the data itself.
package wal

import (
	"bufio"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"io"
	"os"
)

const headerSize = 8

// MaxRecordSize is the largest record Append accepts.
const MaxRecordSize = 1 << 20

var (
	// ErrCorrupt means a record in the middle of the log is damaged.
	ErrCorrupt = errors.New("wal: corrupt record")
	// ErrTooLarge means a record is larger than MaxRecordSize.
	ErrTooLarge = errors.New("wal: record too large")
)

// Log appends records to a log file.
type Log struct {
	f *os.File
}

// Open opens the log at path for appending, creating it if needed.
func Open(path string) (*Log, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	return &Log{f: f}, nil
}

// Append writes one record and syncs it to disk.
func (l *Log) Append(data []byte) error {
	buf := make([]byte, headerSize+len(data))
	binary.LittleEndian.PutUint32(buf[0:4], uint32(len(data)))
	binary.LittleEndian.PutUint32(buf[4:8], crc32.ChecksumIEEE(data))
	copy(buf[headerSize:], data)
	if _, err := l.f.Write(buf); err != nil {
		return err
	}
	return l.f.Sync()
}

// Close closes the log file.
func (l *Log) Close() error { return l.f.Close() }

// ReadAll returns the records of the log at path, oldest first (none if the file does not exist).
func ReadAll(path string) ([][]byte, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := bufio.NewReader(f)
	var records [][]byte
	for {
		var header [headerSize]byte
		if _, err := io.ReadFull(r, header[:]); err == io.EOF {
			return records, nil
		} else if err != nil {
			return nil, err
		}
		data := make([]byte, binary.LittleEndian.Uint32(header[0:4]))
		if _, err := io.ReadFull(r, data); err != nil {
			return nil, err
		}
		records = append(records, data)
	}
}
