package mail

import (
	"strings"
	"testing"
)

func TestMessageValidate(t *testing.T) {
	ok := Message{To: []string{"a@example.com"}, Subject: "s", Text: "t"}
	tests := []struct {
		name    string
		change  func(*Message)
		wantErr string // "" for valid
	}{
		{name: "minimal", change: func(*Message) {}},
		{name: "named recipient", change: func(m *Message) { m.To = []string{"Ann <a@example.com>", "b@example.com"} }},
		{name: "extra header", change: func(m *Message) { m.Headers = map[string]string{"List-Unsubscribe": "<https://prikke.example/u>"} }},
		{name: "no recipient", change: func(m *Message) { m.To = nil }, wantErr: "no recipient"},
		{name: "bad recipient", change: func(m *Message) { m.To = []string{"a@example.com\r\nBcc: x@y"} }, wantErr: "recipient"},
		{name: "empty subject", change: func(m *Message) { m.Subject = " \r\n " }, wantErr: "empty subject"},
		{name: "empty text", change: func(m *Message) { m.Text = "\n" }, wantErr: "empty text"},
		{name: "bcc header", change: func(m *Message) { m.Headers = map[string]string{"bcc": "x@y"} }, wantErr: "set by the mailer"},
		{name: "content-type header", change: func(m *Message) { m.Headers = map[string]string{"Content-Type": "text/plain"} }, wantErr: "set by the mailer"},
		{name: "header value injection", change: func(m *Message) { m.Headers = map[string]string{"X-A": "1\r\nBcc: x@y"} }, wantErr: "line break"},
		{name: "header name injection", change: func(m *Message) { m.Headers = map[string]string{"X-A: 1\r\nBcc": "x@y"} }, wantErr: "field name"},
		{name: "empty header name", change: func(m *Message) { m.Headers = map[string]string{"": "x"} }, wantErr: "field name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := ok.clone()
			tt.change(&m)
			err := m.validate()
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("validate: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("validate = %v, want error containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestSubjectLine(t *testing.T) {
	long := strings.Repeat("ø", 200)
	tests := []struct{ in, want string }{
		{"[prikke] nightly-report is failing", "[prikke] nightly-report is failing"},
		{"  Fødselsdag  ", "Fødselsdag"},
		{"a\r\nBcc: x@y", "a Bcc: x@y"},
		{"a\n\n\tb\x00c\u2028d", "a b c d"},
		{"\r\n", ""},
		{long, strings.Repeat("ø", maxSubjectRunes-1) + "…"},
	}
	for _, tt := range tests {
		if got := subjectLine(tt.in); got != tt.want {
			t.Errorf("subjectLine(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
