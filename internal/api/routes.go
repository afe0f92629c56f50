package api

// routes registers every operation of /api/v1, and the webhooks Prikke
// receives under /webhooks/. Keep them all here.
func (a *API) routes() {
	// Account: registration and sign-in for people (the dashboard uses
	// these too); they set or need the session cookie, not an API key.
	register(a, "POST /api/v1/account/signup", opSignup, a.handleSignup)
	register(a, "POST /api/v1/account/confirm", opConfirm, a.handleConfirm)
	register(a, "POST /api/v1/account/login", opLogin, a.handleLogin)
	register(a, "POST /api/v1/account/logout", opLogout, a.handleLogout)
	register(a, "GET /api/v1/account", opAccount, a.handleAccountGet)
	register(a, "PATCH /api/v1/account", opAccountUpdate, a.handleAccountUpdate)
	register(a, "POST /api/v1/account/password-reset", opPasswordResetRequest, a.handlePasswordResetRequest)
	register(a, "POST /api/v1/account/password-reset/confirm", opPasswordReset, a.handlePasswordReset)
	register(a, "POST /api/v1/account/password", opPasswordChange, a.handlePasswordChange)
	register(a, "POST /api/v1/account/email", opEmailChange, a.handleEmailChange)
	register(a, "POST /api/v1/account/delete", opAccountDelete, a.handleAccountDelete)

	// Organizations, members, invitations, keys, usage, audit.
	register(a, "GET /api/v1/organizations", opOrganizations, a.handleOrgList)
	register(a, "POST /api/v1/organizations", opOrganizationCreate, a.handleOrgCreate)
	register(a, "GET /api/v1/organizations/{org_id}", opOrganization, a.handleOrgGet)
	register(a, "PATCH /api/v1/organizations/{org_id}", opOrganizationUpdate, a.handleOrgUpdate)
	register(a, "DELETE /api/v1/organizations/{org_id}", opOrganizationDelete, a.handleOrgDelete)
	register(a, "GET /api/v1/organizations/{org_id}/usage", opUsage, a.handleUsage)
	register(a, "GET /api/v1/organizations/{org_id}/members", opMembers, a.handleMemberList)
	register(a, "PATCH /api/v1/organizations/{org_id}/members/{user_id}", opMemberUpdate, a.handleMemberUpdate)
	register(a, "DELETE /api/v1/organizations/{org_id}/members/{user_id}", opMemberDelete, a.handleMemberDelete)
	register(a, "GET /api/v1/organizations/{org_id}/invitations", opInvitations, a.handleInvitationList)
	register(a, "POST /api/v1/organizations/{org_id}/invitations", opInvitationCreate, a.handleInvitationCreate)
	register(a, "DELETE /api/v1/invitations/{invitation_id}", opInvitationDelete, a.handleInvitationDelete)
	register(a, "POST /api/v1/invitations/accept", opInvitationAccept, a.handleInvitationAccept)
	register(a, "POST /api/v1/invitations/decline", opInvitationDecline, a.handleInvitationDecline)
	register(a, "GET /api/v1/organizations/{org_id}/audit-log", opAuditLog, a.handleAuditList)
	register(a, "GET /api/v1/organizations/{org_id}/api-keys", opAPIKeys, a.handleKeyList)
	register(a, "POST /api/v1/organizations/{org_id}/api-keys", opAPIKeyCreate, a.handleKeyCreate)
	register(a, "DELETE /api/v1/api-keys/{key_id}", opAPIKeyRevoke, a.handleKeyDelete)

	// Billing: the plan, Lemon Squeezy's checkout and portal, and its
	// webhook (outside /api/v1: signed by Lemon Squeezy, not authenticated).
	register(a, "GET /api/v1/organizations/{org_id}/billing", opBilling, a.handleBillingGet)
	register(a, "POST /api/v1/organizations/{org_id}/billing/checkout", opCheckout, a.handleCheckout)
	register(a, "POST /api/v1/organizations/{org_id}/billing/portal", opPortal, a.handlePortal)
	register(a, "POST /api/v1/organizations/{org_id}/billing/claim", opClaim, a.handleClaim)
	register(a, "POST /webhooks/lemonsqueezy", opWebhook, a.handleWebhook)

	// Projects.
	register(a, "GET /api/v1/projects", opProjects, a.handleProjectList)
	register(a, "POST /api/v1/projects", opProjectCreate, a.handleProjectCreate)
	register(a, "GET /api/v1/projects/{project_id}", opProject, a.handleProjectGet)
	register(a, "PATCH /api/v1/projects/{project_id}", opProjectUpdate, a.handleProjectUpdate)
	register(a, "DELETE /api/v1/projects/{project_id}", opProjectDelete, a.handleProjectDelete)
	register(a, "GET /api/v1/projects/{project_id}/signing-secret", opSigningSecret, a.handleSecretGet)
	register(a, "POST /api/v1/projects/{project_id}/signing-secret/rotate", opSigningSecretRotate, a.handleSecretRotate)
	register(a, "GET /api/v1/projects/{project_id}/executions", opProjectExecutions, a.handleProjectExecutions)
	register(a, "GET /api/v1/projects/{project_id}/executions/export", opExecutionExport, a.handleExecutionExport)
	register(a, "POST /api/v1/projects/{project_id}/jobs/preview", opJobPreview, a.handleJobPreview)

	// Notification channels and status pages.
	register(a, "GET /api/v1/projects/{project_id}/channels", opChannels, a.handleChannelList)
	register(a, "POST /api/v1/projects/{project_id}/channels", opChannelCreate, a.handleChannelCreate)
	register(a, "PATCH /api/v1/channels/{channel_id}", opChannelUpdate, a.handleChannelUpdate)
	register(a, "DELETE /api/v1/channels/{channel_id}", opChannelDelete, a.handleChannelDelete)
	register(a, "POST /api/v1/channels/{channel_id}/test", opChannelTest, a.handleChannelTest)
	register(a, "GET /api/v1/projects/{project_id}/notifications", opNotifications, a.handleNotificationList)
	register(a, "GET /api/v1/projects/{project_id}/status-pages", opStatusPages, a.handleStatusPageList)
	register(a, "POST /api/v1/projects/{project_id}/status-pages", opStatusPageCreate, a.handleStatusPageCreate)
	register(a, "GET /api/v1/status-pages/{status_page_id}", opStatusPage, a.handleStatusPageGet)
	register(a, "PATCH /api/v1/status-pages/{status_page_id}", opStatusPageUpdate, a.handleStatusPageUpdate)
	register(a, "DELETE /api/v1/status-pages/{status_page_id}", opStatusPageDelete, a.handleStatusPageDelete)

	// Jobs.
	register(a, "GET /api/v1/jobs", opJobs, a.handleJobList)
	register(a, "POST /api/v1/jobs", opJobCreate, a.handleJobCreate)
	register(a, "POST /api/v1/jobs/test", opJobTest, a.handleJobTest)
	register(a, "GET /api/v1/jobs/{job_id}", opJob, a.handleJobGet)
	register(a, "PATCH /api/v1/jobs/{job_id}", opJobUpdate, a.handleJobUpdate)
	register(a, "DELETE /api/v1/jobs/{job_id}", opJobDelete, a.handleJobDelete)
	register(a, "POST /api/v1/jobs/{job_id}/pause", opJobPause, a.handleJobPause)
	register(a, "POST /api/v1/jobs/{job_id}/resume", opJobResume, a.handleJobResume)
	register(a, "POST /api/v1/jobs/{job_id}/trigger", opJobTrigger, a.handleJobTrigger)
	register(a, "GET /api/v1/jobs/{job_id}/executions", opJobExecutions, a.handleJobExecutions)
	register(a, "POST /api/v1/jobs/{job_id}/replay-failed", opReplayFailed, a.handleReplayFailed)
	register(a, "GET /api/v1/executions/{execution_id}", opExecution, a.handleExecutionGet)
	register(a, "POST /api/v1/executions/{execution_id}/replay", opExecutionReplay, a.handleExecutionReplay)

	// Workflows and their runs.
	register(a, "GET /api/v1/workflows", opWorkflows, a.handleWorkflowList)
	register(a, "POST /api/v1/workflows", opWorkflowCreate, a.handleWorkflowCreate)
	register(a, "GET /api/v1/workflows/{workflow_id}", opWorkflow, a.handleWorkflowGet)
	register(a, "PUT /api/v1/workflows/{workflow_id}", opWorkflowUpdate, a.handleWorkflowUpdate)
	register(a, "DELETE /api/v1/workflows/{workflow_id}", opWorkflowDelete, a.handleWorkflowDelete)
	register(a, "GET /api/v1/workflows/{workflow_id}/versions/{version}", opWorkflowVersion, a.handleWorkflowVersion)
	register(a, "POST /api/v1/workflows/{workflow_id}/runs", opRunStart, a.handleRunStart)
	register(a, "GET /api/v1/workflows/{workflow_id}/runs", opRuns, a.handleRunList)
	register(a, "GET /api/v1/runs/{run_id}", opRun, a.handleRunGet)
	register(a, "POST /api/v1/runs/{run_id}/cancel", opRunCancel, a.handleRunCancel)
	register(a, "POST /api/v1/runs/{run_id}/retry", opRunRetry, a.handleRunRetry)
	register(a, "GET /api/v1/projects/{project_id}/secrets", opSecrets, a.handleProjectSecretList)
	register(a, "GET /api/v1/projects/{project_id}/secrets/{name}", opSecret, a.handleProjectSecretGet)
	register(a, "PUT /api/v1/projects/{project_id}/secrets/{name}", opSecretPut, a.handleProjectSecretPut)
	register(a, "DELETE /api/v1/projects/{project_id}/secrets/{name}", opSecretDelete, a.handleProjectSecretDelete)

	// Monitors.
	register(a, "GET /api/v1/monitors", opMonitors, a.handleMonitorList)
	register(a, "POST /api/v1/monitors", opMonitorCreate, a.handleMonitorCreate)
	register(a, "GET /api/v1/monitors/{monitor_id}", opMonitor, a.handleMonitorGet)
	register(a, "PATCH /api/v1/monitors/{monitor_id}", opMonitorUpdate, a.handleMonitorUpdate)
	register(a, "DELETE /api/v1/monitors/{monitor_id}", opMonitorDelete, a.handleMonitorDelete)
	register(a, "PUT /api/v1/projects/{project_id}/monitors/by-slug/{slug}", opMonitorPut, a.handleMonitorPut)
	register(a, "POST /api/v1/monitors/{monitor_id}/pause", opMonitorPause, a.handleMonitorPause)
	register(a, "POST /api/v1/monitors/{monitor_id}/resume", opMonitorResume, a.handleMonitorResume)
	register(a, "POST /api/v1/monitors/{monitor_id}/snooze", opMonitorSnooze, a.handleMonitorSnooze)
	register(a, "POST /api/v1/projects/{project_id}/snooze", opProjectSnooze, a.handleProjectSnooze)
	register(a, "GET /api/v1/monitors/{monitor_id}/pings", opMonitorPings, a.handleMonitorPings)
	register(a, "GET /api/v1/monitors/{monitor_id}/pings/{ping_id}", opMonitorPing, a.handleMonitorPing)
	register(a, "GET /api/v1/monitors/{monitor_id}/flips", opMonitorFlips, a.handleMonitorFlips)

	// Flow control.
	register(a, "GET /api/v1/projects/{project_id}/flow-keys", opFlowKeys, a.handleFlowKeyList)
	register(a, "GET /api/v1/projects/{project_id}/flow-keys/{key}", opFlowKey, a.handleFlowKeyGet)
	register(a, "PUT /api/v1/projects/{project_id}/flow-keys/{key}", opFlowKeyPut, a.handleFlowKeyPut)
	register(a, "DELETE /api/v1/projects/{project_id}/flow-keys/{key}", opFlowKeyDelete, a.handleFlowKeyDelete)
	register(a, "POST /api/v1/projects/{project_id}/flow-keys/{key}/pause", opFlowKeyPause, a.handleFlowKeyPause)
	register(a, "POST /api/v1/projects/{project_id}/flow-keys/{key}/resume", opFlowKeyResume, a.handleFlowKeyResume)
	register(a, "POST /api/v1/projects/{project_id}/flow-keys/{key}/release", opFlowKeyRelease, a.handleFlowKeyRelease)

	// Queue.
	register(a, "POST /api/v1/queue", opQueueEnqueue, a.handleQueueEnqueue)
	register(a, "POST /api/v1/queue/batch", opQueueBatch, a.handleQueueBatch)
	register(a, "GET /api/v1/queue", opQueue, a.handleQueueList)

	// Schedules.
	register(a, "GET /api/v1/schedule/preview", opSchedulePreview, a.handleSchedulePreview)
}
