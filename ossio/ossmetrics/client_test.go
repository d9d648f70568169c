package ossmetrics

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ossfuse/ossfuse/ossio"
)

// fakeClient answers every call with err, after delay; GetObject returns
// body, and uploads read their whole body (twice with replay, as the SDK
// does after a retry).
type fakeClient struct {
	ossio.Client // nil: a call the test did not expect panics
	err          error
	delay        time.Duration
	body         string
	replay       bool
	gotBody      bool // an upload body came through with io.Seeker
}

func (f *fakeClient) wait() {
	if f.delay > 0 {
		time.Sleep(f.delay) // stands for the network; bounded and tiny
	}
}

func (f *fakeClient) HeadObject(context.Context, string) (ossio.ObjectInfo, error) {
	f.wait()
	return ossio.ObjectInfo{}, f.err
}

func (f *fakeClient) GetObject(context.Context, ossio.GetRequest) (*ossio.GetResult, error) {
	f.wait()
	if f.err != nil {
		return nil, f.err
	}
	return &ossio.GetResult{Body: io.NopCloser(strings.NewReader(f.body)), ContentLength: int64(len(f.body))}, nil
}

func (f *fakeClient) ListObjects(context.Context, ossio.ListRequest) (ossio.ListPage, error) {
	f.wait()
	return ossio.ListPage{}, f.err
}

func (f *fakeClient) DeleteObjects(context.Context, []string) error { return f.err }

func (f *fakeClient) PutObject(_ context.Context, req ossio.PutRequest) (ossio.PutResult, error) {
	if _, err := io.Copy(io.Discard, req.Body); err != nil {
		return ossio.PutResult{}, err
	}
	if s, ok := req.Body.(io.Seeker); ok {
		f.gotBody = true
		if f.replay {
			if _, err := s.Seek(0, io.SeekStart); err != nil {
				return ossio.PutResult{}, err
			}
			io.Copy(io.Discard, req.Body)
		}
	}
	return ossio.PutResult{}, f.err
}

func (f *fakeClient) UploadPart(_ context.Context, req ossio.UploadPartRequest) (ossio.Part, error) {
	_, err := io.Copy(io.Discard, req.Body)
	return ossio.Part{}, err
}

// series returns every sample in reg as "name{label=value,...}" -> value;
// histograms give their _count and _sum.
func series(t *testing.T, reg *prometheus.Registry) map[string]float64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, f := range families {
		for _, m := range f.GetMetric() {
			var labels []string
			for _, l := range m.GetLabel() {
				labels = append(labels, l.GetName()+"="+l.GetValue())
			}
			sort.Strings(labels)
			name := f.GetName() + "{" + strings.Join(labels, ",") + "}"
			switch {
			case m.Counter != nil:
				out[name] = m.Counter.GetValue()
			case m.Histogram != nil:
				out[f.GetName()+"_count{"+strings.Join(labels, ",")+"}"] = float64(m.Histogram.GetSampleCount())
				out[f.GetName()+"_sum{"+strings.Join(labels, ",")+"}"] = m.Histogram.GetSampleSum()
			}
		}
	}
	return out
}

func newTestMetrics(t *testing.T) (*Metrics, *prometheus.Registry) {
	t.Helper()
	reg := prometheus.NewRegistry()
	m, err := New(reg)
	if err != nil {
		t.Fatal(err)
	}
	return m, reg
}

func TestDecoratorCountsOutcomes(t *testing.T) {
	m, reg := newTestMetrics(t)
	ctx := context.Background()
	ok := m.Wrap(&fakeClient{})
	notFound := m.Wrap(&fakeClient{err: &ossio.Error{Code: "NoSuchKey", Status: 404, Kind: ossio.ErrNotFound}})
	network := m.Wrap(&fakeClient{err: &ossio.Error{Kind: ossio.ErrUnavailable, Cause: io.ErrUnexpectedEOF}})
	canceled := m.Wrap(&fakeClient{err: fmt.Errorf("list: %w", context.Canceled)})
	for i := 0; i < 3; i++ {
		ok.HeadObject(ctx, "k")
	}
	notFound.HeadObject(ctx, "k")
	notFound.HeadObject(ctx, "k")
	network.ListObjects(ctx, ossio.ListRequest{})
	canceled.ListObjects(ctx, ossio.ListRequest{})
	ok.ListObjects(ctx, ossio.ListRequest{})
	ok.DeleteObjects(ctx, nil) // no keys: no request, not counted
	ok.DeleteObjects(ctx, []string{"a", "b"})

	got := series(t, reg)
	for name, want := range map[string]float64{
		`ossfuse_oss_requests_total{operation=HeadObject,outcome=ok}`:                   3,
		`ossfuse_oss_requests_total{operation=HeadObject,outcome=NoSuchKey}`:            2,
		`ossfuse_oss_requests_total{operation=ListObjectsV2,outcome=network}`:           1,
		`ossfuse_oss_requests_total{operation=ListObjectsV2,outcome=canceled}`:          1,
		`ossfuse_oss_requests_total{operation=ListObjectsV2,outcome=ok}`:                1,
		`ossfuse_oss_requests_total{operation=DeleteMultipleObjects,outcome=ok}`:        1,
		`ossfuse_oss_request_duration_seconds_count{operation=HeadObject}`:              5,
		`ossfuse_oss_request_duration_seconds_count{operation=ListObjectsV2}`:           3,
		`ossfuse_oss_request_duration_seconds_count{operation=DeleteMultipleObjects}`:   1,
		`ossfuse_oss_requests_total{operation=GetObject,outcome=ok}`:                    0,
		`ossfuse_oss_request_duration_seconds_count{operation=CompleteMultipartUpload}`: 0,
	} {
		if v, present := got[name]; !present || v != want {
			t.Errorf("%s = %v (present %v), want %v", name, v, present, want)
		}
	}
}

