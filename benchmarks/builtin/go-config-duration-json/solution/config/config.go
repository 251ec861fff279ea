// Package config reads the proxy's JSON configuration file.
package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"time"
)

// Duration is a time.Duration in the configuration file: a string in Go syntax ("1m30s") or a number of
// seconds (30, 2.5). It is written as a string.
type Duration struct {
	time.Duration
}

// UnmarshalJSON reads a duration.
func (d *Duration) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if bytes.Equal(b, []byte("null")) {
		return nil
	}
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		v, err := time.ParseDuration(s)
		if err != nil {
			return fmt.Errorf("invalid duration %q: %w", s, err)
		}
		d.Duration = v
		return nil
	}
	var seconds float64
	if err := json.Unmarshal(b, &seconds); err != nil {
		return fmt.Errorf("invalid duration %s: want a string such as \"1m30s\" or a number of seconds", b)
	}
	if math.Abs(seconds) > math.MaxInt64/float64(time.Second) {
		return fmt.Errorf("duration %s seconds is out of range", b)
	}
	d.Duration = time.Duration(seconds * float64(time.Second))
	return nil
}

// MarshalJSON writes a duration as a string in Go syntax.
func (d Duration) MarshalJSON() ([]byte, error) {
	return json.Marshal(d.Duration.String())
}

// Config is the proxy's configuration.
type Config struct {
	Listen    string   `json:"listen"`
	Timeout   Duration `json:"timeout"`
	Retries   int      `json:"retries"`
	Compress  bool     `json:"compress"`
	Upstreams []string `json:"upstreams"`
}

// Default is the configuration used for keys the file leaves out.
func Default() Config {
	return Config{
		Listen:    ":8080",
		Timeout:   Duration{30 * time.Second},
		Retries:   3,
		Compress:  true,
		Upstreams: []string{"http://127.0.0.1:9000"},
	}
}

// Load reads a configuration file: the keys it sets over the defaults. Decoding into the defaults means that
// a key that is present wins even when its value is a zero value ("retries": 0, "compress": false).
func Load(r io.Reader) (Config, error) {
	c := Default()
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return Config{}, err
	}
	var extra json.RawMessage
	if err := dec.Decode(&extra); err != io.EOF {
		return Config{}, errors.New("unexpected data after the configuration object")
	}
	if err := c.Validate(); err != nil {
		return Config{}, err
	}
	return c, nil
}

// Validate checks the values.
func (c Config) Validate() error {
	switch {
	case c.Retries < 0:
		return errors.New("retries must not be negative")
	case c.Timeout.Duration <= 0:
		return fmt.Errorf("timeout must be positive, not %v", c.Timeout.Duration)
	case len(c.Upstreams) == 0:
		return errors.New("at least one upstream is required")
	}
	return nil
}

// Save writes c in the format Load reads.
func Save(w io.Writer, c Config) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(c)
}
