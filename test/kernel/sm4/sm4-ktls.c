// SPDX-License-Identifier: MIT
/*
 * SM4-GCM or SM4-CCM through kTLS on loopback TCP, no handshake: both ends get
 * the same keys with setsockopt(SOL_TLS, TLS_TX / TLS_RX), as kTLS allows.
 *
 *   sm4-ktls gcm|ccm 1.2|1.3 KEY SALT IV SEQ SCRIPT REQ1 REQ2 [REQ...]
 *
 * KEY (16 bytes), SALT (4), IV (8), SEQ (8) and each REQ are hex. The sender
 * sends each REQ with one send(), so each is one record. REQ1 and REQ2 go out
 * before the receiver has its TLS_RX: it peeks at them as TCP delivered them
 * ("wire HEX"), then sets TLS_RX, attaches the kscript tls script SCRIPT
 * (TLS_LUA_ATTACH) and lets it decide ("decided CODE FILE" once the script
 * stops asking for more, code 100). The later REQs are sent one at a time, each
 * decided before the next. Then, on fresh connections, the peeked bytes are
 * written raw to a kTLS receiver ("replayed ...") and once more with one bit of
 * the first record's tag flipped ("tampered ...", which must fail).
 */
#define _GNU_SOURCE	/* strerrorname_np */
#include <errno.h>
#include <linux/tls.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../../../kmod/tls/tls_lua_abi.h"

#define TAG_SIZE 16

union sm4_info {
	struct tls_crypto_info info;
	struct tls12_crypto_info_sm4_gcm gcm;
	struct tls12_crypto_info_sm4_ccm ccm;
};

static union sm4_info ci;
static socklen_t ci_len;
static int tls13;
static const char *script;

static void die(const char *what)
{
	fprintf(stderr, "sm4-ktls: %s: %s\n", what, strerror(errno));
	exit(1);
}

static size_t unhex(const char *s, unsigned char *out, size_t max)
{
	size_t n = strlen(s) / 2, i;
	unsigned int b;

	if (strlen(s) % 2 || n > max) {
		fprintf(stderr, "sm4-ktls: bad hex argument %s\n", s);
		exit(2);
	}
	for (i = 0; i < n; i++) {
		if (sscanf(s + 2 * i, "%2x", &b) != 1) {
			fprintf(stderr, "sm4-ktls: bad hex argument %s\n", s);
			exit(2);
		}
		out[i] = b;
	}
	return n;
}

static void unhex_exact(const char *s, unsigned char *out, size_t n)
{
	if (unhex(s, out, n) != n) {
		fprintf(stderr, "sm4-ktls: %s must be %zu bytes\n", s, n);
		exit(2);
	}
}

