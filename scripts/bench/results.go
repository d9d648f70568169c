package main

import (
	"slices"
	"time"
)

// readSample is one measurement of a sequential read (W1), by fio through
// the mount or by Direct.
type readSample struct {
	MiBps      float64 `json:"mibPerSec"`
	Seconds    float64 `json:"seconds"`
	GetCount   int64   `json:"getCount"`
	MeanGetMiB float64 `json:"meanGetMiB"`
	// CPUSecPerGiB is the CPU time (user+system) of the ossfuse process,
	// or of the bench process for Direct, per GiB read.
	CPUSecPerGiB float64 `json:"cpuSecPerGiB"`
	// PeakRSSMiB is ossfuse's VmHWM on a fresh mount; 0 for Direct.
	PeakRSSMiB float64          `json:"peakRssMiB"`
	Requests   map[string]int64 `json:"requests"`
	// Errors counts failed requests per OSS error code; Failed those
	// other than NoSuchKey (the expected answer to a lookup miss).
	Errors map[string]int64 `json:"errors"`
	Failed int64            `json:"unexpectedErrors"`
}

// readFigure is one W1 variant: its runs and their medians.
type readFigure struct {
	Variant  string `json:"variant"`
	Kind     string `json:"kind"` // "direct" or "fio"
	BlockKiB int64  `json:"blockKiB,omitempty"`
	Jobs     int    `json:"jobs,omitempty"`
	InFlight int    `json:"inFlight,omitempty"`
	// Median holds the median of each field over Runs, taken separately.
	Median readSample   `json:"median"`
	Runs   []readSample `json:"runs"`
	// RatioToDirect is Median.MiBps over the best Direct median of the
	// same condition.
	RatioToDirect float64 `json:"ratioToDirect"`
}

// listSample is one W7 measurement: a command on a fresh mount (cold),
// then the same command again on the same mount (warm).
type listSample struct {
	ColdSeconds  float64          `json:"coldSeconds"`
	WarmSeconds  float64          `json:"warmSeconds"`
	ColdLists    int64            `json:"coldLists"`
	ColdHeads    int64            `json:"coldHeads"`
	WarmLists    int64            `json:"warmLists"`
	WarmHeads    int64            `json:"warmHeads"`
	ColdRequests map[string]int64 `json:"coldRequests"`
	WarmRequests map[string]int64 `json:"warmRequests"`
	// CPUSeconds and PeakRSSMiB are ossfuse's, over cold and warm together.
	CPUSeconds float64 `json:"cpuSeconds"`
	PeakRSSMiB float64 `json:"peakRssMiB"`
	// ColdErrors and WarmErrors count failed requests per OSS error code;
	// Failed those other than NoSuchKey, cold and warm together.
	ColdErrors map[string]int64 `json:"coldErrors"`
	WarmErrors map[string]int64 `json:"warmErrors"`
	Failed     int64            `json:"unexpectedErrors"`
}

// listFigure is one W7 case: attribute mode, directory and command.
type listFigure struct {
	Attrs   string       `json:"attrs"` // "exact" or "attr_from_list"
	Dir     listDir      `json:"dir"`
	Command string       `json:"command"`
	Median  listSample   `json:"median"`
	Runs    []listSample `json:"runs"`
}

// writeSample is one measurement of a sequential write (W2), by fio
// through the mount or by Direct.
type writeSample struct {
	MiBps   float64 `json:"mibPerSec"`
	Seconds float64 `json:"seconds"` // fio's write+fsync runtime, or Direct's upload
	// WallSeconds is the fio process's life (start-up, close included).
	WallSeconds float64 `json:"wallSeconds,omitempty"`
	Initiates   int64   `json:"initiateMultipart"`
	Parts       int64   `json:"uploadPart"`
	Completes   int64   `json:"completeMultipart"`
	Puts        int64   `json:"putObject"`
	// SentPerWritten is the emulator's request body bytes over the bytes
	// written: 1 when every byte went up once.
	SentPerWritten float64 `json:"bytesSentPerByteWritten"`
	MeanPartMiB    float64 `json:"meanPartMiB"`
	// CPUSecPerGiB is ossfuse's CPU time per GiB written, or the bench
	// process's for Direct.
	CPUSecPerGiB float64          `json:"cpuSecPerGiB"`
	PeakRSSMiB   float64          `json:"peakRssMiB"` // ossfuse's VmHWM; 0 for Direct
	Requests     map[string]int64 `json:"requests"`
	Errors       map[string]int64 `json:"errors"`
	Failed       int64            `json:"unexpectedErrors"`
}

