package redistest

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// NodeTimeout is the cluster-node-timeout of a private cluster: how long
// a master may be unreachable before the others count it failed and its
// replica takes over.
const NodeTimeout = time.Second

// Cluster is a private Redis Cluster a test starts with StartCluster, on
// free loopback ports, to kill one of its masters or force a failover
// (the shared cluster of REDIS_CLUSTER_ADDRS must not be harmed). It
// keeps nothing on disk but its nodes.conf files, and is stopped when the
// test ends.
type Cluster struct {
	tb      testing.TB
	dir     string
	nodes   []*clusterNode
	clients map[string]*redis.Client // one per node, for the helpers
}

type clusterNode struct {
	addr string
	cmd  *exec.Cmd
}

// StartCluster starts masters masters with replicas replicas each (Go's
// counterpart of scripts/redis-cluster.sh) and waits until every node
// reports cluster_state:ok. Ports are taken from 20000-22767, where they
// and their cluster bus (10000 above) stay below Linux's ephemeral range.
// Without redis-server and redis-cli the test skips loudly, or fails under
// REQUIRE_REDIS_CLUSTER=1.
func StartCluster(tb testing.TB, masters, replicas int) *Cluster {
	tb.Helper()
	server, err1 := exec.LookPath("redis-server")
	cli, err2 := exec.LookPath("redis-cli")
	if err := errors.Join(err1, err2); err != nil {
		if os.Getenv("REQUIRE_REDIS_CLUSTER") == "1" {
			tb.Fatalf("a private Redis Cluster needs redis-server and redis-cli (REQUIRE_REDIS_CLUSTER=1): %v", err)
		}
		tb.Skip("SKIPPING PRIVATE REDIS CLUSTER TEST: redis-server or redis-cli not found")
	}
	c := &Cluster{tb: tb, clients: make(map[string]*redis.Client)}
	tb.Cleanup(c.stop)
	dir := tb.TempDir()
	c.dir = dir
	port := 20000 + rand.IntN(2700)
	for len(c.nodes) < masters*(replicas+1) {
		if port++; port > 22767 {
			port = 20000
		}
		if !portsFree(port) {
			continue
		}
		nodeDir := filepath.Join(dir, strconv.Itoa(port))
		if err := os.MkdirAll(nodeDir, 0o700); err != nil {
			tb.Fatal(err)
		}
		cmd := exec.Command(server, "--bind", "127.0.0.1", "--port", strconv.Itoa(port), "--cluster-enabled", "yes",
			"--cluster-config-file", filepath.Join(nodeDir, "nodes.conf"),
			"--cluster-node-timeout", strconv.FormatInt(NodeTimeout.Milliseconds(), 10),
			"--save", "", "--appendonly", "no", "--dir", nodeDir, "--logfile", filepath.Join(nodeDir, "redis.log"))
		if err := cmd.Start(); err != nil {
			tb.Fatal(err)
		}
		c.nodes = append(c.nodes, &clusterNode{addr: "127.0.0.1:" + strconv.Itoa(port), cmd: cmd})
	}
	for _, n := range c.nodes {
		if _, err := Poll(10*time.Second, func() error { return c.node(n.addr).Ping(context.Background()).Err() }); err != nil {
			tb.Fatalf("redis-server on %s did not start: %v", n.addr, err)
		}
	}
	args := append([]string{"--cluster", "create"}, c.Addrs()...)
	args = append(args, "--cluster-replicas", strconv.Itoa(replicas), "--cluster-yes")
	if out, err := exec.Command(cli, args...).CombinedOutput(); err != nil {
		tb.Fatalf("redis-cli --cluster create: %v\n%s", err, out)
	}
	if err := c.WaitHealthy(30 * time.Second); err != nil {
		tb.Fatal(err)
	}
	return c
}

// portsFree reports whether port and its cluster bus port are free.
func portsFree(port int) bool {
	for _, p := range []int{port, port + 10000} {
		l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(p))
		if err != nil {
			return false
		}
		_ = l.Close()
	}
	return true
}

