package web

import (
	"context"
	"html/template"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/web/page"
)

func TestAPIKeys(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	path := "/app/orgs/" + f.owner.Org.ID.String() + "/api-keys"
	r := f.b.post(path, url.Values{"name": {""}})
	if r.Status != http.StatusUnprocessableEntity || fieldError(r.Body, "name") != "is required" {
		t.Fatalf("no name: %s", r)
	}
	r = f.b.post(path, url.Values{"name": {"deploys"}, "project_id": {f.project.ID.String()}})
	if r.Status != http.StatusOK {
		t.Fatalf("create: %s", r)
	}
	full := regexp.MustCompile(`pk_live_[A-Za-z0-9_-]+`).FindAllString(r.Body, -1)
	var key string
	for _, k := range full {
		if len(k) > len(key) {
			key = k
		}
	}
	k, err := f.d.svc.AuthenticateKey(ctx, key)
	if err != nil || k.Name != "deploys" || k.ProjectID == nil || *k.ProjectID != f.project.ID {
		t.Fatalf("the shown key %q does not work: %v %+v", key, err, k)
	}
	if r.Header.Get("Cache-Control") != "no-store" || !strings.Contains(r.Body, "only time it is shown") {
		t.Error("the key page may be cached, or does not say it is shown once")
	}
	// Shown once: the list has the key id, never the key.
	r = f.b.get(path)
	if strings.Contains(r.Body, key) || !strings.Contains(r.Body, k.KeyID) || !strings.Contains(r.Body, "Only second") {
		t.Fatalf("list: %s", r)
	}
	r = f.b.post("/app/api-keys/"+k.ID.String()+"/revoke", nil)
	if r.Status != http.StatusSeeOther || r.location() != path {
		t.Fatalf("revoke: %s", r)
	}
	if _, err := f.d.svc.AuthenticateKey(ctx, key); prikke.ErrorCode(err) != prikke.EUNAUTHORIZED {
		t.Errorf("a revoked key works: %v", err)
	}
	r = f.b.get(path)
	if !strings.Contains(r.Body, "is revoked: it no longer works") || !strings.Contains(r.Body, `data-testid="revoked"`) {
		t.Errorf("after revoking: %s", r)
	}
}

func TestProjectSettings(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	p := "/app/projects/" + f.owner.Project.ID.String()
	r := f.b.post(p+"/settings", url.Values{"name": {""}, "alert_after": {"many"}})
	if r.Status != http.StatusUnprocessableEntity || fieldError(r.Body, "name") == "" || fieldError(r.Body, "alert_after") != "must be a whole number" {
		t.Fatalf("invalid: %s", r)
	}
	if r := f.b.post(p+"/settings", url.Values{"name": {"Production"}, "alert_after": {"3"}}); r.Status != http.StatusSeeOther {
		t.Fatalf("save: %s", r)
	}
	if pr, _ := f.d.svc.Project(ctx, f.owner.actor(), f.owner.Project.ID); pr.Name != "Production" || pr.AlertAfter != 3 {
		t.Errorf("saved: %+v", pr)
	}
	secret := escaped(f.owner.Project.SigningSecret)
	r = f.b.post(p+"/secret/reveal", nil)
	if r.Status != 200 || !strings.Contains(r.Body, secret) || r.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("reveal: %s", r)
	}
	if r := f.b.get(p + "/settings"); strings.Contains(r.Body, secret) {
		t.Error("the settings page shows the secret without a reveal")
	}
	r = f.b.post(p+"/secret/rotate", nil)
	pr, _ := f.d.svc.Project(ctx, f.owner.actor(), f.owner.Project.ID)
	if r.Status != 200 || escaped(pr.SigningSecret) == secret || !strings.Contains(r.Body, escaped(pr.SigningSecret)) || !strings.Contains(r.Body, "Previous secret, still signing") {
		t.Fatalf("rotate: %s", r)
	}
	// Delete the second project; the last one cannot go.
	if r := f.b.post("/app/projects/"+f.project.ID.String()+"/delete", nil); r.Status != http.StatusSeeOther {
		t.Fatalf("delete: %s", r)
	}
	r = f.b.post(p+"/delete", nil)
	if r.Status != http.StatusSeeOther || r.location() != p+"/settings" {
		t.Fatalf("delete the last: %s", r)
	}
	if r := f.b.get(r.location()); !strings.Contains(r.Body, "needs at least one project") {
		t.Errorf("no message: %s", r)
	}
	// A new project and a new organization.
	r = f.b.post("/app/orgs/"+f.owner.Org.ID.String()+"/projects", url.Values{"name": {""}})
	if r.Status != http.StatusUnprocessableEntity || fieldError(r.Body, "name") == "" {
		t.Errorf("no name: %s", r)
	}
	if r := f.b.post("/app/orgs/"+f.owner.Org.ID.String()+"/projects", url.Values{"name": {"Staging"}}); r.Status != http.StatusSeeOther {
		t.Errorf("create project: %s", r)
	}
	if r := f.b.post("/app/orgs", url.Values{"name": {""}}); r.Status != http.StatusUnprocessableEntity || fieldError(r.Body, "name") == "" {
		t.Errorf("org without a name: %s", r)
	}
	r = f.b.post("/app/orgs", url.Values{"name": {"Acme"}})
	if r.Status != http.StatusSeeOther {
		t.Fatalf("create org: %s", r)
	}
	r = f.b.get(r.location())
	if r = f.b.get(r.location()); r.Status != 200 || !strings.Contains(r.Body, `data-testid="current-org">Acme<`) {
		t.Errorf("the new organization is not current: %s", r)
	}
}

