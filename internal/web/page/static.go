package page

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"
)

// staticFile is one embedded asset, read once at start.
type staticFile struct {
	data  []byte
	gz    []byte // gzip of data for text types, nil otherwise
	hash  string // first 12 hex digits of the SHA-256 of data
	ctype string
}

// Static maps a path below /static/ ("app.css", "fonts/x.woff2") to its
// file: the built assets (scripts/assets.sh writes most of them) and
// Prikke's own app.js and favicon.svg.
type Static map[string]*staticFile

// Content types by extension, set explicitly so they do not depend on the
// machine's mime.types.
var contentTypes = map[string]string{
	".css":   "text/css; charset=utf-8",
	".js":    "text/javascript; charset=utf-8",
	".svg":   "image/svg+xml",
	".woff2": "font/woff2",
	".png":   "image/png",
	".txt":   "text/plain; charset=utf-8",
	".json":  "application/json",
}

// LoadStatic reads every file of fsys (the static directory) once, with
// its hash and, for text, its gzip.
func LoadStatic(fsys fs.FS) (Static, error) {
	files := Static{}
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(data)
		f := &staticFile{data: data, hash: hex.EncodeToString(sum[:6]), ctype: contentTypes[path.Ext(p)]}
		if f.ctype == "" {
			f.ctype = "application/octet-stream"
		}
		if strings.HasPrefix(f.ctype, "text/") || f.ctype == "image/svg+xml" || f.ctype == "application/json" {
			var buf bytes.Buffer
			zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
			zw.Write(data)
			zw.Close()
			if buf.Len() < len(data) {
				f.gz = buf.Bytes()
			}
		}
		files[p] = f
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("load static files: %w", err)
	}
	for _, need := range []string{"app.css", "app.js", "htmx.min.js", "sse.min.js", "favicon.svg"} {
		if files[need] == nil {
			return nil, fmt.Errorf("static/%s is missing: run make assets", need)
		}
	}
	return files, nil
}

// URL returns the versioned URL of an asset, "/static/app.css?v=<hash>".
// Templates call it as {{asset "app.css"}}; an unknown name is an error, so
// a typo fails the page tests rather than a visitor's browser.
func (s Static) URL(name string) (string, error) {
	f := s[name]
	if f == nil {
		return "", fmt.Errorf("no static file %q", name)
	}
	return "/static/" + name + "?v=" + f.hash, nil
}

// Cache lifetimes: a URL with the current hash never changes, so browsers
// may keep it for a year; a URL without one (the fonts, which app.css names
// without a hash) for a day; a URL with an old hash must be checked again.
const (
	CacheImmutable  = "public, max-age=31536000, immutable"
	CacheDay        = "public, max-age=86400"
	CacheRevalidate = "no-cache"
)

// Bytes returns the content of the file called name, nil if there is none.
func (s Static) Bytes(name string) []byte {
	if f := s[name]; f != nil {
		return f.data
	}
	return nil
}

// Serve answers a request for the file called name (its path below
// /static/), immutable when the URL carries the file's hash. It reports
// false, having written nothing, when there is no such file.
func (s Static) Serve(w http.ResponseWriter, r *http.Request, name string) bool {
	f := s[name]
	if f == nil {
		return false
	}
	switch v := r.URL.Query().Get("v"); {
	case v == f.hash:
		w.Header().Set("Cache-Control", CacheImmutable)
	case v == "":
		w.Header().Set("Cache-Control", CacheDay)
	default:
		w.Header().Set("Cache-Control", CacheRevalidate)
	}
	serveFile(w, r, name, f)
	return true
}

// ServeFavicon answers browsers that ask for /favicon.ico without reading
// the page's <link rel="icon">.
func (s Static) ServeFavicon(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", CacheDay)
	serveFile(w, r, "favicon.svg", s["favicon.svg"])
}

func serveFile(w http.ResponseWriter, r *http.Request, name string, f *staticFile) {
	hd := w.Header()
	hd.Set("Content-Type", f.ctype)
	data, etag := f.data, `"`+f.hash+`"`
	if f.gz != nil {
		hd.Add("Vary", "Accept-Encoding")
		if acceptsGzip(r) {
			hd.Set("Content-Encoding", "gzip")
			data, etag = f.gz, `"`+f.hash+`-gz"`
		}
	}
	hd.Set("ETag", etag)
	http.ServeContent(w, r, name, time.Time{}, bytes.NewReader(data))
}

func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		enc, q, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(strings.TrimSpace(enc), "gzip") {
			return strings.ReplaceAll(q, " ", "") != "q=0"
		}
	}
	return false
}
