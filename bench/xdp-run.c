// SPDX-License-Identifier: MIT
/*
 * BPF_PROG_TEST_RUN driver for bench/xdp.ts: loads the XDP program of an
 * object, runs it on one packet (from a file) N times, each run on a fresh
 * copy of the packet, and prints "retval reply_bytes median_ns runs", the
 * time being the kernel's own measure of each run. The median, not the mean:
 * on a shared machine under emulation a run the host preempts costs many
 * times the others, and the mean follows the host's load. The first run's
 * output packet goes to OUT.
 *
 * Usage: xdp-run OBJ PACKET N OUT
 */
#include <stdio.h>
#include <stdlib.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

static int compare(const void *a, const void *b)
{
	unsigned long long x = *(const unsigned long long *)a;
	unsigned long long y = *(const unsigned long long *)b;

	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	unsigned char in[1500], out[4096];
	struct bpf_program *prog;
	struct bpf_object *obj;
	unsigned long long *ns;
	unsigned int retval = 0, out_len = 0;
	size_t in_len;
	long runs, i;
	FILE *f;
	int fd;

	if (argc != 5) {
		fprintf(stderr, "usage: xdp-run OBJ PACKET N OUT\n");
		return 2;
	}
	runs = atol(argv[3]);
	ns = calloc(runs > 0 ? runs : 1, sizeof(*ns));
	if (runs < 1 || !ns) {
		fprintf(stderr, "xdp-run: N must be a positive number of runs\n");
		return 2;
	}
	f = fopen(argv[2], "rb");
	if (!f)
		return perror(argv[2]), 1;
	in_len = fread(in, 1, sizeof(in), f);
	fclose(f);
	obj = bpf_object__open_file(argv[1], NULL);
	if (!obj || bpf_object__load(obj)) {
		fprintf(stderr, "xdp-run: cannot load %s\n", argv[1]);
		return 1;
	}
	prog = bpf_object__next_program(obj, NULL);
	fd = bpf_program__fd(prog);
	for (i = 0; i <= runs; i++) {
		LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = in,
			    .data_size_in = in_len, .data_out = out,
			    .data_size_out = sizeof(out), .repeat = 1);

		if (bpf_prog_test_run_opts(fd, &o)) {
			perror("BPF_PROG_TEST_RUN");
			return 1;
		}
		if (i == 0) {	/* the reply to compare; not timed */
			retval = o.retval;
			out_len = o.data_size_out;
			f = fopen(argv[4], "wb");
			if (!f || fwrite(out, 1, out_len, f) != out_len)
				return perror(argv[4]), 1;
			fclose(f);
			continue;
		}
		if (o.retval != retval) {
			fprintf(stderr, "xdp-run: run %ld returned %u, not %u\n",
				i, o.retval, retval);
			return 1;
		}
		ns[i - 1] = o.duration;
	}
	qsort(ns, runs, sizeof(*ns), compare);
	printf("%u %u %llu %ld\n", retval, out_len, ns[runs / 2], runs);
	bpf_object__close(obj);
	return 0;
}
