package redistest

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// clusterTimeout bounds creating the cluster and waiting until every node reports it ok.
const clusterTimeout = 60 * time.Second

// Cluster is a Redis Cluster of three masters without replicas, each a Server of its own.
type Cluster struct {
	Nodes []*Server
}

// StartCluster starts three redis-server processes with cluster mode on, joins them with
// redis-cli --cluster create (16384 slots over three masters, no replicas) and waits until
// every node reports cluster_state:ok and knows the other two. The nodes stop when the test
// ends. It skips the test when redis-server or redis-cli is missing (fails it when CI=true),
// and needs Redis 7 or later for --cluster-port.
func StartCluster(t testing.TB, opts ...Option) *Cluster {
	t.Helper()
	cli, ok := lookPath(t, os.Getenv, "redis-cli")
	if !ok {
		return nil
	}
	opts = append([]Option{func(c *config) { c.cluster = true }}, opts...)
	c := &Cluster{}
	for range 3 {
		n := Start(t, opts...)
		if n == nil {
			return nil
		}
		c.Nodes = append(c.Nodes, n)
	}
	ctx, cancel := context.WithTimeout(context.Background(), clusterTimeout)
	defer cancel()
	args := append([]string{"--cluster", "create"}, c.Addrs()...)
	args = append(args, "--cluster-replicas", "0", "--cluster-yes")
	out, err := exec.CommandContext(ctx, cli, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("redistest: redis-cli --cluster create: %v\n%s", err, out)
	}
	for _, n := range c.Nodes {
		if err := waitClusterOK(ctx, n.Addr, len(c.Nodes)); err != nil {
			t.Fatalf("redistest: cluster node %s: %v", n.Addr, err)
		}
	}
	return c
}

// Addrs returns the nodes' host:port addresses.
func (c *Cluster) Addrs() []string {
	addrs := make([]string, len(c.Nodes))
	for i, n := range c.Nodes {
		addrs[i] = n.Addr
	}
	return addrs
}

// URL returns the cluster as a redis:// URL naming every node, in the form
// redis.ParseClusterURL reads.
func (c *Cluster) URL() string {
	addrs := c.Addrs()
	q := url.Values{"addr": addrs[1:]}
	return "redis://" + addrs[0] + "?" + q.Encode()
}

// Client returns a go-redis cluster client of the cluster, closed when the test ends.
func (c *Cluster) Client(t testing.TB) *redis.ClusterClient {
	t.Helper()
	cc := redis.NewClusterClient(&redis.ClusterOptions{Addrs: c.Addrs()})
	t.Cleanup(func() { _ = cc.Close() })
	return cc
}

// waitClusterOK polls CLUSTER INFO until the node serves all slots and knows every node.
func waitClusterOK(ctx context.Context, addr string, nodes int) error {
	want := []string{
		"cluster_state:ok",
		"cluster_slots_ok:16384",
		"cluster_known_nodes:" + strconv.Itoa(nodes),
	}
	var info string
	for {
		var err error
		info, err = command(addr, time.Second, "CLUSTER", "INFO")
		if err == nil && containsAll(info, want) {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("cluster not ok: %w; last CLUSTER INFO (err %v):\n%s", ctx.Err(), err, info)
		case <-time.After(pollInterval * 5):
		}
	}
}

func containsAll(s string, subs []string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}

var versionRE = regexp.MustCompile(`v=(\d+)\.`)

// requireVersion7 skips (or, with CI=true, fails) when redis-server is older than 7, which
// lacks --cluster-port; without it the cluster bus would need port+10000 free as well.
func requireVersion7(t testing.TB, bin string) {
	t.Helper()
	out, err := exec.Command(bin, "--version").Output()
	if err != nil {
		t.Fatalf("redistest: %s --version: %v", bin, err)
	}
	m := versionRE.FindSubmatch(out)
	if m == nil {
		t.Fatalf("redistest: cannot read the version in %q", out)
	}
	if major, _ := strconv.Atoi(string(m[1])); major < 7 {
		missing(t, os.Getenv, fmt.Sprintf("redis-server 7 or later needed for a cluster, found %s", strings.TrimSpace(string(out))))
	}
}