// writeFigure is one W2 variant: its runs and their medians.
type writeFigure struct {
	Variant     string        `json:"variant"`
	Kind        string        `json:"kind"` // "direct", "direct-stream" or "fio"
	Jobs        int           `json:"jobs,omitempty"`
	Parallelism int           `json:"parallelism,omitempty"`
	Median      writeSample   `json:"median"`
	Runs        []writeSample `json:"runs"`
	// RatioToDirect is Median.MiBps over the best Direct median of the
	// same condition.
	RatioToDirect float64 `json:"ratioToDirect"`
}

// smallFilesSample is one W6 measurement: Files files created, then
// removed, on a fresh mount.
type smallFilesSample struct {
	Files         int     `json:"files"` // created (fewer than asked when the time budget ran out)
	CreateSeconds float64 `json:"createSeconds"`
	CreatePerSec  float64 `json:"createFilesPerSec"`
	RemoveSeconds float64 `json:"removeSeconds"`
	RemovePerSec  float64 `json:"removeFilesPerSec"`
	// CreatePerFile and RemovePerFile are requests per file by operation.
	CreatePerFile  map[string]float64 `json:"createRequestsPerFile"`
	RemovePerFile  map[string]float64 `json:"removeRequestsPerFile"`
	CreateRequests map[string]int64   `json:"createRequests"`
	RemoveRequests map[string]int64   `json:"removeRequests"`
	// CPUSeconds and PeakRSSMiB are ossfuse's, over create and remove.
	CPUSeconds float64          `json:"cpuSeconds"`
	PeakRSSMiB float64          `json:"peakRssMiB"`
	Errors     map[string]int64 `json:"errors"`
	Failed     int64            `json:"unexpectedErrors"`
}

// smallFilesFigure is one W6 case: a number of files and of workers.
type smallFilesFigure struct {
	Files   int                `json:"files"` // asked for
	Workers int                `json:"workers"`
	Median  smallFilesSample   `json:"median"`
	Runs    []smallFilesSample `json:"runs"`
}

// appendSample is one W9 measurement: Appends open/append/close cycles on
// a fresh mount, then the log read back and checked.
type appendSample struct {
	Appends       int                `json:"appends"` // done (fewer than asked when the time budget ran out)
	Seconds       float64            `json:"seconds"`
	AppendsPerSec float64            `json:"appendsPerSec"`
	PerAppend     map[string]float64 `json:"requestsPerAppend"`
	Requests      map[string]int64   `json:"requests"`
	// ReadSeconds is the time to read the whole log back (and hash it).
	ReadSeconds float64          `json:"readBackSeconds"`
	LogBytes    int64            `json:"logBytes"`
	CPUSeconds  float64          `json:"cpuSeconds"` // ossfuse's, over the appends
	PeakRSSMiB  float64          `json:"peakRssMiB"`
	Errors      map[string]int64 `json:"errors"`
	Failed      int64            `json:"unexpectedErrors"`
}

// appendFigure is one W9 case: where the appends go.
type appendFigure struct {
	Variant string         `json:"variant"`
	Options []string       `json:"mountOptions"`
	Median  appendSample   `json:"median"`
	Runs    []appendSample `json:"runs"`
}

