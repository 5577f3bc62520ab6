// SPDX-License-Identifier: GPL-2.0-only
/*
 * Pages objects: where the memory behind a mapping comes from.  This file
 * creates and frees them, pins and unpins their pages from the source
 * (user memory or a file), charges what is pinned against RLIMIT_MEMLOCK,
 * bounds the temporary memory of a batch, and answers who pins which page;
 * pages_domains.c and pages_access.c build on it.  pages.h states the
 * contract.
 *
 * Locking: pinning, unpinning, charging and the questions about pins run
 * under the object's mutex, taken by the callers in the other two files.
 * Creation and the last reference need no lock.  Moving objects to a new
 * owner runs with every page table of the context locked (ioas.c).
 */
#include <linux/err.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/hugetlb.h>
#include <linux/mm.h>
#include <linux/overflow.h>
#include <linux/sched/mm.h>
#include <linux/sched/task.h>
#include <linux/sched/user.h>
#include <linux/shmem_fs.h>
#include <linux/sizes.h>
#include <linux/slab.h>

#include "io_pagetable.h"
#include "iommufd_private.h"
#include "pages.h"
#include "pages_dmabuf.h"

/* ---- owners ------------------------------------------------------------- */

/*
 * How the calling process is charged in @ictx: whoever may lock memory
 * without limit is not charged at all.
 */
static u8 iommufd_pages_current_mode(struct iommufd_ctx *ictx)
{
	if (capable(CAP_IPC_LOCK))
		return IOMMUFD_ACCOUNT_NONE;
	return READ_ONCE(ictx->account_mode);
}

/* Make the calling process @owner: charges and limits become its own */
static void iommufd_owner_get_current(struct iommufd_pages_owner *owner,
				      u8 account_mode)
{
	owner->task = get_task_struct(current->group_leader);
	owner->user = get_uid(current_user());
	owner->mm = current->mm;
	mmgrab(owner->mm);
	owner->account_mode = account_mode;
}

static void iommufd_owner_put(struct iommufd_pages_owner *owner)
{
	mmdrop(owner->mm);
	free_uid(owner->user);
	put_task_struct(owner->task);
}

/* Everything common to all sources; the caller fills in the source */
struct iommufd_pages *iommufd_pages_alloc(struct iommufd_ctx *ictx,
					  unsigned long first_byte,
					  unsigned long length, bool writable,
					  unsigned long *start_byte)
{
	struct iommufd_pages *pages;
	unsigned long end_byte;

	if (!length)
		return ERR_PTR(-EINVAL);
	*start_byte = offset_in_page(first_byte);
	if (check_add_overflow(first_byte, length, &end_byte) ||
	    end_byte > ULONG_MAX - PAGE_SIZE)
		return ERR_PTR(-EOVERFLOW);

	pages = kzalloc(sizeof(*pages), GFP_KERNEL_ACCOUNT);
	if (!pages)
		return ERR_PTR(-ENOMEM);
	kref_init(&pages->kref);
	mutex_init(&pages->mutex);
	INIT_LIST_HEAD(&pages->move_node);
	pages->domain_users = RB_ROOT_CACHED;
	pages->access_users = RB_ROOT_CACHED;
	xa_init_flags(&pages->access_pfns, XA_FLAGS_ACCOUNT);
	pages->writable = writable;
	pages->npages = DIV_ROUND_UP(*start_byte + length, PAGE_SIZE);
	pages->ictx = ictx;
	/* Charges and limits belong to whoever created the mapping */
	iommufd_owner_get_current(&pages->owner,
				  iommufd_pages_current_mode(ictx));
	return pages;
}

/**
 * iommufd_pages_alloc_user() - describe a range of the caller's memory
 * @ictx: the context the mapping is made in (its accounting mode is kept)
 * @uptr: first byte
 * @length: bytes, at least one
 * @writable: whether DMA may write the memory
 * @start_byte: returns the offset of @uptr inside page 0
 *
 * Nothing is pinned or even looked at yet: the memory only has to exist
 * once a domain or an access needs it.
 *
 * Return: the object, or ERR_PTR(-EINVAL) for a zero length,
 * ERR_PTR(-EOVERFLOW) for a range that wraps, ERR_PTR(-ENOMEM).
 */
