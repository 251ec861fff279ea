package ring

import (
	"reflect"
	"testing"
)

func TestPushBeforeWrap(t *testing.T) {
	b := New(3)
	b.Push("a")
	b.Push("b")
	if got := b.Items(); !reflect.DeepEqual(got, []string{"a", "b"}) {
		t.Fatalf("Items() = %v", got)
	}
}
