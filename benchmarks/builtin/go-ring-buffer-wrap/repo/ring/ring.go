// Package ring keeps the most recent items in a fixed-size buffer.
package ring

// Buffer is a fixed-capacity ring of strings; pushing onto a full buffer drops the oldest item.
type Buffer struct {
	items []string
	next  int // slot the next Push writes
	count int
}

// New returns an empty buffer holding at most capacity items.
func New(capacity int) *Buffer {
	if capacity < 1 {
		panic("ring: capacity must be positive")
	}
	return &Buffer{items: make([]string, capacity)}
}

// Push adds an item, overwriting the oldest one when the buffer is full.
func (b *Buffer) Push(s string) {
	b.items[b.next] = s
	b.next = (b.next + 1) % len(b.items)
	b.count++
}

// Len is the number of items held.
func (b *Buffer) Len() int { return b.count }

// Cap is the most items the buffer holds.
func (b *Buffer) Cap() int { return len(b.items) }

// Items returns the held items, oldest first.
func (b *Buffer) Items() []string {
	if b.count < len(b.items) {
		return append([]string(nil), b.items[:b.count]...)
	}
	return append([]string(nil), b.items...)
}

// Last returns the newest n items, oldest first.
func (b *Buffer) Last(n int) []string {
	items := b.Items()
	if n > len(items) {
		n = len(items)
	}
	return items[len(items)-n:]
}
