package mail

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// base is the product URL every link in a fixture starts with.
const base = "https://prikke.example"

// fixtures returns data for every kind with s in each free-text field, so a
// test can pass hostile strings through every template.
func fixtures(s string) map[Kind]Data {
	oslo, err := time.LoadLocation("Europe/Oslo")
	if err != nil {
		oslo = time.FixedZone("CET", 3600)
	}
	at := time.Date(2026, 11, 3, 14, 5, 0, 0, oslo)
	return map[Kind]Data{
		KindConfirmAccount: ConfirmAccount{Email: s, ConfirmURL: base + "/confirm?token=abc&x=1", ExpiresAt: at},
		KindPasswordReset:  PasswordReset{Email: s, ResetURL: base + "/reset?token=abc", ExpiresAt: at},
		KindInvitation: Invitation{InviterEmail: s, OrganizationName: s, Role: s,
			AcceptURL: base + "/invitations/abc", ExpiresAt: at},
		KindConfirmEmail:   ConfirmEmail{NewEmail: s, ConfirmURL: base + "/account/email?token=abc"},
		KindConfirmChannel: ConfirmChannel{ProjectName: s, Email: s, ConfirmURL: base + "/channels/confirm?token=abc"},
		KindJobFailing: JobFailing{JobName: s, ProjectName: s, Outcome: OutcomeFailed, StatusCode: 500,
			Error: s, ScheduledAt: at, ExecutionURL: base + "/executions/1"},
		KindJobRecovered: JobRecovered{JobName: s, ProjectName: s, StatusCode: 200, FinishedAt: at,
			FailingSince: at.Add(-2 * time.Hour), ExecutionURL: base + "/executions/2"},
		KindJobDisabled: JobDisabled{JobName: s, ProjectName: s, URL: "https://api.customer.example/hook?q=" + s,
			DisabledAt: at, JobURL: base + "/jobs/1"},
		KindQuota: Quota{OrganizationName: s, Used: 4000, Limit: 5000, Month: "2026-11", UsageURL: base + "/usage"},
		KindChannelDisabled: ChannelDisabled{ProjectName: s, ChannelName: s, Target: s, LastError: s,
			ChannelsURL: base + "/projects/1/channels"},
		KindTestNotification: TestNotification{ProjectName: s, ChannelName: s, RequestedBy: s,
			ProjectURL: base + "/projects/1"},
		KindMonitorAlert: MonitorAlert{MonitorName: s, ProjectName: s, Event: MonitorDown, Detail: s, At: at,
			LastPingAt: at.Add(-time.Hour), PrikkeDown: true, MonitorURL: base + "/monitors/1"},
		KindWorkflowAlert: WorkflowAlert{WorkflowName: s, ProjectName: s, Failing: true, Error: s, At: at,
			RunURL: base + "/runs/1"},
		KindPlanPaused: PlanPaused{OrganizationName: s, Tier: "free", Jobs: []string{s, "every minute"}, Monitors: []string{s},
			MaxJobs: 5, MinInterval: 5 * time.Minute, CanUpgrade: true, BillingURL: base + "/app/orgs/1/billing"},
		KindSuspended: Suspended{OrganizationName: s, Reason: "Sending spam to " + s, Jobs: 3, Monitors: 1,
			OrganizationURL: base + "/app/orgs/1"},
	}
}

func TestFixturesCoverEveryKind(t *testing.T) {
	f := fixtures("x")
	for _, k := range Kinds() {
		d, ok := f[k]
		if !ok {
			t.Errorf("no fixture for %s", k)
			continue
		}
		if d.Kind() != k {
			t.Errorf("fixture for %s has Kind %s", k, d.Kind())
		}
	}
	if len(f) != len(Kinds()) {
		t.Errorf("%d fixtures for %d kinds", len(f), len(Kinds()))
	}
}

