package ini

import (
	"strings"
	"testing"
)

const sample = `; global settings
name = demo
[server]
host = 0.0.0.0   ; bind address
url = http://x/?a=b
Color = #fff
path = C:\tmp # temp dir
[ database ]
DSN=postgres://u@h/db
`

func TestSample(t *testing.T) {
	f, err := Parse(sample)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct{ section, key, want string }{
		{"", "name", "demo"},
		{"server", "host", "0.0.0.0"},
		{"server", "url", "http://x/?a=b"},
		{"server", "color", "#fff"},
		{"server", "path", `C:\tmp`},
		{"database", "dsn", "postgres://u@h/db"},
		{"DATABASE", "Dsn", "postgres://u@h/db"},
	}
	for _, c := range cases {
		if got, ok := f.Get(c.section, c.key); !ok || got != c.want {
			t.Errorf("Get(%q, %q) = %q, %v; want %q", c.section, c.key, got, ok, c.want)
		}
	}
}

func TestHashComments(t *testing.T) {
	f, err := Parse("# comment\n[a]\n#x = 1\ny=2\n")
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := f.Get("a", "#x"); ok {
		t.Fatal("# line should be a comment")
	}
	if v, _ := f.Get("a", "y"); v != "2" {
		t.Fatalf("y = %q", v)
	}
}

func TestBadLine(t *testing.T) {
	_, err := Parse("[a]\nx = 1\nthis is not valid\n")
	if err == nil || !strings.Contains(err.Error(), "line 3") {
		t.Fatalf("err = %v, want an error naming line 3", err)
	}
}
