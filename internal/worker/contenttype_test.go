package worker_test

import (
	"context"
	"log/slog"
	"net/netip"
	"testing"
	"time"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/auth"
	"github.com/prikke/prikke/internal/delivery"
	"github.com/prikke/prikke/internal/mail"
	"github.com/prikke/prikke/internal/service"
	"github.com/prikke/prikke/internal/sink"
	"github.com/prikke/prikke/internal/store"
	"github.com/prikke/prikke/internal/store/storetest"
)

// TestQueuedRequestContentTypeAndScheduledFor enqueues requests through
// the service, as POST /api/v1/queue does, and reads what a real HTTP
// receiver got: the Content-Type the user gave (content_type or their
// header), application/json for a JSON body given none, nothing for other
// bodies; and Prikke-Scheduled-For as the instant asked for to the
// millisecond, not cut to the second, the same text as the due_at the
// queue answers.
func TestQueuedRequestContentTypeAndScheduledFor(t *testing.T) {
	t.Parallel()
	storetest.Dialects(t, func(t *testing.T, s store.Store) {
		tn := storetest.NewTenant(t, s, prikke.TierPro)
		sk := sink.New(tn.Project.SigningSecret)
		t.Cleanup(sk.Close)
		startEngine(t, s, "n1", []netip.AddrPort{sk.Addr()}, nil)
		client := delivery.New(delivery.Options{Allow: []netip.AddrPort{sk.Addr()}})
		t.Cleanup(client.Close)
		svc := service.New(s, auth.NewHasher(), mail.NewMailbox(), client, service.Config{BaseURL: "http://prikke.test"}, slog.New(slog.DiscardHandler))
		a := &service.Actor{User: tn.User}

		// Due just after a whole second 3s ahead, with a sub-second part
		// (enqueueing the cases took over a second on a loaded machine,
		// and an instant in the past is refused).
		at := time.Now().Add(3 * time.Second).Truncate(time.Second).Add(250*time.Millisecond + 123*time.Microsecond).UTC()
		notBefore := at.Format(time.RFC3339Nano)
		ct := func(s string) *string { return &s }
		cases := []struct {
			name    string
			body    string
			headers []prikke.Header
			ct      *string
			want    string
		}{
			{"json-default", `{"order":42}`, nil, nil, "application/json"},
			{"json-array-default", `[1,2]`, nil, nil, "application/json"},
			{"content_type", `a=1&b=2`, nil, ct("application/x-www-form-urlencoded"), "application/x-www-form-urlencoded"},
			{"header", `<a/>`, []prikke.Header{{Name: "Content-Type", Value: "application/xml"}}, nil, "application/xml"},
			{"header-over-json", `{"x":1}`, []prikke.Header{{Name: "content-type", Value: "text/plain; charset=utf-8"}}, nil, "text/plain; charset=utf-8"},
			{"text-none", `hello`, nil, nil, ""},
			{"empty-none", ``, nil, nil, ""},
		}
		for _, tc := range cases {
			_, e, _, err := svc.Enqueue(context.Background(), a, &service.QueueInput{URL: sk.URL("/ok?c=" + tc.name),
				Headers: tc.headers, ContentType: tc.ct, Body: tc.body, NotBefore: &notBefore}, "")
			if err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			if want := at.Truncate(time.Millisecond); !e.DueAt.Equal(want) || !e.ScheduledFor.Equal(want) {
				t.Errorf("%s: enqueued due %s, scheduled for %s; want %s, to the millisecond", tc.name, e.DueAt, e.ScheduledFor, want)
			}
		}
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		if err := sk.WaitCount(ctx, len(cases)); err != nil {
			t.Fatalf("sink got %d of %d: %v", sk.Count(), len(cases), err)
		}
		got := map[string]sink.Received{}
		for _, r := range sk.Requests() {
			got[r.Query] = r
		}
		for _, tc := range cases {
			r, ok := got["c="+tc.name]
			if !ok {
				t.Errorf("%s: not delivered", tc.name)
				continue
			}
			if r.ContentType != tc.want {
				t.Errorf("%s: Content-Type = %q, want %q", tc.name, r.ContentType, tc.want)
			}
			if want := at.Truncate(time.Millisecond).Format("2006-01-02T15:04:05.000Z"); r.ScheduledFor != want {
				t.Errorf("%s: Prikke-Scheduled-For = %q, want %q", tc.name, r.ScheduledFor, want)
			}
		}
	})
}
