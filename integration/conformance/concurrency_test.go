package conformance

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"sync"
	"testing"

	"github.com/ossfuse/ossfuse/ossio"
)

// Concurrency: objects are replaced atomically, and of two appends at the
// same position exactly one wins (OSS-API.md §3.1, §3.8).

func TestConcurrentPutGetNoTornReads(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	const (
		writers, perWriter = 8, 3
		readers, maxReads  = 8, 16
		size               = 1 << 20
	)
	patterns := map[string][]byte{} // by MD5
	var order [][]byte
	for w := range writers {
		for i := range perWriter {
			p := content(uint64(1000+w*perWriter+i), size)
			patterns[md5Hex(p)] = p
			order = append(order, p)
		}
	}
	put(t, e.Client, "hot", order[0])

	start := make(chan struct{})
	writersDone := make(chan struct{})
	var wg, ww sync.WaitGroup
	errs := make(chan error, writers*perWriter+readers*maxReads)
	for w := range writers {
		ww.Add(1)
		go func() {
			defer ww.Done()
			<-start
			for i := range perWriter {
				p := order[w*perWriter+i]
				res, err := e.Client.PutObject(ctxT(t), ossio.PutRequest{Key: "hot", Body: bytes.NewReader(p), Size: size})
				if err != nil {
					errs <- fmt.Errorf("writer %d: %w", w, err)
				} else if res.ETag != md5Hex(p) {
					errs <- fmt.Errorf("writer %d: ETag %s, want %s", w, res.ETag, md5Hex(p))
				}
			}
		}()
	}
	reads := make(chan int, readers)
	for r := range readers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			n := 0
			defer func() { reads <- n }()
			for ; n < maxReads; n++ {
				select {
				case <-writersDone:
					if n >= 2 {
						return
					}
				default:
				}
				res, err := e.Client.GetObject(ctxT(t), wholeGet("hot"))
				if err != nil {
					errs <- fmt.Errorf("reader %d: %w", r, err)
					continue
				}
				body, err := io.ReadAll(res.Body)
				res.Body.Close()
				sum := md5Hex(body)
				switch p, ok := patterns[sum]; {
				case err != nil:
					errs <- fmt.Errorf("reader %d: body: %w", r, err)
				case !ok || !bytes.Equal(p, body):
					errs <- fmt.Errorf("reader %d: torn read: %d bytes matching no written pattern", r, len(body))
				case res.Info.ETag != sum:
					errs <- fmt.Errorf("reader %d: ETag %s but the body's MD5 is %s", r, res.Info.ETag, sum)
				}
			}
		}()
	}
	close(start)
	ww.Wait()
	close(writersDone)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	close(reads)
	total := 0
	for n := range reads {
		total += n
	}
	body, g := get(t, e.Client, wholeGet("hot"))
	if p, ok := patterns[md5Hex(body)]; !ok || !bytes.Equal(p, body) || g.Info.ETag != md5Hex(body) {
		t.Error("final object is not one of the written patterns")
	}
	t.Logf("%d reads during %d writes", total, writers*perWriter)
}

func TestConcurrentAppendSamePosition(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	clients := [2]ossio.Client{e.newClient(t), e.newClient(t)}
	const rounds = 50
	var want []byte
	for r := range rounds {
		payloads := [2][]byte{content(uint64(2*r), 1000+r), content(uint64(2*r+1), 2000+r)}
		pos := int64(len(want))
		var results [2]ossio.AppendResult
		var errs [2]error
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i := range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				results[i], errs[i] = clients[i].AppendObject(ctxT(t), ossio.AppendRequest{
					Key: "race-log", Position: pos, Body: bytes.NewReader(payloads[i]), Size: int64(len(payloads[i])),
				})
			}()
		}
		close(start)
		wg.Wait()
		if (errs[0] == nil) == (errs[1] == nil) {
			t.Fatalf("round %d: append errors %v and %v; want exactly one winner", r, errs[0], errs[1])
		}
		win := 0
		if errs[0] != nil {
			win = 1
		}
		want = append(want, payloads[win]...)
		if results[win].NextPosition != int64(len(want)) || results[win].CRC64 != crcOf(want) {
			t.Errorf("round %d: winner got %+v, want next %d CRC %d", r, results[win], len(want), crcOf(want))
		}
		lost := errs[1-win]
		wantErr(t, lost, ossio.ErrPositionMismatch, 409, "PositionNotEqualToLength")
		if next, ok := ossio.NextAppendPosition(lost); !ok || next != int64(len(want)) {
			t.Errorf("round %d: loser's next position %d (%v), want %d", r, next, ok, len(want))
		}
		if t.Failed() {
			return
		}
	}
	body, g := get(t, e.Client, wholeGet("race-log"))
	if !bytes.Equal(body, want) || g.Info.NextAppendPosition != int64(len(want)) {
		t.Errorf("after %d contended appends: %d bytes, want the %d bytes of the winners", rounds, len(body), len(want))
	}
}

func TestConcurrentUploadParts(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	const n = 8
	id := initiate(t, e.Client, "parallel")
	data := content(30, n*(100<<10)+123)
	chunk := func(i int) []byte { return data[i*(100<<10) : min((i+1)*(100<<10), len(data))] }
	parts := make([]ossio.Part, n+1)
	errs := make([]error, n+1)
	var wg sync.WaitGroup
	for i := range n + 1 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := chunk(i)
			parts[i], errs[i] = e.Client.UploadPart(ctxT(t), ossio.UploadPartRequest{Key: "parallel", UploadID: id, Number: i + 1, Body: bytes.NewReader(c), Size: int64(len(c))})
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	res, err := e.Client.CompleteMultipart(ctxT(t), ossio.CompleteMultipartRequest{Key: "parallel", UploadID: id, Parts: parts})
	if err != nil {
		t.Fatal(err)
	}
	if m := multipartETagRE.FindStringSubmatch(res.ETag); m == nil || m[1] != fmt.Sprint(n+1) || res.CRC64 != crcOf(data) {
		t.Errorf("CompleteResult %+v, want <32 hex>-%d, CRC %d", res, n+1, crcOf(data))
	}
	if body, _ := get(t, e.Client, wholeGet("parallel")); !bytes.Equal(body, data) {
		t.Error("object assembled from parallel parts has the wrong content")
	}
}
