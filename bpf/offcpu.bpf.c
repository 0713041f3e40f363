// SPDX-License-Identifier: MIT OR Apache-2.0
/* Off-CPU time of every thread of the monitored tree, split into blocked and runnable (preempted). */
#include "denet.h"

DENET_COUNTERS(struct denet_offcpu_counts);

/* sched/sched_switch, the fields used (stable since 4.x). */
struct sched_switch_record {
	struct denet_tp_common common;
	char prev_comm[16];
	__s32 prev_pid;
	__s32 prev_prio;
	__s64 prev_state;
	char next_comm[16];
	__s32 next_pid;
	__s32 next_prio;
};

/* The task-state bits the tracepoint reports; 0 means the thread was still runnable. */
#define TASK_REPORT_BITS 0x7f
/* A thread switched out for the last time (its exit_state): it never comes back, so no entry. */
#define EXIT_DEAD 0x10
#define EXIT_ZOMBIE 0x20

/* Threads of the tree that are off CPU now, by thread id; denet adds their time so far to each snapshot. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, __u32);
	__type(value, struct denet_switched_out);
} off_since SEC(".maps");

/* One context switch of a thread of the tree, of the kind the kernel counts it (nvcsw or nivcsw). */
static __always_inline void count_switch(__u32 runnable)
{
	struct denet_offcpu_counts *c = counters_slot(&counts);
	if (!c)
		return;
	if (runnable)
		c->switches_involuntary++;
	else
		c->switches_voluntary++;
}

static __always_inline void switch_out(struct sched_switch_record *r, __u64 now)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tgid = id >> 32, tid = (__u32)id;
	if (tid == 0)
		return; /* the idle task */
	__u32 runnable = (r->prev_state & TASK_REPORT_BITS) == 0;
	/* Its last switch: a thread that has exited never comes back, so no entry. */
	int dead = (r->prev_state & (EXIT_DEAD | EXIT_ZOMBIE)) != 0;
	struct denet_target *t = bpf_map_lookup_elem(&targets, &tgid);
	if (!t || !(t->flags & DENET_COUNT)) {
		/* Not a target (any more): an exiting thread of one still counts its switches. */
		if (!bpf_map_lookup_elem(&exiting, &tid))
			return;
		count_switch(runnable);
		if (dead)
			bpf_map_delete_elem(&exiting, &tid);
		return;
	}
	count_switch(runnable);
	if (dead) {
		bpf_map_delete_elem(&exiting, &tid);
		return;
	}
	struct denet_switched_out s = {
		.at_ns = now,
		.tgid = tgid,
		.runnable = runnable,
	};
	bpf_map_update_elem(&off_since, &tid, &s, BPF_ANY);
}

static __always_inline void switch_in(struct sched_switch_record *r, __u64 now)
{
	__u32 tid = r->next_pid;
	struct denet_switched_out *s = bpf_map_lookup_elem(&off_since, &tid);
	if (!s)
		return;
	__u64 delta = now - s->at_ns;
	struct denet_offcpu_counts *c = counters_slot(&counts);
	if (c) {
		if (s->runnable)
			c->runnable_ns += delta;
		else
			c->blocked_ns += delta;
	}
	__u32 tgid = s->tgid;
	struct denet_target *t = bpf_map_lookup_elem(&targets, &tgid);
	if (t)
		__sync_fetch_and_add(&t->off_cpu_ns, delta);
	bpf_map_delete_elem(&off_since, &tid);
}

SEC("tracepoint/sched/sched_switch")
int denet_sched_switch(struct sched_switch_record *r)
{
	/* The current task is the one being switched out. */
	__u64 now = bpf_ktime_get_ns();
	switch_out(r, now);
	switch_in(r, now);
	return 0;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
