// SPDX-License-Identifier: MIT
/*
 * HTTPS over kTLS as an event loop: the tls hook decides, the server only
 * answers. Each of a few threads runs its own epoll over its own listening
 * socket (SO_REUSEPORT spreads connections), does non-blocking GnuTLS
 * handshakes, hands the keys to the kernel, attaches the socket to a
 * deployed tls script and sets TLS_LUA_CMSG: every recvmsg then returns
 * the request's bytes with the hook's decision as a control message, so
 * EAGAIN only ever means "no data yet". Files go out with sendfile from
 * open descriptors cached per thread; an inotify watch on the root (every
 * directory of it) drops the caches on any change.
 *
 * ktls-evserver PORT ROOT CERT KEY --attach NAME [--threads N]
 *               [--priority GNUTLS-PRIORITY]
 *
 * Prints "listening PORT" when ready. Connections are kept alive across
 * requests, as the hook's codes allow (200, 404, 405, 417: kept; others close).
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ktls_common.h"

#define NEED_MORE	100	/* the ktls-http template's "recv again" */
#define HEAD_ONLY	1000	/* added to a HEAD request's status */
#define CACHE_BUCKETS	256
#define CACHE_MAX	1024	/* cached files per thread; past it, flush */
#define WATCH_MAX	1024	/* watched directories */

static const char *root;
static const char *attach;
static const char *priority = KTLS_PRIORITY;
static gnutls_certificate_credentials_t creds;
static int port;

/* Bumped on any change under root: every thread's cache is then stale. */
static atomic_uint generation;
static int inotify_fd = -1;
static pthread_t main_thread;		/* the one reading inotify_fd */
static char *watched[WATCH_MAX];	/* by watch descriptor */

struct file {
	struct file *next;
	int fd;
	off_t size;
	int refs;		/* the table's and each sending connection's */
	char path[];
};

struct worker {
	int epfd;
	unsigned int generation;	/* of the files in the table */
	unsigned int count;
	struct file *table[CACHE_BUCKETS];
};

enum phase { HANDSHAKE, READING, SENDING };

struct conn {
	int fd;
	enum phase phase;
	unsigned int events;	/* what epoll waits for */
	gnutls_session_t s;
	char head[256];
	size_t head_len, head_off;
	struct file *file;	/* being sent, or NULL */
	off_t off;
	int close_after;
	union {
		char buf[TLS_LUA_CMSG_SPACE];
		struct cmsghdr align;
	} control;
	char buf[16384];
};

static void file_put(struct file *f)
{
	if (f && !--f->refs) {
		close(f->fd);
		free(f);
	}
}

/* Drop the whole table: files being sent stay open until they are done. */
static void cache_flush(struct worker *w)
{
	struct file *f, *next;
	int i;

	for (i = 0; i < CACHE_BUCKETS; i++) {
		for (f = w->table[i]; f; f = next) {
			next = f->next;
			file_put(f);
		}
		w->table[i] = NULL;
	}
	w->count = 0;
}

static unsigned int hash(const char *s)
{
	unsigned int h = 2166136261u;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 16777619u;
	return h % CACHE_BUCKETS;
}

/* The open file for a path under root (a reference), or NULL. */
static struct file *cache_get(struct worker *w, const char *path)
{
	unsigned int gen = atomic_load(&generation), h = hash(path);
	char full[PATH_MAX + TLS_LUA_FILE_MAX + 2];
	struct file *f;
	struct stat st;
	int fd;

	if (gen != w->generation || w->count >= CACHE_MAX) {
		cache_flush(w);
		w->generation = gen;
	}
	for (f = w->table[h]; f; f = f->next)
		if (!strcmp(f->path, path)) {
			f->refs++;
			return f;
		}
	snprintf(full, sizeof(full), "%s%s", root, path);
	fd = open(full, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    !(f = malloc(sizeof(*f) + strlen(path) + 1))) {
		close(fd);
		return NULL;
	}
	f->fd = fd;
	f->size = st.st_size;
	f->refs = 2;
	strcpy(f->path, path);
	f->next = w->table[h];
	w->table[h] = f;
	w->count++;
	return f;
}

static int watch(const char *path, const struct stat *st, int type,
		 struct FTW *ftw)
{
	int wd;

	(void)st;
	(void)ftw;
	if (type != FTW_D)
		return 0;
	wd = inotify_add_watch(inotify_fd, path, IN_MODIFY | IN_ATTRIB |
			       IN_CLOSE_WRITE | IN_CREATE | IN_DELETE |
			       IN_MOVED_FROM | IN_MOVED_TO | IN_DELETE_SELF |
			       IN_MOVE_SELF);
	if (wd < 0 || wd >= WATCH_MAX)
		return wd < 0 ? -1 : 0;
	free(watched[wd]);
	watched[wd] = strdup(path);
	return 0;
}