struct iommufd_pages *iommufd_pages_alloc_user(struct iommufd_ctx *ictx,
					       void __user *uptr,
					       unsigned long length,
					       bool writable,
					       unsigned long *start_byte)
{
	struct iommufd_pages *pages;

	pages = iommufd_pages_alloc(ictx, (unsigned long)uptr, length,
				    writable, start_byte);
	if (IS_ERR(pages))
		return pages;
	pages->source = IOMMUFD_PAGES_USER;
	pages->uptr = uptr - *start_byte;
	return pages;
}

/**
 * iommufd_pages_alloc_file() - describe a range of a shmem or hugetlbfs file
 * @ictx: the context the mapping is made in
 * @file: the file; the object takes its own reference
 * @start: file offset of the first byte
 * @length: bytes, at least one
 * @writable: whether DMA may write the memory
 * @start_byte: returns the offset of @start inside page 0
 *
 * Return: the object; ERR_PTR(-EINVAL) for a zero length, a range reaching
 * past the end of the file or a file whose pages cannot be pinned (only
 * shmem and hugetlbfs files can); ERR_PTR(-EPERM) for write access to a
 * file that was not opened for writing; ERR_PTR(-ENOMEM).
 */
struct iommufd_pages *iommufd_pages_alloc_file(struct iommufd_ctx *ictx,
					       struct file *file,
					       unsigned long start,
					       unsigned long length,
					       bool writable,
					       unsigned long *start_byte)
{
	struct iommufd_pages *pages;
	u64 file_size;

	if (!shmem_file(file) && !is_file_hugepages(file))
		return ERR_PTR(-EINVAL);
	if (writable && !(file->f_mode & FMODE_WRITE))
		return ERR_PTR(-EPERM);
	/* Unsigned: an offset too large for loff_t is past the end too */
	file_size = i_size_read(file_inode(file));
	if (start > file_size || length > file_size - start)
		return ERR_PTR(-EINVAL);

	pages = iommufd_pages_alloc(ictx, start, length, writable, start_byte);
	if (IS_ERR(pages))
		return pages;
	pages->source = IOMMUFD_PAGES_FILE;
	pages->file = get_file(file);
	pages->file_offset = start - *start_byte;
	return pages;
}

/**
 * iommufd_pages_alignment_hint() - the address whose alignment an IOVA
 *                                  should copy
 * @pages: the object
 * @start_byte: offset of the first mapped byte from the start of page 0
 *
 * An IOVA that is aligned like the memory behind it lets the IOMMU use the
 * same large pages the memory is made of.
 *
 * Return: the user address, or file or dma-buf offset, of the first mapped
 * byte.  A BAR is aligned to its size, so the offset in it says how the
 * MMIO is aligned.
 */
unsigned long iommufd_pages_alignment_hint(struct iommufd_pages *pages,
					   unsigned long start_byte)
{
	if (pages->source != IOMMUFD_PAGES_USER)
		return pages->file_offset + start_byte;
	return (unsigned long)pages->uptr + start_byte;
}

static void iommufd_pages_release(struct kref *kref)
{
	struct iommufd_pages *pages =
		container_of(kref, struct iommufd_pages, kref);

	WARN_ON(pages->npinned);
	WARN_ON(!RB_EMPTY_ROOT(&pages->domain_users.rb_root));
	WARN_ON(!RB_EMPTY_ROOT(&pages->access_users.rb_root));
	WARN_ON(!list_empty(&pages->move_node));
	/* Before the mutex goes: the exporter may notify until detached */
	if (pages->source == IOMMUFD_PAGES_DMABUF)
		pages_dmabuf_release(pages);
	xa_destroy(&pages->access_pfns);
	mutex_destroy(&pages->mutex);
	if (pages->file)
		fput(pages->file);
	iommufd_owner_put(&pages->owner);
	kfree(pages);
}

