package web

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/service"
	"github.com/prikke/prikke/internal/store"
	"github.com/prikke/prikke/internal/store/storetest"
)

// TestFlowKeyHostileNames: a key name made of HTML's special characters
// (a valid key: printable, no space, no '/') is shown escaped on every
// page that shows keys (the list, the key's page and its flash, the
// overview, the job's page and form, the execution's page) and in the
// key page's event stream; and a long key (over 200 characters)
// that is a destination's host:port (the default key of a long host
// name, which its endpoint can hold) has a page whose hold can be
// released.
func TestFlowKeyHostileNames(t *testing.T) {
	storetest.Dialects(t, testFlowKeyHostileNames)
}

func testFlowKeyHostileNames(t *testing.T, st store.Store) {
	d := newDash(t, st)
	tn := d.tenant(prikke.TierPro)
	b := d.as(tn)
	ctx := context.Background()
	pid := tn.Project.ID.String()
	const key = `"><i>k&'x`
	const raw = `"><i>k`
	if msg := prikke.ValidFlowKey(key); msg != "" {
		t.Fatalf("the test's key is refused: %s", msg)
	}
	if _, _, err := d.svc.PutFlowKey(ctx, tn.actor(), tn.Project.ID, key, &service.FlowKeyInput{Parallelism: intp(2)}); err != nil {
		t.Fatal(err)
	}
	j := d.flowJob(tn, "hostile", "https://example.com/x", key)
	e := d.finishedExecution(j, prikke.ExecutionStatusSuccess, nil)
	keyPath := "/app/projects/" + pid + "/flow-keys/" + url.PathEscape(key)
	for _, path := range []string{"/app/projects/" + pid + "/flow-keys", keyPath, "/app/projects/" + pid,
		"/app/jobs/" + j.ID.String(), "/app/jobs/" + j.ID.String() + "/edit", "/app/executions/" + e.ID.String()} {
		r := b.get(path)
		if r.Status != 200 {
			t.Errorf("GET %s = %d", path, r.Status)
			continue
		}
		if strings.Contains(r.Body, raw) {
			t.Errorf("GET %s shows the key unescaped", path)
		}
		if !strings.Contains(r.Body, "&gt;&lt;i&gt;k&amp;") {
			t.Errorf("GET %s does not show the key (escaped)", path)
		}
	}
	// The flash of an action names the key.
	r := b.post(keyPath+"/pause", url.Values{})
	if r.Status != 303 {
		t.Fatalf("pause = %d %s", r.Status, r.Body)
	}
	if r = b.get(r.location()); r.Status != 200 || strings.Contains(r.Body, raw) || !strings.Contains(r.Body, "is paused") {
		t.Errorf("the page after pausing: %d, unescaped %v", r.Status, strings.Contains(r.Body, raw))
	}
	// The event stream.
	sctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	select {
	case ev, ok := <-openStream(sctx, t, b, keyPath+"/events"):
		if !ok || !strings.HasPrefix(ev, "event: flow-key-summary\n") || strings.Contains(ev, "<i>") {
			t.Errorf("first event: %q", ev)
		}
	case <-sctx.Done():
		t.Fatal("no event")
	}

	// A long host name's default key.
	host := strings.Repeat("a", 63) + "." + strings.Repeat("b", 63) + "." + strings.Repeat("c", 63) + "." + strings.Repeat("d", 50) + ".example"
	long := d.flowJob(tn, "long host", "https://"+host+"/hook", "").Flow()
	if len(long) <= 200 {
		t.Fatalf("long key %d characters", len(long))
	}
	if err := d.store.FlowKeyHold(ctx, tn.Project.ID, long, time.Now().Add(time.Hour), "503 Service Unavailable, Retry-After 3600s"); err != nil {
		t.Fatal(err)
	}
	longPath := "/app/projects/" + pid + "/flow-keys/" + url.PathEscape(long)
	if r := b.get(longPath); r.Status != 200 || !strings.Contains(r.Body, `data-testid="release"`) {
		t.Fatalf("the long key's page = %d", r.Status)
	}
	if r := b.post(longPath+"/release", url.Values{}); r.Status != 303 {
		t.Errorf("release the long key = %d", r.Status)
	}
	if k, err := d.store.FlowKeyGet(ctx, tn.Project.ID, long, time.Now()); err != nil || k.HeldUntil != nil {
		t.Errorf("the long key after its release: %+v, %v", k, err)
	}
}

// TestFlowKeyEventsAccessEnds: a key page's event stream re-checks the
// viewer's access as it goes: a member removed from the organization
// stops getting the key's figures (the stream ends), and another tenant
// never opens it.
func TestFlowKeyEventsAccessEnds(t *testing.T) {
	d := newDash(t, nil)
	tn := d.tenant(prikke.TierFree)
	other := d.tenant(prikke.TierFree)
	d.member(tn, other.User, prikke.RoleViewer)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if _, err := d.svc.PauseFlowKey(ctx, tn.actor(), tn.Project.ID, "billing-api"); err != nil {
		t.Fatal(err)
	}
	path := "/app/projects/" + tn.Project.ID.String() + "/flow-keys/billing-api/events"
	events := openStream(ctx, t, d.as(other), path)
	if ev, ok := <-events; !ok || !strings.HasPrefix(ev, "event: flow-key-summary\n") {
		t.Fatalf("first event: %q", ev)
	}
	if err := d.store.MembershipDelete(ctx, tn.Org.ID, other.User.ID); err != nil {
		t.Fatal(err)
	}
	for {
		select {
		case _, ok := <-events:
			if !ok {
				// Ended; and it cannot be opened again.
				if r := d.as(other).get(path); r.Status != 404 {
					t.Errorf("reopened after removal: %d", r.Status)
				}
				return
			}
		case <-ctx.Done():
			t.Fatal("the stream kept going after the viewer lost access")
		}
	}
}
