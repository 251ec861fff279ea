package bank

// Snapshot returns every account's balance, by account id.
func (b *Bank) Snapshot() map[int]int64 {
	b.mu.RLock()
	accounts := make([]*Account, 0, len(b.accounts))
	for _, a := range b.accounts {
		accounts = append(accounts, a)
	}
	b.mu.RUnlock()

	out := make(map[int]int64, len(accounts))
	for _, a := range accounts {
		a.mu.Lock()
		out[a.ID] = a.balance
		a.mu.Unlock()
	}
	return out
}

// Total is the sum of all balances; transfers never change it.
func (b *Bank) Total() int64 {
	var sum int64
	for _, balance := range b.Snapshot() {
		sum += balance
	}
	return sum
}
