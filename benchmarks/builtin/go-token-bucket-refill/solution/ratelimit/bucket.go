// Package ratelimit implements a token-bucket rate limiter.
package ratelimit

import (
	"sync"
	"time"
)

// Limiter allows `rate` events per second on average, with bursts of up to `burst`. Safe for concurrent use.
type Limiter struct {
	mu     sync.Mutex
	rate   float64
	burst  float64
	tokens float64 // fractional, so slow refills are not lost to rounding
	last   time.Time
	clock  Clock
}

// New returns a limiter whose bucket starts full.
func New(rate, burst int, clock Clock) *Limiter {
	if clock == nil {
		clock = SystemClock
	}
	return &Limiter{rate: float64(rate), burst: float64(burst), tokens: float64(burst), last: clock.Now(), clock: clock}
}

// refill adds the tokens earned since the last call, capped at burst. Caller holds mu.
func (l *Limiter) refill() {
	now := l.clock.Now()
	if elapsed := now.Sub(l.last); elapsed > 0 {
		l.tokens += elapsed.Seconds() * l.rate
		if l.tokens > l.burst {
			l.tokens = l.burst
		}
		l.last = now
	}
}

// Allow reports whether an event may happen now, taking a token if so.
func (l *Limiter) Allow() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.refill()
	if l.tokens >= 1 {
		l.tokens--
		return true
	}
	return false
}
