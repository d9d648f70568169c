package main

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
)

// notes explain the figures; they head the table and go into the JSON.
func notes(cfg config) []string {
	n := []string{
		fmt.Sprintf("every figure is the median of %d runs, each figure's median taken separately; runs are interleaved by rounds", cfg.runs),
	}
	if cfg.workloads["w1"] {
		n = append(n,
			"Direct = the W1 object read by parallel ranged GETs of 8 MiB through ossio (official SDK) in the bench process, 8 or 16 in flight; xDirect = MiB/s over the better Direct median of the same condition",
			"fio: buffered reads (--direct=0, psync) on a fresh mount after drop_caches; 4 jobs read disjoint quarters of the same object (offset_increment), so every line reads the same bytes",
			"CPU s/GiB and peak RSS (VmHWM) are ossfuse's, on a fresh mount per run; for Direct the CPU is the bench process's and there is no RSS")
	}
	if cfg.workloads["w2"] {
		n = append(n,
			"W2: fio rw=write bs=1M end_fsync=1 create_on_open=1 on a fresh mount, 1 job writing one new file of -size or 4 jobs writing 4 new files of size/4; MiB/s from fio's write+fsync runtime",
			"W2 Direct = the same bytes from memory through ossio in the bench process: UploadFile (parts read at their offsets, 4 or 8 in flight: the best a client can do) and a streaming Upload fed 1 MiB at a time (ossfuse's engine without FUSE); xDirect = over the best Direct median",
			"W2 Init/Parts/Compl/PUT count InitiateMultipartUpload/UploadPart/CompleteMultipartUpload/PutObject; sent/written = request body bytes over bytes written (1.00 = every byte sent once)")
	}
	if cfg.workloads["w6"] {
		n = append(n,
			fmt.Sprintf("W6: os.WriteFile of 4 KiB files (then os.Remove) by goroutines of the bench process in a directory seeded before a fresh mount; requests per file by operation; a create loop stops after %v and reports the files it made", cfg.budget),
			"W6: the kernel holds a directory's lock across the lookup of an O_CREAT open and across an unlink, so 16 workers in one directory overlap only the uploads (at close); the lookups and the deletes go one at a time")
	}
	if cfg.workloads["w7"] {
		n = append(n, "W7: cold = first run on a fresh mount, warm = the same command again at once on that mount (default attr_ttl 5s); LIST counts ListObjects(V2), HEAD counts HeadObject; CPU and RSS of ossfuse over cold+warm")
	}
	if cfg.workloads["w9"] {
		n = append(n, fmt.Sprintf("W9: %d appends of 4 KiB, each open(O_APPEND)+write+close as `>>` does, stopping after %v; requests per append by operation; HEAD = an open's revalidation once the cached attributes expire (attr_ttl); the log is read back and its SHA-256 checked", cfg.w9Appends, cfg.budget))
	}
	if len(cfg.mountOpts) > 0 {
		n = append(n, "every mount has -o "+strings.Join(cfg.mountOpts, ","))
	}
	return append(n, "errors = failed requests other than NoSuchKey (a 404 HEAD is how a lookup learns a name is a directory or missing)")
}

// printReport writes the tables of rep to w.
func printReport(w io.Writer, rep *report) {
	fmt.Fprintf(w, "\nossfuse bench  %s  (%s CPUs, %s, kernel %s, %s), %.0fs in all\n",
		rep.Started.Format(time.RFC3339), rep.Host["cpus"], rep.Host["fio"], rep.Host["kernel"], rep.Host["go"], rep.Seconds)
	for _, n := range rep.Notes {
		fmt.Fprintf(w, "  - %s\n", n)
	}
	for _, c := range rep.Conditions {
		fmt.Fprintf(w, "\n=== %s: ossemu --latency %v (seeded in %.1fs)\n", c.Condition.Name, c.Condition.Latency, c.SeedSeconds)
		if len(c.W1) > 0 {
			printW1(w, rep.ObjectSize, c.W1)
		}
		if len(c.W2) > 0 {
			printW2(w, rep.ObjectSize, c.W2)
		}
		if len(c.W6) > 0 {
			printW6(w, c.W6)
		}
		if len(c.W7) > 0 {
			printW7(w, c.W7)
		}
		if len(c.W9) > 0 {
			printW9(w, c.W9)
		}
	}
	if rep.Error != "" {
		fmt.Fprintf(w, "\nINCOMPLETE: %s\n", rep.Error)
	}
}

// printW1 writes the W1 table of one condition.
func printW1(w io.Writer, size int64, figs []readFigure) {
	fmt.Fprintf(w, "\nW1 sequential read of a %d MiB object\n", size>>20)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "variant\tMiB/s\txDirect\tGETs\tmean GET MiB\tCPU s/GiB\tpeak RSS MiB\terrors\t")
	for _, f := range figs {
		m := f.Median
		rss := "-"
		if f.Kind == "fio" {
			rss = fmt.Sprintf("%.0f", m.PeakRSSMiB)
		}
		fmt.Fprintf(tw, "%s\t%.0f\t%.2f\t%d\t%.2f\t%.2f\t%s\t%d\t\n",
			f.Variant, m.MiBps, f.RatioToDirect, m.GetCount, m.MeanGetMiB, m.CPUSecPerGiB, rss, m.Failed)
	}
	_ = tw.Flush()
}

