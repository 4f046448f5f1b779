package e2e

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// privatePG is a PostgreSQL server of the chaos run's own (initdb in a
// temporary folder, a Unix socket there, no TCP), so that pausing and
// restarting it touches nothing else on the machine.
type privatePG struct {
	t     *testing.T
	bin   string // the folder of initdb, pg_ctl, postgres
	dir   string
	data  string
	url   string // the chaos database
	owner *user.User
}

// startPrivatePG initialises and starts one; it skips without
// PostgreSQL's server programs. As root, the server runs as the postgres
// user (PostgreSQL refuses root).
func startPrivatePG(t *testing.T) *privatePG {
	t.Helper()
	matches, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	if len(matches) == 0 {
		t.Skip("PostgreSQL's server programs (initdb, pg_ctl) not found under /usr/lib/postgresql: apt-get install postgresql")
	}
	pg := &privatePG{t: t, bin: filepath.Dir(matches[len(matches)-1])}
	var err error
	pg.dir, err = os.MkdirTemp("", "ivrd-chaos-pg-")
	require.NoError(t, err)
	t.Cleanup(func() { _ = os.RemoveAll(pg.dir) })
	if os.Getuid() == 0 {
		pg.owner, err = user.Lookup("postgres")
		if err != nil {
			t.Skip("running as root without a postgres user to run the chaos run's PostgreSQL")
		}
		uid, _ := strconv.Atoi(pg.owner.Uid)
		gid, _ := strconv.Atoi(pg.owner.Gid)
		require.NoError(t, os.Chown(pg.dir, uid, gid))
	}
	pg.data = filepath.Join(pg.dir, "data")
	pg.run("initdb", "-D", pg.data, "-U", "postgres", "--auth=trust", "-E", "UTF8")
	port := freePortOn(t, "127.0.0.1") // the socket's name: no TCP listener
	opts := fmt.Sprintf("-k %s -p %d -c listen_addresses='' -c max_connections=200", pg.dir, port)
	pg.run("pg_ctl", "-D", pg.data, "-l", filepath.Join(pg.dir, "server.log"), "-o", opts, "-w", "start")
	t.Cleanup(func() { pg.ctl("-m", "immediate", "stop") })
	admin := fmt.Sprintf("postgres:///postgres?host=%s&port=%d&user=postgres", pg.dir, port)
	db, err := sql.Open("pgx", admin)
	require.NoError(t, err)
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	_, err = db.ExecContext(ctx, "CREATE DATABASE ivrd_chaos")
	require.NoError(t, err)
	pg.url = strings.Replace(admin, "/postgres?", "/ivrd_chaos?", 1)
	return pg
}

// command runs one of PostgreSQL's programs as the server's owner.
func (pg *privatePG) command(name string, args ...string) *exec.Cmd {
	path := filepath.Join(pg.bin, name)
	if pg.owner != nil {
		return exec.Command("runuser", append([]string{"-u", "postgres", "--", path}, args...)...)
	}
	return exec.Command(path, args...)
}

func (pg *privatePG) run(name string, args ...string) {
	pg.t.Helper()
	out, err := pg.command(name, args...).CombinedOutput()
	require.NoError(pg.t, err, "%s %v:\n%s", name, args, out)
}

// ctl runs pg_ctl on the data folder, reporting a failure.
func (pg *privatePG) ctl(args ...string) {
	out, err := pg.command("pg_ctl", append([]string{"-D", pg.data, "-w"}, args...)...).CombinedOutput()
	if err != nil {
		pg.t.Errorf("pg_ctl %v: %v\n%s", args, err, out)
	}
}

// restart stops the server (fast: open connections are cut) and starts
// it again with the same options.
// (-l again: without it the server would write to pg_ctl's output, and
// pg_ctl's caller would wait for that pipe for ever).
func (pg *privatePG) restart() {
	pg.ctl("-m", "fast", "-l", filepath.Join(pg.dir, "server.log"), "restart")
}

// pause stops every process of the server (SIGSTOP) for d, then lets
// them go on: a database that hangs rather than refuses.
func (pg *privatePG) pause(d time.Duration) {
	pids := pg.processes()
	for _, pid := range pids {
		_ = syscall.Kill(pid, syscall.SIGSTOP) // one that just exited has nothing to pause
	}
	time.Sleep(d) // the pause is the scenario, not a wait for anything
	for _, pid := range pids {
		_ = syscall.Kill(pid, syscall.SIGCONT)
	}
}

// processes are the postmaster (postmaster.pid's first line) and its
// children.
func (pg *privatePG) processes() []int {
	data, err := os.ReadFile(filepath.Join(pg.data, "postmaster.pid"))
	if err != nil {
		pg.t.Errorf("postmaster.pid: %v", err)
		return nil
	}
	main, err := strconv.Atoi(strings.TrimSpace(strings.SplitN(string(data), "\n", 2)[0]))
	if err != nil {
		pg.t.Errorf("postmaster.pid: %v", err)
		return nil
	}
	pids := []int{main}
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...: comm may hold spaces, so read after
		// its closing parenthesis.
		rest := string(stat[strings.LastIndexByte(string(stat), ')')+1:])
		f := strings.Fields(rest)
		if len(f) > 1 && f[1] == strconv.Itoa(main) {
			pids = append(pids, pid)
		}
	}
	return pids
}
