// Package pipeline runs a function over many inputs with a bounded number of goroutines.
package pipeline

import "context"

type result[R any] struct {
	index int
	value R
	err   error
}

// Map calls fn for every input, at most workers at a time, and returns the results in input order. It stops at
// the first error and returns it.
func Map[T, R any](ctx context.Context, in []T, workers int, fn func(context.Context, T) (R, error)) ([]R, error) {
	jobs := make(chan int)
	results := make(chan result[R])
	for w := 0; w < workers; w++ {
		go func() {
			for i := range jobs {
				v, err := fn(ctx, in[i])
				results <- result[R]{i, v, err}
			}
		}()
	}
	go func() {
		for i := range in {
			jobs <- i
		}
		close(jobs)
	}()

	out := make([]R, 0, len(in))
	for range in {
		r := <-results
		if r.err != nil {
			return nil, r.err
		}
		out = append(out, r.value)
	}
	return out, nil
}
