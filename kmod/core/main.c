// SPDX-License-Identifier: MIT
/*
 * kscript.ko: /dev/kscript, a misc device taking one framed request per
 * write(2) and giving its reply to the following read(2)s (kmod/README.md).
 */
#include <linux/module.h>
#include <linux/kernel.h>
#include <linux/miscdevice.h>
#include <linux/fs.h>
#include <linux/slab.h>
#include <linux/mm.h>
#include <linux/uaccess.h>
#include <linux/capability.h>
#include <linux/netdevice.h>
#include <asm/unaligned.h>
#include "kscript.h"

struct kscript_file {
	struct mutex lock;	/* one request at a time per open file */
	struct kscript_buf reply;
	size_t read_pos;
};

static int kscript_open(struct inode *inode, struct file *file)
{
	struct kscript_file *f;

	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	f = kzalloc(sizeof(*f), GFP_KERNEL);
	if (!f)
		return -ENOMEM;
	mutex_init(&f->lock);
	file->private_data = f;
	return 0;
}

static int kscript_release_file(struct inode *inode, struct file *file)
{
	struct kscript_file *f = file->private_data;

	kscript_buf_free(&f->reply);
	kfree(f);
	return 0;
}

/* A limit of a load: a positive integer, or nil for the default (0). */
static int kscript_get_limit(struct kscript_cur *c, u64 *limit)
{
	struct kscript_value v;

	if (kscript_get_value(c, &v))
		return -EINVAL;
	if (v.type == KSCRIPT_V_NIL) {
		*limit = 0;
		return 0;
	}
	if (v.type != KSCRIPT_V_INT || v.i <= 0)
		return -EINVAL;
	*limit = v.i;
	return 0;
}

/* name, target, entry, text, then the limits: instructions, memory, time (ms). */
static int kscript_do_load(struct kscript_cur *c, struct kscript_buf *reply)
{
	char name[KSCRIPT_NAME_MAX + 1], entry[KSCRIPT_ENTRY_MAX + 1];
	struct kscript_limits limits;
	const char *target, *text;
	size_t target_len, len;
	int t;

	if (kscript_get_name(c, name, KSCRIPT_NAME_MAX) ||
	    kscript_get_str(c, &target, &target_len) ||
	    kscript_get_name(c, entry, KSCRIPT_ENTRY_MAX) ||
	    kscript_get_str(c, &text, &len))
		return -EINVAL;
	t = kscript_target_parse(target, target_len);
	if (t < 0) {
		kscript_put_cstr(reply, "unknown target (xdp, tls, sock)");
		return -EINVAL;
	}
	if (kscript_get_limit(c, &limits.insns) ||
	    kscript_get_limit(c, &limits.mem) ||
	    kscript_get_limit(c, &limits.time_ms)) {
		kscript_put_cstr(reply, "limits are positive integers, or nil for the default");
		return -EINVAL;
	}
	return kscript_load(name, t, entry, text, len, &limits, reply);
}

static int kscript_do_run(struct kscript_cur *c, struct kscript_buf *reply)
{
	char name[KSCRIPT_NAME_MAX + 1], func[KSCRIPT_ENTRY_MAX + 1];
	struct kscript_value input, arg = { .type = KSCRIPT_V_NIL };

	if (kscript_get_name(c, name, KSCRIPT_NAME_MAX) ||
	    kscript_get_name(c, func, KSCRIPT_ENTRY_MAX) ||
	    kscript_get_value(c, &input) || input.type != KSCRIPT_V_STR)
		return -EINVAL;
	if (c->left && (kscript_get_value(c, &arg) ||
			(arg.type != KSCRIPT_V_STR && arg.type != KSCRIPT_V_NIL)))
		return -EINVAL;
	/* The request is our own copy: the script may rewrite its bytes. */
	return kscript_run(name, func[0] ? func : NULL, (u8 *)input.s,
			   input.len, arg.type == KSCRIPT_V_STR ? (u8 *)arg.s : NULL,
			   arg.len, reply);
}

