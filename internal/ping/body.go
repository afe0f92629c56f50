package ping

import (
	"bytes"
	"io"
)

// readBody reads a ping's body: at most limit bytes are kept, and when
// there are more, truncated is set and up to countCap bytes more are read
// only to count them, so size is what was received (up to limit+countCap).
func readBody(r io.Reader, limit int, countCap int64) (body []byte, size int, truncated bool, err error) {
	var buf bytes.Buffer
	n, err := buf.ReadFrom(io.LimitReader(r, int64(limit)+1))
	if err != nil {
		return nil, 0, false, err
	}
	if n <= int64(limit) {
		return buf.Bytes(), int(n), false, nil
	}
	rest, err := io.Copy(io.Discard, io.LimitReader(r, countCap))
	if err != nil {
		return nil, 0, false, err
	}
	return buf.Bytes()[:limit], int(n + rest), true, nil
}
