// Command thumbs computes the checksums of the files named on the command line, four at a time, and stops at
// the first file that cannot be read.
package main

import (
	"context"
	"crypto/sha256"
	"fmt"
	"os"
	"os/signal"

	"example.com/thumbs/pipeline"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	sums, err := pipeline.Map(ctx, os.Args[1:], 4, func(ctx context.Context, name string) (string, error) {
		data, err := os.ReadFile(name)
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("%x", sha256.Sum256(data)), nil
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	for i, sum := range sums {
		fmt.Printf("%s  %s\n", sum, os.Args[i+1])
	}
}