// conditionResult is everything measured under one condition.
type conditionResult struct {
	Condition   condition          `json:"condition"`
	SeedSeconds float64            `json:"seedSeconds"`
	W1          []readFigure       `json:"w1,omitempty"`
	W2          []writeFigure      `json:"w2,omitempty"`
	W6          []smallFilesFigure `json:"w6,omitempty"`
	W7          []listFigure       `json:"w7,omitempty"`
	W9          []appendFigure     `json:"w9,omitempty"`
}

// report is the whole run, as written to the JSON file.
type report struct {
	Started    time.Time         `json:"started"`
	Seconds    float64           `json:"seconds"`
	Host       map[string]string `json:"host"`
	Runs       int               `json:"runsPerFigure"`
	ObjectSize int64             `json:"w1ObjectBytes"` // also W2's
	Budget     float64           `json:"w6w9BudgetSeconds"`
	Notes      []string          `json:"notes"`
	Conditions []conditionResult `json:"conditions"`
	Error      string            `json:"error,omitempty"`
}

// median returns the median of xs (the mean of the middle two for an even
// count), 0 for none.
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// medianOf returns the median of field over samples.
func medianOf[S any](samples []S, field func(S) float64) float64 {
	xs := make([]float64, len(samples))
	for i, s := range samples {
		xs[i] = field(s)
	}
	return median(xs)
}

// medianRead takes the median of each figure of runs separately.
func medianRead(runs []readSample) readSample {
	m := func(f func(readSample) float64) float64 { return medianOf(runs, f) }
	return readSample{
		MiBps:        m(func(s readSample) float64 { return s.MiBps }),
		Seconds:      m(func(s readSample) float64 { return s.Seconds }),
		GetCount:     int64(m(func(s readSample) float64 { return float64(s.GetCount) })),
		MeanGetMiB:   m(func(s readSample) float64 { return s.MeanGetMiB }),
		CPUSecPerGiB: m(func(s readSample) float64 { return s.CPUSecPerGiB }),
		PeakRSSMiB:   m(func(s readSample) float64 { return s.PeakRSSMiB }),
		Failed:       int64(m(func(s readSample) float64 { return float64(s.Failed) })),
	}
}

// medianList takes the median of each figure of runs separately.
func medianList(runs []listSample) listSample {
	m := func(f func(listSample) float64) float64 { return medianOf(runs, f) }
	mi := func(f func(listSample) int64) int64 {
		return int64(medianOf(runs, func(s listSample) float64 { return float64(f(s)) }))
	}
	return listSample{
		ColdSeconds: m(func(s listSample) float64 { return s.ColdSeconds }),
		WarmSeconds: m(func(s listSample) float64 { return s.WarmSeconds }),
		ColdLists:   mi(func(s listSample) int64 { return s.ColdLists }),
		ColdHeads:   mi(func(s listSample) int64 { return s.ColdHeads }),
		WarmLists:   mi(func(s listSample) int64 { return s.WarmLists }),
		WarmHeads:   mi(func(s listSample) int64 { return s.WarmHeads }),
		CPUSeconds:  m(func(s listSample) float64 { return s.CPUSeconds }),
		PeakRSSMiB:  m(func(s listSample) float64 { return s.PeakRSSMiB }),
		Failed:      mi(func(s listSample) int64 { return s.Failed }),
	}
}

// medianCounts takes the median of each key over runs, a key missing from
// a run counting as 0.
func medianCounts(runs []map[string]float64) map[string]float64 {
	keys := map[string]bool{}
	for _, r := range runs {
		for k := range r {
			keys[k] = true
		}
	}
	out := make(map[string]float64, len(keys))
	for k := range keys {
		out[k] = medianOf(runs, func(r map[string]float64) float64 { return r[k] })
	}
	return out
}

