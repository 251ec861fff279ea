package bank

import "errors"

// Errors returned (wrapped) by Bank methods; test for them with errors.Is.
var (
	ErrNoAccount         = errors.New("bank: no such account")
	ErrAccountExists     = errors.New("bank: account already exists")
	ErrInsufficientFunds = errors.New("bank: insufficient funds")
	ErrSameAccount       = errors.New("bank: source and destination are the same account")
	ErrBadAmount         = errors.New("bank: amount must be positive")
)
