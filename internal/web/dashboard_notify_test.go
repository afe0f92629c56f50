package web

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/notify"
	"github.com/prikke/prikke/internal/service"
	"github.com/prikke/prikke/internal/store"
	"github.com/prikke/prikke/internal/store/storetest"
)

// serviceFieldError is the message the service (and so the API's
// problem+json) gives for field when a channel is created with target.
func serviceFieldError(t *testing.T, d *dash, tn *tenant, field, target string) string {
	t.Helper()
	_, err := d.svc.CreateChannel(context.Background(), tn.actor(), tn.Project.ID, service.ChannelInput{Target: &target})
	for _, fe := range prikke.ErrorFields(err) {
		if fe.Field == field {
			return fe.Message
		}
	}
	t.Fatalf("the service gives no %s error for %q: %v", field, target, err)
	return ""
}

// TestChannels: channels are added through the page's form with the
// service's messages beside the field, email addresses are confirmed
// through the mailed link, a test notification reaches a loopback
// receiver and its outcome is shown, channels are renamed, turned off and
// on and deleted, and every send is in the log.
func TestChannels(t *testing.T) {
	storetest.Dialects(t, testChannels)
}

func testChannels(t *testing.T, st store.Store) {
	d := newDash(t, st)
	tn := d.tenant(prikke.TierFree)
	b := d.as(tn)
	ctx := context.Background()
	page := "/app/projects/" + tn.Project.ID.String() + "/channels"

	r := b.get(page)
	if r.Status != 200 || !strings.Contains(r.Body, "No channels yet") || !strings.Contains(r.Body, `aria-current="page"`) ||
		!strings.Contains(r.Body, `data-testid="alert-after"`) {
		t.Fatalf("empty page: %s", r)
	}

	// Bad input: the service's message beside the field, nothing saved.
	for _, target := range []string{"not an address", "ann@", "http://10.0.0.1/hook", "http://127.0.0.1:9/hook", "ftp://example.com/x", ""} {
		want := serviceFieldError(t, d, tn, "target", target)
		r := b.post(page, url.Values{"name": {"x"}, "target": {target}})
		if r.Status != http.StatusUnprocessableEntity || fieldError(r.Body, "target") != escaped(want) {
			t.Errorf("target %q: %d, error %q, want %q", target, r.Status, fieldError(r.Body, "target"), want)
		}
		if !strings.Contains(describedBy(r.Body, "field-target"), "field-target-error") || !strings.Contains(r.Body, `value="`+escaped(target)+`"`) {
			t.Errorf("target %q: the error is not linked to the field, or the value is lost", target)
		}
	}
	if r := b.post(page, url.Values{"name": {"a\x01b"}, "target": {"ops@example.com"}}); r.Status != http.StatusUnprocessableEntity || fieldError(r.Body, "name") == "" {
		t.Errorf("a control character in the name: %s", r)
	}
	if cs, _ := d.svc.Channels(ctx, tn.actor(), tn.Project.ID); len(cs) != 0 {
		t.Fatalf("invalid channels were saved: %v", cs)
	}

	// An email address: a confirmation link, and nothing else until it is opened.
	r = b.post(page, url.Values{"name": {""}, "target": {" Ops@Example.com "}})
	if r.Status != http.StatusSeeOther || r.location() != page {
		t.Fatalf("add email: %s", r)
	}
	r = b.get(page)
	if !strings.Contains(r.Body, "confirmation link to ops@example.com") || !strings.Contains(r.Body, "Awaiting confirmation") {
		t.Errorf("after adding an address: %s", r)
	}
	cs, _ := d.svc.Channels(ctx, tn.actor(), tn.Project.ID)
	if len(cs) != 1 || cs[0].Kind != prikke.ChannelEmail || cs[0].Target != "ops@example.com" || cs[0].ConfirmedAt != nil {
		t.Fatalf("saved: %+v", cs)
	}
	email := cs[0]
	if strings.Contains(r.Body, `action="/app/channels/`+email.ID.String()+`/test"`) {
		t.Error("an unconfirmed address offers a test send")
	}
	r = b.post("/app/channels/"+email.ID.String()+"/test", url.Values{})
	if r = b.get(r.location()); !strings.Contains(r.Body, "has not confirmed yet") {
		t.Errorf("test to an unconfirmed address: %s", r)
	}
	m := d.lastMail("ops@example.com")
	if !strings.Contains(m.Text, d.srv.URL+"/channels/confirm?token=") {
		t.Fatalf("the mail has no confirmation link:\n%s", m.Text)
	}
	token := d.mailToken("ops@example.com")
	anon := d.anon()
	// Opening the link (as a mail scanner does) only asks.
	r = anon.get("/channels/confirm?token=" + token)
	if r.Status != 200 || !strings.Contains(r.Body, `data-testid="channel-confirm-form"`) ||
		r.Header.Get("Cache-Control") != "no-store" || r.Header.Get("Referrer-Policy") != "no-referrer" {
		t.Fatalf("confirm link: %s", r)
	}
	if c, _ := d.svc.Channel(ctx, tn.actor(), email.ID, prikke.PermRead); c.ConfirmedAt != nil {
		t.Fatal("opening the link confirmed the channel")
	}
	r = anon.post("/channels/confirm", url.Values{"token": {token}})
	if r.Status != 200 || !strings.Contains(r.Body, `data-testid="channel-confirmed"`) || !strings.Contains(r.Body, "ops@example.com") ||
		r.Header.Get("Cache-Control") != "no-store" || r.Header.Get("Referrer-Policy") != "no-referrer" {
		t.Fatalf("confirm: %s", r)
	}
	if c, _ := d.svc.Channel(ctx, tn.actor(), email.ID, prikke.PermRead); c.ConfirmedAt == nil {
		t.Error("not confirmed")
	}
	for _, bad := range []string{token, "", "nonsense", strings.Repeat("a", 3000)} {
		r := anon.post("/channels/confirm", url.Values{"token": {bad}})
		if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "invalid or was already used") {
			t.Errorf("token %.20q: %s", bad, r)
		}
	}
	if r := anon.get("/channels/confirm"); r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "no token") {
		t.Errorf("a link without its token: %s", r)
	}
	if r := b.get(page); !strings.Contains(r.Body, "Confirmed ") || strings.Contains(r.Body, "Awaiting confirmation") {
		t.Errorf("the page does not show the confirmation: %s", r)
	}

	// A test email goes out through the notifier.
	r = b.post("/app/channels/"+email.ID.String()+"/test", url.Values{})
	if r.Status != http.StatusSeeOther || r.location() != page {
		t.Fatalf("test email: %s", r)
	}
	if r := b.get(page); !strings.Contains(r.Body, "Test notification sent to “ops@example.com”") {
		t.Errorf("no outcome: %s", r)
	}
	if m := d.lastMail("ops@example.com"); m.Subject == "" || strings.Contains(m.Text, "/channels/confirm") {
		t.Errorf("the test mail: %+v", m)
	}

	// A webhook to a loopback receiver, and a test notification to it.
	r = b.post(page, url.Values{"name": {"ops hook"}, "target": {d.sink.URL("/ok")}})
	if r.Status != http.StatusSeeOther {
		t.Fatalf("add webhook: %s", r)
	}
	hook := findChannel(t, d, tn, "ops hook")
	if hook.Kind != prikke.ChannelWebhook || hook.ConfirmedAt != nil || !hook.Active() {
		t.Errorf("webhook channel: %+v", hook)
	}
	r = b.post("/app/channels/"+hook.ID.String()+"/test", url.Values{})
	if r.Status != http.StatusSeeOther {
		t.Fatalf("test webhook: %s", r)
	}
	r = b.get(page)
	if !strings.Contains(r.Body, "Test notification sent to “ops hook”") {
		t.Errorf("no outcome: %s", r)
	}
	reqs := d.sink.Requests()
	if len(reqs) != 1 || reqs[0].Method != "POST" || reqs[0].WebhookID == "" || reqs[0].ContentType != "application/json" {
		t.Fatalf("the sink got %+v", reqs)
	}
	var payload notify.WebhookPayload
	if err := json.Unmarshal(reqs[0].Body, &payload); err != nil || payload.Type != "test" || payload.Project.ID != tn.Project.ID.String() {
		t.Errorf("payload %s: %v", reqs[0].Body, err)
	}

	// A receiver that fails: the reason is shown, and logged.
	r = b.post(page, url.Values{"name": {"broken hook"}, "target": {d.sink.URL("/500")}})
	if r.Status != http.StatusSeeOther {
		t.Fatalf("add broken webhook: %s", r)
	}
	broken := findChannel(t, d, tn, "broken hook")
	r = b.post("/app/channels/"+broken.ID.String()+"/test", url.Values{})
	r = b.get(r.location())
	if !strings.Contains(r.Body, "“broken hook”: The test notification failed") || !strings.Contains(r.Body, "flash-error") {
		t.Errorf("the failure is not shown: %s", r)
	}
	log := r.Body[strings.Index(r.Body, `data-testid="notification-log"`):]
	for _, s := range []string{"broken hook", "ops hook", "ops@example.com", "Test", "Sent", "Failed", "HTTP 500"} {
		if !strings.Contains(log, s) {
			t.Errorf("the log lacks %q", s)
		}
	}

	// Slack and Discord URLs are recognised; their secret path is not shown.
	slack := "https://hooks.slack.com/services/T0001/B0001/s3cr3tT0k3n"
	if r := b.post(page, url.Values{"target": {slack}}); r.Status != http.StatusSeeOther {
		t.Fatalf("add slack: %s", r)
	}
	if r := b.post(page, url.Values{"target": {"https://discord.com/api/webhooks/123/d1sc0rdT0k3n"}}); r.Status != http.StatusSeeOther {
		t.Fatalf("add discord: %s", r)
	}
	r = b.get(page)
	for _, s := range []string{">Slack<", ">Discord<", "hooks.slack.com/…", "discord.com/…"} {
		if !strings.Contains(r.Body, s) {
			t.Errorf("the page lacks %q", s)
		}
	}
	if strings.Contains(r.Body, "s3cr3tT0k3n") || strings.Contains(r.Body, "d1sc0rdT0k3n") {
		t.Error("the page shows a Slack or Discord webhook's secret path")
	}

	// Rename: errors beside the field of that channel's form.
	r = b.post("/app/channels/"+hook.ID.String(), url.Values{"name": {""}})
	id := "rename-" + hook.ID.String() + "-name"
	if r.Status != http.StatusUnprocessableEntity || fieldError(r.Body, id) != "is required" || !strings.Contains(r.Body, "<details class=\"mt-3\" open>") {
		t.Errorf("rename to nothing: %q\n%s", fieldError(r.Body, id), r)
	}
	if r := b.post("/app/channels/"+hook.ID.String(), url.Values{"name": {"on-call hook"}}); r.Status != http.StatusSeeOther {
		t.Errorf("rename: %s", r)
	}
	hook = findChannel(t, d, tn, "on-call hook")

	// Off and on again.
	if r := b.post("/app/channels/"+hook.ID.String()+"/disable", url.Values{}); r.Status != http.StatusSeeOther {
		t.Fatalf("disable: %s", r)
	}
	if c := findChannel(t, d, tn, "on-call hook"); c.Enabled {
		t.Error("still on")
	}
	if r := b.get(page); !strings.Contains(r.Body, `action="/app/channels/`+hook.ID.String()+`/enable"`) {
		t.Errorf("no way to turn it on: %s", r)
	}
	if r := b.post("/app/channels/"+hook.ID.String()+"/enable", url.Values{}); r.Status != http.StatusSeeOther {
		t.Fatalf("enable: %s", r)
	}
	if c := findChannel(t, d, tn, "on-call hook"); !c.Enabled || c.DisabledReason != "" {
		t.Errorf("not on again: %+v", c)
	}

	// A channel Prikke disabled shows why.
	broken.Enabled, broken.DisabledReason = false, "Disabled after a permanent failure: HTTP 410"
	if err := d.store.ChannelUpdate(ctx, broken); err != nil {
		t.Fatal(err)
	}
	if r := b.get(page); !strings.Contains(r.Body, "Disabled after a permanent failure: HTTP 410") || !strings.Contains(r.Body, ">Disabled<") {
		t.Errorf("the reason is not shown: %s", r)
	}

	// Delete, after a confirmation page.
	r = b.get("/app/channels/" + hook.ID.String() + "/delete")
	if r.Status != 200 || !strings.Contains(r.Body, "Delete the channel “on-call hook”?") {
		t.Fatalf("delete page: %s", r)
	}
	if r := b.post("/app/channels/"+hook.ID.String()+"/delete", url.Values{}); r.Status != http.StatusSeeOther || r.location() != page {
		t.Fatalf("delete: %s", r)
	}
	if _, err := d.svc.Channel(ctx, tn.actor(), hook.ID, prikke.PermRead); prikke.ErrorCode(err) != prikke.ENOTFOUND {
		t.Errorf("still there: %v", err)
	}
}

