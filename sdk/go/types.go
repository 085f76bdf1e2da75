package enis

// The wire shapes of docs/openapi.yaml that the client sends and reads, written by hand:
// oapi-codegen renders this document's single-value enum unions (message roles) as union
// structs that need its runtime module, and the SDK keeps to the standard library. The
// conformance scenarios check these shapes against the real gateway.

// Message is one turn of a conversation.
type Message struct {
	Role    string `json:"role"`
	Content string `json:"content"`
	Name    string `json:"name,omitempty"`
}

// Prompt names a prompt manifest (docs/prompts.md) and its variables.
type Prompt struct {
	ID        string         `json:"id"`
	Version   string         `json:"version,omitempty"`
	Variables map[string]any `json:"variables,omitempty"`
}

// InferenceRequest is the body of POST /api/v1/inference and :stream.
type InferenceRequest struct {
	Model      string         `json:"model,omitempty"`
	Prompt     *Prompt        `json:"prompt,omitempty"`
	Messages   []Message      `json:"messages,omitempty"`
	Parameters map[string]any `json:"parameters,omitempty"`
}

// Usage counts the tokens of one answer.
type Usage struct {
	InputTokens  int `json:"input_tokens"`
	OutputTokens int `json:"output_tokens"`
	CachedTokens int `json:"cached_tokens"`
}

// InferenceResponse is the answer of POST /api/v1/inference.
type InferenceResponse struct {
	ID     string `json:"id"`
	Model  string `json:"model"`
	Output struct {
		Role    string `json:"role"`
		Content string `json:"content"`
	} `json:"output"`
	FinishReason string `json:"finish_reason"`
	Usage        Usage  `json:"usage"`
}

// BatchItem is one request of a batch, with an optional id unique in the batch.
type BatchItem struct {
	InferenceRequest
	CustomID string `json:"custom_id,omitempty"`
}

// BatchRequest is the body of POST /api/v1/batches; the same TaskID and payload answer the
// same batch.
type BatchRequest struct {
	TaskID string      `json:"task_id"`
	Model  string      `json:"model,omitempty"`
	Items  []BatchItem `json:"items,omitempty"`
	JSONL  string      `json:"jsonl,omitempty"`
}

// Batch is a batch's status and progress.
type Batch struct {
	ID            string `json:"id"`
	TaskID        string `json:"task_id"`
	Status        string `json:"status"`
	Model         string `json:"model"`
	RequestCounts struct {
		Total     int `json:"total"`
		Succeeded int `json:"succeeded"`
		Failed    int `json:"failed"`
		Cancelled int `json:"cancelled"`
		Pending   int `json:"pending"`
	} `json:"request_counts"`
}

// BatchResult is one item's result: Response when it succeeded, Error when it failed.
type BatchResult struct {
	Index    int                `json:"index"`
	CustomID string             `json:"custom_id,omitempty"`
	Status   string             `json:"status"`
	Attempts int                `json:"attempts"`
	Response *InferenceResponse `json:"response,omitempty"`
	Error    *struct {
		Code      ErrorCode `json:"code"`
		Message   string    `json:"message"`
		Retryable bool      `json:"retryable"`
	} `json:"error,omitempty"`
}

type batchPage struct {
	Data       []BatchResult `json:"data"`
	NextCursor *string       `json:"next_cursor"`
}