// printW7 writes the W7 table of one condition.
func printW7(w io.Writer, figs []listFigure) {
	fmt.Fprintln(w, "\nW7 listings")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "attrs\tdir\tcommand\tcold s\tLIST\tHEAD\twarm s\tLIST\tHEAD\tCPU s\tpeak RSS MiB\terrors\t")
	for _, f := range figs {
		m := f.Median
		fmt.Fprintf(tw, "%s\t%s\t%s\t%.3f\t%d\t%d\t%.3f\t%d\t%d\t%.2f\t%.0f\t%d\t\n",
			f.Attrs, f.Dir.Name, f.Command, m.ColdSeconds, m.ColdLists, m.ColdHeads,
			m.WarmSeconds, m.WarmLists, m.WarmHeads, m.CPUSeconds, m.PeakRSSMiB, m.Failed)
	}
	_ = tw.Flush()
}

// printW2 writes the W2 table of one condition.
func printW2(w io.Writer, size int64, figs []writeFigure) {
	fmt.Fprintf(w, "\nW2 sequential write of %d MiB\n", size>>20)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "variant\tMiB/s\txDirect\tInit\tParts\tCompl\tPUT\tsent/written\tmean part MiB\tCPU s/GiB\tpeak RSS MiB\terrors\t")
	for _, f := range figs {
		m := f.Median
		rss := "-"
		if f.Kind == "fio" {
			rss = fmt.Sprintf("%.0f", m.PeakRSSMiB)
		}
		fmt.Fprintf(tw, "%s\t%.0f\t%.2f\t%d\t%d\t%d\t%d\t%.3f\t%.1f\t%.2f\t%s\t%d\t\n",
			f.Variant, m.MiBps, f.RatioToDirect, m.Initiates, m.Parts, m.Completes, m.Puts,
			m.SentPerWritten, m.MeanPartMiB, m.CPUSecPerGiB, rss, m.Failed)
	}
	_ = tw.Flush()
}

// printW6 writes the W6 table of one condition: files/s and requests per
// file of the create and the remove phase.
func printW6(w io.Writer, figs []smallFilesFigure) {
	fmt.Fprintln(w, "\nW6 small files (4 KiB): create, then remove")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "files\tworkers\tmade\tcreate/s\tPUT/f\tHEAD/f\tLIST/f\tother/f\tremove/s\tDELETE/f\tHEAD/f\tLIST/f\tother/f\tCPU s\tpeak RSS MiB\terrors\t")
	others := map[string]bool{}
	for _, f := range figs {
		m := f.Median
		c, r := m.CreatePerFile, m.RemovePerFile
		fmt.Fprintf(tw, "%d\t%d\t%d\t%.0f\t%.2f\t%.2f\t%.2f\t%.2f\t%.0f\t%.2f\t%.2f\t%.2f\t%.2f\t%.2f\t%.0f\t%d\t\n",
			f.Files, f.Workers, m.Files, m.CreatePerSec, c[opPut], c[opHead], c[opList], otherThan(c, others, opPut, opHead, opList),
			m.RemovePerSec, r[opDelete], r[opHead], r[opList], otherThan(r, others, opDelete, opHead, opList),
			m.CPUSeconds, m.PeakRSSMiB, m.Failed)
	}
	_ = tw.Flush()
	printOthers(w, others)
}

// printW9 writes the W9 table of one condition.
func printW9(w io.Writer, figs []appendFigure) {
	fmt.Fprintln(w, "\nW9 append log: 4 KiB appends, open+write+close each")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "variant\tappends\tappends/s\tAppend/a\tHEAD/a\tother/a\trequests/a\tread back s\tCPU ms/a\tpeak RSS MiB\terrors\t")
	others := map[string]bool{}
	for _, f := range figs {
		m := f.Median
		var total float64
		for _, v := range m.PerAppend {
			total += v
		}
		cpuPer := 0.0
		if m.Appends > 0 {
			cpuPer = m.CPUSeconds * 1000 / float64(m.Appends)
		}
		fmt.Fprintf(tw, "%s\t%d\t%.0f\t%.2f\t%.2f\t%.2f\t%.2f\t%.2f\t%.2f\t%.0f\t%d\t\n",
			f.Variant, m.Appends, m.AppendsPerSec, m.PerAppend[opAppend], m.PerAppend[opHead],
			otherThan(m.PerAppend, others, opAppend, opHead), total, m.ReadSeconds, cpuPer, m.PeakRSSMiB, m.Failed)
	}
	_ = tw.Flush()
	printOthers(w, others)
}

// otherThan sums the counts of perUnit except those of ops, and records
// the names of the operations it summed in seen.
func otherThan(perUnit map[string]float64, seen map[string]bool, ops ...string) float64 {
	var sum float64
	for op, v := range perUnit {
		if !slices.Contains(ops, op) && v > 0 {
			sum += v
			seen[op] = true
		}
	}
	return sum
}

// printOthers names the operations an "other" column counted.
func printOthers(w io.Writer, others map[string]bool) {
	if len(others) == 0 {
		return
	}
	names := slices.Sorted(maps.Keys(others))
	fmt.Fprintf(w, "(other = %s)\n", strings.Join(names, ", "))
}

// writeJSON writes rep to dir/bench-<timestamp>.json, creating dir, and
// returns the path.
func writeJSON(dir string, rep *report) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	stamp := strings.ReplaceAll(rep.Started.UTC().Format("20060102-150405Z"), ":", "")
	path := filepath.Join(dir, "bench-"+stamp+".json")
	b, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return "", err
	}
	if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
		return "", err
	}
	return path, nil
}
