// SPDX-License-Identifier: MIT
/*
 * A server written to the original kTLS Lua hook's ABI the way that
 * project's own test server uses it, to check that kscript's tls.ko
 * behaves as the original kernel did for such a program: one process
 * serving connections one after another, one request each; per connection
 * the hook's text and then one more LOADSCRIPT chunk per served file
 * ("files['NAME'] = true"), RECVENTRY "recv"; recv fails with EAGAIN when
 * the hook decided, and the server reads TLS_LUA_ERRNO, TLS_LUA_CODE and
 * TLS_LUA_FILE with one length variable per kind kept across every
 * connection, as the original server does. Bytes the hook lets through
 * (code 0) are the request arriving; the server waits for its end.
 *
 * ktls-original PORT ROOT CERT KEY HOOK.lua
 *
 * Prints "listening PORT", then a line per connection: the decision and
 * the length variables after it, or "recv lua err" when the hook failed.
 * On the first connection it also loads two scripts the kernel must refuse
 * (a syntax error, a raising top level) and prints what setsockopt said.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ktls_common.h"

#define NOT_FOUND "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n" \
	"Connection: close\r\n\r\n"

static char *read_text(const char *path)
{
	FILE *f = fopen(path, "r");
	char *text = NULL;
	long size;

	if (!f)
		return NULL;
	if (!fseek(f, 0, SEEK_END) && (size = ftell(f)) >= 0 &&
	    !fseek(f, 0, SEEK_SET)) {
		text = calloc(1, size + 1);
		if (text && fread(text, 1, size, f) != (size_t)size) {
			free(text);
			text = NULL;
		}
	}
	fclose(f);
	return text;
}

static int load(int fd, const char *text)
{
	return setsockopt(fd, SOL_TLS, TLS_LUA_LOADSCRIPT, text, strlen(text) + 1);
}

/* One more chunk per regular file of root, as the original's server does. */
static int load_files(int fd, const char *root)
{
	char chunk[NAME_MAX + 32];
	struct dirent *e;
	DIR *dir = opendir(root);
	int err = 0;

	if (!dir)
		return -1;
	while (!err && (e = readdir(dir)))
		if (e->d_type == DT_REG) {
			snprintf(chunk, sizeof(chunk), "files['%s'] = true", e->d_name);
			err = load(fd, chunk);
		}
	closedir(dir);
	return err;
}

/* The original server's answer: the file if it opens, else 404. */
static void answer(int fd, const char *root, const char *file)
{
	char path[PATH_MAX + TLS_LUA_FILE_MAX + 2], head[128];
	struct stat st;
	int in, n;

	snprintf(path, sizeof(path), "%s/%s", root, file);
	in = open(path, O_RDONLY);
	if (in < 0 || fstat(in, &st) < 0 || !S_ISREG(st.st_mode)) {
		if (send(fd, NOT_FOUND, strlen(NOT_FOUND), 0) < 0)
			perror("ktls-original: send");
	} else {
		n = snprintf(head, sizeof(head), "HTTP/1.1 200 OK\r\n"
			     "Content-Length: %lld\r\nConnection: close\r\n\r\n",
			     (long long)st.st_size);
		if (send(fd, head, n, MSG_MORE) < 0 ||
		    sendfile(fd, in, NULL, st.st_size) < 0)
			perror("ktls-original: send");
	}
	if (in >= 0)
		close(in);
}

static int handshake(gnutls_session_t *s, gnutls_certificate_credentials_t creds,
		     int fd)
{
	int ret;

	if (gnutls_init(s, GNUTLS_SERVER | GNUTLS_NO_TICKETS) < 0)
		return -1;
	gnutls_priority_set_direct(*s, KTLS_PRIORITY, NULL);
	gnutls_credentials_set(*s, GNUTLS_CRD_CERTIFICATE, creds);
	gnutls_transport_set_int(*s, fd);
	do
		ret = gnutls_handshake(*s);
	while (ret < 0 && !gnutls_error_is_fatal(ret));
	if (ret < 0 || gnutls_record_check_pending(*s) ||
	    setsockopt(fd, SOL_TCP, TCP_ULP, "tls", sizeof("tls")) < 0 ||
	    push_keys(fd, *s, 0) < 0 || push_keys(fd, *s, 1) < 0) {
		fprintf(stderr, "ktls-original: handshake or kTLS setup failed\n");
		gnutls_deinit(*s);
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	gnutls_certificate_credentials_t creds;
	/* One of each for the process's life, never reset: the original's way. */
	socklen_t intlen = sizeof(int), maxpath = TLS_LUA_FILE_MAX;
	char buf[4096], file[TLS_LUA_FILE_MAX + 1];
	int lfd, fd, n, off, err, code, first = 1;
	const char *root;
	gnutls_session_t s;
	char *hook;

	if (argc != 6) {
		fprintf(stderr, "usage: ktls-original PORT ROOT CERT KEY HOOK.lua\n");
		return 2;
	}
	root = argv[2];
	hook = read_text(argv[5]);
	if (!hook) {
		fprintf(stderr, "ktls-original: cannot read %s\n", argv[5]);
		return 1;
	}
	if (ktls_credentials("ktls-original", argv[3], argv[4], &creds) < 0)
		return 1;
	lfd = ktls_listen("ktls-original", atoi(argv[1]), 0, 0, 16);
	if (lfd < 0)
		return 1;
	printf("listening %s\n", argv[1]);
	fflush(stdout);
	for (;;) {
		fd = accept(lfd, NULL, NULL);
		if (fd < 0)
			continue;
		if (handshake(&s, creds, fd) < 0) {
			close(fd);
			continue;
		}
		if (load(fd, hook) < 0 ||
		    setsockopt(fd, SOL_TLS, TLS_LUA_RECVENTRY, "recv", 5) < 0 ||
		    load_files(fd, root) < 0) {
			perror("ktls-original: setsockopt[lua]");
			goto done;
		}
		if (first) {
			/* Refused chunks leave the loaded ones as they were. */
			err = load(fd, "files['x'] = ");
			printf("syntax error: %s\n", err ? strerror(errno) : "loaded");
			err = load(fd, "error('at load')");
			printf("raising chunk: %s\n", err ? strerror(errno) : "loaded");
			first = 0;
		}
		off = 0;
		while ((n = recv(fd, buf + off, sizeof(buf) - 1 - off, 0)) != 0) {
			if (n < 0 && errno == EAGAIN) {
				getsockopt(fd, SOL_TLS, TLS_LUA_ERRNO, &err, &intlen);
				if (err == TLS_LUA_RECVERR) {
					printf("recv lua err\n");
					break;
				}
				getsockopt(fd, SOL_TLS, TLS_LUA_CODE, &code, &intlen);
				getsockopt(fd, SOL_TLS, TLS_LUA_FILE, file, &maxpath);
				printf("code %d file '%s' intlen %u maxpath %u\n",
				       code, file, intlen, maxpath);
				answer(fd, root, file);
				break;
			}
			if (n < 0) {
				perror("ktls-original: recv");
				break;
			}
			/* Let through while the request is incomplete. */
			off += n;
			buf[off] = '\0';
			if (strstr(buf, "\r\n\r\n") || off == sizeof(buf) - 1) {
				printf("request passed through\n");
				break;
			}
		}
done:
		fflush(stdout);
		gnutls_deinit(s);
		close(fd);
	}
}
