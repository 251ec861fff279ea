// Package config reads the proxy's JSON configuration file.
package config

import (
	"encoding/json"
	"errors"
	"io"
	"time"
)

// Duration is a time.Duration in the configuration file.
type Duration struct {
	time.Duration
}

// UnmarshalJSON reads a duration.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var n int64
	if err := json.Unmarshal(b, &n); err != nil {
		return err
	}
	d.Duration = time.Duration(n)
	return nil
}

// MarshalJSON writes a duration.
func (d Duration) MarshalJSON() ([]byte, error) {
	return json.Marshal(int64(d.Duration))
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

// Load reads a configuration file: the keys it sets over the defaults.
func Load(r io.Reader) (Config, error) {
	var c Config
	if err := json.NewDecoder(r).Decode(&c); err != nil {
		return Config{}, err
	}
	def := Default()
	if c.Listen == "" {
		c.Listen = def.Listen
	}
	if c.Timeout.Duration == 0 {
		c.Timeout = def.Timeout
	}
	if c.Retries == 0 {
		c.Retries = def.Retries
	}
	if !c.Compress {
		c.Compress = def.Compress
	}
	if len(c.Upstreams) == 0 {
		c.Upstreams = def.Upstreams
	}
	return c, c.Validate()
}

// Validate checks the values.
func (c Config) Validate() error {
	if c.Retries < 0 {
		return errors.New("retries must not be negative")
	}
	return nil
}

// Save writes c in the format Load reads.
func Save(w io.Writer, c Config) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(c)
}
