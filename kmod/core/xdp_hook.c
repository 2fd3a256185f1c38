// SPDX-License-Identifier: MIT
/*
 * The attached XDP hook. kmod/bpf/kscript_xdp.bpf.c, put on an interface by
 * iproute2 (kscript deploy --xdp), calls the kfuncs below for each packet:
 * kscript_xdp_run() finds the script attached to the packet's interface and
 * runs its entry on this CPU's state with the packet as a data view, then
 * tells the program the verdict, the size change and the redirect target;
 * kscript_xdp_grow() copies a packet that udp_reply grew into the room the
 * program made with bpf_xdp_adjust_tail. A failing script passes the packet.
 */
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/mm.h>
#include <linux/percpu.h>
#include <linux/rcupdate.h>
#include <linux/bottom_half.h>
#include <linux/netdevice.h>
#include <linux/nsproxy.h>
#include <linux/btf.h>
#include <linux/btf_ids.h>
#include <net/net_namespace.h>
#include <net/xdp.h>
#include <uapi/linux/bpf.h>
#include "kscript.h"

/* Interfaces that can run a script at once (a linear scan per packet). */
#define KSCRIPT_XDP_SLOTS	32

/* An interface, named by its namespace and ifindex, and its script. */
struct kscript_xdp_attach {
	u64 net_cookie;
	int ifindex;
	struct kscript_script *s;
};

static struct kscript_xdp_attach __rcu *kscript_xdp_slots[KSCRIPT_XDP_SLOTS];
static DEFINE_MUTEX(kscript_xdp_lock);	/* serializes attach and detach */
/*
 * Slots at and past this one are empty, so a packet scans only up to the
 * last interface attached (one, usually). Written under kscript_xdp_lock;
 * a reader with a stale value scans an empty slot more, or misses an
 * attachment being made, as if it came a moment later.
 */
static int kscript_xdp_used;

/*
 * A packet udp_reply grew past its buffer, kept on this CPU from
 * kscript_xdp_run() to the kscript_xdp_grow() of the same program run.
 */
struct kscript_xdp_pending {
	const struct xdp_buff *xdp;
	u8 *bytes;
	size_t len;
};

static DEFINE_PER_CPU(struct kscript_xdp_pending, kscript_xdp_pending);

static void kscript_xdp_pending_drop(struct kscript_xdp_pending *p)
{
	kvfree(p->bytes);
	p->bytes = NULL;
	p->xdp = NULL;
}

static struct kscript_xdp_attach *kscript_xdp_find(u64 net_cookie, int ifindex)
{
	int i, used = READ_ONCE(kscript_xdp_used);
	struct kscript_xdp_attach *a;

	for (i = 0; i < used; i++) {
		a = rcu_dereference_check(kscript_xdp_slots[i],
					  lockdep_is_held(&kscript_xdp_lock));
		if (a && a->ifindex == ifindex && a->net_cookie == net_cookie)
			return a;
	}
	return NULL;
}

/* The ifindex of ifname in the caller's network namespace, or -ENODEV. */
static int kscript_xdp_ifindex(const char *ifname, struct kscript_buf *reply)
{
	struct net_device *dev;
	int ifindex;

	dev = dev_get_by_name(current->nsproxy->net_ns, ifname);
	if (!dev) {
		kscript_put_fmt(reply, "no interface named '%s' in this network namespace",
				ifname);
		return -ENODEV;
	}
	ifindex = dev->ifindex;
	dev_put(dev);
	return ifindex;
}

int kscript_xdp_attach(const char *name, const char *ifname,
		       struct kscript_buf *reply)
{
	u64 cookie = current->nsproxy->net_ns->net_cookie;
	struct kscript_xdp_attach *a, *old;
	struct kscript_script *s;
	int ifindex, i, err;