func TestDecoratorTimesCalls(t *testing.T) {
	m, reg := newTestMetrics(t)
	slow := m.Wrap(&fakeClient{delay: 20 * time.Millisecond})
	slow.HeadObject(context.Background(), "k")
	got := series(t, reg)
	if sum := got[`ossfuse_oss_request_duration_seconds_sum{operation=HeadObject}`]; sum < 0.020 || sum > 5 {
		t.Errorf("a 20ms call recorded %vs", sum)
	}
}

func TestDecoratorCountsBodyBytesAsTheyStream(t *testing.T) {
	m, reg := newTestMetrics(t)
	body := strings.Repeat("x", 100000)
	c := m.Wrap(&fakeClient{body: body})
	res, err := c.GetObject(context.Background(), ossio.GetRequest{Key: "k", Length: -1})
	if err != nil {
		t.Fatal(err)
	}
	const received = `ossfuse_oss_received_bytes_total{operation=GetObject}`
	if got := series(t, reg)[received]; got != 0 {
		t.Errorf("before reading: %v bytes received, want 0 (counted as read)", got)
	}
	buf := make([]byte, 30000)
	if _, err := io.ReadFull(res.Body, buf); err != nil {
		t.Fatal(err)
	}
	if got := series(t, reg)[received]; got != 30000 {
		t.Errorf("after 30000 bytes: %v received", got)
	}
	rest, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if got := series(t, reg)[received]; got != 100000 || len(rest) != 70000 {
		t.Errorf("after the whole body: %v received, read %d more", got, len(rest))
	}
	// A failed GET has no body and counts no byte.
	failing := m.Wrap(&fakeClient{err: &ossio.Error{Code: "NoSuchKey", Status: 404, Kind: ossio.ErrNotFound}})
	if _, err := failing.GetObject(context.Background(), ossio.GetRequest{Key: "k", Length: -1}); err == nil {
		t.Fatal("no error")
	}
	if got := series(t, reg)[received]; got != 100000 {
		t.Errorf("after a failed GET: %v received", got)
	}
}

func TestDecoratorCountsUploadBytesAndKeepsBodiesSeekable(t *testing.T) {
	m, reg := newTestMetrics(t)
	f := &fakeClient{replay: true}
	c := m.Wrap(f)
	if _, err := c.PutObject(context.Background(), ossio.PutRequest{Key: "k", Body: bytes.NewReader(make([]byte, 1000)), Size: 1000}); err != nil {
		t.Fatal(err)
	}
	if !f.gotBody {
		t.Fatal("the upload body lost io.Seeker: the client could no longer retry it")
	}
	// A body that cannot seek is counted as well.
	if _, err := c.UploadPart(context.Background(), ossio.UploadPartRequest{Key: "k", Body: io.LimitReader(strings.NewReader(strings.Repeat("y", 500)), 500), Size: -1}); err != nil {
		t.Fatal(err)
	}
	got := series(t, reg)
	if v := got[`ossfuse_oss_sent_bytes_total{operation=PutObject}`]; v != 2000 {
		t.Errorf("PutObject sent %v bytes, want 2000 (a replay is sent again)", v)
	}
	if v := got[`ossfuse_oss_sent_bytes_total{operation=UploadPart}`]; v != 500 {
		t.Errorf("UploadPart sent %v bytes, want 500", v)
	}
}

func TestObserveRetry(t *testing.T) {
	m, reg := newTestMetrics(t)
	m.ObserveRetry("ServiceUnavailable")
	m.ObserveRetry("ServiceUnavailable")
	m.ObserveRetry(ossio.OutcomeNetwork)
	got := series(t, reg)
	if got[`ossfuse_oss_retries_total{outcome=ServiceUnavailable}`] != 2 || got[`ossfuse_oss_retries_total{outcome=network}`] != 1 {
		t.Errorf("retries: %v", got)
	}
}

func TestNewRefusesARegistryThatHasTheMetrics(t *testing.T) {
	reg := prometheus.NewRegistry()
	if _, err := New(reg); err != nil {
		t.Fatal(err)
	}
	if _, err := New(reg); err == nil {
		t.Error("registered the same metrics twice")
	}
}

// BenchmarkDecoratorOverhead measures what the decorator adds to a call:
// the same HeadObject against a fake that answers at once, bare and wrapped.
func BenchmarkDecoratorOverhead(b *testing.B) {
	ctx := context.Background()
	b.Run("bare", func(b *testing.B) {
		var c ossio.Client = &fakeClient{}
		for b.Loop() {
			c.HeadObject(ctx, "k")
		}
	})
	b.Run("wrapped", func(b *testing.B) {
		m, err := New(prometheus.NewRegistry())
		if err != nil {
			b.Fatal(err)
		}
		c := m.Wrap(&fakeClient{})
		for b.Loop() {
			c.HeadObject(ctx, "k")
		}
	})
	b.Run("wrapped-error", func(b *testing.B) {
		m, err := New(prometheus.NewRegistry())
		if err != nil {
			b.Fatal(err)
		}
		c := m.Wrap(&fakeClient{err: &ossio.Error{Code: "NoSuchKey", Status: 404, Kind: ossio.ErrNotFound}})
		for b.Loop() {
			c.HeadObject(ctx, "k")
		}
	})
}
