// Package pipeline runs a function over many inputs with a bounded number of goroutines.
package pipeline

import (
	"context"
	"errors"
	"sync"
)

// ErrWorkers is returned when Map is asked for fewer than one worker.
var ErrWorkers = errors.New("pipeline: workers must be at least 1")

// Map calls fn for every input, at most workers at a time, and returns the results in input order.
//
// At the first error Map cancels the context passed to fn, starts no new calls and returns that error; when
// the caller's context is cancelled it starts no new calls and returns the context's error. Either way it
// returns only after every call it started has returned, leaving no goroutine behind.
func Map[T, R any](ctx context.Context, in []T, workers int, fn func(context.Context, T) (R, error)) ([]R, error) {
	if workers < 1 {
		return nil, ErrWorkers
	}
	parent := ctx
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	out := make([]R, len(in))
	var (
		mu       sync.Mutex
		next     int
		firstErr error
		wg       sync.WaitGroup
	)
	// take hands out the next input index, or false once everything is handed out or Map is stopping.
	take := func() (int, bool) {
		mu.Lock()
		defer mu.Unlock()
		if firstErr != nil || ctx.Err() != nil || next >= len(in) {
			return 0, false
		}
		next++
		return next - 1, true
	}
	fail := func(err error) {
		mu.Lock()
		defer mu.Unlock()
		if firstErr == nil {
			firstErr = err
			cancel()
		}
	}
	for w := 0; w < workers && w < len(in); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i, ok := take()
				if !ok {
					return
				}
				v, err := fn(ctx, in[i])
				if err != nil {
					fail(err)
					return
				}
				out[i] = v // each index is written by one goroutine only
			}
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}
	if err := parent.Err(); err != nil {
		return nil, err
	}
	return out, nil
}