void iommufd_pages_put(struct iommufd_pages *pages)
{
	kref_put(&pages->kref, iommufd_pages_release);
}

/* ---- charging ----------------------------------------------------------- */

static int iommufd_owner_charge_user(struct iommufd_pages_owner *owner,
				     unsigned long npages)
{
	unsigned long limit = task_rlimit(owner->task, RLIMIT_MEMLOCK) >>
			      PAGE_SHIFT;
	atomic_long_t *locked = &owner->user->locked_vm;
	unsigned long now = atomic_long_read(locked);

	do {
		if (npages > limit || now > limit - npages)
			return -ENOMEM;
	} while (!atomic_long_try_cmpxchg(locked, &now, now + npages));
	return 0;
}

/* The VFIO type1 way: the mm's locked_vm, under its mmap lock */
static int iommufd_owner_charge_mm(struct iommufd_pages_owner *owner,
				   unsigned long npages, bool charge)
{
	struct mm_struct *mm = owner->mm;
	int rc;

	/* An mm that is gone has no charge left to give back */
	if (!mmget_not_zero(mm))
		return charge ? -EINVAL : 0;
	mmap_write_lock(mm);
	rc = __account_locked_vm(mm, npages, charge, owner->task, false);
	mmap_write_unlock(mm);
	mmput(mm);
	return rc;
}

/*
 * A charge has two parts: the locked-memory count RLIMIT_MEMLOCK limits
 * (the user's or the mm's, by account mode), and the mm's pinned_vm
 * (VmPin), which no limit applies to.
 */
static int iommufd_owner_charge_limit(struct iommufd_pages_owner *owner,
				      unsigned long npages)
{
	if (owner->account_mode == IOMMUFD_ACCOUNT_USER)
		return iommufd_owner_charge_user(owner, npages);
	if (owner->account_mode == IOMMUFD_ACCOUNT_MM)
		return iommufd_owner_charge_mm(owner, npages, true);
	return 0;
}

static void iommufd_owner_uncharge_limit(struct iommufd_pages_owner *owner,
					 unsigned long npages)
{
	if (owner->account_mode == IOMMUFD_ACCOUNT_USER)
		atomic_long_sub(npages, &owner->user->locked_vm);
	else if (owner->account_mode == IOMMUFD_ACCOUNT_MM)
		iommufd_owner_charge_mm(owner, npages, false);
}

/* Whether charges of @a and @b count against the same limit */
static bool iommufd_owner_same_limit(struct iommufd_pages_owner *a,
				     struct iommufd_pages_owner *b)
{
	if (a->account_mode != b->account_mode)
		return false;
	switch (a->account_mode) {
	case IOMMUFD_ACCOUNT_USER:
		return a->user == b->user;
	case IOMMUFD_ACCOUNT_MM:
		return a->mm == b->mm;
	default:
		return true;
	}
}

/* Charge @npages pinned pages to @owner, against its limit */
static int iommufd_owner_charge(struct iommufd_pages_owner *owner,
				unsigned long npages)
{
	int rc = iommufd_owner_charge_limit(owner, npages);

	if (rc)
		return rc;
	atomic64_add(npages, &owner->mm->pinned_vm);
	return 0;
}

static void iommufd_owner_uncharge(struct iommufd_pages_owner *owner,
				   unsigned long npages)
{
	atomic64_sub(npages, &owner->mm->pinned_vm);
	iommufd_owner_uncharge_limit(owner, npages);
}

/* Charge @npages about to be pinned against the owner's limit */
static int iommufd_pages_charge(struct iommufd_pages *pages,
				unsigned long npages)
{
	int rc = iommufd_owner_charge(&pages->owner, npages);

	if (rc)
		return rc;
	pages->npinned += npages;
	atomic_long_add(npages, &pages->ictx->pinned_pages);
	return 0;
}

/**
 * iommufd_pages_uncharge() - give back the charge of unpinned pages
 * @pages: the pages object
 * @npages: how many of its pages were unpinned
 */
