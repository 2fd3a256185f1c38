// SPDX-License-Identifier: MIT
/*
 * HTTPS over kTLS with a kscript recv hook deciding: the handshake runs in
 * user space (GnuTLS), the keys go to the kernel (TLS_RX/TLS_TX), the
 * socket's script sees each request's plaintext in recvmsg, and the server
 * only answers what it decided, serving files with sendfile.
 *
 * ktls-server PORT ROOT CERT KEY [--cmsg] (--script FILE [--entry NAME] |
 *             --attach NAME) [--priority GNUTLS-PRIORITY]
 *
 * --script ships the text on every connection (the original kTLS hook's LOADSCRIPT and
 * RECVENTRY); --attach names a script loaded once with `kscript deploy`.
 * Without --cmsg a decision is recv's EAGAIN and the getsockopts; with it,
 * the request's bytes and a TLS_LUA_DECISION control message (blocking).
 * Prints "listening PORT" when ready. One thread per connection.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <gnutls/gnutls.h>
#include <limits.h>
#include <linux/tls.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ktls_common.h"

/* The ktls-http template's "request incomplete: recv again". */
#define NEED_MORE 100
/* Added by the hook to a HEAD request's status: answer it with headers only. */
#define HEAD_ONLY 1000

static const char *root;
static const char *script_text;
static const char *entry = "recv";
static const char *attach;
static const char *priority = KTLS_PRIORITY;
static int cmsg;
static gnutls_certificate_credentials_t creds;

static int set_str(int fd, int opt, const char *s)
{
	return setsockopt(fd, SOL_TLS, opt, s, strlen(s) + 1);
}

static int send_all(int fd, const char *buf, size_t len, int flags)
{
	while (len) {
		ssize_t n = send(fd, buf, len, flags);

		if (n < 0)
			return -1;
		buf += n;
		len -= n;
	}
	return 0;
}

/* Answer an error status (its body too unless head); 0 to keep the connection. */
static int send_status(int fd, int code, int head_only)
{
	char head[256];
	int keep = code == 404 || code == 405 || code == 417;
	int n = snprintf(head, sizeof(head),
			 "HTTP/1.1 %d %s\r\nContent-Length: %zu\r\n%s\r\n%s\n",
			 code, http_reason(code), strlen(http_reason(code)) + 1,
			 keep ? "" : "Connection: close\r\n", http_reason(code));

	if (head_only)
		n -= strlen(http_reason(code)) + 1;

	return send_all(fd, head, n, 0) || !keep ? -1 : 0;
}

static int send_file(int fd, const char *file, int head_only)
{
	char path[PATH_MAX + TLS_LUA_FILE_MAX + 2], head[256];
	struct stat st;
	off_t off = 0;
	int n, in;

	snprintf(path, sizeof(path), "%s%s", root, file);
	in = open(path, O_RDONLY);
	if (in < 0 || fstat(in, &st) < 0 || !S_ISREG(st.st_mode)) {
		if (in >= 0)
			close(in);
		return send_status(fd, 404, head_only);
	}
	n = snprintf(head, sizeof(head),
		     "HTTP/1.1 200 OK\r\nContent-Length: %lld\r\n"
		     "Content-Type: application/octet-stream\r\n\r\n",
		     (long long)st.st_size);
	if (send_all(fd, head, n, MSG_MORE) < 0)
		goto fail;
	while (!head_only && off < st.st_size)
		if (sendfile(fd, in, &off, st.st_size - off) <= 0)
			goto fail;
	close(in);
	return 0;
fail:
	close(in);
	return -1;
}

/* One decision of the hook: 0 to keep the connection. */
static int answer(int fd, int code, const char *file)
{
	int head_only = code >= HEAD_ONLY;

	if (head_only)
		code -= HEAD_ONLY;
	if (code != 200)
		return send_status(fd, code, head_only);
	return send_file(fd, file, head_only);
}

