// SPDX-License-Identifier: MIT OR Apache-2.0
/*
 * The spawner protocol, defined once: the frames between denet and its
 * spawner over their socket. The tiny spawner (denet-spawner.c) includes this
 * file; denet mirrors it in src/bench/protocol/wire.rs, and a test
 * (src/bench/protocol/cross_language.rs with tests/protocol/frames.c) checks
 * the two byte for byte in both directions.
 *
 * Widths and byte order: fixed-width fields in the host's byte order, with
 * no padding. Both ends are one build on one machine, so nothing is swapped.
 * The structs are packed because a frame's payload starts 5 bytes into the
 * frame: payloads are copied in and out with memcpy, never pointed into (do
 * not take the address of a member).
 *
 * Every message is a frame:
 *   u32 length of what follows (1 + the payload's size), u8 kind, payload.
 *
 * Requests, denet to spawner:
 *   'B' batch: struct denet_batch, then the variable part, in this order:
 *       n_accept i32 exit codes;
 *       n_counters struct denet_counter: the perf events to count for each run;
 *       three strings: the program (used when search_path is 0), the input
 *       file (when has_input), the output file (when out_mode is
 *       DENET_OUT_FILE); an unused one is empty;
 *       two lists: argv (at least argv[0]), then the extra environment,
 *       each entry "NAME=VALUE", one per name;
 *       three lists for the runs' own cgroups (all empty: no cgroup): the
 *       session's directory in each hierarchy; "I:FILE=VALUE" entries written
 *       into the command's leaf in directory I (the memory limit); "I:FILE"
 *       entries read after each run, "I:FILE=RESET" ones also reset before
 *       it by writing RESET (through the same descriptor), both returned in
 *       the 'C' reply; then a string: the command's leaf, made in directory
 *       cg_born - 1, in which each run is born (cgroup v2). The other
 *       directories are cgroup v1 groups the spawner itself is in, so its
 *       runs are too (docs/cgroups.md says why).
 *     A string is u32 byte count, then the bytes (no NUL); a list is u32
 *     count, then that many strings.
 *   'K' kill: no payload. Kill the running run's process group and stop the batch.
 *
 * Replies, spawner to denet. For each run: 'S' spawned (struct
 * denet_spawned), with cgroups 'C' (three lists: the contents of the files
 * read, in the batch's order; each as read just after its reset, empty for
 * a file without a reset value or one that could not be reset; the
 * processes left in the run's groups after its main process exited, "PID
 * NAME"), then 'D' done (struct denet_done); or 'F' failed (struct
 * denet_failed) when the run could not be started. After the last run, or
 * the first run that failed or was not accepted: 'E' end (struct denet_end).
 */
#ifndef DENET_PROTOCOL_H
#define DENET_PROTOCOL_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

enum denet_kind {
	DENET_BATCH = 'B',
	DENET_KILL = 'K',
	DENET_SPAWNED = 'S',
	DENET_FAILED = 'F',
	DENET_DONE = 'D',
	DENET_CGROUP = 'C',
	DENET_END = 'E',
};

/* The iteration counter the runs see: none (hooks), DENET_ITERATION=N, or =warmup-N. */
enum denet_iter { DENET_ITER_NONE = 0, DENET_ITER_RUN = 1, DENET_ITER_WARMUP = 2 };
/* Where a run's stdout and stderr go. */
enum denet_out { DENET_OUT_NULL = 0, DENET_OUT_PIPE = 1, DENET_OUT_INHERIT = 2, DENET_OUT_FILE = 3 };
/* Which exits let a batch go on: 0 only, any, 0 or a listed code. */
enum denet_accept { DENET_ACCEPT_ZERO = 0, DENET_ACCEPT_ANY = 1, DENET_ACCEPT_LIST = 2 };
/* What could not be set up for a run. */
enum denet_failed_part { DENET_FAILED_EXEC = 0, DENET_FAILED_INPUT = 1, DENET_FAILED_OUTPUT = 2, DENET_FAILED_OTHER = 3 };

