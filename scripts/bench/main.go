// Command bench runs the benchmarks of ../../shared/BENCH.md that exist so
// far against ossemu on loopback, and prints a table of medians:
//
//   - W1, sequential read of one large object with fio (bs 1M and 256k,
//     1 job and 4 jobs), next to "Direct": the same bytes read by parallel
//     ranged GETs of 8 MiB through ossio (8 and 16 in flight), in the same run;
//   - W2, sequential write of -size bytes with fio (bs 1M, end_fsync, 1 job
//     writing one new file or 4 jobs writing a quarter each), next to Direct
//     uploads of the same bytes from memory through ossio (UploadFile with 4
//     and 8 parts in flight, and a streaming Upload); the request counts,
//     bytes sent per byte written and ossfuse's peak RSS; the first 1-job
//     write is read back once with fio --verify_only;
//   - W6, 1k (and with -w6-10k 10k) files of 4 KiB created, then removed,
//     by one goroutine and by 16, in the bench process; files/s and
//     requests per file by operation;
//   - W7, listings (ls, ls -l, find, du -s) of directories of 1k and 10k
//     objects, cold (fresh mount) and warm (same command again), with exact
//     attributes (HEADs) and with -o attr_from_list;
//   - W9, an append log: 10k appends of 4 KiB, each an open(O_APPEND), a
//     write and a close as a shell's `>>`, to an Appendable object on a
//     default mount and to a new file on an -o append_mode mount; appends/s
//     and requests per append, and the log read back and checked.
//
// All run at L0 (no added latency) and L2 (30 ms before the first byte of
// every response, ossemu --latency). Each condition gets its own emulator,
// seeded through ossio, never through the mount, and every check of what a
// mount stored goes through ossio too. The loops of W6 and W9 whose length
// is latency times count (creates, appends) stop after -budget and report
// what they did.
//
// Usage (from the module root, after `make build`):
//
//	go run ./scripts/bench [-runs 3] [-size 1GiB] [-only w1,w2,w6,w7,w9] [-conditions L0,L2]
//	                       [-w7-100k] [-w6-10k] [-w9-appends 10000] [-budget 10s] [-o memory=64MiB]
//
// The same figures go as JSON to bench/results/bench-<timestamp>.json.
// Every subprocess is stopped and every mount unmounted at the end, also on
// error or Ctrl-C.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/ossfuse/ossfuse/internal/units"
)

// config is what the command line chose.
type config struct {
	binDir      string        // where ossemu and ossfuse were built
	outDir      string        // where the JSON goes
	runs        int           // measurements per figure; the median is reported
	objectSize  int64         // W1 object size, and the bytes W2 writes
	with100k    bool          // W7 also lists a directory of 100k objects
	w6With10k   bool          // W6 also creates and removes 10k files
	w9Appends   int           // appends of each W9 run
	budget      time.Duration // bound of each timed W6 create loop and W9 append loop
	workloads   map[string]bool
	conditions  []condition
	stepTimeout time.Duration // bound of any single command (fio, ls, ...)
	mountOpts   []string      // -o: options added to every mount, e.g. memory=64MiB
}

// condition is one backend setting: a name and the emulator's latency.
type condition struct {
	Name    string        `json:"name"`
	Latency time.Duration `json:"latencyNs"`
}

// allWorkloads are the workloads the bench implements, in the order it
// runs them.
var allWorkloads = []string{"w1", "w2", "w6", "w7", "w9"}

// knownConditions are the latencies BENCH.md defines.
var knownConditions = map[string]time.Duration{"L0": 0, "L1": 5 * time.Millisecond, "L2": 30 * time.Millisecond}

func main() {
	cfg, err := parseFlags(os.Args[1:])
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(2)
	}
	// The first SIGINT/SIGTERM cancels ctx: the step running is killed and
	// the cleanups run. stop() restores the default, so a second Ctrl-C
	// kills at once (children die with us through Pdeathsig).
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	go func() { <-ctx.Done(); stop() }()
	err = run(ctx, cfg)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// parseFlags reads the command line.
func parseFlags(args []string) (config, error) {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	cfg := config{}
	fs.StringVar(&cfg.binDir, "bin", "bin", "directory holding the ossemu and ossfuse binaries (make build)")
	fs.StringVar(&cfg.outDir, "out", "bench/results", "directory for the JSON results")
	fs.IntVar(&cfg.runs, "runs", 3, "measurements per figure (median reported)")
	size := fs.String("size", "1GiB", "size of the W1 object and of the W2 write, e.g. 256MiB, 1GiB, 4GiB")
	fs.BoolVar(&cfg.with100k, "w7-100k", false, "W7 also lists a directory of 100k objects (slow to seed and list)")
	fs.BoolVar(&cfg.w6With10k, "w6-10k", false, "W6 also creates and removes 10k files (slow at L2)")
	fs.IntVar(&cfg.w9Appends, "w9-appends", 10000, "appends of 4 KiB in each W9 run")
	fs.DurationVar(&cfg.budget, "budget", 10*time.Second, "time bound of each W6 create loop and W9 append loop; the loop stops early when it is spent (10s keeps make bench near 15 minutes)")
	only := fs.String("only", strings.Join(allWorkloads, ","), "workloads to run: "+strings.Join(allWorkloads, ", "))
	conds := fs.String("conditions", "L0,L2", "conditions to run: L0 (no latency), L1 (5ms), L2 (30ms)")
	fs.DurationVar(&cfg.stepTimeout, "step-timeout", 5*time.Minute, "bound of each single command (fio, ls, a Direct read)")
	mountOpts := fs.String("o", "", "comma-separated ossfuse options added to every mount, e.g. memory=64MiB")
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	if fs.NArg() > 0 {
		return cfg, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if cfg.runs < 1 || cfg.runs > 100 {
		return cfg, errors.New("-runs must be within 1..100")
	}
	var err error
	if cfg.objectSize, err = units.ParseBytes(*size); err != nil {
		return cfg, fmt.Errorf("-size: %w", err)
	}
	if cfg.objectSize < 8<<20 || cfg.objectSize%(4<<20) != 0 {
		return cfg, errors.New("-size must be a multiple of 4 MiB, at least 8 MiB")
	}
	if cfg.w9Appends < 1 || cfg.w9Appends > 1000000 {
		return cfg, errors.New("-w9-appends must be within 1..1000000")
	}
	if cfg.budget <= 0 || cfg.budget > cfg.stepTimeout {
		return cfg, errors.New("-budget must be positive and at most -step-timeout")
	}
	if *mountOpts != "" {
		cfg.mountOpts = strings.Split(*mountOpts, ",")
	}
	cfg.workloads = map[string]bool{}
	for _, w := range strings.Split(*only, ",") {
		w = strings.ToLower(strings.TrimSpace(w))
		if !slices.Contains(allWorkloads, w) {
			return cfg, fmt.Errorf("-only: unknown workload %q (want %s)", w, strings.Join(allWorkloads, ", "))
		}
		cfg.workloads[w] = true
	}
	for _, c := range strings.Split(*conds, ",") {
		c = strings.ToUpper(strings.TrimSpace(c))
		lat, ok := knownConditions[c]
		if !ok {
			return cfg, fmt.Errorf("-conditions: unknown condition %q (want L0, L1, L2)", c)
		}
		cfg.conditions = append(cfg.conditions, condition{Name: c, Latency: lat})
	}
	for _, p := range []*string{&cfg.binDir, &cfg.outDir} {
		if *p, err = filepath.Abs(*p); err != nil {
			return cfg, err
		}
	}
	return cfg, nil
}
