// Command logtail reads lines from stdin and prints the last 10 at the end.
package main

import (
	"bufio"
	"fmt"
	"os"

	"example.com/logtail/ring"
)

func main() {
	buf := ring.New(10)
	scanner := bufio.NewScanner(os.Stdin)
	for scanner.Scan() {
		buf.Push(scanner.Text())
	}
	for _, line := range buf.Items() {
		fmt.Println(line)
	}
}
