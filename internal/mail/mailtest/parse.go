package mailtest

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"net/textproto"
	"strings"
)

// parse reads the parts of a message that tests look at. It understands
// what mail clients and go-mail produce: a single text part or nested
// multipart parts, in 7bit, 8bit, quoted-printable or base64.
func parse(data []byte) Received {
	r := Received{Data: data}
	msg, err := mail.ReadMessage(bytes.NewReader(data))
	if err != nil {
		r.ParseErr = fmt.Errorf("read message: %w", err)
		return r
	}
	dec := new(mime.WordDecoder)
	r.Subject, err = dec.DecodeHeader(msg.Header.Get("Subject"))
	if err != nil {
		r.ParseErr = fmt.Errorf("decode subject: %w", err)
		return r
	}
	if err := walk(textproto.MIMEHeader(msg.Header), msg.Body, &r, 0); err != nil {
		r.ParseErr = err
	}
	return r
}

// walk decodes one part into r, descending into multipart parts. The first
// text/plain and text/html parts win; attachments are skipped.
func walk(h textproto.MIMEHeader, body io.Reader, r *Received, depth int) error {
	if depth > 10 {
		return errors.New("multipart nesting deeper than 10")
	}
	ctype := h.Get("Content-Type")
	if ctype == "" {
		ctype = "text/plain"
	}
	mediaType, params, err := mime.ParseMediaType(ctype)
	if err != nil {
		return fmt.Errorf("content type %q: %w", ctype, err)
	}
	if strings.HasPrefix(mediaType, "multipart/") {
		mr := multipart.NewReader(body, params["boundary"])
		for {
			// NextRawPart leaves Content-Transfer-Encoding alone, so every
			// part is decoded the same way below.
			p, err := mr.NextRawPart()
			if errors.Is(err, io.EOF) {
				return nil
			}
			if err != nil {
				return fmt.Errorf("multipart: %w", err)
			}
			if err := walk(p.Header, p, r, depth+1); err != nil {
				return err
			}
		}
	}
	if strings.HasPrefix(strings.ToLower(h.Get("Content-Disposition")), "attachment") {
		return nil
	}
	switch strings.ToLower(h.Get("Content-Transfer-Encoding")) {
	case "quoted-printable":
		body = quotedprintable.NewReader(body)
	case "base64":
		// The decoder skips the line breaks base64 bodies are wrapped with.
		body = base64.NewDecoder(base64.StdEncoding, body)
	}
	b, err := io.ReadAll(body)
	if err != nil {
		return fmt.Errorf("%s body: %w", mediaType, err)
	}
	text := strings.ReplaceAll(string(b), "\r\n", "\n")
	switch {
	case mediaType == "text/plain" && r.Text == "":
		r.Text = text
	case mediaType == "text/html" && r.HTML == "":
		r.HTML = text
	}
	return nil
}
