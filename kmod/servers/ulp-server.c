// SPDX-License-Identifier: MIT
/*
 * A small HTTP file server behind the TCP ULP "lua" (kmod/core/ulp.c): the
 * listening socket gets the ULP and a sock script, so every request is shown
 * to the script before this server reads it, and a refused one fails recv
 * with ECONNREFUSED: the server then closes the connection unanswered.
 *
 *   ulp-server -p PORT -r ROOT (-a NAME | -s FILE.lua [-e ENTRY])
 *
 * -a attaches the script loaded with `kscript deploy` (ULP_ATTACH); -s ships
 * the script's text with ulp-lua's ULP_LOADSCRIPT and ULP_ENTRYPOINT
 * (entry "process" unless -e). One process per connection, so connections
 * run their hook calls side by side, each on its own Lua state.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

/* ulp-lua's ABI, and kscript's attach-by-name. */
#define SOL_LUA		999
#define ULP_LOADSCRIPT	1
#define ULP_ENTRYPOINT	2
#define ULP_ATTACH	3
#define ULP_SCRIPT_MAX	8192

#define REQUEST_MAX	16384

static const char *root = ".";

static void die(const char *what)
{
	perror(what);
	exit(1);
}

static void reply_status(int fd, int code, const char *reason)
{
	dprintf(fd, "HTTP/1.1 %d %s\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
		code, reason);
}

/* GET or HEAD of a file under root; anything else the hook let through gets 405. */
static void serve(int fd, char *request)
{
	char method[8], target[1024], path[2048];
	struct stat st;
	off_t off = 0;
	int file;

	if (sscanf(request, "%7s %1023s HTTP/", method, target) != 2 ||
	    target[0] != '/' || strstr(target, "..")) {
		reply_status(fd, 400, "Bad Request");
		return;
	}
	if (strcmp(method, "GET") && strcmp(method, "HEAD")) {
		reply_status(fd, 405, "Method Not Allowed");
		return;
	}
	snprintf(path, sizeof(path), "%s%s", root, target);
	file = open(path, O_RDONLY);
	if (file < 0 || fstat(file, &st) || !S_ISREG(st.st_mode)) {
		if (file >= 0)
			close(file);
		reply_status(fd, 404, "Not Found");
		return;
	}
	dprintf(fd, "HTTP/1.1 200 OK\r\nContent-Length: %lld\r\nConnection: close\r\n\r\n",
		(long long)st.st_size);
	if (!strcmp(method, "GET"))
		while (off < st.st_size && sendfile(fd, file, &off, st.st_size - off) > 0)
			;
	close(file);
}

static void handle(int fd)
{
	char request[REQUEST_MAX + 1];
	size_t len = 0;
	ssize_t n;

	/* The hook sees each receive; a request's head may take several. */
	while (len < REQUEST_MAX) {
		n = recv(fd, request + len, REQUEST_MAX - len, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == ECONNREFUSED) {
			fprintf(stderr, "ulp-server: request refused by the hook\n");
			return;
		}
		if (n <= 0)
			return;
		len += n;
		request[len] = '\0';
		if (strstr(request, "\r\n\r\n"))
			break;
	}
	serve(fd, request);
}

static void load_script(int fd, const char *file, const char *entry)
{
	char text[ULP_SCRIPT_MAX + 1];
	size_t len;
	FILE *f = fopen(file, "rb");

	if (!f)
		die(file);
	len = fread(text, 1, sizeof(text), f);
	fclose(f);
	if (len > ULP_SCRIPT_MAX) {
		fprintf(stderr, "ulp-server: %s is over %d bytes\n", file, ULP_SCRIPT_MAX);
		exit(1);
	}
	if (setsockopt(fd, SOL_LUA, ULP_LOADSCRIPT, text, len))
		die("setsockopt ULP_LOADSCRIPT");
	if (setsockopt(fd, SOL_LUA, ULP_ENTRYPOINT, entry, strlen(entry) + 1))
		die("setsockopt ULP_ENTRYPOINT");
}

int main(int argc, char **argv)
{
	const char *attach = NULL, *script = NULL, *entry = "process";
	struct sockaddr_in addr = { .sin_family = AF_INET };
	int port = 0, one = 1, opt, fd, conn;

	while ((opt = getopt(argc, argv, "p:r:a:s:e:")) != -1) {
		switch (opt) {
		case 'p':
			port = atoi(optarg);
			break;
		case 'r':
			root = optarg;
			break;
		case 'a':
			attach = optarg;
			break;
		case 's':
			script = optarg;
			break;
		case 'e':
			entry = optarg;
			break;
		default:
			goto usage;
		}
	}
	if (port <= 0 || port > 65535 || !attach == !script)
		goto usage;

	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		die("socket");
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	addr.sin_port = htons(port);
	if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) || listen(fd, 128))
		die("bind/listen");
	if (setsockopt(fd, SOL_TCP, TCP_ULP, "lua", sizeof("lua")))
		die("setsockopt TCP_ULP lua (is kscript.ko loaded?)");
	if (attach) {
		if (setsockopt(fd, SOL_LUA, ULP_ATTACH, attach, strlen(attach) + 1))
			die("setsockopt ULP_ATTACH (is the script deployed?)");
	} else {
		load_script(fd, script, entry);
	}
	signal(SIGCHLD, SIG_IGN);	/* children reap themselves */
	fprintf(stderr, "ulp-server: listening on port %d\n", port);
	for (;;) {
		conn = accept(fd, NULL, NULL);
		if (conn < 0) {
			if (errno == EINTR)
				continue;
			die("accept");
		}
		if (fork() == 0) {
			close(fd);
			handle(conn);
			close(conn);
			_exit(0);
		}
		close(conn);
	}
usage:
	fprintf(stderr, "usage: ulp-server -p PORT -r ROOT (-a NAME | -s FILE.lua [-e ENTRY])\n");
	return 2;
}
