package redistest

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/redis/go-redis/v9"
)

// Slots is the number of Redis Cluster hash slots.
const Slots = 16384

// Slot returns the Redis Cluster hash slot of key: CRC16 (XMODEM) of its
// hash tag (the text between the first '{' and the next '}', when not
// empty) or of the whole key, modulo 16384.
func Slot(key string) int {
	if i := strings.IndexByte(key, '{'); i >= 0 {
		if j := strings.IndexByte(key[i+1:], '}'); j > 0 {
			key = key[i+1 : i+1+j]
		}
	}
	var crc uint16
	for k := 0; k < len(key); k++ {
		crc ^= uint16(key[k]) << 8
		for range 8 {
			if crc&0x8000 != 0 {
				crc = crc<<1 ^ 0x1021
			} else {
				crc <<= 1
			}
		}
	}
	return int(crc) % Slots
}

// crossSlots counts the commands and transactions the slot check refused,
// for every client it watches.
var crossSlots atomic.Int64

// CrossSlotCount returns how many commands or transactions touching keys of
// several hash slots the clients from ClusterClient and NewClusterClient
// have refused so far.
func CrossSlotCount() int64 { return crossSlots.Load() }

// slotCheck is a hook that refuses, before it leaves the process, every
// command whose keys lie in more than one hash slot, and every MULTI/EXEC
// transaction whose commands do. go-redis and the cluster refuse them too
// (CROSSSLOT); the check also counts them, so that a test fails even where
// the store under test swallowed the error (a best-effort step, say).
type slotCheck struct {
	info map[string]*redis.CommandInfo
}

// watchSlots installs the slot check on c, with the command table read
// from the cluster.
func watchSlots(ctx context.Context, c *redis.ClusterClient) error {
	info, err := commandInfo(ctx, c)
	if err != nil {
		return err
	}
	c.AddHook(slotCheck{info: info})
	return nil
}

var (
	infoMu     sync.Mutex
	infoCached map[string]*redis.CommandInfo
)

func commandInfo(ctx context.Context, c *redis.ClusterClient) (map[string]*redis.CommandInfo, error) {
	infoMu.Lock()
	defer infoMu.Unlock()
	if infoCached != nil {
		return infoCached, nil
	}
	info, err := c.Command(ctx).Result()
	if err != nil {
		return nil, fmt.Errorf("redistest: reading the command table: %w", err)
	}
	infoCached = info
	return info, nil
}

func (h slotCheck) DialHook(next redis.DialHook) redis.DialHook { return next }

func (h slotCheck) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		if err := h.check([]redis.Cmder{cmd}); err != nil {
			cmd.SetErr(err)
			return err
		}
		return next(ctx, cmd)
	}
}

func (h slotCheck) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		if len(cmds) > 0 && cmds[0].Name() == "multi" {
			// A transaction: all of it in one slot.
			if err := h.check(cmds); err != nil {
				for _, c := range cmds {
					c.SetErr(err)
				}
				return err
			}
			return next(ctx, cmds)
		}
		for _, c := range cmds {
			if err := h.check([]redis.Cmder{c}); err != nil {
				for _, c := range cmds {
					c.SetErr(err)
				}
				return err
			}
		}
		return next(ctx, cmds)
	}
}

// check fails when the keys of cmds lie in more than one slot.
func (h slotCheck) check(cmds []redis.Cmder) error {
	slot, first := -1, ""
	for _, cmd := range cmds {
		for _, k := range h.keys(cmd) {
			s := Slot(k)
			if slot < 0 {
				slot, first = s, k
				continue
			}
			if s != slot {
				crossSlots.Add(1)
				return fmt.Errorf("redistest: CROSSSLOT: %q (slot %d) and %q (slot %d) in one %s", first, slot, k, s, what(cmds))
			}
		}
	}
	return nil
}

func what(cmds []redis.Cmder) string {
	if len(cmds) > 1 {
		return "MULTI/EXEC transaction"
	}
	return strings.ToUpper(cmds[0].Name()) + " command"
}

// keys returns the key arguments of cmd, from the server's command table
// (first key, last key, step), and for scripts and functions from their
// numkeys argument.
func (h slotCheck) keys(cmd redis.Cmder) []string {
	args := cmd.Args()
	name := strings.ToLower(cmd.Name())
	switch name {
	case "eval", "evalsha", "eval_ro", "evalsha_ro", "fcall", "fcall_ro":
		if len(args) < 3 {
			return nil
		}
		n, err := strconv.Atoi(fmt.Sprint(args[2]))
		if err != nil || n < 0 || 3+n > len(args) {
			return nil
		}
		return strs(args[3 : 3+n])
	}
	info := h.info[name]
	if info == nil || info.FirstKeyPos <= 0 {
		return nil
	}
	first, last, step := int(info.FirstKeyPos), int(info.LastKeyPos), int(info.StepCount)
	if last < 0 {
		last = len(args) + last
	}
	if step <= 0 {
		step = 1
	}
	var out []string
	for i := first; i <= last && i < len(args); i += step {
		out = append(out, fmt.Sprint(args[i]))
	}
	return out
}

func strs(args []any) []string {
	out := make([]string, len(args))
	for i, a := range args {
		out[i] = fmt.Sprint(a)
	}
	return out
}
