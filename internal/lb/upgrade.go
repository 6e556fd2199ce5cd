package lb

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httputil"
	"sync"
)

// upgradeProxy serves the requests that switch protocols (WebSocket), which the ALB
// supports: httputil.ReverseProxy knows how to hand the connection over. They are few
// and long, so its cost per request does not matter.
func (b *Balancer) upgradeProxy() http.Handler {
	transport := &http.Transport{DialContext: b.dialer.DialContext, IdleConnTimeout: b.idleTimeout}
	return &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.Out.URL.Scheme = "http"
			pr.Out.URL.Host = "target" // replaced by the chosen target in RoundTrip
			pr.Out.Host = pr.In.Host
			pr.SetXForwarded()
			pr.Out.Header.Del("X-Forwarded-Host") // the ALB sends For, Proto and Port only
			pr.Out.Header.Set("X-Forwarded-Port", b.port)
		},
		Transport: upgradeTripper{b, transport},
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			switch {
			case errors.Is(err, errNoHealthyTarget):
				http.Error(w, "503 Service Unavailable: no healthy target", http.StatusServiceUnavailable)
			case errors.Is(err, context.Canceled):
			default:
				http.Error(w, "502 Bad Gateway", http.StatusBadGateway)
			}
		},
	}
}

var errNoHealthyTarget = errors.New("no healthy target")

type upgradeTripper struct {
	b *Balancer
	t *http.Transport
}

// RoundTrip sends the request to a healthy target, retrying on another only when no
// connection could be established.
func (u upgradeTripper) RoundTrip(req *http.Request) (*http.Response, error) {
	var tried []*target
	for {
		t := u.b.pick(tried)
		if t == nil {
			return nil, errNoHealthyTarget
		}
		tried = append(tried, t)
		req.URL.Host = t.addr
		t.inflight.Add(1)
		resp, err := u.t.RoundTrip(req)
		if err != nil {
			t.inflight.Add(-1)
			if isDialError(err) {
				continue
			}
			return nil, err
		}
		done := func() { t.inflight.Add(-1) }
		if rwc, ok := resp.Body.(io.ReadWriteCloser); ok {
			// a switched connection: ReverseProxy needs to write to it too
			resp.Body = &countedConn{ReadWriteCloser: rwc, done: done}
		} else {
			resp.Body = &countedBody{ReadCloser: resp.Body, done: done}
		}
		return resp, nil
	}
}

type countedBody struct {
	io.ReadCloser
	done func()
	once sync.Once
}

func (c *countedBody) Close() error {
	err := c.ReadCloser.Close()
	c.once.Do(c.done)
	return err
}

type countedConn struct {
	io.ReadWriteCloser
	done func()
	once sync.Once
}

func (c *countedConn) Close() error {
	err := c.ReadWriteCloser.Close()
	c.once.Do(c.done)
	return err
}
