module inference-service/sdk/go

go 1.23
