package prikke

import "time"

// AuditAction names a security-relevant action.
type AuditAction string

// Audit actions.
const (
	AuditLogin             AuditAction = "login"
	AuditLoginFailed       AuditAction = "login.failed"
	AuditLogout            AuditAction = "logout"
	AuditSignup            AuditAction = "signup"
	AuditPasswordChange    AuditAction = "password.change"
	AuditPasswordReset     AuditAction = "password.reset"
	AuditEmailChange       AuditAction = "email.change"
	AuditAccountDelete     AuditAction = "account.delete"
	AuditSessionRevoke     AuditAction = "session.revoke"
	AuditAPIKeyCreate      AuditAction = "api_key.create"
	AuditAPIKeyRevoke      AuditAction = "api_key.revoke"
	AuditMemberInvite      AuditAction = "member.invite"
	AuditMemberJoin        AuditAction = "member.join"
	AuditMemberRole        AuditAction = "member.role"
	AuditMemberRemove      AuditAction = "member.remove"
	AuditInvitationRevoke  AuditAction = "invitation.revoke"
	AuditJobCreate         AuditAction = "job.create"
	AuditJobUpdate         AuditAction = "job.update"
	AuditJobDelete         AuditAction = "job.delete"
	AuditExecutionReplay   AuditAction = "execution.replay"
	AuditMonitorCreate     AuditAction = "monitor.create"
	AuditMonitorUpdate     AuditAction = "monitor.update"
	AuditMonitorDelete     AuditAction = "monitor.delete"
	AuditProjectCreate     AuditAction = "project.create"
	AuditFlowKeyChange     AuditAction = "flow_key.update"
	AuditProjectUpdate     AuditAction = "project.update"
	AuditProjectDelete     AuditAction = "project.delete"
	AuditSecretRotate      AuditAction = "project.secret_rotate"
	AuditSecretReveal      AuditAction = "project.secret_reveal"
	AuditTierChange        AuditAction = "organization.tier"
	AuditSubscriptionClaim AuditAction = "billing.claim"
	AuditChannelCreate     AuditAction = "channel.create"
	AuditChannelDelete     AuditAction = "channel.delete"
	AuditStatusPageChange  AuditAction = "status_page.update"
	AuditWorkflowCreate    AuditAction = "workflow.create"
	AuditWorkflowUpdate    AuditAction = "workflow.update"
	AuditWorkflowDelete    AuditAction = "workflow.delete"
	// Project secrets (templates' secrets.NAME); the value is never logged.
	AuditProjectSecretPut    AuditAction = "secret.put"
	AuditProjectSecretDelete AuditAction = "secret.delete"
)

// AuditEntry is one row of the audit log. It never holds a secret.
type AuditEntry struct {
	ID             ID
	OrganizationID *ID
	ActorUserID    *ID
	ActorAPIKeyID  *ID
	ActorEmail     string
	Action         AuditAction
	TargetType     string
	TargetID       string
	IP             string
	RequestID      string
	Detail         string
	CreatedAt      time.Time
}
