package web

import "net/http"

// Mount adds every web route to mux. The list is in mount; it also
// registers the catch-all "/", which answers unknown paths with the
// branded 404 page, so other surfaces (the API) must register their own,
// more specific, prefixes.
func (h *Web) Mount(mux *http.ServeMux) {
	h.mount(mux.HandleFunc)
}

// mount is the one list of the web routes, in order of the site's
// sections. Tests call it with a recorder to check every route.
func (h *Web) mount(handle func(pattern string, handler func(http.ResponseWriter, *http.Request))) {
	// Static files, content-hashed by asset().
	handle("GET /static/{path...}", h.serveStatic)
	handle("GET /favicon.ico", h.serveFavicon)

	// Public site.
	handle("GET /{$}", h.showLanding)
	handle("GET /pricing", h.showPricing)
	handle("GET /use-cases", h.showUseCases)
	handle("GET /explain", h.docs.ShowExplanation) // htmx fragment for the cron testers
	for _, p := range legalPages {
		handle("GET "+p.Path, h.showLegal(p.Name, p.Title))
	}

	// Docs.
	handle("GET /docs", h.docs.ShowIndex)
	handle("GET /docs/{$}", redirect("/docs"))
	handle("GET /docs/getting-started", h.docs.ShowGettingStarted)
	handle("GET /docs/api", h.docs.ShowAPI)
	handle("GET /docs/api/{group}", h.docs.ShowAPIGroup)
	handle("GET /docs/cron", h.docs.ShowCron)
	handle("GET /docs/webhooks", h.docs.ShowWebhooks)
	handle("GET /docs/own-machine", h.docs.ShowOwnMachine)
	handle("GET /docs/teams", h.docs.ShowTeams)
	handle("GET /docs/notifications", h.docs.ShowNotifications)
	handle("GET /docs/monitors", h.docs.ShowMonitors)
	handle("GET /docs/what-happened", h.docs.ShowWhatHappened)
	handle("GET /docs/assertions", h.docs.ShowAssertions)
	handle("GET /docs/redaction", h.docs.ShowRedaction)
	handle("GET /docs/templates", h.docs.ShowTemplates)
	handle("GET /docs/flow-control", h.docs.ShowFlowControl)
	handle("GET /docs/workflows", h.docs.ShowWorkflows)
	handle("GET /docs/status-pages", h.docs.ShowStatusPages)
	handle("GET /docs/billing", h.docs.ShowBilling)
	handle("GET /docs/operators", h.docs.ShowOperators)

	// Development only: loopback clients, never in production.
	handle("GET /dev/mailbox", h.devOnly(h.showMailbox))
	handle("GET /dev/mailbox/{id}", h.devOnly(h.showMail))
	handle("GET /dev/mailbox/{id}/html", h.devOnly(h.showMailHTML))
	handle("GET /dev/ui", h.devOnly(h.showStyleguide))

	if h.svc != nil {
		h.mountAccount(handle)
		h.mountStatus(handle)
		h.mountDashboard(handle)
		h.mountOperator(handle)
	}

	// Everything else.
	handle("/", h.NotFound)
}

// mountAccount adds the pages of signing up and in, and the links that
// mails carry.
func (h *Web) mountAccount(handle func(string, func(http.ResponseWriter, *http.Request))) {
	handle("GET /signup", h.showSignup)
	handle("POST /signup", h.signup)
	handle("GET /login", h.showLogin)
	handle("POST /login", h.login)
	handle("POST /logout", h.logout)
	handle("GET /forgot-password", h.showForgotPassword)
	handle("POST /forgot-password", h.forgotPassword)
	handle("GET /reset-password", h.showResetPassword)
	handle("POST /reset-password", h.resetPassword)
	handle("GET /confirm", h.showConfirm)
	handle("POST /confirm", h.confirm)
	handle("POST /confirm/resend", h.resendConfirmation)
	handle("GET /invitations/accept", h.optionalUser(h.showInvitation))
	handle("POST /invitations/accept", h.requireUser(h.acceptInvitation))
	handle("POST /invitations/decline", h.declineInvitation)
	handle("GET /channels/confirm", h.showConfirmChannel)
	handle("POST /channels/confirm", h.confirmChannel)

	// The links notification mails and payloads carry (internal/notify
	// writes them without /app): each goes to its dashboard page.
	handle("GET /jobs/{job_id}", h.redirectJob)
	handle("GET /jobs/{job_id}/executions/{execution_id}", h.redirectExecution)
	handle("GET /monitors/{monitor_id}", h.redirectMonitor)
	handle("GET /projects/{project_id}", h.redirectProject)
	handle("GET /projects/{project_id}/channels", h.redirectChannels)
	handle("GET /settings/usage", h.redirectUsage)
}

