package enis_test

// The Go SDK through every conformance scenario (sdk/conformance/scenarios) against the
// harness that sdk/conformance/go.test.ts starts: it passes the control server's URL as
// ENIS_CONFORMANCE_URL.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	enis "inference-service/sdk/go"
)

type scenario struct {
	Name              string          `json:"name"`
	Action            string          `json:"action"`
	Request           json.RawMessage `json:"request"`
	CutAfterChunks    int             `json:"cut_after_chunks"`
	CancelAfterChunks int             `json:"cancel_after_chunks"`
	PageSize          int             `json:"page_size"`
	Expect            struct {
		Text         string   `json:"text"`
		FinishReason string   `json:"finish_reason"`
		MinElapsedMs int      `json:"min_elapsed_ms"`
		Chunks       []string `json:"chunks"`
		Error        *struct {
			Code      enis.ErrorCode `json:"code"`
			Status    int            `json:"status"`
			Retryable bool           `json:"retryable"`
		} `json:"error"`
		Results []batchRow `json:"results"`
		Receipt struct {
			Outcome string `json:"outcome"`
			Model   string `json:"model"`
		} `json:"receipt"`
		FinalCheckpoint bool `json:"final_checkpoint"`
	} `json:"expect"`
}

type batchRow struct {
	CustomID string `json:"custom_id"`
	Status   string `json:"status"`
	Text     string `json:"text"`
}

