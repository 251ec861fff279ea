package freq

import (
	"reflect"
	"testing"
)

const sample = "the cat and the hat. The end, and so on"

func TestTopTiesAlphabetical(t *testing.T) {
	want := []Entry{{"the", 3}, {"and", 2}, {"cat", 1}, {"end", 1}}
	for i := 0; i < 20; i++ {
		if got := Top(sample, 4); !reflect.DeepEqual(got, want) {
			t.Fatalf("Top(4) = %v, want %v", got, want)
		}
	}
}

func TestCountNormalises(t *testing.T) {
	got := Count(`"Hello," she said; hello! don't -- DON'T`)
	want := map[string]int{"hello": 2, "she": 1, "said": 1, "don't": 2}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Count = %v, want %v", got, want)
	}
}

func TestTopMoreThanDistinct(t *testing.T) {
	got := Top("b a b", 10)
	want := []Entry{{"b", 2}, {"a", 1}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Top(10) = %v, want %v", got, want)
	}
	if len(Top("", 3)) != 0 {
		t.Fatal("Top of empty text should be empty")
	}
}
