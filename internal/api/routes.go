package api

import (
	"net/http"

	"github.com/danielgtaylor/huma/v2"
)

// routes registers every operation of /api/v1. Keep them all here.
func (a *API) routes() {
	// Account: registration and sign-in for people (the dashboard uses
	// these too); they set or need the session cookie, not an API key.
	register(a, public(huma.Operation{OperationID: "signup", Method: http.MethodPost, Path: "/api/v1/account/signup", Tags: []string{"Account"},
		Summary: "Register", Description: "Creates an account and mails a confirmation link. Answers the same whether or not the address is taken: a confirmed address gets a password reset link; one never confirmed gets a fresh confirmation link (earlier ones stop working) and this password is not used: following that link confirms the address and then asks for a password (see confirm's password_token), so only the mailbox's owner chooses it.", DefaultStatus: http.StatusAccepted}),
		credentials{}, a.handleSignup)
	register(a, public(huma.Operation{OperationID: "confirm", Method: http.MethodPost, Path: "/api/v1/account/confirm", Tags: []string{"Account"},
		Summary: "Confirm an address", Description: "Confirms an account (or a new address) with the token from the mailed link. A link mailed after the address was signed up again also answers a password_token, with which to choose the account's password through password-reset/confirm."}),
		tokenRequest{}, a.handleConfirm)
	register(a, public(huma.Operation{OperationID: "login", Method: http.MethodPost, Path: "/api/v1/account/login", Tags: []string{"Account"},
		Summary: "Sign in", Description: "Starts a session (a cookie). Limited to 20 attempts an hour per IP and 20 a day per account."}),
		credentials{}, a.handleLogin)
	register(a, huma.Operation{OperationID: "logout", Method: http.MethodPost, Path: "/api/v1/account/logout", Tags: []string{"Account"},
		Summary: "Sign out", Description: "Ends the session of the cookie sent and clears the cookie. API keys are not affected.", DefaultStatus: http.StatusNoContent}, nil, a.handleLogout)
	register(a, huma.Operation{OperationID: "account", Method: http.MethodGet, Path: "/api/v1/account", Tags: []string{"Account"},
		Summary: "The signed-in user and their organizations", Description: "Your user id, email address and the organizations you belong to with their tiers."}, nil, a.handleAccountGet)
	register(a, huma.Operation{OperationID: "account-update", Method: http.MethodPatch, Path: "/api/v1/account", Tags: []string{"Account"},
		Summary: "Change your settings", Description: "Sets the time zone the dashboard shows your times in."}, accountUpdate{}, a.handleAccountUpdate)
	register(a, public(huma.Operation{OperationID: "password-reset-request", Method: http.MethodPost, Path: "/api/v1/account/password-reset", Tags: []string{"Account"},
		Summary: "Ask for a password reset link", Description: "Answers the same whether or not the address has an account.", DefaultStatus: http.StatusAccepted}),
		emailRequest{}, a.handlePasswordResetRequest)
	register(a, public(huma.Operation{OperationID: "password-reset", Method: http.MethodPost, Path: "/api/v1/account/password-reset/confirm", Tags: []string{"Account"},
		Summary: "Choose a new password with a reset token", Description: "Takes the token of a mailed reset link, or the password_token a confirmation answered. Ends every session of the account."}),
		resetRequest{}, a.handlePasswordReset)
	register(a, huma.Operation{OperationID: "password-change", Method: http.MethodPost, Path: "/api/v1/account/password", Tags: []string{"Account"},
		Summary: "Change your password", Description: "Ends your other sessions."}, passwordChange{}, a.handlePasswordChange)
	register(a, huma.Operation{OperationID: "email-change", Method: http.MethodPost, Path: "/api/v1/account/email", Tags: []string{"Account"},
		Summary: "Change your email", Description: "Mails a confirmation link to the new address.", DefaultStatus: http.StatusAccepted}, emailChange{}, a.handleEmailChange)
	register(a, huma.Operation{OperationID: "account-delete", Method: http.MethodPost, Path: "/api/v1/account/delete", Tags: []string{"Account"},
		Summary: "Delete your account", Description: "Deletes the account, its sessions, and the organizations you alone own.", DefaultStatus: http.StatusNoContent},
		passwordConfirm{}, a.handleAccountDelete)

	// Organizations, members, invitations, keys, usage, audit.
	register(a, huma.Operation{OperationID: "organizations", Method: http.MethodGet, Path: "/api/v1/organizations", Tags: []string{"Organizations"},
		Summary: "List your organizations", Description: "Every organization you are a member of, your personal one first, with its tier."}, nil, a.handleOrgList)
	register(a, huma.Operation{OperationID: "organization-create", Method: http.MethodPost, Path: "/api/v1/organizations", Tags: []string{"Organizations"},
		Summary: "Create a team organization", Description: "A team organization you own, on the free tier. Invite members and add projects to it.", DefaultStatus: http.StatusCreated}, nameRequest{}, a.handleOrgCreate)
	register(a, huma.Operation{OperationID: "organization", Method: http.MethodGet, Path: "/api/v1/organizations/{org_id}", Tags: []string{"Organizations"},
		Summary: "Get an organization", Description: "The organization's name, tier and whether it is your personal one."}, nil, a.handleOrgGet)
	register(a, huma.Operation{OperationID: "organization-update", Method: http.MethodPatch, Path: "/api/v1/organizations/{org_id}", Tags: []string{"Organizations"},
		Summary: "Rename an organization (owners)", Description: "Only owners may rename an organization."}, nameRequest{}, a.handleOrgUpdate)
	register(a, huma.Operation{OperationID: "organization-delete", Method: http.MethodDelete, Path: "/api/v1/organizations/{org_id}", Tags: []string{"Organizations"},
		Summary: "Delete a team organization (owners)", Description: "Deletes the organization with its projects, jobs, history, members and keys. Personal organizations cannot be deleted.", DefaultStatus: http.StatusNoContent}, nil, a.handleOrgDelete)
	register(a, huma.Operation{OperationID: "usage", Method: http.MethodGet, Path: "/api/v1/organizations/{org_id}/usage", Tags: []string{"Organizations"},
		Summary: "Requests used this month against the tier's limits", Description: "Requests used this calendar month (UTC) against the tier's limit, and the number of jobs."}, nil, a.handleUsage)
	register(a, huma.Operation{OperationID: "members", Method: http.MethodGet, Path: "/api/v1/organizations/{org_id}/members", Tags: []string{"Organizations"},
		Summary: "List members", Description: "Everyone in the organization with their role."}, nil, a.handleMemberList)
	register(a, huma.Operation{OperationID: "member-update", Method: http.MethodPatch, Path: "/api/v1/organizations/{org_id}/members/{user_id}", Tags: []string{"Organizations"},
		Summary: "Change a member's role (owners)", Description: "The organization must keep at least one owner.", DefaultStatus: http.StatusNoContent}, roleRequest{}, a.handleMemberUpdate)
	register(a, huma.Operation{OperationID: "member-delete", Method: http.MethodDelete, Path: "/api/v1/organizations/{org_id}/members/{user_id}", Tags: []string{"Organizations"},
		Summary: "Remove a member (owners), or leave", Description: "Owners remove anyone but the last owner; anyone may remove themselves to leave.", DefaultStatus: http.StatusNoContent}, nil, a.handleMemberDelete)
	register(a, huma.Operation{OperationID: "invitations", Method: http.MethodGet, Path: "/api/v1/organizations/{org_id}/invitations", Tags: []string{"Organizations"},
		Summary: "List invitations (admins)", Description: "Open, accepted and declined invitations, newest first."}, nil, a.handleInvitationList)
	register(a, huma.Operation{OperationID: "invitation-create", Method: http.MethodPost, Path: "/api/v1/organizations/{org_id}/invitations", Tags: []string{"Organizations"},
		Summary: "Invite someone by email (admins)", Description: "Mails a link to join the organization with the given role. The link works for 7 days.", DefaultStatus: http.StatusCreated}, inviteRequest{}, a.handleInvitationCreate)
	register(a, huma.Operation{OperationID: "invitation-delete", Method: http.MethodDelete, Path: "/api/v1/invitations/{invitation_id}", Tags: []string{"Organizations"},
		Summary: "Revoke an invitation (admins)", Description: "The invitation's link stops working.", DefaultStatus: http.StatusNoContent}, nil, a.handleInvitationDelete)
	register(a, huma.Operation{OperationID: "invitation-accept", Method: http.MethodPost, Path: "/api/v1/invitations/accept", Tags: []string{"Organizations"},
		Summary: "Accept an invitation (signed in with the invited address)", Description: "Joins the organization with the invitation's role. You must be signed in with the address the invitation was sent to."}, tokenRequest{}, a.handleInvitationAccept)
	register(a, public(huma.Operation{OperationID: "invitation-decline", Method: http.MethodPost, Path: "/api/v1/invitations/decline", Tags: []string{"Organizations"},
		Summary: "Decline an invitation", Description: "Declines with the token from the mailed link; no session is needed."}), tokenRequest{}, a.handleInvitationDecline)
	register(a, huma.Operation{OperationID: "audit-log", Method: http.MethodGet, Path: "/api/v1/organizations/{org_id}/audit-log", Tags: []string{"Organizations"},
		Summary: "The audit log (admins)", Description: "Security-relevant actions, newest first. Never contains a secret."}, nil, a.handleAuditList)
	register(a, huma.Operation{OperationID: "api-keys", Method: http.MethodGet, Path: "/api/v1/organizations/{org_id}/api-keys", Tags: []string{"API keys"},
		Summary: "List API keys (admins)", Description: "Every key of the organization, revoked ones included. Secrets are never shown again after creation."}, nil, a.handleKeyList)
	register(a, huma.Operation{OperationID: "api-key-create", Method: http.MethodPost, Path: "/api/v1/organizations/{org_id}/api-keys", Tags: []string{"API keys"},
		Summary: "Create an API key (admins)", Description: "The whole key is in the response once; only its public part and a hash are kept.", DefaultStatus: http.StatusCreated},
		keyRequest{}, a.handleKeyCreate)
	register(a, huma.Operation{OperationID: "api-key-revoke", Method: http.MethodDelete, Path: "/api/v1/api-keys/{key_id}", Tags: []string{"API keys"},
		Summary: "Revoke an API key (admins)", Description: "It stops working with the next request.", DefaultStatus: http.StatusNoContent}, nil, a.handleKeyDelete)

	// Projects.
	register(a, huma.Operation{OperationID: "projects", Method: http.MethodGet, Path: "/api/v1/projects", Tags: []string{"Projects"},
		Summary: "List projects", Description: "The projects of one organization (default: your personal one)."}, nil, a.handleProjectList)
	register(a, huma.Operation{OperationID: "project-create", Method: http.MethodPost, Path: "/api/v1/projects", Tags: []string{"Projects"},
		Summary: "Create a project (admins)", Description: "A project groups jobs, their signing secret and their notification channels.", DefaultStatus: http.StatusCreated}, projectRequest{}, a.handleProjectCreate)
	register(a, huma.Operation{OperationID: "project", Method: http.MethodGet, Path: "/api/v1/projects/{project_id}", Tags: []string{"Projects"},
		Summary: "Get a project", Description: "The project's name and organization."}, nil, a.handleProjectGet)
	register(a, huma.Operation{OperationID: "project-update", Method: http.MethodPatch, Path: "/api/v1/projects/{project_id}", Tags: []string{"Projects"},
		Summary: "Change a project (admins)", Description: "Only the fields given change."}, projectRequest{}, a.handleProjectUpdate)
	register(a, huma.Operation{OperationID: "project-delete", Method: http.MethodDelete, Path: "/api/v1/projects/{project_id}", Tags: []string{"Projects"},
		Summary: "Delete a project with its jobs (admins)", Description: "Deletes the project with its jobs, history, channels and status pages. This cannot be undone.", DefaultStatus: http.StatusNoContent}, nil, a.handleProjectDelete)
	register(a, huma.Operation{OperationID: "signing-secret", Method: http.MethodGet, Path: "/api/v1/projects/{project_id}/signing-secret", Tags: []string{"Projects"},
		Summary: "Reveal the webhook signing secret (admins)", Description: "Every reveal is in the audit log."}, nil, a.handleSecretGet)
	register(a, huma.Operation{OperationID: "signing-secret-rotate", Method: http.MethodPost, Path: "/api/v1/projects/{project_id}/signing-secret/rotate", Tags: []string{"Projects"},
		Summary: "Rotate the signing secret (admins)", Description: "Requests carry signatures of both secrets for 24 hours, so receivers can switch without dropping any."},
		nil, a.handleSecretRotate)
	register(a, huma.Operation{OperationID: "project-executions", Method: http.MethodGet, Path: "/api/v1/projects/{project_id}/executions", Tags: []string{"Executions"},
		Summary: "List a project's executions", Description: "Newest first, with status and time filters."}, nil, a.handleProjectExecutions)

	// Notification channels and status pages.
	register(a, huma.Operation{OperationID: "channels", Method: http.MethodGet, Path: "/api/v1/projects/{project_id}/channels", Tags: []string{"Notifications"},
		Summary: "List a project's notification channels", Description: "Every channel of the project, with whether it is confirmed and enabled."}, nil, a.handleChannelList)
	register(a, huma.Operation{OperationID: "channel-create", Method: http.MethodPost, Path: "/api/v1/projects/{project_id}/channels", Tags: []string{"Notifications"},
		Summary: "Add a notification channel (admins)", Description: "An email address (confirmed by its owner through a mailed link before it receives alerts) or a webhook URL. Slack and Discord incoming-webhook URLs are recognised and get messages in their own format; other URLs get a signed JSON payload (see /docs/webhooks).", DefaultStatus: http.StatusCreated},
		ChannelRequest{}, a.handleChannelCreate)
	register(a, huma.Operation{OperationID: "channel-update", Method: http.MethodPatch, Path: "/api/v1/channels/{channel_id}", Tags: []string{"Notifications"},
		Summary: "Rename a channel, or turn it off or on (admins)", Description: "Only the fields given change. Turning a channel back on clears its failure count. The target cannot be changed: add a new channel instead."}, ChannelRequest{}, a.handleChannelUpdate)
	register(a, huma.Operation{OperationID: "channel-delete", Method: http.MethodDelete, Path: "/api/v1/channels/{channel_id}", Tags: []string{"Notifications"},
		Summary: "Delete a channel (admins)", Description: "The channel stops receiving alerts at once; the record of what it was sent stays in the notifications list.", DefaultStatus: http.StatusNoContent}, nil, a.handleChannelDelete)
	register(a, huma.Operation{OperationID: "channel-test", Method: http.MethodPost, Path: "/api/v1/channels/{channel_id}/test", Tags: []string{"Notifications"},
		Summary: "Send a test notification", Description: "Sends a test message to the channel now, so you can check it arrives. Recorded like any other notification."}, nil, a.handleChannelTest)
	register(a, huma.Operation{OperationID: "notifications", Method: http.MethodGet, Path: "/api/v1/projects/{project_id}/notifications", Tags: []string{"Notifications"},
		Summary: "Recent notifications sent for a project", Description: "Every send, successful or not."}, nil, a.handleNotificationList)
	register(a, huma.Operation{OperationID: "status-pages", Method: http.MethodGet, Path: "/api/v1/projects/{project_id}/status-pages", Tags: []string{"Status pages"},
		Summary: "List a project's status pages", Description: "Every status page of the project, published or not."}, nil, a.handleStatusPageList)
	register(a, huma.Operation{OperationID: "status-page-create", Method: http.MethodPost, Path: "/api/v1/projects/{project_id}/status-pages", Tags: []string{"Status pages"},
		Summary: "Create a customer status page (admins)", Description: "A page at /s/<slug> showing the chosen jobs' display names, states and 90 days of uptime. Nothing else about the jobs is shown.", DefaultStatus: http.StatusCreated}, StatusPageRequest{}, a.handleStatusPageCreate)
	register(a, huma.Operation{OperationID: "status-page", Method: http.MethodGet, Path: "/api/v1/status-pages/{status_page_id}", Tags: []string{"Status pages"},
		Summary: "Get a status page", Description: "The status page with its jobs and address."}, nil, a.handleStatusPageGet)
	register(a, huma.Operation{OperationID: "status-page-update", Method: http.MethodPatch, Path: "/api/v1/status-pages/{status_page_id}", Tags: []string{"Status pages"},
		Summary: "Change a status page (admins)", Description: "Only the fields given change; jobs, when given, replaces the whole list."}, StatusPageRequest{}, a.handleStatusPageUpdate)
	register(a, huma.Operation{OperationID: "status-page-delete", Method: http.MethodDelete, Path: "/api/v1/status-pages/{status_page_id}", Tags: []string{"Status pages"},
		Summary: "Delete a status page (admins)", Description: "The page stops being served at once.", DefaultStatus: http.StatusNoContent}, nil, a.handleStatusPageDelete)

	// Jobs.
	register(a, huma.Operation{OperationID: "jobs", Method: http.MethodGet, Path: "/api/v1/jobs", Tags: []string{"Jobs"},
		Summary: "List jobs", Description: "Oldest first, paged with next_cursor."}, nil, a.handleJobList)
	register(a, huma.Operation{OperationID: "job-create", Method: http.MethodPost, Path: "/api/v1/jobs", Tags: []string{"Jobs"},
		Summary: "Create a job", Description: "A cron job (cron_expression + timezone), a simple interval, or a one-time job (scheduled_at).", DefaultStatus: http.StatusCreated},
		JobRequest{}, a.handleJobCreate)
	register(a, huma.Operation{OperationID: "job-test", Method: http.MethodPost, Path: "/api/v1/jobs/test", Tags: []string{"Jobs"},
		Summary: "Send a test request", Description: "Delivers the request once, now, and returns the response. Counts against the monthly quota; not stored in history."},
		JobRequest{}, a.handleJobTest)
	register(a, huma.Operation{OperationID: "job", Method: http.MethodGet, Path: "/api/v1/jobs/{job_id}", Tags: []string{"Jobs"},
		Summary: "Get a job", Description: "The job with its schedule in plain English, its next and last run, and its health."}, nil, a.handleJobGet)
	register(a, huma.Operation{OperationID: "job-update", Method: http.MethodPatch, Path: "/api/v1/jobs/{job_id}", Tags: []string{"Jobs"},
		Summary: "Change a job", Description: "Only the fields given change. Pending runs are rewritten from the new definition."}, JobRequest{}, a.handleJobUpdate)
	register(a, huma.Operation{OperationID: "job-delete", Method: http.MethodDelete, Path: "/api/v1/jobs/{job_id}", Tags: []string{"Jobs"},
		Summary: "Delete a job and its history", Description: "Deletes the job, its pending runs and its execution history. This cannot be undone; pause the job to keep its history.", DefaultStatus: http.StatusNoContent}, nil, a.handleJobDelete)
	register(a, huma.Operation{OperationID: "job-pause", Method: http.MethodPost, Path: "/api/v1/jobs/{job_id}/pause", Tags: []string{"Jobs"},
		Summary: "Pause a job", Description: "Stops scheduling the job until it is resumed; its history is kept."}, nil, a.handleJobPause)
	register(a, huma.Operation{OperationID: "job-resume", Method: http.MethodPost, Path: "/api/v1/jobs/{job_id}/resume", Tags: []string{"Jobs"},
		Summary: "Resume a job", Description: "Schedules the job again, also after Prikke paused it itself (disabled_reason says why)."}, nil, a.handleJobResume)
	register(a, huma.Operation{OperationID: "job-trigger", Method: http.MethodPost, Path: "/api/v1/jobs/{job_id}/trigger", Tags: []string{"Jobs"},
		Summary: "Run a job now", Description: "An extra occurrence outside the schedule, delivered at once.", DefaultStatus: http.StatusAccepted}, nil, a.handleJobTrigger)
	register(a, huma.Operation{OperationID: "job-executions", Method: http.MethodGet, Path: "/api/v1/jobs/{job_id}/executions", Tags: []string{"Executions"},
		Summary: "List a job's executions", Description: "Newest first, with status and time filters."}, nil, a.handleJobExecutions)
	register(a, huma.Operation{OperationID: "execution", Method: http.MethodGet, Path: "/api/v1/executions/{execution_id}", Tags: []string{"Executions"},
		Summary: "Get an execution with its stored response", Description: "One attempt with everything stored about it: the request's headers, and the response's status, headers and first 64 KiB of body."}, nil, a.handleExecutionGet)

	// Queue.
	register(a, huma.Operation{OperationID: "queue-enqueue", Method: http.MethodPost, Path: "/api/v1/queue", Tags: []string{"Queue"},
		Summary: "Enqueue a request", Description: "Delivers a one-off request now, or later (delay or not_before), retried like a one-time job. Send an Idempotency-Key header to make retries safe.",
		DefaultStatus: http.StatusAccepted, Responses: map[string]*huma.Response{
			"202": {Description: "Enqueued."},
			"200": {Description: "The Idempotency-Key matched an earlier request (duplicate is true): nothing new was enqueued; the body is that request's.",
				Content: map[string]*huma.MediaType{"application/json": {Schema: a.schema(Enqueued{})}}},
		}}, QueueRequest{}, a.handleQueueEnqueue)
	register(a, huma.Operation{OperationID: "queue", Method: http.MethodGet, Path: "/api/v1/queue", Tags: []string{"Queue"},
		Summary: "List queued requests", Description: "The jobs POST /queue made (schedule_kind queue), oldest first, paged with next_cursor."}, nil, a.handleQueueList)

	// Schedules.
	register(a, public(huma.Operation{OperationID: "schedule-preview", Method: http.MethodGet, Path: "/api/v1/schedule/preview", Tags: []string{"Schedules"},
		Summary: "Explain a cron expression", Description: "The expression in plain English and its next fire times in the zone, daylight-saving changes flagged."}),
		nil, a.handleSchedulePreview)
}
