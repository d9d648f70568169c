package metrics

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/sirupsen/logrus"
)

// Server serves a registry at /metrics.
type Server struct {
	// Addr is the address it listens on, with the port chosen when the
	// one asked for was 0.
	Addr string
	srv  *http.Server
	done chan struct{} // closed when Serve has returned
}

// Listen binds addr (HOST:PORT) and serves reg at http://addr/metrics in
// the background until Close. Binding happens before it returns, so a busy
// or invalid address is its error. An address other than loopback is
// served with a warning in log: the metrics tell what the mount does.
func Listen(addr string, reg *prometheus.Registry, log *logrus.Entry) (*Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("metrics_addr: %w", err)
	}
	if tcp, ok := ln.Addr().(*net.TCPAddr); !ok || !tcp.IP.IsLoopback() {
		log.Warnf("metrics are served on %s, beyond loopback: whoever reaches it can read them", ln.Addr())
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{
		ErrorLog:      log,
		ErrorHandling: promhttp.ContinueOnError,
		// Concurrent scrapes beyond this wait rather than pile up.
		MaxRequestsInFlight: 4,
		Timeout:             30 * time.Second,
	}))
	s := &Server{
		Addr: ln.Addr().String(),
		srv: &http.Server{
			Handler:           mux,
			ReadHeaderTimeout: 10 * time.Second,
			WriteTimeout:      time.Minute,
			IdleTimeout:       2 * time.Minute,
		},
		done: make(chan struct{}),
	}
	go func() {
		defer close(s.done)
		if err := s.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.WithError(err).Error("metrics server stopped")
		}
	}()
	log.Infof("serving metrics on http://%s/metrics", s.Addr)
	return s, nil
}

// Close stops serving and waits for the server to let go of its socket.
func (s *Server) Close() error {
	err := s.srv.Close()
	<-s.done
	return err
}