// escaped is s as html/template writes it in text.
func escaped(s string) string {
	return strings.ReplaceAll(template.HTMLEscapeString(s), "+", "&#43;")
}

func TestMembers(t *testing.T) {
	f := newFixture(t)
	d := f.d
	ctx := context.Background()
	m := d.tenant(prikke.TierFree)
	d.member(f.owner, m.User, prikke.RoleMember)
	base := "/app/orgs/" + f.owner.Org.ID.String() + "/members"
	if r := f.b.post(base+"/"+m.User.ID.String()+"/role", url.Values{"role": {"admin"}}); r.Status != http.StatusSeeOther {
		t.Fatalf("role: %s", r)
	}
	if ms, _ := d.store.MembershipGet(ctx, f.owner.Org.ID, m.User.ID); ms.Role != prikke.RoleAdmin {
		t.Errorf("role %s", ms.Role)
	}
	// The last owner cannot step down: said on the page.
	r := f.b.post(base+"/"+f.owner.User.ID.String()+"/role", url.Values{"role": {"viewer"}})
	if r.Status != http.StatusSeeOther {
		t.Fatalf("last owner: %s", r)
	}
	if r := f.b.get(base); !strings.Contains(r.Body, "The last owner cannot step down") {
		t.Errorf("no message: %s", r)
	}
	if r := f.b.post(base+"/"+m.User.ID.String()+"/role", url.Values{"role": {"emperor"}}); r.Status != http.StatusSeeOther {
		t.Errorf("bad role: %s", r)
	}
	// Revoke the invitation, remove the member.
	if r := f.b.post("/app/invitations/"+f.inv.ID.String()+"/revoke", url.Values{"back": {base}}); r.Status != http.StatusSeeOther || r.location() != base {
		t.Errorf("revoke: %s", r)
	}
	if r := f.b.get(base); strings.Contains(r.Body, "new@example.com") {
		t.Error("the revoked invitation is listed")
	}
	if r := f.b.post(base+"/"+m.User.ID.String()+"/remove", nil); r.Status != http.StatusSeeOther {
		t.Errorf("remove: %s", r)
	}
	if _, err := d.store.MembershipGet(ctx, f.owner.Org.ID, m.User.ID); prikke.ErrorCode(err) != prikke.ENOTFOUND {
		t.Errorf("still a member: %v", err)
	}
	// A member may leave.
	d.member(f.owner, m.User, prikke.RoleViewer)
	if r := d.as(m).post(base+"/"+m.User.ID.String()+"/remove", nil); r.Status != http.StatusSeeOther || r.location() != "/app" {
		t.Errorf("leave: %s", r)
	}
}

func TestAccount(t *testing.T) {
	d := newDash(t, nil)
	tn := d.tenantWithPassword("eve@example.com")
	b := d.as(tn)
	other := d.as(tn) // a second session
	r := b.post("/app/account/password", url.Values{"current_password": {"nope nope nope"}, "password": {"another long passphrase"}})
	if r.Status != http.StatusUnprocessableEntity {
		t.Fatalf("wrong current: %s", r)
	}
	f := &page.Form{Prefix: "password"}
	if msg := fieldError(r.Body, "password-current_password"); msg != "is not your current password" {
		t.Errorf("beside the current password: %q (%s)", msg, page.FieldID(f.Prefix+"-current_password"))
	}
	if strings.Contains(r.Body, "nope nope nope") {
		t.Error("the password is sent back")
	}
	r = b.post("/app/account/password", url.Values{"current_password": {tn.password}, "password": {"another long passphrase"}})
	if r.Status != http.StatusSeeOther {
		t.Fatalf("change: %s", r)
	}
	if r := other.get("/app/account"); r.Status != http.StatusSeeOther {
		t.Errorf("the other session survived a password change: %s", r)
	}
	r = b.post("/app/account/email", url.Values{"current_password": {"another long passphrase"}, "email": {"eve2@example.com"}})
	if r.Status != http.StatusSeeOther {
		t.Fatalf("email: %s", r)
	}
	d.lastMail("eve2@example.com")
	third := d.as(tn)
	if r := b.post("/app/account/sessions/revoke", nil); r.Status != http.StatusSeeOther {
		t.Fatalf("revoke sessions: %s", r)
	}
	if r := third.get("/app/account"); r.Status != http.StatusSeeOther {
		t.Error("a revoked session still works")
	}
	r = b.post("/app/account/delete", url.Values{"current_password": {"wrong wrong wrong"}})
	if r.Status != http.StatusUnprocessableEntity || fieldError(r.Body, "delete-current_password") == "" {
		t.Fatalf("delete with a wrong password: %s", r)
	}
	r = b.post("/app/account/delete", url.Values{"current_password": {"another long passphrase"}})
	if r.Status != http.StatusSeeOther || r.location() != "/" {
		t.Fatalf("delete: %s", r)
	}
	if _, err := d.store.UserGet(context.Background(), tn.User.ID); prikke.ErrorCode(err) != prikke.ENOTFOUND {
		t.Errorf("the user is still there: %v", err)
	}
}
