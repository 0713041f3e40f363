// SPDX-License-Identifier: MIT OR Apache-2.0
/*
 * The tiny spawner's cgroup part (src/monitor/cgroup/mod.rs is denet's side):
 * each run in fresh groups of its own, one per hierarchy, made before the spawn
 * and joined by the child before it execs (spawn_joined: clone with CLONE_VM
 * and CLONE_VFORK, as posix_spawn does, plus the writes into cgroup.procs);
 * after the run its files are read, the processes left in it are named and
 * killed, and the groups removed. Included by denet-spawner.c only.
 */
#ifndef DENET_CGROUP_H
#define DENET_CGROUP_H

#include <dirent.h>
#include <limits.h>
#include <sched.h>
#include <sys/stat.h>

#define CG_MAX 8

/* One run's groups: a leaf per session directory, and its cgroup.procs open for the child. */
struct cg_run {
	int n;
	char leaf[CG_MAX][PATH_MAX];
	int procs[CG_MAX];
};

static uint64_t cg_seq; /* leaves are r0, r1, ...: a kept stray holds its leaf, the next run gets a new one */

static int cg_count(char **list)
{
	int n = 0;
	while (list && list[n])
		n++;
	return n;
}

/* "I:REST": the leaf index I (or -1) and REST. */
static int cg_entry(const struct cg_run *cg, const char *e, const char **rest)
{
	const char *p = e;
	uint64_t i = take_decimal(&p);
	if (*p != ':' || i >= (uint64_t)cg->n)
		return -1;
	*rest = p + 1;
	return (int)i;
}

static int cg_write(const char *dir, const char *file, const char *value, size_t len)
{
	char path[PATH_MAX + 64];
	strcpy(stpcpy(stpcpy(path, dir), "/"), file);
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t w = write(fd, value, len);
	close(fd);
	return w == (ssize_t)len ? 0 : -1;
}

static void cg_close(struct cg_run *cg)
{
	for (int i = 0; i < cg->n; i++)
		if (cg->procs[i] >= 0)
			close(cg->procs[i]), cg->procs[i] = -1;
}

/* Make the run's leaves, apply the batch's settings, open their cgroup.procs; errno on failure. */
static int cg_make(const struct denet_request *b, struct cg_run *cg)
{
	cg->n = cg_count(b->cg_dirs);
	if (cg->n > CG_MAX)
		return EINVAL;
	char name[32];
	*put_decimal(stpcpy(name, "/r"), cg_seq++) = 0;
	for (int i = 0; i < cg->n; i++) {
		cg->procs[i] = -1;
		if (strlen(b->cg_dirs[i]) + sizeof name >= PATH_MAX)
			return ENAMETOOLONG;
		strcpy(stpcpy(cg->leaf[i], b->cg_dirs[i]), name);
		if (mkdir(cg->leaf[i], 0755) < 0 && errno != EEXIST)
			return errno;
	}
	for (char **s = b->cg_sets; s && *s; s++) {
		const char *rest;
		int i = cg_entry(cg, *s, &rest);
		const char *eq = strchr(rest, '=');
		if (i < 0 || !eq)
			return EINVAL;
		char file[256];
		size_t flen = (size_t)(eq - rest) < sizeof file ? (size_t)(eq - rest) : sizeof file - 1;
		memcpy(file, rest, flen);
		file[flen] = 0;
		if (cg_write(cg->leaf[i], file, eq + 1, strlen(eq + 1)) < 0)
			return errno ? errno : EIO;
	}
	for (int i = 0; i < cg->n; i++) {
		char path[PATH_MAX + 16];
		strcpy(stpcpy(path, cg->leaf[i]), "/cgroup.procs");
		if ((cg->procs[i] = open(path, O_WRONLY | O_CLOEXEC)) < 0)
			return errno;
	}
	return 0;
}

/* A small file into buf (NUL-terminated); its length, 0 when unreadable. */
static size_t cg_read(const char *dir, const char *file, char *buf, size_t cap)
{
	char path[PATH_MAX + 64];
	strcpy(stpcpy(stpcpy(path, dir), "/"), file);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t r = fd >= 0 ? read(fd, buf, cap - 1) : -1;
	if (fd >= 0)
		close(fd);
	r = r < 0 ? 0 : r;
	buf[r] = 0;
	return (size_t)r;
}

/* The pids in the run's groups, at most cap; how many. */
static int cg_members(const struct cg_run *cg, pid_t *out, int cap)
{
	int n = 0;
	for (int i = 0; i < cg->n; i++) {
		char buf[16384];
		cg_read(cg->leaf[i], "cgroup.procs", buf, sizeof buf);
		for (const char *p = buf; *p && n < cap;) {
			pid_t pid = (pid_t)take_decimal(&p);
			int seen = 0;
			for (int k = 0; k < n; k++)
				seen |= out[k] == pid;
			if (pid > 0 && !seen)
				out[n++] = pid;
			while (*p && (*p < '0' || *p > '9'))
				p++;
		}
	}
	return n;
}

