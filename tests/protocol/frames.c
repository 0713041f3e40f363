// SPDX-License-Identifier: MIT OR Apache-2.0
/*
 * The C end of the protocol test (src/bench/protocol/cross_language.rs),
 * built from spawner/protocol.h alone:
 *   frames emit    writes every frame kind, with the values the test expects, to stdout;
 *   frames decode  reads frames from stdin and prints each one's fields on a line.
 */
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>

#include "protocol.h"

/* A payload under construction. Values are set by field name below, so a field moved in the header moves its value. */
struct buf {
	char b[4096];
	uint32_t n;
};

static void put(struct buf *b, const void *p, size_t n)
{
	memcpy(b->b + b->n, p, n);
	b->n += (uint32_t)n;
}

static void put_str(struct buf *b, const char *s)
{
	uint32_t n = (uint32_t)strlen(s);
	put(b, &n, 4);
	put(b, s, n);
}

static void put_list(struct buf *b, const char *const *v)
{
	uint32_t n = 0;
	while (v[n])
		n++;
	put(b, &n, 4);
	for (uint32_t i = 0; i < n; i++)
		put_str(b, v[i]);
}

static void emit(uint8_t kind, const void *payload, uint32_t len)
{
	char frame[DENET_FRAME_HEAD + sizeof(struct buf)];
	fwrite(frame, 1, denet_put_frame(frame, kind, payload, len), stdout);
}

/* A batch's cgroup part: directories, settings, reads, and the command's leaf. */
struct cg_lists {
	const char *const *lists[3];
	const char *leaf;
};

static void emit_batch(struct denet_batch head, const int32_t *codes, const struct denet_counter *counters,
		       const char *const strings[3], const char *const *argv, const char *const *env,
		       const struct cg_lists *cg)
{
	struct buf b = { .n = 0 };
	put(&b, &head, sizeof head);
	put(&b, codes, head.n_accept * sizeof(int32_t));
	put(&b, counters, head.n_counters * sizeof(struct denet_counter));
	for (int i = 0; i < 3; i++)
		put_str(&b, strings[i]);
	put_list(&b, argv);
	put_list(&b, env);
	for (int i = 0; i < 3; i++)
		put_list(&b, cg->lists[i]);
	put_str(&b, cg->leaf);
	emit(DENET_BATCH, b.b, b.n);
}

