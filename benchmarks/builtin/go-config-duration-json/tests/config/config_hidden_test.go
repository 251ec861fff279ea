package config

import (
	"bytes"
	"reflect"
	"strings"
	"testing"
	"time"
)

func load(t *testing.T, text string) Config {
	t.Helper()
	c, err := Load(strings.NewReader(text))
	if err != nil {
		t.Fatalf("Load(%s): %v", text, err)
	}
	return c
}

func loadFails(t *testing.T, text string, mention string) {
	t.Helper()
	_, err := Load(strings.NewReader(text))
	if err == nil {
		t.Fatalf("Load(%s) succeeded, want an error", text)
	}
	if mention != "" && !strings.Contains(err.Error(), mention) {
		t.Fatalf("Load(%s) error %q does not mention %q", text, err, mention)
	}
}

func TestPresentZeroValuesWin(t *testing.T) {
	c := load(t, `{"retries": 0, "compress": false}`)
	if c.Retries != 0 || c.Compress {
		t.Fatalf("retries=%d compress=%v, want 0 and false", c.Retries, c.Compress)
	}
	if c.Listen != ":8080" || c.Timeout.Duration != 30*time.Second || len(c.Upstreams) != 1 {
		t.Fatalf("defaults lost: %+v", c)
	}
	if c := load(t, `{}`); !reflect.DeepEqual(c, Default()) {
		t.Fatalf("Load({}) = %+v, want the defaults", c)
	}
}

func TestDurations(t *testing.T) {
	cases := map[string]time.Duration{
		`"1m30s"`: 90 * time.Second,
		`"250ms"`: 250 * time.Millisecond,
		`30`:      30 * time.Second,
		`2.5`:     2500 * time.Millisecond,
		`0.001`:   time.Millisecond,
	}
	for value, want := range cases {
		if c := load(t, `{"timeout": `+value+`}`); c.Timeout.Duration != want {
			t.Errorf("timeout %s = %v, want %v", value, c.Timeout.Duration, want)
		}
	}
	for _, bad := range []string{`"soon"`, `"30"`, `true`, `[1]`, `{"s": 1}`, `"-5s"`, `-1`, `0`, `"0s"`} {
		loadFails(t, `{"timeout": `+bad+`}`, "")
	}
}

func TestSaveThenLoad(t *testing.T) {
	c := Default()
	c.Timeout = Duration{90 * time.Second}
	c.Retries = 0
	c.Compress = false
	c.Upstreams = []string{"http://a:1", "http://b:2"}
	var buf bytes.Buffer
	if err := Save(&buf, c); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), `"timeout": "1m30s"`) {
		t.Fatalf("Save wrote %s, want the timeout as \"1m30s\"", buf.String())
	}
	if got := load(t, buf.String()); !reflect.DeepEqual(got, c) {
		t.Fatalf("round trip = %+v, want %+v", got, c)
	}
}

func TestUnknownKeys(t *testing.T) {
	loadFails(t, `{"timout": "5s"}`, "timout")
	loadFails(t, `{"retries": 1, "upstream": ["http://x"]}`, "upstream")
}

func TestTrailingData(t *testing.T) {
	loadFails(t, `{"retries": 1} {"retries": 2}`, "")
	loadFails(t, `{"retries": 1}]`, "")
	if c := load(t, "{\"retries\": 1}\n\n  \t\n"); c.Retries != 1 {
		t.Fatalf("retries = %d", c.Retries)
	}
}

func TestValidation(t *testing.T) {
	loadFails(t, `{"upstreams": []}`, "")
	loadFails(t, `{"retries": -1}`, "")
	if c := load(t, `{"upstreams": ["http://x:1"]}`); !reflect.DeepEqual(c.Upstreams, []string{"http://x:1"}) {
		t.Fatalf("upstreams = %v", c.Upstreams)
	}
}
