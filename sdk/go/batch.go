package enis

import (
	"context"
	"iter"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// SubmitBatch submits a batch; the same TaskID and payload answer the same batch.
func (c *Client) SubmitBatch(ctx context.Context, request BatchRequest) (*Batch, error) {
	var batch Batch
	return &batch, c.do(ctx, http.MethodPost, "/api/v1/batches", request, &batch)
}

// GetBatch reads a batch's status and progress.
func (c *Client) GetBatch(ctx context.Context, id string) (*Batch, error) {
	var batch Batch
	return &batch, c.do(ctx, http.MethodGet, "/api/v1/batches/"+url.PathEscape(id), nil, &batch)
}

// WaitForBatch polls the batch every interval until it is completed or cancelled.
func (c *Client) WaitForBatch(ctx context.Context, id string, interval time.Duration) (*Batch, error) {
	for {
		batch, err := c.GetBatch(ctx, id)
		if err != nil || batch.Status == "completed" || batch.Status == "cancelled" {
			return batch, err
		}
		if err := sleep(ctx, interval); err != nil {
			return nil, err
		}
	}
}

// BatchResults yields every result of a batch in item order, read limit (1 to 1000) a page.
func (c *Client) BatchResults(ctx context.Context, id string, limit int) iter.Seq2[BatchResult, error] {
	return func(yield func(BatchResult, error) bool) {
		cursor := ""
		for {
			query := url.Values{"limit": {strconv.Itoa(limit)}}
			if cursor != "" {
				query.Set("cursor", cursor)
			}
			var page batchPage
			path := "/api/v1/batches/" + url.PathEscape(id) + "/results?" + query.Encode()
			if err := c.do(ctx, http.MethodGet, path, nil, &page); err != nil {
				yield(BatchResult{}, err)
				return
			}
			for _, result := range page.Data {
				if !yield(result, nil) {
					return
				}
			}
			if page.NextCursor == nil {
				return
			}
			cursor = *page.NextCursor
		}
	}
}
