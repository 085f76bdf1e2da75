package enis_test

// The client's retry and resume rules where the conformance scenarios cannot reach them: an
// httptest server answers what a proxy or a cut connection would.

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	enis "inference-service/sdk/go"
)

var fast = enis.RetryPolicy{MaxRetries: 1, BaseDelay: time.Millisecond, MaxDelay: 2 * time.Millisecond, MaxResumes: 2}

type recorder struct {
	mu      sync.Mutex
	headers []http.Header
}

func (r *recorder) serve(t *testing.T, answer func(call int, w http.ResponseWriter)) *httptest.Server {
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, request *http.Request) {
		r.mu.Lock()
		r.headers = append(r.headers, request.Header.Clone())
		call := len(r.headers)
		r.mu.Unlock()
		answer(call, w)
	}))
	t.Cleanup(server.Close)
	return server
}

func TestABodylessBadGatewayIsARetryableUpstreamUnavailableRetriedWithTheSameRequestID(t *testing.T) {
	var calls recorder
	server := calls.serve(t, func(_ int, w http.ResponseWriter) {
		w.WriteHeader(http.StatusBadGateway)
		fmt.Fprint(w, "<html>bad gateway</html>")
	})
	client := enis.New(server.URL, "t")
	client.Retry = fast
	_, err := client.Infer(context.Background(), enis.InferenceRequest{Model: "chat"})
	var typed *enis.Error
	if !errors.As(err, &typed) || typed.Code != enis.CodeUpstreamUnavailable || typed.Status != 502 || !typed.Retryable {
		t.Fatalf("got %v", err)
	}
	if len(calls.headers) != 2 || calls.headers[0].Get("X-Request-Id") != calls.headers[1].Get("X-Request-Id") {
		t.Fatalf("want two attempts with one x-request-id, got %v", calls.headers)
	}
}

func TestAStreamIsGivenUpAfterMaxResumesWithoutProgress(t *testing.T) {
	var calls recorder
	server := calls.serve(t, func(call int, w http.ResponseWriter) {
		w.Header().Set("Content-Type", "text/event-stream")
		if call == 1 {
			fmt.Fprint(w, "event: resume\ndata: {\"resume_token\":\"p.m\",\"offset\":0}\n\nid: 1\nevent: data\ndata: {\"text\":\"a\"}\n\n")
			return
		}
		fmt.Fprint(w, "event: resume\ndata: {\"resume_token\":\"p.m\",\"offset\":1}\n\n")
	})
	client := enis.New(server.URL, "t")
	client.Retry = fast
	var texts []string
	var last error
	for event, err := range client.Stream(context.Background(), enis.InferenceRequest{Model: "chat"}) {
		if err != nil {
			last = err
			break
		}
		if event.Type == enis.EventText {
			texts = append(texts, event.Text)
		}
	}
	if last == nil || !strings.Contains(last.Error(), "after event 1") || !slices.Equal(texts, []string{"a"}) {
		t.Fatalf("got %q then %v", texts, last)
	}
	for _, header := range calls.headers[1:] {
		if header.Get("Last-Event-ID") != "1" {
			t.Fatalf("a resume without Last-Event-ID 1: %v", header)
		}
	}
	if len(calls.headers) != 3 {
		t.Fatalf("want the stream and two resumes, got %d calls", len(calls.headers))
	}
}
