package parse

import (
	"fmt"
	"net"
	"net/url"
	"path"
	"strings"

	"github.com/feedd/feedd/feed/text"
	"golang.org/x/net/idna"
)

// absoluteHTTP resolves s against base and insists on an http(s) URL. The
// result is normalized: the host in lower-case ASCII (IDNA: "例え.jp" is
// "xn--r8jz45g.jp"), and characters a URL may not hold (spaces, quotes,
// "<", ">", non-ASCII) percent-encoded in the path, query and fragment.
func absoluteHTTP(base *url.URL, s string) (*url.URL, error) {
	u, err := url.Parse(s)
	if err != nil || (strings.HasPrefix(s, "//") && u.Host == "") {
		return nil, fmt.Errorf("not a URL: %q", s)
	}
	if !u.IsAbs() && base != nil {
		u = base.ResolveReference(u)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
		return nil, fmt.Errorf("not an absolute http(s) URL: %q", s)
	}
	if u.Host, err = ASCIIHost(u.Host); err != nil {
		return nil, fmt.Errorf("%q: %v", s, err)
	}
	u.RawQuery = escapeURLPart(u.RawQuery)
	if u.Fragment != "" {
		u.RawFragment = escapeURLPart(u.EscapedFragment())
	}
	return url.Parse(u.String()) // the parts now agree; the parse cannot fail
}

// ASCIIHost writes a host (and port) in lower-case ASCII, by IDNA
// ("例え.jp" is "xn--r8jz45g.jp"); an IP address stays as it is.
func ASCIIHost(hostport string) (string, error) {
	host, port := hostport, ""
	if h, p, err := net.SplitHostPort(hostport); err == nil {
		host, port = h, p
	}
	if host == "" {
		return "", fmt.Errorf("no host name")
	}
	ascii, err := idna.Lookup.ToASCII(host)
	if err != nil {
		if strings.HasPrefix(host, "[") || net.ParseIP(host) != nil {
			return strings.ToLower(hostport), nil // an IP address
		}
		return "", fmt.Errorf("host %q: %v", host, err)
	}
	if port != "" {
		return net.JoinHostPort(ascii, port), nil
	}
	return ascii, nil
}

// escapeURLPart percent-encodes the bytes RFC 3986 does not allow in a
// query or fragment, leaving existing escapes alone.
func escapeURLPart(s string) string {
	const allowed = "-._~!$&'()*+,;=:@/?%"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte(allowed, c) >= 0 && c != 0 {
			b.WriteByte(c)
			continue
		}
		fmt.Fprintf(&b, "%%%02X", c)
	}
	return b.String()
}

// pathUnder is the URL of a post's file path, without its extension,
// under base.
func pathUnder(base *url.URL, relPath string) string {
	b := "http://localhost"
	if base != nil {
		b = strings.TrimSuffix(base.String(), "/")
	}
	return b + "/" + text.EscapePath(withoutExt(relPath))
}

// imageTypes maps image file extensions to MIME types. A fixed table, not
// the system's, so every replica writes the same bytes.
var imageTypes = map[string]string{
	".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png",
	".gif": "image/gif", ".webp": "image/webp", ".avif": "image/avif",
	".svg": "image/svg+xml", ".bmp": "image/bmp", ".tif": "image/tiff",
	".tiff": "image/tiff", ".ico": "image/x-icon",
}

// imageType guesses an image's MIME type from its URL path; news images
// without an extension are most often JPEG.
func imageType(p string) string {
	if t, ok := imageTypes[strings.ToLower(path.Ext(p))]; ok {
		return t
	}
	return "image/jpeg"
}
