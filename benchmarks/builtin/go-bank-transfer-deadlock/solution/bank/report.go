package bank

// Snapshot returns every account's balance, by account id, all read at one moment: every account is locked
// (in the same id order Transfer uses) before any is read, so a transfer is either wholly in it or not at all.
func (b *Bank) Snapshot() map[int]int64 {
	b.mu.RLock()
	accounts := make([]*Account, 0, len(b.accounts))
	for _, a := range b.accounts {
		accounts = append(accounts, a)
	}
	b.mu.RUnlock()

	unlock := lockAll(accounts)
	defer unlock()
	out := make(map[int]int64, len(accounts))
	for _, a := range accounts {
		out[a.ID] = a.balance
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
