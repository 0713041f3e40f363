// SPDX-License-Identifier: MIT OR Apache-2.0
/*
 * denet's tiny spawner: runs a benchmark's command N times in a row, timing
 * and reaping each run, and streams the results to denet.
 *
 * Why C, static, and this small: at exec the kernel folds the high-water RSS
 * of the address space being replaced into the new program's ru_maxrss. A
 * vfork child's old address space is its parent's, so the parent's peak RSS
 * is the floor of every measured peak. This program's is about 0.3 MiB, below
 * any dynamically linked program (`true` is 1 MiB), so posix_spawn (vfork)
 * from here gives exact peaks, and vfork is what makes each run as cheap as
 * hyperfine's. Built by build.rs with `cc -static`; where that cannot be
 * built, denet forks from its own binary instead (src/bench/spawner.rs).
 *
 * The protocol, over the socket on fd 0, is defined in protocol.h; denet's
 * end of it is src/bench/protocol.rs.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/perf_event.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "protocol.h"

extern char **environ;

enum { SOCK = 0 };

static int killed_any; /* a run was killed on request: at the end, kill and reap every adopted process */

static int write_all(const void *p, size_t n)
{
	const char *c = p;
	while (n) {
		ssize_t w = write(SOCK, c, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		c += w;
		n -= (size_t)w;
	}
	return 0;
}

static int read_all(void *p, size_t n)
{
	char *c = p;
	while (n) {
		ssize_t r = read(SOCK, c, n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		c += r;
		n -= (size_t)r;
	}
	return 0;
}

static int reply(uint8_t kind, const void *payload, uint32_t len)
{
	char buf[DENET_FRAME_HEAD + sizeof(struct denet_done)];
	return write_all(buf, denet_put_frame(buf, kind, payload, len));
}

/* v in decimal at `out`, without a NUL; returns the end. By hand: no stdio in this binary. */
static char *put_decimal(char *out, uint64_t v)
{
	char digits[20];
	int n = 0;
	do {
		digits[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n)
		*out++ = digits[--n];
	return out;
}

/* The decimal number at *p (0 when none), *p moved past it. */
static uint64_t take_decimal(const char **p)
{
	uint64_t v = 0;
	for (; **p >= '0' && **p <= '9'; ++*p)
		v = v * 10 + (uint64_t)(**p - '0');
	return v;
}

/* CLOCK_MONOTONIC in nanoseconds: the clock of denet's `Instant`, so spawn times cross over as they are. */
static uint64_t now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static int accepted(const struct denet_request *b, const struct denet_done *d)
{
	if (b->head.accept_mode == DENET_ACCEPT_ANY)
		return 1;
	if (d->signal)
		return 0;
	if (d->code == 0)
		return 1;
	for (uint32_t i = 0; b->head.accept_mode == DENET_ACCEPT_LIST && i < b->head.n_accept; i++)
		if (b->accept[i] == d->code)
			return 1;
	return 0;
}

static size_t name_len(const char *kv)
{
	const char *eq = strchr(kv, '=');
	return eq ? (size_t)(eq - kv) : strlen(kv);
}

static int same_name(const char *kv, const char *name)
{
	size_t n = strlen(name);
	return name_len(kv) == n && !strncmp(kv, name, n);
}

/* Does the batch set this variable of our environment (its own variables, or the iteration counter)? */
static int overridden(const char *kv, const struct denet_request *b)
{
	if (b->head.iter_mode != DENET_ITER_NONE && (same_name(kv, "DENET_ITERATION") || same_name(kv, "HYPERFINE_ITERATION")))
		return 1;
	size_t n = name_len(kv);
	for (char **e = b->extra_env; *e; e++)
		if (name_len(*e) == n && !strncmp(*e, kv, n))
			return 1;
	return 0;
}

/* Our environment, minus what the batch overrides, plus its variables, plus two iteration slots. */
static char **build_env(const struct denet_request *b, char *iter_a, char *iter_b)
{
	size_t n = 0, extra = 0;
	while (environ[n])
		n++;
	while (b->extra_env[extra])
		extra++;
	char **env = calloc(n + extra + 3, sizeof(char *));
	if (!env)
		return NULL;
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		if (!overridden(environ[i], b))
			env[k++] = environ[i];
	for (size_t i = 0; i < extra; i++)
		env[k++] = b->extra_env[i];
	if (b->head.iter_mode != DENET_ITER_NONE) {
		env[k++] = iter_a;
		env[k++] = iter_b;
	}
	return env;
}

static void set_iteration(const struct denet_request *b, uint64_t i, char *a, char *c)
{
	char value[40];
	*put_decimal(stpcpy(value, b->head.iter_mode == DENET_ITER_WARMUP ? "warmup-" : ""), i) = 0;
	strcpy(stpcpy(a, "DENET_ITERATION="), value);
	strcpy(stpcpy(c, "HYPERFINE_ITERATION="), value);
}

static int pidfd_open_(pid_t pid)
{
#ifdef SYS_pidfd_open
	return (int)syscall(SYS_pidfd_open, pid, 0);
#else
	(void)pid;
	errno = ENOSYS;
	return -1;
#endif
}

/* "/proc/" or another head, the pid, a tail: the path of a /proc file of `pid`. */
static void proc_path(char *out, const char *head, pid_t pid, const char *tail)
{
	strcpy(put_decimal(stpcpy(out, head), (uint64_t)pid), tail);
}

/* /proc/PID/io of the exited, unreaped child: its counters, with those of every descendant it reaped. */
static void read_io(pid_t pid, struct denet_done *d)
{
	/* Each key with its line's start, so that "write_bytes" is not found inside "cancelled_write_bytes". */
	static const char *const keys[5] = { "rchar:", "\nwchar:", "\nread_bytes:", "\nwrite_bytes:",
					     "\ncancelled_write_bytes:" };
	char path[40], buf[512];
	proc_path(path, "/proc/", pid, "/io");
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	ssize_t r = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (r <= 0)
		return;
	buf[r] = 0;
	uint64_t v[5] = { 0 };
	int found = 0;
	for (size_t f = 0; f < 5; f++) {
		const char *p = strstr(buf, keys[f]);
		if (!p)
			continue;
		p += strlen(keys[f]);
		while (*p == ' ')
			p++;
		v[f] = take_decimal(&p);
		found += f < 4; /* the cancelled bytes are 0 where a kernel lacks them */
	}
	/* Members of the packed frame are assigned, never pointed to (protocol.h). */
	d->rchar = v[0];
	d->wchar = v[1];
	d->read_bytes = v[2];
	d->write_bytes = v[3];
	d->cancelled_write_bytes = v[4];
	d->io_ok = found == 4;
}

/* spawner/cgroup.h, included below */
struct cg_batch;
static void cg_kill(const struct cg_batch *cg);

/* Read and discard what the run wrote; at end of file stop polling the pipe (the caller closes it). */
static void drain(int fd, int *open_)
{
	char buf[65536];
	ssize_t r = read(fd, buf, sizeof buf);
	if (r == 0 || (r < 0 && errno != EINTR && errno != EAGAIN))
		*open_ = 0;
}

/* Kill every child we have (the killed run's adopted descendants) and reap them all. */
static void kill_and_reap_all(void)
{
	for (;;) {
		char path[64], buf[65536];
		proc_path(path, "/proc/self/task/", getpid(), "/children");
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		ssize_t r = fd >= 0 ? read(fd, buf, sizeof buf - 1) : -1;
		if (fd >= 0)
			close(fd);
		if (r > 0) {
			buf[r] = 0;
			/* Only numbers followed by a separator: one cut off by a full buffer is taken next time round. */
			for (const char *p = buf; *p;) {
				while (*p == ' ' || *p == '\n')
					p++;
				uint64_t pid = take_decimal(&p);
				if (pid > 0 && (*p == ' ' || *p == '\n'))
					kill((pid_t)pid, SIGKILL);
				if (*p && (*p < '0' || *p > '9'))
					p++;
				else if (!*p)
					break;
			}
		}
		int st;
		if (waitpid(-1, &st, 0) < 0 && errno != EINTR)
			return;
	}
}

static void reap_exited(void)
{
	int st;
	while (waitpid(-1, &st, WNOHANG) > 0)
		;
}

/* Read a request frame and keep only its kind (during a batch only Kill can come); -1 at end of file. */
static int request_kind(char *kind)
{
	uint32_t len;
	if (read_all(&len, 4) < 0)
		return -1;
	*kind = 0;
	for (uint32_t i = 0; i < len; i++) {
		char ch;
		if (read_all(&ch, 1) < 0)
			return -1;
		if (i == 0)
			*kind = ch;
	}
	return 0;
}

/* A request while a run is going: Kill (kill its group, stop the batch) or end of file (denet is gone). */
static int on_request(pid_t pid)
{
	char kind;
	if (request_kind(&kind) < 0) {
		kill(-pid, SIGKILL);
		kill_and_reap_all();
		_exit(1);
	}
	if (kind == DENET_KILL) {
		kill(-pid, SIGKILL);
		killed_any = 1;
		return 1;
	}
	return 0;
}

/* The poll timeout until `deadline` (CLOCK_MONOTONIC ns; 0: none), or -1; 1 ms steps without a pidfd. */
static int poll_timeout(int pidfd, uint64_t deadline)
{
	if (pidfd < 0)
		return 1;
	if (!deadline)
		return -1;
	uint64_t now = now_ns();
	return now >= deadline ? 0 : (int)((deadline - now + 999999) / 1000000);
}

/* Wait for the run's exit (not reaping it), draining its output pipe and obeying Kill and the
 * deadline (then the run's groups, or without them its process group, are killed: `timed_out`). */
static int wait_exit(pid_t pid, int pipe_fd, int *killed, uint64_t deadline, const struct cg_batch *cg, int *timed_out)
{
	int pidfd = pidfd_open_(pid);
	int pipe_open = pipe_fd >= 0;
	for (;;) {
		struct pollfd fds[3] = { { SOCK, POLLIN, 0 }, { pidfd, POLLIN, 0 }, { pipe_open ? pipe_fd : -1, POLLIN, 0 } };
		if (deadline && !*timed_out && now_ns() >= deadline) {
			*timed_out = 1;
			kill(-pid, SIGKILL);
			cg_kill(cg);
		}
		int timeout = poll_timeout(pidfd, *timed_out ? 0 : deadline);
		if (*timed_out && pidfd >= 0)
			timeout = -1;
		if (pidfd < 0) {
			siginfo_t si;
			si.si_pid = 0;
			if (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 && si.si_pid)
				break;
		}
		int n = poll(fds, 3, timeout);
		if (n < 0 && errno != EINTR)
			break; /* cannot happen with valid fds; wait4 below still ends the run */
		if (n <= 0)
			continue;
		if (fds[1].revents)
			break;
		if (fds[0].revents)
			*killed |= on_request(pid);
		if (fds[2].revents)
			drain(pipe_fd, &pipe_open);
	}
	if (pidfd >= 0)
		close(pidfd);
	if (pipe_open) {
		/* What the run wrote last, so that it never blocks a later run on a full pipe. */
		fcntl(pipe_fd, F_SETFL, O_NONBLOCK);
		while (pipe_open) {
			char buf[65536];
			ssize_t r = read(pipe_fd, buf, sizeof buf);
			if (r <= 0)
				break;
		}
	}
	return 0;
}

/*
 * The batch's counters for one run (protocol.h, struct denet_counter; why this
 * way: src/monitor/perf.rs). Opened on this thread, disabled until the child
 * that inherits them execs (`armed`); the hardware ones in one group, so that
 * the PMU counts them together. One that cannot be opened stays -1: its count
 * is absent. Unarmed, they are the batch's idle copies, never enabled nor
 * inherited, which keep the kernel's state for these events set up between runs.
 */
static void open_counters(const struct denet_request *b, int fds[DENET_MAX_COUNTERS], int armed)
{
	for (int i = 0; i < b->head.n_counters; i++) {
		struct denet_counter c;
		memcpy(&c, &b->counters[i], sizeof c);
		int leader = -1;
		for (int j = 0; j < i && leader < 0 && armed; j++)
			if (fds[j] >= 0 && b->counters[j].type == c.type)
				leader = fds[j];
		struct perf_event_attr a;
		memset(&a, 0, sizeof a);
		a.type = c.type;
		a.size = sizeof a;
		a.config = c.config;
		a.disabled = 1;
		a.enable_on_exec = (uint64_t)armed;
		a.inherit = (uint64_t)armed;
		a.exclude_kernel = c.user_only;
		a.exclude_hv = c.user_only;
		fds[i] = (int)syscall(SYS_perf_event_open, &a, 0, -1, leader, PERF_FLAG_FD_CLOEXEC);
	}
}

static void close_counters(int n, const int fds[DENET_MAX_COUNTERS])
{
	for (int i = 0; i < n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
}

/* Read the counters of the reaped run into the reply (copied in: a packed member is never pointed to), and close them. */
static void read_counters(int n, const int fds[DENET_MAX_COUNTERS], struct denet_done *d)
{
	d->n_counters = (uint8_t)n;
	for (int i = 0; i < n; i++) {
		uint64_t v;
		if (fds[i] >= 0 && read(fds[i], &v, sizeof v) == (ssize_t)sizeof v) {
			memcpy((char *)d + offsetof(struct denet_done, counts) + (size_t)i * sizeof v, &v, sizeof v);
			d->counted |= (uint8_t)(1u << i);
		}
	}
	close_counters(n, fds);
}

static int fail(uint8_t part, int err)
{
	struct denet_failed f = { part, err };
	return reply(DENET_FAILED, &f, sizeof f);
}

/*
 * posix_spawn, and as execvp does, a file without a #! line that the kernel
 * refuses (ENOEXEC) is run by /bin/sh.
 */
static int spawn_path(pid_t *pid, const char *path, char **argv, char **env, posix_spawn_file_actions_t *fa,
		      posix_spawnattr_t *at)
{
	int err = posix_spawn(pid, path, fa, at, argv, env);
	if (err != ENOEXEC)
		return err;
	size_t n = 0;
	while (argv[n])
		n++;
	char **sh = calloc(n + 2, sizeof(char *));
	if (!sh)
		return ENOMEM;
	sh[0] = "sh";
	sh[1] = (char *)path;
	for (size_t i = 1; i < n; i++)
		sh[i + 1] = argv[i];
	err = posix_spawn(pid, "/bin/sh", fa, at, sh, env);
	free(sh);
	return err;
}

/* The value of PATH in the run's own environment (a --env PATH=... applies to the search, as in execvp). */
static const char *path_of(char **env)
{
	for (; *env; env++)
		if (same_name(*env, "PATH"))
			return strchr(*env, '=') + 1;
	return "/usr/local/bin:/usr/bin:/bin";
}

/* execvp's search: each PATH entry in turn; a permission error is kept if nothing else is found. */
static int spawn_searching(pid_t *pid, char **argv, char **env, posix_spawn_file_actions_t *fa, posix_spawnattr_t *at)
{
	const char *name = argv[0];
	if (strchr(name, '/'))
		return spawn_path(pid, name, argv, env, fa, at);
	int seen_eacces = 0;
	const char *dirs = path_of(env);
	char full[4096];
	for (const char *d = dirs;; d++) {
		const char *end = strchr(d, ':');
		size_t len = end ? (size_t)(end - d) : strlen(d);
		if (len + 1 + strlen(name) + 1 <= sizeof full) {
			memcpy(full, d, len);
			size_t at_ = len;
			if (len == 0)
				full[at_++] = '.'; /* an empty entry is the current directory */
			full[at_++] = '/';
			strcpy(full + at_, name);
			int err = spawn_path(pid, full, argv, env, fa, at);
			if (err == 0)
				return 0;
			if (err == EACCES)
				seen_eacces = 1;
			else if (err != ENOENT && err != ENOTDIR && err != ENAMETOOLONG)
				return err;
		}
		if (!end)
			break;
		d = end;
	}
	return seen_eacces ? EACCES : ENOENT;
}

/* What the spawner holds of a run's stdio: closed after the spawn, but the pipe's read end at the run's end. */
struct stdio {
	int in, out, pipe_r, pipe_w;
};

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* Open the run's stdin and stdout/stderr into `fa`; on failure the errno, and `part` says which. */
static int open_stdio(const struct denet_request *b, struct stdio *s, posix_spawn_file_actions_t *fa, uint8_t *part)
{
	if (b->head.has_input) {
		/* Opened for each run, as a file the run reads from its start. */
		s->in = open(b->input, O_RDONLY | O_CLOEXEC);
		if (s->in < 0)
			return *part = DENET_FAILED_INPUT, errno;
		posix_spawn_file_actions_adddup2(fa, s->in, 0);
	} else {
		posix_spawn_file_actions_addopen(fa, 0, "/dev/null", O_RDONLY, 0);
	}
	int out = -1;
	if (b->head.out_mode == DENET_OUT_NULL) {
		posix_spawn_file_actions_addopen(fa, 1, "/dev/null", O_WRONLY, 0);
		posix_spawn_file_actions_adddup2(fa, 1, 2);
	} else if (b->head.out_mode == DENET_OUT_PIPE) {
		int fds[2];
		if (pipe2(fds, O_CLOEXEC) < 0)
			return *part = DENET_FAILED_OTHER, errno;
		s->pipe_r = fds[0];
		out = s->pipe_w = fds[1];
	} else if (b->head.out_mode == DENET_OUT_FILE) {
		out = s->out = open(b->output, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
		if (out < 0)
			return *part = DENET_FAILED_OUTPUT, errno;
	}
	if (out >= 0) {
		posix_spawn_file_actions_adddup2(fa, out, 1);
		posix_spawn_file_actions_adddup2(fa, out, 2);
	}
	return 0;
}

/* The run in its own process group, with the signals we ignore back to their defaults. */
static void spawn_attributes(posix_spawnattr_t *at)
{
	sigset_t def, none;
	sigemptyset(&none);
	sigemptyset(&def);
	sigaddset(&def, SIGINT);
	sigaddset(&def, SIGTERM);
	sigaddset(&def, SIGHUP);
	sigaddset(&def, SIGQUIT);
	sigaddset(&def, SIGPIPE);
	posix_spawnattr_init(at);
	posix_spawnattr_setsigdefault(at, &def);
	posix_spawnattr_setsigmask(at, &none);
	posix_spawnattr_setpgroup(at, 0);
	posix_spawnattr_setflags(at, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
}

/* Set up the run's stdio and spawn it; the errno on failure, with `part` saying what failed. */
static int spawn_run(const struct denet_request *b, char **env, struct stdio *s, pid_t *pid, uint64_t *start,
		     uint8_t *part)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	posix_spawn_file_actions_init(&fa);
	spawn_attributes(&at);
	*part = DENET_FAILED_EXEC;
	int err = open_stdio(b, s, &fa, part);
	if (!err) {
		*start = now_ns();
		err = b->head.search_path ? spawn_searching(pid, b->argv, env, &fa, &at)
					  : spawn_path(pid, b->program, b->argv, env, &fa, &at);
	}
	/* The one cleanup path: the run has its copies now, or it never started. */
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	close_fd(&s->in);
	close_fd(&s->out);
	close_fd(&s->pipe_w);
	if (err)
		close_fd(&s->pipe_r);
	return err;
}

#include "cgroup.h"

/* Read the exited run's I/O, reap it, read its counters and its groups, and report its figures. 1: could not reap it; -1: lost denet. */
static int report_done(pid_t pid, uint64_t wall_ns, int killed, int timed_out, const struct denet_request *b,
		       const int counters[DENET_MAX_COUNTERS], struct cg_batch *cg, struct denet_done *d)
{
	memset(d, 0, sizeof *d);
	read_io(pid, d);
	int st = 0, rc;
	struct rusage ru;
	memset(&ru, 0, sizeof ru);
	while ((rc = wait4(pid, &st, 0, &ru)) < 0 && errno == EINTR)
		;
	read_counters(b->head.n_counters, counters, d);
	if (rc < 0)
		return fail(DENET_FAILED_OTHER, errno) < 0 ? -1 : 1;
	if (cg->n && cg_finish(b, cg) < 0)
		return -1;
	/* Orphans adopted from this run are reaped so they do not linger; their usage is not this run's. */
	reap_exited();
	d->wall_s = (double)wall_ns * 1e-9;
	d->code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
	d->signal = WIFSIGNALED(st) ? WTERMSIG(st) : 0;
	d->user_s = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec * 1e-6;
	d->system_s = (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec * 1e-6;
	d->maxrss_bytes = (uint64_t)ru.ru_maxrss * 1024;
	d->minflt = (uint64_t)ru.ru_minflt;
	d->majflt = (uint64_t)ru.ru_majflt;
	d->nvcsw = (uint64_t)ru.ru_nvcsw;
	d->nivcsw = (uint64_t)ru.ru_nivcsw;
	d->inblock = (uint64_t)ru.ru_inblock;
	d->oublock = (uint64_t)ru.ru_oublock;
	d->killed = (uint8_t)killed;
	d->timed_out = (uint8_t)timed_out;
	if (cg->n)
		return cg_reply_done(d) < 0 ? -1 : 0;
	return reply(DENET_DONE, d, sizeof *d) < 0 ? -1 : 0;
}

/* One run: spawn, report the pid, wait, read its I/O, reap, report. 1: stop the batch; -1: lost denet. */
static int run_once(const struct denet_request *b, char **env, struct cg_batch *cg, struct denet_done *d)
{
	struct stdio s = { -1, -1, -1, -1 };
	pid_t pid;
	uint64_t start = 0;
	uint8_t part;
	int counters[DENET_MAX_COUNTERS];
	/* Before the clock starts: opening them is the spawner's cost, not the run's. */
	open_counters(b, counters, 1);
	if (cg->n)
		cg_before_run(cg);
	int err = cg->born >= 0 ? spawn_born(b, env, &s, cg, &pid, &start, &part)
				: spawn_run(b, env, &s, &pid, &start, &part);
	if (err) {
		close_counters(b->head.n_counters, counters);
		return fail(part, err) < 0 ? -1 : 1;
	}
	struct denet_spawned spawned = { (uint32_t)pid, start };
	if (reply(DENET_SPAWNED, &spawned, sizeof spawned) < 0) {
		/* denet is gone: leave nothing behind. */
		kill(-pid, SIGKILL);
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
		close_counters(b->head.n_counters, counters);
		return -1;
	}
	int killed = 0, timed_out = 0;
	uint64_t deadline = b->head.timeout_ns ? start + b->head.timeout_ns : 0;
	wait_exit(pid, s.pipe_r, &killed, deadline, cg, &timed_out);
	uint64_t end = now_ns();
	close_fd(&s.pipe_r);
	int rc = report_done(pid, end - start, killed, timed_out, b, counters, cg, d);
	return rc ? rc : killed || !accepted(b, d);
}

/* Between runs: true when denet asked to stop (Kill); exits when denet is gone. */
static int stop_requested(void)
{
	struct pollfd p = { SOCK, POLLIN, 0 };
	if (poll(&p, 1, 0) <= 0)
		return 0;
	char kind;
	if (request_kind(&kind) < 0)
		_exit(1); /* denet is gone; no run is going */
	return kind == DENET_KILL;
}

static int serve_batch(char *buf, uint32_t len)
{
	struct denet_request b;
	struct denet_end end = { 0 };
	char iter_a[64], iter_b[64];
	int ok = denet_decode_batch(buf, len, &b) == 0;
	if (!ok && fail(DENET_FAILED_OTHER, EINVAL) < 0) {
		denet_request_free(&b);
		return -1;
	}
	char **env = ok ? build_env(&b, iter_a, iter_b) : NULL;
	/*
	 * Opening a kernel software event (context switches, migrations) when
	 * none is open sets up the kernel's state for it on every CPU, and
	 * closing the last one tears it down: tens of microseconds each way.
	 * Idle copies held over the batch keep it set up between its runs.
	 */
	int idle[DENET_MAX_COUNTERS];
	int n_idle = env ? b.head.n_counters : 0;
	if (n_idle)
		open_counters(&b, idle, 0);
	/* The command's groups: a failure to make them fails the batch's first run. */
	struct cg_batch cg;
	int cg_err = env ? cg_open(&b, &cg) : 0;
	int lost = cg_err && fail(DENET_FAILED_OTHER, cg_err) < 0;
	for (uint32_t i = 0; env && !cg_err && !lost && i < b.head.count; i++) {
		if (i > 0 && stop_requested())
			break;
		set_iteration(&b, b.head.first + i, iter_a, iter_b);
		struct denet_done d;
		d.wall_s = -1;
		int rc = run_once(&b, env, &cg, &d);
		if (rc < 0) {
			lost = 1;
			break;
		}
		if (d.wall_s >= 0)
			end.runs++;
		if (rc)
			break;
	}
	if (env)
		cg_close(&cg);
	close_counters(n_idle, idle);
	free(env);
	denet_request_free(&b);
	return lost ? -1 : reply(DENET_END, &end, sizeof end);
}

int main(void)
{
	/* Ctrl-C is denet's to handle; it tells us what to kill. Children get the defaults back (SETSIGDEF). */
	signal(SIGINT, SIG_IGN);
	signal(SIGTERM, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGQUIT, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	/* An ignored SIGCHLD (inherited across exec) would make the kernel reap runs before wait4 sees them. */
	signal(SIGCHLD, SIG_DFL);
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	/* Exec'd from a memfd, our name would be its fd number. */
	prctl(PR_SET_NAME, "denet-spawner");
	for (;;) {
		uint32_t len;
		if (read_all(&len, 4) < 0)
			break;
		if (len == 0 || len > DENET_MAX_FRAME)
			return 2;
		char *buf = malloc(len);
		if (!buf || read_all(buf, len) < 0)
			return 2;
		int rc = 0;
		if (buf[0] == DENET_BATCH)
			rc = serve_batch(buf + 1, len - 1);
		/* A Kill between runs has nothing to kill. */
		free(buf);
		if (rc < 0)
			break;
	}
	if (killed_any)
		kill_and_reap_all();
	else
		reap_exited();
	return 0;
}