func control(t *testing.T, s scenario, step string, out any) {
	t.Helper()
	response, err := http.Post(os.Getenv("ENIS_CONFORMANCE_URL")+"/scenarios/"+s.Name+"/"+step, "application/json", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer response.Body.Close()
	if response.StatusCode != http.StatusOK {
		t.Fatalf("%s %s: HTTP %d", s.Name, step, response.StatusCode)
	}
	if out != nil {
		if err := json.NewDecoder(response.Body).Decode(out); err != nil {
			t.Fatal(err)
		}
	}
}

func TestConformance(t *testing.T) {
	if os.Getenv("ENIS_CONFORMANCE_URL") == "" {
		t.Skip("needs the conformance harness (sdk/conformance/go.test.ts)")
	}
	files, _ := filepath.Glob("../conformance/scenarios/*.json")
	if len(files) == 0 {
		t.Fatal("no scenarios")
	}
	for _, file := range files {
		raw, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		var s scenario
		if err := json.Unmarshal(raw, &s); err != nil {
			t.Fatal(err)
		}
		t.Run(s.Name, func(t *testing.T) {
			var prepared struct {
				BaseURL string `json:"base_url"`
				Token   string `json:"token"`
			}
			control(t, s, "prepare", &prepared)
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			run(ctx, t, s, enis.New(prepared.BaseURL, prepared.Token))
			var check struct {
				Problems []string `json:"problems"`
			}
			control(t, s, "check", &check)
			if len(check.Problems) > 0 {
				t.Errorf("wire: %s", strings.Join(check.Problems, "; "))
			}
		})
	}
}

func run(ctx context.Context, t *testing.T, s scenario, client *enis.Client) {
	var request enis.InferenceRequest
	if err := json.Unmarshal(s.Request, &request); err != nil {
		t.Fatal(err)
	}
	switch s.Action {
	case "infer":
		started := time.Now()
		answer, err := client.Infer(ctx, request)
		if s.Expect.Error != nil {
			expectTyped(t, s, err)
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		if elapsed := time.Since(started); elapsed < time.Duration(s.Expect.MinElapsedMs)*time.Millisecond {
			t.Errorf("answered after %v, before the Retry-After", elapsed)
		}
		if answer.Output.Content != s.Expect.Text || answer.FinishReason != s.Expect.FinishReason {
			t.Errorf("answered %q (%s), want %q (%s)", answer.Output.Content, answer.FinishReason, s.Expect.Text, s.Expect.FinishReason)
		}
	case "stream":
		var chunks []string
		finish := ""
		for event, err := range client.Stream(ctx, request) {
			if err != nil {
				t.Fatal(err)
			}
			switch event.Type {
			case enis.EventText:
				chunks = append(chunks, event.Text)
				if len(chunks) == s.CutAfterChunks {
					control(t, s, "cut", nil)
				}
			case enis.EventDone:
				finish = event.FinishReason
			}
		}
		if !slices.Equal(chunks, s.Expect.Chunks) || finish != s.Expect.FinishReason {
			t.Errorf("streamed %q (%s), want %q (%s)", chunks, finish, s.Expect.Chunks, s.Expect.FinishReason)
		}
	case "tamper-resume":
		token := ""
		for event, err := range client.Stream(ctx, request) {
			if err != nil {
				t.Fatal(err)
			}
			if event.Type == enis.EventResume {
				token = event.ResumeToken
				break
			}
		}
		for _, err := range client.Resume(ctx, tamper(token), 0) {
			expectTyped(t, s, err)
			break
		}
	case "audit-export":
		id := fmt.Sprintf("conformance-go-%d", time.Now().UnixNano())
		if _, err := client.Infer(enis.WithRequestID(ctx, id), request); err != nil {
			t.Fatal(err)
		}
		lines, err := client.ExportAudit(ctx, enis.AuditQuery{})
		if err != nil || len(lines) == 0 {
			t.Fatalf("export: %v (%d lines)", err, len(lines))
		}
		found := false
		for _, line := range lines {
			receipt, _ := line["receipt"].(map[string]any)
			if line["type"] == "receipt" && receipt["request_id"] == id {
				found = receipt["outcome"] == s.Expect.Receipt.Outcome && receipt["model"] == s.Expect.Receipt.Model
			}
		}
		last := lines[len(lines)-1]
		if !found || last["type"] != "checkpoint" || last["final"] != s.Expect.FinalCheckpoint {
			t.Errorf("no receipt %s with %+v, or no final checkpoint last (%v)", id, s.Expect.Receipt, last)
		}
	case "cancel-stream":
		cancelled, cancel := context.WithCancel(ctx)
		defer cancel()
		var chunks []string
		var last error
		for event, err := range client.Stream(cancelled, request) {
			if err != nil {
				last = err
				break
			}
			if event.Type == enis.EventText {
				if chunks = append(chunks, event.Text); len(chunks) == s.CancelAfterChunks {
					cancel()
				}
			}
		}
		if !errors.Is(last, context.Canceled) || !slices.Equal(chunks, s.Expect.Chunks) {
			t.Errorf("got %q then %v, want %q then context.Canceled", chunks, last, s.Expect.Chunks)
		}
	case "batch":
		var submitted enis.BatchRequest
		if err := json.Unmarshal(s.Request, &submitted); err != nil {
			t.Fatal(err)
		}
		submitted.TaskID = fmt.Sprintf("conformance-go-%d", time.Now().UnixNano())
		batch, err := client.SubmitBatch(ctx, submitted)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := client.WaitForBatch(ctx, batch.ID, 100*time.Millisecond); err != nil {
			t.Fatal(err)
		}
		var rows []batchRow
		for result, err := range client.BatchResults(ctx, batch.ID, s.PageSize) {
			if err != nil {
				t.Fatal(err)
			}
			row := batchRow{CustomID: result.CustomID, Status: result.Status}
			if result.Response != nil {
				row.Text = result.Response.Output.Content
			}
			rows = append(rows, row)
		}
		if !reflect.DeepEqual(rows, s.Expect.Results) {
			t.Errorf("results %+v, want %+v", rows, s.Expect.Results)
		}
	default:
		t.Fatalf("unknown action %s", s.Action)
	}
}

func expectTyped(t *testing.T, s scenario, err error) {
	t.Helper()
	var typed *enis.Error
	if !errors.As(err, &typed) {
		t.Fatalf("want an *enis.Error, got %v", err)
	}
	want := s.Expect.Error
	if typed.Code != want.Code || typed.Status != want.Status || typed.Retryable != want.Retryable {
		t.Errorf("got %s %d retryable=%v, want %s %d retryable=%v", typed.Code, typed.Status, typed.Retryable, want.Code, want.Status, want.Retryable)
	}
	if !slices.Contains(enis.ErrorCodes, typed.Code) || typed.RequestID == "" {
		t.Errorf("code %s outside the vocabulary or no request id (%q)", typed.Code, typed.RequestID)
	}
}

// tamper changes the first character of the token's signature.
func tamper(token string) string {
	payload, mac, _ := strings.Cut(token, ".")
	first := "A"
	if strings.HasPrefix(mac, "A") {
		first = "B"
	}
	return payload + "." + first + mac[min(1, len(mac)):]
}