	ifindex = kscript_xdp_ifindex(ifname, reply);
	if (ifindex < 0)
		return ifindex;
	s = kscript_script_get(name);
	if (!s)
		return -ENOENT;
	if (s->target != KSCRIPT_XDP) {
		kscript_put_fmt(reply, "'%s' is not an xdp script", name);
		err = -EINVAL;
		goto put;
	}
	a = kmalloc(sizeof(*a), GFP_KERNEL);
	if (!a) {
		err = -ENOMEM;
		goto put;
	}
	a->net_cookie = cookie;
	a->ifindex = ifindex;
	a->s = s;
	mutex_lock(&kscript_xdp_lock);
	old = kscript_xdp_find(cookie, ifindex);
	if (old) {
		kscript_put_fmt(reply, "'%s' already runs the script '%s'", ifname,
				old->s->name);
		err = -EBUSY;
		goto unlock;
	}
	for (i = 0; i < KSCRIPT_XDP_SLOTS; i++) {
		if (!rcu_access_pointer(kscript_xdp_slots[i])) {
			rcu_assign_pointer(kscript_xdp_slots[i], a);
			if (i >= kscript_xdp_used)
				WRITE_ONCE(kscript_xdp_used, i + 1);
			mutex_unlock(&kscript_xdp_lock);
			return 0;	/* the slot holds the reference */
		}
	}
	kscript_put_fmt(reply, "at most %d interfaces run scripts at once",
			KSCRIPT_XDP_SLOTS);
	err = -ENOSPC;
unlock:
	mutex_unlock(&kscript_xdp_lock);
	kfree(a);
put:
	kscript_script_put(s);
	return err;
}

/* Empties slot i (under kscript_xdp_lock) once no packet can be using it. */
static void kscript_xdp_clear(int i)
{
	int used = kscript_xdp_used;
	struct kscript_xdp_attach *a;

	a = rcu_dereference_protected(kscript_xdp_slots[i],
				      lockdep_is_held(&kscript_xdp_lock));
	RCU_INIT_POINTER(kscript_xdp_slots[i], NULL);
	while (used > 0 && !rcu_access_pointer(kscript_xdp_slots[used - 1]))
		used--;
	WRITE_ONCE(kscript_xdp_used, used);
	synchronize_rcu();
	kscript_script_put(a->s);
	kfree(a);
}

int kscript_xdp_detach(const char *ifname, struct kscript_buf *reply)
{
	u64 cookie = current->nsproxy->net_ns->net_cookie;
	struct kscript_xdp_attach *a;
	int ifindex, i;

	ifindex = kscript_xdp_ifindex(ifname, reply);
	if (ifindex < 0)
		return ifindex;
	mutex_lock(&kscript_xdp_lock);
	for (i = 0; i < KSCRIPT_XDP_SLOTS; i++) {
		a = rcu_dereference_protected(kscript_xdp_slots[i],
					      lockdep_is_held(&kscript_xdp_lock));
		if (a && a->ifindex == ifindex && a->net_cookie == cookie) {
			kscript_put_cstr(reply, a->s->name);
			kscript_xdp_clear(i);
			mutex_unlock(&kscript_xdp_lock);
			return 0;
		}
	}
	mutex_unlock(&kscript_xdp_lock);
	kscript_put_fmt(reply, "no script is attached to '%s'", ifname);
	return -ENOENT;
}

/* The interfaces of the caller's network namespace that run s, as one "eth0 eth1" string. */
void kscript_xdp_put_ifnames(const struct kscript_script *s,
			     struct kscript_buf *reply)
{
	struct net *net = current->nsproxy->net_ns;
	char names[KSCRIPT_XDP_SLOTS * IFNAMSIZ];
	struct kscript_xdp_attach *a;
	struct net_device *dev;
	size_t len = 0;
	int i;

	mutex_lock(&kscript_xdp_lock);
	for (i = 0; i < KSCRIPT_XDP_SLOTS; i++) {
		a = rcu_dereference_protected(kscript_xdp_slots[i],
					      lockdep_is_held(&kscript_xdp_lock));
		if (!a || a->s != s || a->net_cookie != net->net_cookie)
			continue;
		dev = dev_get_by_index(net, a->ifindex);
		if (!dev)
			continue;
		len += scnprintf(names + len, sizeof(names) - len, "%s%s",
				 len ? " " : "", dev->name);
		dev_put(dev);
	}
	mutex_unlock(&kscript_xdp_lock);
	kscript_put_str(reply, names, len);
}

