package main

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/ossfuse/ossfuse/ossio"
)

// TestCloseContextFollowsTheShutdown checks how long filesystem.Close may
// try to upload: closeTimeout after an umount; after SIGTERM what is left
// of the shutdown's budget, or nothing when the server did not answer the
// flush (FlushAll's error wraps a timeout as the filesystem wraps it).
func TestCloseContextFollowsTheShutdown(t *testing.T) {
	var s shutdown
	before := time.Now()
	ctx, cancel, silent := s.closeContext()
	deadline, ok := ctx.Deadline()
	cancel()
	if !ok || deadline.Before(before.Add(closeTimeout)) || deadline.After(time.Now().Add(closeTimeout)) || silent {
		t.Errorf("after umount: deadline %v (set %v), silent %v; want closeTimeout from now", deadline, ok, silent)
	}

	stopDeadline := time.Now().Add(stopTimeout)
	s.start(stopDeadline)
	s.flushed(fmt.Errorf("flush %q: %w", "f", &ossio.Error{Op: "PutObject", Kind: ossio.ErrUnavailable}))
	ctx, cancel, silent = s.closeContext()
	deadline, ok = ctx.Deadline()
	cancel()
	if !ok || !deadline.Equal(stopDeadline) || silent {
		t.Errorf("after SIGTERM and a 503: deadline %v (set %v), silent %v; want the shutdown's %v", deadline, ok, silent, stopDeadline)
	}

	s.flushed(errors.Join(
		fmt.Errorf("flush %q: %w", "a", &ossio.Error{Op: "PutObject", Kind: ossio.ErrTimeout}),
		fmt.Errorf("flush %q: %w", "b", &ossio.Error{Op: "PutObject", Kind: ossio.ErrUnavailable})))
	ctx, cancel, silent = s.closeContext()
	defer cancel()
	if ctx.Err() == nil || !silent {
		t.Errorf("after SIGTERM and a timeout: context %v, silent %v; want one already done", ctx.Err(), silent)
	}
}
