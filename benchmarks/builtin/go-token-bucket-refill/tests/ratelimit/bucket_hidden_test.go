package ratelimit

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func drain(l *Limiter) int {
	n := 0
	for l.Allow() {
		n++
	}
	return n
}

func TestFractionalRefill(t *testing.T) {
	clock := &fakeClock{now: time.Unix(1000, 0)}
	l := New(5, 10, clock)
	drain(l)
	allowed := 0
	for i := 0; i < 100; i++ { // 10 seconds of polling every 100 ms
		clock.Advance(100 * time.Millisecond)
		if l.Allow() {
			allowed++
		}
	}
	if allowed < 49 || allowed > 51 {
		t.Fatalf("allowed %d of 100 polls over 10s at rate 5, want about 50", allowed)
	}
}

func TestBurstCap(t *testing.T) {
	clock := &fakeClock{now: time.Unix(1000, 0)}
	l := New(5, 10, clock)
	drain(l)
	clock.Advance(time.Hour)
	if got := drain(l); got != 10 {
		t.Fatalf("after an idle hour %d requests allowed at once, want burst 10", got)
	}
}

func TestSlowRate(t *testing.T) {
	clock := &fakeClock{now: time.Unix(1000, 0)}
	l := New(1, 1, clock)
	drain(l)
	for i := 0; i < 3; i++ {
		clock.Advance(600 * time.Millisecond)
		l.Allow()
	}
	// 1.8 s elapsed: one token earned at 1.0 s was spent at 1.2 s; 0.6 s of credit remains.
	clock.Advance(400 * time.Millisecond)
	if !l.Allow() {
		t.Fatal("a full token should have accumulated after 2 s")
	}
}

func TestConcurrentAllow(t *testing.T) {
	clock := &fakeClock{now: time.Unix(1000, 0)}
	l := New(1, 500, clock)
	var ok int64
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 200; i++ {
				if l.Allow() {
					atomic.AddInt64(&ok, 1)
				}
			}
		}()
	}
	wg.Wait()
	if ok != 500 {
		t.Fatalf("%d tokens handed out from a bucket of 500", ok)
	}
}
