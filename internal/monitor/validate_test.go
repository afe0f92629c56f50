package monitor

import (
	"strings"
	"testing"
	"time"

	"github.com/prikke/prikke"
)

func TestValidate(t *testing.T) {
	valid := func() *prikke.Monitor {
		return &prikke.Monitor{Name: "Nightly backup", Slug: "nightly-backup", Period: time.Hour, Grace: 5 * time.Minute}
	}
	tests := []struct {
		name string
		edit func(m *prikke.Monitor)
		want map[string]string // field → substring of its message
	}{
		{"valid period", func(m *prikke.Monitor) {}, nil},
		{"valid cron", func(m *prikke.Monitor) { m.Period, m.Cron, m.TimeZone = 0, "30 2 * * *", "Europe/Oslo" }, nil},
		{"everything at its limits", func(m *prikke.Monitor) {
			m.Slug = "a" + strings.Repeat("-", 99)
			m.Description = strings.Repeat("é", 1000)
			m.Period, m.Grace = 365*24*time.Hour, time.Minute
			m.MaxRuntime, m.MinRuntime = 365*24*time.Hour, time.Second
			m.FailThreshold, m.RecoveryThreshold = 100, 100
			m.RealertEvery = time.Minute
			m.Window = prikke.Window{Cron: "0 2 * * 0", Duration: 7 * 24 * time.Hour}
			m.NotifyMode, m.ChannelIDs = prikke.NotifyCustom, make([]prikke.ID, 50)
		}, nil},
		{"name required", func(m *prikke.Monitor) { m.Name = "" }, map[string]string{"name": "is required"}},
		{"name blank", func(m *prikke.Monitor) { m.Name = "  " }, map[string]string{"name": "must not be blank"}},
		{"name too long", func(m *prikke.Monitor) { m.Name = strings.Repeat("x", 201) }, map[string]string{"name": "max 200"}},
		{"slug required", func(m *prikke.Monitor) { m.Slug = "" }, map[string]string{"slug": "is required"}},
		{"slug too long", func(m *prikke.Monitor) { m.Slug = strings.Repeat("a", 101) }, map[string]string{"slug": "max 100 characters"}},
		{"slug upper case", func(m *prikke.Monitor) { m.Slug = "Backup" }, map[string]string{"slug": "lowercase letters a-z, digits 0-9 and '-'"}},
		{"slug with a slash", func(m *prikke.Monitor) { m.Slug = "a/b" }, map[string]string{"slug": "lowercase"}},
		{"slug with a space", func(m *prikke.Monitor) { m.Slug = "a b" }, map[string]string{"slug": "lowercase"}},
		{"slug non-ASCII", func(m *prikke.Monitor) { m.Slug = "båt" }, map[string]string{"slug": "lowercase"}},
		{"slug starting with -", func(m *prikke.Monitor) { m.Slug = "-x" }, map[string]string{"slug": "must not start with '-'"}},
		{"description too long", func(m *prikke.Monitor) { m.Description = strings.Repeat("x", 1001) }, map[string]string{"description": "max 1000 characters"}},
		{"description not UTF-8", func(m *prikke.Monitor) { m.Description = "\xff" }, map[string]string{"description": "valid UTF-8"}},
		{"no schedule", func(m *prikke.Monitor) { m.Period = 0 }, map[string]string{"period": "give either period"}},
		{"both schedules", func(m *prikke.Monitor) { m.Cron = "* * * * *" }, map[string]string{"period": "give either period or cron, not both"}},
		{"period too short", func(m *prikke.Monitor) { m.Period = 59 * time.Second }, map[string]string{"period": "between 1m and 365 days"}},
		{"period too long", func(m *prikke.Monitor) { m.Period = 366 * 24 * time.Hour }, map[string]string{"period": "between 1m and 365 days"}},
		{"period negative", func(m *prikke.Monitor) { m.Period = -time.Hour }, map[string]string{"period": "between 1m and 365 days"}},
		{"bad cron", func(m *prikke.Monitor) { m.Period, m.Cron = 0, "61 * * * *" }, map[string]string{"cron": "minute"}},
		{"cron with seconds", func(m *prikke.Monitor) { m.Period, m.Cron = 0, "0 0 * * * *" }, map[string]string{"cron": "seconds"}},
		{"bad zone", func(m *prikke.Monitor) { m.Period, m.Cron, m.TimeZone = 0, "0 3 * * *", "europe/oslo" }, map[string]string{"timezone": `did you mean "Europe/Oslo"?`}},
		{"Local zone", func(m *prikke.Monitor) { m.Period, m.Cron, m.TimeZone = 0, "0 3 * * *", "Local" }, map[string]string{"timezone": "not allowed"}},
		{"grace missing", func(m *prikke.Monitor) { m.Grace = 0 }, map[string]string{"grace": "between 1m and 365 days"}},
		{"grace too long", func(m *prikke.Monitor) { m.Grace = 366 * 24 * time.Hour }, map[string]string{"grace": "between 1m and 365 days"}},
		{"max_runtime too short", func(m *prikke.Monitor) { m.MaxRuntime = time.Millisecond }, map[string]string{"max_runtime": "between 1s and 365 days"}},
		{"max_runtime too long", func(m *prikke.Monitor) { m.MaxRuntime = 366 * 24 * time.Hour }, map[string]string{"max_runtime": "between 1s and 365 days"}},
		{"min_runtime negative", func(m *prikke.Monitor) { m.MinRuntime = -time.Second }, map[string]string{"min_runtime": "between 1s and 365 days"}},
		{"min_runtime not below max_runtime", func(m *prikke.Monitor) { m.MinRuntime, m.MaxRuntime = time.Hour, time.Hour }, map[string]string{"min_runtime": "must be shorter than max_runtime (1h)"}},
		{"fail_threshold too high", func(m *prikke.Monitor) { m.FailThreshold = 101 }, map[string]string{"fail_threshold": "between 1 and 100"}},
		{"fail_threshold negative", func(m *prikke.Monitor) { m.FailThreshold = -1 }, map[string]string{"fail_threshold": "between 1 and 100"}},
		{"recovery_threshold too high", func(m *prikke.Monitor) { m.RecoveryThreshold = 101 }, map[string]string{"recovery_threshold": "between 1 and 100"}},
		{"realert_every too short", func(m *prikke.Monitor) { m.RealertEvery = 59 * time.Second }, map[string]string{"realert_every": "0 (off) or between 1m"}},
		{"realert_every negative", func(m *prikke.Monitor) { m.RealertEvery = -time.Hour }, map[string]string{"realert_every": "0 (off)"}},
		{"window cron", func(m *prikke.Monitor) { m.Window = prikke.Window{Cron: "x", Duration: time.Hour} }, map[string]string{"window.cron": ""}},
		{"window duration", func(m *prikke.Monitor) { m.Window = prikke.Window{Cron: "0 2 * * *"} }, map[string]string{"window.duration": "between 1m and 7 days"}},
		{"window zone", func(m *prikke.Monitor) {
			m.Window = prikke.Window{Cron: "0 2 * * *", TimeZone: "Nowhere", Duration: time.Hour}
		}, map[string]string{"window.timezone": "unknown time zone"}},
		{"notify", func(m *prikke.Monitor) { m.NotifyMode = "loud" }, map[string]string{"notify": `must be "project", "muted" or "custom"`}},
		{"channel_ids", func(m *prikke.Monitor) { m.NotifyMode, m.ChannelIDs = prikke.NotifyCustom, make([]prikke.ID, 51) }, map[string]string{"channel_ids": "max 50"}},
		{"several at once", func(m *prikke.Monitor) { m.Name, m.Slug, m.Grace = "", "X", 0 }, map[string]string{"name": "", "slug": "", "grace": ""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := valid()
			tt.edit(m)
			checkFields(t, Validate(m), tt.want)
		})
	}
}

func TestValidateDefaults(t *testing.T) {
	m := &prikke.Monitor{Name: "n", Slug: "n", Cron: "0 3 * * *", Grace: time.Hour, AlertPolicy: prikke.AlertPolicy{Window: prikke.Window{Cron: "0 2 * * *", Duration: time.Hour}}}
	if err := Validate(m); err != nil {
		t.Fatal(err)
	}
	if m.FailThreshold != 1 || m.RecoveryThreshold != 1 || m.NotifyMode != prikke.NotifyProject || m.TimeZone != "UTC" || m.Window.TimeZone != "UTC" {
		t.Errorf("defaults: %+v", m)
	}
	p := &prikke.Monitor{Name: "n", Slug: "n", Period: time.Hour, Grace: time.Hour, AlertPolicy: prikke.AlertPolicy{FailThreshold: 3, RecoveryThreshold: 2}, NotifyMode: prikke.NotifyMuted}
	if err := Validate(p); err != nil {
		t.Fatal(err)
	}
	if p.FailThreshold != 3 || p.RecoveryThreshold != 2 || p.NotifyMode != prikke.NotifyMuted || p.TimeZone != "" {
		t.Errorf("kept values: %+v", p)
	}
}