/* Kill everything in the run's groups: cgroup.kill (v2) where there is one, else SIGKILL to each member until none is left. */
static void cg_kill(const struct cg_run *cg)
{
	for (int i = 0; i < cg->n; i++)
		cg_write(cg->leaf[i], "cgroup.kill", "1", 1);
	for (int round = 0; round < 1000; round++) {
		pid_t pids[1024];
		int n = cg_members(cg, pids, 1024);
		if (!n)
			return;
		for (int k = 0; k < n; k++)
			kill(pids[k], SIGKILL);
		struct timespec t = { 0, 1000000 };
		nanosleep(&t, NULL);
	}
}

static void cg_remove(const struct cg_run *cg)
{
	for (int i = 0; i < cg->n; i++)
		for (int tries = 0; tries < 100 && rmdir(cg->leaf[i]) < 0 && errno == EBUSY; tries++) {
			/* A killed process leaves its group a moment after the signal. */
			struct timespec t = { 0, 1000000 };
			nanosleep(&t, NULL);
		}
}

/* A growing frame payload. */
struct cg_out {
	char *b;
	size_t n, cap;
};

static void cg_put(struct cg_out *o, const void *p, size_t n)
{
	if (o->n + n > o->cap) {
		size_t cap = (o->n + n) * 2;
		char *b = realloc(o->b, cap);
		if (!b)
			return;
		o->b = b, o->cap = cap;
	}
	memcpy(o->b + o->n, p, n);
	o->n += n;
}

static void cg_put_str(struct cg_out *o, const char *s, size_t n)
{
	uint32_t len = (uint32_t)n;
	cg_put(o, &len, 4);
	cg_put(o, s, n);
}

/* The strays' list: "PID COMMAND LINE" (at most 100 bytes of it) of each process still in the groups;
 * the command line, as a stray caught between fork and exec still has its parent's name. */
static void cg_put_strays(struct cg_out *o, const pid_t *pids, int n)
{
	uint32_t count = (uint32_t)n;
	cg_put(o, &count, 4);
	for (int k = 0; k < n; k++) {
		char path[48], line[128];
		char *end = put_decimal(line, (uint64_t)pids[k]);
		*end++ = ' ';
		proc_path(path, "/proc/", pids[k], "/cmdline");
		size_t len = cg_read("", path + 1, end, 101);
		for (size_t i = 0; i < len; i++)
			end[i] = end[i] ? end[i] : ' ';
		while (len && end[len - 1] == ' ')
			len--;
		if (!len) {
			/* No command line in the middle of an exec or once a zombie: the name, bracketed as ps does. */
			proc_path(path, "/proc/", pids[k], "/comm");
			end[0] = '[';
			len = 1 + cg_read("", path + 1, end + 1, 16);
			while (len > 1 && (end[len - 1] == '\n' || end[len - 1] == ' '))
				len--;
			end[len++] = ']';
		}
		cg_put_str(o, line, (size_t)(end - line) + len);
	}
}

/* After the run was reaped: read its files, name (and unless kept, kill and reap) the strays, reply 'C', remove the groups. */
static int cg_finish(const struct denet_request *b, struct cg_run *cg)
{
	struct cg_out o = { malloc(4096), 5, 4096 };
	if (!o.b)
		return -1;
	uint32_t n_reads = (uint32_t)cg_count(b->cg_reads);
	cg_put(&o, &n_reads, 4);
	for (char **r = b->cg_reads; r && *r; r++) {
		const char *file;
		int i = cg_entry(cg, *r, &file);
		char buf[4096];
		size_t len = i < 0 ? 0 : cg_read(cg->leaf[i], file, buf, sizeof buf);
		cg_put_str(&o, buf, len);
	}
	pid_t strays[256];
	int n = cg_members(cg, strays, 256);
	cg_put_strays(&o, strays, n);
	if (n && !b->head.keep_strays) {
		cg_kill(cg);
		/* They were adopted by us (subreaper): reap them. */
		for (int k = 0; k < n; k++)
			while (waitpid(strays[k], NULL, 0) < 0 && errno == EINTR)
				;
	}
	if (!n || !b->head.keep_strays)
		cg_remove(cg);
	uint32_t total = (uint32_t)o.n - 4;
	memcpy(o.b, &total, 4);
	o.b[4] = DENET_CGROUP;
	int rc = write_all(o.b, o.n);
	free(o.b);
	return rc;
}

/* What the cloned child needs (it shares our memory until it execs). */
struct cg_child {
	const struct denet_request *b;
	char **env;
	int in, out;
	const struct cg_run *cg;
	int err; /* set by the child when it could not exec */
};