/* Any change: a new generation; a new directory is watched too. */
static void changes(void)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	char path[PATH_MAX];
	const struct inotify_event *e;
	ssize_t n;
	char *p;

	while ((n = read(inotify_fd, buf, sizeof(buf))) > 0) {
		for (p = buf; p < buf + n; p += sizeof(*e) + e->len) {
			e = (const struct inotify_event *)p;
			if ((e->mask & IN_CREATE) && (e->mask & IN_ISDIR) &&
			    e->wd >= 0 && e->wd < WATCH_MAX && watched[e->wd]) {
				snprintf(path, sizeof(path), "%s/%s",
					 watched[e->wd], e->name);
				nftw(path, watch, 16, FTW_PHYS);
			}
		}
		atomic_fetch_add(&generation, 1);
	}
}

static void conn_close(struct conn *c)
{
	file_put(c->file);
	if (c->s)
		gnutls_deinit(c->s);
	close(c->fd);
	free(c);
}

static int conn_want(struct worker *w, struct conn *c, unsigned int events)
{
	struct epoll_event ev = { .events = events, .data.ptr = c };

	if (c->events == events)
		return 0;
	c->events = events;
	return epoll_ctl(w->epfd, EPOLL_CTL_MOD, c->fd, &ev);
}

/* The hook's decision: the response to send. */
static void respond(struct worker *w, struct conn *c, int code,
		    const char *path)
{
	int head_only = code >= HEAD_ONLY;

	if (head_only)
		code -= HEAD_ONLY;
	c->off = 0;
	c->head_off = 0;
	if (code == 200 && (c->file = cache_get(w, path))) {
		c->head_len = snprintf(c->head, sizeof(c->head),
				       "HTTP/1.1 200 OK\r\nContent-Length: %lld\r\n"
				       "Content-Type: application/octet-stream\r\n\r\n",
				       (long long)c->file->size);
		c->close_after = 0;
		if (head_only) {
			file_put(c->file);
			c->file = NULL;
		}
		return;
	}
	if (code == 200)
		code = 404;
	c->close_after = code != 404 && code != 405 && code != 417;
	c->head_len = snprintf(c->head, sizeof(c->head),
			       "HTTP/1.1 %d %s\r\nContent-Length: %zu\r\n%s\r\n%s\n",
			       code, http_reason(code), strlen(http_reason(code)) + 1,
			       c->close_after ? "Connection: close\r\n" : "",
			       http_reason(code));
	if (head_only)
		c->head_len -= strlen(http_reason(code)) + 1;
}

/* Send what is pending: 1 done, 0 blocked, -1 failed. */
static int send_some(struct conn *c)
{
	ssize_t n;

	while (c->head_off < c->head_len) {
		n = send(c->fd, c->head + c->head_off, c->head_len - c->head_off,
			 c->file ? MSG_MORE : 0);
		if (n < 0)
			return errno == EAGAIN ? 0 : -1;
		c->head_off += n;
	}
	while (c->file && c->off < c->file->size) {
		n = sendfile(c->fd, c->file->fd, &c->off, c->file->size - c->off);
		if (n < 0)
			return errno == EAGAIN ? 0 : -1;
		if (!n)
			return -1;	/* the file shrank */
	}
	file_put(c->file);
	c->file = NULL;
	return 1;
}

/* Read until a decision to answer: 1 one to send, 0 no data yet, -1 close. */
static int read_request(struct worker *w, struct conn *c)
{
	struct iovec iov = { c->buf, sizeof(c->buf) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	const struct tls_lua_decision *d;
	ssize_t n;
	int type;

	for (;;) {
		msg.msg_control = c->control.buf;
		msg.msg_controllen = sizeof(c->control.buf);
		n = recvmsg(c->fd, &msg, 0);
		if (n < 0)
			return errno == EAGAIN ? 0 : -1;
		if (!n)
			return -1;
		d = ktls_decision(&msg, &type);
		/* An alert (the peer's close_notify): the connection is over. */
		if (type != KTLS_RECORD_DATA)
			return -1;
		if (!d || d->status != TLS_LUA_OK || !d->code) {
			/* Bytes the hook did not decide on: refuse them. */
			fprintf(stderr, "ktls-evserver: request passed through (%s)\n",
				d && d->status == TLS_LUA_RECVERR ?
				"script error" : "code 0");
			respond(w, c, 500, NULL);
			return 1;
		}
		if (d->code != NEED_MORE) {
			respond(w, c, d->code, d->file);
			return 1;
		}
	}
}

/* The socket is kTLS now: keys, the script, decisions as cmsgs. */
static int ktls_setup(struct conn *c)
{
	int one = 1;

	if (gnutls_record_check_pending(c->s) ||
	    setsockopt(c->fd, SOL_TCP, TCP_ULP, "tls", sizeof("tls")) < 0 ||
	    push_keys(c->fd, c->s, 0) < 0 || push_keys(c->fd, c->s, 1) < 0 ||
	    setsockopt(c->fd, SOL_TLS, TLS_LUA_ATTACH, attach,
		       strlen(attach) + 1) < 0 ||
	    setsockopt(c->fd, SOL_TLS, TLS_LUA_CMSG, &one, sizeof(one)) < 0) {
		fprintf(stderr, "ktls-evserver: kTLS setup: %s\n", strerror(errno));
		return -1;
	}
	gnutls_deinit(c->s);
	c->s = NULL;
	return 0;
}

/* Whatever the connection can do now; -1 when it is to be closed. */
static int step(struct worker *w, struct conn *c)
{
	int ret;

	for (;;) {
		switch (c->phase) {
		case HANDSHAKE:
			ret = gnutls_handshake(c->s);
			if (ret == GNUTLS_E_AGAIN || ret == GNUTLS_E_INTERRUPTED)
				return conn_want(w, c, gnutls_record_get_direction(c->s) ?
						 EPOLLOUT : EPOLLIN);
			if (ret < 0 || ktls_setup(c) < 0)
				return -1;
			c->phase = READING;
			break;
		case READING:
			ret = read_request(w, c);
			if (ret <= 0)
				return ret < 0 ? -1 : conn_want(w, c, EPOLLIN);
			c->phase = SENDING;
			break;
		case SENDING:
			ret = send_some(c);
			if (ret <= 0)
				return ret < 0 ? -1 : conn_want(w, c, EPOLLOUT);
			if (c->close_after)
				return -1;
			c->phase = READING;
			break;
		}
	}
}

static void accept_all(struct worker *w, int lfd)
{
	struct epoll_event ev = { .events = EPOLLIN };
	struct conn *c;
	int fd, one = 1;

	while ((fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		c = calloc(1, sizeof(*c));
		if (!c || gnutls_init(&c->s, GNUTLS_SERVER | GNUTLS_NO_TICKETS |
				      GNUTLS_NONBLOCK) < 0 ||
		    gnutls_priority_set_direct(c->s, priority, NULL) < 0) {
			if (c && c->s)
				gnutls_deinit(c->s);
			free(c);
			close(fd);
			continue;
		}
		c->fd = fd;
		c->events = EPOLLIN;
		gnutls_credentials_set(c->s, GNUTLS_CRD_CERTIFICATE, creds);
		gnutls_transport_set_int(c->s, fd);
		ev.data.ptr = c;
		if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, fd, &ev) < 0 || step(w, c) < 0)
			conn_close(c);
	}
}