static void emit_all(void)
{
	/* No cgroups: three empty lists and no leaf. */
	static const char *const none[] = { NULL };
	static const struct cg_lists no_cg = { { none, none, none }, "" };
	static const int32_t codes[] = { 1, 255, -2 };
	/* denet's instructions (hardware, user space), task clock (software, user space), context switches (software). */
	static const struct denet_counter counters[] = { { .type = 0, .config = 1, .user_only = 1 },
							 { .type = 1, .config = 1, .user_only = 1 },
							 { .type = 1, .config = 3, .user_only = 0 } };
	static const char *const argv1[] = { "sh", "-c", "echo h\xc3\xa9", NULL };
	static const char *const env1[] = { "A=1=2", "B=", NULL };
	static const char *const files1[] = { "/bin/sh", "/tmp/in", "/tmp/out" };
	struct denet_batch b1 = { .count = 7,
				  .first = (1ull << 40) + 3,
				  .iter_mode = DENET_ITER_WARMUP,
				  .out_mode = DENET_OUT_FILE,
				  .has_input = 1,
				  .search_path = 0,
				  .accept_mode = DENET_ACCEPT_LIST,
				  .n_accept = 3,
				  .n_counters = 3 };
	emit_batch(b1, codes, counters, files1, argv1, env1, &no_cg);
	static const char *const argv2[] = { "true", NULL };
	static const char *const env2[] = { NULL };
	static const char *const files2[] = { "", "", "" };
	struct denet_batch b2 = { .count = 1,
				  .first = 0,
				  .iter_mode = DENET_ITER_RUN,
				  .out_mode = DENET_OUT_PIPE,
				  .search_path = 1,
				  .accept_mode = DENET_ACCEPT_ANY };
	emit_batch(b2, codes, counters, files2, argv2, env2, &no_cg);
	struct denet_batch b3 = { .count = 2,
				  .first = 9,
				  .iter_mode = DENET_ITER_NONE,
				  .out_mode = DENET_OUT_INHERIT,
				  .search_path = 1,
				  .accept_mode = DENET_ACCEPT_ZERO };
	emit_batch(b3, codes, counters, files2, argv2, env2, &no_cg);
	/* A command's runs in its cgroups: born in leaf c1 of the v2 directory, a v1 memory group. */
	static const char *const dirs[] = { "/sys/fs/cgroup/unified/denet-7", "/sys/fs/cgroup/memory/denet-7", NULL };
	static const char *const sets[] = { "0:memory.max=52428800", NULL };
	static const char *const reads[] = { "0:cpu.stat", "1:memory.max_usage_in_bytes=0", NULL };
	static const struct cg_lists cg = { { dirs, sets, reads }, "c1" };
	struct denet_batch b4 = { .count = 3,
				  .iter_mode = DENET_ITER_RUN,
				  .out_mode = DENET_OUT_NULL,
				  .search_path = 1,
				  .accept_mode = DENET_ACCEPT_ZERO,
				  .cg_born = 1 };
	emit_batch(b4, codes, counters, files2, argv2, env2, &cg);
	emit(DENET_KILL, "", 0);
	struct denet_spawned s = { .pid = 4242, .at_ns = 0x0102030405060708ull };
	emit(DENET_SPAWNED, &s, sizeof s);
	struct denet_failed f = { .part = DENET_FAILED_OUTPUT, .err = 13 };
	emit(DENET_FAILED, &f, sizeof f);
	struct denet_done d1 = { .wall_s = 0.25,
				 .code = -1,
				 .signal = 9,
				 .user_s = 0.5,
				 .system_s = 0.125,
				 .maxrss_bytes = 1u << 20,
				 .minflt = 2,
				 .majflt = 3,
				 .nvcsw = 4,
				 .nivcsw = 5,
				 .inblock = 6,
				 .oublock = 7,
				 .rchar = 8,
				 .wchar = 9,
				 .read_bytes = 10,
				 .write_bytes = 11,
				 .cancelled_write_bytes = 22,
				 .io_ok = 1,
				 .killed = 1,
				 .counts = { 19, 0, 21 },
				 .n_counters = 3,
				 .counted = 5 };
	emit(DENET_DONE, &d1, sizeof d1);
	/* Exited, I/O not read (its counters 0, as denet writes them). */
	struct denet_done d2 = { .wall_s = 1.5,
				 .code = 3,
				 .signal = 0,
				 .user_s = 0.75,
				 .system_s = 0.0625,
				 .maxrss_bytes = 12,
				 .minflt = 13,
				 .majflt = 14,
				 .nvcsw = 15,
				 .nivcsw = 16,
				 .inblock = 17,
				 .oublock = 18 };
	emit(DENET_DONE, &d2, sizeof d2);
	struct denet_end e = { .runs = 5 };
	emit(DENET_END, &e, sizeof e);
}

static void print_list(const char *name, char **v)
{
	printf(" %s=", name);
	for (int i = 0; v[i]; i++)
		printf("%s%s", i ? "|" : "", v[i]);
}

static int print_batch(char *payload, uint32_t len)
{
	struct denet_request r;
	if (denet_decode_batch(payload, len, &r) < 0)
		return -1;
	struct denet_batch h = r.head;
	printf("B count=%" PRIu32 " first=%" PRIu64 " iter=%d out=%d input=%d search=%d accept=%d codes=", h.count,
	       h.first, h.iter_mode, h.out_mode, h.has_input, h.search_path, h.accept_mode);
	for (uint32_t i = 0; i < h.n_accept; i++)
		printf("%s%" PRId32, i ? "," : "", r.accept[i]);
	printf(" counters=");
	for (int i = 0; i < h.n_counters; i++) {
		struct denet_counter c;
		memcpy(&c, &r.counters[i], sizeof c);
		printf("%s%" PRIu32 ":%" PRIu64 ":%d", i ? "," : "", c.type, c.config, c.user_only);
	}
	printf(" program=%s input=%s output=%s", r.program, r.input, r.output);
	print_list("argv", r.argv);
	print_list("env", r.extra_env);
	printf(" cg_born=%d", h.cg_born);
	print_list("cg_dirs", r.cg_dirs);
	print_list("cg_sets", r.cg_sets);
	print_list("cg_reads", r.cg_reads);
	printf(" cg_leaf=%s\n", r.cg_leaf);
	denet_request_free(&r);
	return 0;
}

