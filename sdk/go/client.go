// Package enis is a client of the inference-service gateway's native API (docs/sdks.md):
// inference, streams resumed automatically, retries that honour Retry-After with one
// x-request-id, typed errors of the closed vocabulary, batches and the audit export. Every
// call takes a context.Context: cancelling it cancels the call.
package enis

import (
	"bytes"
	"context"
	cryptorand "crypto/rand"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"
	"time"
)

// RetryPolicy says how often a call is retried and how long it waits when the gateway names
// no wait: full jitter, doubling from BaseDelay up to MaxDelay.
type RetryPolicy struct {
	MaxRetries int
	BaseDelay  time.Duration
	MaxDelay   time.Duration
	// MaxResumes is how many reconnections in a row a cut stream may take without a new event.
	MaxResumes int
}

// DefaultRetry is the policy of New.
var DefaultRetry = RetryPolicy{MaxRetries: 2, BaseDelay: 250 * time.Millisecond, MaxDelay: 8 * time.Second, MaxResumes: 5}

func (p RetryPolicy) backoff(attempt int) time.Duration {
	ceiling := min(p.MaxDelay, p.BaseDelay<<attempt)
	return time.Duration(rand.Int64N(int64(ceiling) + 1))
}

// Client calls one gateway with one bearer token.
type Client struct {
	BaseURL string
	Token   string
	HTTP    *http.Client
	Retry   RetryPolicy
}

// New is a client of the gateway at baseURL (e.g. http://127.0.0.1:8080) with a tenant's JWT.
func New(baseURL, token string) *Client {
	return &Client{BaseURL: strings.TrimRight(baseURL, "/"), Token: token, HTTP: http.DefaultClient, Retry: DefaultRetry}
}

// Infer runs one inference and answers the whole output.
func (c *Client) Infer(ctx context.Context, request InferenceRequest) (*InferenceResponse, error) {
	var answer InferenceResponse
	return &answer, c.do(ctx, http.MethodPost, "/api/v1/inference", request, &answer)
}

// do sends a call (retried) and decodes its JSON answer into out.
func (c *Client) do(ctx context.Context, method, path string, body, out any) error {
	response, err := c.send(ctx, method, path, body, nil, "")
	if err != nil {
		return err
	}
	defer response.Body.Close()
	return json.NewDecoder(response.Body).Decode(out)
}

// send sends one call until it succeeds or may not be retried: a retryable gateway error waits
// its Retry-After (or a backoff), a transport failure waits a backoff. Every attempt carries
// the same x-request-id, so the gateway counts and charges one request.
func (c *Client) send(ctx context.Context, method, path string, body any, headers map[string]string, requestID string) (*http.Response, error) {
	var payload []byte
	if body != nil {
		var err error
		if payload, err = json.Marshal(body); err != nil {
			return nil, err
		}
	}
	if requestID == "" {
		requestID, _ = ctx.Value(requestIDKey{}).(string)
	}
	if requestID == "" {
		requestID = newRequestID()
	}
	for attempt := 0; ; attempt++ {
		request, err := http.NewRequestWithContext(ctx, method, c.BaseURL+path, bytes.NewReader(payload))
		if err != nil {
			return nil, err
		}
		request.Header.Set("Authorization", "Bearer "+c.Token)
		request.Header.Set("X-Request-Id", requestID)
		if body != nil {
			request.Header.Set("Content-Type", "application/json")
		}
		for name, value := range headers {
			request.Header.Set(name, value)
		}
		response, err := c.HTTP.Do(request)
		var wait time.Duration
		switch {
		case err != nil && ctx.Err() != nil:
			return nil, ctx.Err()
		case err != nil:
			wait = c.Retry.backoff(attempt)
		case response.StatusCode < 300:
			return response, nil
		default:
			failure := errorFrom(response)
			if !failure.Retryable || attempt >= c.Retry.MaxRetries {
				return nil, failure
			}
			err, wait = failure, c.Retry.backoff(attempt)
			if failure.HasRetryAfter {
				wait = failure.RetryAfter
			}
		}
		if attempt >= c.Retry.MaxRetries {
			return nil, err
		}
		if err := sleep(ctx, wait); err != nil {
			return nil, err
		}
	}
}

func sleep(ctx context.Context, wait time.Duration) error {
	timer := time.NewTimer(wait)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-timer.C:
		return nil
	}
}

type requestIDKey struct{}

// WithRequestID makes the calls under ctx send this x-request-id (by default each call sends a
// random one, the same on each of its retries).
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey{}, id)
}

// newRequestID is a random UUID (version 4).
func newRequestID() string {
	var b [16]byte
	_, _ = cryptorand.Read(b[:])
	b[6], b[8] = b[6]&0x0f|0x40, b[8]&0x3f|0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}
