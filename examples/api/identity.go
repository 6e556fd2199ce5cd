package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"time"
)

// identify fills the identity from the ECS task metadata endpoint v4 when it is there,
// and from the container's own hostname and addresses otherwise ("local").
func identify(ctx context.Context, c *http.Client, metadataURI string) Identity {
	host, _ := os.Hostname()
	id := Identity{
		Service:          envOr("SERVICE_NAME", envOr("BERTH_SERVICE", "api")),
		Task:             host,
		PrivateIP:        privateIP(),
		AvailabilityZone: "local",
		TaskARN:          "local",
		Revision:         envOr("REVISION", "unknown"),
	}
	if metadataURI == "" {
		return id
	}
	var task struct {
		TaskARN          string
		ServiceName      string
		AvailabilityZone string
		Containers       []struct {
			Networks []struct{ IPv4Addresses []string }
		}
	}
	if err := getJSON(ctx, c, metadataURI+"/task", &task); err != nil {
		return id // still serve; the identity says "local" for what it could not read
	}
	id.TaskARN, id.AvailabilityZone = task.TaskARN, task.AvailabilityZone
	id.Task = lastPart(task.TaskARN)
	if task.ServiceName != "" {
		id.Service = task.ServiceName
	}
	for _, ct := range task.Containers {
		for _, n := range ct.Networks {
			if len(n.IPv4Addresses) > 0 {
				id.PrivateIP = n.IPv4Addresses[0]
			}
		}
	}
	return id
}

func getJSON(ctx context.Context, c *http.Client, url string, v any) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return json.NewDecoder(resp.Body).Decode(v)
}

func privateIP() string {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return ""
	}
	for _, a := range addrs {
		if ipn, ok := a.(*net.IPNet); ok && !ipn.IP.IsLoopback() && ipn.IP.To4() != nil {
			return ipn.IP.String()
		}
	}
	return ""
}

func lastPart(arn string) string {
	for i := len(arn) - 1; i >= 0; i-- {
		if arn[i] == '/' {
			return arn[i+1:]
		}
	}
	return arn
}
