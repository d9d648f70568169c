package ossio

import (
	"context"
	"errors"
	"net"
	"net/http"
	"os"
	"sync/atomic"
	"time"

	"github.com/aliyun/alibabacloud-oss-go-sdk-v2/oss/transport"
)

// RequestBound is how long a call of a Client made with cfg may wait on a
// server that accepts connections but never answers: two attempts (see
// timeoutRetryer), each given up after RequestTimeout, and the SDK's
// backoff between them (under a second). A call that moves data keeps
// going as long as the data moves.
func RequestBound(cfg Config) time.Duration {
	return 2*orDefault(cfg.RequestTimeout, DefaultRequestTimeout) + maxTimeoutBackoff
}

// newHTTPClient builds the SDK's own HTTP client and adjusts what the SDK's
// Config cannot. RequestTimeout is enforced three ways: the SDK's dialer
// gives every connection a deadline that each byte read or written pushes
// back (body stalls, and the wait for an answer); the transport's
// ResponseHeaderTimeout bounds the wait for the answer once the request
// is sent, whatever the dialer does; the connect timeout bounds dialling
// and TLS. And the SDK keeps only 10 idle connections per host, so a
// burst of parallel ranged GETs would close and re-dial most of its
// connections.
func newHTTPClient(cfg Config) *http.Client {
	request := orDefault(cfg.RequestTimeout, DefaultRequestTimeout)
	connect := orDefault(cfg.ConnectTimeout, min(DefaultConnectTimeout, request))
	conns := orDefault(cfg.MaxConnections, DefaultMaxConnections)
	tcfg := &transport.Config{ConnectTimeout: &connect, ReadWriteTimeout: &request}
	return transport.NewHttpClient(tcfg,
		transport.MaxConnections(conns),
		transport.InsecureSkipVerify(cfg.InsecureSkipVerify),
		func(t *http.Transport) {
			t.DialContext = timeoutMarkingDialer(t.DialContext)
			t.ResponseHeaderTimeout = request
			t.MaxIdleConnsPerHost = conns
			t.DisableCompression = true
			if cfg.rootCAs != nil && t.TLSClientConfig != nil {
				t.TLSClientConfig.RootCAs = cfg.rootCAs
			}
		})
}

// timeoutMarkingDialer wraps the connections of dial in timedConns.
func timeoutMarkingDialer(dial func(ctx context.Context, network, addr string) (net.Conn, error)) func(ctx context.Context, network, addr string) (net.Conn, error) {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := dial(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return &timedConn{Conn: c}, nil
	}
}

// timedConn reports every failure of a connection after its deadline
// passed as the timeout it is. The SDK's deadline covers reads and writes
// alike, so when an upload stalls both time out together; whichever of
// the transport's reader and writer sees it first closes the connection,
// and the other would fail with "use of closed network connection", which
// says nothing of a timeout and half the time is what the caller gets.
type timedConn struct {
	net.Conn
	timedOut atomic.Bool
}

func (c *timedConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	return n, c.check("read", err)
}

func (c *timedConn) Write(b []byte) (int, error) {
	n, err := c.Conn.Write(b)
	return n, c.check("write", err)
}

// check records a timeout of the connection and turns any later failure
// into one.
func (c *timedConn) check(op string, err error) error {
	if err == nil {
		return nil
	}
	if ne := net.Error(nil); errors.As(err, &ne) && ne.Timeout() {
		c.timedOut.Store(true)
		return err
	}
	if c.timedOut.Load() {
		return &net.OpError{Op: op, Net: c.LocalAddr().Network(), Source: c.LocalAddr(), Addr: c.RemoteAddr(), Err: os.ErrDeadlineExceeded}
	}
	return err
}