void iommufd_pages_uncharge(struct iommufd_pages *pages, unsigned long npages)
{
	if (!npages || WARN_ON(npages > pages->npinned))
		return;
	pages->npinned -= npages;
	atomic_long_sub(npages, &pages->ictx->pinned_pages);
	iommufd_owner_uncharge(&pages->owner, npages);
}

/* ---- moving to a new owner ---------------------------------------------- */

/**
 * iommufd_pages_move_begin() - start moving pages objects to the caller
 * @move: the move to set up
 * @ictx: the context whose objects move; its account mode (or the
 *        caller's CAP_IPC_LOCK) decides how the caller is charged
 *
 * Context: process context of the new owner.
 * Return: 0, or -EINVAL for a caller without an address space.
 */
int iommufd_pages_move_begin(struct iommufd_pages_move *move,
			     struct iommufd_ctx *ictx)
{
	/* A kernel thread cannot own memory that is charged to a process */
	if (!current->mm)
		return -EINVAL;
	iommufd_owner_get_current(&move->to, iommufd_pages_current_mode(ictx));
	INIT_LIST_HEAD(&move->list);
	move->npinned = 0;
	move->nlimited = 0;
	return 0;
}

/* Whether @pages is charged to the process @move moves to already */
static bool iommufd_pages_owned_by(struct iommufd_pages *pages,
				   struct iommufd_pages_move *move)
{
	return pages->owner.mm == move->to.mm &&
	       pages->owner.user == move->to.user;
}

/**
 * iommufd_pages_move_add() - add a pages object to a move
 * @move: the move
 * @pages: an object mapped in a page table of the context, which the
 *         caller holds locked for write
 *
 * Adding an object twice (it is mapped twice, after IOMMU_IOAS_COPY) or
 * one the new owner owns already changes nothing.
 *
 * Return: 0, or -EINVAL for user memory, which cannot move: it belongs to
 * its own address space.  A dma-buf is charged to nobody, so it stays
 * out of the move.
 */
int iommufd_pages_move_add(struct iommufd_pages_move *move,
			   struct iommufd_pages *pages)
{
	if (pages->source == IOMMUFD_PAGES_DMABUF)
		return 0;
	if (pages->source != IOMMUFD_PAGES_FILE)
		return -EINVAL;
	if (!list_empty(&pages->move_node) ||
	    iommufd_pages_owned_by(pages, move))
		return 0;

	guard(mutex)(&pages->mutex);
	list_add_tail(&pages->move_node, &move->list);
	move->npinned += pages->npinned;
	/*
	 * A new process of the same user (or with the same exemption) takes
	 * over a charge that already counts against its limit; charging it
	 * again would fail a live update of a VMM that uses its whole limit.
	 */
	if (!iommufd_owner_same_limit(&pages->owner, &move->to))
		move->nlimited += pages->npinned;
	return 0;
}

/* Give @pages to @to, which has been charged for its pinned pages already */
static void iommufd_pages_change_owner(struct iommufd_pages *pages,
				       struct iommufd_pages_owner *to)
{
	struct iommufd_pages_owner old;

	scoped_guard(mutex, &pages->mutex) {
		atomic64_sub(pages->npinned, &pages->owner.mm->pinned_vm);
		if (!iommufd_owner_same_limit(&pages->owner, to))
			iommufd_owner_uncharge_limit(&pages->owner,
						     pages->npinned);
		old = pages->owner;
		pages->owner = *to;
		/* The object holds references of its own on its owner */
		get_task_struct(to->task);
		get_uid(to->user);
		mmgrab(to->mm);
	}
	iommufd_owner_put(&old);
}

/**
 * iommufd_pages_move_commit() - move every object of a move to its new owner
 * @move: the move, every object of it added
 *
 * The new owner is charged for all the pinned pages at once, so the move
 * happens whole or not at all; the old owners then get their charges back.
 * Pages whose charge counts against the new owner's limit already (same
 * user, or same exemption) are not counted against it twice.
 * Nothing is pinned, unpinned or unmapped: DMA goes on throughout.
 *
 * Return: 0, or -ENOMEM (the pages do not fit under the new owner's
 * RLIMIT_MEMLOCK) with nothing changed.
 */