// Log returns the log of the node at addr so far, for a failure message.
func (c *Cluster) Log(addr string) string {
	_, port, _ := strings.Cut(addr, ":")
	b, err := os.ReadFile(filepath.Join(c.dir, port, "redis.log"))
	if err != nil {
		return err.Error()
	}
	return string(b)
}

// Addrs returns the address of every node started, live or not.
func (c *Cluster) Addrs() []string {
	out := make([]string, len(c.nodes))
	for i, n := range c.nodes {
		out[i] = n.addr
	}
	return out
}

// Live returns the addresses of the nodes not killed.
func (c *Cluster) Live() []string {
	var out []string
	for _, n := range c.nodes {
		if n.cmd != nil {
			out = append(out, n.addr)
		}
	}
	return out
}

// Client returns a new Cluster client with opts (Addrs are the live
// nodes), closed when the test ends; like ClusterClient's it refuses any
// command or transaction whose keys lie in more than one hash slot.
func (c *Cluster) Client(opts redis.ClusterOptions) *redis.ClusterClient {
	c.tb.Helper()
	opts.Addrs = c.Live()
	cc := redis.NewClusterClient(&opts)
	c.tb.Cleanup(func() { _ = cc.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := watchSlots(ctx, cc); err != nil {
		c.tb.Fatal(err)
	}
	return cc
}

// node returns the helpers' client of one node, without retries. The
// Cluster's methods are for the test's goroutine only.
func (c *Cluster) node(addr string) *redis.Client {
	n := c.clients[addr]
	if n == nil {
		n = redis.NewClient(&redis.Options{Addr: addr, DialTimeout: time.Second, ReadTimeout: 2 * time.Second, MaxRetries: -1, DialerRetries: 1})
		c.clients[addr] = n
	}
	return n
}

// Role is one node's place in the cluster.
type Role struct {
	Addr   string
	Master bool
	// MasterAddr is a replica's master ("" for a master).
	MasterAddr string
	// Slots are a master's slot ranges, [from, to] each.
	Slots [][2]int
}

// Roles returns each live node's role, as the first live node that
// answers CLUSTER NODES sees it.
func (c *Cluster) Roles() ([]Role, error) {
	var last error
	for _, addr := range c.Live() {
		out, err := c.node(addr).ClusterNodes(context.Background()).Result()
		if err != nil {
			last = err
			continue
		}
		return parseNodes(out, c.Live()), nil
	}
	return nil, fmt.Errorf("no live node answered CLUSTER NODES: %w", last)
}

// parseNodes reads CLUSTER NODES: "id addr@bus flags master-id ping pong
// epoch link slot...", keeping the nodes in live.
func parseNodes(out string, live []string) []Role {
	ids := map[string]string{}
	type line struct{ f []string }
	var lines []line
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 8 {
			continue
		}
		addr, _, _ := strings.Cut(f[1], "@")
		ids[f[0]] = addr
		lines = append(lines, line{f})
	}
	var roles []Role
	for _, l := range lines {
		f := l.f
		addr := ids[f[0]]
		if !slices.Contains(live, addr) {
			continue // a killed node stays listed, as failed
		}
		r := Role{Addr: addr, Master: strings.Contains(f[2], "master")}
		if !r.Master {
			r.MasterAddr = ids[f[3]]
		}
		for _, s := range f[8:] {
			if strings.HasPrefix(s, "[") {
				continue // a slot being migrated
			}
			from, to, found := strings.Cut(s, "-")
			if !found {
				to = from
			}
			a, err1 := strconv.Atoi(from)
			b, err2 := strconv.Atoi(to)
			if err1 == nil && err2 == nil {
				r.Slots = append(r.Slots, [2]int{a, b})
			}
		}
		roles = append(roles, r)
	}
	return roles
}

// MasterOf returns the live master serving slot, and a live replica of it
// ("" when it has none).
func (c *Cluster) MasterOf(slot int) (master, replica string, err error) {
	roles, err := c.Roles()
	if err != nil {
		return "", "", err
	}
	for _, r := range roles {
		for _, s := range r.Slots {
			if r.Master && s[0] <= slot && slot <= s[1] {
				master = r.Addr
			}
		}
	}
	if master == "" {
		return "", "", fmt.Errorf("no live master serves slot %d", slot)
	}
	for _, r := range roles {
		if !r.Master && r.MasterAddr == master {
			replica = r.Addr
		}
	}
	return master, replica, nil
}

// Kill kills the node at addr (SIGKILL): whatever it had not replicated is
// lost, as in a crash.
func (c *Cluster) Kill(addr string) {
	c.tb.Helper()
	for _, n := range c.nodes {
		if n.addr == addr && n.cmd != nil {
			_ = n.cmd.Process.Kill()
			_ = n.cmd.Wait()
			n.cmd = nil
			return
		}
	}
	c.tb.Fatalf("no live node %s", addr)
}

// Failover makes the replica at addr take over from its master (CLUSTER
// FAILOVER: the master stops taking writes, the replica catches up, then
// takes over; nothing acknowledged is lost).
func (c *Cluster) Failover(replica string) error {
	return c.node(replica).ClusterFailover(context.Background()).Err()
}

// Synced waits until every live replica has every write its master has
// acknowledged so far (its replication offset caught up), at most
// timeout: Redis replicates asynchronously, so only then would losing a
// master lose nothing.
func (c *Cluster) Synced(timeout time.Duration) error {
	roles, err := c.Roles()
	if err != nil {
		return err
	}
	ctx := context.Background()
	for _, r := range roles {
		if r.Master {
			continue
		}
		want, err := replOffset(ctx, c.node(r.MasterAddr), "master_repl_offset")
		if err != nil {
			return err
		}
		if _, err := Poll(timeout, func() error {
			got, err := replOffset(ctx, c.node(r.Addr), "slave_repl_offset")
			if err == nil && got < want {
				err = fmt.Errorf("replica %s at offset %d, its master %s at %d", r.Addr, got, r.MasterAddr, want)
			}
			return err
		}); err != nil {
			return err
		}
	}
	return nil
}

func replOffset(ctx context.Context, n *redis.Client, field string) (int64, error) {
	info, err := n.Info(ctx, "replication").Result()
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(info, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), field+":"); ok {
			return strconv.ParseInt(v, 10, 64)
		}
	}
	return 0, fmt.Errorf("INFO replication has no %s", field)
}

