/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/*
 * What crosses between denet's BPF programs and Rust: the target map, each
 * program's counters, and the tracepoint records the programs read.
 *
 * No CO-RE and no vmlinux.h: the programs read only the stable fields of
 * tracepoint records (offsets checked against /sys/kernel/tracing/events/
 * * /format on 5.x and 6.x kernels), BPF helpers and maps. Rust reads these
 * structs through the libbpf-cargo skeletons that build.rs generates from each
 * object's BTF, so a layout change here reaches Rust with the next build.
 */
#ifndef DENET_H
#define DENET_H

#include <linux/types.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

/* Syscall numbers counted one by one; larger ones (x32 ABI, future) go to `syscalls_other_nr`. */
#define DENET_NR_SYSCALLS 512

/* A target's flags, combined with |; an enum rather than macros so that they reach Rust in the BTF. */
enum denet_flags {
	DENET_COUNT = 1,  /* count this process's events */
	DENET_FOLLOW = 2, /* add the processes it forks as targets (COUNT|FOLLOW, or FROM_EXEC|FOLLOW) */
	/*
	 * Count it from its next successful exec, not before: a child of denet or
	 * of its spawner runs their code until it execs the command (117
	 * rt_sigaction calls of posix_spawn's SETSIGDEF, the PATH entries tried
	 * by execvp), and none of that is the command's.
	 */
	DENET_FROM_EXEC = 4,
};

/* One process (thread group) of the monitored tree: key is its tgid. */
struct denet_target {
	enum denet_flags flags;
	__u32 pad;
	__u64 syscalls;   /* this process's syscalls while it was a target */
	__u64 off_cpu_ns; /* its threads' completed off-CPU intervals */
};

/*
 * Per-CPU counters of the syscall program, tree totals since load, and the
 * CPU's cache of its last process: whether it counts, and its syscalls not yet
 * added to its target entry (`pending`). The cache is what keeps the hash
 * lookup and the shared atomic add off the path of every syscall: they happen
 * only when the CPU moves to another process, or the target set changed
 * (`generation`). A process's own count is its entry's `syscalls` plus the
 * `pending` of each CPU whose cache holds it.
 */
struct denet_syscall_counts {
	__u64 by_nr[DENET_NR_SYSCALLS];
	__u64 other_nr;
	__u32 cached_tgid;
	__u32 cached_counted;
	__u64 cached_generation;
	__u64 pending;
};

/* Per-CPU counters of the off-CPU program. */
struct denet_offcpu_counts {
	__u64 blocked_ns;  /* switched out sleeping or waiting (prev_state != running) */
	__u64 runnable_ns; /* switched out while still runnable (preempted) */
	/* Context switches of the tree's threads, as the kernel's nvcsw and nivcsw count them, those of
	 * an exiting thread included (`exiting`), its last one too. */
	__u64 switches_voluntary;   /* switched out blocking (prev_state != running) */
	__u64 switches_involuntary; /* preempted while runnable */
};

/* A thread of the tree that is off CPU now (the off-CPU program's `off_since` map, key: its thread id). */
struct denet_switched_out {
	__u64 at_ns;    /* when it was switched out (bpf_ktime_get_ns, CLOCK_MONOTONIC) */
	__u32 tgid;
	__u32 runnable; /* 1 when it was preempted, 0 when it blocked */
};

/* Per-CPU counters of the lifecycle program. */
struct denet_lifecycle_counts {
	__u64 processes_created; /* forks (not threads) by counted processes */
	__u64 threads_created;   /* clone(CLONE_THREAD) by counted processes */
	__u64 execs;
	__u64 lost_targets; /* children that could not be added (target map full) */
	/* Execs that made a FROM_EXEC target counted: its execve entered before it counted (the syscall program missed it). */
	__u64 counted_execves;
};

/* The processes program's count for one tree: processes alive now (from 0 when denet named the tree: it
 * adds what it found alive then), and the most at once. Signed: a process denet found may exit first. */
struct denet_tree_count {
	__s64 live;
	__s64 peak;
};

/* Per-CPU counters of the network program. */
struct denet_net_counts {
	__u64 tcp_tx_bytes;
	__u64 tcp_rx_bytes;
};

/* The target map, the same in every object: denet loads it once and shares its fd. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, __u32);
	__type(value, struct denet_target);
} targets SEC(".maps");

/*
 * Threads of counted processes that are exiting (key: thread id), from their sched_process_exit
 * (lifecycle program) to their last switch (off-CPU program): the lifecycle program removes a dead
 * group's target at once, while its last thread still has the rest of its exit to run, and its
 * context switches there count as the kernel's do. LRU: without the off-CPU program nothing removes
 * the entries. Shared by fd like the target map.
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, __u32);
} exiting SEC(".maps");

/*
 * Bumped whenever a target is added or removed (here on fork and exit, and by
 * denet), so that every CPU's cached answer to "does this process count?" is
 * asked again. Shared by fd like the target map.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} generation SEC(".maps");

static __always_inline void bump_generation(void)
{
	__u32 zero = 0;
	__u64 *g = bpf_map_lookup_elem(&generation, &zero);
	if (g)
		__sync_fetch_and_add(g, 1);
}

/* The first 8 bytes of every tracepoint record (common_type, flags, preempt_count, pid). */
struct denet_tp_common {
	__u64 common;
};

static __always_inline __u32 current_tgid(void)
{
	return bpf_get_current_pid_tgid() >> 32;
}

/* The current process's target entry when it is counted, else NULL. */
static __always_inline struct denet_target *counted_target(void)
{
	__u32 tgid = current_tgid();
	struct denet_target *t = bpf_map_lookup_elem(&targets, &tgid);
	return t && (t->flags & DENET_COUNT) ? t : NULL;
}

/* One per-CPU counters map per program, a single slot. */
#define DENET_COUNTERS(value_t)                                                                     \
	struct {                                                                                   \
		__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);                                           \
		__uint(max_entries, 1);                                                            \
		__type(key, __u32);                                                                \
		__type(value, value_t);                                                             \
	} counts SEC(".maps")

static __always_inline void *counters_slot(void *map)
{
	__u32 zero = 0;
	return bpf_map_lookup_elem(map, &zero);
}

#endif