/* Requests on one kTLS connection with TLS_LUA_CMSG, blocking recvmsg. */
static void serve_cmsg(int fd)
{
	union {
		char buf[TLS_LUA_CMSG_SPACE];
		struct cmsghdr align;
	} control;
	const struct tls_lua_decision *d;
	char buf[16384];
	struct iovec iov = { buf, sizeof(buf) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	ssize_t n;
	int type;

	for (;;) {
		msg.msg_control = control.buf;
		msg.msg_controllen = sizeof(control.buf);
		n = recvmsg(fd, &msg, 0);
		if (n <= 0)
			return;
		d = ktls_decision(&msg, &type);
		/* An alert (the peer's close_notify): the connection is over. */
		if (type != KTLS_RECORD_DATA)
			return;
		if (!d || d->status != TLS_LUA_OK || !d->code) {
			fprintf(stderr, "ktls-server: request passed through (%s)\n",
				d && d->status == TLS_LUA_RECVERR ?
				"script error" : "code 0");
			send_status(fd, 500, 0);
			return;
		}
		if (d->code != NEED_MORE && answer(fd, d->code, d->file) < 0)
			return;
	}
}

/* Requests on one kTLS connection until the peer goes or an error closes it. */
static void serve(int fd)
{
	char buf[16384], file[TLS_LUA_FILE_MAX + 1];
	socklen_t len;
	int code, status;
	ssize_t n;

	for (;;) {
		n = recv(fd, buf, sizeof(buf), 0);
		if (n == 0)
			return;
		if (n < 0 && errno != EAGAIN)
			return;
		len = sizeof(status);
		if (getsockopt(fd, SOL_TLS, TLS_LUA_ERRNO, &status, &len) < 0)
			return;
		if (n > 0 || status == TLS_LUA_RECVERR) {
			/* Let through (code 0, or an attached script failed), or failed. */
			fprintf(stderr, "ktls-server: request %s\n",
				n < 0 ? "failed (script error)" :
				status == TLS_LUA_RECVERR ?
				"passed through (script error)" :
				"passed through (code 0)");
			send_status(fd, 500, 0);
			return;
		}
		len = sizeof(code);
		if (getsockopt(fd, SOL_TLS, TLS_LUA_CODE, &code, &len) < 0)
			return;
		if (code == NEED_MORE)
			continue;
		len = sizeof(file);
		if (getsockopt(fd, SOL_TLS, TLS_LUA_FILE, file, &len) < 0 ||
		    answer(fd, code, file) < 0)
			return;
	}
}

static void *connection(void *arg)
{
	int fd = (int)(long)arg;
	gnutls_session_t s;
	int ret;

	if (gnutls_init(&s, GNUTLS_SERVER | GNUTLS_NO_TICKETS) < 0)
		goto out;
	if (gnutls_priority_set_direct(s, priority, NULL) < 0)
		goto deinit;
	gnutls_credentials_set(s, GNUTLS_CRD_CERTIFICATE, creds);
	gnutls_transport_set_int(s, fd);
	do
		ret = gnutls_handshake(s);
	while (ret < 0 && !gnutls_error_is_fatal(ret));
	if (ret < 0)
		goto deinit;
	/* Bytes GnuTLS already read past the handshake would be lost to the kernel. */
	if (gnutls_record_check_pending(s)) {
		fprintf(stderr, "ktls-server: kTLS setup: data pending in GnuTLS\n");
		goto deinit;
	}
	if (setsockopt(fd, SOL_TCP, TCP_ULP, "tls", sizeof("tls")) < 0) {
		perror("ktls-server: kTLS setup: TCP_ULP");
		goto deinit;
	}
	if (push_keys(fd, s, 0) < 0 || push_keys(fd, s, 1) < 0) {
		fprintf(stderr, "ktls-server: kTLS setup: keys (%s, %s): %s\n",
			gnutls_protocol_get_name(gnutls_protocol_get_version(s)),
			gnutls_cipher_get_name(gnutls_cipher_get(s)),
			strerror(errno));
		goto deinit;
	}
	if (attach ? set_str(fd, TLS_LUA_ATTACH, attach) < 0 :
	    set_str(fd, TLS_LUA_LOADSCRIPT, script_text) < 0 ||
	    set_str(fd, TLS_LUA_RECVENTRY, entry) < 0) {
		perror("ktls-server: script");
		goto deinit;
	}
	if (cmsg && setsockopt(fd, SOL_TLS, TLS_LUA_CMSG, &cmsg, sizeof(cmsg)) < 0) {
		perror("ktls-server: TLS_LUA_CMSG");
		goto deinit;
	}
	if (cmsg)
		serve_cmsg(fd);
	else
		serve(fd);
deinit:
	gnutls_deinit(s);
out:
	close(fd);
	return NULL;
}

static char *read_text(const char *path)
{
	FILE *f = fopen(path, "r");
	char *text;
	long size;

	if (!f || fseek(f, 0, SEEK_END) || (size = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET))
		return NULL;
	text = calloc(1, size + 1);
	if (text && fread(text, 1, size, f) != (size_t)size) {
		free(text);
		text = NULL;
	}
	fclose(f);
	return text;
}

static int usage(void)
{
	fprintf(stderr, "usage: ktls-server PORT ROOT CERT KEY "
		"[--cmsg] (--script FILE [--entry NAME] | --attach NAME) "
		"[--priority GNUTLS-PRIORITY]\n");
	return 2;
}

int main(int argc, char **argv)
{
	int one = 1, lfd, i;
	pthread_attr_t attr;

	if (argc < 7)
		return usage();
	root = argv[2];
	for (i = 5; i < argc && !strcmp(argv[i], "--cmsg"); i++)
		cmsg = 1;
	for (; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--script"))
			script_text = read_text(argv[i + 1]);
		else if (!strcmp(argv[i], "--entry"))
			entry = argv[i + 1];
		else if (!strcmp(argv[i], "--attach"))
			attach = argv[i + 1];
		else if (!strcmp(argv[i], "--priority"))
			priority = argv[i + 1];
		else
			return usage();
	}
	if (i != argc || (!script_text && !attach)) {
		fprintf(stderr, "ktls-server: no script\n");
		return usage();
	}
	signal(SIGPIPE, SIG_IGN);
	if (ktls_credentials("ktls-server", argv[3], argv[4], &creds) < 0)
		return 1;
	lfd = ktls_listen("ktls-server", atoi(argv[1]), 0, 0, 512);
	if (lfd < 0)
		return 1;
	printf("listening %s\n", argv[1]);
	fflush(stdout);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	for (;;) {
		int fd = accept(lfd, NULL, NULL);
		pthread_t t;

		if (fd < 0)
			continue;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		if (pthread_create(&t, &attr, connection, (void *)(long)fd))
			close(fd);
	}
}
