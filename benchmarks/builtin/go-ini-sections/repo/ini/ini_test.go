package ini

import "testing"

func TestSimpleSection(t *testing.T) {
	f, err := Parse("[a]\nx = 1\n")
	if err != nil {
		t.Fatal(err)
	}
	if v, ok := f.Get("a", "x"); !ok || v != "1" {
		t.Fatalf("Get(a, x) = %q, %v", v, ok)
	}
}