int iommufd_pages_move_commit(struct iommufd_pages_move *move)
{
	struct iommufd_pages *pages;
	int rc;

	rc = iommufd_owner_charge_limit(&move->to, move->nlimited);
	if (rc)
		return rc;
	atomic64_add(move->npinned, &move->to.mm->pinned_vm);
	list_for_each_entry(pages, &move->list, move_node)
		iommufd_pages_change_owner(pages, &move->to);
	return 0;
}

/**
 * iommufd_pages_move_end() - forget a move, committed or not
 * @move: the move
 *
 * Must be called before the page tables are unlocked: the list is only
 * safe to walk while they are.
 */
void iommufd_pages_move_end(struct iommufd_pages_move *move)
{
	struct iommufd_pages *pages, *next;

	list_for_each_entry_safe(pages, next, &move->list, move_node)
		list_del_init(&pages->move_node);
	iommufd_owner_put(&move->to);
}

/* ---- pinning and unpinning ---------------------------------------------- */

/* Bytes each temporary array of a batch may use; 0 means the default */
static unsigned int iommufd_pages_temp_limit;
#define IOMMUFD_PAGES_DEFAULT_TEMP_LIMIT SZ_64K

void iommufd_pages_set_temp_limit(unsigned int bytes)
{
	WRITE_ONCE(iommufd_pages_temp_limit, bytes);
}

/**
 * iommufd_pages_temp_bytes() - bytes one temporary array may use
 *
 * Return: the limit iommufd_pages_set_temp_limit() set, or the default.
 */
size_t iommufd_pages_temp_bytes(void)
{
	return READ_ONCE(iommufd_pages_temp_limit) ?:
	       IOMMUFD_PAGES_DEFAULT_TEMP_LIMIT;
}

static unsigned int iommufd_pages_gup_flags(struct iommufd_pages *pages)
{
	return FOLL_LONGTERM | (pages->writable ? FOLL_WRITE : 0);
}

static long iommufd_pages_pin_user(struct iommufd_pages *pages,
				   unsigned long index, unsigned long npages,
				   struct page **out)
{
	unsigned long uaddr = (unsigned long)pages->uptr + index * PAGE_SIZE;
	struct mm_struct *mm = pages->owner.mm;
	int locked = 1;
	long rc;

	npages = min_t(unsigned long, npages, INT_MAX);
	if (current->mm == mm)
		return pin_user_pages_fast(uaddr, npages,
					   iommufd_pages_gup_flags(pages), out);

	/* Another task (an access owner, a kthread) pins for the creator */
	if (!mmget_not_zero(mm))
		return -EFAULT;
	mmap_read_lock(mm);
	rc = pin_user_pages_remote(mm, uaddr, npages,
				   iommufd_pages_gup_flags(pages), out, &locked);
	if (locked)
		mmap_read_unlock(mm);
	mmput(mm);
	return rc;
}

/*
 * memfd_pin_folios() pins each folio once; give every page used from it a
 * pin of its own so that pages are unpinned one by one like user pages.
 */
static long iommufd_pages_pin_file(struct iommufd_pages *pages,
				   unsigned long index, unsigned long npages,
				   struct page **out)
{
	loff_t start = pages->file_offset + (loff_t)index * PAGE_SIZE;
	unsigned long done = 0;
	struct folio **folios;
	unsigned int max;
	pgoff_t offset;
	long nfolios;
	long i;

	max = clamp_t(unsigned long, npages, 1,
		      iommufd_pages_temp_bytes() / sizeof(*folios));
	folios = kcalloc(max, sizeof(*folios), GFP_KERNEL);
	if (!folios)
		return -ENOMEM;
	nfolios = memfd_pin_folios(pages->file, start,
				   start + npages * PAGE_SIZE - 1, folios, max,
				   &offset);
	for (i = 0; i < nfolios; i++) {
		struct folio *folio = folios[i];
		unsigned long first = i ? 0 : offset >> PAGE_SHIFT;
		unsigned long page_nr;

		for (page_nr = first;
		     page_nr < folio_nr_pages(folio) && done < npages;
		     page_nr++, done++) {
			if (page_nr != first)
				folio_add_pin(folio);
			out[done] = folio_page(folio, page_nr);
		}
		/* Pages of a folio past the requested range are not used */
		if (page_nr == first)
			unpin_folio(folio);
	}
	kfree(folios);
	if (nfolios < 0)
		return nfolios;
	return done;
}

