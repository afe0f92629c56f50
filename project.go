package prikke

import "time"

// Project groups jobs, channels and status pages inside an organization. Each
// project has its own webhook signing secret.
type Project struct {
	ID             ID
	OrganizationID ID
	Name           string
	// SigningSecret is "whsec_" + base64 of 32 random bytes. It is needed in
	// clear to sign, so it is stored encrypted (see internal/seal), never hashed.
	SigningSecret string
	// PreviousSecret still signs, next to the new one, until PreviousUntil,
	// so receivers can rotate without downtime.
	PreviousSecret string
	PreviousUntil  *time.Time
	// AlertAfter is how many consecutive failures flip a job to failing.
	AlertAfter int
	// PingKey names the project in slug ping URLs,
	// /ping/<ping key>/<monitor slug>. Random, 22 URL-safe characters.
	PingKey string
	// SnoozeUntil mutes every alert of the project's jobs and monitors
	// until that instant (nil: not snoozed).
	SnoozeUntil *time.Time
	// Redact is what the project never stores (nil: DefaultRedactHeaders).
	Redact    *Redaction
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Secrets returns the secrets that sign requests at now: the current one and,
// during a rotation's overlap window, the previous one.
func (p *Project) Secrets(now time.Time) []string {
	s := []string{p.SigningSecret}
	if p.PreviousSecret != "" && p.PreviousUntil != nil && now.Before(*p.PreviousUntil) {
		s = append(s, p.PreviousSecret)
	}
	return s
}

// SecretRotationOverlap is how long the previous secret keeps signing.
const SecretRotationOverlap = 24 * time.Hour

// Validate checks a project's user-editable fields.
func (p *Project) Validate() error {
	var v Validation
	ValidateName(&v, "name", p.Name, true)
	if p.AlertAfter < 1 || p.AlertAfter > 100 {
		v.Add("alert_after", "must be between 1 and 100")
	}
	return v.Err()
}
