package store

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
)

// Open connects to the Redis that rawURL names and pings it. The forms:
//
//	redis://[user:password@]host:port[/db]                 one server
//	rediss://...                                          the same over TLS
//	redis://host1:port1,host2:port2,host3:port3           a Redis Cluster, through these nodes
//	redis://host1:port1?addr=host2:port2&addr=...         the same, as redis.ParseClusterURL reads it
//	redis://sentinel1:port?master_name=mymaster&addr=...  Sentinel: the addresses are sentinels
//
// A single address whose server runs in cluster mode (INFO cluster says cluster_enabled:1)
// gets a cluster client, so the address of any one node is enough. Query parameters set
// go-redis options (dial_timeout=3s, pool_size=20, ...). Errors never repeat the password.
// The caller closes the client.
func Open(ctx context.Context, rawURL string) (redis.UniversalClient, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // url.Error repeats the whole URL, password included
		}
		return nil, fmt.Errorf("store: opening redis: invalid URL: %w", err)
	}
	shown := u.Redacted()
	if u.Scheme != "redis" && u.Scheme != "rediss" {
		return nil, fmt.Errorf("store: opening redis %s: scheme %q, want redis or rediss", shown, u.Scheme)
	}
	q := u.Query()
	var client redis.UniversalClient
	switch {
	case q.Has("master_name"):
		opts, err := redis.ParseFailoverURL(rawURL)
		if err != nil {
			return nil, fmt.Errorf("store: opening redis %s: %w", shown, err)
		}
		client = redis.NewFailoverClient(opts)
	case strings.Contains(u.Host, ",") || q.Has("addr"):
		opts, err := clusterOptions(u)
		if err != nil {
			return nil, fmt.Errorf("store: opening redis cluster %s: %w", shown, err)
		}
		client = redis.NewClusterClient(opts)
	default:
		opts, err := redis.ParseURL(rawURL)
		if err != nil {
			return nil, fmt.Errorf("store: opening redis %s: %w", shown, err)
		}
		c := redis.NewClient(opts)
		isCluster, err := clusterEnabled(ctx, c)
		if err != nil {
			_ = c.Close()
			return nil, fmt.Errorf("store: connecting to redis at %s: %w", shown, err)
		}
		if !isCluster {
			return c, nil
		}
		_ = c.Close()
		copts, err := clusterOptions(u)
		if err != nil {
			return nil, fmt.Errorf("store: opening redis cluster %s: %w", shown, err)
		}
		client = redis.NewClusterClient(copts)
	}
	if err := client.Ping(ctx).Err(); err != nil {
		_ = client.Close()
		return nil, fmt.Errorf("store: connecting to redis at %s: %w", shown, err)
	}
	return client, nil
}

// clusterOptions reads a comma list of nodes, or a URL in redis.ParseClusterURL's form.
func clusterOptions(u *url.URL) (*redis.ClusterOptions, error) {
	if u.Path != "" && u.Path != "/" && u.Path != "/0" {
		return nil, fmt.Errorf("database %s in the URL: a cluster has only database 0", strings.TrimPrefix(u.Path, "/"))
	}
	c := *u
	c.Path = ""
	hosts := strings.Split(u.Host, ",")
	c.Host = hosts[0]
	q := c.Query()
	for _, h := range hosts[1:] {
		if h == "" {
			return nil, errors.New("empty address in the node list")
		}
		q.Add("addr", h)
	}
	c.RawQuery = q.Encode()
	opts, err := redis.ParseClusterURL(c.String())
	if err != nil {
		return nil, err
	}
	return opts, nil
}

// clusterEnabled pings the server and asks whether it runs in cluster mode. A server that
// does not know INFO sections (some proxies) is taken for a plain server.
func clusterEnabled(ctx context.Context, c *redis.Client) (bool, error) {
	if err := c.Ping(ctx).Err(); err != nil {
		return false, err
	}
	info, err := c.Info(ctx, "cluster").Result()
	if err != nil {
		return false, nil
	}
	return strings.Contains(info, "cluster_enabled:1"), nil
}

// ttlTick is how often the embedded Redis moves its TTLs on with the wall clock.
const ttlTick = time.Second

// Embedded starts an in-process Redis (miniredis) on a loopback port and returns a client
// and a stop function that closes both; stop may be called more than once. It is the
// zero-setup default for simulate, test and a first serve: data lives in memory only and is
// gone when the process ends. miniredis does not age TTLs by itself, so a goroutine that
// stop ends moves them on with the wall clock once a second.
func Embedded(ctx context.Context) (redis.UniversalClient, func(), error) {
	m := miniredis.NewMiniRedis()
	if err := m.Start(); err != nil {
		return nil, nil, fmt.Errorf("store: starting embedded redis: %w", err)
	}
	client := redis.NewClient(&redis.Options{Addr: m.Addr()})
	if err := client.Ping(ctx).Err(); err != nil {
		_ = client.Close()
		m.Close()
		return nil, nil, fmt.Errorf("store: connecting to embedded redis: %w", err)
	}
	quit := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(ttlTick)
		defer t.Stop()
		last := time.Now()
		for {
			select {
			case <-quit:
				return
			case now := <-t.C:
				m.FastForward(now.Sub(last))
				last = now
			}
		}
	})
	var once sync.Once
	stop := func() {
		once.Do(func() {
			close(quit)
			wg.Wait()
			_ = client.Close()
			m.Close()
		})
	}
	return client, stop, nil
}
