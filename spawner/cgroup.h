// SPDX-License-Identifier: MIT OR Apache-2.0
/*
 * The tiny spawner's cgroup part (src/monitor/cgroup/mod.rs is denet's side;
 * docs/cgroups.md says why it is done this way). No run migrates: a
 * migration waits for an RCU grace period, 0.5 to 17 ms here.
 * - cgroup v2: each command has a leaf of its own in the session directory,
 *   reused by its runs; every run is born in it (clone3 with CLONE_VM,
 *   CLONE_VFORK and CLONE_INTO_CGROUP, as posix_spawn but into a cgroup).
 *   Its counters are cumulative: denet takes each run's difference.
 * - cgroup v1 hierarchies (no clone flag exists): denet put this process in
 *   the session's group once, at its start; the runs inherit it. Files with
 *   a reset value (the memory high-water mark) are reset before each run.
 * After each run its files are read, the processes left in its group are
 * named and killed (or moved to `kept`). Included by denet-spawner.c only.
 */
#ifndef DENET_CGROUP_H
#define DENET_CGROUP_H

#include <dirent.h>
#include <limits.h>
#include <sched.h>
#include <sys/stat.h>

#define CG_MAX 8
#define CG_READS 16
#define CG_PIDS 1024

/* A batch's groups: the session directories, the command's v2 leaf, the files read around each run. */
struct cg_batch {
	int n; /* directories; 0: no cgroups */
	char **dirs;
	int born; /* the directory whose leaf the runs are born in (v2), or -1 */
	char leaf[PATH_MAX];
	int leaf_fd; /* the leaf, for CLONE_INTO_CGROUP */
	int procs_fd; /* the leaf's cgroup.procs, for a child that must join it (clone3 refused) */
	int members_fd; /* the leaf's cgroup.procs, read after each run */
	int n_reads;
	int fd[CG_READS]; /* each file read after a run, open over the batch (-1: absent) */
	const char *reset[CG_READS]; /* written before each run (NULL: none) */
	char base[CG_READS][64]; /* each reset file as read just after its reset, this run */
	size_t base_len[CG_READS];
	pid_t before[CG_PIDS]; /* without a leaf: the groups' members before the run, none of them the run's */
	int n_before;
};

static int cg_no_clone3; /* clone3 was refused once (an older kernel): the child joins by writing cgroup.procs */
static pid_t cg_self; /* our pid, never a stray (we are in the v1 groups) */

static int cg_count(char **list)
{
	int n = 0;
	while (list && list[n])
		n++;
	return n;
}

