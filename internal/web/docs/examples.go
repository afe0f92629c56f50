package docs

// The API examples of the docs, in one place so they can follow the API
// when its field names change. The field names follow internal/api's
// JobRequest (cron_expression, interval, timezone, scheduled_at).
// $PRIKKE_URL and $PRIKKE_API_KEY are shell variables the getting-started
// page asks the reader to set.
const (
	exampleCreateJob = `curl -X POST "$PRIKKE_URL/api/v1/jobs" \
  -H "Authorization: Bearer $PRIKKE_API_KEY" \
  -H "Content-Type: application/json" \
  -d '{
    "name": "hourly ping",
    "url": "https://example.com/hook",
    "interval": "hourly"
  }'`

	exampleCreateCronJob = `curl -X POST "$PRIKKE_URL/api/v1/jobs" \
  -H "Authorization: Bearer $PRIKKE_API_KEY" \
  -H "Content-Type: application/json" \
  -d '{
    "name": "morning report",
    "url": "https://example.com/reports/daily",
    "method": "POST",
    "cron_expression": "30 9 * * 1-5",
    "timezone": "Europe/Oslo"
  }'`

	exampleTriggerJob = `curl -X POST "$PRIKKE_URL/api/v1/jobs/$JOB_ID/trigger" \
  -H "Authorization: Bearer $PRIKKE_API_KEY"`

	exampleListExecutions = `curl "$PRIKKE_URL/api/v1/jobs/$JOB_ID/executions" \
  -H "Authorization: Bearer $PRIKKE_API_KEY"`

	exampleEnqueue = `curl -X POST "$PRIKKE_URL/api/v1/queue" \
  -H "Authorization: Bearer $PRIKKE_API_KEY" \
  -H "Content-Type: application/json" \
  -d '{
    "url": "https://example.com/hook",
    "method": "POST",
    "body": "{\"order\": 1042}"
  }'`

	exampleEnqueueBatch = `curl -X POST "$PRIKKE_URL/api/v1/queue/batch" \
  -H "Authorization: Bearer $PRIKKE_API_KEY" \
  -H "Content-Type: application/json" \
  -d '[
    {"url": "https://example.com/hook", "body": "{\"order\": 1042}", "idempotency_key": "order-1042"},
    {"url": "https://example.com/hook", "body": "{\"order\": 1043}", "idempotency_key": "order-1043", "delay": 60}
  ]'`

	exampleCLIKey = `prikke apikey create --email you@example.com`

	exampleRun = `make run
# or, without make:
go run ./cmd/prikke`

	exampleBuild = `make build                # builds ./bin/prikke
./bin/prikke --help
# or put prikke on your PATH:
go install ./cmd/prikke
prikke --help`

	exampleEnv = `export PRIKKE_URL=%s
export PRIKKE_API_KEY=pk_live_…   # the key you just created`
)

// The signature verification examples of /docs/webhooks. Each verifies
// webhook-signature over id.timestamp.body with the project's secret,
// accepts any of several signatures (secret rotation) and rejects
// timestamps more than five minutes away. TestVerifyExamples runs them
// against delivery.Sign.
const (
	verifyGo = `package main

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"io"
	"log"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"
)

// verify checks that r comes from Prikke and returns its body.
func verify(r *http.Request, secret string) ([]byte, error) {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil {
		return nil, errors.New("malformed secret")
	}
	id := r.Header.Get("webhook-id")
	ts := r.Header.Get("webhook-timestamp")
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return nil, errors.New("malformed timestamp")
	}
	if age := time.Since(time.Unix(sec, 0)); age > 5*time.Minute || age < -5*time.Minute {
		return nil, errors.New("timestamp too old or too new")
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		return nil, err
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(id + "." + ts + "."))
	mac.Write(body)
	want := mac.Sum(nil)
	// During a secret rotation the header holds one signature per secret.
	for _, sig := range strings.Fields(r.Header.Get("webhook-signature")) {
		version, value, _ := strings.Cut(sig, ",")
		got, err := base64.StdEncoding.DecodeString(value)
		if version == "v1" && err == nil && hmac.Equal(got, want) {
			return body, nil
		}
	}
	return nil, errors.New("no valid signature")
}

func main() {
	secret := os.Getenv("PRIKKE_WEBHOOK_SECRET") // whsec_…
	http.HandleFunc("POST /hook", func(w http.ResponseWriter, r *http.Request) {
		body, err := verify(r, secret)
		if err != nil {
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		// Every attempt of one occurrence has the same webhook-id:
		// remember the ids you have handled and skip repeats.
		log.Printf("job %s: %d bytes", r.Header.Get("Prikke-Job-Id"), len(body))
		w.WriteHeader(http.StatusNoContent)
	})
	log.Fatal(http.ListenAndServe(":8080", nil))
}
`

	verifyNode = `import { createHmac, timingSafeEqual } from "node:crypto";

// verify checks that a request comes from Prikke. body is the raw request
// body as a Buffer (before any JSON parsing); headers has lower-case names,
// as Node's req.headers does.
export function verify(secret, headers, body) {
  const key = Buffer.from(secret.replace(/^whsec_/, ""), "base64");
  const id = headers["webhook-id"] ?? "";
  const ts = headers["webhook-timestamp"] ?? "";
  const seconds = Number(ts);
  if (!/^\d+$/.test(ts) || Math.abs(Date.now() / 1000 - seconds) > 5 * 60) {
    return false; // malformed, too old or too new
  }
  const want = createHmac("sha256", key).update(id + "." + ts + ".").update(body).digest();
  // During a secret rotation the header holds one signature per secret.
  return (headers["webhook-signature"] ?? "").split(" ").some((sig) => {
    const [version, value] = sig.split(",");
    if (version !== "v1" || !value) return false;
    const got = Buffer.from(value, "base64");
    return got.length === want.length && timingSafeEqual(got, want);
  });
}

// With Express: app.post("/hook", express.raw({ type: "*/*" }), (req, res) => {
//   if (!verify(process.env.PRIKKE_WEBHOOK_SECRET, req.headers, req.body)) return res.sendStatus(401);
//   res.sendStatus(204);
// });
`

	verifyPython = `import base64
import hashlib
import hmac
import time


def verify(secret: str, headers, body: bytes) -> bool:
    """Check that a request comes from Prikke.

    body is the raw request body (bytes, before any JSON parsing);
    headers is a case-insensitive mapping such as Flask's request.headers.
    """
    key = base64.b64decode(secret.removeprefix("whsec_"))
    msg_id = headers.get("webhook-id", "")
    ts = headers.get("webhook-timestamp", "")
    if not (ts.isascii() and ts.isdigit()) or abs(time.time() - int(ts)) > 5 * 60:
        return False  # malformed, too old or too new
    signed = f"{msg_id}.{ts}.".encode() + body
    want = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    # During a secret rotation the header holds one signature per secret.
    for sig in headers.get("webhook-signature", "").split():
        version, _, value = sig.partition(",")
        if version == "v1" and hmac.compare_digest(value, want):
            return True
    return False


# With Flask:
# @app.post("/hook")
# def hook():
#     if not verify(os.environ["PRIKKE_WEBHOOK_SECRET"], request.headers, request.get_data()):
#         abort(401)
#     return "", 204
`
)

// CodeExample is one language's signature verification example.
type CodeExample struct {
	ID, Label, Code string
}

// VerifyExamples are the signature verification examples, by language, that
// the webhooks docs and a project's settings page show.
var VerifyExamples = []CodeExample{
	{"verify-go", "Go", verifyGo},
	{"verify-node", "Node.js", verifyNode},
	{"verify-python", "Python", verifyPython},
}