func TestRenderSubjects(t *testing.T) {
	want := map[Kind]string{
		KindConfirmAccount:   "Confirm your prikke account",
		KindPasswordReset:    "Reset your prikke password",
		KindInvitation:       "Join nightly-report on prikke",
		KindConfirmEmail:     "Confirm your new email address",
		KindConfirmChannel:   "[prikke] Confirm alerts for nightly-report",
		KindJobFailing:       "[prikke] nightly-report is failing",
		KindJobRecovered:     "[prikke] nightly-report recovered",
		KindJobDisabled:      "[prikke] nightly-report was disabled",
		KindQuota:            "[prikke] nightly-report used 80% of its requests for November 2026",
		KindChannelDisabled:  "[prikke] Notifications to nightly-report were turned off",
		KindTestNotification: "[prikke] Test notification for nightly-report",
		KindMonitorAlert:     "[prikke] nightly-report is down",
		KindWorkflowAlert:    "[prikke] nightly-report is failing",
		KindPlanPaused:       "[prikke] nightly-report is on the free plan: 2 jobs and 1 monitor paused",
		KindSuspended:        "[prikke] nightly-report is suspended",
	}
	for k, d := range fixtures("nightly-report") {
		subject, text, html, err := Render(k, d)
		if err != nil {
			t.Errorf("Render(%s): %v", k, err)
			continue
		}
		if subject != want[k] {
			t.Errorf("Render(%s) subject = %q, want %q", k, subject, want[k])
		}
		if !strings.Contains(text, "nightly-report") || !strings.Contains(html, "nightly-report") {
			t.Errorf("Render(%s) leaves the data out of a body", k)
		}
		if !strings.Contains(text, "\n-- \nprikke") {
			t.Errorf("Render(%s) text has no signature:\n%s", k, text)
		}
	}
}

var (
	// tagRE finds the tags of the HTML; escaped text has no raw "<".
	tagRE  = regexp.MustCompile(`<[^>]*>`)
	hrefRE = regexp.MustCompile(`href="([^"]*)"`)
	// Tags and attributes that would load remote content or run code.
	remoteRE = regexp.MustCompile(`(?i)^</?(script|img|link|style|iframe|object|embed|form|base|meta http-equiv)\b|\s(src|background|on[a-z]+)=|url\(|@import`)
)

// TestRenderHostileData passes attacker-controlled text through every field
// of every mail: it must come out escaped in HTML, literal in text, and on
// one line in the subject.
func TestRenderHostileData(t *testing.T) {
	hostile := []struct {
		in      string
		escaped string // how it must appear in the HTML
	}{
		{in: "<script>alert(1)</script>", escaped: "&lt;script&gt;alert(1)&lt;/script&gt;"},
		{in: "x\r\nBcc: x@y", escaped: "Bcc: x@y"},
		{in: `"><img src=x onerror=alert(1)>`, escaped: "&#34;&gt;&lt;img src=x onerror=alert(1)&gt;"},
		{in: "javascript:alert(1)", escaped: "javascript:alert(1)"},
		{in: "{{.Email}} %s ' \" & \u2028 ø", escaped: "{{.Email}} %s &#39; &#34; &amp; \u2028 ø"},
	}
	for _, h := range hostile {
		for k, d := range fixtures(h.in) {
			subject, text, html, err := Render(k, d)
			if err != nil {
				t.Errorf("Render(%s, %q): %v", k, h.in, err)
				continue
			}
			if strings.ContainsAny(subject, "\r\n\u2028") {
				t.Errorf("Render(%s, %q) subject spans lines: %q", k, h.in, subject)
			}
			if n := utf8.RuneCountInString(subject); n == 0 || n > maxSubjectRunes {
				t.Errorf("Render(%s, %q) subject has %d runes", k, h.in, n)
			}
			if !strings.Contains(text, h.in) {
				t.Errorf("Render(%s, %q) text lacks the data", k, h.in)
			}
			if !strings.Contains(html, h.escaped) {
				t.Errorf("Render(%s, %q) html lacks %q", k, h.in, h.escaped)
			}
			for _, tag := range tagRE.FindAllString(html, -1) {
				if remoteRE.MatchString(tag) {
					t.Errorf("Render(%s, %q) html has the tag %s", k, h.in, tag)
				}
				if m := hrefRE.FindStringSubmatch(tag); m != nil && !strings.HasPrefix(m[1], base+"/") {
					t.Errorf("Render(%s, %q) links outside the product: %q", k, h.in, m[1])
				}
			}
		}
	}
}

func TestRenderEscapesLinks(t *testing.T) {
	d := ConfirmAccount{Email: "a@example.com", ConfirmURL: base + `/confirm?token=a"b<c>&next=/x`}
	_, _, html, err := Render(KindConfirmAccount, d)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(html, `a"b`) || strings.Contains(html, "b<c") {
		t.Errorf("link not escaped:\n%s", html)
	}
}