static int kscript_do_rcu(u16 op, struct kscript_cur *c,
			  struct kscript_buf *reply)
{
	char name[KSCRIPT_NAME_MAX + 1];
	struct kscript_value key, value;

	if (kscript_get_name(c, name, KSCRIPT_NAME_MAX) ||
	    kscript_get_value(c, &key))
		return -EINVAL;
	if (op == KSCRIPT_OP_RCU_GET)
		return kscript_rcu_request(name, &key, NULL, reply);
	if (kscript_get_value(c, &value))
		return -EINVAL;
	return kscript_rcu_request(name, &key, &value, reply);
}

/* Attach: script name, interface name; detach: interface name. */
static int kscript_do_xdp(u16 op, struct kscript_cur *c,
			  struct kscript_buf *reply)
{
	char name[KSCRIPT_NAME_MAX + 1], ifname[IFNAMSIZ];

	if (op == KSCRIPT_OP_XDP_DETACH) {
		if (kscript_get_name(c, ifname, IFNAMSIZ - 1))
			return -EINVAL;
		return kscript_xdp_detach(ifname, reply);
	}
	if (kscript_get_name(c, name, KSCRIPT_NAME_MAX) ||
	    kscript_get_name(c, ifname, IFNAMSIZ - 1))
		return -EINVAL;
	return kscript_xdp_attach(name, ifname, reply);
}

static int kscript_dispatch(u16 op, struct kscript_cur *c,
			    struct kscript_buf *reply)
{
	char name[KSCRIPT_NAME_MAX + 1];

	switch (op) {
	case KSCRIPT_OP_LOAD:
		return kscript_do_load(c, reply);
	case KSCRIPT_OP_UNLOAD:
		if (kscript_get_name(c, name, KSCRIPT_NAME_MAX))
			return -EINVAL;
		return kscript_unload(name);
	case KSCRIPT_OP_LIST:
		return kscript_list(reply, kscript_xdp_put_ifnames);
	case KSCRIPT_OP_STATS:
		if (kscript_get_name(c, name, KSCRIPT_NAME_MAX))
			return -EINVAL;
		return kscript_stats(name, reply);
	case KSCRIPT_OP_RCU_GET:
	case KSCRIPT_OP_RCU_SET:
		return kscript_do_rcu(op, c, reply);
	case KSCRIPT_OP_RUN:
		return kscript_do_run(c, reply);
	case KSCRIPT_OP_XDP_ATTACH:
	case KSCRIPT_OP_XDP_DETACH:
		return kscript_do_xdp(op, c, reply);
	default:
		kscript_put_cstr(reply, "unknown request");
		return -EOPNOTSUPP;
	}
}

static const char *kscript_errno_text(int err)
{
	switch (err) {
	case -EINVAL:
		return "malformed request";
	case -ENOENT:
		return "no script with that name";
	case -ENOMEM:
		return "out of memory";
	case -E2BIG:
		return "key or value too large";
	case -ENOSPC:
		return "rcu table is full";
	default:
		return "request failed";
	}
}