// medianWrite takes the median of each figure of runs separately.
func medianWrite(runs []writeSample) writeSample {
	m := func(f func(writeSample) float64) float64 { return medianOf(runs, f) }
	mi := func(f func(writeSample) int64) int64 {
		return int64(medianOf(runs, func(s writeSample) float64 { return float64(f(s)) }))
	}
	return writeSample{
		MiBps:          m(func(s writeSample) float64 { return s.MiBps }),
		Seconds:        m(func(s writeSample) float64 { return s.Seconds }),
		WallSeconds:    m(func(s writeSample) float64 { return s.WallSeconds }),
		Initiates:      mi(func(s writeSample) int64 { return s.Initiates }),
		Parts:          mi(func(s writeSample) int64 { return s.Parts }),
		Completes:      mi(func(s writeSample) int64 { return s.Completes }),
		Puts:           mi(func(s writeSample) int64 { return s.Puts }),
		SentPerWritten: m(func(s writeSample) float64 { return s.SentPerWritten }),
		MeanPartMiB:    m(func(s writeSample) float64 { return s.MeanPartMiB }),
		CPUSecPerGiB:   m(func(s writeSample) float64 { return s.CPUSecPerGiB }),
		PeakRSSMiB:     m(func(s writeSample) float64 { return s.PeakRSSMiB }),
		Failed:         mi(func(s writeSample) int64 { return s.Failed }),
	}
}

// medianSmallFiles takes the median of each figure of runs separately.
func medianSmallFiles(runs []smallFilesSample) smallFilesSample {
	m := func(f func(smallFilesSample) float64) float64 { return medianOf(runs, f) }
	counts := func(f func(smallFilesSample) map[string]float64) map[string]float64 {
		maps := make([]map[string]float64, len(runs))
		for i, r := range runs {
			maps[i] = f(r)
		}
		return medianCounts(maps)
	}
	return smallFilesSample{
		Files:         int(m(func(s smallFilesSample) float64 { return float64(s.Files) })),
		CreateSeconds: m(func(s smallFilesSample) float64 { return s.CreateSeconds }),
		CreatePerSec:  m(func(s smallFilesSample) float64 { return s.CreatePerSec }),
		RemoveSeconds: m(func(s smallFilesSample) float64 { return s.RemoveSeconds }),
		RemovePerSec:  m(func(s smallFilesSample) float64 { return s.RemovePerSec }),
		CreatePerFile: counts(func(s smallFilesSample) map[string]float64 { return s.CreatePerFile }),
		RemovePerFile: counts(func(s smallFilesSample) map[string]float64 { return s.RemovePerFile }),
		CPUSeconds:    m(func(s smallFilesSample) float64 { return s.CPUSeconds }),
		PeakRSSMiB:    m(func(s smallFilesSample) float64 { return s.PeakRSSMiB }),
		Failed:        int64(m(func(s smallFilesSample) float64 { return float64(s.Failed) })),
	}
}

// medianAppend takes the median of each figure of runs separately.
func medianAppend(runs []appendSample) appendSample {
	m := func(f func(appendSample) float64) float64 { return medianOf(runs, f) }
	perAppend := make([]map[string]float64, len(runs))
	for i, r := range runs {
		perAppend[i] = r.PerAppend
	}
	return appendSample{
		Appends:       int(m(func(s appendSample) float64 { return float64(s.Appends) })),
		Seconds:       m(func(s appendSample) float64 { return s.Seconds }),
		AppendsPerSec: m(func(s appendSample) float64 { return s.AppendsPerSec }),
		PerAppend:     medianCounts(perAppend),
		ReadSeconds:   m(func(s appendSample) float64 { return s.ReadSeconds }),
		LogBytes:      int64(m(func(s appendSample) float64 { return float64(s.LogBytes) })),
		CPUSeconds:    m(func(s appendSample) float64 { return s.CPUSeconds }),
		PeakRSSMiB:    m(func(s appendSample) float64 { return s.PeakRSSMiB }),
		Failed:        int64(m(func(s appendSample) float64 { return float64(s.Failed) })),
	}
}

// sumCounts adds counters up by key.
func sumCounts(ms ...map[string]int64) map[string]int64 {
	out := map[string]int64{}
	for _, m := range ms {
		for k, v := range m {
			out[k] += v
		}
	}
	return out
}