// WaitHealthy waits, at most timeout, until every live node reports
// cluster_state:ok, every slot is served by a live master and every live
// replica's link to its master is up.
func (c *Cluster) WaitHealthy(timeout time.Duration) error {
	_, err := Poll(timeout, func() error {
		for _, addr := range c.Live() {
			info, err := c.node(addr).ClusterInfo(context.Background()).Result()
			if err != nil {
				return err
			}
			if !strings.Contains(info, "cluster_state:ok") {
				return fmt.Errorf("%s: cluster_state not ok", addr)
			}
		}
		roles, err := c.Roles()
		if err != nil {
			return err
		}
		served := 0
		for _, r := range roles {
			for _, s := range r.Slots {
				if r.Master {
					served += s[1] - s[0] + 1
				}
			}
		}
		if served != Slots {
			return fmt.Errorf("live masters serve %d of %d slots", served, Slots)
		}
		for _, r := range roles {
			if r.Master {
				continue
			}
			info, err := c.node(r.Addr).Info(context.Background(), "replication").Result()
			if err != nil {
				return err
			}
			if !strings.Contains(info, "master_link_status:up") {
				return fmt.Errorf("replica %s: link to its master %s is not up", r.Addr, r.MasterAddr)
			}
		}
		return nil
	})
	return err
}

func (c *Cluster) stop() {
	for _, n := range c.clients {
		_ = n.Close()
	}
	for _, n := range c.nodes {
		if n.cmd != nil {
			_ = n.cmd.Process.Kill()
			_ = n.cmd.Wait()
			n.cmd = nil
		}
	}
}