// mountStatus adds the public status pages: Prikke's own, as a page and
// as JSON, and the customer pages projects publish. No session is
// needed, and none is read.
func (h *Web) mountStatus(handle func(string, func(http.ResponseWriter, *http.Request))) {
	handle("GET /status", h.status.ShowStatus)
	handle("GET /status.json", h.status.ShowStatusJSON)
	handle("GET /s/{slug}", h.status.ShowCustomerStatus)
	handle("GET /badge/{file}", h.showBadge) // a monitor's badge, /badge/<token>.svg
}

// mountDashboard adds the dashboard, /app/…: every page needs a session,
// and every id in a path goes through the service (another tenant's id
// is a 404). Actions are POSTs, which the middleware's cross-origin
// protection guards; the service checks the role of every action.
func (h *Web) mountDashboard(handle func(string, func(http.ResponseWriter, *http.Request))) {
	u := h.requireUser
	handle("GET /app", u(h.showHome))
	handle("GET /app/{$}", u(h.showHome))

	// A project: overview, jobs, executions, settings.
	handle("GET /app/projects/{project_id}", u(h.showOverview))
	handle("GET /app/projects/{project_id}/jobs", u(h.showJobs))
	handle("GET /app/projects/{project_id}/jobs/new", u(h.showJobNew))
	handle("POST /app/projects/{project_id}/jobs", u(h.createJob))
	handle("POST /app/projects/{project_id}/jobs/test", u(h.testJob))               // htmx fragment
	handle("POST /app/projects/{project_id}/jobs/preview", u(h.previewRequest))     // htmx fragment
	handle("GET /app/projects/{project_id}/schedule-preview", u(h.previewSchedule)) // htmx fragment
	handle("GET /app/projects/{project_id}/executions", u(h.showProjectExecutions))
	handle("GET /app/projects/{project_id}/executions/export", u(h.exportProjectExecutions))
	handle("GET /app/projects/{project_id}/settings", u(h.showProjectSettings))
	handle("POST /app/projects/{project_id}/settings", u(h.updateProject))
	handle("POST /app/projects/{project_id}/redaction", u(h.updateRedaction))
	handle("POST /app/projects/{project_id}/secret/reveal", u(h.revealSecret))
	handle("POST /app/projects/{project_id}/secret/rotate", u(h.rotateSecret))
	handle("POST /app/projects/{project_id}/secrets", u(h.putSecret))
	handle("POST /app/projects/{project_id}/secrets/{name}/delete", u(h.deleteSecret))
	handle("GET /app/projects/{project_id}/delete", u(h.showProjectDelete))
	handle("POST /app/projects/{project_id}/delete", u(h.deleteProject))

	// A project's notification channels and the log of what they were sent.
	handle("GET /app/projects/{project_id}/channels", u(h.showChannels))
	handle("POST /app/projects/{project_id}/channels", u(h.createChannel))
	handle("POST /app/channels/{channel_id}", u(h.renameChannel))
	handle("POST /app/channels/{channel_id}/enable", u(h.enableChannel))
	handle("POST /app/channels/{channel_id}/disable", u(h.disableChannel))
	handle("POST /app/channels/{channel_id}/test", u(h.testChannel))
	handle("GET /app/channels/{channel_id}/delete", u(h.showChannelDelete))
	handle("POST /app/channels/{channel_id}/delete", u(h.deleteChannel))

	// A project's customer-facing status pages.
	handle("GET /app/projects/{project_id}/status-pages", u(h.showStatusPages))
	handle("GET /app/projects/{project_id}/status-pages/new", u(h.showStatusPageNew))
	handle("POST /app/projects/{project_id}/status-pages", u(h.createStatusPage))
	handle("GET /app/status-pages/{status_page_id}/edit", u(h.showStatusPageEdit))
	handle("POST /app/status-pages/{status_page_id}", u(h.updateStatusPage))
	handle("GET /app/status-pages/{status_page_id}/delete", u(h.showStatusPageDelete))
	handle("POST /app/status-pages/{status_page_id}/delete", u(h.deleteStatusPage))

	// A job and its executions.
	handle("GET /app/jobs/{job_id}", u(h.showJob))
	handle("GET /app/jobs/{job_id}/events", u(h.jobEvents)) // server-sent events
	handle("GET /app/jobs/{job_id}/edit", u(h.showJobEdit))
	handle("POST /app/jobs/{job_id}", u(h.updateJob))
	handle("POST /app/jobs/{job_id}/pause", u(h.pauseJob))
	handle("POST /app/jobs/{job_id}/resume", u(h.resumeJob))
	handle("POST /app/jobs/{job_id}/run", u(h.runJob))
	handle("GET /app/jobs/{job_id}/executions/export", u(h.exportJobExecutions))
	handle("POST /app/jobs/{job_id}/replay-failed", u(h.replayFailed))
	handle("GET /app/jobs/{job_id}/delete", u(h.showJobDelete))
	handle("POST /app/jobs/{job_id}/delete", u(h.deleteJob))
	handle("GET /app/executions/{execution_id}", u(h.showExecution))
	handle("POST /app/executions/{execution_id}/replay", u(h.replayExecution))
	handle("POST /app/executions/{execution_id}/replay/edit", u(h.replayEdited))

	// A project's flow keys: limits on how Prikke calls one destination.
	// A key never holds '/', so it is one path segment.
	handle("GET /app/projects/{project_id}/flow-keys", u(h.showFlowKeys))
	handle("POST /app/projects/{project_id}/flow-keys", u(h.createFlowKey))
	handle("GET /app/projects/{project_id}/flow-keys/{key}", u(h.showFlowKey))
	handle("GET /app/projects/{project_id}/flow-keys/{key}/events", u(h.flowKeyEvents)) // server-sent events
	handle("POST /app/projects/{project_id}/flow-keys/{key}", u(h.updateFlowKey))
	handle("POST /app/projects/{project_id}/flow-keys/{key}/pause", u(h.flowKeyAction(pauseFlowKey, false)))
	handle("POST /app/projects/{project_id}/flow-keys/{key}/resume", u(h.flowKeyAction(resumeFlowKey, false)))
	handle("POST /app/projects/{project_id}/flow-keys/{key}/release", u(h.flowKeyAction(releaseFlowKey, false)))
	handle("POST /app/projects/{project_id}/flow-keys/{key}/delete", u(h.flowKeyAction(deleteFlowKey, true)))

	// A project's workflows: versioned lists of steps, and their runs.
	handle("GET /app/projects/{project_id}/workflows", u(h.showWorkflows))
	handle("GET /app/projects/{project_id}/workflows/new", u(h.showWorkflowNew))
	handle("POST /app/projects/{project_id}/workflows", u(h.createWorkflow))
	handle("GET /app/workflows/{workflow_id}", u(h.showWorkflow))
	handle("GET /app/workflows/{workflow_id}/edit", u(h.showWorkflowEdit))
	handle("POST /app/workflows/{workflow_id}", u(h.updateWorkflow))
	handle("POST /app/workflows/{workflow_id}/runs", u(h.runWorkflow))
	handle("GET /app/workflows/{workflow_id}/delete", u(h.showWorkflowDelete))
	handle("POST /app/workflows/{workflow_id}/delete", u(h.deleteWorkflow))
	handle("GET /app/runs/{run_id}", u(h.showRun))
	handle("GET /app/runs/{run_id}/timeline", u(h.showRunTimeline)) // htmx fragment, polled while running
	handle("POST /app/runs/{run_id}/cancel", u(h.cancelRun))
	handle("POST /app/runs/{run_id}/retry", u(h.retryRun))

	// A project's monitors: heartbeats of the customer's own cron jobs.
	handle("GET /app/projects/{project_id}/monitors", u(h.showMonitors))
	handle("GET /app/projects/{project_id}/monitors/new", u(h.showMonitorNew))
	handle("POST /app/projects/{project_id}/monitors", u(h.createMonitor))
	handle("POST /app/projects/{project_id}/monitors/snooze", u(h.snoozeProject))
	handle("GET /app/monitors/{monitor_id}", u(h.showMonitor))
	handle("GET /app/monitors/{monitor_id}/events", u(h.monitorEvents)) // server-sent events
	handle("GET /app/monitors/{monitor_id}/pings/{ping_id}", u(h.showMonitorPing))
	handle("GET /app/monitors/{monitor_id}/edit", u(h.showMonitorEdit))
	handle("POST /app/monitors/{monitor_id}", u(h.updateMonitor))
	handle("POST /app/monitors/{monitor_id}/pause", u(h.pauseMonitor))
	handle("POST /app/monitors/{monitor_id}/resume", u(h.resumeMonitor))
	handle("POST /app/monitors/{monitor_id}/snooze", u(h.snoozeMonitor))
	handle("POST /app/monitors/{monitor_id}/unsnooze", u(h.unsnoozeMonitor))
	handle("GET /app/monitors/{monitor_id}/delete", u(h.showMonitorDelete))
	handle("POST /app/monitors/{monitor_id}/delete", u(h.deleteMonitor))

	// An organization: projects, members and invitations, API keys, usage,
	// billing.
	handle("GET /app/orgs/new", u(h.showOrgNew))
	handle("POST /app/orgs", u(h.createOrg))
	handle("GET /app/orgs/{org_id}", u(h.showOrg))
	handle("GET /app/orgs/{org_id}/projects", u(h.showProjects))
	handle("POST /app/orgs/{org_id}/projects", u(h.createProject))
	handle("GET /app/orgs/{org_id}/members", u(h.showMembers))
	handle("POST /app/orgs/{org_id}/members/{user_id}/role", u(h.setMemberRole))
	handle("POST /app/orgs/{org_id}/members/{user_id}/remove", u(h.removeMember))
	handle("POST /app/orgs/{org_id}/invitations", u(h.createInvitation))
	handle("POST /app/invitations/{invitation_id}/revoke", u(h.revokeInvitation))
	handle("GET /app/orgs/{org_id}/api-keys", u(h.showAPIKeys))
	handle("POST /app/orgs/{org_id}/api-keys", u(h.createAPIKey))
	handle("POST /app/api-keys/{key_id}/revoke", u(h.revokeAPIKey))
	handle("GET /app/orgs/{org_id}/usage", u(h.showUsage))
	handle("GET /app/orgs/{org_id}/billing", u(h.showBilling))
	handle("POST /app/orgs/{org_id}/billing/checkout", u(h.checkout))
	handle("POST /app/orgs/{org_id}/billing/portal", u(h.billingPortal))
	handle("POST /app/orgs/{org_id}/billing/claim", u(h.claimSubscription))

	// The signed-in user.
	handle("GET /app/account", u(h.showAccount))
	handle("POST /app/account/email", u(h.changeEmail))
	handle("POST /app/account/password", u(h.changePassword))
	handle("POST /app/account/time-zone", u(h.changeTimeZone))
	handle("POST /app/account/sessions/revoke", u(h.revokeSessions))
	handle("POST /app/account/delete", u(h.deleteAccount))
}

// redirect answers with a permanent redirect to a fixed local path.
func redirect(to string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, to, http.StatusMovedPermanently)
	}
}
