package credchain

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/aliyun/alibabacloud-oss-go-sdk-v2/oss/credentials"
	"github.com/sirupsen/logrus"
)

// Refresh timing of temporary credentials.
const (
	// maxRefreshMargin is how long before expiry long-lived credentials
	// (20 minutes and more, such as the hour of an ECS role) are refreshed.
	maxRefreshMargin = 5 * time.Minute
	// maxRetryDelay bounds the wait between two attempts of a refresh that
	// keeps failing while the current credentials are still valid.
	maxRetryDelay = 30 * time.Second
	// minRetryDelay keeps a failing source of very short-lived credentials
	// from being asked in a tight loop.
	minRetryDelay = 100 * time.Millisecond
	// unusableRetryDelay is how long requests fail fast with the last error
	// once there are no valid credentials and a fetch has just failed, so
	// that a burst of requests does not run the source once each.
	unusableRetryDelay = time.Second
	// defaultFetchTimeout bounds one fetch from a source.
	defaultFetchTimeout = 30 * time.Second
)

// fetchFunc gets fresh credentials from a source. A zero Expires means
// they never expire.
type fetchFunc func(ctx context.Context) (credentials.Credentials, error)

// refreshing is a CredentialsProvider over a source of temporary
// credentials (an ECS RAM role, a credential process). It fetches once,
// serves those credentials to every request, and fetches again in the
// background shortly before they expire: when a quarter of their lifetime
// is left, and at most maxRefreshMargin before expiry. Requests never wait
// for a refresh while the current credentials are valid.
//
// At most one fetch runs at a time, whatever the number of requests. A
// refresh that fails keeps the current credentials until they expire, logs
// one line for the failing streak and is retried after a delay; only once
// they have expired do requests fail, with the source's error.
//
// INVARIANT: flight is non-nil exactly while a fetch runs.
type refreshing struct {
	source  string // names the source in logs and errors; never a secret
	fetch   fetchFunc
	now     func() time.Time
	log     *logrus.Entry
	timeout time.Duration // bounds one fetch

	mu        sync.Mutex
	cur       credentials.Credentials // GUARDED_BY(mu); no keys until a fetch succeeded
	expires   time.Time               // GUARDED_BY(mu); zero: cur never expires
	refreshAt time.Time               // GUARDED_BY(mu); zero: never refresh
	flight    *fetchFlight            // GUARDED_BY(mu)
	failures  int                     // GUARDED_BY(mu); failed fetches since the last success
	lastErr   error                   // GUARDED_BY(mu); the last failure, nil after a success
	retryAt   time.Time               // GUARDED_BY(mu); no fetch before this after a failure
}

// fetchFlight is one fetch that callers without valid credentials wait for.
type fetchFlight struct {
	done  chan struct{} // closed when creds and err are set
	creds credentials.Credentials
	err   error
}

var _ credentials.CredentialsProvider = (*refreshing)(nil)

func newRefreshing(source string, fetch fetchFunc, now func() time.Time, log *logrus.Entry) *refreshing {
	return &refreshing{source: source, fetch: fetch, now: now, log: log, timeout: defaultFetchTimeout}
}

// GetCredentials implements credentials.CredentialsProvider.
func (r *refreshing) GetCredentials(ctx context.Context) (credentials.Credentials, error) {
	r.mu.Lock()
	now := r.now()
	if r.validLocked(now) {
		if r.dueLocked(now) {
			r.startLocked() // in the background: this request goes on with cur
		}
		c := r.cur
		r.mu.Unlock()
		return c, nil
	}
	if r.flight == nil && now.Before(r.retryAt) {
		err := r.lastErr
		r.mu.Unlock()
		return credentials.Credentials{}, err
	}
	f := r.startLocked()
	r.mu.Unlock()
	select {
	case <-f.done:
		return f.creds, f.err
	case <-ctx.Done():
		return credentials.Credentials{}, fmt.Errorf("credentials from %s: %w", r.source, ctx.Err())
	}
}

// validLocked reports whether cur may still be used at now.
func (r *refreshing) validLocked(now time.Time) bool {
	return r.cur.HasKeys() && (r.expires.IsZero() || now.Before(r.expires))
}

// dueLocked reports whether a refresh should start at now.
func (r *refreshing) dueLocked(now time.Time) bool {
	return r.flight == nil && !r.refreshAt.IsZero() && !now.Before(r.refreshAt) && !now.Before(r.retryAt)
}

// startLocked returns the fetch under way, starting one if there is none.
func (r *refreshing) startLocked() *fetchFlight {
	if r.flight == nil {
		r.flight = &fetchFlight{done: make(chan struct{})}
		go r.run(r.flight)
	}
	return r.flight
}

// run fetches for f. It runs detached from the request that started it, so
// that one request giving up does not fail the others waiting.
func (r *refreshing) run(f *fetchFlight) {
	ctx, cancel := context.WithTimeout(context.Background(), r.timeout)
	c, err := r.fetch(ctx)
	cancel()

	r.mu.Lock()
	defer r.mu.Unlock()
	defer close(f.done)
	r.flight = nil
	now := r.now()
	if err == nil {
		err = checkFetched(c, now)
	}
	if err != nil {
		f.err = fmt.Errorf("credentials from %s: %w", r.source, err)
		r.failedLocked(now, f.err)
		return
	}
	if r.failures > 0 {
		r.log.Infof("credentials from %s refreshed after %d failed attempts", r.source, r.failures)
	}
	r.cur, r.failures, r.lastErr, r.retryAt = c, 0, nil, time.Time{}
	r.expires, r.refreshAt = time.Time{}, time.Time{}
	if c.Expires != nil {
		r.expires = *c.Expires
		r.refreshAt = r.expires.Add(-refreshMargin(r.expires.Sub(now)))
	}
	f.creds = c
}

// failedLocked records a failed fetch.
func (r *refreshing) failedLocked(now time.Time, err error) {
	r.failures++
	r.lastErr = err
	valid := r.validLocked(now)
	if valid {
		r.retryAt = now.Add(min(maxRetryDelay, max(minRetryDelay, r.expires.Sub(now)/4)))
	} else {
		r.retryAt = now.Add(unusableRetryDelay)
	}
	if r.failures > 1 {
		r.log.Debugf("%v (attempt %d)", err, r.failures)
		return
	}
	// One line per failing streak: a source that stays down must not fill the log.
	if valid {
		r.log.Warnf("could not refresh %v; keeping the current credentials until they expire at %s",
			err, r.expires.UTC().Format(time.RFC3339))
	} else {
		r.log.Warnf("%v", err)
	}
}

// refreshMargin is how long before expiry credentials that live for
// lifetime are refreshed.
func refreshMargin(lifetime time.Duration) time.Duration {
	return min(maxRefreshMargin, lifetime/4)
}

// checkFetched rejects credentials a source should not have handed out.
func checkFetched(c credentials.Credentials, now time.Time) error {
	switch {
	case !c.HasKeys():
		return errors.New("no access key ID or secret")
	case c.Expires != nil && !now.Before(*c.Expires):
		return fmt.Errorf("they expired at %s, before they could be used (is the clock right?)",
			c.Expires.UTC().Format(time.RFC3339))
	}
	return nil
}
