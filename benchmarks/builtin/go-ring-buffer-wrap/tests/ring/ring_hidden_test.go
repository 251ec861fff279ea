package ring

import (
	"fmt"
	"reflect"
	"testing"
)

func pushN(b *Buffer, n int) {
	for i := 1; i <= n; i++ {
		b.Push(fmt.Sprintf("line %d", i))
	}
}

func TestItemsAfterWrap(t *testing.T) {
	b := New(4)
	pushN(b, 6)
	want := []string{"line 3", "line 4", "line 5", "line 6"}
	if got := b.Items(); !reflect.DeepEqual(got, want) {
		t.Fatalf("Items() = %v, want %v", got, want)
	}
	if b.Len() != 4 || b.Cap() != 4 {
		t.Fatalf("Len()=%d Cap()=%d", b.Len(), b.Cap())
	}
}

func TestManyWraps(t *testing.T) {
	b := New(3)
	pushN(b, 100)
	want := []string{"line 98", "line 99", "line 100"}
	if got := b.Items(); !reflect.DeepEqual(got, want) {
		t.Fatalf("Items() = %v, want %v", got, want)
	}
}

func TestExactlyFull(t *testing.T) {
	b := New(3)
	pushN(b, 3)
	if got := b.Items(); !reflect.DeepEqual(got, []string{"line 1", "line 2", "line 3"}) {
		t.Fatalf("Items() = %v", got)
	}
}

func TestLast(t *testing.T) {
	b := New(5)
	pushN(b, 7)
	if got := b.Last(2); !reflect.DeepEqual(got, []string{"line 6", "line 7"}) {
		t.Fatalf("Last(2) = %v", got)
	}
	if got := b.Last(9); len(got) != 5 || got[0] != "line 3" {
		t.Fatalf("Last(9) = %v", got)
	}
	if got := b.Last(0); len(got) != 0 {
		t.Fatalf("Last(0) = %v", got)
	}
}

func TestItemsIsACopy(t *testing.T) {
	b := New(2)
	pushN(b, 3)
	items := b.Items()
	items[0] = "changed"
	if b.Items()[0] != "line 2" {
		t.Fatal("Items() must return a copy")
	}
}
