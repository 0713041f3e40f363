// SPDX-License-Identifier: MIT OR Apache-2.0
/*
 * The exact peak of live processes of each followed tree: +1 at the fork of a
 * process of the tree, -1 when its thread group dies, and an atomic max of the
 * running count into the tree's peak. A tree is named by its root: a child of a
 * follow-only process (denet, its spawner) starts a tree of its own (one per
 * bench run, one for `run`), and denet puts the processes it finds at `attach`
 * into the tree of the attached pid. Built for BPF ISA v3 (fetch-add and
 * compare-and-swap, Linux 5.12): on an older kernel this part alone fails and
 * the peak stays sampled.
 */
#include "lifecycle.h"

/* The tree of each live process of a followed tree (key: tgid; value: the tree's root). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, __u32);
	__type(value, __u32);
} members SEC(".maps");

/* Each tree's counts (key: its root); denet reads and removes an entry when the tree is done. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, struct denet_tree_count);
} trees SEC(".maps");

static __always_inline struct denet_tree_count *tree_of(__u32 root)
{
	struct denet_tree_count *c = bpf_map_lookup_elem(&trees, &root);
	if (c)
		return c;
	struct denet_tree_count zero = {};
	bpf_map_update_elem(&trees, &root, &zero, BPF_NOEXIST);
	return bpf_map_lookup_elem(&trees, &root);
}

/* One more live process in the tree: raise its peak to the new count (compare-and-swap, retried a few times). */
static __always_inline void enter(__u32 root)
{
	struct denet_tree_count *c = tree_of(root);
	if (!c)
		return;
	__s64 live = __sync_fetch_and_add(&c->live, 1) + 1;
	__s64 peak = c->peak;
	for (int i = 0; i < 16 && live > peak; i++) {
		__s64 was = __sync_val_compare_and_swap(&c->peak, peak, live);
		if (was == peak)
			break;
		peak = was;
	}
}

SEC("tracepoint/task/task_newtask")
int denet_tree_fork(struct task_newtask_record *r)
{
	if (r->clone_flags & CLONE_THREAD)
		return 0;
	__u32 parent = current_tgid(), child = r->pid;
	__u32 *root = bpf_map_lookup_elem(&members, &parent);
	__u32 own = child;
	if (!root) {
		/* Not in a tree: a follow-only parent starts one, any other process is not followed. */
		struct denet_target *p = bpf_map_lookup_elem(&targets, &parent);
		if (!p || (p->flags & (DENET_COUNT | DENET_FROM_EXEC)) || !(p->flags & DENET_FOLLOW))
			return 0;
		root = &own;
	}
	__u32 tree = *root;
	if (bpf_map_update_elem(&members, &child, &tree, BPF_NOEXIST) == 0)
		enter(tree);
	return 0;
}

SEC("tracepoint/sched/sched_process_exit")
int denet_tree_exit(struct sched_process_exit_record *r)
{
	__u32 tgid = current_tgid();
	__u32 *root = bpf_map_lookup_elem(&members, &tgid);
	if (!root || !group_dead(r, tgid))
		return 0;
	__u32 tree = *root;
	struct denet_tree_count *c = tree_of(tree);
	if (c)
		__sync_fetch_and_add(&c->live, -1);
	bpf_map_delete_elem(&members, &tgid);
	return 0;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
