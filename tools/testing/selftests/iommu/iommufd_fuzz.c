// SPDX-License-Identifier: GPL-2.0-only
/*
 * A seeded, multi-threaded, structure-aware fuzzer of the iommufd uAPI.
 *
 * Every thread draws operations from a table (one generator per ioctl of
 * include/uapi/linux/iommufd.h, per IOMMU_TEST_CMD op of the mock driver,
 * per VFIO compatibility ioctl, plus close, dup, fork, mmap and munmap).
 * A generator takes its arguments from pools of live state: iommufd
 * contexts with their descriptors and object IDs, fault and vEVENTQ
 * descriptors, access descriptors, IOVA ranges mapped earlier and user
 * buffers of several kinds.  Most arguments are valid; some are not
 * (stale and wrong-type IDs, boundary sizes, unknown flags, overflowing
 * ranges, truncated or oversized structs).
 *
 * Each thread has its own PRNG stream derived from --seed and its index, so
 * the same seed gives each thread the same sequence of choices; with more
 * than one thread the interleaving (and thus the kernel's answers, which
 * feed later choices) differs from run to run.
 *
 * At the end every descriptor is closed and the invariants are checked:
 * no page of the anonymous buffers is still pinned, the process's VmPin
 * and VmLck are back to their start, no mock device is left.  The exit
 * status is 1 when one of them does not hold.
 *
 * Usage: iommufd_fuzz [--seed N] [--seconds N] [--threads N] [--calls N]
 * An option given twice takes its last value ('make fuzz' appends its own
 * to the command of the 'fuzz' suite).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <linux/vfio.h>

#include "iommufd_helpers.h"

#define MAX_THREADS 16
#define NCTX 3			/* iommufd contexts alive at once */
#define NFD 4			/* descriptors of one context (dups) */
#define NIDS 12			/* objects of one type per context */
#define NMAPS 24		/* IOVA ranges remembered per context */
#define NDEAD 8			/* destroyed IDs remembered per context */
#define NSTRAY 8		/* fds whose object was destroyed */
#define NBUF 10			/* user buffers */
#define MAX_ERRNO 134
#define SCRATCH_SIZE (64 * 1024)
/* a poll found nothing to read: counted as that errno */
#define NOT_READY EAGAIN

#define MOCK_BUS_DEVICES "/sys/bus/iommufd_mock/devices"

/* ---------------------------------------------------------------- PRNG */

struct rng {
	__u64 s;
};

