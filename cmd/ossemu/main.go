// Command ossemu runs a local OSS-compatible server for tests, benchmarks
// and demos.
//
//	ossemu --addr 127.0.0.1:9000 --bucket demo [--bucket more] [--data-dir DIR]
//	       [--access-key ID:SECRET[:TOKEN]]... [--region cn-hangzhou]
//	       [--latency 30ms] [--bandwidth 100MiB] [--fail-rate 0.01]
//	       [--fail-codes 503,500,drop,truncate] [--fail-ops PutObject,...]
//	       [--fail-max N] [--seed N]
//
// It prints "ossemu listening on http://ADDR" once it accepts connections,
// and stops cleanly on SIGINT or SIGTERM.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/ossfuse/ossfuse/internal/units"
	"github.com/ossfuse/ossfuse/ossio/ossemu"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "ossemu:", err)
		os.Exit(1)
	}
}

// listFlag collects a repeatable flag.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

// run serves until ctx ends.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("ossemu", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var buckets, keys listFlag
	addr := fs.String("addr", "127.0.0.1:0", "listen address; loopback unless you name another")
	fs.Var(&buckets, "bucket", "bucket to create (repeatable)")
	dataDir := fs.String("data-dir", "", "keep objects in this directory (default: in memory)")
	fs.Var(&keys, "access-key", "accepted key ID:SECRET or ID:SECRET:STS_TOKEN (repeatable); none = accept unsigned requests")
	region := fs.String("region", ossemu.DefaultRegion, "region of the buckets (V4 signing scope)")
	latency := fs.Duration("latency", 0, "delay before the first byte of every response, e.g. 30ms")
	bandwidth := fs.String("bandwidth", "", "per-request body bandwidth, e.g. 100MiB (per second)")
	failRate := fs.Float64("fail-rate", 0, "probability that a request fails on purpose")
	failCodes := fs.String("fail-codes", "503", "failures to inject: HTTP statuses, drop, truncate")
	failOps := fs.String("fail-ops", "", "only fail these operations (comma-separated)")
	failMax := fs.Int64("fail-max", 0, "stop injecting after this many failures (0: no limit)")
	seed := fs.Int64("seed", 1, "seed of the fault injector")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	creds, err := parseKeys(keys)
	if err != nil {
		return err
	}
	bw := int64(0)
	if *bandwidth != "" {
		bw, err = units.ParseBytes(*bandwidth)
	}
	if err != nil {
		return fmt.Errorf("--bandwidth: %w", err)
	}
	faults := ossemu.Faults{
		Latency: ossemu.Duration(*latency), Bandwidth: bw, FailRate: *failRate,
		FailCodes: splitList(*failCodes), FailOps: splitList(*failOps), MaxFailures: *failMax,
	}
	srv, err := ossemu.New(ossemu.Options{
		Buckets: buckets, DataDir: *dataDir, Credentials: creds, Region: *region, Faults: faults, Seed: *seed,
	})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 30 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	fmt.Fprintf(stdout, "ossemu listening on http://%s\n", ln.Addr())
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := hs.Shutdown(shutdownCtx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return nil
}

func splitList(s string) []string {
	var out []string
	for _, v := range strings.Split(s, ",") {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

// parseKeys reads ID:SECRET[:TOKEN] values.
func parseKeys(keys []string) ([]ossemu.Credential, error) {
	var out []ossemu.Credential
	for _, k := range keys {
		parts := strings.SplitN(k, ":", 3)
		if len(parts) < 2 || parts[0] == "" || parts[1] == "" {
			// Never echo the value: it holds a secret.
			return nil, errors.New("--access-key: want ID:SECRET or ID:SECRET:TOKEN")
		}
		c := ossemu.Credential{AccessKeyID: parts[0], AccessKeySecret: parts[1]}
		if len(parts) == 3 {
			c.SecurityToken = parts[2]
		}
		out = append(out, c)
	}
	return out, nil
}
