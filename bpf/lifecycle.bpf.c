// SPDX-License-Identifier: MIT OR Apache-2.0
/*
 * Follows the monitored tree in the kernel: a process forked by a followed
 * process becomes a target before it runs (so its first syscall is counted),
 * and leaves the target map when its thread group dies. A child of a
 * follow-only process (denet, its spawner) counts from its exec instead, so
 * that the harness's own code before the exec is not the command's. Counts
 * forks and execs.
 */
#include "lifecycle.h"

DENET_COUNTERS(struct denet_lifecycle_counts);

SEC("tracepoint/task/task_newtask")
int denet_task_newtask(struct task_newtask_record *r)
{
	__u32 parent = current_tgid();
	struct denet_target *p = bpf_map_lookup_elem(&targets, &parent);
	if (!p)
		return 0;
	struct denet_lifecycle_counts *c = counters_slot(&counts);
	if (r->clone_flags & CLONE_THREAD) {
		/* A thread shares its parent's tgid, which is already a target. */
		if (c && (p->flags & DENET_COUNT))
			c->threads_created++;
		return 0;
	}
	if (!(p->flags & DENET_FOLLOW))
		return 0;
	__u32 child = r->pid;
	/* Before its exec, a child of a process that is not counted runs that process's code. */
	enum denet_flags counting = (p->flags & DENET_COUNT) ? DENET_COUNT : DENET_FROM_EXEC;
	struct denet_target t = { .flags = counting | DENET_FOLLOW };
	long err = bpf_map_update_elem(&targets, &child, &t, BPF_NOEXIST);
	if (!err)
		bump_generation();
	if (c) {
		if (p->flags & DENET_COUNT)
			c->processes_created++;
		if (err && err != -17 /* EEXIST */)
			c->lost_targets++;
	}
	return 0;
}

/*
 * sched_process_exec fires inside a successful execve, once the new program is
 * in place: a FROM_EXEC target counts from here. Its execve is counted here
 * (the target's own count, and `counted_execves` for the per-syscall table),
 * since its sys_enter came while the process did not count yet.
 */
SEC("tracepoint/sched/sched_process_exec")
int denet_exec(void *r)
{
	__u32 tgid = current_tgid();
	struct denet_target *t = bpf_map_lookup_elem(&targets, &tgid);
	if (!t)
		return 0;
	struct denet_lifecycle_counts *c = counters_slot(&counts);
	if (t->flags & DENET_FROM_EXEC) {
		t->flags = DENET_COUNT | DENET_FOLLOW;
		__sync_fetch_and_add(&t->syscalls, 1);
		bump_generation();
		if (c)
			c->counted_execves++;
	}
	if (c && (t->flags & DENET_COUNT))
		c->execs++;
	return 0;
}

SEC("tracepoint/sched/sched_process_exit")
int denet_exit(struct sched_process_exit_record *r)
{
	__u32 tgid = current_tgid();
	struct denet_target *t = bpf_map_lookup_elem(&targets, &tgid);
	if (t && (t->flags & DENET_COUNT)) {
		/* Its switches until it is gone still count, though its group may leave the targets now. */
		__u32 tid = (__u32)bpf_get_current_pid_tgid();
		bpf_map_update_elem(&exiting, &tid, &tgid, BPF_ANY);
	}
	/* Only the tree's processes leave by themselves: a FOLLOW-only entry (denet's spawner) is denet's to remove. */
	if (!t || !(t->flags & (DENET_COUNT | DENET_FROM_EXEC)) || !group_dead(r, tgid))
		return 0;
	bpf_map_delete_elem(&targets, &tgid);
	bump_generation();
	return 0;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