static int listener(void)
{
	int fd = ktls_listen("ktls-evserver", port, SOCK_NONBLOCK, 1, 1024);

	if (fd < 0)
		exit(1);
	return fd;
}

/* A thread's loop; the main thread's also reads the inotify events. */
static void *run(void *arg)
{
	struct epoll_event ev = { .events = EPOLLIN }, events[64];
	struct worker *w = calloc(1, sizeof(*w));
	int lfd = (int)(long)arg, n, i;

	w->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (w->epfd < 0) {
		perror("ktls-evserver: epoll");
		exit(1);
	}
	ev.data.ptr = NULL;
	epoll_ctl(w->epfd, EPOLL_CTL_ADD, lfd, &ev);
	if (pthread_equal(pthread_self(), main_thread)) {
		ev.data.ptr = &inotify_fd;
		epoll_ctl(w->epfd, EPOLL_CTL_ADD, inotify_fd, &ev);
	}
	for (;;) {
		n = epoll_wait(w->epfd, events, 64, -1);
		for (i = 0; i < n; i++) {
			if (!events[i].data.ptr)
				accept_all(w, lfd);
			else if (events[i].data.ptr == &inotify_fd)
				changes();
			else if (step(w, events[i].data.ptr) < 0)
				conn_close(events[i].data.ptr);
		}
	}
	return NULL;
}

static int usage(void)
{
	fprintf(stderr, "usage: ktls-evserver PORT ROOT CERT KEY --attach NAME "
		"[--threads N] [--priority GNUTLS-PRIORITY]\n");
	return 2;
}

int main(int argc, char **argv)
{
	long threads = sysconf(_SC_NPROCESSORS_ONLN);
	pthread_t t;
	int i, lfd;

	if (argc < 7)
		return usage();
	port = atoi(argv[1]);
	root = argv[2];
	for (i = 5; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--attach"))
			attach = argv[i + 1];
		else if (!strcmp(argv[i], "--threads"))
			threads = atol(argv[i + 1]);
		else if (!strcmp(argv[i], "--priority"))
			priority = argv[i + 1];
		else
			return usage();
	}
	if (i != argc || !attach || threads < 1 || threads > 64)
		return usage();
	signal(SIGPIPE, SIG_IGN);
	if (ktls_credentials("ktls-evserver", argv[3], argv[4], &creds) < 0)
		return 1;
	inotify_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (inotify_fd < 0 || nftw(root, watch, 16, FTW_PHYS) < 0) {
		fprintf(stderr, "ktls-evserver: cannot watch %s: %s\n", root,
			strerror(errno));
		return 1;
	}
	main_thread = pthread_self();
	/* Every listener before "listening": no connection finds one missing. */
	for (i = 0; i < threads; i++) {
		lfd = listener();
		if (i + 1 < threads && pthread_create(&t, NULL, run, (void *)(long)lfd)) {
			perror("ktls-evserver: thread");
			return 1;
		}
	}
	printf("listening %d\n", port);
	fflush(stdout);
	run((void *)(long)lfd);
}
