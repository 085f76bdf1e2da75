package enis

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"iter"
	"net/http"
	"strconv"
	"strings"
)

// EventType tells the events of a stream apart.
type EventType string

// The events a stream yields: resume tokens as the gateway sends them, text chunks in order,
// then one done.
const (
	EventResume EventType = "resume"
	EventText   EventType = "text"
	EventDone   EventType = "done"
)

// Event is one event of a stream. Offset numbers the text chunks 1, 2, …
type Event struct {
	Type         EventType
	Text         string
	Offset       int
	ResumeToken  string
	FinishReason string
	Usage        Usage
}

// Stream runs one inference as its events, resumed automatically when the connection ends
// before done (the replica drained, the network dropped it): it reconnects after a backoff
// with the latest resume token and Last-Event-ID and skips what it already yielded, so every
// chunk arrives once and in order. An error (opening, a mid-stream error event, a resume that
// fails) is yielded last.
func (c *Client) Stream(ctx context.Context, request InferenceRequest) iter.Seq2[Event, error] {
	return c.follow(ctx, func() (*http.Response, error) {
		return c.send(ctx, http.MethodPost, "/api/v1/inference:stream", request, nil, "")
	})
}

// Resume resumes a stream from a resume token, after event lastEventID (0: the token's).
func (c *Client) Resume(ctx context.Context, token string, lastEventID int) iter.Seq2[Event, error] {
	return c.follow(ctx, func() (*http.Response, error) { return c.resume(ctx, token, lastEventID) })
}

func (c *Client) resume(ctx context.Context, token string, lastEventID int) (*http.Response, error) {
	headers := map[string]string{}
	if lastEventID > 0 {
		headers["Last-Event-ID"] = strconv.Itoa(lastEventID)
	}
	return c.send(ctx, http.MethodPost, "/api/v1/inference:resume", map[string]string{"resume_token": token}, headers, "")
}

func (c *Client) follow(ctx context.Context, open func() (*http.Response, error)) iter.Seq2[Event, error] {
	return func(yield func(Event, error) bool) {
		response, err := open()
		token, offset := "", 0
		for quiet := 0; ; quiet++ {
			if err != nil {
				yield(Event{}, err)
				return
			}
			for event, err := range readEvents(response) {
				if err != nil {
					break // the connection was cut: resume below
				}
				var data map[string]any
				if json.Unmarshal([]byte(event.data), &data) != nil {
					continue
				}
				next, stop, failure := interpret(event, data, &token, &offset)
				switch {
				case failure != nil:
					yield(Event{}, failure)
					return
				case next == nil:
					continue
				case !yield(*next, nil) || stop:
					response.Body.Close()
					return
				case next.Type != EventResume:
					quiet = 0
				}
			}
			response.Body.Close()
			if ctx.Err() != nil {
				yield(Event{}, ctx.Err())
				return
			}
			if token == "" || quiet >= c.Retry.MaxResumes {
				yield(Event{}, fmt.Errorf("the stream ended after event %d and could not be resumed", offset))
				return
			}
			if err = sleep(ctx, c.Retry.backoff(quiet)); err == nil {
				response, err = c.resume(ctx, token, offset)
			}
		}
	}
}

// interpret turns one SSE event into what the stream yields (nil: nothing), whether it is the
// last, or the error it carries.
func interpret(event sseEvent, data map[string]any, token *string, offset *int) (*Event, bool, error) {
	switch event.name {
	case "resume":
		*token, _ = data["resume_token"].(string)
		at, _ := data["offset"].(float64)
		return &Event{Type: EventResume, ResumeToken: *token, Offset: int(at)}, false, nil
	case "error":
		failure := &Error{Status: http.StatusOK}
		raw, _ := json.Marshal(data)
		_ = json.Unmarshal(raw, failure)
		return nil, false, failure
	}
	at, err := strconv.Atoi(event.id)
	if err != nil || at <= *offset {
		return nil, false, nil
	}
	*offset = at
	switch event.name {
	case "data":
		text, _ := data["text"].(string)
		return &Event{Type: EventText, Text: text, Offset: at}, false, nil
	case "done":
		done := &Event{Type: EventDone, Offset: at}
		done.FinishReason, _ = data["finish_reason"].(string)
		raw, _ := json.Marshal(data["usage"])
		_ = json.Unmarshal(raw, &done.Usage)
		return done, true, nil
	}
	return nil, false, nil
}

type sseEvent struct{ name, id, data string }

// readEvents parses a text/event-stream body, event by event; a read error ends it.
func readEvents(response *http.Response) iter.Seq2[sseEvent, error] {
	return func(yield func(sseEvent, error) bool) {
		scanner := bufio.NewScanner(response.Body)
		scanner.Buffer(make([]byte, 64*1024), 16<<20)
		event := sseEvent{name: "message"}
		for scanner.Scan() {
			line := scanner.Text()
			if line == "" {
				if event.data != "" && !yield(event, nil) {
					return
				}
				event = sseEvent{name: "message"}
				continue
			}
			field, value, _ := strings.Cut(line, ":")
			value = strings.TrimPrefix(value, " ")
			switch field {
			case "event":
				event.name = value
			case "id":
				event.id = value
			case "data":
				event.data = strings.TrimPrefix(event.data+"\n"+value, "\n")
			}
		}
		if err := scanner.Err(); err != nil {
			yield(sseEvent{}, err)
		}
	}
}
