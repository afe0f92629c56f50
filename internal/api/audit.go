package api

import (
	"context"
	"time"
)

// AuditEntry is one row of the audit log.
type AuditEntry struct {
	ID         string    `json:"id" doc:"The entry's id."`
	Action     string    `json:"action" doc:"What happened, such as login, api_key.create or member.remove." example:"api_key.create"`
	Actor      string    `json:"actor" doc:"The user's email or the API key id."`
	TargetType string    `json:"target_type,omitempty" doc:"The kind of thing acted on (api_key, member, project, …)." example:"api_key"`
	TargetID   string    `json:"target_id,omitempty" doc:"The id of the thing acted on."`
	Detail     string    `json:"detail,omitempty" doc:"More about the action, in words. Never a secret." example:"deploy script"`
	IP         string    `json:"ip,omitempty" doc:"The client's IP address." example:"203.0.113.7"`
	RequestID  string    `json:"request_id,omitempty" doc:"The request's X-Request-Id, to match server logs." example:"01936b2e9a1c7d3e"`
	CreatedAt  time.Time `json:"created_at" doc:"When it happened."`
}

type auditInput struct {
	OrgID  string `path:"org_id" doc:"The organization's id."`
	Limit  int    `query:"limit" minimum:"1" doc:"Page size, 1-100 (default 50)."`
	Cursor string `query:"cursor" doc:"next_cursor from the previous page."`
}

// AuditPage is a page of the audit log, newest first.
type AuditPage struct {
	Entries    []*AuditEntry `json:"entries" doc:"The entries, newest first."`
	NextCursor string        `json:"next_cursor,omitempty" doc:"Pass as cursor for the next page; absent on the last page."`
}

func (a *API) handleAuditList(ctx context.Context, in *auditInput) (*struct{ Body *AuditPage }, error) {
	id, err := parseID(in.OrgID)
	if err != nil {
		return nil, err
	}
	c, err := parseCursor(in.Cursor)
	if err != nil {
		return nil, err
	}
	n := limit(in.Limit)
	es, err := a.svc.Audit(ctx, actorOf(ctx), id, c.At, c.ID, n+1)
	if err != nil {
		return nil, err
	}
	page := &AuditPage{Entries: []*AuditEntry{}}
	for i, e := range es {
		if i == n {
			page.NextCursor = cursor{At: es[i-1].CreatedAt, ID: es[i-1].ID}.String()
			break
		}
		page.Entries = append(page.Entries, &AuditEntry{ID: e.ID.String(), Action: string(e.Action), Actor: e.ActorEmail,
			TargetType: e.TargetType, TargetID: e.TargetID, Detail: e.Detail, IP: e.IP, RequestID: e.RequestID, CreatedAt: e.CreatedAt})
	}
	return &struct{ Body *AuditPage }{page}, nil
}

// The operations of this file, for the reference; routes.go gives their
// methods and paths.
var (
	opAuditLog = operation{ID: "audit-log", Tag: "Organizations",
		Summary:     "The audit log (admins)",
		Description: "Security-relevant actions, newest first. Never contains a secret."}
)
