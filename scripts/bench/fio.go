package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"strconv"
	"syscall"
	"time"
)

// fioJob is a sequential-read fio job over one file in the mount (W1).
//
// With Jobs > 1 every job reads its own slice of the SAME object
// (size/Jobs bytes at offset i*size/Jobs, fio's offset_increment): the
// bytes read are exactly those of the 1-job run and of Direct, so one
// Direct reference serves both and no extra object has to be seeded; each
// job opens the file itself, so ossfuse sees Jobs handles with their own
// sequential stream, and no two jobs read the same byte, so no job gets
// another's cached blocks for free.
type fioJob struct {
	File  string
	Size  int64 // bytes read in total, over all jobs
	Block int64
	Jobs  int
}

// args are fio's arguments: buffered reads (--direct=0), one synchronous
// read at a time per job (psync), read-only so that a mistake cannot write,
// group reporting so that the figures are the jobs' sum.
func (j fioJob) args() []string {
	per := j.Size / int64(j.Jobs)
	args := []string{
		"--name=w1", "--filename=" + j.File, "--readonly", "--rw=read",
		"--bs=" + strconv.FormatInt(j.Block, 10), "--size=" + strconv.FormatInt(per, 10),
		"--numjobs=" + strconv.Itoa(j.Jobs), "--ioengine=psync", "--direct=0", "--invalidate=1",
		"--group_reporting", "--output-format=json",
	}
	if j.Jobs > 1 {
		args = append(args, "--offset_increment="+strconv.FormatInt(per, 10))
	}
	return args
}

// run runs fio with a timeout and parses its report.
func (j fioJob) run(ctx context.Context, timeout time.Duration) (fioResult, error) {
	return runFio(ctx, timeout, j.args(), "read")
}

// fioWriteJob is a sequential-write fio job (W2): Jobs jobs, each writing
// its own fresh file Dir/w2.<job>.bin of Size/Jobs bytes in blocks of
// Block, then fsyncing it.
type fioWriteJob struct {
	Dir   string
	Size  int64 // bytes written in total, over all jobs
	Block int64
	Jobs  int
	// VerifyOnly reads the files back instead and checks the headers the
	// write left in every block (fio --verify_only): nothing is written.
	VerifyOnly bool
}

// fileName is the name of job i's file, as fio's filename_format makes it.
func (j fioWriteJob) fileName(i int) string { return fmt.Sprintf("w2.%d.bin", i) }

// args are fio's arguments. Beyond BENCH.md's `rw=write bs=1M end_fsync=1`:
//   - create_on_open: without it fio lays every file out first (creates,
//     fallocates and closes it before the timed phase), and ossfuse, which
//     honours fallocate, uploads that many zeros once before the real
//     upload: twice the requests and bytes, for a step no writer does;
//   - fallocate=none for the same reason, should fio's open allocate;
//   - verify=crc32c with do_verify=0: every block carries a header with its
//     offset and a checksum (one crc32c per MiB: noise next to the write),
//     so that a later --verify_only run can check the object read back;
//     verify_state_save=0, or fio leaves a state file per job in its
//     working directory.
func (j fioWriteJob) args() []string {
	args := []string{
		"--name=w2", "--directory=" + j.Dir, "--filename_format=w2.$jobnum.bin", "--rw=write",
		"--bs=" + strconv.FormatInt(j.Block, 10), "--size=" + strconv.FormatInt(j.Size/int64(j.Jobs), 10),
		"--numjobs=" + strconv.Itoa(j.Jobs), "--ioengine=psync", "--direct=0",
		"--create_on_open=1", "--fallocate=none", "--verify=crc32c", "--verify_state_save=0",
		"--group_reporting", "--output-format=json",
	}
	if j.VerifyOnly {
		return append(args, "--verify_only")
	}
	return append(args, "--end_fsync=1", "--do_verify=0")
}

// run runs fio with a timeout and parses its report: the written bytes,
// or the bytes read back by VerifyOnly.
func (j fioWriteJob) run(ctx context.Context, timeout time.Duration) (fioResult, error) {
	dir := "write"
	if j.VerifyOnly {
		dir = "read"
	}
	return runFio(ctx, timeout, j.args(), dir)
}

// fioResult is what the bench takes from fio's JSON report.
type fioResult struct {
	Bytes   int64         // moved by all jobs in the direction asked for
	Elapsed time.Duration // fio's runtime of the group in that direction
	Wall    time.Duration // the fio process's life, start-up and close included
}

// runFio runs fio with args and a timeout, and parses the figures of
// direction ("read" or "write") from its report.
func runFio(ctx context.Context, timeout time.Duration, args []string, direction string) (fioResult, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "fio", args...)
	cmd.Dir = "/"
	cmd.WaitDelay = 5 * time.Second
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	if err := cmd.Run(); err != nil {
		if ctx.Err() == context.DeadlineExceeded {
			err = fmt.Errorf("killed after %v", timeout)
		}
		return fioResult{}, fmt.Errorf("fio %v: %v\n%s%s", args, err, tail(stdout.String(), 1000), tail(stderr.String(), 1000))
	}
	res, err := parseFio(stdout.Bytes(), direction)
	res.Wall = time.Since(start)
	return res, err
}

// fioDirection is one direction's figures in fio's JSON report.
type fioDirection struct {
	IOBytes int64 `json:"io_bytes"`
	Runtime int64 `json:"runtime"` // milliseconds
}

// parseFio reads the group's figures of direction ("read" or "write")
// from fio's JSON output (fio may print warnings before the JSON object).
func parseFio(out []byte, direction string) (fioResult, error) {
	var rep struct {
		Jobs []struct {
			Error int          `json:"error"`
			Read  fioDirection `json:"read"`
			Write fioDirection `json:"write"`
		} `json:"jobs"`
	}
	i := bytes.IndexByte(out, '{')
	if i < 0 {
		return fioResult{}, fmt.Errorf("fio printed no JSON: %s", tail(string(out), 500))
	}
	if err := json.Unmarshal(out[i:], &rep); err != nil {
		return fioResult{}, fmt.Errorf("fio JSON: %v", err)
	}
	if len(rep.Jobs) != 1 {
		return fioResult{}, fmt.Errorf("fio JSON: %d job groups, want 1", len(rep.Jobs))
	}
	job := rep.Jobs[0]
	d := job.Read
	if direction == "write" {
		d = job.Write
	}
	if job.Error != 0 || d.Runtime <= 0 {
		return fioResult{}, fmt.Errorf("fio: error %d, %s runtime %d ms", job.Error, direction, d.Runtime)
	}
	return fioResult{Bytes: d.IOBytes, Elapsed: time.Duration(d.Runtime) * time.Millisecond}, nil
}
