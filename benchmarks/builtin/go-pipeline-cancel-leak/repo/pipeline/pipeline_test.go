package pipeline

import (
	"context"
	"strings"
	"testing"
)

func TestUpper(t *testing.T) {
	out, err := Map(context.Background(), []string{"a"}, 2, func(_ context.Context, s string) (string, error) {
		return strings.ToUpper(s), nil
	})
	if err != nil || len(out) != 1 || out[0] != "A" {
		t.Fatalf("Map = %v, %v", out, err)
	}
}