/* Build the reply for one request: header, then payload or error text. */
static void kscript_handle(struct kscript_file *f, const u8 *req, size_t len)
{
	const struct kscript_hdr *h = (const void *)req;
	struct kscript_buf *reply = &f->reply;
	struct kscript_cur c;
	struct kscript_hdr *rh;
	u16 op = 0;
	int err;

	reply->len = 0;
	reply->err = 0;
	f->read_pos = 0;
	/* Header first, filled in at the end. */
	if (!kscript_buf_room(reply, KSCRIPT_HDR_SIZE))
		goto nomem;

	if (get_unaligned_le32(&h->magic) != KSCRIPT_MAGIC) {
		err = -EBADMSG;
		kscript_put_cstr(reply, "not a kscript request (bad magic)");
	} else if (get_unaligned_le16(&h->version) != KSCRIPT_VERSION) {
		err = -EPROTONOSUPPORT;
		kscript_put_fmt(reply, "protocol version %u unsupported; this module speaks %u",
				get_unaligned_le16(&h->version), KSCRIPT_VERSION);
	} else if (get_unaligned_le32(&h->length) != len - KSCRIPT_HDR_SIZE) {
		err = -EINVAL;
		kscript_put_cstr(reply, "length does not match the write");
	} else {
		op = get_unaligned_le16(&h->op);
		c.p = req + KSCRIPT_HDR_SIZE;
		c.left = len - KSCRIPT_HDR_SIZE;
		err = kscript_dispatch(op, &c, reply);
		if (reply->err) {
			err = reply->err;
			reply->err = 0;
			reply->len = KSCRIPT_HDR_SIZE;
		}
		if (err && reply->len == KSCRIPT_HDR_SIZE)
			kscript_put_cstr(reply, kscript_errno_text(err));
	}
	if (reply->err)
		goto nomem;
	rh = (struct kscript_hdr *)reply->data;
	put_unaligned_le32(KSCRIPT_MAGIC, &rh->magic);
	put_unaligned_le16(KSCRIPT_VERSION, &rh->version);
	put_unaligned_le16(op, &rh->op);
	put_unaligned_le32((u32)err, &rh->status);
	put_unaligned_le32(reply->len - KSCRIPT_HDR_SIZE, &rh->length);
	return;
nomem:
	kscript_buf_free(reply);
	reply->err = -ENOMEM;
}

static ssize_t kscript_write(struct file *file, const char __user *ubuf,
			     size_t len, loff_t *ppos)
{
	struct kscript_file *f = file->private_data;
	u8 *req;
	int err;

	if (len < KSCRIPT_HDR_SIZE)
		return -EINVAL;
	if (len > KSCRIPT_HDR_SIZE + KSCRIPT_REQUEST_MAX)
		return -EMSGSIZE;
	req = kvmalloc(len, GFP_KERNEL);
	if (!req)
		return -ENOMEM;
	if (copy_from_user(req, ubuf, len)) {
		kvfree(req);
		return -EFAULT;
	}
	mutex_lock(&f->lock);
	kscript_handle(f, req, len);
	err = f->reply.err;
	mutex_unlock(&f->lock);
	kvfree(req);
	return err ? err : len;
}

static ssize_t kscript_read(struct file *file, char __user *ubuf, size_t len,
			    loff_t *ppos)
{
	struct kscript_file *f = file->private_data;
	ssize_t n;

	mutex_lock(&f->lock);
	n = min(len, f->reply.len - f->read_pos);
	if (n && copy_to_user(ubuf, f->reply.data + f->read_pos, n))
		n = -EFAULT;
	else
		f->read_pos += n;
	mutex_unlock(&f->lock);
	return n;
}

static const struct file_operations kscript_fops = {
	.owner = THIS_MODULE,
	.open = kscript_open,
	.release = kscript_release_file,
	.write = kscript_write,
	.read = kscript_read,
	.llseek = no_llseek,
};

static struct miscdevice kscript_dev = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "kscript",
	.fops = &kscript_fops,
	.mode = 0600,
};

static int __init kscript_init(void)
{
	int err = kscript_registry_init();

	if (err)
		return err;
	err = misc_register(&kscript_dev);
	if (err)
		goto registry;
	err = kscript_ulp_register();
	if (err)
		goto dev;
	/* Last: a kfunc set cannot be unregistered. */
	err = kscript_xdp_init();
	if (err)
		goto ulp;
	return 0;
ulp:
	kscript_ulp_unregister();
dev:
	misc_deregister(&kscript_dev);
registry:
	kscript_registry_exit();
	return err;
}

static void __exit kscript_exit(void)
{
	kscript_ulp_unregister();
	misc_deregister(&kscript_dev);
	kscript_xdp_exit();
	kscript_registry_exit();
	rcu_barrier();	/* kfree_rcu of replaced rcu entries before the module goes */
}

module_init(kscript_init);
module_exit(kscript_exit);
MODULE_LICENSE("Dual MIT/GPL");
MODULE_DESCRIPTION("kscript: integer-only Lua 5.3 hooks");
