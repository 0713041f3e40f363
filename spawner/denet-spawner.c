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
 * The protocol (little-endian, native sizes, over the socket on fd 0) is
 * described in src/bench/protocol.rs, which is the other end of it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

enum { SOCK = 0 };
enum { OUT_NULL = 0, OUT_PIPE = 1, OUT_INHERIT = 2, OUT_FILE = 3 };
enum { ITER_NONE = 0, ITER_RUN = 1, ITER_WARMUP = 2 };
enum { ACCEPT_ZERO = 0, ACCEPT_ANY = 1, ACCEPT_LIST = 2 };
enum { FAIL_EXEC = 0, FAIL_INPUT = 1, FAIL_OUTPUT = 2, FAIL_OTHER = 3 };

/* A batch request, decoded. Strings point into the request buffer. */
struct batch {
	uint32_t count;
	uint64_t first;
	uint8_t iter_mode, out_mode, has_input, search_path, accept_mode;
	uint32_t n_accept;
	int32_t *accept;
	char *program, *input, *output;
	char **argv; /* NULL-terminated */
	char **extra_env; /* "K=V", NULL-terminated */
};

struct done {
	double wall_s;
	int32_t code, signal;
	double user_s, system_s;
	uint64_t maxrss_bytes, minflt, majflt, nvcsw, nivcsw, inblock, oublock;
	uint64_t rchar, wchar, read_bytes, write_bytes;
	uint8_t io_ok, killed;
};

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

/* A reply: u32 length of what follows, u8 kind, payload. */
static int reply(uint8_t kind, const void *payload, uint32_t len)
{
	char buf[256];
	uint32_t total = len + 1;
	memcpy(buf, &total, 4);
	buf[4] = (char)kind;
	memcpy(buf + 5, payload, len);
	return write_all(buf, 5 + len);
}

/* CLOCK_MONOTONIC in nanoseconds: the clock of denet's `Instant`, so spawn times cross over as they are. */
static uint64_t now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

/* Cursor over a request's bytes. */
struct cur {
	char *p, *end;
	int bad;
};

static void take(struct cur *c, void *out, size_t n)
{
	if (c->bad || (size_t)(c->end - c->p) < n) {
		c->bad = 1;
		memset(out, 0, n);
		return;
	}
	memcpy(out, c->p, n);
	c->p += n;
}

/* A string: u32 length, bytes; returned NUL-terminated in place (the length field before it is spent). */
static char *take_str(struct cur *c)
{
	uint32_t n;
	take(c, &n, 4);
	if (c->bad || (size_t)(c->end - c->p) < n) {
		c->bad = 1;
		return NULL;
	}
	char *s = c->p - 1; /* shift one byte left over the length's last byte to make room for the NUL */
	memmove(s, c->p, n);
	s[n] = 0;
	c->p += n;
	return s;
}

static char **take_list(struct cur *c)
{
	uint32_t n;
	take(c, &n, 4);
	if (c->bad || n > 1u << 20)
		return c->bad = 1, NULL;
	char **v = calloc(n + 1, sizeof(char *));
	if (!v)
		return c->bad = 1, NULL;
	for (uint32_t i = 0; i < n && !c->bad; i++)
		v[i] = take_str(c);
	return v;
}

static int decode(char *buf, uint32_t len, struct batch *b)
{
	struct cur c = { buf, buf + len, 0 };
	memset(b, 0, sizeof *b);
	take(&c, &b->count, 4);
	take(&c, &b->first, 8);
	take(&c, &b->iter_mode, 1);
	take(&c, &b->out_mode, 1);
	take(&c, &b->has_input, 1);
	take(&c, &b->search_path, 1);
	take(&c, &b->accept_mode, 1);
	take(&c, &b->n_accept, 4);
	if (b->n_accept > 4096)
		return -1;
	b->accept = calloc(b->n_accept + 1, sizeof(int32_t));
	if (!b->accept)
		return -1;
	for (uint32_t i = 0; i < b->n_accept; i++)
		take(&c, &b->accept[i], 4);
	b->program = take_str(&c);
	b->input = take_str(&c);
	b->output = take_str(&c);
	b->argv = take_list(&c);
	b->extra_env = take_list(&c);
	return c.bad || !b->argv || !b->argv[0] ? -1 : 0;
}

