// Command ledger simulates a busy day: many tellers move money between a few accounts at once, and an auditor
// checks that the bank's total never changes.
package main

import (
	"fmt"
	"math/rand"
	"sync"
	"time"

	"example.com/ledger/bank"
)

const accounts = 5

func main() {
	b := bank.New()
	for id := 1; id <= accounts; id++ {
		if err := b.Open(id, 10_000); err != nil {
			panic(err)
		}
	}
	want := b.Total()
	stop := time.Now().Add(2 * time.Second)
	var wg sync.WaitGroup
	for teller := 0; teller < 8; teller++ {
		wg.Add(1)
		go func(seed int64) {
			defer wg.Done()
			r := rand.New(rand.NewSource(seed))
			for time.Now().Before(stop) {
				_ = b.Transfer(1+r.Intn(accounts), 1+r.Intn(accounts), int64(1+r.Intn(500)))
			}
		}(int64(teller))
	}
	audits, bad := 0, 0
	for time.Now().Before(stop) {
		if b.Total() != want {
			bad++
		}
		audits++
	}
	wg.Wait()
	fmt.Printf("total %d (want %d); %d of %d audits saw a wrong total\n", b.Total(), want, bad, audits)
}
