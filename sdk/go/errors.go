package enis

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"
)

// Error is an error the gateway answered, HTTP or mid-stream: a code of the closed vocabulary,
// the HTTP status, whether asking again may succeed, and after how long (Retry-After).
type Error struct {
	Code       ErrorCode      `json:"code"`
	Message    string         `json:"message"`
	Retryable  bool           `json:"retryable"`
	RequestID  string         `json:"request_id"`
	Details    map[string]any `json:"details"`
	Status     int            `json:"-"`
	RetryAfter time.Duration  `json:"-"`
	// HasRetryAfter tells a Retry-After of zero from none.
	HasRetryAfter bool `json:"-"`
}

func (e *Error) Error() string {
	return fmt.Sprintf("%s (HTTP %d): %s", e.Code, e.Status, e.Message)
}

// errorFrom reads the typed error of a non-2xx response and closes its body.
func errorFrom(response *http.Response) *Error {
	defer response.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(response.Body, 1<<20))
	var envelope struct {
		Error *Error `json:"error"`
	}
	failure := &Error{}
	if json.Unmarshal(raw, &envelope) == nil && envelope.Error != nil {
		failure = envelope.Error
	} else {
		// Only something in front of the gateway (a proxy) answers without the error body.
		failure.Code, failure.Retryable = CodeBadRequest, response.StatusCode >= 500
		if failure.Retryable {
			failure.Code = CodeUpstreamUnavailable
		}
		failure.Message = fmt.Sprintf("HTTP %d without an error body", response.StatusCode)
	}
	failure.Status = response.StatusCode
	failure.RetryAfter, failure.HasRetryAfter = retryAfter(response.Header.Get("Retry-After"))
	return failure
}

// retryAfter reads Retry-After: delta-seconds or an HTTP date.
func retryAfter(value string) (time.Duration, bool) {
	if value == "" {
		return 0, false
	}
	if seconds, err := strconv.ParseFloat(value, 64); err == nil {
		return time.Duration(max(0, seconds) * float64(time.Second)), true
	}
	if at, err := http.ParseTime(value); err == nil {
		return max(0, time.Until(at)), true
	}
	return 0, false
}
