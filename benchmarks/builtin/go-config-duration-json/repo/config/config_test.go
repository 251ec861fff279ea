package config

import (
	"strings"
	"testing"
)

func TestDefaultsFillMissingKeys(t *testing.T) {
	c, err := Load(strings.NewReader(`{"listen": ":9090"}`))
	if err != nil {
		t.Fatal(err)
	}
	if c.Listen != ":9090" || c.Retries != 3 || !c.Compress || len(c.Upstreams) != 1 {
		t.Fatalf("Load = %+v", c)
	}
}
