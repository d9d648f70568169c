package main

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/ossfuse/ossfuse/internal/units"
	"github.com/ossfuse/ossfuse/ossio"
)

// The setters below turn an option's text into a config field. Their
// errors say what is wanted, never echo the value (the caller names the
// option, and shows the value unless the option is secret).

// partSizeMin and partSizeMax are the part sizes OSS accepts.
const (
	partSizeMin = ossio.MinPartSize
	partSizeMax = ossio.MaxPartSize
)

func stringOption(field func(*config) *string) func(*config, string) error {
	return func(c *config, v string) error {
		if v == "" {
			return errors.New("want a non-empty value")
		}
		*field(c) = v
		return nil
	}
}

func switchOption(field func(*config) *bool) func(*config, string) error {
	return func(c *config, _ string) error {
		*field(c) = true
		return nil
	}
}

func durationOption(field func(*config) *time.Duration) func(*config, string) error {
	return func(c *config, v string) error {
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 {
			return errors.New("want a duration such as 5s or 500ms")
		}
		*field(c) = d
		return nil
	}
}

// positiveDurationOption reads a duration that must not be zero.
func positiveDurationOption(field func(*config) *time.Duration) func(*config, string) error {
	return func(c *config, v string) error {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return errors.New("want a positive duration such as 30s")
		}
		*field(c) = d
		return nil
	}
}

func uintOption(base int, field func(*config) *uint32) func(*config, string) error {
	return func(c *config, v string) error {
		n, err := strconv.ParseUint(v, base, 32)
		if err != nil {
			if base == 8 {
				return errors.New("want an octal number such as 022")
			}
			return errors.New("want a non-negative integer")
		}
		*field(c) = uint32(n)
		return nil
	}
}

func intOption(min, max int, field func(*config) *int) func(*config, string) error {
	return func(c *config, v string) error {
		n, err := strconv.Atoi(v)
		if err != nil || n < min || n > max {
			return fmt.Errorf("want an integer from %d to %d", min, max)
		}
		*field(c) = n
		return nil
	}
}

// bytesOption reads a size such as 64MiB.
func bytesOption(field func(*config) *int64) func(*config, string) error {
	return func(c *config, v string) error {
		n, err := units.ParseBytes(v)
		if err != nil {
			return errors.New("want a size such as 64MiB")
		}
		*field(c) = n
		return nil
	}
}

// partSizeOption reads a part size within what OSS accepts.
func partSizeOption(c *config, v string) error {
	n, err := units.ParseBytes(v)
	if err != nil || n < partSizeMin || n > partSizeMax {
		return errors.New("want a size from 100KiB to 5GiB, such as 16MiB")
	}
	c.partSize = n
	return nil
}

func logLevelOption(c *config, v string) error {
	level, err := logrus.ParseLevel(v)
	if err != nil {
		return errors.New("want one of panic, fatal, error, warn, info, debug, trace")
	}
	c.logLevel = strings.ToLower(level.String())
	return nil
}