/*
 * Runs s on the packet (bottom halves off: a test-run program runs in
 * process context). The verdict as the program reads it: bits 0-7 the
 * action, 8-31 the size change (signed), 32-63 the redirect ifindex.
 */
static s64 kscript_xdp_call(struct kscript_script *s, struct xdp_buff *xdp)
{
	size_t len = xdp->data_end - xdp->data;
	struct kscript_xdp_pending *p;
	struct kscript_xdp_result r;
	s64 verdict;

	if (kscript_xdp_entry(s, xdp->data, len, &r))
		return XDP_PASS;
	if (r.grown) {
		p = this_cpu_ptr(&kscript_xdp_pending);
		kscript_xdp_pending_drop(p);
		p->xdp = xdp;
		p->bytes = r.grown;
		p->len = r.size;
	}
	verdict = r.action | ((r.size - len) & 0xffffff) << 8;
	if (r.action == XDP_REDIRECT)
		verdict |= (s64)r.redirect << 32;
	return verdict;
}

__diag_push();
__diag_ignore_all("-Wmissing-prototypes",
		  "kfuncs: called from BPF programs, declared in kmod/bpf");

s64 kscript_xdp_run(struct xdp_md *ctx)
{
	struct xdp_buff *xdp = (struct xdp_buff *)ctx;
	const struct net_device *dev = xdp->rxq->dev;
	struct kscript_xdp_attach *a;
	s64 verdict = XDP_PASS;

	/* Scripts see whole packets: a multi-buffer frame passes. */
	if (xdp_buff_has_frags(xdp))
		return XDP_PASS;
	rcu_read_lock();
	a = kscript_xdp_find(dev_net(dev)->net_cookie, dev->ifindex);
	if (a) {
		local_bh_disable();
		verdict = kscript_xdp_call(a->s, xdp);
		local_bh_enable();
	}
	rcu_read_unlock();
	return verdict;
}

int kscript_xdp_grow(struct xdp_md *ctx)
{
	struct xdp_buff *xdp = (struct xdp_buff *)ctx;
	struct kscript_xdp_pending *p;
	int err = -ENOENT;

	local_bh_disable();
	p = this_cpu_ptr(&kscript_xdp_pending);
	if (p->xdp == xdp && p->bytes && xdp->data_end - xdp->data == p->len) {
		memcpy(xdp->data, p->bytes, p->len);
		err = 0;
	}
	kscript_xdp_pending_drop(p);
	local_bh_enable();
	return err;
}

__diag_pop();

BTF_SET8_START(kscript_xdp_kfunc_ids)
BTF_ID_FLAGS(func, kscript_xdp_run)
BTF_ID_FLAGS(func, kscript_xdp_grow)
BTF_SET8_END(kscript_xdp_kfunc_ids)

static const struct btf_kfunc_id_set kscript_xdp_kfuncs = {
	.owner = THIS_MODULE,
	.set = &kscript_xdp_kfunc_ids,
};

int kscript_xdp_init(void)
{
	return register_btf_kfunc_id_set(BPF_PROG_TYPE_XDP, &kscript_xdp_kfuncs);
}

/* Module exit: no program can call in any more (each holds the module). */
void kscript_xdp_exit(void)
{
	int cpu, i;

	mutex_lock(&kscript_xdp_lock);
	for (i = 0; i < KSCRIPT_XDP_SLOTS; i++)
		if (rcu_access_pointer(kscript_xdp_slots[i]))
			kscript_xdp_clear(i);
	mutex_unlock(&kscript_xdp_lock);
	for_each_possible_cpu(cpu)
		kscript_xdp_pending_drop(per_cpu_ptr(&kscript_xdp_pending, cpu));
}