/**
 * iommufd_pages_pin() - pin pages from the source and charge them
 * @pages: the pages object, its mutex held
 * @index: index of the first page
 * @npages: how many pages to pin at most
 * @out: receives a page pointer per page pinned
 *
 * Return: how many pages were pinned from @index on, at least one; or
 * -ENOMEM (also past RLIMIT_MEMLOCK) or -EFAULT, with nothing left pinned
 * or charged.
 */
long iommufd_pages_pin(struct iommufd_pages *pages, unsigned long index,
		       unsigned long npages, struct page **out)
{
	long pinned;
	int rc;

	lockdep_assert_held(&pages->mutex);

	rc = iommufd_pages_charge(pages, npages);
	if (rc)
		return rc;
	if (pages->source == IOMMUFD_PAGES_FILE)
		pinned = iommufd_pages_pin_file(pages, index, npages, out);
	else
		pinned = iommufd_pages_pin_user(pages, index, npages, out);
	if (pinned <= 0) {
		iommufd_pages_uncharge(pages, npages);
		return pinned ?: -EFAULT;
	}
	iommufd_pages_uncharge(pages, npages - pinned);
	return pinned;
}

/**
 * iommufd_pages_unpin() - unpin physically contiguous pages and uncharge them
 * @pages: the pages object, its mutex held
 * @pfn: the first page
 * @npages: how many
 */
void iommufd_pages_unpin(struct iommufd_pages *pages, unsigned long pfn,
			 unsigned long npages)
{
	iommufd_pages_unpin_run(pages, pfn, npages);
	iommufd_pages_uncharge(pages, npages);
}

/**
 * iommufd_pages_unpin_pages() - unpin and uncharge pages just pinned
 * @pages: the pages object, its mutex held
 * @list: pages iommufd_pages_pin() returned, not yet mapped or recorded
 *        anywhere
 * @npages: how many
 */
void iommufd_pages_unpin_pages(struct iommufd_pages *pages, struct page **list,
			       unsigned long npages)
{
	unpin_user_pages(list, npages);
	iommufd_pages_uncharge(pages, npages);
}

/**
 * iommufd_pages_pin_batch() - iommufd_pages_pin() for one batch of a gather
 * @pages: the pages object, its mutex held
 * @index: index of the first page
 * @npages: how many pages to pin at most
 * @out: receives a page pointer per page pinned
 * @batches: the gather's count of batches, 0 before its first
 *
 * Fault injection (fail_iommufd) fails the second batch of pages a gather
 * pins, as GUP fails for memory unmapped part way: what the first batch
 * did must then be undone.  One fault site per gather, not per batch,
 * keeps fail-nth sweeps of small batches short.
 *
 * Return: as iommufd_pages_pin().
 */
long iommufd_pages_pin_batch(struct iommufd_pages *pages, unsigned long index,
			     unsigned long npages, struct page **out,
			     unsigned int *batches)
{
	if (++*batches == 2 && iommufd_should_fail())
		return -EFAULT;
	return iommufd_pages_pin(pages, index, npages, out);
}

/* ---- who has a page pinned ---------------------------------------------- */

/*
 * Who pins what changes only at the ends of the nodes of the two trees, so
 * every question below is answered for a stretch of page indexes at once,
 * up to the index it returns in *seg_last.
 */