func TestRenderRejects(t *testing.T) {
	f := fixtures("x")
	failing := f[KindJobFailing].(JobFailing)
	tests := []struct {
		name    string
		kind    Kind
		data    any
		wantErr string
	}{
		{name: "unknown kind", kind: "newsletter", data: f[KindJobFailing], wantErr: "unknown kind"},
		{name: "not a Data", kind: KindJobFailing, data: "nightly-report", wantErr: "data is string"},
		{name: "other kind's data", kind: KindJobFailing, data: f[KindJobRecovered], wantErr: "mail.JobRecovered"},
		{name: "nil", kind: KindJobFailing, data: nil, wantErr: "data is <nil>"},
		{name: "nil pointer", kind: KindJobFailing, data: (*JobFailing)(nil), wantErr: "nil"},
		{name: "missing field", kind: KindJobFailing, data: with(failing, func(d *JobFailing) { d.JobName = " " }), wantErr: "JobName is empty"},
		{name: "missing time", kind: KindJobFailing, data: with(failing, func(d *JobFailing) { d.ScheduledAt = time.Time{} }), wantErr: "ScheduledAt"},
		{name: "bad outcome", kind: KindJobFailing, data: with(failing, func(d *JobFailing) { d.Outcome = "success" }), wantErr: "Outcome"},
		{name: "javascript link", kind: KindJobFailing, data: with(failing, func(d *JobFailing) { d.ExecutionURL = "javascript:alert(1)" }), wantErr: "ExecutionURL"},
		{name: "relative link", kind: KindJobFailing, data: with(failing, func(d *JobFailing) { d.ExecutionURL = "/executions/1" }), wantErr: "ExecutionURL"},
		{name: "zero limit", kind: KindQuota, data: Quota{OrganizationName: "a", Month: "2026-11", UsageURL: base}, wantErr: "Limit"},
		{name: "nothing paused", kind: KindPlanPaused, data: PlanPaused{OrganizationName: "a", Tier: "free", BillingURL: base}, wantErr: "empty"},
		{name: "bad month", kind: KindQuota, data: Quota{OrganizationName: "a", Limit: 5, Month: "November", UsageURL: base}, wantErr: "Month"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, _, err := Render(tt.kind, tt.data)
			if err == nil {
				t.Fatalf("Render succeeded, want error containing %q", tt.wantErr)
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error %q does not contain %q", err, tt.wantErr)
			}
		})
	}
}

func with[T any](d T, change func(*T)) T {
	change(&d)
	return d
}