/* "I:REST": the directory index I (or -1) and REST. */
static int cg_entry(int n, const char *e, const char **rest)
{
	const char *p = e;
	uint64_t i = take_decimal(&p);
	if (*p != ':' || i >= (uint64_t)n)
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

/* Directory i's group: the command's leaf, or the session's directory itself. */
static const char *cg_dir(const struct cg_batch *cg, int i)
{
	return i == cg->born ? cg->leaf : cg->dirs[i];
}

/* Make the command's leaf (if new) and apply the batch's settings to it; errno on failure. */
static int cg_make_leaf(const struct denet_request *b, struct cg_batch *cg)
{
	if (strlen(cg->dirs[cg->born]) + strlen(b->cg_leaf) + 2 >= PATH_MAX)
		return ENAMETOOLONG;
	strcpy(stpcpy(stpcpy(cg->leaf, cg->dirs[cg->born]), "/"), b->cg_leaf);
	if (mkdir(cg->leaf, 0755) < 0 && errno != EEXIST)
		return errno;
	for (char **s = b->cg_sets; s && *s; s++) {
		const char *rest;
		int i = cg_entry(cg->n, *s, &rest);
		const char *eq = strchr(rest, '=');
		if (i < 0 || !eq)
			return EINVAL;
		if (i != cg->born)
			continue; /* a v1 group's settings were made by denet, once */
		char file[256];
		size_t flen = (size_t)(eq - rest) < sizeof file ? (size_t)(eq - rest) : sizeof file - 1;
		memcpy(file, rest, flen);
		file[flen] = 0;
		if (cg_write(cg->leaf, file, eq + 1, strlen(eq + 1)) < 0)
			return errno ? errno : EIO;
	}
	char procs[PATH_MAX + 16];
	strcpy(stpcpy(procs, cg->leaf), "/cgroup.procs");
	if ((cg->members_fd = open(procs, O_RDONLY | O_CLOEXEC)) < 0)
		return errno;
	cg->leaf_fd = open(cg->leaf, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return cg->leaf_fd < 0 ? errno : 0;
}

/* Open the batch's files: "I:FILE" is read after each run, "I:FILE=RESET" also reset before it. */
static int cg_open_reads(const struct denet_request *b, struct cg_batch *cg)
{
	for (char **r = b->cg_reads; r && *r; r++) {
		if (cg->n_reads == CG_READS)
			return EINVAL;
		const char *file;
		int i = cg_entry(cg->n, *r, &file);
		if (i < 0)
			return EINVAL;
		char *eq = strchr(file, '=');
		int k = cg->n_reads++;
		if (eq)
			*eq = 0; /* the entry lives in the request's buffer */
		cg->reset[k] = eq ? eq + 1 : NULL;
		char path[PATH_MAX + 64];
		strcpy(stpcpy(stpcpy(path, cg_dir(cg, i)), "/"), file);
		cg->fd[k] = open(path, (eq ? O_RDWR : O_RDONLY) | O_CLOEXEC);
	}
	return 0;
}

/* The batch's groups, ready for its runs; errno on failure. */
static int cg_open(const struct denet_request *b, struct cg_batch *cg)
{
	memset(cg, 0, offsetof(struct cg_batch, base));
	cg->leaf_fd = cg->procs_fd = cg->members_fd = -1;
	cg_self = getpid();
	cg->dirs = b->cg_dirs;
	cg->n = cg_count(b->cg_dirs);
	cg->born = b->head.cg_born > 0 && b->head.cg_born <= cg->n ? b->head.cg_born - 1 : -1;
	if (cg->n > CG_MAX)
		return EINVAL;
	if (!cg->n)
		return 0;
	int err = cg->born >= 0 ? cg_make_leaf(b, cg) : 0;
	return err ? err : cg_open_reads(b, cg);
}

static void cg_close(struct cg_batch *cg)
{
	for (int k = 0; k < cg->n_reads; k++)
		if (cg->fd[k] >= 0)
			close(cg->fd[k]);
	if (cg->leaf_fd >= 0)
		close(cg->leaf_fd);
	if (cg->procs_fd >= 0)
		close(cg->procs_fd);
	if (cg->members_fd >= 0)
		close(cg->members_fd);
	cg->n_reads = 0;
	cg->leaf_fd = cg->procs_fd = cg->members_fd = -1;
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

/* An open cgroup file from its start (kernfs regenerates it at offset 0). */
static size_t cg_pread(int fd, char *buf, size_t cap)
{
	ssize_t r = fd >= 0 ? pread(fd, buf, cap - 1, 0) : -1;
	r = r < 0 ? 0 : r;
	buf[r] = 0;
	return (size_t)r;
}

static int cg_has(const pid_t *pids, int n, pid_t pid)
{
	for (int k = 0; k < n; k++)
		if (pids[k] == pid)
			return 1;
	return 0;
}

/* Add the pids in buf (a cgroup.procs) to out (n so far, at most cap), but ours and those in skip; the new n. */
static int cg_pids(const char *buf, pid_t *out, int n, int cap, const pid_t *skip, int n_skip)
{
	for (const char *p = buf; *p && n < cap;) {
		pid_t pid = (pid_t)take_decimal(&p);
		if (pid > 0 && pid != cg_self && !cg_has(out, n, pid) && !cg_has(skip, n_skip, pid))
			out[n++] = pid;
		while (*p && (*p < '0' || *p > '9'))
			p++;
	}
	return n;
}

static int cg_procs(const char *dir, pid_t *out, int n, int cap, const pid_t *skip, int n_skip)
{
	char buf[16384];
	cg_read(dir, "cgroup.procs", buf, sizeof buf);
	return cg_pids(buf, out, n, cap, skip, n_skip);
}

/* The run's processes: its leaf's members, or without one those that joined the groups since the run began. */
static int cg_members(const struct cg_batch *cg, pid_t *out, int cap)
{
	if (cg->born >= 0) {
		char buf[16384];
		cg_pread(cg->members_fd, buf, sizeof buf);
		return cg_pids(buf, out, 0, cap, NULL, 0);
	}
	int n = 0;
	for (int i = 0; i < cg->n; i++)
		n = cg_procs(cg->dirs[i], out, n, cap, cg->before, cg->n_before);
	return n;
}

/* Before the spawn: reset the files that have a reset value and read them back; note who is there already. */
static void cg_before_run(struct cg_batch *cg)
{
	for (int k = 0; k < cg->n_reads; k++) {
		cg->base_len[k] = 0;
		cg->base[k][0] = 0;
		if (!cg->reset[k] || cg->fd[k] < 0)
			continue;
		size_t len = strlen(cg->reset[k]);
		if (pwrite(cg->fd[k], cg->reset[k], len, 0) != (ssize_t)len) {
			/* Cannot be reset (v2 memory.peak before Linux 6.12): the run's figure is absent, not a wrong one. */
			close(cg->fd[k]);
			cg->fd[k] = -1;
			continue;
		}
		cg->base_len[k] = cg_pread(cg->fd[k], cg->base[k], sizeof cg->base[k]);
	}
	cg->n_before = 0;
	for (int i = 0; cg->born < 0 && i < cg->n; i++)
		cg->n_before = cg_procs(cg->dirs[i], cg->before, cg->n_before, CG_PIDS, NULL, 0);
}

/*
 * Kill the run's processes: SIGKILL to each member until none is left (a member may fork
 * meanwhile). One by one rather than by cgroup.kill: after a cgroup.kill, Linux 6.18 refused
 * later clone3 calls into the same leaf.
 */
static void cg_kill(const struct cg_batch *cg)
{
	for (int round = 0; round < 1000; round++) {
		pid_t pids[CG_PIDS];
		int n = cg_members(cg, pids, CG_PIDS);
		if (!n)
			return;
		for (int k = 0; k < n; k++)
			kill(pids[k], SIGKILL);
		struct timespec t = { 0, 1000000 };
		nanosleep(&t, NULL);
	}
}

/* --keep-strays: move them to the session's `kept` group in each hierarchy, out of the next run's counters. */
static void cg_keep(const struct cg_batch *cg, const pid_t *pids, int n)
{
	for (int i = 0; i < cg->n; i++) {
		char kept[PATH_MAX + 8];
		strcpy(stpcpy(kept, cg->dirs[i]), "/kept");
		if (mkdir(kept, 0755) < 0 && errno != EEXIST)
			continue;
		for (int k = 0; k < n; k++) {
			char pid[24];
			char *end = put_decimal(pid, (uint64_t)pids[k]);
			cg_write(kept, "cgroup.procs", pid, (size_t)(end - pid));
		}
	}
}

/* A growing frame payload (kept from run to run: no allocation per run). */
struct cg_out {
	char *b;
	size_t n, cap;
};

static struct cg_out cg_frame;

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

/* The files as read now, then each as read just after its reset (empty without one). */
static void cg_put_files(struct cg_out *o, const struct cg_batch *cg)
{
	uint32_t n = (uint32_t)cg->n_reads;
	cg_put(o, &n, 4);
	for (int k = 0; k < cg->n_reads; k++) {
		char buf[4096];
		cg_put_str(o, buf, cg_pread(cg->fd[k], buf, sizeof buf));
	}
	cg_put(o, &n, 4);
	for (int k = 0; k < cg->n_reads; k++)
		cg_put_str(o, cg->base[k], cg->fd[k] >= 0 ? cg->base_len[k] : 0);
}

/* After the run was reaped: read its files, name (and unless kept, kill and reap) the strays, and
 * leave the 'C' frame in cg_frame, for report_done to send with the 'D' frame in one write. */
static int cg_finish(const struct denet_request *b, struct cg_batch *cg)
{
	struct cg_out *o = &cg_frame;
	if (!o->b && !(o->b = malloc(o->cap = 4096)))
		return -1;
	o->n = 5;
	cg_put_files(o, cg);
	pid_t strays[256];
	int n = cg_members(cg, strays, 256);
	cg_put_strays(o, strays, n);
	if (n && !b->head.keep_strays) {
		cg_kill(cg);
		/* They were adopted by us (subreaper): reap them. */
		for (int k = 0; k < n; k++)
			while (waitpid(strays[k], NULL, 0) < 0 && errno == EINTR)
				;
	} else if (n) {
		cg_keep(cg, strays, n);
	}
	uint32_t total = (uint32_t)o->n - 4;
	memcpy(o->b, &total, 4);
	o->b[4] = DENET_CGROUP;
	return 0;
}

/* The 'C' frame cg_finish left, and the 'D' frame after it, in one write. */
static int cg_reply_done(const struct denet_done *d)
{
	char frame[DENET_FRAME_HEAD + sizeof *d];
	cg_put(&cg_frame, frame, denet_put_frame(frame, DENET_DONE, d, sizeof *d));
	return write_all(cg_frame.b, cg_frame.n);
}

/* What the cloned child needs (it shares our memory until it execs). */
struct cg_child {
	const struct denet_request *b;
	char **env;
	int in, out;
	int join; /* the leaf's cgroup.procs to write ourselves into, or -1 (born in it) */
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

/* execvp's search of PATH from the child, without malloc; errno as execvp leaves it. */
static void cg_exec_searching(struct cg_child *c)
{
	const char *name = c->b->argv[0];
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
				return;
		}
		if (!end)
			break;
		d = end;
	}
	errno = seen_eacces ? EACCES : ENOENT;
}

/* The child: (join the leaf,) restore the signals we ignore, own process group, stdio, exec. */
static int cg_child_main(void *arg)
{
	struct cg_child *c = arg;
	if (c->join >= 0 && write(c->join, "0", 1) != 1)
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
	if (!c->b->head.search_path || strchr(name, '/'))
		cg_exec(c, c->b->head.search_path ? name : c->b->program);
	else
		cg_exec_searching(c);
fail:
	c->err = errno ? errno : EIO;
	_exit(127);
}

/* struct clone_args of linux/sched.h (its second version, 88 bytes), here so that any libc's headers do. */
struct cg_clone_args {
	uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls, set_tid, set_tid_size,
		cgroup;
};
#define CG_CLONE_INTO_CGROUP 0x200000000ULL
#ifndef SYS_clone3
#define SYS_clone3 435
#endif

/*
 * clone3 with CLONE_VM, whose child runs fn(arg) on the new stack and never returns here: glibc
 * has no wrapper, and the child cannot return from a C function into its parent's stack frame.
 * -errno on failure. Only x86-64 and arm64 (the latter compiled, not yet run); elsewhere ENOSYS,
 * and the child joins its leaf by writing cgroup.procs instead.
 */
static long cg_clone3(struct cg_clone_args *args, int (*fn)(void *), void *arg)
{
#if defined(__x86_64__)
	long ret;
	register void *r8 __asm__("r8") = (void *)fn;
	register void *r9 __asm__("r9") = arg;
	__asm__ volatile("syscall\n\t"
			 "test %%rax, %%rax\n\t"
			 "jnz 1f\n\t"
			 "xor %%ebp, %%ebp\n\t"
			 "mov %%r9, %%rdi\n\t"
			 "call *%%r8\n\t"
			 "mov %%eax, %%edi\n\t"
			 "mov $60, %%eax\n\t" /* SYS_exit */
			 "syscall\n\t"
			 "hlt\n\t"
			 "1:\n\t"
			 : "=a"(ret)
			 : "a"((long)SYS_clone3), "D"(args), "S"(sizeof *args), "r"(r8), "r"(r9)
			 : "rcx", "r11", "memory");
	return ret;
#elif defined(__aarch64__)
	register long x0 __asm__("x0") = (long)args;
	register long x1 __asm__("x1") = (long)sizeof *args;
	register long x2 __asm__("x2") = (long)fn;
	register long x3 __asm__("x3") = (long)arg;
	register long x8 __asm__("x8") = SYS_clone3;
	__asm__ volatile("svc #0\n\t"
			 "cbnz x0, 1f\n\t"
			 "mov x29, xzr\n\t"
			 "mov x0, x3\n\t"
			 "blr x2\n\t"
			 "mov x8, #93\n\t" /* SYS_exit */
			 "svc #0\n\t"
			 "1:\n\t"
			 : "+r"(x0)
			 : "r"(x1), "r"(x2), "r"(x3), "r"(x8)
			 : "x30", "memory");
	return x0;
#else
	(void)args, (void)fn, (void)arg;
	return -ENOSYS;
#endif
}

static char cg_stack[64 * 1024] __attribute__((aligned(16)));

/* Start the child in the leaf (clone3), or where clone3 is refused, have it join by writing cgroup.procs. */
static pid_t cg_clone(struct cg_batch *cg, struct cg_child *c)
{
	if (!cg_no_clone3) {
		struct cg_clone_args a;
		memset(&a, 0, sizeof a);
		a.flags = CLONE_VM | CLONE_VFORK | CG_CLONE_INTO_CGROUP;
		a.exit_signal = SIGCHLD;
		a.stack = (uint64_t)(uintptr_t)cg_stack;
		a.stack_size = sizeof cg_stack;
		a.cgroup = (uint64_t)cg->leaf_fd;
		long pid = cg_clone3(&a, cg_child_main, c);
		if (pid >= 0 || (-pid != ENOSYS && -pid != EINVAL && -pid != E2BIG && -pid != EOPNOTSUPP))
			return pid >= 0 ? (pid_t)pid : (errno = (int)-pid, -1);
		cg_no_clone3 = 1;
	}
	if (cg->procs_fd < 0) {
		char path[PATH_MAX + 16];
		strcpy(stpcpy(path, cg->leaf), "/cgroup.procs");
		if ((cg->procs_fd = open(path, O_WRONLY | O_CLOEXEC)) < 0)
			return -1;
	}
	c->join = cg->procs_fd;
	return clone(cg_child_main, cg_stack + sizeof cg_stack, CLONE_VM | CLONE_VFORK | SIGCHLD, c);
}

/* /dev/null for reading and for writing, opened once (the child dup2s its copies). */
static int cg_null[2] = { -1, -1 };

static int cg_null_fd(int writing)
{
	if (cg_null[writing] < 0)
		cg_null[writing] = open("/dev/null", (writing ? O_WRONLY : O_RDONLY) | O_CLOEXEC);
	return cg_null[writing];
}

/* The child's stdin and stdout/stderr (its copies are made in the child); the errno, `part` saying which. */
static int cg_stdio(const struct denet_request *b, struct stdio *s, struct cg_child *c, uint8_t *part)
{
	if (b->head.has_input) {
		if ((s->in = open(b->input, O_RDONLY | O_CLOEXEC)) < 0)
			return *part = DENET_FAILED_INPUT, errno;
		c->in = s->in;
	} else if ((c->in = cg_null_fd(0)) < 0) {
		return *part = DENET_FAILED_OTHER, errno;
	}
	if (b->head.out_mode == DENET_OUT_NULL) {
		if ((c->out = cg_null_fd(1)) < 0)
			return *part = DENET_FAILED_OTHER, errno;
	} else if (b->head.out_mode == DENET_OUT_PIPE) {
		int fds[2];
		if (pipe2(fds, O_CLOEXEC) < 0)
			return *part = DENET_FAILED_OTHER, errno;
		s->pipe_r = fds[0], c->out = s->pipe_w = fds[1];
	} else if (b->head.out_mode == DENET_OUT_FILE) {
		if ((c->out = s->out = open(b->output, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666)) < 0)
			return *part = DENET_FAILED_OUTPUT, errno;
	}
	return 0;
}

/* Spawn the run into the command's leaf; the errno on failure (`part` says what failed). */
static int spawn_born(const struct denet_request *b, char **env, struct stdio *s, struct cg_batch *cg, pid_t *pid,
		      uint64_t *start, uint8_t *part)
{
	*part = DENET_FAILED_EXEC;
	struct cg_child c = { b, env, -1, -1, -1, 0 };
	int err = cg_stdio(b, s, &c, part);
	if (!err) {
		/* Signals blocked across the clone, so that no handler runs on the child's borrowed stack. */
		sigset_t all, old;
		sigfillset(&all);
		sigprocmask(SIG_SETMASK, &all, &old);
		*start = now_ns();
		*pid = cg_clone(cg, &c);
		err = *pid < 0 ? errno : 0;
		sigprocmask(SIG_SETMASK, &old, NULL);
		if (!err && c.err) {
			/* It could not exec: reap it, and report why. */
			while (waitpid(*pid, NULL, 0) < 0 && errno == EINTR)
				;
			err = c.err;
		}
	}
	close_fd(&s->in);
	close_fd(&s->out);
	close_fd(&s->pipe_w);
	if (err)
		close_fd(&s->pipe_r);
	return err;
}

#endif