/* A connected pair on 127.0.0.1: *tx the connecting end, *rx the accepted. */
static void pair(int *tx, int *rx)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof(a);
	int l = socket(AF_INET, SOCK_STREAM, 0), one = 1;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (l < 0 || bind(l, (struct sockaddr *)&a, sizeof(a)) ||
	    listen(l, 1) || getsockname(l, (struct sockaddr *)&a, &len))
		die("listen");
	*tx = socket(AF_INET, SOCK_STREAM, 0);
	if (*tx < 0 || connect(*tx, (struct sockaddr *)&a, sizeof(a)))
		die("connect");
	*rx = accept(l, NULL, NULL);
	if (*rx < 0)
		die("accept");
	close(l);
	setsockopt(*tx, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

static void ktls(int fd, int dir)
{
	if (setsockopt(fd, SOL_TCP, TCP_ULP, "tls", sizeof("tls")))
		die("TCP_ULP tls");
	if (setsockopt(fd, SOL_TLS, dir, &ci, ci_len))
		die(dir == TLS_TX ? "TLS_TX" : "TLS_RX");
}

/* The receiver: kTLS with the script attached. */
static void receiver(int fd)
{
	ktls(fd, TLS_RX);
	if (setsockopt(fd, SOL_TLS, TLS_LUA_ATTACH, script, strlen(script) + 1))
		die("TLS_LUA_ATTACH");
}

/* Bytes one record of n plaintext bytes takes on the wire. */
static size_t record_size(size_t n)
{
	return 5 + (tls13 ? 1 : TLS_CIPHER_SM4_GCM_IV_SIZE) + n + TAG_SIZE;
}

/* recv until the script decides; prints what it decided, or how recv ended. */
static void decide(int fd, const char *label)
{
	char buf[16384], file[TLS_LUA_FILE_MAX + 1];
	int recvs = 0, v;
	socklen_t len;
	ssize_t n;

	for (;;) {
		n = recv(fd, buf, sizeof(buf), 0);
		recvs++;
		if (n >= 0) {
			printf("%s passed %zd bytes after %d recvs\n", label, n, recvs);
			return;
		}
		if (errno != EAGAIN) {
			printf("%s recv failed: %s\n", label, strerrorname_np(errno));
			return;
		}
		len = sizeof(v);
		if (getsockopt(fd, SOL_TLS, TLS_LUA_ERRNO, &v, &len))
			die("TLS_LUA_ERRNO");
		if (v != TLS_LUA_OK) {
			printf("%s script error\n", label);
			return;
		}
		len = sizeof(v);
		if (getsockopt(fd, SOL_TLS, TLS_LUA_CODE, &v, &len))
			die("TLS_LUA_CODE");
		if (v == 100)	/* the request goes on in the next record */
			continue;
		len = sizeof(file);
		if (getsockopt(fd, SOL_TLS, TLS_LUA_FILE, file, &len))
			die("TLS_LUA_FILE");
		printf("%s decided %d '%s' after %d recvs\n", label, v, file, recvs);
		return;
	}
}

static void send_all(int fd, const unsigned char *p, size_t n)
{
	ssize_t w = send(fd, p, n, 0);

	if (w < 0 || (size_t)w != n)
		die("send");
}

int main(int argc, char **argv)
{
	static unsigned char req[16][4096], wire[2 * (4096 + 64)];
	size_t req_len[16], want, i;
	struct pollfd p;
	int nreq, tx, rx, one = 1, gcm, lowat;
	ssize_t n;

	if (argc < 10 || argc > 8 + 16 ||
	    (strcmp(argv[1], "gcm") && strcmp(argv[1], "ccm")) ||
	    (strcmp(argv[2], "1.2") && strcmp(argv[2], "1.3"))) {
		fprintf(stderr, "usage: sm4-ktls gcm|ccm 1.2|1.3 KEY SALT IV SEQ SCRIPT REQ1 REQ2 [REQ...] (hex, at most 16 REQs)\n");
		return 2;
	}
	gcm = !strcmp(argv[1], "gcm");
	tls13 = !strcmp(argv[2], "1.3");
	ci.info.version = tls13 ? TLS_1_3_VERSION : TLS_1_2_VERSION;
	if (gcm) {
		ci.info.cipher_type = TLS_CIPHER_SM4_GCM;
		unhex_exact(argv[3], ci.gcm.key, TLS_CIPHER_SM4_GCM_KEY_SIZE);
		unhex_exact(argv[4], ci.gcm.salt, TLS_CIPHER_SM4_GCM_SALT_SIZE);
		unhex_exact(argv[5], ci.gcm.iv, TLS_CIPHER_SM4_GCM_IV_SIZE);
		unhex_exact(argv[6], ci.gcm.rec_seq, TLS_CIPHER_SM4_GCM_REC_SEQ_SIZE);
		ci_len = sizeof(ci.gcm);
	} else {
		ci.info.cipher_type = TLS_CIPHER_SM4_CCM;
		unhex_exact(argv[3], ci.ccm.key, TLS_CIPHER_SM4_CCM_KEY_SIZE);
		unhex_exact(argv[4], ci.ccm.salt, TLS_CIPHER_SM4_CCM_SALT_SIZE);
		unhex_exact(argv[5], ci.ccm.iv, TLS_CIPHER_SM4_CCM_IV_SIZE);
		unhex_exact(argv[6], ci.ccm.rec_seq, TLS_CIPHER_SM4_CCM_REC_SEQ_SIZE);
		ci_len = sizeof(ci.ccm);
	}
	script = argv[7];
	nreq = argc - 8;
	for (i = 0; i < (size_t)nreq; i++)
		req_len[i] = unhex(argv[8 + i], req[i], sizeof(req[i]));

	pair(&tx, &rx);
	ktls(tx, TLS_TX);
	send_all(tx, req[0], req_len[0]);
	send_all(tx, req[1], req_len[1]);

	/* Both records as TCP delivered them, left in the queue for TLS_RX. */
	want = record_size(req_len[0]) + record_size(req_len[1]);
	lowat = want;
	if (setsockopt(rx, SOL_SOCKET, SO_RCVLOWAT, &lowat, sizeof(lowat)))
		die("SO_RCVLOWAT");
	p = (struct pollfd){ .fd = rx, .events = POLLIN };
	if (poll(&p, 1, -1) != 1)
		die("poll");
	n = recv(rx, wire, sizeof(wire), MSG_PEEK | MSG_DONTWAIT);
	if (n < 0 || (size_t)n != want) {
		fprintf(stderr, "sm4-ktls: %zd bytes on the wire, %zu expected\n", n, want);
		return 1;
	}
	if (setsockopt(rx, SOL_SOCKET, SO_RCVLOWAT, &one, sizeof(one)))
		die("SO_RCVLOWAT");
	printf("wire ");
	for (i = 0; i < want; i++)
		printf("%02x", wire[i]);
	printf("\n");

	receiver(rx);
	decide(rx, "request 1+2");
	for (i = 2; i < (size_t)nreq; i++) {
		char label[32];

		send_all(tx, req[i], req_len[i]);
		snprintf(label, sizeof(label), "request %zu", i + 1);
		decide(rx, label);
	}
	close(tx);
	close(rx);

	/* The bytes from the wire, written raw: kTLS decrypts them alike. */
	pair(&tx, &rx);
	receiver(rx);
	send_all(tx, wire, want);
	decide(rx, "replayed");
	close(tx);
	close(rx);

	/* One bit of the first record's tag flipped: the record fails authentication. */
	pair(&tx, &rx);
	receiver(rx);
	wire[record_size(req_len[0]) - 1] ^= 1;
	send_all(tx, wire, want);
	decide(rx, "tampered");
	close(tx);
	close(rx);
	return 0;
}
