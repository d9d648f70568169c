package main

import (
	"fmt"
	"io"
	"os"
	"sync"

	"github.com/sirupsen/logrus"
	"golang.org/x/sys/unix"
)

// Where the log goes:
//
//   - log_file=FILE: appended to FILE (created 0600), in the foreground and
//     in the background alike; SIGHUP reopens it, for logrotate. In the
//     background the daemon's stderr is that file too, so that a panic's
//     trace lands next to the log.
//   - otherwise, in the foreground: stderr.
//   - otherwise, in the background: nowhere. The daemon has no terminal and
//     ossfuse does not write to syslog; the parent warns once that the log
//     is discarded, so whoever needs it knows to add log_file=.

// logSink owns the log's destination and can reopen it.
type logSink struct {
	logger *logrus.Logger
	path   string // "" when not logging to a file
	// stderrToo makes a reopen also point descriptor 2 at the new file.
	stderrToo bool

	mu   sync.Mutex
	file *os.File // GUARDED_BY(mu); nil when not logging to a file
}

// newLogSink builds the logger for cfg. fallback is where the log goes
// without log_file (stderr in the foreground, io.Discard in the background).
func newLogSink(cfg config, fallback io.Writer, background bool) (*logSink, error) {
	l := logrus.New()
	level := logrus.InfoLevel
	if cfg.logLevel != "" {
		var err error
		if level, err = logrus.ParseLevel(cfg.logLevel); err != nil {
			return nil, fmt.Errorf("option log_level=%s: %w", cfg.logLevel, err)
		}
	}
	if cfg.debug && level < logrus.DebugLevel {
		level = logrus.DebugLevel
	}
	l.SetLevel(level)
	s := &logSink{logger: l, path: cfg.logFile, stderrToo: background}
	if s.path == "" {
		l.SetOutput(fallback)
		return s, nil
	}
	f, err := openLogFile(s.path)
	if err != nil {
		return nil, err
	}
	s.file = f
	l.SetOutput(f)
	return s, nil
}

// openLogFile opens path for appending, creating it readable by its owner
// only: a log names objects and paths.
func openLogFile(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("option log_file: %w", err)
	}
	return f, nil
}

// entry is the logger with the mount's bucket on every line.
func (s *logSink) entry(bucket string) *logrus.Entry {
	return logrus.NewEntry(s.logger).WithField("bucket", bucket)
}

// reopen opens the log file again under its name (after logrotate moved
// it away) and switches the logger to it. Without a log file it does
// nothing and says so.
func (s *logSink) reopen() (reopened bool, err error) {
	if s.path == "" {
		return false, nil
	}
	f, err := openLogFile(s.path)
	if err != nil {
		return false, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.logger.SetOutput(f)
	if s.stderrToo {
		_ = unix.Dup2(int(f.Fd()), 2)
	}
	if s.file != nil {
		s.file.Close()
	}
	s.file = f
	return true, nil
}

// close closes the log file, if any.
func (s *logSink) close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.file != nil {
		s.logger.SetOutput(io.Discard)
		s.file.Close()
		s.file = nil
	}
}
