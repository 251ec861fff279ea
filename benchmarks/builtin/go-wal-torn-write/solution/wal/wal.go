// Package wal is an append-only write-ahead log of binary records.
//
// Each record is stored as a 4-byte little-endian length, the 4-byte little-endian CRC-32 (IEEE) of the
// data, then the data itself.
//
// A crash during Append can leave a torn last record: the file ends inside it, or its data never reached the
// disk and its checksum does not match. That is expected and is cut off; damage anywhere else is ErrCorrupt.
package wal

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
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

// Open opens the log at path for appending, creating it if needed. A torn last record is truncated away so
// that new records follow the last complete one; a corrupt log is refused and left as it is.
func Open(path string) (*Log, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	_, end, size, err := scan(f)
	if err == nil && end < size {
		if err = f.Truncate(end); err == nil {
			err = f.Sync()
		}
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return &Log{f: f}, nil
}

// Append writes one record and syncs it to disk.
func (l *Log) Append(data []byte) error {
	if len(data) > MaxRecordSize {
		return fmt.Errorf("%w: %d bytes (at most %d)", ErrTooLarge, len(data), MaxRecordSize)
	}
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

// ReadAll returns the records of the log at path, oldest first (none if the file does not exist). A torn last
// record is left out; on corruption it returns the records before the bad one and an error wrapping
// ErrCorrupt.
func ReadAll(path string) ([][]byte, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	records, _, _, err := scan(f)
	return records, err
}

// scan reads the records from the start of f. It returns them, the offset just past the last good one, the
// file's size, and an error for corruption (a torn last record is not an error). A record's length is checked
// against what the file holds before anything is allocated for it.
func scan(f *os.File) (records [][]byte, end, size int64, err error) {
	info, err := f.Stat()
	if err != nil {
		return nil, 0, 0, err
	}
	size = info.Size()
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, 0, size, err
	}
	r := bufio.NewReader(f)
	for end+headerSize <= size {
		var header [headerSize]byte
		if _, err := io.ReadFull(r, header[:]); err != nil {
			return records, end, size, err
		}
		n := int64(binary.LittleEndian.Uint32(header[0:4]))
		next := end + headerSize + n
		if next > size {
			break // the file ends inside this record: torn
		}
		last := next == size
		if n > MaxRecordSize {
			if last {
				break
			}
			return records, end, size, fmt.Errorf("%w at offset %d: length %d is over the maximum", ErrCorrupt, end, n)
		}
		data := make([]byte, n)
		if _, err := io.ReadFull(r, data); err != nil {
			return records, end, size, err
		}
		if crc32.ChecksumIEEE(data) != binary.LittleEndian.Uint32(header[4:8]) {
			if last {
				break // the data of the last write did not reach the disk: torn
			}
			return records, end, size, fmt.Errorf("%w at offset %d: checksum mismatch", ErrCorrupt, end)
		}
		records = append(records, data)
		end = next
	}
	return records, end, size, nil
}
