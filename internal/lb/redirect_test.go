package lb

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestRedirectToHTTPSKeepsHostPathAndQuery(t *testing.T) {
	for _, tc := range []struct {
		host, uri string
		port      int
		want      string
	}{
		{"127.0.0.1:8080", "/orders?id=7", 8443, "https://127.0.0.1:8443/orders?id=7"},
		{"localhost:8080", "/", 8443, "https://localhost:8443/"},
		{"[::1]:8080", "/a%20b", 8443, "https://[::1]:8443/a%20b"},
		{"api.example.com", "/x", 443, "https://api.example.com/x"},
	} {
		r := httptest.NewRequest(http.MethodPost, "http://"+tc.host+tc.uri, nil)
		w := httptest.NewRecorder()
		RedirectToHTTPS(tc.port).ServeHTTP(w, r)
		if w.Code != http.StatusMovedPermanently || w.Header().Get("Location") != tc.want {
			t.Errorf("%s%s: %d %q, want 301 %q", tc.host, tc.uri, w.Code, w.Header().Get("Location"), tc.want)
		}
	}
}
