package ratelimit

import "testing"

func TestBurstAtStart(t *testing.T) {
	l := New(1, 3, nil)
	for i := 0; i < 3; i++ {
		if !l.Allow() {
			t.Fatalf("request %d refused", i)
		}
	}
	if l.Allow() {
		t.Fatal("fourth request allowed")
	}
}
