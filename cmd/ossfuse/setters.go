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

// memoryMax bounds the memory option far beyond any machine, so that the
// sums made of it (budget, block cache, runtime headroom) cannot overflow.
// Its lower bound is part_size, checked once every option is read.
const memoryMax = 1 << 50

// mountTimeoutMax bounds mount_timeout: the parent of a daemon waits that
// long plus a grace, and waiting more than a day for a mount is a mistake.
const mountTimeoutMax = 24 * time.Hour

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

// durationOption reads a duration above zero and, when max is not zero, at
// most max. No duration option has a meaning for zero: a zero TTL would
// silently become the default.
func durationOption(max time.Duration, field func(*config) *time.Duration) func(*config, string) error {
	want := "want a duration above zero, such as 5s or 500ms"
	if max > 0 {
		want = fmt.Sprintf("want a duration above zero and at most %s, such as 30s", shortDuration(max))
	}
	return func(c *config, v string) error {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 || max > 0 && d > max {
			return errors.New(want)
		}
		*field(c) = d
		return nil
	}
}

// shortDuration writes whole hours and minutes as 24h and 5m rather
// than time's 24h0m0s.
func shortDuration(d time.Duration) string {
	switch {
	case d%time.Hour == 0:
		return fmt.Sprintf("%dh", d/time.Hour)
	case d%time.Minute == 0:
		return fmt.Sprintf("%dm", d/time.Minute)
	}
	return d.String()
}

func uintOption(field func(*config) *uint32) func(*config, string) error {
	return func(c *config, v string) error {
		n, err := strconv.ParseUint(v, 10, 32)
		if err != nil {
			return errors.New("want a non-negative integer")
		}
		*field(c) = uint32(n)
		return nil
	}
}

// modeOption reads octal permission bits from min to max. Bits beyond max
// would be dropped silently downstream, and a file_mode or dir_mode of 0
// means the default there, so neither is accepted.
func modeOption(min, max uint32, example string, field func(*config) *uint32) func(*config, string) error {
	want := fmt.Sprintf("want an octal number from %o to %o, such as %s", min, max, example)
	if min > 0 {
		want += " (for no permissions, use umask=0777)"
	}
	return func(c *config, v string) error {
		n, err := strconv.ParseUint(v, 8, 32)
		if err != nil || uint32(n) < min || uint32(n) > max {
			return errors.New(want)
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

// bytesOption reads a size from min to max bytes, such as example.
// Whatever is not a size, or not one within range (NaN, Inf, 0, a
// negative or overflowing number), is refused rather than replaced by a
// default downstream.
func bytesOption(min, max int64, example string, field func(*config) *int64) func(*config, string) error {
	return func(c *config, v string) error {
		n, err := units.ParseBytes(v)
		if err != nil || n < min || n > max {
			return fmt.Errorf("want a size from %s to %s, such as %s", units.FormatBytes(min), units.FormatBytes(max), example)
		}
		*field(c) = n
		return nil
	}
}

func logLevelOption(c *config, v string) error {
	level, err := logrus.ParseLevel(v)
	if err != nil {
		return errors.New("want one of panic, fatal, error, warn, info, debug, trace")
	}
	c.logLevel = strings.ToLower(level.String())
	return nil
}
