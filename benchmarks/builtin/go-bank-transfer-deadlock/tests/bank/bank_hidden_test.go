package bank

import (
	"errors"
	"math/rand"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// within fails the test if f has not returned after d (a deadlock leaves its goroutines stuck, not the test).
func within(t *testing.T, d time.Duration, what string, f func()) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		f()
	}()
	select {
	case <-done:
	case <-time.After(d):
		t.Fatalf("%s did not finish within %v (deadlock?)", what, d)
	}
}

func newBank(t *testing.T, balances map[int]int64) *Bank {
	t.Helper()
	b := New()
	for id, balance := range balances {
		if err := b.Open(id, balance); err != nil {
			t.Fatal(err)
		}
	}
	return b
}

func parallel(t *testing.T) {
	prev := runtime.GOMAXPROCS(4)
	t.Cleanup(func() { runtime.GOMAXPROCS(prev) })
}

func TestOppositeAndCyclicTransfersDoNotDeadlock(t *testing.T) {
	parallel(t)
	b := newBank(t, map[int]int64{1: 1_000_000, 2: 1_000_000, 3: 1_000_000})
	routes := [][2]int{{1, 2}, {2, 1}, {2, 3}, {3, 2}, {3, 1}, {1, 3}}
	within(t, 10*time.Second, "concurrent transfers", func() {
		var wg sync.WaitGroup
		for _, r := range routes {
			wg.Add(1)
			go func(from, to int) {
				defer wg.Done()
				for i := 0; i < 20000; i++ {
					if err := b.Transfer(from, to, 1); err != nil {
						t.Errorf("Transfer(%d, %d, 1): %v", from, to, err)
						return
					}
				}
			}(r[0], r[1])
		}
		wg.Wait()
	})
	for id := 1; id <= 3; id++ {
		if got, _ := b.Balance(id); got != 1_000_000 {
			t.Errorf("balance %d = %d, want 1000000", id, got)
		}
	}
}

func TestSameAccount(t *testing.T) {
	b := newBank(t, map[int]int64{7: 500})
	within(t, 3*time.Second, "Transfer(7, 7, 100)", func() {
		if err := b.Transfer(7, 7, 100); !errors.Is(err, ErrSameAccount) {
			t.Errorf("Transfer(7, 7, 100) = %v, want ErrSameAccount", err)
		}
	})
	if got, _ := b.Balance(7); got != 500 {
		t.Fatalf("balance = %d, want 500", got)
	}
}

func TestBadAmounts(t *testing.T) {
	b := newBank(t, map[int]int64{1: 100, 2: 100})
	for _, amount := range []int64{0, -500} {
		within(t, 3*time.Second, "Transfer", func() {
			if err := b.Transfer(1, 2, amount); !errors.Is(err, ErrBadAmount) {
				t.Errorf("Transfer(1, 2, %d) = %v, want ErrBadAmount", amount, err)
			}
		})
	}
	if s := b.Snapshot(); s[1] != 100 || s[2] != 100 {
		t.Fatalf("balances changed: %v", s)
	}
}

func TestErrorsChangeNothing(t *testing.T) {
	b := newBank(t, map[int]int64{1: 100, 2: 50})
	within(t, 3*time.Second, "failing transfers", func() {
		if err := b.Transfer(1, 9, 10); !errors.Is(err, ErrNoAccount) {
			t.Errorf("to unknown account: %v", err)
		}
		if err := b.Transfer(9, 1, 10); !errors.Is(err, ErrNoAccount) {
			t.Errorf("from unknown account: %v", err)
		}
		if err := b.Transfer(2, 1, 51); !errors.Is(err, ErrInsufficientFunds) {
			t.Errorf("overdraft: %v", err)
		}
		if err := b.Transfer(2, 1, 50); err != nil {
			t.Errorf("emptying an account: %v", err)
		}
	})
	if s := b.Snapshot(); s[1] != 150 || s[2] != 0 || len(s) != 2 {
		t.Fatalf("balances = %v, want map[1:150 2:0]", s)
	}
}

func TestNoOverdraftUnderConcurrency(t *testing.T) {
	parallel(t)
	for round := 0; round < 200; round++ {
		b := newBank(t, map[int]int64{1: 1000, 2: 0, 3: 0})
		var ok int64
		within(t, 5*time.Second, "competing withdrawals", func() {
			var wg sync.WaitGroup
			for g := 0; g < 8; g++ {
				wg.Add(1)
				go func(to int) {
					defer wg.Done()
					for {
						err := b.Transfer(1, to, 7)
						if errors.Is(err, ErrInsufficientFunds) {
							return
						}
						if err != nil {
							t.Errorf("Transfer: %v", err)
							return
						}
						atomic.AddInt64(&ok, 1)
					}
				}(2 + g%2)
			}
			wg.Wait()
		})
		// 1000 = 142 * 7 + 6
		if got, _ := b.Balance(1); ok != 142 || got != 6 {
			t.Fatalf("round %d: %d withdrawals of 7 from 1000 succeeded, balance left %d; want 142 and 6",
				round, ok, got)
		}
	}
}

func TestSnapshotIsConsistentDuringTransfers(t *testing.T) {
	parallel(t)
	balances := map[int]int64{}
	for id := 1; id <= 10; id++ {
		balances[id] = 1000
	}
	b := newBank(t, balances)
	within(t, 15*time.Second, "transfers with audits", func() {
		var wg sync.WaitGroup
		var running int64 = 4
		for g := 0; g < 4; g++ {
			wg.Add(1)
			go func(seed int64) {
				defer wg.Done()
				defer atomic.AddInt64(&running, -1)
				r := rand.New(rand.NewSource(seed))
				for i := 0; i < 30000; i++ {
					from, to := 1+r.Intn(10), 1+r.Intn(10)
					if from == to {
						continue
					}
					_ = b.Transfer(from, to, int64(1+r.Intn(300)))
				}
			}(int64(g))
		}
		audits := 0
		for atomic.LoadInt64(&running) > 0 || audits < 100 {
			if total := b.Total(); total != 10_000 {
				t.Errorf("Total() = %d during transfers, want 10000", total)
				break
			}
			var sum int64
			for id, balance := range b.Snapshot() {
				if balance < 0 {
					t.Errorf("account %d has a negative balance %d", id, balance)
				}
				sum += balance
			}
			if sum != 10_000 {
				t.Errorf("Snapshot() sums to %d during transfers, want 10000", sum)
				break
			}
			audits++
		}
		wg.Wait()
	})
	if total := b.Total(); total != 10_000 {
		t.Fatalf("Total() = %d after transfers, want 10000", total)
	}
}