static void cg_exec(struct cg_child *c, const char *path)
{
	execve(path, c->b->argv, c->env);
	if (errno != ENOEXEC)
		return;
	/* As execvp: a file without #! that the kernel refuses is run by /bin/sh. No malloc here. */
	char *sh[256];
	int n = 0;
	sh[n++] = "sh";
	sh[n++] = (char *)path;
	for (int i = 1; c->b->argv[i] && n < 255; i++)
		sh[n++] = c->b->argv[i];
	sh[n] = NULL;
	execve("/bin/sh", sh, c->env);
}

/* The child: join the run's groups, restore the signals we ignore, own process group, stdio, exec. */
static int cg_child_main(void *arg)
{
	struct cg_child *c = arg;
	for (int i = 0; i < c->cg->n; i++)
		if (write(c->cg->procs[i], "0", 1) != 1)
			goto fail;
	int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE };
	for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
		signal(sigs[i], SIG_DFL);
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	setpgid(0, 0);
	if (dup2(c->in, 0) < 0 || (c->out >= 0 && (dup2(c->out, 1) < 0 || dup2(c->out, 2) < 0)))
		goto fail;
	const char *name = c->b->argv[0];
	if (!c->b->head.search_path || strchr(name, '/')) {
		cg_exec(c, c->b->head.search_path ? name : c->b->program);
		goto fail;
	}
	int seen_eacces = 0;
	char full[4096];
	for (const char *d = path_of(c->env);; d++) {
		const char *end = strchr(d, ':');
		size_t len = end ? (size_t)(end - d) : strlen(d);
		if (len + 2 + strlen(name) < sizeof full) {
			memcpy(full, d, len);
			size_t at = len;
			if (!len)
				full[at++] = '.';
			full[at++] = '/';
			strcpy(full + at, name);
			cg_exec(c, full);
			if (errno == EACCES)
				seen_eacces = 1;
			else if (errno != ENOENT && errno != ENOTDIR && errno != ENAMETOOLONG)
				goto fail;
		}
		if (!end)
			break;
		d = end;
	}
	errno = seen_eacces ? EACCES : ENOENT;
fail:
	c->err = errno ? errno : EIO;
	_exit(127);
}

static char cg_stack[64 * 1024] __attribute__((aligned(16)));

/* Spawn the run into its groups; the errno on failure (`part` says what failed). */
static int spawn_joined(const struct denet_request *b, char **env, struct stdio *s, const struct cg_run *cg, pid_t *pid,
			uint64_t *start, uint8_t *part)
{
	*part = DENET_FAILED_EXEC;
	struct cg_child c = { b, env, -1, -1, cg, 0 };
	int err = 0, null_out = -1;
	if (b->head.has_input) {
		if ((s->in = open(b->input, O_RDONLY | O_CLOEXEC)) < 0)
			return *part = DENET_FAILED_INPUT, errno;
	} else if ((s->in = open("/dev/null", O_RDONLY | O_CLOEXEC)) < 0) {
		return *part = DENET_FAILED_OTHER, errno;
	}
	c.in = s->in;
	if (b->head.out_mode == DENET_OUT_NULL) {
		if ((null_out = open("/dev/null", O_WRONLY | O_CLOEXEC)) < 0)
			err = errno, *part = DENET_FAILED_OTHER;
		c.out = null_out;
	} else if (b->head.out_mode == DENET_OUT_PIPE) {
		int fds[2];
		if (pipe2(fds, O_CLOEXEC) < 0)
			err = errno, *part = DENET_FAILED_OTHER;
		else
			s->pipe_r = fds[0], c.out = s->pipe_w = fds[1];
	} else if (b->head.out_mode == DENET_OUT_FILE) {
		if ((c.out = s->out = open(b->output, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666)) < 0)
			err = errno, *part = DENET_FAILED_OUTPUT;
	}
	if (!err) {
		/* Signals blocked across the clone, so that no handler runs on the child's borrowed stack. */
		sigset_t all, old;
		sigfillset(&all);
		sigprocmask(SIG_SETMASK, &all, &old);
		*start = now_ns();
		*pid = clone(cg_child_main, cg_stack + sizeof cg_stack, CLONE_VM | CLONE_VFORK | SIGCHLD, &c);
		err = *pid < 0 ? errno : 0;
		sigprocmask(SIG_SETMASK, &old, NULL);
		if (!err && c.err) {
			/* It could not exec: reap it, and report why. */
			while (waitpid(*pid, NULL, 0) < 0 && errno == EINTR)
				;
			err = c.err;
		}
	}
	if (null_out >= 0)
		close(null_out);
	close_fd(&s->in);
	close_fd(&s->out);
	close_fd(&s->pipe_w);
	if (err)
		close_fd(&s->pipe_r);
	return err;
}

#endif