/* The u32 length and the u8 kind before every payload. */
#define DENET_FRAME_HEAD 5
/* Limits a reader enforces: a frame's length, the accepted codes, a list's entries. */
#define DENET_MAX_FRAME (64u << 20)
#define DENET_MAX_ACCEPT 4096u
#define DENET_MAX_LIST (1u << 20)
/* The most perf_event counters a batch may ask for. */
#define DENET_MAX_COUNTERS 8

/* 'B': the fixed part of a batch request; the variable part follows (see above). */
struct __attribute__((packed)) denet_batch {
	uint32_t count; /* runs */
	uint64_t first; /* the first run's iteration number */
	uint8_t iter_mode; /* enum denet_iter */
	uint8_t out_mode; /* enum denet_out */
	uint8_t has_input; /* 0 or 1: stdin from the input file, else /dev/null */
	uint8_t search_path; /* 0 or 1: find argv[0] in PATH, else exec the program string */
	uint8_t accept_mode; /* enum denet_accept */
	uint32_t n_accept; /* i32 codes that follow */
	uint8_t n_counters; /* struct denet_counter that follow the codes, at most DENET_MAX_COUNTERS */
	uint64_t timeout_ns; /* 0 or --timeout: then the run's group (or process group) is killed */
	uint8_t keep_strays; /* 0 or 1: leave processes that outlive the run's main process running */
	uint8_t cg_born; /* 0, or 1 + the index of the cgroup directory whose leaf (cg_leaf) the runs are born in */
};

/*
 * A perf event to count over each run of a batch (src/monitor/perf.rs says
 * which event each of denet's counters is): perf_event_attr's type and config.
 * Opened disabled on the spawner's thread just before the spawn, with
 * enable_on_exec and inherit: the run inherits it and starts counting at its
 * exec; its children inherit it in turn. Read after the run is reaped, then closed.
 */
struct __attribute__((packed)) denet_counter {
	uint32_t type; /* PERF_TYPE_HARDWARE, PERF_TYPE_SOFTWARE */
	uint64_t config; /* PERF_COUNT_HW_INSTRUCTIONS, ... */
	uint8_t user_only; /* 0 or 1: exclude_kernel and exclude_hv */
};

/* 'S': a run was started. */
struct __attribute__((packed)) denet_spawned {
	uint32_t pid;
	uint64_t at_ns; /* CLOCK_MONOTONIC, nanoseconds */
};

/* 'F': a run could not be started. */
struct __attribute__((packed)) denet_failed {
	uint8_t part; /* enum denet_failed_part */
	int32_t err; /* errno */
};

/* 'D': a run ended; its figures from wait4 and its last /proc/PID/io. */
struct __attribute__((packed)) denet_done {
	double wall_s;
	int32_t code; /* -1 when killed by a signal */
	int32_t signal; /* 0 when it exited */
	double user_s, system_s;
	uint64_t maxrss_bytes, minflt, majflt, nvcsw, nivcsw, inblock, oublock;
	uint64_t rchar, wchar, read_bytes, write_bytes; /* valid when io_ok */
	uint64_t cancelled_write_bytes; /* valid when io_ok: dirtied, then truncated or deleted before writeback */
	uint8_t io_ok; /* 0 or 1 */
	uint8_t killed; /* 0 or 1: killed on request ('K') */
	uint64_t counts[DENET_MAX_COUNTERS]; /* the batch's counters, in its order */
	uint8_t n_counters; /* the batch's n_counters */
	uint8_t counted; /* bit i: counts[i] was read (0 when the counter could not be opened or read) */
	uint8_t timed_out; /* 0 or 1: killed by the batch's timeout */
};

/* 'E': the batch is over. */
struct __attribute__((packed)) denet_end {
	uint32_t runs; /* runs that ended with a 'D' */
};

/* denet's mirror asserts the same sizes. */
_Static_assert(sizeof(struct denet_batch) == 32, "denet_batch");
_Static_assert(sizeof(struct denet_counter) == 13, "denet_counter");
_Static_assert(sizeof(struct denet_spawned) == 12, "denet_spawned");
_Static_assert(sizeof(struct denet_failed) == 5, "denet_failed");
_Static_assert(sizeof(struct denet_done) == 197, "denet_done");
_Static_assert(sizeof(struct denet_end) == 4, "denet_end");

