/* SPDX-License-Identifier: MIT */
/*
 * What kscript.ko exports to the socket hooks built as other modules (the
 * patched tls.ko): a connection's hold on a script. Self-contained, so a
 * module outside kmod/core can include it without Lua's headers.
 *
 * A connection runs a script loaded by name (kscript deploy) or a private
 * one from text (the original hooks' setsockopt). Each connection gets a Lua state of
 * its own from the script's pool the first time it calls, keeps it until
 * release and gives it back for a later connection, so no two sockets ever
 * share a state at the same time.
 */
#ifndef KSCRIPT_HOOK_H
#define KSCRIPT_HOOK_H

#include <linux/types.h>
#include <linux/gfp.h>
#include <linux/mutex.h>

struct kscript_conn;

enum kscript_hook_target {
	KSCRIPT_HOOK_TLS = 1,	/* recv(msg): code, file */
	KSCRIPT_HOOK_SOCK = 2,	/* process(buf): truthy or refuse */
};

/*
 * Attach to the loaded script called name. ERR_PTR(-ENOENT) when no such
 * script is loaded, ERR_PTR(-EINVAL) when it is not of this target.
 */
struct kscript_conn *kscript_conn_attach(const char *name,
					 enum kscript_hook_target target);
/*
 * A private script compiled from text, as the original hooks' LOADSCRIPT options do;
 * label names it in errors and logs. Its entry is set with
 * kscript_conn_set_entry() before the first call. On failure, ERR_PTR with
 * the Lua error (or the reason) copied into err. Entry names use
 * [A-Za-z0-9_.-], at most 256 bytes.
 */
struct kscript_conn *kscript_conn_load(enum kscript_hook_target target,
				       const char *label, const char *text,
				       size_t len, char *err, size_t err_size);
/*
 * One more chunk for a connection made by kscript_conn_load, run once in its
 * own state after the earlier ones (the original kTLS hook's repeated
 * LOADSCRIPT). -ENOEXEC with the Lua error in err when it does not compile
 * or raises; -EINVAL for an attached connection.
 */
int kscript_conn_load_more(struct kscript_conn *c, const char *text,
			   size_t len, char *err, size_t err_size);
/* Set the function a connection calls (the original hooks' RECVENTRY/ENTRYPOINT). */
int kscript_conn_set_entry(struct kscript_conn *c, const char *entry);
/* Another connection on c's script and entry (a listener's accepted socket). */
struct kscript_conn *kscript_conn_clone(const struct kscript_conn *c,
					gfp_t gfp);
/* Any context; the state goes back to the pool. */
void kscript_conn_release(struct kscript_conn *c);

/*
 * Process context. Calls the entry with the bytes. 0 when the script ran
 * and gave its result (from a script given as text, as the original
 * required: an integer code and a string file, else it failed); -errno when it could not run or failed (the error
 * is counted and logged against the script): the hook then lets the
 * traffic pass, as the safety model says.
 */
int kscript_conn_tls_recv(struct kscript_conn *c, const void *plain,
			  size_t len, int *code, char *file, size_t file_size);
/* buf is lent to the script as a writable data view for the call. */
int kscript_conn_sock_process(struct kscript_conn *c, u8 *buf, size_t len,
			      bool *allow);

/*
 * A socket's buffer for what its hook shows the script, kept for the
 * socket's life and grown to its largest recv: no allocation per recv.
 * A recv finding it held (by one still waiting for data on the same
 * socket) gets a buffer of its own for that call.
 */
struct kscript_sockbuf {
	struct mutex lock;	/* held from get to put */
	u8 *buf;
	size_t size;
};

void kscript_sockbuf_init(struct kscript_sockbuf *b);
/* Process context; NULL when out of memory. own: pass it to put. */
u8 *kscript_sockbuf_get(struct kscript_sockbuf *b, size_t len, bool *own);
void kscript_sockbuf_put(struct kscript_sockbuf *b, u8 *buf, bool own);
void kscript_sockbuf_free(struct kscript_sockbuf *b);

#endif /* KSCRIPT_HOOK_H */
