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

// fioJob is a sequential-read fio job over one file in the mount.
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

// fioResult is what the bench takes from fio's JSON report.
type fioResult struct {
	Bytes   int64         // read by all jobs
	Elapsed time.Duration // fio's runtime of the group
}

// run runs fio with a timeout and parses its report.
func (j fioJob) run(ctx context.Context, timeout time.Duration) (fioResult, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "fio", j.args()...)
	cmd.Dir = "/"
	cmd.WaitDelay = 5 * time.Second
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		if ctx.Err() == context.DeadlineExceeded {
			err = fmt.Errorf("killed after %v", timeout)
		}
		return fioResult{}, fmt.Errorf("fio %v: %v\n%s%s", j.args(), err, tail(stdout.String(), 1000), tail(stderr.String(), 1000))
	}
	return parseFio(stdout.Bytes())
}

// parseFio reads the group's read figures from fio's JSON output (fio may
// print warnings before the JSON object).
func parseFio(out []byte) (fioResult, error) {
	var rep struct {
		Jobs []struct {
			Error int `json:"error"`
			Read  struct {
				IOBytes int64 `json:"io_bytes"`
				Runtime int64 `json:"runtime"` // milliseconds
			} `json:"read"`
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
	if job.Error != 0 || job.Read.Runtime <= 0 {
		return fioResult{}, fmt.Errorf("fio: error %d, runtime %d ms", job.Error, job.Read.Runtime)
	}
	return fioResult{Bytes: job.Read.IOBytes, Elapsed: time.Duration(job.Read.Runtime) * time.Millisecond}, nil
}