// findChannel returns tn's channel called name.
func findChannel(t *testing.T, d *dash, tn *tenant, name string) *prikke.Channel {
	t.Helper()
	cs, err := d.svc.Channels(context.Background(), tn.actor(), tn.Project.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cs {
		if c.Name == name {
			return c
		}
	}
	t.Fatalf("no channel %q in %+v", name, cs)
	return nil
}

// TestChannelRoles: a member sends test notifications but does not change
// channels; the pages offer only what the role allows.
func TestChannelRoles(t *testing.T) {
	f := newFixture(t)
	d := f.d
	member := d.tenant(prikke.TierFree)
	d.member(f.owner, member.User, prikke.RoleMember)
	mb := d.as(member)
	page := "/app/projects/" + f.owner.Project.ID.String() + "/channels"
	r := mb.get(page)
	if r.Status != 200 || !strings.Contains(r.Body, "/test\"") || strings.Contains(r.Body, "Add channel") || strings.Contains(r.Body, "/disable\"") {
		t.Errorf("member's page: %s", r)
	}
	if r := mb.post("/app/channels/"+f.channel.ID.String()+"/test", url.Values{}); r.Status != http.StatusSeeOther || d.sink.Count() != 1 {
		t.Errorf("member's test: %s (sink %d)", r, d.sink.Count())
	}
	if r := mb.post(page, url.Values{"target": {"x@example.com"}}); r.Status != http.StatusForbidden || !strings.Contains(r.Body, "does not allow") {
		t.Errorf("member adds a channel: %s", r)
	}
	if r := mb.post("/app/channels/"+f.channel.ID.String()+"/disable", url.Values{}); r.Status != http.StatusForbidden {
		t.Errorf("member turns a channel off: %s", r)
	}
}

// TestJobNotifyOverrides: the job editor saves "muted" and a custom
// channel list, shows them again when reloaded, and refuses channels of
// another project with a message beside the list.
func TestJobNotifyOverrides(t *testing.T) {
	storetest.Dialects(t, testJobNotifyOverrides)
}

func testJobNotifyOverrides(t *testing.T, st store.Store) {
	d := newDash(t, st)
	tn := d.tenant(prikke.TierPro)
	b := d.as(tn)
	ctx := context.Background()
	a := tn.actor()
	mk := func(projectID prikke.ID, name, target string) *prikke.Channel {
		c, err := d.svc.CreateChannel(ctx, a, projectID, service.ChannelInput{Name: &name, Target: &target})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	ops := mk(tn.Project.ID, "ops hook", d.sink.URL("/ok"))
	team := mk(tn.Project.ID, "team slack", "https://hooks.slack.com/services/T1/B1/x")
	otherName := "elsewhere"
	other, err := d.svc.CreateProject(ctx, a, tn.Org.ID, service.ProjectInput{Name: &otherName})
	if err != nil {
		t.Fatal(err)
	}
	foreign := mk(other.ID, "other project's", d.sink.URL("/ok"))
	j := d.job(tn, "nightly report", d.sink.URL("/ok"))
	edit, save := "/app/jobs/"+j.ID.String()+"/edit", "/app/jobs/"+j.ID.String()

	r := b.get(edit)
	if r.Status != 200 || !strings.Contains(r.Body, `id="notify-project" type="radio" name="notify" value="project" class="accent-emerald-600" checked`) ||
		!strings.Contains(r.Body, `value="`+ops.ID.String()+`"`) || !strings.Contains(r.Body, `value="`+team.ID.String()+`"`) ||
		strings.Contains(r.Body, foreign.ID.String()) {
		t.Fatalf("editor: %s", r)
	}

	// Muted.
	form := jobForm(d.sink.URL("/ok"), func(v url.Values) { v.Set("notify", "muted") })
	if r := b.post(save, form); r.Status != http.StatusSeeOther {
		t.Fatalf("mute: %s", r)
	}
	if got, _ := d.svc.Job(ctx, a, j.ID); got.NotifyMode != prikke.NotifyMuted {
		t.Errorf("saved %q", got.NotifyMode)
	}
	if r := b.get(edit); !strings.Contains(r.Body, `value="muted" class="accent-emerald-600" checked`) {
		t.Errorf("the editor does not show muted: %s", r)
	}
	if r := b.get(save); !strings.Contains(r.Body, "Muted: nobody is notified") {
		t.Errorf("the job page does not say muted: %s", r)
	}

	// A custom list.
	form = jobForm(d.sink.URL("/ok"), func(v url.Values) { v.Set("notify", "custom"); v["channel_ids"] = []string{team.ID.String()} })
	if r := b.post(save, form); r.Status != http.StatusSeeOther {
		t.Fatalf("custom: %s", r)
	}
	got, _ := d.svc.Job(ctx, a, j.ID)
	if got.NotifyMode != prikke.NotifyCustom || !slices.Equal(got.ChannelIDs, []prikke.ID{team.ID}) {
		t.Errorf("saved %q %v", got.NotifyMode, got.ChannelIDs)
	}
	r = b.get(edit)
	if !strings.Contains(r.Body, `value="custom" class="accent-emerald-600" checked`) ||
		!strings.Contains(r.Body, `value="`+team.ID.String()+`" class="mt-0.5 size-4 shrink-0 accent-emerald-600" checked`) ||
		strings.Contains(r.Body, `value="`+ops.ID.String()+`" class="mt-0.5 size-4 shrink-0 accent-emerald-600" checked`) {
		t.Errorf("the editor does not show the list: %s", r)
	}
	if r := b.get(save); !strings.Contains(r.Body, "Only “team slack”") {
		t.Errorf("the job page does not list the channels: %s", r)
	}

	// Another project's channel, or no channel at all: beside the list, nothing saved.
	for _, ids := range [][]string{{foreign.ID.String()}, {"not-an-id"}, {prikke.NewID().String()}} {
		form = jobForm(d.sink.URL("/ok"), func(v url.Values) {
			v.Set("notify", "custom")
			v["channel_ids"] = append([]string{ops.ID.String()}, ids...)
		})
		r := b.post(save, form)
		if r.Status != http.StatusUnprocessableEntity || fieldError(r.Body, "channel_ids") != escaped("is not a channel of this job's project") {
			t.Errorf("channel ids %v: %q\n%s", ids, fieldError(r.Body, "channel_ids"), r)
		}
	}
	if r := b.post(save, jobForm(d.sink.URL("/ok"), func(v url.Values) { v.Set("notify", "loud") })); r.Status != http.StatusUnprocessableEntity || fieldError(r.Body, "notify") == "" {
		t.Errorf("notify=loud: %s", r)
	}
	if got, _ := d.svc.Job(ctx, a, j.ID); !slices.Equal(got.ChannelIDs, []prikke.ID{team.ID}) {
		t.Errorf("a refused form changed the job: %v", got.ChannelIDs)
	}

	// Back to the project's channels clears the list; a form without the
	// choice (an older page) keeps the setting.
	if r := b.post(save, jobForm(d.sink.URL("/ok"), func(v url.Values) { v.Set("notify", "project"); v.Set("channel_ids", ops.ID.String()) })); r.Status != http.StatusSeeOther {
		t.Fatalf("project: %s", r)
	}
	if got, _ := d.svc.Job(ctx, a, j.ID); got.NotifyMode != prikke.NotifyProject || len(got.ChannelIDs) != 0 {
		t.Errorf("saved %q %v", got.NotifyMode, got.ChannelIDs)
	}

	// A new job with its own channels.
	form = jobForm(d.sink.URL("/ok"), func(v url.Values) {
		v.Set("name", "with own channels")
		v.Set("notify", "custom")
		v["channel_ids"] = []string{ops.ID.String(), team.ID.String()}
	})
	r = b.post("/app/projects/"+tn.Project.ID.String()+"/jobs", form)
	if r.Status != http.StatusSeeOther {
		t.Fatalf("create: %s", r)
	}
	nid, _ := prikke.ParseID(strings.TrimPrefix(r.location(), "/app/jobs/"))
	if got, err := d.svc.Job(ctx, a, nid); err != nil || got.NotifyMode != prikke.NotifyCustom || len(got.ChannelIDs) != 2 {
		t.Errorf("created %+v: %v", got, err)
	}
}

// TestLegacyLinks: the links notifications carry lead to the dashboard.
func TestLegacyLinks(t *testing.T) {
	f := newFixture(t)
	anon := f.d.anon()
	j, e, p, o := f.job.ID.String(), f.exec.ID.String(), f.owner.Project.ID.String(), f.owner.Org.ID.String()
	for from, to := range map[string]string{
		"/jobs/" + j:                       "/app/jobs/" + j,
		"/jobs/" + j + "/executions/" + e:  "/app/executions/" + e,
		"/projects/" + p:                   "/app/projects/" + p,
		"/projects/" + p + "/channels":     "/app/projects/" + p + "/channels",
		"/settings/usage?org=" + o:         "/app/orgs/" + o + "/usage",
		"/jobs/not-an-id":                  "",
		"/settings/usage?org=not-an-id":    "",
		"/jobs/" + j + "/executions/xyz":   "",
		"/jobs/not-an-id/executions/" + e:  "",
		"/projects/not-an-id/channels?x=1": "",
	} {
		r := anon.get(from)
		switch {
		case to == "" && r.Status != http.StatusNotFound:
			t.Errorf("%s: %s, want 404", from, r)
		case to != "" && (r.Status != http.StatusFound || r.location() != to):
			t.Errorf("%s: %s, want a redirect to %s", from, r, to)
		}
	}
	// Signed in, the link ends on the page.
	if r := f.b.get("/app/projects/" + p + "/channels"); r.Status != 200 || !strings.Contains(r.Body, "ops hook") {
		t.Errorf("channels page: %s", r)
	}
}
