// Package ratelimit implements a token-bucket rate limiter.
package ratelimit

import "time"

// Limiter allows `rate` events per second on average, with bursts of up to `burst`.
type Limiter struct {
	rate   int
	burst  int
	tokens int
	last   time.Time
	clock  Clock
}

// New returns a limiter whose bucket starts full.
func New(rate, burst int, clock Clock) *Limiter {
	if clock == nil {
		clock = SystemClock
	}
	return &Limiter{rate: rate, burst: burst, tokens: burst, last: clock.Now(), clock: clock}
}

func (l *Limiter) refill() {
	now := l.clock.Now()
	elapsed := now.Sub(l.last)
	l.tokens += int(elapsed.Seconds()) * l.rate
	l.last = now
}

// Allow reports whether an event may happen now, taking a token if so.
func (l *Limiter) Allow() bool {
	l.refill()
	if l.tokens > 0 {
		l.tokens--
		return true
	}
	return false
}
