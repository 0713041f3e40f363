// SPDX-License-Identifier: MIT OR Apache-2.0
/*
 * TCP bytes sent and received by the monitored tree. Two attachments for the
 * same counters; denet attaches the kretprobes where the kernel has kprobes,
 * and otherwise the sock tracepoints (the kernel's socket layer, which sees
 * every recvmsg/sendmsg with its protocol and result).
 */
#include "denet.h"
#include <linux/ptrace.h> /* struct pt_regs for the kretprobes */
#include <bpf/bpf_tracing.h>

DENET_COUNTERS(struct denet_net_counts);

#define IPPROTO_TCP 6
#define MSG_PEEK 2

static __always_inline void count(int sent, long bytes)
{
	if (bytes <= 0 || !counted_target())
		return;
	struct denet_net_counts *c = counters_slot(&counts);
	if (!c)
		return;
	if (sent)
		c->tcp_tx_bytes += bytes;
	else
		c->tcp_rx_bytes += bytes;
}

SEC("kretprobe/tcp_sendmsg")
int BPF_KRETPROBE(denet_tcp_sendmsg_ret, int ret)
{
	count(1, ret);
	return 0;
}

SEC("kretprobe/tcp_recvmsg")
int BPF_KRETPROBE(denet_tcp_recvmsg_ret, int ret)
{
	count(0, ret);
	return 0;
}

/* sock/sock_send_length and sock/sock_recv_length (5.19 and later). */
struct sock_length_record {
	struct denet_tp_common common;
	void *sk;
	__u16 family;
	__u16 protocol;
	__s32 ret;
	__s32 flags;
};

SEC("tracepoint/sock/sock_send_length")
int denet_sock_send(struct sock_length_record *r)
{
	if (r->protocol == IPPROTO_TCP)
		count(1, r->ret);
	return 0;
}

SEC("tracepoint/sock/sock_recv_length")
int denet_sock_recv(struct sock_length_record *r)
{
	if (r->protocol == IPPROTO_TCP && !(r->flags & MSG_PEEK))
		count(0, r->ret);
	return 0;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
