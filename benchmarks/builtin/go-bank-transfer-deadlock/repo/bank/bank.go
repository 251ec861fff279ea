// Package bank keeps account balances in memory and moves money between them.
package bank

import (
	"fmt"
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

// Transfer moves amount cents from one account to another.
func (b *Bank) Transfer(from, to int, amount int64) error {
	src, err := b.account(from)
	if err != nil {
		return err
	}
	dst, err := b.account(to)
	if err != nil {
		return err
	}
	if src.balance < amount {
		return fmt.Errorf("%w: account %d has %d, needs %d", ErrInsufficientFunds, from, src.balance, amount)
	}
	src.mu.Lock()
	defer src.mu.Unlock()
	dst.mu.Lock()
	defer dst.mu.Unlock()
	src.balance -= amount
	dst.balance += amount
	return nil
}
