// SPDX-License-Identifier: MIT OR Apache-2.0
/*
 * What each run's cgroups add to a run of `true` in bench's spawner (docs/performance.md, "Each
 * run in its own cgroup: what it costs"): blocks of 100 runs alternate between a plain vfork-style
 * clone3 and one that does what spawner/cgroup.h does per run, so that the machine's load hits
 * both alike. Reported: the median block's wall time per run and the CPU time per run (ours and
 * the runs'), each with and without.
 *
 *   cc -O2 -static -o /tmp/cgroup-run-cost examples/bench/cgroup-run-cost.c
 *   /tmp/cgroup-run-cost LEAF V1GROUP BLOCKS MASK     (as root)
 *
 * LEAF: a v2 directory to make (e.g. /sys/fs/cgroup/unified/cost); V1GROUP: an existing v1 memory
 * group (e.g. a fresh one under /sys/fs/cgroup/memory); MASK, what the "with" blocks do: 1 clone3
 * into LEAF (CLONE_INTO_CGROUP), 2 reset the v1 peak and read it back, 4 read the six files bench
 * reads after a run, 8 read LEAF's cgroup.procs (the strays); 15 all of it. x86-64 only.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static char stack[65536] __attribute__((aligned(16)));

static int child(void *arg)
{
	(void)arg;
	char *argv[] = { "true", NULL };
	execve("/usr/bin/true", argv, NULL);
	_exit(127);
}

/* clone3 whose child runs fn(arg) on its own stack, as spawner/cgroup.h's cg_clone3. */
static long clone3_run(struct clone_args *args, int (*fn)(void *), void *arg)
{
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
			 "mov $60, %%eax\n\t"
			 "syscall\n\t"
			 "hlt\n\t"
			 "1:\n\t"
			 : "=a"(ret)
			 : "a"((long)SYS_clone3), "D"(args), "S"(sizeof *args), "r"(r8), "r"(r9)
			 : "rcx", "r11", "memory");
	return ret;
}

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* CPU time so far of this process and its reaped children. */
static double cpu(void)
{
	struct rusage a, b;
	getrusage(RUSAGE_SELF, &a);
	getrusage(RUSAGE_CHILDREN, &b);
	double us = (double)(a.ru_utime.tv_usec + a.ru_stime.tv_usec + b.ru_utime.tv_usec + b.ru_stime.tv_usec);
	return (double)(a.ru_utime.tv_sec + a.ru_stime.tv_sec + b.ru_utime.tv_sec + b.ru_stime.tv_sec) + us * 1e-6;
}

static int by_value(const void *x, const void *y)
{
	double a = *(const double *)x, b = *(const double *)y;
	return a < b ? -1 : a > b;
}

static int open_in(const char *dir, const char *file, int flags)
{
	char path[512];
	snprintf(path, sizeof path, "%s/%s", dir, file);
	int fd = open(path, flags | O_CLOEXEC);
	if (fd < 0) {
		perror(path);
		exit(1);
	}
	return fd;
}

/* One run; with `mask`, what bench adds around it. */
static void one_run(int mask, int leaf, const int files[6], int procs)
{
	char buf[16384];
	if (mask & 2 && pwrite(files[4], "0", 1, 0) == 1)
		pread(files[4], buf, 64, 0);
	struct clone_args a;
	memset(&a, 0, sizeof a);
	a.flags = CLONE_VM | CLONE_VFORK | (mask & 1 ? CLONE_INTO_CGROUP : 0);
	a.exit_signal = SIGCHLD;
	a.stack = (uint64_t)(uintptr_t)stack;
	a.stack_size = sizeof stack;
	a.cgroup = (uint64_t)leaf;
	long pid = clone3_run(&a, child, NULL);
	if (pid < 0) {
		fprintf(stderr, "clone3: %s\n", strerror((int)-pid));
		exit(1);
	}
	waitpid((pid_t)pid, NULL, 0);
	for (int k = 0; mask & 4 && k < 6; k++)
		pread(files[k], buf, 4096, 0);
	if (mask & 8)
		pread(procs, buf, sizeof buf, 0);
}

int main(int argc, char **argv)
{
	if (argc != 5) {
		fprintf(stderr, "usage: %s LEAF V1GROUP BLOCKS MASK\n", argv[0]);
		return 2;
	}
	const char *leaf = argv[1], *v1 = argv[2];
	int blocks = atoi(argv[3]), mask = atoi(argv[4]);
	if (blocks < 1 || blocks > 1000)
		return 2;
	mkdir(leaf, 0755);
	int dir = open(leaf, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int files[6] = { open_in(leaf, "cpu.stat", O_RDONLY),	     open_in(leaf, "cpu.pressure", O_RDONLY),
			 open_in(leaf, "memory.pressure", O_RDONLY), open_in(leaf, "io.pressure", O_RDONLY),
			 open_in(v1, "memory.max_usage_in_bytes", O_RDWR), open_in(v1, "memory.oom_control", O_RDONLY) };
	int procs = open_in(leaf, "cgroup.procs", O_RDONLY);
	static double wall[2][1000];
	double cpu_total[2] = { 0, 0 };
	for (int blk = 0; blk < blocks; blk++)
		for (int m = 0; m < 2; m++) {
			int with = blk & 1 ? 1 - m : m;
			double t0 = now(), c0 = cpu();
			for (int i = 0; i < 100; i++)
				one_run(with ? mask : 0, dir, files, procs);
			cpu_total[with] += cpu() - c0;
			wall[with][blk] = (now() - t0) / 100;
		}
	qsort(wall[0], (size_t)blocks, sizeof(double), by_value);
	qsort(wall[1], (size_t)blocks, sizeof(double), by_value);
	double w0 = wall[0][blocks / 2] * 1e6, w1 = wall[1][blocks / 2] * 1e6;
	double c0 = cpu_total[0] / blocks / 100 * 1e6, c1 = cpu_total[1] / blocks / 100 * 1e6;
	printf("wall per run (median block): without %.1f us, with %.1f us (%+.1f); CPU per run: without %.1f us, "
	       "with %.1f us (%+.1f)\n",
	       w0, w1, w1 - w0, c0, c1, c1 - c0);
	rmdir(leaf);
	return 0;
}