static void print_done(const struct denet_done *d)
{
	printf("D wall=%.17g code=%" PRId32 " signal=%" PRId32 " user=%.17g system=%.17g", d->wall_s, d->code,
	       d->signal, d->user_s, d->system_s);
	printf(" maxrss=%" PRIu64 " minflt=%" PRIu64 " majflt=%" PRIu64 " nvcsw=%" PRIu64 " nivcsw=%" PRIu64,
	       d->maxrss_bytes, d->minflt, d->majflt, d->nvcsw, d->nivcsw);
	printf(" inblock=%" PRIu64 " oublock=%" PRIu64 " rchar=%" PRIu64 " wchar=%" PRIu64, d->inblock, d->oublock,
	       d->rchar, d->wchar);
	printf(" read=%" PRIu64 " write=%" PRIu64 " cancelled=%" PRIu64 " io_ok=%d killed=%d counts=", d->read_bytes,
	       d->write_bytes, d->cancelled_write_bytes, d->io_ok, d->killed);
	for (int i = 0; i < d->n_counters && i < DENET_MAX_COUNTERS; i++) {
		uint64_t v;
		memcpy(&v, (const char *)d + offsetof(struct denet_done, counts) + (size_t)i * sizeof v, sizeof v);
		printf("%s%s", i ? "," : "", d->counted >> i & 1 ? "" : "-");
		if (d->counted >> i & 1)
			printf("%" PRIu64, v);
	}
	printf("\n");
}

/* Copy a fixed payload out of the frame; -1 when the frame's size is not its kind's. */
static int fixed(void *out, size_t size, const char *payload, uint32_t len)
{
	if (len != size)
		return -1;
	memcpy(out, payload, size);
	return 0;
}

/* One frame's fields on a line; -1 when malformed. */
static int print_frame(char *body, uint32_t len)
{
	char *p = body + 1;
	uint32_t n = len - 1;
	struct denet_spawned s;
	struct denet_failed f;
	struct denet_done d;
	struct denet_end e;
	if (body[0] == DENET_BATCH)
		return print_batch(p, n);
	if (body[0] == DENET_KILL && n == 0)
		printf("K\n");
	else if (body[0] == DENET_SPAWNED && fixed(&s, sizeof s, p, n) == 0)
		printf("S pid=%" PRIu32 " at_ns=%" PRIu64 "\n", s.pid, s.at_ns);
	else if (body[0] == DENET_FAILED && fixed(&f, sizeof f, p, n) == 0)
		printf("F part=%d err=%" PRId32 "\n", f.part, f.err);
	else if (body[0] == DENET_DONE && fixed(&d, sizeof d, p, n) == 0)
		print_done(&d);
	else if (body[0] == DENET_END && fixed(&e, sizeof e, p, n) == 0)
		printf("E runs=%" PRIu32 "\n", e.runs);
	else
		return -1;
	return 0;
}

static int decode_all(void)
{
	static char body[1 << 16];
	uint32_t len;
	while (fread(&len, 4, 1, stdin) == 1) {
		if (len == 0 || len > sizeof body || fread(body, 1, len, stdin) != len || print_frame(body, len) < 0) {
			fprintf(stderr, "frames: a bad frame\n");
			return 1;
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], "emit")) {
		emit_all();
		return 0;
	}
	if (argc == 2 && !strcmp(argv[1], "decode"))
		return decode_all();
	fprintf(stderr, "usage: frames emit|decode\n");
	return 2;
}
