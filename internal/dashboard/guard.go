package dashboard

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net"
	"net/http"
	"strings"

	"github.com/fixproof/fixproof/internal/bearer"
)

const cookieName = "fixproof_dashboard"

// guard lets a request through with the token, or from loopback when no
// token is configured.
func (d *Dashboard) guard(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("Referrer-Policy", "no-referrer")
		if d.cfg.Token == "" {
			if !loopback(r) {
				http.Error(w, "the dashboard answers only on localhost, and not through a proxy; set dashboard.token to open it to others", http.StatusForbidden)
				return
			}
			next.ServeHTTP(w, r)
			return
		}
		if q := r.URL.Query().Get("token"); q != "" && bearer.Equal(q, d.cfg.Token) {
			http.SetCookie(w, &http.Cookie{Name: cookieName, Value: d.cookieValue(), Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil})
			u := *r.URL
			qs := u.Query()
			qs.Del("token")
			u.RawQuery = qs.Encode()
			http.Redirect(w, r, u.RequestURI(), http.StatusSeeOther)
			return
		}
		ok := bearer.Valid(r, d.cfg.Token)
		if c, err := r.Cookie(cookieName); !ok && err == nil {
			ok = d.cookieOK(c.Value)
		}
		if !ok {
			w.Header().Set("WWW-Authenticate", `Bearer realm="fixproof"`)
			http.Error(w, "give the dashboard token: Authorization: Bearer TOKEN, or open /?token=TOKEN once", http.StatusUnauthorized)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// cookieValue is what the cookie set by ?token= holds: an HMAC keyed with
// the token, never the token itself. A cookie sits in the browser's
// profile on disk and travels with every request, where a proxy may log
// it; this one opens the dashboard and nothing else, and changing the
// token voids it.
func (d *Dashboard) cookieValue() string {
	return hex.EncodeToString(d.cookieMAC())
}

func (d *Dashboard) cookieMAC() []byte {
	m := hmac.New(sha256.New, []byte(d.cfg.Token))
	m.Write([]byte("fixproof dashboard cookie v1"))
	return m.Sum(nil)
}

// cookieOK checks a cookie's value in constant time.
func (d *Dashboard) cookieOK(v string) bool {
	got, err := hex.DecodeString(v)
	return err == nil && hmac.Equal(got, d.cookieMAC())
}

// relayHeaders are the headers proxies add to what they pass on; the
// X-Forwarded- family is matched whole (see relayed).
var relayHeaders = map[string]bool{
	"forwarded": true, "via": true, "x-real-ip": true, "true-client-ip": true, "cf-connecting-ip": true,
	"x-client-ip": true, "x-cluster-client-ip": true, "fastly-client-ip": true, "x-original-forwarded-for": true,
}

// relayed reports whether a proxy passed the request on: it carries a
// forwarding header, whatever its value (an empty X-Forwarded-For line
// counts: some proxies add one, and a second line may follow it).
// Names are compared ignoring case, with "_" as "-" (as some servers and
// CGI gateways read them).
func relayed(h http.Header) bool {
	for k := range h {
		k = strings.ReplaceAll(strings.ToLower(k), "_", "-")
		if relayHeaders[k] || strings.HasPrefix(k, "x-forwarded-") {
			return true
		}
	}
	return false
}

// loopback is a request from this machine's socket that no proxy relayed:
// behind a proxy on the same machine every request comes from loopback,
// so the socket alone proves nothing.
func loopback(r *http.Request) bool {
	if relayed(r.Header) {
		return false
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return false
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
