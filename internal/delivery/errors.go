package delivery

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"net/url"
	"os"
	"strings"
	"syscall"
	"time"

	"github.com/prikke/prikke"
)

// Requests Prikke refuses to send.
var (
	errBadWebhookID = errors.New("invalid webhook id: it is required and must not contain '.', spaces or line breaks")
	errNoSecret     = errors.New("no signing secret")
	errBadSecret    = errors.New("invalid signing secret")
)

// failure turns a transport error into a status and a short message for
// the execution record. ctx is the attempt's own context: if it has ended,
// the attempt timed out (or was canceled), whatever error the read or dial
// happened to return. Messages never contain request headers or secrets,
// and the URL wrapper Go adds is removed.
func failure(err error, ctx context.Context, timeout time.Duration) (prikke.ExecutionStatus, string) {
	const failed = prikke.ExecutionStatusFailed
	var ref *refusal
	if errors.As(err, &ref) {
		return failed, ref.msg
	}
	if ctxErr := ctx.Err(); ctxErr != nil {
		if errors.Is(ctxErr, context.DeadlineExceeded) {
			return prikke.ExecutionStatusTimeout, "timed out after " + timeout.String()
		}
		return failed, "canceled"
	}
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return prikke.ExecutionStatusTimeout, "timed out after " + timeout.String()
	}
	var lookup *lookupError
	if errors.As(err, &lookup) {
		return failed, clip(lookup.Error(), 300)
	}
	if msg := tlsFailure(err); msg != "" {
		return failed, clip(msg, 300)
	}
	var errno syscall.Errno
	if errors.As(err, &errno) {
		switch errno {
		case syscall.ECONNREFUSED:
			return failed, "connection refused"
		case syscall.ECONNRESET:
			return failed, "connection reset by peer"
		case syscall.EPIPE:
			return failed, "connection closed by peer (broken pipe)"
		case syscall.ETIMEDOUT:
			return prikke.ExecutionStatusTimeout, "connection timed out"
		}
		return failed, errno.Error()
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return failed, "connection closed by peer"
	}
	return failed, clip(innermost(err).Error(), 300)
}

// tlsFailure describes TLS errors, or returns "".
func tlsFailure(err error) string {
	const verify = "TLS certificate verification failed: "
	var cve *tls.CertificateVerificationError
	if errors.As(err, &cve) {
		return verify + cve.Err.Error()
	}
	var unknown x509.UnknownAuthorityError
	if errors.As(err, &unknown) {
		return verify + unknown.Error()
	}
	var hostname x509.HostnameError
	if errors.As(err, &hostname) {
		return verify + hostname.Error()
	}
	var invalid x509.CertificateInvalidError
	if errors.As(err, &invalid) {
		return verify + invalid.Error()
	}
	var record tls.RecordHeaderError
	if errors.As(err, &record) {
		return "TLS handshake failed: the server did not answer in TLS"
	}
	var alert tls.AlertError
	if errors.As(err, &alert) {
		return "TLS handshake failed: " + alert.Error()
	}
	msg := innermost(err).Error()
	if strings.Contains(msg, "server gave HTTP response to HTTPS client") {
		return "TLS handshake failed: the server answered in plain HTTP"
	}
	if strings.HasPrefix(msg, "tls: ") {
		return "TLS handshake failed: " + strings.TrimPrefix(msg, "tls: ")
	}
	return ""
}

// innermost strips the wrappers that only add the URL, the operation and
// the addresses.
func innermost(err error) error {
	for {
		switch e := err.(type) {
		case *url.Error:
			err = e.Err
		case *net.OpError:
			err = e.Err
		case *os.SyscallError:
			err = e.Err
		default:
			return err
		}
	}
}

// requestError describes a request that could not be built.
func requestError(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		return clip("invalid URL: "+ue.Err.Error(), 300)
	}
	return clip(strings.TrimPrefix(err.Error(), "net/http: "), 300)
}
