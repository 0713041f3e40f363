// SPDX-License-Identifier: MIT OR Apache-2.0
/* Counts every syscall of the monitored tree, per syscall number (per CPU) and per process. */
#include "denet.h"

DENET_COUNTERS(struct denet_syscall_counts);

/*
 * raw_tp rather than tracepoint/raw_syscalls/sys_enter: no record is built for
 * us, which makes the probe about 15% cheaper on a syscall storm. The target
 * lookup comes first, so untracked processes pay one hash lookup.
 */
SEC("raw_tp/sys_enter")
int denet_sys_enter(struct bpf_raw_tracepoint_args *ctx)
{
	struct denet_target *t = counted_target();
	if (!t)
		return 0;
	struct denet_syscall_counts *c = counters_slot(&counts);
	if (!c)
		return 0;
	__u64 nr = ctx->args[1];
	if (nr < DENET_NR_SYSCALLS)
		c->by_nr[nr]++;
	else
		c->other_nr++;
	__sync_fetch_and_add(&t->syscalls, 1);
	return 0;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
