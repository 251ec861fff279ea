// Command wordfreq prints the most frequent words of stdin.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"

	"example.com/wordfreq/freq"
)

func main() {
	top := flag.Int("top", 10, "how many words to print")
	flag.Parse()
	data, err := io.ReadAll(os.Stdin)
	if err != nil {
		fmt.Fprintln(os.Stderr, "wordfreq:", err)
		os.Exit(1)
	}
	for _, e := range freq.Top(string(data), *top) {
		fmt.Printf("%s %d\n", e.Word, e.Count)
	}
}
