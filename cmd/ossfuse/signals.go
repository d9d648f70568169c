package main

import (
	"os"
	"os/signal"
	"sync"
	"syscall"
)

// signalSet holds the signals ossfuse handles. It is created before
// mounting, so that a SIGTERM arriving while the mount comes up waits for
// it instead of killing the process and leaving a dead mount.
type signalSet struct {
	ch chan os.Signal
}

func catchSignals() *signalSet {
	s := &signalSet{ch: make(chan os.Signal, 4)}
	signal.Notify(s.ch, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	return s
}

// stop ends the handling.
func (s *signalSet) stop() { signal.Stop(s.ch) }

// handle makes SIGTERM and SIGINT stop the mount (m.stop, once) and SIGHUP
// reopen the log file, until done is closed.
func (s *signalSet) handle(m *mounted, sink *logSink, abandoned chan<- struct{}, done <-chan struct{}) {
	var stopOnce sync.Once
	for {
		select {
		case <-done:
			return
		case sig := <-s.ch:
			if sig == syscall.SIGHUP {
				switch reopened, err := sink.reopen(); {
				case err != nil:
					m.log.WithError(err).Error("reopening the log file on SIGHUP")
				case reopened:
					m.log.Info("log file reopened on SIGHUP")
				}
				continue
			}
			m.log.WithField("signal", sig.String()).Info("stopping: flushing dirty files, then unmounting")
			stopOnce.Do(func() { go m.stop(abandoned) })
		}
	}
}
