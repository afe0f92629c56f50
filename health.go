package prikke

// JobHealth is the notification state of a job or a workflow: a failure
// flips a healthy one to failing (one alert), a success flips it back.
type JobHealth string

// Health states. A new job or workflow starts healthy.
const (
	JobHealthy JobHealth = "healthy"
	JobFailing JobHealth = "failing"
)
