// The Go quickstart: stream an answer from `make run` (ENIS_URL, TOKEN as it prints it).
package main

import (
	"cmp"
	"context"
	"fmt"
	"os"

	enis "inference-service/sdk/go"
)

func main() {
	client := enis.New(cmp.Or(os.Getenv("ENIS_URL"), "http://127.0.0.1:8080"), os.Getenv("TOKEN"))
	request := enis.InferenceRequest{
		Model:      "chat",
		Messages:   []enis.Message{{Role: "user", Content: "Say hello"}},
		Parameters: map[string]any{"max_tokens": 16},
	}
	for event, err := range client.Stream(context.Background(), request) {
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		if event.Type == enis.EventText {
			fmt.Print(event.Text)
		}
	}
	fmt.Println()
}
