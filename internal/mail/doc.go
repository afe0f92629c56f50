// Package mail sends Prikke's email: account mails (confirmation, password
// reset, invitations) and project notifications (a job is failing, has
// recovered or was disabled, a quota is nearly used up, a channel was turned
// off).
//
// Callers depend on the Mailer interface, which has two implementations:
//
//   - SMTP delivers through a relay. Production uses Mailjet's SMTP relay
//     (in-v3.mailjet.com, port 587, TLS "starttls") with the API key as the
//     username and the secret key as the password; any relay that speaks
//     STARTTLS or implicit TLS and AUTH PLAIN or LOGIN works the same way.
//   - Mailbox keeps the last messages in memory. It is what a development
//     server uses when no SMTP relay is configured, so that sign-up and
//     alert flows work on a laptop; the dashboard shows it at /dev/mailbox.
//
// The content of every mail comes from templates embedded in the binary:
// Render turns a typed data struct (ConfirmAccount, JobFailing, Quota, ...)
// into a subject, a plain-text body and an HTML body, and NewMessage wraps
// that into a Message. The HTML is self-contained (inline CSS, no images, no
// web fonts, no links except the ones passed in the data, which point at
// Prikke itself) because mail clients block or mangle everything else, and
// because a mail that loads remote content tells a third party when it was
// read.
//
// User data ends up in every mail: job names, error texts, organization
// names. It is escaped in the HTML body, subjects are cut to one line and
// header values with line breaks are refused, so a job named
// "x\r\nBcc: y" cannot add a header.
//
// The mailtest subpackage runs a real SMTP server in-process for tests.
package mail
