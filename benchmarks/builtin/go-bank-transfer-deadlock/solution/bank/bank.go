// Package bank keeps account balances in memory and moves money between them.
package bank

import (
	"fmt"
	"sort"
	"sync"
)

// Account holds one balance, in cents.
type Account struct {
	ID      int
	mu      sync.Mutex
	balance int64
}

// Bank is a set of accounts; its methods may be called from many goroutines.
type Bank struct {
	mu       sync.RWMutex
	accounts map[int]*Account
}

// New returns a bank with no accounts.
func New() *Bank {
	return &Bank{accounts: make(map[int]*Account)}
}

// Open creates account id with an initial balance.
func (b *Bank) Open(id int, initial int64) error {
	if initial < 0 {
		return fmt.Errorf("%w: initial balance %d", ErrBadAmount, initial)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if _, ok := b.accounts[id]; ok {
		return fmt.Errorf("%w: %d", ErrAccountExists, id)
	}
	b.accounts[id] = &Account{ID: id, balance: initial}
	return nil
}

func (b *Bank) account(id int) (*Account, error) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	a, ok := b.accounts[id]
	if !ok {
		return nil, fmt.Errorf("%w: %d", ErrNoAccount, id)
	}
	return a, nil
}

// Balance returns the balance of account id.
func (b *Bank) Balance(id int) (int64, error) {
	a, err := b.account(id)
	if err != nil {
		return 0, err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.balance, nil
}

// Transfer moves amount cents from one account to another. It is safe for concurrent use: both accounts are
// locked, always in increasing id order so that concurrent transfers cannot wait on each other in a cycle, and
// the balance is checked while they are held.
func (b *Bank) Transfer(from, to int, amount int64) error {
	if amount <= 0 {
		return fmt.Errorf("%w: %d", ErrBadAmount, amount)
	}
	if from == to {
		return fmt.Errorf("%w: %d", ErrSameAccount, from)
	}
	src, err := b.account(from)
	if err != nil {
		return err
	}
	dst, err := b.account(to)
	if err != nil {
		return err
	}
	unlock := lockAll([]*Account{src, dst})
	defer unlock()
	if src.balance < amount {
		return fmt.Errorf("%w: account %d has %d, needs %d", ErrInsufficientFunds, from, src.balance, amount)
	}
	src.balance -= amount
	dst.balance += amount
	return nil
}

// lockAll locks distinct accounts in increasing id order (the one lock order every caller uses) and returns
// the function that unlocks them.
func lockAll(accounts []*Account) func() {
	sorted := append([]*Account(nil), accounts...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].ID < sorted[j].ID })
	for _, a := range sorted {
		a.mu.Lock()
	}
	return func() {
		for i := len(sorted) - 1; i >= 0; i-- {
			sorted[i].mu.Unlock()
		}
	}
}
