// Command proxy loads its configuration (proxy.json) and prints the settings it will run with.
package main

import (
	"fmt"
	"log"
	"os"

	"example.com/proxy/config"
)

func main() {
	f, err := os.Open("proxy.json")
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	c, err := config.Load(f)
	if err != nil {
		log.Fatalf("proxy.json: %v", err)
	}
	fmt.Printf("listen %s, timeout %v, %d retries, compress %v, upstreams %v\n",
		c.Listen, c.Timeout.Duration, c.Retries, c.Compress, c.Upstreams)
	if err := config.Save(os.Stdout, c); err != nil {
		log.Fatal(err)
	}
}
