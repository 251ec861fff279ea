package bank

import (
	"errors"
	"testing"
)

func TestTransfer(t *testing.T) {
	b := New()
	if err := b.Open(1, 500); err != nil {
		t.Fatal(err)
	}
	if err := b.Open(2, 0); err != nil {
		t.Fatal(err)
	}
	if err := b.Transfer(1, 2, 200); err != nil {
		t.Fatal(err)
	}
	if got, _ := b.Balance(1); got != 300 {
		t.Fatalf("balance 1 = %d, want 300", got)
	}
	if got, _ := b.Balance(2); got != 200 {
		t.Fatalf("balance 2 = %d, want 200", got)
	}
	if err := b.Transfer(2, 1, 201); !errors.Is(err, ErrInsufficientFunds) {
		t.Fatalf("overdraft: err = %v", err)
	}
	if b.Total() != 500 {
		t.Fatalf("Total() = %d", b.Total())
	}
}
