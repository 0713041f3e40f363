/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/* The process-lifecycle tracepoints' records and the group-death test, shared by lifecycle.bpf.c
 * and processes.bpf.c (each object gets its own copy of exit_group_dead_offset, set before load). */
#ifndef DENET_LIFECYCLE_H
#define DENET_LIFECYCLE_H

#include "denet.h"

#define CLONE_THREAD 0x00010000

/* Offset of `group_dead` in sched_process_exit (6.x); 0 when the kernel lacks it (set before load). */
const volatile __u32 exit_group_dead_offset = 0;

/* task/task_newtask: fires in the parent, after the child exists and before it first runs. */
struct task_newtask_record {
	struct denet_tp_common common;
	__s32 pid;
	char comm[16];
	__u64 clone_flags;
};

struct sched_process_exit_record {
	struct denet_tp_common common;
	char comm[16];
	__s32 pid;
};

/* True when the exiting thread is the last of its group. */
static __always_inline int group_dead(struct sched_process_exit_record *r, __u32 tgid)
{
	__u8 dead = 0;
	if (exit_group_dead_offset == 0)
		return (__u32)r->pid == tgid; /* older kernels: the main thread's exit */
	bpf_probe_read_kernel(&dead, 1, (void *)r + (exit_group_dead_offset & 0xff));
	return dead;
}

#endif