/* The node of @root that covers @index, if any */
static struct interval_tree_node *
iommufd_pages_node_at(struct rb_root_cached *root, unsigned long index,
		      unsigned long last, unsigned long *seg_last)
{
	struct interval_tree_node *node;

	node = interval_tree_iter_first(root, index, last);
	if (node && node->start <= index) {
		*seg_last = min(node->last, last);
		return node;
	}
	*seg_last = node ? node->start - 1 : last;
	return NULL;
}

/**
 * iommufd_pages_domain_mapping_at() - the mapping in domains covering a page
 * @pages: the pages object, its mutex held
 * @index: the page index
 * @last: the last page index the answer is wanted for
 * @seg_last: returns up to which index, at most @last, the answer holds
 *
 * Return: the mapping, whose storage domain holds the pfn of the page, or
 * NULL.
 */
struct iopt_mapping *
iommufd_pages_domain_mapping_at(struct iommufd_pages *pages,
				unsigned long index, unsigned long last,
				unsigned long *seg_last)
{
	struct interval_tree_node *node;

	lockdep_assert_held(&pages->mutex);

	node = iommufd_pages_node_at(&pages->domain_users, index, last,
				     seg_last);
	return node ? container_of(node, struct iopt_mapping, pages_node) :
		      NULL;
}

/**
 * iommufd_pages_access_pinned_at() - whether an access pin covers a page
 * @pages: the pages object, its mutex held
 * @index: the page index
 * @last: the last page index the answer is wanted for
 * @seg_last: returns up to which index, at most @last, the answer holds
 *
 * Return: true if one does; access_pfns then holds the pfn of the page.
 */
bool iommufd_pages_access_pinned_at(struct iommufd_pages *pages,
				    unsigned long index, unsigned long last,
				    unsigned long *seg_last)
{
	lockdep_assert_held(&pages->mutex);

	return iommufd_pages_node_at(&pages->access_users, index, last,
				     seg_last);
}

/**
 * iommufd_pages_pinned_by() - who has a page pinned
 * @pages: the pages object, its mutex held
 * @index: the page index
 * @last: the last page index the answer is wanted for
 * @seg_last: returns up to which index, at most @last, the answer holds
 * @holder: returns the mapping to read the pfns from for
 *          IOMMUFD_PINNED_BY_DOMAIN, else NULL
 *
 * Return: enum iommufd_pages_pinner
 */
enum iommufd_pages_pinner
iommufd_pages_pinned_by(struct iommufd_pages *pages, unsigned long index,
			unsigned long last, unsigned long *seg_last,
			struct iopt_mapping **holder)
{
	*holder = iommufd_pages_domain_mapping_at(pages, index, last, seg_last);
	if (*holder)
		return IOMMUFD_PINNED_BY_DOMAIN;
	if (iommufd_pages_access_pinned_at(pages, index, *seg_last, seg_last))
		return IOMMUFD_PINNED_BY_ACCESS;
	return IOMMUFD_PINNED_BY_NONE;
}

/**
 * iommufd_pages_unpinned_at() - whether nobody has a page pinned
 * @pages: the pages object, its mutex held
 * @index: the page index
 * @last: the last page index the answer is wanted for
 * @seg_last: returns up to which index, at most @last, the answer holds
 *
 * Return: true if nobody has.
 */
bool iommufd_pages_unpinned_at(struct iommufd_pages *pages, unsigned long index,
			       unsigned long last, unsigned long *seg_last)
{
	struct iopt_mapping *holder;

	return iommufd_pages_pinned_by(pages, index, last, seg_last,
				       &holder) == IOMMUFD_PINNED_BY_NONE;
}

/**
 * iommufd_pages_any_unpinned() - whether nobody has some page of a range
 *                                pinned
 * @pages: the pages object, its mutex held
 * @index: the first page index of the range
 * @last: the last page index of the range
 *
 * Return: true if some page of [@index, @last] is pinned by nobody.
 */
bool iommufd_pages_any_unpinned(struct iommufd_pages *pages,
				unsigned long index, unsigned long last)
{
	while (index <= last) {
		unsigned long seg_last;

		if (iommufd_pages_unpinned_at(pages, index, last, &seg_last))
			return true;
		index = seg_last + 1;
	}
	return false;
}
