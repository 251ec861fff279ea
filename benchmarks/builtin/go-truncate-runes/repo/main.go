// Command tickets prints the open tickets as a fixed-width list.
package main

import (
	"fmt"

	"example.com/tickets/text"
)

var titles = []string{
	"Login page slow on mobile",
	"Überweisung fehlgeschlagen: Kontonummer ungültig",
	"請求書のPDFが文字化けする",
	"Export 🚀 button does nothing",
}

func main() {
	for i, title := range titles {
		fmt.Printf("#%-3d %-20s|\n", i+1, text.Truncate(title, 20))
	}
}
