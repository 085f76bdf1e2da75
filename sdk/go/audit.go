package enis

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
)

// AuditQuery selects the receipts of an export: a tenant (another one needs audit:admin) and
// a time range; empty fields are left out.
type AuditQuery struct {
	Tenant, From, To string
}

// ExportAudit reads the audit export: receipts between their checkpoints, one map per NDJSON
// line, in order.
func (c *Client) ExportAudit(ctx context.Context, query AuditQuery) ([]map[string]any, error) {
	values := url.Values{}
	for name, value := range map[string]string{"tenant": query.Tenant, "from": query.From, "to": query.To} {
		if value != "" {
			values.Set(name, value)
		}
	}
	response, err := c.send(ctx, http.MethodGet, "/api/v1/audit/export?"+values.Encode(), nil, nil, "")
	if err != nil {
		return nil, err
	}
	defer response.Body.Close()
	var lines []map[string]any
	scanner := bufio.NewScanner(response.Body)
	scanner.Buffer(make([]byte, 64*1024), 16<<20)
	for scanner.Scan() {
		if len(scanner.Bytes()) == 0 {
			continue
		}
		var line map[string]any
		if err := json.Unmarshal(scanner.Bytes(), &line); err != nil {
			return nil, err
		}
		lines = append(lines, line)
	}
	return lines, scanner.Err()
}