func TestRenderContent(t *testing.T) {
	f := fixtures("nightly-report")
	failing := f[KindJobFailing].(JobFailing)
	quota := f[KindQuota].(Quota)
	tests := []struct {
		name    string
		data    Data
		subject string   // "" to skip
		has     []string // in both text and HTML
		hasNot  []string // in neither
	}{
		{name: "failed", data: failing, has: []string{"failed", "500 Internal Server Error", "Tue 3 Nov 2026 14:05 CET"}, hasNot: []string{"timed out"}},
		{name: "timeout without response", data: with(failing, func(d *JobFailing) { d.Outcome, d.StatusCode, d.Error = OutcomeTimeout, 0, "" }),
			has: []string{"timed out"}, hasNot: []string{"Response", "Error"}},
		{name: "long error is cut", data: with(failing, func(d *JobFailing) { d.Error = strings.Repeat("e", 5000) }),
			has: []string{strings.Repeat("e", maxFieldRunes-1) + "…"}, hasNot: []string{strings.Repeat("e", maxFieldRunes)}},
		{name: "pointer data", data: &failing, subject: "[prikke] nightly-report is failing"},
		{name: "quota warning", data: quota, subject: "[prikke] nightly-report used 80% of its requests for November 2026",
			has: []string{"4,000", "5,000"}, hasNot: []string{"Pro"}},
		{name: "quota warning on free", data: with(quota, func(q *Quota) { q.CanUpgrade = true }), has: []string{"Upgrading to Pro"}},
		{name: "quota reached", data: with(quota, func(q *Quota) { q.Used, q.Limit = 250000, 250000 }),
			subject: "[prikke] nightly-report reached its request limit for November 2026", has: []string{"250,000", "quota exceeded"}, hasNot: []string{"Pro"}},
		{name: "recovered without streak start", data: with(f[KindJobRecovered].(JobRecovered), func(d *JobRecovered) { d.FailingSince = time.Time{} }),
			has: []string{"Succeeded"}, hasNot: []string{"Failing since"}},
		{name: "confirm without expiry", data: ConfirmAccount{Email: "a@example.com", ConfirmURL: base + "/c"}, hasNot: []string{"works until"}},
		{name: "confirm with expiry", data: f[KindConfirmAccount], has: []string{"works until Tue 3 Nov 2026 14:05 CET"}, hasNot: []string{"signed up again"}},
		{name: "confirm a repeated sign-up", data: ConfirmAccount{Email: "a@example.com", ConfirmURL: base + "/c", ChoosePassword: true},
			has:    []string{"signed up again with this address", "asks you to choose its password", "the password typed at sign-up is not used", "Earlier links no longer work"},
			hasNot: []string{"with that password"}},
		{name: "workflow failing", data: f[KindWorkflowAlert], has: []string{"A run of", "failed", "See the run", "You will hear"}},
		{name: "workflow recovered", data: with(f[KindWorkflowAlert].(WorkflowAlert), func(d *WorkflowAlert) { d.Failing, d.Error = false, "" }),
			subject: "[prikke] nightly-report recovered", has: []string{"succeeded again"}, hasNot: []string{"Error", "You will hear"}},
		{name: "plan paused", data: f[KindPlanPaused], has: []string{"every minute", "runs at most 5 jobs and monitors together, and no schedule more often than every 5 min.", "2 jobs and 1 monitor", "Paused jobs", "Paused monitors", "resume by themselves", "upgrades to Pro", "Upgrade to Pro", "Nothing was deleted"}},
		{name: "suspended", data: f[KindSuspended], has: []string{"suspended", "Sending spam to", "3 jobs and 1 monitor paused", "answer 403", "can read but change nothing"}},
		{name: "plan paused without billing", data: with(f[KindPlanPaused].(PlanPaused), func(d *PlanPaused) { d.CanUpgrade = false }),
			has: []string{"is on Pro again", "operator", "See the plan"}, hasNot: []string{"upgrades to Pro", "Upgrade to Pro"}},
		{name: "plan paused only monitors", data: with(f[KindPlanPaused].(PlanPaused), func(d *PlanPaused) { d.Jobs = nil }),
			subject: "[prikke] nightly-report is on the free plan: 1 monitor paused", hasNot: []string{"Paused jobs"}},
		{name: "plan paused many", data: with(f[KindPlanPaused].(PlanPaused), func(d *PlanPaused) {
			d.Jobs = nil
			for i := range 53 {
				d.Jobs = append(d.Jobs, fmt.Sprintf("job-%02d", i))
			}
		}), has: []string{"job-49", "and 3 more", "53 jobs and 1 monitor"}, hasNot: []string{"job-50"}},
		{name: "test without requester", data: TestNotification{ProjectName: "p", ChannelName: "c", ProjectURL: base}, hasNot: []string{"request of"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			subject, text, html, err := Render(tt.data.Kind(), tt.data)
			if err != nil {
				t.Fatal(err)
			}
			if tt.subject != "" && subject != tt.subject {
				t.Errorf("subject = %q, want %q", subject, tt.subject)
			}
			for _, s := range tt.has {
				if !strings.Contains(text, s) {
					t.Errorf("text lacks %q:\n%s", s, text)
				}
				if !strings.Contains(html, s) {
					t.Errorf("html lacks %q", s)
				}
			}
			for _, s := range tt.hasNot {
				if strings.Contains(text, s) {
					t.Errorf("text has %q:\n%s", s, text)
				}
				if strings.Contains(html, s) {
					t.Errorf("html has %q", s)
				}
			}
		})
	}
}

func TestNewMessage(t *testing.T) {
	d := fixtures("nightly-report")[KindJobFailing]
	m, err := NewMessage("ops@example.com", d)
	if err != nil {
		t.Fatal(err)
	}
	subject, text, html, _ := Render(KindJobFailing, d)
	if len(m.To) != 1 || m.To[0] != "ops@example.com" || m.Subject != subject || m.Text != text || m.HTML != html {
		t.Errorf("NewMessage = %+v", m)
	}
	if err := m.validate(); err != nil {
		t.Errorf("rendered message does not validate: %v", err)
	}
	if _, err := NewMessage("ops@example.com", nil); err == nil {
		t.Error("NewMessage(nil) succeeded")
	}
}