static int accepted(const struct batch *b, const struct done *d)
{
	if (b->accept_mode == ACCEPT_ANY)
		return 1;
	if (d->signal)
		return 0;
	if (d->code == 0)
		return 1;
	for (uint32_t i = 0; b->accept_mode == ACCEPT_LIST && i < b->n_accept; i++)
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
static int overridden(const char *kv, const struct batch *b)
{
	if (b->iter_mode != ITER_NONE && (same_name(kv, "DENET_ITERATION") || same_name(kv, "HYPERFINE_ITERATION")))
		return 1;
	size_t n = name_len(kv);
	for (char **e = b->extra_env; *e; e++)
		if (name_len(*e) == n && !strncmp(*e, kv, n))
			return 1;
	return 0;
}

/* Our environment, minus what the batch overrides, plus its variables, plus two iteration slots. */
static char **build_env(const struct batch *b, char *iter_a, char *iter_b)
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
	if (b->iter_mode != ITER_NONE) {
		env[k++] = iter_a;
		env[k++] = iter_b;
	}
	return env;
}

static void set_iteration(const struct batch *b, uint64_t i, char *a, char *c)
{
	/* Decimal by hand: no stdio in this binary. */
	char digits[24];
	int n = 0;
	do {
		digits[n++] = (char)('0' + i % 10);
		i /= 10;
	} while (i);
	const char *prefix = b->iter_mode == ITER_WARMUP ? "warmup-" : "";
	char value[40];
	size_t v = strlen(prefix);
	memcpy(value, prefix, v);
	while (n)
		value[v++] = digits[--n];
	value[v] = 0;
	strcpy(a, "DENET_ITERATION=");
	strcat(a, value);
	strcpy(c, "HYPERFINE_ITERATION=");
	strcat(c, value);
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

/* /proc/PID/io of the exited, unreaped child: its counters, with those of every descendant it reaped. */
static void read_io(pid_t pid, struct done *d)
{
	char path[40], buf[512], *p;
	char pidbuf[16];
	int n = 0;
	pid_t x = pid;
	do {
		pidbuf[n++] = (char)('0' + x % 10);
		x /= 10;
	} while (x);
	strcpy(path, "/proc/");
	size_t at = strlen(path);
	while (n)
		path[at++] = pidbuf[--n];
	strcpy(path + at, "/io");
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	ssize_t r = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (r <= 0)
		return;
	buf[r] = 0;
	struct {
		const char *key;
		uint64_t *out;
	} fields[] = { { "rchar:", &d->rchar }, { "wchar:", &d->wchar }, { "read_bytes:", &d->read_bytes },
		       { "write_bytes:", &d->write_bytes } };
	int found = 0;
	for (size_t f = 0; f < 4; f++) {
		p = strstr(buf, fields[f].key);
		if (!p)
			continue;
		p += strlen(fields[f].key);
		while (*p == ' ')
			p++;
		uint64_t v = 0;
		while (*p >= '0' && *p <= '9')
			v = v * 10 + (uint64_t)(*p++ - '0');
		*fields[f].out = v;
		found++;
	}
	d->io_ok = found == 4;
}

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
		char path[64] = "/proc/self/task/", buf[65536];
		pid_t me = getpid(), x = me;
		char digits[16];
		int n = 0;
		do {
			digits[n++] = (char)('0' + x % 10);
			x /= 10;
		} while (x);
		size_t at = strlen(path);
		while (n)
			path[at++] = digits[--n];
		strcpy(path + at, "/children");
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		ssize_t r = fd >= 0 ? read(fd, buf, sizeof buf - 1) : -1;
		if (fd >= 0)
			close(fd);
		if (r > 0) {
			buf[r] = 0;
			/* Only numbers followed by a separator: one cut off by a full buffer is taken next time round. */
			for (char *p = buf; *p;) {
				while (*p == ' ' || *p == '\n')
					p++;
				long pid = 0;
				while (*p >= '0' && *p <= '9')
					pid = pid * 10 + (*p++ - '0');
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
	if (kind == 'K') {
		kill(-pid, SIGKILL);
		killed_any = 1;
		return 1;
	}
	return 0;
}

/* Wait for the run's exit (not reaping it), draining its output pipe and obeying Kill. */
static int wait_exit(pid_t pid, int pipe_fd, int *killed)
{
	int pidfd = pidfd_open_(pid);
	int pipe_open = pipe_fd >= 0;
	for (;;) {
		struct pollfd fds[3] = { { SOCK, POLLIN, 0 }, { pidfd, POLLIN, 0 }, { pipe_open ? pipe_fd : -1, POLLIN, 0 } };
		int timeout = pidfd < 0 ? 1 : -1;
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

static int fail(uint8_t kind, int err)
{
	uint8_t payload[5];
	payload[0] = kind;
	int32_t e = err;
	memcpy(payload + 1, &e, 4);
	return reply('F', payload, 5);
}

static int send_done(const struct done *d)
{
	uint8_t p[160];
	size_t at = 0;
#define PUT(x) (memcpy(p + at, &(x), sizeof(x)), at += sizeof(x))
	PUT(d->wall_s);
	PUT(d->code);
	PUT(d->signal);
	PUT(d->user_s);
	PUT(d->system_s);
	PUT(d->maxrss_bytes);
	PUT(d->minflt);
	PUT(d->majflt);
	PUT(d->nvcsw);
	PUT(d->nivcsw);
	PUT(d->inblock);
	PUT(d->oublock);
	PUT(d->rchar);
	PUT(d->wchar);
	PUT(d->read_bytes);
	PUT(d->write_bytes);
	PUT(d->io_ok);
	PUT(d->killed);
#undef PUT
	return reply('D', p, (uint32_t)at);
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

/* One run: spawn, report the pid, wait, read its I/O, reap, report. 1: stop the batch; -1: lost denet. */
static int run_once(const struct batch *b, char **env, struct done *d)
{
	int in_fd = -1;
	if (b->has_input) {
		/* Opened for each run, as a file the run reads from its start. */
		in_fd = open(b->input, O_RDONLY | O_CLOEXEC);
		if (in_fd < 0)
			return fail(FAIL_INPUT, errno) < 0 ? -1 : 1;
	}
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	posix_spawn_file_actions_init(&fa);
	posix_spawnattr_init(&at);
	sigset_t def, none;
	sigemptyset(&none);
	sigemptyset(&def);
	sigaddset(&def, SIGINT);
	sigaddset(&def, SIGTERM);
	sigaddset(&def, SIGHUP);
	sigaddset(&def, SIGQUIT);
	sigaddset(&def, SIGPIPE);
	posix_spawnattr_setsigdefault(&at, &def);
	posix_spawnattr_setsigmask(&at, &none);
	posix_spawnattr_setpgroup(&at, 0);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
	if (in_fd >= 0)
		posix_spawn_file_actions_adddup2(&fa, in_fd, 0);
	else
		posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	int pipe_fds[2] = { -1, -1 }, out_fd = -1;
	if (b->out_mode == OUT_NULL) {
		posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
		posix_spawn_file_actions_adddup2(&fa, 1, 2);
	} else if (b->out_mode == OUT_PIPE) {
		if (pipe2(pipe_fds, O_CLOEXEC) < 0) {
			int e = errno;
			if (in_fd >= 0)
				close(in_fd);
			posix_spawn_file_actions_destroy(&fa);
			posix_spawnattr_destroy(&at);
			return fail(FAIL_OTHER, e) < 0 ? -1 : 1;
		}
		posix_spawn_file_actions_adddup2(&fa, pipe_fds[1], 1);
		posix_spawn_file_actions_adddup2(&fa, pipe_fds[1], 2);
	} else if (b->out_mode == OUT_FILE) {
		out_fd = open(b->output, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
		if (out_fd < 0) {
			int e = errno;
			if (in_fd >= 0)
				close(in_fd);
			posix_spawn_file_actions_destroy(&fa);
			posix_spawnattr_destroy(&at);
			return fail(FAIL_OUTPUT, e) < 0 ? -1 : 1;
		}
		posix_spawn_file_actions_adddup2(&fa, out_fd, 1);
		posix_spawn_file_actions_adddup2(&fa, out_fd, 2);
	}
	pid_t pid;
	uint64_t start = now_ns();
	int err = b->search_path ? spawn_searching(&pid, b->argv, env, &fa, &at)
				 : spawn_path(&pid, b->program, b->argv, env, &fa, &at);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	if (pipe_fds[1] >= 0)
		close(pipe_fds[1]);
	if (out_fd >= 0)
		close(out_fd);
	if (in_fd >= 0)
		close(in_fd);
	if (err) {
		if (pipe_fds[0] >= 0)
			close(pipe_fds[0]);
		return fail(FAIL_EXEC, err) < 0 ? -1 : 1;
	}
	uint8_t spawned[12];
	uint32_t p32 = (uint32_t)pid;
	memcpy(spawned, &p32, 4);
	memcpy(spawned + 4, &start, 8);
	if (reply('S', spawned, 12) < 0) {
		/* denet is gone: leave nothing behind. */
		kill(-pid, SIGKILL);
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
		return -1;
	}
	int killed = 0;
	wait_exit(pid, pipe_fds[0], &killed);
	uint64_t end = now_ns();
	if (pipe_fds[0] >= 0)
		close(pipe_fds[0]);
	memset(d, 0, sizeof *d);
	read_io(pid, d);
	int st = 0;
	struct rusage ru;
	memset(&ru, 0, sizeof ru);
	int rc;
	while ((rc = wait4(pid, &st, 0, &ru)) < 0 && errno == EINTR)
		;
	if (rc < 0)
		return fail(FAIL_OTHER, errno) < 0 ? -1 : 1;
	/* Orphans adopted from this run are reaped so they do not linger; their usage is not this run's. */
	reap_exited();
	d->wall_s = (double)(end - start) * 1e-9;
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
	if (send_done(d) < 0)
		return -1;
	return killed || !accepted(b, d);
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
	return kind == 'K';
}

static int serve_batch(char *buf, uint32_t len)
{
	struct batch b;
	uint32_t done = 0;
	if (decode(buf, len, &b) < 0) {
		if (fail(FAIL_OTHER, EINVAL) < 0)
			return -1;
		return reply('E', &done, 4);
	}
	char iter_a[64], iter_b[64];
	char **env = build_env(&b, iter_a, iter_b);
	for (uint32_t i = 0; env && i < b.count; i++) {
		if (i > 0 && stop_requested())
			break;
		set_iteration(&b, b.first + i, iter_a, iter_b);
		struct done d;
		d.wall_s = -1;
		int rc = run_once(&b, env, &d);
		if (rc < 0)
			return -1;
		if (d.wall_s >= 0)
			done++;
		if (rc)
			break;
	}
	free(env);
	free(b.argv);
	free(b.extra_env);
	free(b.accept);
	return reply('E', &done, 4);
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
		if (len == 0 || len > (64u << 20))
			return 2;
		char *buf = malloc(len);
		if (!buf || read_all(buf, len) < 0)
			return 2;
		int rc = 0;
		if (buf[0] == 'B')
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