static __u64 rnd64(struct rng *r)
{
	__u64 z = (r->s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static __u32 rnd(struct rng *r, __u32 n)
{
	return n ? rnd64(r) % n : 0;
}

/* true with a probability of @pct percent */
static bool chance(struct rng *r, unsigned int pct)
{
	return rnd(r, 100) < pct;
}

/* ---------------------------------------------------------------- pools */

enum obj_type {
	T_IOAS,
	T_HWPT,		/* paging HWPT; aux: its alloc flags */
	T_NESTED,	/* nested HWPT */
	T_DEV,		/* mock device: id is the stdev, aux the idev */
	T_VIOMMU,	/* aux64: the mmap offset of its pages */
	T_VDEV,
	T_FAULT,	/* fd: the fault queue's descriptor */
	T_VEVENTQ,	/* fd: the queue's descriptor */
	T_HWQUEUE,
	T_ACCESS,	/* id: the access's descriptor; aux: its IOAS */
	T_APAGES,	/* id: the pin; aux: the access descriptor */
	T_NR
};

struct ent {
	__u32 id;
	__u32 aux;
	int fd;
	__u64 aux64;
};

struct map {
	__u32 ioas;
	__u64 iova;
	__u64 len;
	__u64 uva;	/* the user VA it was mapped from */
};

struct ctx {
	pthread_mutex_t lock;
	unsigned int gen;		/* bumped whenever it is retired */
	int fds[NFD];
	int nfds;
	struct ent ents[T_NR][NIDS];
	int n[T_NR];
	struct map maps[NMAPS];
	int nmaps;
	__u32 dead[NDEAD];
	int ndead;
	int stray[NSTRAY];
	int nstray;
	__u32 cookies[4];		/* fault cookies read, to respond to */
	int ncookies;
};

enum buf_kind { B_ANON, B_THP, B_HUGETLB, B_MEMFD, B_MEMFD_HUGE, B_RDONLY };

static const char * const buf_kind_name[] = {
	"anon", "thp", "hugetlb", "memfd", "memfd-huge", "read-only",
};

struct buf {
	enum buf_kind kind;
	__u8 *va;
	size_t len;
	int memfd;		/* -1 when the buffer is anonymous */
	bool gone;		/* replaced by a PROT_NONE hole */
};

static struct ctx ctxs[NCTX];
static struct buf bufs[NBUF];
static pthread_mutex_t buf_lock = PTHREAD_MUTEX_INITIALIZER;

/* ---------------------------------------------------------------- threads */

struct thr;
typedef int (*op_fn)(struct thr *t);

struct op {
	const char *name;
	op_fn fn;
	unsigned int weight;
};

struct thr {
	int index;
	struct rng r;
	pthread_t tid;
	__u64 calls;
	__u64 *counts;		/* [op][errno] */
	__u8 *scratch;		/* SCRATCH_SIZE bytes, page aligned */
	__u8 bigarg[8192];	/* an oversized struct */
};

static __u64 deadline_ns;
static __u64 max_calls;
static __u64 total_calls;	/* __atomic: roughly, in steps of 256 */
static int stopping;		/* __atomic */

static __u64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* ---------------------------------------------------------------- pool helpers */

static struct ctx *pick_ctx(struct thr *t)
{
	return &ctxs[rnd(&t->r, NCTX)];
}

static void ctx_add(struct ctx *c, unsigned int gen, enum obj_type type,
		    __u32 id, __u32 aux, int fd, __u64 aux64)
{
	struct ent *e;

	pthread_mutex_lock(&c->lock);
	if (c->gen != gen || c->nfds == 0) {
		/* the context went meanwhile: so does what it handed out */
		pthread_mutex_unlock(&c->lock);
		if (fd >= 0)
			close(fd);
		if (type == T_ACCESS)
			close(id);
		return;
	}
	if (c->n[type] == NIDS) {
		/* Full: forget the oldest; it stays alive in the context */
		e = &c->ents[type][0];
		if (e->fd >= 0)
			close(e->fd);
		if (type == T_ACCESS)
			close(e->id);
		memmove(e, e + 1, (NIDS - 1) * sizeof(*e));
		c->n[type]--;
	}
	e = &c->ents[type][c->n[type]++];
	e->id = id;
	e->aux = aux;
	e->fd = fd;
	e->aux64 = aux64;
	pthread_mutex_unlock(&c->lock);
}

/* Remove the entry of @type with @id; its fd is kept as a stray one */
static void ctx_remove(struct ctx *c, unsigned int gen, enum obj_type type,
		       __u32 id)
{
	int i;

	pthread_mutex_lock(&c->lock);
	if (c->gen != gen)
		goto out;
	for (i = 0; i < c->n[type]; i++) {
		struct ent *e = &c->ents[type][i];

		if (e->id != id)
			continue;
		if (e->fd >= 0) {
			if (c->nstray < NSTRAY)
				c->stray[c->nstray++] = e->fd;
			else
				close(e->fd);
		}
		*e = c->ents[type][--c->n[type]];
		break;
	}
	c->dead[c->ndead++ % NDEAD] = id;
	if (c->ndead >= 2 * NDEAD)
		c->ndead = NDEAD;
out:
	pthread_mutex_unlock(&c->lock);
}

/* Close everything of a context; the caller holds its lock */
static void ctx_retire_locked(struct ctx *c)
{
	int type, i;

	for (type = 0; type < T_NR; type++) {
		for (i = 0; i < c->n[type]; i++) {
			int fd = c->ents[type][i].fd;

			/* access fds are their own entries' IDs */
			if (type == T_ACCESS)
				fd = c->ents[type][i].id;
			if (fd >= 0)
				close(fd);
		}
		c->n[type] = 0;
	}
	for (i = 0; i < c->nstray; i++)
		close(c->stray[i]);
	for (i = 0; i < c->nfds; i++)
		close(c->fds[i]);
	c->nstray = 0;
	c->nfds = 0;
	c->nmaps = 0;
	c->ncookies = 0;
	c->gen++;
}

/*
 * A snapshot of what an op needs: one of the context's descriptors (or
 * -1 when the context is closed) and its generation
 */
struct pick {
	struct ctx *c;
	int fd;
	unsigned int gen;
};

static struct pick pick_fd(struct thr *t)
{
	struct pick p = { .c = pick_ctx(t), .fd = -1 };

	pthread_mutex_lock(&p.c->lock);
	if (p.c->nfds)
		p.fd = p.c->fds[rnd(&t->r, p.c->nfds)];
	p.gen = p.c->gen;
	pthread_mutex_unlock(&p.c->lock);
	return p;
}

/*
 * An ID to pass where one of @type is expected: mostly a live one of that
 * type, sometimes one of another type, a destroyed one or junk
 */
static __u32 pick_id_ent(struct thr *t, struct ctx *c, enum obj_type type,
			 struct ent *out)
{
	unsigned int roll = rnd(&t->r, 100);
	struct ent junk = { .fd = -1 };
	__u32 id;

	pthread_mutex_lock(&c->lock);
	if (roll < 88 && c->n[type]) {
		junk = c->ents[type][rnd(&t->r, c->n[type])];
	} else if (roll < 93) {
		enum obj_type other = rnd(&t->r, T_ACCESS);

		if (c->n[other])
			junk = c->ents[other][rnd(&t->r, c->n[other])];
		if (other == T_DEV && chance(&t->r, 50))
			junk.id = junk.aux;
	} else if (roll < 97 && c->ndead) {
		junk.id = c->dead[rnd(&t->r, c->ndead < NDEAD ? c->ndead : NDEAD)];
	} else {
		static const __u32 odd[] = { 0, 1, 2, 3, NO_SUCH_ID, ~0u, 1u << 31 };

		junk.id = odd[rnd(&t->r, ARRAY_SIZE(odd))];
	}
	pthread_mutex_unlock(&c->lock);
	id = junk.id;
	if (out)
		*out = junk;
	return id;
}

static __u32 pick_id(struct thr *t, struct ctx *c, enum obj_type type)
{
	return pick_id_ent(t, c, type, NULL);
}

/* The idev of a mock device (or, sometimes, its stdev) */
static __u32 pick_idev(struct thr *t, struct ctx *c)
{
	struct ent e;

	pick_id_ent(t, c, T_DEV, &e);
	if (e.aux && chance(&t->r, 97))
		return e.aux;
	return e.id;
}

/* A page table: an IOAS or a paging HWPT, at times a nested one */
static __u32 pick_pt(struct thr *t, struct ctx *c)
{
	unsigned int roll = rnd(&t->r, 10);

	if (roll < 5)
		return pick_id(t, c, T_IOAS);
	if (roll < 9)
		return pick_id(t, c, T_HWPT);
	return pick_id(t, c, T_NESTED);
}

static bool pick_map(struct thr *t, struct ctx *c, struct map *m)
{
	bool found = false;

	pthread_mutex_lock(&c->lock);
	if (c->nmaps) {
		*m = c->maps[rnd(&t->r, c->nmaps < NMAPS ? c->nmaps : NMAPS)];
		found = true;
	}
	pthread_mutex_unlock(&c->lock);
	return found;
}

static void add_map(struct ctx *c, unsigned int gen, __u32 ioas, __u64 iova,
		    __u64 len, __u64 uva)
{
	pthread_mutex_lock(&c->lock);
	if (c->gen == gen) {
		struct map *m = &c->maps[c->nmaps++ % NMAPS];

		m->ioas = ioas;
		m->iova = iova;
		m->len = len;
		m->uva = uva;
		if (c->nmaps >= 2 * NMAPS)
			c->nmaps = NMAPS;
	}
	pthread_mutex_unlock(&c->lock);
}

/* A buffer's address and length (at the time of the pick) */
static struct buf pick_buf(struct thr *t)
{
	struct buf b;

	pthread_mutex_lock(&buf_lock);
	b = bufs[rnd(&t->r, NBUF)];
	pthread_mutex_unlock(&buf_lock);
	return b;
}

/* ---------------------------------------------------------------- argument helpers */

/* A sub-range of a buffer, page aligned mostly */
static void pick_range(struct thr *t, const struct buf *b, __u64 *va,
		       __u64 *len)
{
	size_t pages = b->len / PAGE_SIZE;
	size_t first = rnd(&t->r, pages);
	size_t n = 1 + rnd(&t->r, pages - first);

	*va = (uintptr_t)b->va + first * PAGE_SIZE;
	*len = n * PAGE_SIZE;
	if (chance(&t->r, 4))
		*va += 1 + rnd(&t->r, PAGE_SIZE - 1);
	if (chance(&t->r, 4))
		*len = rnd(&t->r, 3) ? *len + PAGE_SIZE : 0;
}

/* A length: mostly the one given, sometimes a boundary */
static __u64 odd_len(struct thr *t, __u64 len)
{
	static const __u64 odd[] = {
		0, 1, PAGE_SIZE - 1, PAGE_SIZE, IO_PAGE_SIZE, SZ_2M,
		1ULL << 32, 1ULL << 63, ~0ULL, ~0ULL - PAGE_SIZE + 1,
	};

	if (chance(&t->r, 92))
		return len;
	return odd[rnd(&t->r, ARRAY_SIZE(odd))];
}

/* An IOVA: mostly one in the mock aperture, sometimes a boundary */
static __u64 odd_iova(struct thr *t)
{
	static const __u64 odd[] = {
		0, PAGE_SIZE, MOCK_APERTURE_START - PAGE_SIZE,
		MOCK_APERTURE_LAST + 1ULL - PAGE_SIZE, MOCK_APERTURE_LAST + 1ULL,
		1ULL << 48, ~0ULL - PAGE_SIZE + 1, ~0ULL,
	};

	if (chance(&t->r, 90))
		return MOCK_APERTURE_START + (__u64)rnd(&t->r, 2048) * PAGE_SIZE;
	return odd[rnd(&t->r, ARRAY_SIZE(odd))];
}

/* A range nothing may map, when no mapping is known */
static void fake_map(struct thr *t, struct map *m, __u64 len)
{
	m->ioas = 0;
	m->iova = odd_iova(t);
	m->len = len;
	m->uva = (uintptr_t)bufs[0].va;
}

/* @valid flags mostly, sometimes a random bit more */
static __u32 odd_flags(struct thr *t, __u32 valid)
{
	__u32 flags = valid ? (__u32)rnd64(&t->r) & valid : 0;

	if (chance(&t->r, 4))
		flags |= 1u << rnd(&t->r, 32);
	return flags;
}

/*
 * Argument storage: the struct with room behind it, for calls whose size
 * field claims more than the struct (the tail must then read as zero)
 */
union argbuf {
	__u8 b[512];
	__u64 align;
};

/*
 * Issue an iommufd ioctl whose struct starts with its __u32 size; at times
 * the size is truncated, zero or larger with a (non-)zero tail.  The
 * errno, or 0.
 */
static int fuzz_ioctl(struct thr *t, int fd, unsigned long req,
		      union argbuf *ab, size_t real)
{
	__u32 *size = (__u32 *)ab->b;
	unsigned int roll = rnd(&t->r, 100);

	*size = real;
	if (roll < 2) {
		*size = rnd(&t->r, real);
	} else if (roll < 4) {
		*size = real + 8 * (1 + rnd(&t->r, 8));
		if (chance(&t->r, 50))
			ab->b[real + rnd(&t->r, *size - real)] = 1;
	} else if (roll < 5) {
		*size = 0;
	} else if (roll < 6) {
		*size = 4096 + rnd(&t->r, 65536);
	}
	if (*size > sizeof(ab->b) && *size < 4096)
		*size = sizeof(ab->b);
	if (*size >= 4096) {
		/* too big for ab: a zeroed tail behind a copy of it */
		memset(t->bigarg, 0, sizeof(t->bigarg));
		memcpy(t->bigarg, ab->b, sizeof(ab->b));
		if (*size > sizeof(t->bigarg))
			*(__u32 *)t->bigarg = sizeof(t->bigarg);
		if (ioctl(fd, req, t->bigarg))
			return errno;
		memcpy(ab->b, t->bigarg, sizeof(ab->b));
		return 0;
	}
	return ioctl(fd, req, ab->b) ? errno : 0;
}

/* ---------------------------------------------------------------- ops: descriptors */

static int op_open(struct thr *t)
{
	struct ctx *c = pick_ctx(t);
	int fd, ret = 0;

	pthread_mutex_lock(&c->lock);
	if (c->nfds == 0) {
		fd = open(IOMMUFD_DEV_PATH, O_RDWR | O_CLOEXEC);
		if (fd < 0)
			ret = errno;
		else
			c->fds[c->nfds++] = fd;
	} else if (c->nfds < NFD) {
		/* another descriptor of the same context */
		fd = dup(c->fds[rnd(&t->r, c->nfds)]);
		if (fd < 0)
			ret = errno;
		else
			c->fds[c->nfds++] = fd;
	} else {
		ret = -1;
	}
	pthread_mutex_unlock(&c->lock);
	return ret;
}

static int op_close(struct thr *t)
{
	struct ctx *c = pick_ctx(t);
	int ret = -1;

	pthread_mutex_lock(&c->lock);
	if (c->nfds > 1) {
		int i = rnd(&t->r, c->nfds);

		ret = close(c->fds[i]) ? errno : 0;
		c->fds[i] = c->fds[--c->nfds];
	} else if (c->nfds == 1 && chance(&t->r, 30)) {
		/* the last one: the context and all of it goes */
		ctx_retire_locked(c);
		ret = 0;
	}
	pthread_mutex_unlock(&c->lock);
	return ret;
}

/* Close a fault, vEVENTQ, access or stray descriptor */
static int op_close_aux(struct thr *t)
{
	static const enum obj_type types[] = { T_FAULT, T_VEVENTQ, T_ACCESS };
	struct ctx *c = pick_ctx(t);
	int ret = -1;

	pthread_mutex_lock(&c->lock);
	if (chance(&t->r, 40) && c->nstray) {
		int i = rnd(&t->r, c->nstray);

		ret = close(c->stray[i]) ? errno : 0;
		c->stray[i] = c->stray[--c->nstray];
	} else {
		enum obj_type type = types[rnd(&t->r, ARRAY_SIZE(types))];
		struct ent *e;
		int fd;

		if (!c->n[type])
			goto out;
		e = &c->ents[type][rnd(&t->r, c->n[type])];
		fd = type == T_ACCESS ? (int)e->id : e->fd;
		ret = close(fd) ? errno : 0;
		if (type == T_ACCESS) {
			int i;

			/* its pins went with it */
			for (i = 0; i < c->n[T_APAGES]; i++) {
				if (c->ents[T_APAGES][i].aux == e->id)
					c->ents[T_APAGES][i--] =
						c->ents[T_APAGES][--c->n[T_APAGES]];
			}
			*e = c->ents[type][--c->n[type]];
		} else {
			/* the object lives on without a descriptor */
			e->fd = -1;
		}
	}
out:
	pthread_mutex_unlock(&c->lock);
	return ret;
}

/* Read what a fault queue or vEVENTQ holds, never blocking */
static int op_read_queue(struct thr *t)
{
	struct ctx *c = pick_ctx(t);
	enum obj_type type = chance(&t->r, 50) ? T_FAULT : T_VEVENTQ;
	struct pollfd pfd = { .events = POLLIN };
	size_t len;
	ssize_t got;

	pthread_mutex_lock(&c->lock);
	pfd.fd = c->n[type] ? c->ents[type][rnd(&t->r, c->n[type])].fd : -1;
	if (pfd.fd < 0 && c->nstray && chance(&t->r, 20))
		pfd.fd = c->stray[rnd(&t->r, c->nstray)];
	pthread_mutex_unlock(&c->lock);
	if (pfd.fd < 0)
		return -1;
	if (poll(&pfd, 1, 0) < 0)
		return errno;
	if (!(pfd.revents & POLLIN) && chance(&t->r, 80))
		return NOT_READY;
	if (type == T_FAULT)
		len = sizeof(struct iommu_hwpt_pgfault) * (1 + rnd(&t->r, 4));
	else
		len = 1 + rnd(&t->r, 256);
	if (chance(&t->r, 5))
		len = rnd(&t->r, 8);
	/* the descriptor may have gone meanwhile: do not block on another */
	pfd.events = POLLIN;
	if (poll(&pfd, 1, 0) < 0 || !(pfd.revents & (POLLIN | POLLERR)))
		return NOT_READY;
	got = read(pfd.fd, t->scratch, len);
	if (got < 0)
		return errno;
	if (type == T_FAULT && got >= (ssize_t)sizeof(struct iommu_hwpt_pgfault)) {
		struct iommu_hwpt_pgfault *f = (void *)t->scratch;

		pthread_mutex_lock(&c->lock);
		c->cookies[c->ncookies++ % 4] = f->cookie;
		if (c->ncookies >= 8)
			c->ncookies = 4;
		pthread_mutex_unlock(&c->lock);
	}
	return 0;
}

/* Answer a page request on a fault queue's descriptor */
static int op_fault_respond(struct thr *t)
{
	struct ctx *c = pick_ctx(t);
	struct iommu_hwpt_page_response resp[2] = {};
	size_t len = sizeof(resp[0]);
	int fd;

	pthread_mutex_lock(&c->lock);
	fd = c->n[T_FAULT] ? c->ents[T_FAULT][rnd(&t->r, c->n[T_FAULT])].fd : -1;
	if (c->ncookies)
		resp[0].cookie = c->cookies[rnd(&t->r, c->ncookies < 4 ? c->ncookies : 4)];
	pthread_mutex_unlock(&c->lock);
	if (fd < 0)
		return -1;
	if (chance(&t->r, 10))
		resp[0].cookie = rnd64(&t->r);
	resp[0].code = chance(&t->r, 90) ? rnd(&t->r, 2) : rnd64(&t->r);
	resp[1] = resp[0];
	if (chance(&t->r, 10))
		len = chance(&t->r, 50) ? sizeof(resp) : rnd(&t->r, sizeof(resp[0]));
	if (write(fd, resp, len) < 0)
		return errno;
	return 0;
}

/* ---------------------------------------------------------------- ops: core ioctls */

static int op_destroy(struct thr *t)
{
	struct pick p = pick_fd(t);
	enum obj_type type = rnd(&t->r, T_ACCESS);
	union argbuf ab = {};
	struct iommu_destroy *cmd = (void *)ab.b;
	int ret;

	if (p.fd < 0)
		return -1;
	cmd->id = pick_id(t, p.c, type);
	ret = fuzz_ioctl(t, p.fd, IOMMU_DESTROY, &ab, sizeof(*cmd));
	if (!ret)
		ctx_remove(p.c, p.gen, type, cmd->id);
	return ret;
}

static int op_ioas_alloc(struct thr *t)
{
	struct pick p = pick_fd(t);
	union argbuf ab = {};
	struct iommu_ioas_alloc *cmd = (void *)ab.b;
	int ret;

	if (p.fd < 0)
		return -1;
	cmd->flags = odd_flags(t, 0);
	ret = fuzz_ioctl(t, p.fd, IOMMU_IOAS_ALLOC, &ab, sizeof(*cmd));
	if (!ret)
		ctx_add(p.c, p.gen, T_IOAS, cmd->out_ioas_id, 0, -1, 0);
	return ret;
}

static int op_iova_ranges(struct thr *t)
{
	struct pick p = pick_fd(t);
	union argbuf ab = {};
	struct iommu_ioas_iova_ranges *cmd = (void *)ab.b;

	if (p.fd < 0)
		return -1;
	cmd->ioas_id = pick_id(t, p.c, T_IOAS);
	cmd->num_iovas = rnd(&t->r, 8);
	cmd->allowed_iovas = (uintptr_t)t->scratch;
	if (chance(&t->r, 3))
		cmd->allowed_iovas = chance(&t->r, 50) ? 0 : ~0ULL;
	if (chance(&t->r, 2))
		cmd->__reserved = 1;
	return fuzz_ioctl(t, p.fd, IOMMU_IOAS_IOVA_RANGES, &ab, sizeof(*cmd));
}

static int op_allow_iovas(struct thr *t)
{
	struct pick p = pick_fd(t);
	union argbuf ab = {};
	struct iommu_ioas_allow_iovas *cmd = (void *)ab.b;
	struct iommu_iova_range *ranges = (void *)t->scratch;
	unsigned int i;

	if (p.fd < 0)
		return -1;
	cmd->ioas_id = pick_id(t, p.c, T_IOAS);
	cmd->num_iovas = rnd(&t->r, 4);
	for (i = 0; i < cmd->num_iovas; i++) {
		ranges[i].start = odd_iova(t) & ~(PAGE_SIZE - 1);
		if (chance(&t->r, 60))
			ranges[i].start = 0;
		ranges[i].last = ranges[i].start + odd_len(t, 1ULL << 40) - 1;
		if (chance(&t->r, 50))
			ranges[i].last = ~0ULL;
	}
	cmd->allowed_iovas = (uintptr_t)ranges;
	return fuzz_ioctl(t, p.fd, IOMMU_IOAS_ALLOW_IOVAS, &ab, sizeof(*cmd));
}

static int op_ioas_map(struct thr *t)
{
	struct pick p = pick_fd(t);
	struct buf b = pick_buf(t);
	union argbuf ab = {};
	struct iommu_ioas_map *cmd = (void *)ab.b;
	__u64 va, len;
	int ret;

	if (p.fd < 0)
		return -1;
	pick_range(t, &b, &va, &len);
	cmd->ioas_id = pick_id(t, p.c, T_IOAS);
	cmd->flags = RW;
	if (chance(&t->r, 40)) {
		cmd->flags |= IOMMU_IOAS_MAP_FIXED_IOVA;
		cmd->iova = odd_iova(t);
	}
	if (chance(&t->r, 10))
		cmd->flags = odd_flags(t, FIXED);
	cmd->user_va = va;
	cmd->length = odd_len(t, len);
	ret = fuzz_ioctl(t, p.fd, IOMMU_IOAS_MAP, &ab, sizeof(*cmd));
	if (!ret)
		add_map(p.c, p.gen, cmd->ioas_id, cmd->iova, cmd->length, va);
	return ret;
}

static int op_ioas_map_file(struct thr *t)
{
	struct pick p = pick_fd(t);
	struct buf b = pick_buf(t);
	union argbuf ab = {};
	struct iommu_ioas_map_file *cmd = (void *)ab.b;
	__u64 va, len;
	int ret;

	if (p.fd < 0)
		return -1;
	pick_range(t, &b, &va, &len);
	cmd->ioas_id = pick_id(t, p.c, T_IOAS);
	cmd->flags = RW;
	if (chance(&t->r, 40)) {
		cmd->flags |= IOMMU_IOAS_MAP_FIXED_IOVA;
		cmd->iova = odd_iova(t);
	}
	if (chance(&t->r, 10))
		cmd->flags = odd_flags(t, FIXED);
	cmd->fd = b.memfd;
	if (b.memfd < 0 || chance(&t->r, 5))
		cmd->fd = chance(&t->r, 50) ? p.fd : -1;
	cmd->start = chance(&t->r, 95) ? va - (uintptr_t)b.va : rnd64(&t->r);
	cmd->length = odd_len(t, len);
	ret = fuzz_ioctl(t, p.fd, IOMMU_IOAS_MAP_FILE, &ab, sizeof(*cmd));
	if (!ret)
		add_map(p.c, p.gen, cmd->ioas_id, cmd->iova, cmd->length, va);
	return ret;
}

static int op_ioas_copy(struct thr *t)
{
	struct pick p = pick_fd(t);
	union argbuf ab = {};
	struct iommu_ioas_copy *cmd = (void *)ab.b;
	struct map m;
	__u64 uva;
	int ret;

	if (p.fd < 0 || !pick_map(t, p.c, &m))
		return -1;
	uva = m.uva;
	cmd->src_ioas_id = chance(&t->r, 90) ? m.ioas : pick_id(t, p.c, T_IOAS);
	cmd->dst_ioas_id = pick_id(t, p.c, T_IOAS);
	cmd->src_iova = m.iova;
	cmd->length = m.len;
	if (chance(&t->r, 20) && m.len > PAGE_SIZE) {
		cmd->src_iova += PAGE_SIZE;
		uva += PAGE_SIZE;
		cmd->length -= PAGE_SIZE * (1 + rnd(&t->r, 2));
	}
	cmd->length = odd_len(t, cmd->length);
	cmd->flags = RW;
	if (chance(&t->r, 40)) {
		cmd->flags |= IOMMU_IOAS_MAP_FIXED_IOVA;
		cmd->dst_iova = odd_iova(t);
	}
	if (chance(&t->r, 10))
		cmd->flags = odd_flags(t, FIXED);
	ret = fuzz_ioctl(t, p.fd, IOMMU_IOAS_COPY, &ab, sizeof(*cmd));
	if (!ret)
		add_map(p.c, p.gen, cmd->dst_ioas_id, cmd->dst_iova,
			cmd->length, uva);
	return ret;
}

static int op_ioas_unmap(struct thr *t)
{
	struct pick p = pick_fd(t);
	union argbuf ab = {};
	struct iommu_ioas_unmap *cmd = (void *)ab.b;
	struct map m;

	if (p.fd < 0)
		return -1;
	if (!pick_map(t, p.c, &m) || chance(&t->r, 10)) {
		/* everything, or a range nothing maps */
		m.ioas = pick_id(t, p.c, T_IOAS);
		m.iova = chance(&t->r, 50) ? 0 : odd_iova(t);
		m.len = m.iova ? odd_len(t, PAGE_SIZE) : ~0ULL;
	}
	cmd->ioas_id = m.ioas;
	cmd->iova = m.iova;
	cmd->length = odd_len(t, m.len);
	if (chance(&t->r, 10) && m.len > PAGE_SIZE)
		cmd->length -= PAGE_SIZE;
	return fuzz_ioctl(t, p.fd, IOMMU_IOAS_UNMAP, &ab, sizeof(*cmd));
}

static int op_option(struct thr *t)
{
	struct pick p = pick_fd(t);
	union argbuf ab = {};
	struct iommu_option *cmd = (void *)ab.b;

	if (p.fd < 0)
		return -1;
	cmd->option_id = chance(&t->r, 95) ? rnd(&t->r, 2) : rnd(&t->r, 100);
	cmd->op = chance(&t->r, 95) ? rnd(&t->r, 2) : rnd(&t->r, 1000);
	if (cmd->option_id == IOMMU_OPTION_HUGE_PAGES)
		cmd->object_id = pick_id(t, p.c, T_IOAS);
	cmd->val64 = chance(&t->r, 95) ? rnd(&t->r, 2) : rnd64(&t->r);
	if (chance(&t->r, 2))
		cmd->__reserved = 1;
	return fuzz_ioctl(t, p.fd, IOMMU_OPTION, &ab, sizeof(*cmd));
}

static int op_vfio_ioas(struct thr *t)
{
	struct pick p = pick_fd(t);
	union argbuf ab = {};
	struct iommu_vfio_ioas *cmd = (void *)ab.b;

	if (p.fd < 0)
		return -1;
	cmd->op = chance(&t->r, 95) ? rnd(&t->r, 3) : rnd(&t->r, 1000);
	if (cmd->op == IOMMU_VFIO_IOAS_SET)
		cmd->ioas_id = pick_id(t, p.c, T_IOAS);
	return fuzz_ioctl(t, p.fd, IOMMU_VFIO_IOAS, &ab, sizeof(*cmd));
}

static int op_hwpt_alloc(struct thr *t)
{
	struct pick p = pick_fd(t);
	union argbuf ab = {};
	struct iommu_hwpt_alloc *cmd = (void *)ab.b;
	struct iommu_hwpt_selftest data = { .iotlb = IOMMU_TEST_IOTLB_DEFAULT };
	bool nested = chance(&t->r, 35);
	int ret;

	if (p.fd < 0)
		return -1;
	cmd->dev_id = pick_idev(t, p.c);
	if (nested) {
		cmd->pt_id = chance(&t->r, 70) ? pick_id(t, p.c, T_HWPT) :
						  pick_id(t, p.c, T_VIOMMU);
		cmd->data_type = IOMMU_HWPT_DATA_SELFTEST;
		cmd->data_len = sizeof(data);
		cmd->data_uptr = (uintptr_t)&data;
		if (chance(&t->r, 5))
			cmd->data_len = rnd(&t->r, 2 * sizeof(data));
		if (chance(&t->r, 3))
			cmd->data_type = rnd(&t->r, 4);
		cmd->flags = odd_flags(t, IOMMU_HWPT_ALLOC_PASID);
	} else {
		cmd->pt_id = pick_id(t, p.c, T_IOAS);
		cmd->flags = odd_flags(t, IOMMU_HWPT_ALLOC_NEST_PARENT |
					  IOMMU_HWPT_ALLOC_DIRTY_TRACKING |
					  IOMMU_HWPT_ALLOC_PASID);
		if (chance(&t->r, 3)) {
			cmd->data_type = IOMMU_HWPT_DATA_SELFTEST;
			cmd->data_len = sizeof(data);
			cmd->data_uptr = (uintptr_t)&data;
		}
	}
	if (chance(&t->r, 30)) {
		cmd->flags |= IOMMU_HWPT_FAULT_ID_VALID;
		cmd->fault_id = pick_id(t, p.c, T_FAULT);
	}
	if (chance(&t->r, 2))
		cmd->__reserved2 = 1;
	ret = fuzz_ioctl(t, p.fd, IOMMU_HWPT_ALLOC, &ab, sizeof(*cmd));
	if (!ret)
		ctx_add(p.c, p.gen, nested ? T_NESTED : T_HWPT,
			cmd->out_hwpt_id, cmd->flags, -1, 0);
	return ret;
}

static int op_get_hw_info(struct thr *t)
{
	struct pick p = pick_fd(t);
	union argbuf ab = {};
	struct iommu_hw_info *cmd = (void *)ab.b;

	if (p.fd < 0)
		return -1;
	cmd->dev_id = pick_idev(t, p.c);
	cmd->data_len = chance(&t->r, 80) ? sizeof(struct iommu_test_hw_info) :
					    rnd(&t->r, 64);
	cmd->data_uptr = chance(&t->r, 97) ? (uintptr_t)t->scratch : 0;
	if (chance(&t->r, 20)) {
		cmd->flags = IOMMU_HW_INFO_FLAG_INPUT_TYPE;
		cmd->in_data_type = chance(&t->r, 50) ? IOMMU_HW_INFO_TYPE_SELFTEST :
						       rnd(&t->r, 4);
	}
	cmd->flags |= odd_flags(t, 0);
	return fuzz_ioctl(t, p.fd, IOMMU_GET_HW_INFO, &ab, sizeof(*cmd));
}

static int op_set_dirty(struct thr *t)
{
	struct pick p = pick_fd(t);
	union argbuf ab = {};
	struct iommu_hwpt_set_dirty_tracking *cmd = (void *)ab.b;

	if (p.fd < 0)
		return -1;
	cmd->hwpt_id = pick_id(t, p.c, T_HWPT);
	cmd->flags = odd_flags(t, IOMMU_HWPT_DIRTY_TRACKING_ENABLE);
	return fuzz_ioctl(t, p.fd, IOMMU_HWPT_SET_DIRTY_TRACKING, &ab,
			  sizeof(*cmd));
}

static int op_get_dirty(struct thr *t)
{
	struct pick p = pick_fd(t);
	union argbuf ab = {};
	struct iommu_hwpt_get_dirty_bitmap *cmd = (void *)ab.b;
	struct map m;

	if (p.fd < 0)
		return -1;
	if (!pick_map(t, p.c, &m))
		fake_map(t, &m, SZ_1M);
	cmd->hwpt_id = pick_id(t, p.c, T_HWPT);
	cmd->flags = odd_flags(t, IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR);
	cmd->iova = m.iova;
	cmd->page_size = chance(&t->r, 90) ? PAGE_SIZE : 1ULL << rnd(&t->r, 40);
	/* the bitmap in scratch: at most 64 KiB * 8 pages */
	cmd->length = odd_len(t, m.len);
	cmd->data = chance(&t->r, 97) ? (uintptr_t)t->scratch : 8;
	/* the kernel writes length / page_size bits: they must fit */
	if (cmd->length / cmd->page_size > (SCRATCH_SIZE - 64) * 8)
		cmd->length = PAGE_SIZE;
	return fuzz_ioctl(t, p.fd, IOMMU_HWPT_GET_DIRTY_BITMAP, &ab,
			  sizeof(*cmd));
}

static int op_invalidate(struct thr *t)
{
	struct pick p = pick_fd(t);
	union argbuf ab = {};
	struct iommu_hwpt_invalidate *cmd = (void *)ab.b;
	bool viommu = chance(&t->r, 40);
	unsigned int i, n = rnd(&t->r, 4);

	if (p.fd < 0)
		return -1;
	if (viommu) {
		struct iommu_viommu_invalidate_selftest *e = (void *)t->scratch;

		cmd->hwpt_id = pick_id(t, p.c, T_VIOMMU);
		cmd->data_type = IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST;
		cmd->entry_len = sizeof(*e);
		for (i = 0; i < n; i++) {
			e[i].flags = odd_flags(t, IOMMU_TEST_INVALIDATE_FLAG_ALL);
			e[i].vdev_id = rnd(&t->r, 8);
			e[i].cache_id = rnd(&t->r, MOCK_DEV_CACHE_ID_MAX + 2);
		}
	} else {
		struct iommu_hwpt_invalidate_selftest *e = (void *)t->scratch;

		cmd->hwpt_id = pick_id(t, p.c, T_NESTED);
		cmd->data_type = IOMMU_HWPT_INVALIDATE_DATA_SELFTEST;
		cmd->entry_len = sizeof(*e);
		for (i = 0; i < n; i++) {
			e[i].flags = odd_flags(t, IOMMU_TEST_INVALIDATE_FLAG_ALL);
			e[i].iotlb_id = rnd(&t->r, MOCK_NESTED_DOMAIN_IOTLB_ID_MAX + 2);
		}
	}
	cmd->data_uptr = (uintptr_t)t->scratch;
	cmd->entry_num = n;
	if (chance(&t->r, 5))
		cmd->entry_len = rnd(&t->r, 32);
	if (chance(&t->r, 3))
		cmd->data_type = IOMMU_HWPT_INVALIDATE_DATA_SELFTEST_INVALID;
	if (chance(&t->r, 2))
		cmd->entry_num = ~0u;
	return fuzz_ioctl(t, p.fd, IOMMU_HWPT_INVALIDATE, &ab, sizeof(*cmd));
}

static int op_fault_alloc(struct thr *t)
{
	struct pick p = pick_fd(t);
	union argbuf ab = {};
	struct iommu_fault_alloc *cmd = (void *)ab.b;
	int ret;

	if (p.fd < 0)
		return -1;
	cmd->flags = odd_flags(t, 0);
	ret = fuzz_ioctl(t, p.fd, IOMMU_FAULT_QUEUE_ALLOC, &ab, sizeof(*cmd));
	if (!ret) {
		fcntl(cmd->out_fault_fd, F_SETFL, O_NONBLOCK);
		ctx_add(p.c, p.gen, T_FAULT, cmd->out_fault_id, 0,
			cmd->out_fault_fd, 0);
	}
	return ret;
}

static int op_viommu_alloc(struct thr *t)
{
	struct pick p = pick_fd(t);
	union argbuf ab = {};
	struct iommu_viommu_alloc *cmd = (void *)ab.b;
	struct iommu_viommu_selftest data = { .in_data = 0xbeef };
	int ret;

	if (p.fd < 0)
		return -1;
	cmd->type = chance(&t->r, 90) ? IOMMU_VIOMMU_TYPE_SELFTEST :
					rnd(&t->r, 4);
	cmd->dev_id = pick_idev(t, p.c);
	cmd->hwpt_id = pick_id(t, p.c, T_HWPT);
	cmd->flags = odd_flags(t, 0);
	if (chance(&t->r, 70)) {
		cmd->data_len = sizeof(data);
		cmd->data_uptr = (uintptr_t)&data;
		if (chance(&t->r, 5))
			cmd->data_len = rnd(&t->r, 2 * sizeof(data));
	}
	ret = fuzz_ioctl(t, p.fd, IOMMU_VIOMMU_ALLOC, &ab, sizeof(*cmd));
	if (!ret)
		ctx_add(p.c, p.gen, T_VIOMMU, cmd->out_viommu_id, 0, -1,
			cmd->data_len == sizeof(data) ? data.out_mmap_offset : 0);
	return ret;
}

static int op_vdevice_alloc(struct thr *t)
{
	struct pick p = pick_fd(t);
	union argbuf ab = {};
	struct iommu_vdevice_alloc *cmd = (void *)ab.b;
	int ret;

	if (p.fd < 0)
		return -1;
	cmd->viommu_id = pick_id(t, p.c, T_VIOMMU);
	cmd->dev_id = pick_idev(t, p.c);
	cmd->virt_id = chance(&t->r, 90) ? rnd(&t->r, 8) : rnd64(&t->r);
	ret = fuzz_ioctl(t, p.fd, IOMMU_VDEVICE_ALLOC, &ab, sizeof(*cmd));
	if (!ret)
		ctx_add(p.c, p.gen, T_VDEV, cmd->out_vdevice_id, 0, -1, 0);
	return ret;
}

static int op_change_process(struct thr *t)
{
	struct pick p = pick_fd(t);
	union argbuf ab = {};
	struct iommu_ioas_change_process *cmd = (void *)ab.b;

	if (p.fd < 0)
		return -1;
	if (chance(&t->r, 3))
		cmd->__reserved = 1;
	return fuzz_ioctl(t, p.fd, IOMMU_IOAS_CHANGE_PROCESS, &ab,
			  sizeof(*cmd));
}

static int op_veventq_alloc(struct thr *t)
{
	struct pick p = pick_fd(t);
	union argbuf ab = {};
	struct iommu_veventq_alloc *cmd = (void *)ab.b;
	int ret;

	if (p.fd < 0)
		return -1;
	cmd->viommu_id = pick_id(t, p.c, T_VIOMMU);
	cmd->type = chance(&t->r, 90) ? IOMMU_VEVENTQ_TYPE_SELFTEST :
					rnd(&t->r, 4);
	cmd->veventq_depth = chance(&t->r, 90) ? 1 + rnd(&t->r, 4) :
						 rnd64(&t->r);
	cmd->flags = odd_flags(t, 0);
	ret = fuzz_ioctl(t, p.fd, IOMMU_VEVENTQ_ALLOC, &ab, sizeof(*cmd));
	if (!ret) {
		fcntl(cmd->out_veventq_fd, F_SETFL, O_NONBLOCK);
		ctx_add(p.c, p.gen, T_VEVENTQ, cmd->out_veventq_id, 0,
			cmd->out_veventq_fd, 0);
	}
	return ret;
}

static int op_hw_queue_alloc(struct thr *t)
{
	struct pick p = pick_fd(t);
	union argbuf ab = {};
	struct iommu_hw_queue_alloc *cmd = (void *)ab.b;
	struct map m;
	int ret;

	if (p.fd < 0)
		return -1;
	if (!pick_map(t, p.c, &m))
		fake_map(t, &m, PAGE_SIZE);
	cmd->viommu_id = pick_id(t, p.c, T_VIOMMU);
	cmd->type = chance(&t->r, 90) ? IOMMU_HW_QUEUE_TYPE_SELFTEST :
					rnd(&t->r, 4);
	cmd->index = rnd(&t->r, IOMMU_TEST_HW_QUEUE_MAX + 1);
	cmd->nesting_parent_iova = m.iova;
	cmd->length = odd_len(t, chance(&t->r, 70) ? PAGE_SIZE : m.len);
	cmd->flags = odd_flags(t, 0);
	ret = fuzz_ioctl(t, p.fd, IOMMU_HW_QUEUE_ALLOC, &ab, sizeof(*cmd));
	if (!ret)
		ctx_add(p.c, p.gen, T_HWQUEUE, cmd->out_hw_queue_id, 0, -1, 0);
	return ret;
}

/* mmap() the pages a mock vIOMMU offers at its offset on the iommufd */
static int op_mmap_viommu(struct thr *t)
{
	struct pick p = pick_fd(t);
	struct ent e;
	size_t len = 2 * PAGE_SIZE;
	__u64 off;
	void *va;

	if (p.fd < 0)
		return -1;
	pick_id_ent(t, p.c, T_VIOMMU, &e);
	off = e.aux64;
	if (chance(&t->r, 10))
		off += PAGE_SIZE * rnd(&t->r, 4);
	if (chance(&t->r, 10))
		len = PAGE_SIZE * rnd(&t->r, 5);
	va = mmap(NULL, len, PROT_READ | (chance(&t->r, 50) ? PROT_WRITE : 0),
		  MAP_SHARED, p.fd, off);
	if (va == MAP_FAILED)
		return errno;
	__atomic_load_n((__u32 *)va, __ATOMIC_RELAXED);
	munmap(va, len);
	return 0;
}

/* ---------------------------------------------------------------- ops: IOMMU_TEST_CMD */

static int test_cmd(struct thr *t, int fd, struct iommu_test_cmd *cmd,
		    union argbuf *ab)
{
	cmd->size = sizeof(*cmd);
	if (chance(&t->r, 1))
		cmd->__reserved = 1;
	return fuzz_ioctl(t, fd, IOMMU_TEST_CMD, ab, sizeof(*cmd));
}

static struct iommu_test_cmd *test_cmd_init(union argbuf *ab, __u32 opcode)
{
	struct iommu_test_cmd *cmd = (void *)ab->b;

	cmd->op = opcode;
	return cmd;
}

static int op_mock_domain(struct thr *t)
{
	struct pick p = pick_fd(t);
	union argbuf ab = {};
	struct iommu_test_cmd *cmd;
	unsigned int roll = rnd(&t->r, 10);
	int ret;

	if (p.fd < 0)
		return -1;
	/* keep the device count bounded: the pool forgets the oldest */
	cmd = test_cmd_init(&ab, IOMMU_TEST_OP_MOCK_DOMAIN);
	cmd->id = pick_pt(t, p.c);
	if (roll >= 4) {
		cmd->op = IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS;
		cmd->mock_domain_flags.dev_flags =
			odd_flags(t, MOCK_FLAGS_DEVICE_NO_DIRTY |
				     MOCK_FLAGS_DEVICE_HUGE_IOVA |
				     MOCK_FLAGS_DEVICE_PASID |
				     MOCK_FLAGS_DEVICE_ENFORCE_CC |
				     MOCK_FLAGS_DEVICE_SECOND_IOMMU);
	}
	if (roll >= 8) {
		cmd->op = IOMMU_TEST_OP_MOCK_DOMAIN_IN_GROUP;
		cmd->mock_domain_in_group.group_peer_id = pick_id(t, p.c, T_DEV);
	}
	ret = test_cmd(t, p.fd, cmd, &ab);
	if (!ret) {
		ctx_add(p.c, p.gen, T_DEV, cmd->mock_domain.out_stdev_id,
			cmd->mock_domain.out_idev_id, -1, 0);
		if (cmd->mock_domain.out_hwpt_id != cmd->id)
			ctx_add(p.c, p.gen, T_HWPT, cmd->mock_domain.out_hwpt_id,
				0, -1, 0);
	}
	return ret;
}

static int op_mock_replace(struct thr *t)
{
	struct pick p = pick_fd(t);
	union argbuf ab = {};
	struct iommu_test_cmd *cmd;

	if (p.fd < 0)
		return -1;
	cmd = test_cmd_init(&ab, IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE);
	cmd->id = pick_id(t, p.c, T_DEV);
	cmd->mock_domain_replace.pt_id = pick_pt(t, p.c);
	return test_cmd(t, p.fd, cmd, &ab);
}

static int op_add_reserved(struct thr *t)
{
	struct pick p = pick_fd(t);
	union argbuf ab = {};
	struct iommu_test_cmd *cmd;

	if (p.fd < 0)
		return -1;
	cmd = test_cmd_init(&ab, IOMMU_TEST_OP_ADD_RESERVED);
	cmd->id = pick_id(t, p.c, T_IOAS);
	cmd->add_reserved.start = odd_iova(t);
	cmd->add_reserved.length = odd_len(t, PAGE_SIZE * (1 + rnd(&t->r, 4)));
	return test_cmd(t, p.fd, cmd, &ab);
}

static int op_check_map(struct thr *t)
{
	struct pick p = pick_fd(t);
	struct buf b = pick_buf(t);
	union argbuf ab = {};
	struct iommu_test_cmd *cmd;
	struct map m;

	if (p.fd < 0 || !pick_map(t, p.c, &m))
		return -1;
	cmd = test_cmd_init(&ab, IOMMU_TEST_OP_MD_CHECK_MAP);
	cmd->id = pick_id(t, p.c, T_HWPT);
	cmd->check_map.iova = m.iova;
	cmd->check_map.length = odd_len(t, m.len);
	cmd->check_map.uptr = chance(&t->r, 90) ? m.uva : (uintptr_t)b.va;
	return test_cmd(t, p.fd, cmd, &ab);
}

static int op_check_refs(struct thr *t)
{
	struct pick p = pick_fd(t);
	struct buf b = pick_buf(t);
	union argbuf ab = {};
	struct iommu_test_cmd *cmd;
	__u64 va, len;

	if (p.fd < 0)
		return -1;
	pick_range(t, &b, &va, &len);
	cmd = test_cmd_init(&ab, IOMMU_TEST_OP_MD_CHECK_REFS);
	cmd->check_refs.uptr = va;
	cmd->check_refs.length = odd_len(t, len);
	cmd->check_refs.refs = rnd(&t->r, 3);
	return test_cmd(t, p.fd, cmd, &ab);
}

static int op_create_access(struct thr *t)
{
	struct pick p = pick_fd(t);
	union argbuf ab = {};
	struct iommu_test_cmd *cmd;
	int ret;

	if (p.fd < 0)
		return -1;
	cmd = test_cmd_init(&ab, IOMMU_TEST_OP_CREATE_ACCESS);
	cmd->id = pick_id(t, p.c, T_IOAS);
	cmd->create_access.flags = chance(&t->r, 80) ?
		MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES :
		odd_flags(t, MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES);
	ret = test_cmd(t, p.fd, cmd, &ab);
	if (!ret)
		ctx_add(p.c, p.gen, T_ACCESS, cmd->create_access.out_access_fd,
			cmd->id, -1, 0);
	return ret;
}

static int op_access_pages(struct thr *t)
{
	struct pick p = pick_fd(t);
	struct buf b = pick_buf(t);
	union argbuf ab = {};
	struct iommu_test_cmd *cmd;
	struct map m;
	int ret;

	if (p.fd < 0)
		return -1;
	if (!pick_map(t, p.c, &m))
		fake_map(t, &m, PAGE_SIZE);
	cmd = test_cmd_init(&ab, IOMMU_TEST_OP_ACCESS_PAGES);
	cmd->id = pick_id(t, p.c, T_ACCESS);
	cmd->access_pages.flags = odd_flags(t, MOCK_FLAGS_ACCESS_WRITE);
	cmd->access_pages.iova = m.iova;
	cmd->access_pages.length = m.len;
	if (chance(&t->r, 30) && m.len > PAGE_SIZE) {
		cmd->access_pages.iova += PAGE_SIZE;
		cmd->access_pages.length = PAGE_SIZE;
	}
	cmd->access_pages.length = odd_len(t, cmd->access_pages.length);
	/* the kernel compares the pinned pages with those of uptr */
	cmd->access_pages.uptr = m.uva + cmd->access_pages.iova - m.iova;
	if (chance(&t->r, 5))
		cmd->access_pages.uptr = (uintptr_t)b.va;
	ret = test_cmd(t, p.fd, cmd, &ab);
	if (!ret)
		ctx_add(p.c, p.gen, T_APAGES,
			cmd->access_pages.out_access_pages_id, cmd->id, -1, 0);
	return ret;
}

static int op_access_unpin(struct thr *t)
{
	struct pick p = pick_fd(t);
	union argbuf ab = {};
	struct iommu_test_cmd *cmd;
	struct ent e;
	int ret;

	if (p.fd < 0)
		return -1;
	cmd = test_cmd_init(&ab, IOMMU_TEST_OP_DESTROY_ACCESS_PAGES);
	cmd->destroy_access_pages.access_pages_id =
		pick_id_ent(t, p.c, T_APAGES, &e);
	cmd->id = e.aux && chance(&t->r, 95) ? e.aux : pick_id(t, p.c, T_ACCESS);
	ret = test_cmd(t, p.fd, cmd, &ab);
	if (!ret)
		ctx_remove(p.c, p.gen, T_APAGES, e.id);
	return ret;
}

static int op_access_rw(struct thr *t)
{
	struct pick p = pick_fd(t);
	union argbuf ab = {};
	struct iommu_test_cmd *cmd;
	struct map m;

	if (p.fd < 0)
		return -1;
	if (!pick_map(t, p.c, &m))
		fake_map(t, &m, PAGE_SIZE);
	cmd = test_cmd_init(&ab, IOMMU_TEST_OP_ACCESS_RW);
	cmd->id = pick_id(t, p.c, T_ACCESS);
	cmd->access_rw.flags = odd_flags(t, MOCK_ACCESS_RW_WRITE |
					    MOCK_ACCESS_RW_SLOW_PATH);
	cmd->access_rw.iova = m.iova + rnd(&t->r, m.len ? m.len : 1);
	cmd->access_rw.length = odd_len(t, 1 + rnd(&t->r, 3 * PAGE_SIZE));
	/* the user side is our own scratch: what is read lands there */
	if (cmd->access_rw.length > SCRATCH_SIZE &&
	    (!(cmd->access_rw.flags & MOCK_ACCESS_RW_WRITE) || chance(&t->r, 95)))
		cmd->access_rw.length = SCRATCH_SIZE;
	cmd->access_rw.uptr = (uintptr_t)t->scratch;
	return test_cmd(t, p.fd, cmd, &ab);
}

static int op_memory_limit(struct thr *t)
{
	struct pick p = pick_fd(t);
	union argbuf ab = {};
	struct iommu_test_cmd *cmd;

	if (p.fd < 0)
		return -1;
	cmd = test_cmd_init(&ab, IOMMU_TEST_OP_SET_TEMP_MEMORY_LIMIT);
	cmd->memory_limit.limit = chance(&t->r, 60) ?
		IOMMUFD_TEST_DEFAULT_MEMORY_LIMIT : 4 + rnd(&t->r, 4096);
	return test_cmd(t, p.fd, cmd, &ab);
}

static int op_access_replace(struct thr *t)
{
	struct pick p = pick_fd(t);
	union argbuf ab = {};
	struct iommu_test_cmd *cmd;

	if (p.fd < 0)
		return -1;
	cmd = test_cmd_init(&ab, IOMMU_TEST_OP_ACCESS_REPLACE_IOAS);
	cmd->id = pick_id(t, p.c, T_ACCESS);
	cmd->access_replace_ioas.ioas_id = pick_id(t, p.c, T_IOAS);
	return test_cmd(t, p.fd, cmd, &ab);
}

static int op_test_dirty(struct thr *t)
{
	struct pick p = pick_fd(t);
	union argbuf ab = {};
	struct iommu_test_cmd *cmd;
	struct map m;

	if (p.fd < 0)
		return -1;
	if (!pick_map(t, p.c, &m))
		fake_map(t, &m, SZ_1M);
	cmd = test_cmd_init(&ab, IOMMU_TEST_OP_DIRTY);
	cmd->id = pick_id(t, p.c, T_HWPT);
	cmd->dirty.iova = m.iova;
	cmd->dirty.page_size = chance(&t->r, 90) ? PAGE_SIZE : IO_PAGE_SIZE;
	cmd->dirty.length = odd_len(t, m.len);
	if (cmd->dirty.length / cmd->dirty.page_size >
	    (SCRATCH_SIZE - 64) * 8)
		cmd->dirty.length = PAGE_SIZE;
	memset(t->scratch, 0x55, 64);
	cmd->dirty.uptr = (uintptr_t)t->scratch;
	cmd->dirty.flags = odd_flags(t, 0);
	return test_cmd(t, p.fd, cmd, &ab);
}

static int op_check_iotlb(struct thr *t)
{
	struct pick p = pick_fd(t);
	union argbuf ab = {};
	struct iommu_test_cmd *cmd;

	if (p.fd < 0)
		return -1;
	cmd = test_cmd_init(&ab, IOMMU_TEST_OP_MD_CHECK_IOTLB);
	cmd->id = pick_id(t, p.c, T_NESTED);
	cmd->check_iotlb.id = rnd(&t->r, MOCK_NESTED_DOMAIN_IOTLB_ID_MAX + 2);
	cmd->check_iotlb.iotlb = chance(&t->r, 50) ? IOMMU_TEST_IOTLB_DEFAULT : 0;
	return test_cmd(t, p.fd, cmd, &ab);
}

static int op_trigger_iopf(struct thr *t)
{
	struct pick p = pick_fd(t);
	union argbuf ab = {};
	struct iommu_test_cmd *cmd;

	if (p.fd < 0)
		return -1;
	cmd = test_cmd_init(&ab, IOMMU_TEST_OP_TRIGGER_IOPF);
	cmd->trigger_iopf.dev_id = pick_idev(t, p.c);
	cmd->trigger_iopf.pasid = chance(&t->r, 70) ? 0 : rnd(&t->r, 1 << 20);
	cmd->trigger_iopf.grpid = rnd(&t->r, 16);
	cmd->trigger_iopf.perm = rnd(&t->r, 4);
	cmd->trigger_iopf.addr = odd_iova(t);
	return test_cmd(t, p.fd, cmd, &ab);
}

static int op_check_dev_cache(struct thr *t)
{
	struct pick p = pick_fd(t);
	union argbuf ab = {};
	struct iommu_test_cmd *cmd;

	if (p.fd < 0)
		return -1;
	cmd = test_cmd_init(&ab, IOMMU_TEST_OP_DEV_CHECK_CACHE);
	cmd->id = pick_idev(t, p.c);
	cmd->check_dev_cache.id = rnd(&t->r, MOCK_DEV_CACHE_ID_MAX + 2);
	cmd->check_dev_cache.cache = chance(&t->r, 50) ?
		IOMMU_TEST_DEV_CACHE_DEFAULT : 0;
	return test_cmd(t, p.fd, cmd, &ab);
}

static int op_trigger_vevent(struct thr *t)
{
	struct pick p = pick_fd(t);
	union argbuf ab = {};
	struct iommu_test_cmd *cmd;

	if (p.fd < 0)
		return -1;
	cmd = test_cmd_init(&ab, IOMMU_TEST_OP_TRIGGER_VEVENT);
	cmd->trigger_vevent.dev_id = pick_idev(t, p.c);
	return test_cmd(t, p.fd, cmd, &ab);
}

static __u32 odd_pasid(struct thr *t)
{
	static const __u32 odd[] = {
		0, IOMMU_TEST_PASID_RESERVED, (1u << MOCK_PASID_WIDTH) - 1,
		1u << MOCK_PASID_WIDTH, ~0u,
	};

	if (chance(&t->r, 90))
		return 1 + rnd(&t->r, 8);
	return odd[rnd(&t->r, ARRAY_SIZE(odd))];
}

static int pasid_op(struct thr *t, __u32 opcode)
{
	struct pick p = pick_fd(t);
	union argbuf ab = {};
	struct iommu_test_cmd *cmd;

	if (p.fd < 0)
		return -1;
	cmd = test_cmd_init(&ab, opcode);
	cmd->id = pick_id(t, p.c, T_DEV);
	/* pasid is the first member of each of the four structs */
	cmd->pasid_attach.pasid = odd_pasid(t);
	if (opcode != IOMMU_TEST_OP_PASID_DETACH)
		cmd->pasid_attach.pt_id = opcode == IOMMU_TEST_OP_PASID_CHECK_HWPT &&
					  chance(&t->r, 30) ? 0 : pick_pt(t, p.c);
	return test_cmd(t, p.fd, cmd, &ab);
}

static int op_pasid_attach(struct thr *t)
{
	return pasid_op(t, IOMMU_TEST_OP_PASID_ATTACH);
}

static int op_pasid_replace(struct thr *t)
{
	return pasid_op(t, IOMMU_TEST_OP_PASID_REPLACE);
}

static int op_pasid_detach(struct thr *t)
{
	return pasid_op(t, IOMMU_TEST_OP_PASID_DETACH);
}

static int op_pasid_check(struct thr *t)
{
	return pasid_op(t, IOMMU_TEST_OP_PASID_CHECK_HWPT);
}

/* ---------------------------------------------------------------- ops: recipes */

/*
 * Some paths need a chain of objects that random draws almost never build
 * in order: a recipe builds one with valid arguments and puts every link
 * into the pools, where the random ops then find it.  The result is the
 * errno of the first link that failed (a racing destroy, say), or 0.
 */

/*
 * A mock device on a nesting parent, a vIOMMU on it, the device's vDEVICE,
 * a nested HWPT through the vIOMMU that the device moves to, and the
 * vIOMMU's vEVENTQ: the state in which TRIGGER_VEVENT delivers an event
 * and an invalidation through the vIOMMU reaches the device's cache.
 */
static int op_recipe_viommu(struct thr *t)
{
	struct pick p = pick_fd(t);
	struct iommufd_viommu_base base;
	__u32 vdev_id, nested_id, veventq_id;
	int veventq_fd, err;

	if (p.fd < 0)
		return -1;
	err = iommufd_viommu_base_err(p.fd, &base, NULL);
	if (err)
		return err;
	ctx_add(p.c, p.gen, T_IOAS, base.ioas_id, 0, -1, 0);
	ctx_add(p.c, p.gen, T_DEV, base.stdev_id, base.idev_id, -1, 0);
	ctx_add(p.c, p.gen, T_HWPT, base.parent_id,
		IOMMU_HWPT_ALLOC_NEST_PARENT, -1, 0);
	ctx_add(p.c, p.gen, T_VIOMMU, base.viommu_id, 0, -1, 0);
	err = iommufd_viommu_attach_err(p.fd, base.viommu_id, base.stdev_id,
					base.idev_id, 1 + rnd(&t->r, 8),
					&vdev_id, &nested_id);
	if (err)
		return err;
	ctx_add(p.c, p.gen, T_VDEV, vdev_id, 0, -1, 0);
	ctx_add(p.c, p.gen, T_NESTED, nested_id, 0, -1, 0);
	err = iommufd_veventq_alloc_err(p.fd, base.viommu_id,
					IOMMU_VEVENTQ_TYPE_SELFTEST,
					1 + rnd(&t->r, 8), &veventq_id,
					&veventq_fd);
	if (err)
		return err;
	fcntl(veventq_fd, F_SETFL, O_NONBLOCK);
	ctx_add(p.c, p.gen, T_VEVENTQ, veventq_id, 0, veventq_fd, 0);
	return iommufd_trigger_vevent_err(p.fd, base.idev_id);
}

/*
 * A PASID-capable mock device with two PASID-compatible HWPTs on one IOAS,
 * its RID moved to the first, a PASID attached to the first and replaced
 * onto the second: what the random PASID ops then attach, replace and
 * detach around.
 */
static int op_recipe_pasid(struct thr *t)
{
	struct pick p = pick_fd(t);
	__u32 ioas_id, stdev_id, idev_id, first_id, second_id, pt_id;
	__u32 pasid = 1 + rnd(&t->r, 8);
	int err;

	if (p.fd < 0)
		return -1;
	err = iommufd_ioas_alloc_err(p.fd, &ioas_id);
	if (err)
		return err;
	ctx_add(p.c, p.gen, T_IOAS, ioas_id, 0, -1, 0);
	err = iommufd_mock_domain_flags_err(p.fd, ioas_id,
					    MOCK_FLAGS_DEVICE_PASID,
					    &stdev_id, NULL, &idev_id);
	if (err)
		return err;
	ctx_add(p.c, p.gen, T_DEV, stdev_id, idev_id, -1, 0);
	err = iommufd_hwpt_alloc_err(p.fd, idev_id, ioas_id,
				     IOMMU_HWPT_ALLOC_PASID, &first_id);
	if (!err)
		ctx_add(p.c, p.gen, T_HWPT, first_id, IOMMU_HWPT_ALLOC_PASID,
			-1, 0);
	if (!err)
		err = iommufd_hwpt_alloc_err(p.fd, idev_id, ioas_id,
					     IOMMU_HWPT_ALLOC_PASID,
					     &second_id);
	if (err)
		return err;
	ctx_add(p.c, p.gen, T_HWPT, second_id, IOMMU_HWPT_ALLOC_PASID, -1, 0);
	/* PASIDs need the RID on a PASID-compatible HWPT too */
	pt_id = first_id;
	err = iommufd_mock_domain_replace_err(p.fd, stdev_id, &pt_id);
	if (err)
		return err;
	pt_id = first_id;
	err = iommufd_pasid_attach_err(p.fd, stdev_id, pasid, &pt_id);
	if (err)
		return err;
	pt_id = second_id;
	return iommufd_pasid_replace_err(p.fd, stdev_id, pasid, &pt_id);
}

static int op_test_bad(struct thr *t)
{
	struct pick p = pick_fd(t);
	union argbuf ab = {};
	struct iommu_test_cmd *cmd;

	if (p.fd < 0)
		return -1;
	cmd = test_cmd_init(&ab, chance(&t->r, 50) ? 0 : 100 + rnd(&t->r, 1000));
	cmd->id = pick_id(t, p.c, rnd(&t->r, T_NR));
	return test_cmd(t, p.fd, cmd, &ab);
}

/* An ioctl number iommufd does not have, or one of another driver's type */
static int op_bad_ioctl(struct thr *t)
{
	struct pick p = pick_fd(t);
	union argbuf ab = {};
	unsigned long req;

	if (p.fd < 0)
		return -1;
	req = chance(&t->r, 50) ? _IO(IOMMUFD_TYPE, 0x95 + rnd(&t->r, 0x20)) :
				  _IO(IOMMUFD_TYPE, rnd(&t->r, 0x80));
	return fuzz_ioctl(t, p.fd, req, &ab, 16);
}

/* ---------------------------------------------------------------- ops: VFIO compatibility */

static int op_vfio_misc(struct thr *t)
{
	struct pick p = pick_fd(t);
	unsigned long arg;
	int roll = rnd(&t->r, 4);

	if (p.fd < 0)
		return -1;
	switch (roll) {
	case 0:
		return ioctl(p.fd, VFIO_GET_API_VERSION) < 0 ? errno : 0;
	case 1:
		arg = rnd(&t->r, 12);
		return ioctl(p.fd, VFIO_CHECK_EXTENSION, arg) < 0 ? errno : 0;
	case 2:
		arg = chance(&t->r, 80) ? VFIO_TYPE1v2_IOMMU : rnd(&t->r, 12);
		return ioctl(p.fd, VFIO_SET_IOMMU, arg) < 0 ? errno : 0;
	default: {
		struct vfio_iommu_type1_info *info = (void *)t->scratch;

		memset(info, 0, 64);
		info->argsz = chance(&t->r, 50) ? sizeof(*info) : 4096;
		return ioctl(p.fd, VFIO_IOMMU_GET_INFO, info) < 0 ? errno : 0;
	}
	}
}

static int op_vfio_map(struct thr *t)
{
	struct pick p = pick_fd(t);
	struct buf b = pick_buf(t);
	struct vfio_iommu_type1_dma_map map = { .argsz = sizeof(map) };
	__u64 va, len;

	if (p.fd < 0)
		return -1;
	pick_range(t, &b, &va, &len);
	map.flags = odd_flags(t, VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE);
	map.vaddr = va;
	map.size = odd_len(t, len);
	map.iova = odd_iova(t);
	if (chance(&t->r, 3))
		map.argsz = rnd(&t->r, sizeof(map));
	return ioctl(p.fd, VFIO_IOMMU_MAP_DMA, &map) < 0 ? errno : 0;
}

static int op_vfio_unmap(struct thr *t)
{
	struct pick p = pick_fd(t);
	struct vfio_iommu_type1_dma_unmap unmap = { .argsz = sizeof(unmap) };
	struct map m;

	if (p.fd < 0)
		return -1;
	if (!pick_map(t, p.c, &m))
		fake_map(t, &m, PAGE_SIZE);
	unmap.iova = m.iova;
	unmap.size = odd_len(t, m.len);
	if (chance(&t->r, 10)) {
		unmap.flags = VFIO_DMA_UNMAP_FLAG_ALL;
		unmap.iova = 0;
		unmap.size = 0;
	}
	unmap.flags |= odd_flags(t, 0);
	return ioctl(p.fd, VFIO_IOMMU_UNMAP_DMA, &unmap) < 0 ? errno : 0;
}

/* ---------------------------------------------------------------- ops: memory and processes */

static void *buf_fill(struct buf *b, __u8 *at)
{
	int flags = MAP_FIXED, prot = PROT_READ | PROT_WRITE;
	int fd = -1;
	void *va;

	if (b->kind == B_MEMFD || b->kind == B_MEMFD_HUGE) {
		flags |= MAP_SHARED;
		fd = b->memfd;
	} else {
		flags |= MAP_PRIVATE | MAP_ANONYMOUS;
	}
	if (b->kind == B_HUGETLB)
		flags |= MAP_HUGETLB;
	if (!at) {
		flags &= ~MAP_FIXED;
		if (b->kind == B_THP)
			return iommufd_mmap_aligned(b->len, SZ_2M, prot, flags);
	}
	va = mmap(at, b->len, prot, flags, fd, 0);
	if (va == MAP_FAILED)
		return va;
	if (b->kind == B_ANON || b->kind == B_RDONLY)
		madvise(va, b->len, MADV_NOHUGEPAGE);
	if (b->kind == B_THP)
		madvise(va, b->len, MADV_HUGEPAGE);
	if (b->kind != B_RDONLY)
		memset(va, 0xa5, b->len);
	else
		mprotect(va, b->len, PROT_READ);
	return va;
}

/*
 * Take a buffer's memory away under whoever maps it right now (a PROT_NONE
 * hole keeps the address from being reused), or give it fresh memory back
 */
static int op_munmap(struct thr *t)
{
	struct buf *b = &bufs[rnd(&t->r, NBUF)];
	int ret = 0;

	pthread_mutex_lock(&buf_lock);
	if (!b->gone) {
		if (mmap(b->va, b->len, PROT_NONE,
			 MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
			 -1, 0) == MAP_FAILED)
			ret = errno;
		else
			b->gone = true;
	} else {
		if (buf_fill(b, b->va) == MAP_FAILED)
			ret = errno;
		else
			b->gone = false;
	}
	pthread_mutex_unlock(&buf_lock);
	return ret;
}

/*
 * A child shares the descriptors: it maps, reads and unmaps with them in
 * its own mm, or takes the pins over, then exits.  It takes no lock: other
 * threads may have held one at the fork.
 */
static int op_fork(struct thr *t)
{
	struct pick p = pick_fd(t);
	struct buf b = pick_buf(t);
	__u32 ioas = 0;
	int status;
	pid_t pid;

	if (p.fd < 0)
		return -1;
	ioas = pick_id(t, p.c, T_IOAS);
	pid = fork();
	if (pid < 0)
		return errno;
	if (pid == 0) {
		struct iommu_ioas_map map = {
			.size = sizeof(map), .flags = RW, .ioas_id = ioas,
			.user_va = (uintptr_t)b.va, .length = b.len,
		};
		struct iommu_ioas_unmap unmap = {
			.size = sizeof(unmap), .ioas_id = ioas,
		};
		struct iommu_ioas_change_process chg = { .size = sizeof(chg) };

		ioctl(p.fd, IOMMU_IOAS_MAP, &map);
		if (t->r.s & 1)
			ioctl(p.fd, IOMMU_IOAS_CHANGE_PROCESS, &chg);
		unmap.iova = map.iova;
		unmap.length = (t->r.s & 2) ? b.len : 0;
		ioctl(p.fd, IOMMU_IOAS_UNMAP, &unmap);
		if (t->r.s & 4)
			close(p.fd);
		_exit(0);
	}
	rnd64(&t->r);
	if (waitpid(pid, &status, 0) < 0)
		return errno;
	return WIFEXITED(status) && !WEXITSTATUS(status) ? 0 : ECHILD;
}

/* Replace a memfd by a new one: maps by file name the old one no more */
static int op_memfd_swap(struct thr *t)
{
	struct buf *b = &bufs[rnd(&t->r, NBUF)];
	int ret = -1;

	pthread_mutex_lock(&buf_lock);
	if (b->memfd >= 0) {
		int fd = iommufd_memfd(b->len, b->kind == B_MEMFD_HUGE ?
					       MFD_HUGETLB : 0);

		if (fd < 0) {
			ret = errno;
		} else {
			close(b->memfd);
			b->memfd = fd;
			/* the buffer's VA now shows the new file */
			ret = buf_fill(b, b->va) == MAP_FAILED ? errno : 0;
			b->gone = ret != 0;
		}
	}
	pthread_mutex_unlock(&buf_lock);
	return ret;
}

/* ---------------------------------------------------------------- the table */

static const struct op ops[] = {
	{ "open/dup",		op_open,		4 },
	{ "close",		op_close,		3 },
	{ "close-aux",		op_close_aux,		2 },
	{ "read-queue",		op_read_queue,		3 },
	{ "fault-respond",	op_fault_respond,	2 },
	{ "DESTROY",		op_destroy,		8 },
	{ "IOAS_ALLOC",		op_ioas_alloc,		6 },
	{ "IOAS_IOVA_RANGES",	op_iova_ranges,		3 },
	{ "IOAS_ALLOW_IOVAS",	op_allow_iovas,		2 },
	{ "IOAS_MAP",		op_ioas_map,		14 },
	{ "IOAS_MAP_FILE",	op_ioas_map_file,	6 },
	{ "IOAS_COPY",		op_ioas_copy,		5 },
	{ "IOAS_UNMAP",		op_ioas_unmap,		10 },
	{ "OPTION",		op_option,		3 },
	{ "VFIO_IOAS",		op_vfio_ioas,		2 },
	{ "HWPT_ALLOC",		op_hwpt_alloc,		8 },
	{ "GET_HW_INFO",	op_get_hw_info,		2 },
	{ "HWPT_SET_DIRTY",	op_set_dirty,		3 },
	{ "HWPT_GET_DIRTY",	op_get_dirty,		3 },
	{ "HWPT_INVALIDATE",	op_invalidate,		3 },
	{ "FAULT_QUEUE_ALLOC",	op_fault_alloc,		2 },
	{ "VIOMMU_ALLOC",	op_viommu_alloc,	4 },
	{ "VDEVICE_ALLOC",	op_vdevice_alloc,	4 },
	{ "IOAS_CHANGE_PROCESS", op_change_process,	1 },
	{ "VEVENTQ_ALLOC",	op_veventq_alloc,	3 },
	{ "HW_QUEUE_ALLOC",	op_hw_queue_alloc,	3 },
	{ "mmap-viommu",	op_mmap_viommu,		2 },
	{ "T:MOCK_DOMAIN*",	op_mock_domain,		6 },
	{ "T:MOCK_DOMAIN_REPLACE", op_mock_replace,	4 },
	{ "T:ADD_RESERVED",	op_add_reserved,	2 },
	{ "T:MD_CHECK_MAP",	op_check_map,		2 },
	{ "T:MD_CHECK_REFS",	op_check_refs,		2 },
	{ "T:CREATE_ACCESS",	op_create_access,	3 },
	{ "T:ACCESS_PAGES",	op_access_pages,	5 },
	{ "T:DESTROY_ACCESS_PAGES", op_access_unpin,	4 },
	{ "T:ACCESS_RW",	op_access_rw,		4 },
	{ "T:SET_TEMP_MEMORY_LIMIT", op_memory_limit,	1 },
	{ "T:ACCESS_REPLACE_IOAS", op_access_replace,	2 },
	{ "T:DIRTY",		op_test_dirty,		2 },
	{ "T:MD_CHECK_IOTLB",	op_check_iotlb,		2 },
	{ "T:TRIGGER_IOPF",	op_trigger_iopf,	3 },
	{ "T:DEV_CHECK_CACHE",	op_check_dev_cache,	2 },
	{ "T:TRIGGER_VEVENT",	op_trigger_vevent,	3 },
	{ "T:PASID_ATTACH",	op_pasid_attach,	3 },
	{ "T:PASID_REPLACE",	op_pasid_replace,	2 },
	{ "T:PASID_DETACH",	op_pasid_detach,	2 },
	{ "T:PASID_CHECK_HWPT",	op_pasid_check,		1 },
	{ "recipe-viommu",	op_recipe_viommu,	1 },
	{ "recipe-pasid",	op_recipe_pasid,	1 },
	{ "T:bad-op",		op_test_bad,		1 },
	{ "bad-ioctl",		op_bad_ioctl,		1 },
	{ "VFIO misc",		op_vfio_misc,		2 },
	{ "VFIO_IOMMU_MAP_DMA",	op_vfio_map,		2 },
	{ "VFIO_IOMMU_UNMAP_DMA", op_vfio_unmap,	2 },
	{ "munmap/remap",	op_munmap,		1 },
	{ "memfd-swap",		op_memfd_swap,		1 },
	{ "fork",		op_fork,		1 },
};

#define NOPS ARRAY_SIZE(ops)

static unsigned int weight_total;

static const struct op *pick_op(struct thr *t, unsigned int *index)
{
	unsigned int w = rnd(&t->r, weight_total);
	unsigned int i;

	for (i = 0; i < NOPS - 1 && w >= ops[i].weight; i++)
		w -= ops[i].weight;
	*index = i;
	return &ops[i];
}

static void *thread_main(void *arg)
{
	struct thr *t = arg;

	while (!__atomic_load_n(&stopping, __ATOMIC_RELAXED)) {
		unsigned int i;
		const struct op *op = pick_op(t, &i);
		int ret = op->fn(t);

		if (ret < 0)
			continue;	/* nothing to do it on: not a call */
		if (ret >= MAX_ERRNO)
			ret = MAX_ERRNO - 1;
		t->counts[i * MAX_ERRNO + ret]++;
		t->calls++;
		if ((t->calls & 255) == 0) {
			__u64 sum = __atomic_add_fetch(&total_calls, 256,
						       __ATOMIC_RELAXED);

			if (now_ns() >= deadline_ns || (max_calls && sum >= max_calls))
				__atomic_store_n(&stopping, 1, __ATOMIC_RELAXED);
		}
	}
	return NULL;
}

/* ---------------------------------------------------------------- setup and checks */

static int setup_bufs(void)
{
	static const struct {
		enum buf_kind kind;
		size_t len;
	} plan[NBUF] = {
		{ B_ANON, 64 * PAGE_SIZE }, { B_ANON, 256 * PAGE_SIZE },
		{ B_ANON, 16 * PAGE_SIZE }, { B_THP, 2 * SZ_2M },
		{ B_HUGETLB, 2 * SZ_2M }, { B_MEMFD, 64 * PAGE_SIZE },
		{ B_MEMFD, 256 * PAGE_SIZE }, { B_MEMFD_HUGE, 2 * SZ_2M },
		{ B_RDONLY, 32 * PAGE_SIZE }, { B_THP, SZ_2M },
	};
	int i;

	for (i = 0; i < NBUF; i++) {
		struct buf *b = &bufs[i];

		b->kind = plan[i].kind;
		b->len = plan[i].len;
		b->memfd = -1;
		if (b->kind == B_MEMFD || b->kind == B_MEMFD_HUGE) {
			b->memfd = iommufd_memfd(b->len, b->kind == B_MEMFD_HUGE ?
							 MFD_HUGETLB : 0);
			if (b->memfd < 0) {
				printf("# no hugetlb memfd: buffer %d is plain\n", i);
				b->kind = B_MEMFD;
				b->memfd = iommufd_memfd(b->len, 0);
			}
		}
		b->va = buf_fill(b, NULL);
		if (b->va == MAP_FAILED && b->kind == B_HUGETLB) {
			printf("# no hugetlb pages: buffer %d is THP\n", i);
			b->kind = B_THP;
			b->va = buf_fill(b, NULL);
		}
		if (b->va == MAP_FAILED) {
			perror("mmap");
			return -1;
		}
	}
	return 0;
}

static int count_mock_devices(void)
{
	DIR *dir = opendir(MOCK_BUS_DEVICES);
	struct dirent *de;
	int n = 0;

	if (!dir)
		return -1;
	while ((de = readdir(dir)))
		n += de->d_name[0] != '.';
	closedir(dir);
	return n;
}

static int check_invariants(long pin_kb, long lck_kb, int devices)
{
	struct iommu_test_cmd cmd = {
		.size = sizeof(cmd), .op = IOMMU_TEST_OP_MD_CHECK_REFS,
	};
	int fd, i, failed = 0;
	long kb;

	fd = open(IOMMUFD_DEV_PATH, O_RDWR);
	if (fd < 0) {
		perror("open " IOMMUFD_DEV_PATH);
		return 1;
	}
	for (i = 0; i < NBUF; i++) {
		struct buf *b = &bufs[i];

		if (b->gone)
			continue;
		/* large folios pass unchecked: only small pages say something */
		cmd.check_refs.uptr = (uintptr_t)b->va;
		cmd.check_refs.length = b->len;
		cmd.check_refs.refs = 0;
		if (ioctl(fd, IOMMU_TEST_CMD, &cmd)) {
			printf("# FAIL: buffer %d (%s) still pinned: %s\n", i,
			       buf_kind_name[b->kind], strerror(errno));
			failed = 1;
		}
	}
	/* the default limit of temporary memory, for whoever comes next */
	cmd.op = IOMMU_TEST_OP_SET_TEMP_MEMORY_LIMIT;
	cmd.memory_limit.limit = IOMMUFD_TEST_DEFAULT_MEMORY_LIMIT;
	ioctl(fd, IOMMU_TEST_CMD, &cmd);
	close(fd);

	kb = iommufd_proc_kb("/proc/self/status", "VmPin");
	if (kb != pin_kb) {
		printf("# FAIL: VmPin %ld kB, %ld kB at the start\n", kb, pin_kb);
		failed = 1;
	}
	kb = iommufd_proc_kb("/proc/self/status", "VmLck");
	if (kb != lck_kb) {
		printf("# FAIL: VmLck %ld kB, %ld kB at the start\n", kb, lck_kb);
		failed = 1;
	}
	i = count_mock_devices();
	if (i != devices) {
		printf("# FAIL: %d mock devices left, %d at the start\n", i,
		       devices);
		failed = 1;
	}
	return failed;
}

static void print_stats(struct thr *thr, int nthreads, double secs)
{
	__u64 calls = 0;
	unsigned int i, e;
	int n;

	for (n = 0; n < nthreads; n++)
		calls += thr[n].calls;
	printf("# calls per op, by result (ok or errno name):\n");
	for (i = 0; i < NOPS; i++) {
		char line[1024];
		int len = 0;
		__u64 sum = 0;

		for (e = 0; e < MAX_ERRNO; e++) {
			__u64 c = 0;

			for (n = 0; n < nthreads; n++)
				c += thr[n].counts[i * MAX_ERRNO + e];
			if (!c)
				continue;
			sum += c;
			if (e == 0)
				len += snprintf(line + len, sizeof(line) - len,
						" ok=%llu", (unsigned long long)c);
			else if (strerrorname_np(e))
				len += snprintf(line + len, sizeof(line) - len,
						" %s=%llu", strerrorname_np(e),
						(unsigned long long)c);
			else
				len += snprintf(line + len, sizeof(line) - len,
						" errno%u=%llu", e,
						(unsigned long long)c);
			if (len >= (int)sizeof(line))
				len = sizeof(line) - 1;
		}
		printf("#   %-24s %9llu:%s\n", ops[i].name,
		       (unsigned long long)sum, sum ? line : " never issued");
	}
	printf("# total: %llu calls in %.1f s with %d threads: %.0f calls/s\n",
	       (unsigned long long)calls, secs, nthreads, calls / secs);
}

static void print_usage(const char *prog)
{
	fprintf(stderr,
		"usage: %s [--seed N] [--seconds N] [--threads N] [--calls N]\n",
		prog);
	exit(2);
}

int main(int argc, char **argv)
{
	unsigned long long seed = 1, seconds = 60, nthreads = 4;
	long pin_kb, lck_kb;
	struct thr *thr;
	struct rlimit lim = { 1ULL << 30, 1ULL << 30 };
	__u64 start, last_note;
	int devices, i, failed;

	for (i = 1; i < argc; i++) {
		unsigned long long *val = NULL;

		if (!strcmp(argv[i], "--seed"))
			val = &seed;
		else if (!strcmp(argv[i], "--seconds"))
			val = &seconds;
		else if (!strcmp(argv[i], "--threads"))
			val = &nthreads;
		else if (!strcmp(argv[i], "--calls"))
			val = (unsigned long long *)&max_calls;
		if (!val || i + 1 == argc)
			print_usage(argv[0]);
		*val = strtoull(argv[++i], NULL, 0);
	}
	if (nthreads < 1 || nthreads > MAX_THREADS)
		print_usage(argv[0]);
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGPIPE, SIG_IGN);

	if (access(IOMMUFD_DEV_PATH, F_OK)) {
		printf("# no %s: nothing to fuzz\n", IOMMUFD_DEV_PATH);
		return 1;
	}
	/*
	 * Charge what is pinned (root is not charged with CAP_IPC_LOCK), with
	 * room enough that the limit is only hit by intent
	 */
	setrlimit(RLIMIT_MEMLOCK, &lim);
	if (iommufd_drop_capability(CAP_IPC_LOCK))
		printf("# could not drop CAP_IPC_LOCK: pins go uncharged\n");
	if (setup_bufs())
		return 1;
	for (i = 0; i < NCTX; i++) {
		pthread_mutex_init(&ctxs[i].lock, NULL);
		ctxs[i].fds[ctxs[i].nfds++] = open(IOMMUFD_DEV_PATH, O_RDWR | O_CLOEXEC);
	}
	for (i = 0; i < (int)NOPS; i++)
		weight_total += ops[i].weight;
	pin_kb = iommufd_proc_kb("/proc/self/status", "VmPin");
	lck_kb = iommufd_proc_kb("/proc/self/status", "VmLck");
	devices = count_mock_devices();

	printf("# iommufd_fuzz: seed %llu, %llu s, %llu threads, %zu ops\n",
	       seed, seconds, nthreads, NOPS);
	thr = calloc(nthreads, sizeof(*thr));
	if (!thr)
		return 1;
	start = now_ns();
	deadline_ns = start + seconds * 1000000000ULL;
	for (i = 0; i < (int)nthreads; i++) {
		thr[i].index = i;
		/* the thread's stream: seed and index through splitmix */
		thr[i].r.s = seed * 0x2545f4914f6cdd1dULL + i;
		rnd64(&thr[i].r);
		thr[i].counts = calloc(NOPS * MAX_ERRNO, sizeof(__u64));
		thr[i].scratch = mmap(NULL, SCRATCH_SIZE, PROT_READ | PROT_WRITE,
				      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (!thr[i].counts || thr[i].scratch == MAP_FAILED ||
		    pthread_create(&thr[i].tid, NULL, thread_main, &thr[i])) {
			printf("# cannot start thread %d\n", i);
			return 1;
		}
	}
	last_note = start;
	while (!__atomic_load_n(&stopping, __ATOMIC_RELAXED)) {
		struct timespec ts = { 0, 200000000 };

		nanosleep(&ts, NULL);
		if (now_ns() >= deadline_ns)
			__atomic_store_n(&stopping, 1, __ATOMIC_RELAXED);
		if (now_ns() - last_note >= 30000000000ULL) {
			last_note = now_ns();
			printf("# %.0f s: about %llu calls\n",
			       (last_note - start) / 1e9,
			       (unsigned long long)__atomic_load_n(&total_calls,
							__ATOMIC_RELAXED));
		}
	}
	for (i = 0; i < (int)nthreads; i++)
		pthread_join(thr[i].tid, NULL);
	print_stats(thr, nthreads, (now_ns() - start) / 1e9);

	/* every descriptor goes; then nothing may be left of them */
	for (i = 0; i < NCTX; i++) {
		pthread_mutex_lock(&ctxs[i].lock);
		ctx_retire_locked(&ctxs[i]);
		pthread_mutex_unlock(&ctxs[i].lock);
	}
	failed = check_invariants(pin_kb, lck_kb, devices);
	printf("# invariants: %s\n", failed ? "FAILED" : "held");
	return failed;
}
