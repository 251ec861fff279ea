package pipeline

import (
	"context"
	"errors"
	"fmt"
	"math/rand"
	"runtime"
	"sync/atomic"
	"testing"
	"time"
)

type outcome[R any] struct {
	out []R
	err error
}

// run calls Map in a goroutine and fails the test if it has not returned within d.
func run[T, R any](t *testing.T, d time.Duration, ctx context.Context, in []T, workers int,
	fn func(context.Context, T) (R, error)) ([]R, error) {
	t.Helper()
	done := make(chan outcome[R], 1)
	go func() {
		out, err := Map(ctx, in, workers, fn)
		done <- outcome[R]{out, err}
	}()
	select {
	case o := <-done:
		return o.out, o.err
	case <-time.After(d):
		t.Fatalf("Map did not return within %v", d)
		return nil, nil
	}
}

func ints(n int) []int {
	in := make([]int, n)
	for i := range in {
		in[i] = i
	}
	return in
}

// settle waits for the goroutine count to drop back to base (goroutines of finished tests may still exit).
func settle(t *testing.T, base int) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Second)
	for runtime.NumGoroutine() > base {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<16)
			t.Fatalf("%d goroutines left behind (had %d):\n%s", runtime.NumGoroutine()-base, base,
				buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestResultsInInputOrder(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	delays := make([]time.Duration, 40)
	for i := range delays {
		delays[i] = time.Duration(r.Intn(8)) * time.Millisecond
	}
	square := func(_ context.Context, i int) (string, error) {
		time.Sleep(delays[i])
		return fmt.Sprint(i * i), nil
	}
	out, err := run(t, 5*time.Second, context.Background(), ints(40), 6, square)
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range out {
		if v != fmt.Sprint(i*i) {
			t.Fatalf("out[%d] = %s, want %d (results out of order: %v)", i, v, i*i, out)
		}
	}
	if len(out) != 40 {
		t.Fatalf("len(out) = %d", len(out))
	}
}

func TestConcurrencyLimit(t *testing.T) {
	var running, peak int64
	_, err := run(t, 5*time.Second, context.Background(), ints(30), 3, func(_ context.Context, i int) (int, error) {
		n := atomic.AddInt64(&running, 1)
		for {
			p := atomic.LoadInt64(&peak)
			if n <= p || atomic.CompareAndSwapInt64(&peak, p, n) {
				break
			}
		}
		time.Sleep(2 * time.Millisecond)
		atomic.AddInt64(&running, -1)
		return i, nil
	})
	if err != nil || peak > 3 || peak < 2 {
		t.Fatalf("err=%v, peak concurrency %d, want at most 3 (and some concurrency)", err, peak)
	}
}

func TestErrorCancelsRunningCallsAndStartsNoMore(t *testing.T) {
	base := runtime.NumGoroutine()
	boom := errors.New("boom")
	var started, finished int64
	_, err := run(t, 5*time.Second, context.Background(), ints(50), 4, func(ctx context.Context, i int) (int, error) {
		atomic.AddInt64(&started, 1)
		defer atomic.AddInt64(&finished, 1)
		if i == 2 {
			time.Sleep(20 * time.Millisecond)
			return 0, boom
		}
		select {
		case <-ctx.Done():
			time.Sleep(30 * time.Millisecond) // cleaning up
			return 0, ctx.Err()
		case <-time.After(3 * time.Second):
			return i, nil
		}
	})
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v, want boom", err)
	}
	if s, f := atomic.LoadInt64(&started), atomic.LoadInt64(&finished); s != f {
		t.Fatalf("Map returned while %d of %d calls were still running", s-f, s)
	}
	if s := atomic.LoadInt64(&started); s > 4 {
		t.Fatalf("%d calls started, want at most 4 (no new calls after the error)", s)
	}
	settle(t, base)
}

func TestFirstErrorWins(t *testing.T) {
	first, second := errors.New("first"), errors.New("second")
	_, err := run(t, 5*time.Second, context.Background(), ints(3), 3, func(ctx context.Context, i int) (int, error) {
		switch i {
		case 1:
			time.Sleep(40 * time.Millisecond)
			return 0, second // ignores the cancellation
		case 2:
			time.Sleep(5 * time.Millisecond)
			return 0, first
		}
		return i, nil
	})
	if err != first {
		t.Fatalf("err = %v, want first", err)
	}
}

func TestCallerCancels(t *testing.T) {
	base := runtime.NumGoroutine()
	ctx, cancel := context.WithCancel(context.Background())
	var started int64
	go func() {
		time.Sleep(30 * time.Millisecond)
		cancel()
	}()
	begin := time.Now()
	_, err := run(t, 5*time.Second, ctx, ints(100), 2, func(ctx context.Context, i int) (int, error) {
		atomic.AddInt64(&started, 1)
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-time.After(time.Second):
			return i, nil
		}
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if elapsed := time.Since(begin); elapsed > time.Second {
		t.Fatalf("Map took %v after the cancel", elapsed)
	}
	if s := atomic.LoadInt64(&started); s > 2 {
		t.Fatalf("%d calls started, want 2", s)
	}
	settle(t, base)
}

func TestAlreadyCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var calls int64
	_, err := run(t, 2*time.Second, ctx, ints(10), 2, func(_ context.Context, i int) (int, error) {
		atomic.AddInt64(&calls, 1)
		return i, nil
	})
	if !errors.Is(err, context.Canceled) || calls != 0 {
		t.Fatalf("err = %v after %d calls, want context.Canceled and no call", err, calls)
	}
}

func identity(_ context.Context, i int) (int, error) { return i, nil }

func TestBadWorkersAndEmptyInput(t *testing.T) {
	for _, w := range []int{0, -1} {
		if _, err := run(t, 2*time.Second, context.Background(), ints(3), w, identity); err == nil {
			t.Fatalf("workers=%d: no error", w)
		}
	}
	out, err := run(t, 2*time.Second, context.Background(), []int{}, 4, identity)
	if err != nil || len(out) != 0 {
		t.Fatalf("empty input: %v, %v", out, err)
	}
}

func TestNoLeakAfterSuccess(t *testing.T) {
	base := runtime.NumGoroutine()
	for round := 0; round < 20; round++ {
		if _, err := run(t, 2*time.Second, context.Background(), ints(10), 8, identity); err != nil {
			t.Fatal(err)
		}
	}
	settle(t, base)
}