/* A frame of `kind` with `payload` into `out` (DENET_FRAME_HEAD + len bytes); returns its size. */
static inline size_t denet_put_frame(char *out, uint8_t kind, const void *payload, uint32_t len)
{
	uint32_t total = len + 1;
	memcpy(out, &total, 4);
	out[4] = (char)kind;
	memcpy(out + DENET_FRAME_HEAD, payload, len);
	return DENET_FRAME_HEAD + (size_t)len;
}

/* A batch request, decoded. Strings point into the request's buffer. */
struct denet_request {
	struct denet_batch head;
	int32_t *accept; /* head.n_accept codes */
	struct denet_counter counters[DENET_MAX_COUNTERS]; /* head.n_counters of them */
	char *program, *input, *output;
	char **argv; /* NULL-terminated */
	char **extra_env; /* "NAME=VALUE", NULL-terminated */
	char **cg_dirs, **cg_sets, **cg_reads; /* the runs' cgroups, each NULL-terminated (empty: none) */
	char *cg_leaf; /* the command's leaf in directory cg_born - 1 */
};

/* Cursor over a request's payload; `bad` once something did not fit. */
struct denet_cursor {
	char *p, *end;
	int bad;
};

static inline void denet_take(struct denet_cursor *c, void *out, size_t n)
{
	if (c->bad || (size_t)(c->end - c->p) < n) {
		c->bad = 1;
		memset(out, 0, n);
		return;
	}
	memcpy(out, c->p, n);
	c->p += n;
}

/* A string, returned NUL-terminated in place (the length field before it is spent). */
static inline char *denet_take_str(struct denet_cursor *c)
{
	uint32_t n;
	denet_take(c, &n, 4);
	if (c->bad || (size_t)(c->end - c->p) < n) {
		c->bad = 1;
		return NULL;
	}
	char *s = c->p - 1; /* one byte left, over the length's last byte, to make room for the NUL */
	memmove(s, c->p, n);
	s[n] = 0;
	c->p += n;
	return s;
}

static inline char **denet_take_list(struct denet_cursor *c)
{
	uint32_t n;
	denet_take(c, &n, 4);
	if (c->bad || n > DENET_MAX_LIST)
		return c->bad = 1, NULL;
	char **v = calloc(n + 1, sizeof(char *));
	if (!v)
		return c->bad = 1, NULL;
	for (uint32_t i = 0; i < n && !c->bad; i++)
		v[i] = denet_take_str(c);
	return v;
}

/* Decode a batch's payload (after the kind byte) in place; -1 when malformed. Free with denet_request_free. */
static inline int denet_decode_batch(char *payload, uint32_t len, struct denet_request *r)
{
	struct denet_cursor c = { payload, payload + len, 0 };
	memset(r, 0, sizeof *r);
	denet_take(&c, &r->head, sizeof r->head);
	uint32_t n_accept = r->head.n_accept;
	if (n_accept > DENET_MAX_ACCEPT)
		return -1;
	r->accept = calloc(n_accept + 1, sizeof(int32_t));
	if (!r->accept)
		return -1;
	denet_take(&c, r->accept, (size_t)n_accept * sizeof(int32_t));
	if (r->head.n_counters > DENET_MAX_COUNTERS)
		return -1;
	denet_take(&c, r->counters, (size_t)r->head.n_counters * sizeof(struct denet_counter));
	r->program = denet_take_str(&c);
	r->input = denet_take_str(&c);
	r->output = denet_take_str(&c);
	r->argv = denet_take_list(&c);
	r->extra_env = denet_take_list(&c);
	r->cg_dirs = denet_take_list(&c);
	r->cg_sets = denet_take_list(&c);
	r->cg_reads = denet_take_list(&c);
	r->cg_leaf = denet_take_str(&c);
	return c.bad || !r->argv || !r->argv[0] || strchr(r->cg_leaf, '/') ? -1 : 0;
}

static inline void denet_request_free(struct denet_request *r)
{
	free(r->accept);
	free(r->argv);
	free(r->extra_env);
	free(r->cg_dirs);
	free(r->cg_sets);
	free(r->cg_reads);
}

#endif
