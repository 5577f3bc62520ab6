// SPDX-License-Identifier: GPL-2.0-only
/*
 * Pages objects: where the memory behind a mapping comes from.
 */
#include <linux/err.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/highmem.h>
#include <linux/hugetlb.h>
#include <linux/iommu.h>
#include <linux/iommufd.h>
#include <linux/kthread.h>
#include <linux/mm.h>
#include <linux/overflow.h>
#include <linux/sched/mm.h>
#include <linux/sched/task.h>
#include <linux/sched/user.h>
#include <linux/shmem_fs.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "io_pagetable.h"
#include "iommufd_private.h"
#include "pages.h"
#include "selftest.h"

/* Everything common to both sources; the caller fills in the source */
static struct iommufd_pages *iommufd_pages_alloc(struct iommufd_ctx *ictx,
						 unsigned long first_byte,
						 unsigned long length,
						 bool writable,
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
	pages->domain_users = RB_ROOT_CACHED;
	pages->access_users = RB_ROOT_CACHED;
	xa_init_flags(&pages->access_pfns, XA_FLAGS_ACCOUNT);
	pages->writable = writable;
	/* Whoever may lock memory without limit is not charged at all */
	if (capable(CAP_IPC_LOCK))
		pages->account_mode = IOMMUFD_ACCOUNT_NONE;
	else
		pages->account_mode = READ_ONCE(ictx->account_mode);
	pages->npages = DIV_ROUND_UP(*start_byte + length, PAGE_SIZE);

	/* Charges and limits belong to whoever created the mapping */
	pages->source_task = get_task_struct(current->group_leader);
	pages->source_user = get_uid(current_user());
	pages->source_mm = current->mm;
	mmgrab(pages->source_mm);
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
 * Return: the user address or file offset of the first mapped byte.
 */
unsigned long iommufd_pages_alignment_hint(struct iommufd_pages *pages,
					   unsigned long start_byte)
{
	if (pages->source == IOMMUFD_PAGES_FILE)
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
	xa_destroy(&pages->access_pfns);
	mutex_destroy(&pages->mutex);
	if (pages->file)
		fput(pages->file);
	mmdrop(pages->source_mm);
	free_uid(pages->source_user);
	put_task_struct(pages->source_task);
	kfree(pages);
}

void iommufd_pages_put(struct iommufd_pages *pages)
{
	kref_put(&pages->kref, iommufd_pages_release);
}

/* ---- charging ----------------------------------------------------------- */

static int iommufd_pages_charge_user(struct iommufd_pages *pages,
				     unsigned long npages)
{
	unsigned long limit = task_rlimit(pages->source_task, RLIMIT_MEMLOCK) >>
			      PAGE_SHIFT;
	atomic_long_t *locked = &pages->source_user->locked_vm;
	unsigned long now = atomic_long_read(locked);

	do {
		if (npages > limit || now > limit - npages)
			return -ENOMEM;
	} while (!atomic_long_try_cmpxchg(locked, &now, now + npages));
	return 0;
}

/* The VFIO type1 way: the mm's locked_vm, under its mmap lock */
static int iommufd_pages_charge_mm(struct iommufd_pages *pages,
				   unsigned long npages, bool charge)
{
	struct mm_struct *mm = pages->source_mm;
	int rc;

	if (!mmget_not_zero(mm))
		return charge ? -EINVAL : 0;
	mmap_write_lock(mm);
	rc = __account_locked_vm(mm, npages, charge, pages->source_task, false);
	mmap_write_unlock(mm);
	mmput(mm);
	return rc;
}

/* Charge @npages about to be pinned against the creator's limit */
static int iommufd_pages_charge(struct iommufd_pages *pages,
				unsigned long npages)
{
	int rc = 0;

	if (pages->account_mode == IOMMUFD_ACCOUNT_USER)
		rc = iommufd_pages_charge_user(pages, npages);
	else if (pages->account_mode == IOMMUFD_ACCOUNT_MM)
		rc = iommufd_pages_charge_mm(pages, npages, true);
	if (rc)
		return rc;
	atomic64_add(npages, &pages->source_mm->pinned_vm);
	pages->npinned += npages;
	return 0;
}

static void iommufd_pages_uncharge(struct iommufd_pages *pages,
				   unsigned long npages)
{
	if (!npages || WARN_ON(npages > pages->npinned))
		return;
	pages->npinned -= npages;
	atomic64_sub(npages, &pages->source_mm->pinned_vm);
	if (pages->account_mode == IOMMUFD_ACCOUNT_USER)
		atomic_long_sub(npages, &pages->source_user->locked_vm);
	else if (pages->account_mode == IOMMUFD_ACCOUNT_MM)
		iommufd_pages_charge_mm(pages, npages, false);
}

/* ---- pinning and unpinning ---------------------------------------------- */

/* Bytes each temporary array of a batch may use; 0 means the default */
static unsigned int iommufd_pages_temp_limit;
#define IOMMUFD_PAGES_DEFAULT_TEMP_LIMIT SZ_64K

void iommufd_pages_set_temp_limit(unsigned int bytes)
{
	WRITE_ONCE(iommufd_pages_temp_limit, bytes);
}

static size_t iommufd_pages_temp_bytes(void)
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
	struct mm_struct *mm = pages->source_mm;
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

/*
 * Pin up to @npages pages from @index on, charging them.  Returns how many
 * were pinned (at least one) or an error; nothing is left pinned or charged
 * on error.
 */
static long iommufd_pages_pin(struct iommufd_pages *pages, unsigned long index,
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

/*
 * Unpin a physically contiguous run of pages.  The caller gives the charge
 * back, once for everything it unpins.
 */
static void iommufd_pages_unpin_run(struct iommufd_pages *pages,
				    unsigned long pfn, unsigned long npages)
{
	lockdep_assert_held(&pages->mutex);

	/* DMA may have written any page it could write */
	unpin_user_page_range_dirty_lock(pfn_to_page(pfn), npages,
					 pages->writable);
}

/* Unpin a physically contiguous run of pages and give the charge back */
static void iommufd_pages_unpin(struct iommufd_pages *pages, unsigned long pfn,
				unsigned long npages)
{
	iommufd_pages_unpin_run(pages, pfn, npages);
	iommufd_pages_uncharge(pages, npages);
}

/* Unpin pages that were pinned but never mapped anywhere */
static void iommufd_pages_unpin_pages(struct iommufd_pages *pages,
				      struct page **list, unsigned long npages)
{
	unpin_user_pages(list, npages);
	iommufd_pages_uncharge(pages, npages);
}

/* ---- who has a page pinned ---------------------------------------------- */

/*
 * Who pins what changes only at the ends of the nodes of the two trees, so
 * every question below is answered for a stretch of page indexes at once:
 * *@seg_last says up to which index (at most @last) the answer holds.
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

/*
 * The mapping in domains that covers page @index, if any: its storage
 * domain holds the pfn of the page.
 */
static struct iopt_mapping *
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

/* Whether an access pin covers page @index: access_pfns holds its pfn */
static bool iommufd_pages_access_pinned_at(struct iommufd_pages *pages,
					   unsigned long index,
					   unsigned long last,
					   unsigned long *seg_last)
{
	lockdep_assert_held(&pages->mutex);

	return iommufd_pages_node_at(&pages->access_users, index, last,
				     seg_last);
}

enum iommufd_pages_pinner {
	/* A mapping in domains: read the pfn back from its storage domain */
	IOMMUFD_PINNED_BY_DOMAIN,
	/* An access, and no mapping in domains: the pfn is in access_pfns */
	IOMMUFD_PINNED_BY_ACCESS,
	IOMMUFD_PINNED_BY_NONE,
};

/*
 * Who has page @index pinned.  For IOMMUFD_PINNED_BY_DOMAIN, *@holder is
 * the mapping to read the pfns from.
 */
static enum iommufd_pages_pinner
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

/* Whether nobody has page @index pinned */
static bool iommufd_pages_unpinned_at(struct iommufd_pages *pages,
				      unsigned long index, unsigned long last,
				      unsigned long *seg_last)
{
	struct iopt_mapping *holder;

	return iommufd_pages_pinned_by(pages, index, last, seg_last,
				       &holder) == IOMMUFD_PINNED_BY_NONE;
}

/* Whether nobody has some page of [index, last] pinned */
static bool iommufd_pages_any_unpinned(struct iommufd_pages *pages,
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

/* ---- pfns read back from a domain --------------------------------------- */

/* The pfn of page @index, read back from @mapping's storage domain */
static unsigned long pages_domains_read_pfn(struct iopt_mapping *mapping,
					    unsigned long index)
{
	phys_addr_t phys;

	phys = iommu_iova_to_phys(mapping->storage_domain,
				  iopt_mapping_index_iova(mapping, index));
	return PHYS_PFN(phys);
}

/*
 * Reads the pfns of pages [index, last] of a mapping back from a domain it
 * is in, with one lookup per stretch of pages that the mapping's
 * pfn_breaks prove physically contiguous: every IOVA in pfn_breaks is a
 * multiple of its lowest set bit, so no page that starts after the first
 * of a stretch and before the next such multiple starts a new physically
 * contiguous run.  With memory of 2 MiB pages (and IOVA aligned like it)
 * that is a lookup per 2 MiB; with no break at all, one per mapping.
 */
struct pages_domains_reader {
	struct iopt_mapping *mapping;
	struct iommu_domain *domain;
	unsigned long index;
	unsigned long last;
	/* IOVA of the first byte of page @index */
	unsigned long iova;
	/* A stretch ends at the next IOVA with all of these bits set */
	unsigned long stretch_mask;
};

static void pages_domains_reader_init(struct pages_domains_reader *reader,
				      struct iopt_mapping *mapping,
				      struct iommu_domain *domain,
				      unsigned long index, unsigned long last)
{
	unsigned long breaks = mapping->pfn_breaks;

	reader->mapping = mapping;
	reader->domain = domain;
	reader->index = index;
	reader->last = last;
	reader->iova = iopt_mapping_index_iova(mapping, index);
	reader->stretch_mask = breaks ? (breaks & -breaks) - 1 : ULONG_MAX;
}

/*
 * The pfn of the next page, and in *@npages how many pages from it on
 * follow it physically; false once the whole range was read.
 */
static bool pages_domains_reader_next(struct pages_domains_reader *reader,
				      unsigned long *pfn, unsigned long *npages)
{
	struct iopt_mapping *mapping = reader->mapping;
	unsigned long block_last = reader->iova | reader->stretch_mask;
	unsigned long stretch_last = reader->last;

	if (reader->index > reader->last)
		return false;
	if (block_last < mapping->iova_node.last)
		stretch_last = min(iopt_mapping_iova_index(mapping, block_last),
				   stretch_last);
	*pfn = PHYS_PFN(iommu_iova_to_phys(reader->domain, reader->iova));
	*npages = stretch_last - reader->index + 1;
	reader->index = stretch_last + 1;
	reader->iova = iopt_mapping_index_iova(mapping, reader->index);
	return true;
}

/* The pfn an access pin recorded for page @index */
static unsigned long pages_access_pfn(struct iommufd_pages *pages,
				      unsigned long index)
{
	return xa_to_value(xa_load(&pages->access_pfns, index));
}

/* ---- batches of pfn runs ------------------------------------------------ */

/* @npages physically contiguous pages, the first at @pfn */
struct iommufd_pages_run {
	unsigned long pfn;
	unsigned long npages;
};

/*
 * Physically contiguous runs of consecutive page indexes, starting at
 * first_index, on their way into or out of the domains.
 */
struct pages_domains_batch {
	struct iommufd_pages_run *runs;
	unsigned int nruns;
	unsigned int max_runs;
	unsigned long first_index;
	unsigned long npages;
	/* Scratch space for pinning, max_pages entries */
	struct page **pages;
	unsigned int max_pages;
};

/*
 * Each array gets the whole temporary budget: fewer, larger pin calls and
 * fewer flushes make a batch cheaper, and the pinning array is only needed
 * while pages are pinned.
 */
static int pages_domains_batch_init(struct pages_domains_batch *batch,
				    unsigned long npages, bool with_pages)
{
	size_t bytes = iommufd_pages_temp_bytes();

	memset(batch, 0, sizeof(*batch));
	/* Never more runs than pages, never fewer than two */
	batch->max_runs = clamp_t(unsigned long, bytes / sizeof(*batch->runs),
				  2, max(npages, 2UL));
	batch->runs = kmalloc_array(batch->max_runs, sizeof(*batch->runs),
				    GFP_KERNEL);
	if (!batch->runs)
		return -ENOMEM;
	if (!with_pages)
		return 0;
	batch->max_pages = clamp_t(unsigned long,
				   bytes / sizeof(*batch->pages), 1, npages);
	batch->pages = kmalloc_array(batch->max_pages, sizeof(*batch->pages),
				     GFP_KERNEL);
	if (!batch->pages) {
		kfree(batch->runs);
		return -ENOMEM;
	}
	return 0;
}

static void pages_domains_batch_destroy(struct pages_domains_batch *batch)
{
	kfree(batch->runs);
	kfree(batch->pages);
}

/* Forget the first @nruns runs, keeping the rest */
static void pages_domains_batch_consume(struct pages_domains_batch *batch,
					unsigned int nruns)
{
	unsigned int i;

	for (i = 0; i < nruns; i++) {
		batch->first_index += batch->runs[i].npages;
		batch->npages -= batch->runs[i].npages;
	}
	memmove(batch->runs, batch->runs + nruns,
		(batch->nruns - nruns) * sizeof(*batch->runs));
	batch->nruns -= nruns;
}

/*
 * Unpin the pages of @runs (the first at page index @index, the last at
 * @last) that nobody has pinned any more, and give their charge back.  Who
 * pins what changes only at the ends of users, so that is looked up once
 * per stretch, not per page.
 */
static void pages_domains_unpin_unused(struct iommufd_pages *pages,
				       unsigned long index, unsigned long last,
				       const struct iommufd_pages_run *runs,
				       unsigned int nruns)
{
	unsigned long seg_last, unpinned = 0;
	bool unused;
	unsigned int i;

	unused = iommufd_pages_unpinned_at(pages, index, last, &seg_last);
	for (i = 0; i < nruns; i++) {
		unsigned long run_last = index + runs[i].npages - 1;
		unsigned long pfn = runs[i].pfn;

		while (index <= run_last) {
			unsigned long end;

			if (index > seg_last)
				unused = iommufd_pages_unpinned_at(pages, index,
								   last,
								   &seg_last);
			end = min(seg_last, run_last);
			if (unused) {
				iommufd_pages_unpin_run(pages, pfn,
							end - index + 1);
				unpinned += end - index + 1;
			}
			pfn += end - index + 1;
			index = end + 1;
		}
	}
	iommufd_pages_uncharge(pages, unpinned);
}

/* ---- filling domains ---------------------------------------------------- */

/*
 * A mapping on its way into @domains: the pfns of its pages are gathered
 * into @batch (pinning the pages nobody has pinned yet), and what the batch
 * holds is mapped into every domain whenever it runs out of room.
 */
struct pages_domains_fill {
	struct iommufd_pages *pages;
	struct iopt_mapping *mapping;
	struct iommu_domain *const *domains;
	unsigned int ndomains;
	bool small_pages;
	struct pages_domains_batch batch;
	/* What becomes the mapping's pfn_breaks */
	unsigned long pfn_breaks;
};

/*
 * Map [iova, iova + size) to @phys in one domain, page by page if asked.
 * The IOMMU is not synced: the caller does that once for a whole batch.
 */
static int pages_domains_fill_map_range(struct pages_domains_fill *fill,
					struct iommu_domain *domain,
					unsigned long iova, phys_addr_t phys,
					size_t size)
{
	int prot = fill->mapping->iommu_prot;
	size_t done = 0;
	int rc;

	if (!fill->small_pages)
		return iommu_map_nosync(domain, iova, phys, size, prot,
					GFP_KERNEL_ACCOUNT);

	while (done < size) {
		size_t chunk = min_t(size_t, size - done,
				     PAGE_SIZE - offset_in_page(phys + done));

		rc = iommu_map_nosync(domain, iova + done, phys + done, chunk,
				      prot, GFP_KERNEL_ACCOUNT);
		if (rc) {
			if (done)
				iommu_unmap(domain, iova, done);
			return rc;
		}
		done += chunk;
	}
	return 0;
}

/*
 * Map the first @nruns runs of the batch into one domain, each run with its
 * own call so that it can become large IOMMU pages, and then sync the IOMMU
 * once for all of them: on VT-d in caching mode every sync is an IOTLB
 * invalidation, and memory of small pages is one run per page.  On failure
 * the domain is left as it was.
 */
static int pages_domains_fill_map_runs(struct pages_domains_fill *fill,
				       struct iommu_domain *domain,
				       unsigned int nruns)
{
	struct iopt_mapping *mapping = fill->mapping;
	unsigned long index = fill->batch.first_index;
	unsigned long first_iova = iopt_mapping_index_iova(mapping, index);
	unsigned long iova = first_iova;
	unsigned int i;
	int rc;

	for (i = 0; i < nruns; i++) {
		struct iommufd_pages_run *run = &fill->batch.runs[i];
		unsigned long last = index + run->npages - 1;
		unsigned long last_iova =
			iopt_mapping_index_last_iova(mapping, last);
		/* Only the first page of a mapping can start mid-page */
		phys_addr_t phys = PFN_PHYS(run->pfn) +
				   ((iova - mapping->iova_node.start +
				     mapping->start_byte) & ~PAGE_MASK);

		rc = pages_domains_fill_map_range(fill, domain, iova, phys,
						  last_iova - iova + 1);
		if (rc)
			goto undo;
		index = last + 1;
		iova = last_iova + 1;
	}

	rc = iommu_sync_map(domain, first_iova, iova - first_iova);
	if (!rc)
		return 0;
undo:
	/* Unmapping syncs the IOMMU itself */
	if (iova != first_iova)
		iommu_unmap(domain, first_iova, iova - first_iova);
	return rc;
}

/*
 * Map the complete runs of the batch (all of them when @all, else all but
 * the last, which may still grow) into every domain, then drop them from
 * the batch.  On failure the domains are left as they were before.
 */
static int pages_domains_fill_flush(struct pages_domains_fill *fill, bool all)
{
	unsigned int nruns = all ? fill->batch.nruns : fill->batch.nruns - 1;
	unsigned long first_iova, last_iova, npages = 0;
	unsigned int i;
	int rc;

	if (!nruns)
		return 0;
	for (i = 0; i < fill->ndomains; i++) {
		rc = pages_domains_fill_map_runs(fill, fill->domains[i], nruns);
		if (rc)
			goto undo;
	}
	pages_domains_batch_consume(&fill->batch, nruns);
	return 0;

undo:
	/* What the domains before the failed one got: the first @nruns */
	while (nruns--)
		npages += fill->batch.runs[nruns].npages;
	first_iova = iopt_mapping_index_iova(fill->mapping,
					     fill->batch.first_index);
	last_iova = iopt_mapping_index_last_iova(fill->mapping,
						 fill->batch.first_index +
						 npages - 1);
	while (i--)
		iommu_unmap(fill->domains[i], first_iova,
			    last_iova - first_iova + 1);
	return rc;
}

/*
 * Append @npages physically contiguous pages, from @pfn on, for the next
 * page indexes; when a new run is needed and there is no room for it,
 * what the batch holds is mapped first.  On failure nothing was appended.
 */
static int pages_domains_fill_add(struct pages_domains_fill *fill,
				  unsigned long pfn, unsigned long npages)
{
	struct pages_domains_batch *batch = &fill->batch;
	struct iommufd_pages_run *run;
	int rc;

	if (batch->nruns) {
		run = &batch->runs[batch->nruns - 1];
		if (run->pfn + run->npages == pfn) {
			run->npages += npages;
			batch->npages += npages;
			return 0;
		}
		/* The batch only ever starts at the mapping's first page */
		fill->pfn_breaks |=
			iopt_mapping_index_iova(fill->mapping,
						batch->first_index +
						batch->npages);
		if (batch->nruns == batch->max_runs) {
			rc = pages_domains_fill_flush(fill, false);
			if (rc)
				return rc;
		}
	}
	run = &batch->runs[batch->nruns++];
	run->pfn = pfn;
	run->npages = npages;
	batch->npages += npages;
	return 0;
}

/*
 * Append pages just pinned, a physically contiguous stretch at a time.
 * *@added says how many were appended: all of them unless this fails.
 */
static int pages_domains_fill_add_pages(struct pages_domains_fill *fill,
					struct page **list,
					unsigned long npages,
					unsigned long *added)
{
	unsigned long done = 0;
	int rc = 0;

	while (done < npages) {
		unsigned long pfn = page_to_pfn(list[done]);
		unsigned long n = 1;

		while (done + n < npages &&
		       page_to_pfn(list[done + n]) == pfn + n)
			n++;
		rc = pages_domains_fill_add(fill, pfn, n);
		if (rc)
			break;
		done += n;
	}
	*added = done;
	return rc;
}

/*
 * Append the pages of [index, last] that @holder, a mapping in domains, has
 * pinned, read back from its storage domain a known contiguous stretch at
 * a time.
 */
static int pages_domains_fill_add_mapped(struct pages_domains_fill *fill,
					 struct iopt_mapping *holder,
					 unsigned long index,
					 unsigned long last)
{
	struct pages_domains_reader reader;
	unsigned long pfn, npages;
	int rc;

	pages_domains_reader_init(&reader, holder, holder->storage_domain,
				  index, last);
	while (pages_domains_reader_next(&reader, &pfn, &npages)) {
		rc = pages_domains_fill_add(fill, pfn, npages);
		if (rc)
			return rc;
	}
	return 0;
}

/*
 * Fault injection (fail_iommufd) fails the second batch of pages a gather
 * pins, as GUP fails for memory unmapped part way: what the first batch
 * did must then be undone.  One fault site per gather, not per batch,
 * keeps fail-nth sweeps of small batches short.
 */
static long iommufd_pages_pin_batch(struct iommufd_pages *pages,
				    unsigned long index, unsigned long npages,
				    struct page **out, unsigned int *batches)
{
	if (++*batches == 2 && iommufd_should_fail())
		return -EFAULT;
	return iommufd_pages_pin(pages, index, npages, out);
}

/*
 * Gather the pfns of [index, last], pinning the pages nobody has pinned,
 * and map them batch by batch.  On failure the pages before
 * batch.first_index are mapped in every domain and those in the batch in
 * none.
 */
static int pages_domains_fill_gather(struct pages_domains_fill *fill,
				     unsigned long index, unsigned long last)
{
	struct iommufd_pages *pages = fill->pages;
	unsigned int batches = 0;
	int rc;

	while (index <= last) {
		struct page **list = fill->batch.pages;
		unsigned long seg_last, added;
		struct iopt_mapping *holder;
		long pinned;

		switch (iommufd_pages_pinned_by(pages, index, last, &seg_last,
						&holder)) {
		case IOMMUFD_PINNED_BY_DOMAIN:
			rc = pages_domains_fill_add_mapped(fill, holder, index,
							   seg_last);
			if (rc)
				return rc;
			index = seg_last + 1;
			break;
		case IOMMUFD_PINNED_BY_ACCESS:
			for (; index <= seg_last; index++) {
				unsigned long pfn =
					pages_access_pfn(pages, index);

				rc = pages_domains_fill_add(fill, pfn, 1);
				if (rc)
					return rc;
			}
			break;
		case IOMMUFD_PINNED_BY_NONE:
			seg_last = min(seg_last,
				       index + fill->batch.max_pages - 1);
			pinned = iommufd_pages_pin_batch(pages, index,
							 seg_last - index + 1,
							 list, &batches);
			if (pinned < 0)
				return pinned;
			rc = pages_domains_fill_add_pages(fill, list, pinned,
							  &added);
			if (rc) {
				/* Not in the batch: nobody else knows them */
				iommufd_pages_unpin_pages(pages, list + added,
							  pinned - added);
				return rc;
			}
			index += pinned;
			break;
		}
	}
	return pages_domains_fill_flush(fill, true);
}

/* ---- emptying domains --------------------------------------------------- */

/*
 * A range of a mapping on its way out of @domains.  Pages nobody else uses
 * are unpinned, but only after they are unmapped everywhere, so their pfns
 * are read from the storage domain first and kept as runs of physically
 * contiguous pages, whoever pins them.  When the runs fill up, what has
 * been read is unmapped up to the latest physical discontinuity: no IOMMU
 * page can span one, so a partial unmap never cuts a large IOMMU page.
 * Every run after the first starts at a discontinuity, so full runs always
 * have one to flush at.  Which pages of a run to unpin is decided at the
 * flush, from who else pins them.
 */
struct pages_domains_empty {
	struct iommufd_pages *pages;
	struct iopt_mapping *mapping;
	struct iommu_domain *storage;
	struct iommu_domain *const *domains;
	unsigned int ndomains;
	struct pages_domains_batch batch;
	/* Pages before this index are unmapped and unpinned already */
	unsigned long unmapped_index;
	/* The latest discontinuity, and how many runs lie before it */
	unsigned long cut_index;
	unsigned int cut_runs;
};

static void pages_domains_empty_unmap(struct pages_domains_empty *empty,
				      unsigned long first, unsigned long last)
{
	unsigned long iova = iopt_mapping_index_iova(empty->mapping, first);
	unsigned long last_iova =
		iopt_mapping_index_last_iova(empty->mapping, last);
	unsigned int i;

	for (i = 0; i < empty->ndomains; i++)
		iommu_unmap(empty->domains[i], iova, last_iova - iova + 1);
}

/* Unmap up to the latest discontinuity and unpin the runs before it */
static void pages_domains_empty_flush(struct pages_domains_empty *empty)
{
	struct pages_domains_batch *batch = &empty->batch;

	pages_domains_empty_unmap(empty, empty->unmapped_index,
				  empty->cut_index - 1);
	pages_domains_unpin_unused(empty->pages, empty->unmapped_index,
				   empty->cut_index - 1, batch->runs,
				   empty->cut_runs);
	memmove(batch->runs, batch->runs + empty->cut_runs,
		(batch->nruns - empty->cut_runs) * sizeof(*batch->runs));
	batch->nruns -= empty->cut_runs;
	empty->unmapped_index = empty->cut_index;
	empty->cut_runs = 0;
}

/*
 * Record @npages physically contiguous pages, the first at @index and
 * @pfn, in the runs
 */
static void pages_domains_empty_add(struct pages_domains_empty *empty,
				    unsigned long index, unsigned long pfn,
				    unsigned long npages)
{
	struct pages_domains_batch *batch = &empty->batch;
	struct iommufd_pages_run *prev =
		batch->nruns ? &batch->runs[batch->nruns - 1] : NULL;

	if (prev && pfn == prev->pfn + prev->npages) {
		prev->npages += npages;
		return;
	}
	if (index != empty->unmapped_index) {
		empty->cut_index = index;
		empty->cut_runs = batch->nruns;
	}
	if (batch->nruns == batch->max_runs)
		pages_domains_empty_flush(empty);
	batch->runs[batch->nruns].pfn = pfn;
	batch->runs[batch->nruns].npages = npages;
	batch->nruns++;
}

/*
 * Unmap [first, last] of the mapping from the domains and unpin the pages
 * of it that no other user has, reading their pfns from @storage a known
 * contiguous stretch (see the mapping's pfn_breaks) at a time.  The
 * mapping itself must not be in the domain users tree.
 */
static void pages_domains_empty_range(struct pages_domains_empty *empty,
				      unsigned long first, unsigned long last)
{
	struct iommufd_pages_run backup[2];
	struct pages_domains_reader reader;
	unsigned long index, pfn, npages;

	if (!iommufd_pages_any_unpinned(empty->pages, first, last)) {
		pages_domains_empty_unmap(empty, first, last);
		return;
	}

	/* Two runs always make progress; more only make it faster */
	if (pages_domains_batch_init(&empty->batch, last - first + 1, false)) {
		empty->batch.runs = backup;
		empty->batch.max_runs = ARRAY_SIZE(backup);
	}
	empty->unmapped_index = first;
	empty->cut_runs = 0;

	pages_domains_reader_init(&reader, empty->mapping, empty->storage,
				  first, last);
	for (index = first; pages_domains_reader_next(&reader, &pfn, &npages);
	     index += npages)
		pages_domains_empty_add(empty, index, pfn, npages);

	/* Everything left: unmap it all, then unpin every run */
	empty->cut_index = last + 1;
	empty->cut_runs = empty->batch.nruns;
	pages_domains_empty_flush(empty);
	if (empty->batch.runs != backup)
		pages_domains_batch_destroy(&empty->batch);
}

/* ---- mappings entering and leaving domains ------------------------------ */

/* A failed fill: unpin what sits in the batch and nobody else has */
static void pages_domains_fill_unpin_batch(struct pages_domains_fill *fill)
{
	struct pages_domains_batch *batch = &fill->batch;

	if (!batch->nruns)
		return;
	pages_domains_unpin_unused(fill->pages, batch->first_index,
				   batch->first_index + batch->npages - 1,
				   batch->runs, batch->nruns);
}

/* The mapping is in other domains already: copy it from its storage */
static int pages_domains_fill_from_storage(struct pages_domains_fill *fill,
					   unsigned long first,
					   unsigned long last)
{
	unsigned long start = fill->mapping->iova_node.start;
	unsigned int i;
	int rc;

	rc = pages_domains_fill_add_mapped(fill, fill->mapping, first, last);
	if (!rc)
		rc = pages_domains_fill_flush(fill, true);
	if (rc && fill->batch.first_index != first)
		for (i = 0; i < fill->ndomains; i++)
			iommu_unmap(fill->domains[i], start,
				    iopt_mapping_index_iova(fill->mapping,
							    fill->batch.first_index) -
				    start);
	return rc;
}

/**
 * pages_domains_map() - map a mapping into more domains
 * @pages: the mapping's memory
 * @mapping: the mapping; if it is in no domain yet, its pages get pinned
 * @domains: the domains to map it into
 * @ndomains: how many, at least one
 * @small_pages: map each CPU page with its own call, so that no IOMMU page
 *               is larger than a CPU page
 *
 * Return: 0; on failure nothing changed: -ENOMEM past RLIMIT_MEMLOCK or
 * without memory, -EFAULT for memory that cannot be pinned, or what the
 * IOMMU driver returned.
 */
int pages_domains_map(struct iommufd_pages *pages, struct iopt_mapping *mapping,
		      struct iommu_domain *const *domains,
		      unsigned int ndomains, bool small_pages)
{
	unsigned long first = iopt_mapping_first_index(mapping);
	unsigned long last = iopt_mapping_last_index(mapping);
	bool already_in_domains = mapping->storage_domain;
	struct pages_domains_fill fill = {
		.pages = pages,
		.mapping = mapping,
		.domains = domains,
		.ndomains = ndomains,
		.small_pages = small_pages,
	};
	int rc;

	guard(mutex)(&pages->mutex);

	rc = pages_domains_batch_init(&fill.batch, last - first + 1,
				      !already_in_domains);
	if (rc)
		return rc;
	fill.batch.first_index = first;

	if (already_in_domains) {
		rc = pages_domains_fill_from_storage(&fill, first, last);
		goto out;
	}

	rc = pages_domains_fill_gather(&fill, first, last);
	/* Also what the undo below reads the mapped part back by */
	mapping->pfn_breaks = fill.pfn_breaks;
	if (rc) {
		struct pages_domains_empty empty = {
			.pages = pages,
			.mapping = mapping,
			.storage = domains[0],
			.domains = domains,
			.ndomains = ndomains,
		};

		pages_domains_fill_unpin_batch(&fill);
		if (fill.batch.first_index != first)
			pages_domains_empty_range(&empty, first,
						  fill.batch.first_index - 1);
		goto out;
	}
	mapping->storage_domain = domains[0];
	mapping->pages_node.start = first;
	mapping->pages_node.last = last;
	interval_tree_insert(&mapping->pages_node, &pages->domain_users);
out:
	pages_domains_batch_destroy(&fill.batch);
	return rc;
}

/**
 * pages_domains_unmap_all() - take a mapping out of every domain
 * @pages: the mapping's memory
 * @mapping: a mapping that is in @domains (and in no other domain)
 * @domains: every domain of its page table
 * @ndomains: how many
 *
 * Pages that no other mapping or access uses are unpinned and uncharged.
 */
void pages_domains_unmap_all(struct iommufd_pages *pages,
			     struct iopt_mapping *mapping,
			     struct iommu_domain *const *domains,
			     unsigned int ndomains)
{
	struct pages_domains_empty empty = {
		.pages = pages,
		.mapping = mapping,
		.storage = mapping->storage_domain,
		.domains = domains,
		.ndomains = ndomains,
	};

	guard(mutex)(&pages->mutex);

	interval_tree_remove(&mapping->pages_node, &pages->domain_users);
	pages_domains_empty_range(&empty, iopt_mapping_first_index(mapping),
				  iopt_mapping_last_index(mapping));
	mapping->storage_domain = NULL;
}

/**
 * pages_domains_unmap_one() - take a mapping out of one of its domains
 * @pages: the mapping's memory
 * @mapping: the mapping, which stays in at least one other domain
 * @domain: the domain to remove it from
 * @new_storage: another domain the mapping is in, to read pfns from if
 *               @domain was its storage domain
 */
void pages_domains_unmap_one(struct iommufd_pages *pages,
			     struct iopt_mapping *mapping,
			     struct iommu_domain *domain,
			     struct iommu_domain *new_storage)
{
	guard(mutex)(&pages->mutex);

	iommu_unmap(domain, mapping->iova_node.start,
		    mapping->iova_node.last - mapping->iova_node.start + 1);
	if (mapping->storage_domain == domain)
		mapping->storage_domain = new_storage;
}

/**
 * pages_domains_split() - let two mappings take over one's pages
 * @pages: the memory of @head
 * @head: a mapping just shortened to end where @tail starts
 * @tail: the rest of what @head mapped, with its own reference on @pages
 *
 * When @head is in domains, its entry among the domain users of @pages is
 * replaced by one for each half.  The halves together cover the same page
 * indexes the whole did, so nothing is pinned or unpinned.
 */
void pages_domains_split(struct iommufd_pages *pages, struct iopt_mapping *head,
			 struct iopt_mapping *tail)
{
	guard(mutex)(&pages->mutex);

	tail->storage_domain = head->storage_domain;
	if (!head->storage_domain)
		return;
	/* The breaks of the whole include those of either half */
	tail->pfn_breaks = head->pfn_breaks;
	interval_tree_remove(&head->pages_node, &pages->domain_users);
	head->pages_node.last = iopt_mapping_last_index(head);
	tail->pages_node.start = iopt_mapping_first_index(tail);
	tail->pages_node.last = iopt_mapping_last_index(tail);
	interval_tree_insert(&head->pages_node, &pages->domain_users);
	interval_tree_insert(&tail->pages_node, &pages->domain_users);
}

/* ---- access pins --------------------------------------------------------- */

/**
 * struct pages_access_range - pages pinned by accesses for one index range
 * @node: [first, last] page index, in iommufd_pages.access_users
 * @users: pins of exactly this range not yet unpinned
 */
struct pages_access_range {
	struct interval_tree_node node;
	unsigned int users;
};

static struct pages_access_range *
pages_access_range_find(struct iommufd_pages *pages, unsigned long first,
			unsigned long last)
{
	struct interval_tree_node *node;

	for (node = interval_tree_iter_first(&pages->access_users, first, last);
	     node; node = interval_tree_iter_next(node, first, last))
		if (node->start == first && node->last == last)
			return container_of(node, struct pages_access_range,
					    node);
	return NULL;
}

/*
 * The pages of [index, last], every one of which an access pins, from
 * their recorded pfns: one walk of access_pfns.  Writers hold the mutex
 * too, so the walk meets no concurrent change.
 */
static void pages_access_pfns_load(struct iommufd_pages *pages,
				   unsigned long index, unsigned long last,
				   struct page **out)
{
	XA_STATE(xas, &pages->access_pfns, index);

	rcu_read_lock();
	while (index <= last) {
		void *entry = xas_next(&xas);

		if (xas_retry(&xas, entry))
			continue;
		WARN_ON_ONCE(!xa_is_value(entry));
		*out++ = pfn_to_page(xa_to_value(entry));
		index++;
	}
	rcu_read_unlock();
}

/*
 * Record the pfns of the @npages pages of @list for the page indexes from
 * @index on, in one walk of access_pfns.  *@stored says how many were
 * recorded: all of them unless this fails.
 */
static int pages_access_pfns_store(struct iommufd_pages *pages,
				   unsigned long index, struct page **list,
				   unsigned long npages, unsigned long *stored)
{
	XA_STATE(xas, &pages->access_pfns, index);
	unsigned long done = 0;

	do {
		xas_lock(&xas);
		for (; done < npages; done++) {
			xas_store(&xas, xa_mk_value(page_to_pfn(list[done])));
			if (xas_error(&xas))
				break;
			xas_next(&xas);
		}
		xas_unlock(&xas);
		/* Allocates the node that was missing, without the lock */
	} while (xas_nomem(&xas, GFP_KERNEL_ACCOUNT));
	*stored = done;
	return xas_error(&xas);
}

/*
 * The pages of [index, last] that @holder, a mapping in domains, has
 * pinned, read back from its storage domain a known contiguous stretch at a
 * time
 */
static void pages_access_read_domain(struct iopt_mapping *holder,
				     unsigned long index, unsigned long last,
				     struct page **out)
{
	struct pages_domains_reader reader;
	unsigned long pfn, npages;

	pages_domains_reader_init(&reader, holder, holder->storage_domain,
				  index, last);
	while (pages_domains_reader_next(&reader, &pfn, &npages))
		while (npages--)
			*out++ = pfn_to_page(pfn++);
}

/*
 * Forget the recorded pfns of [index, last], and unpin their pages if
 * @unpin, a walk of access_pfns per few physically contiguous runs:
 * unpinning may sleep, so it is done outside the xarray's lock.  (Each
 * walk starts afresh; xas_pause() of this kernel can skip entries after a
 * store of NULL freed a node.)  Returns how many pages were unpinned; the
 * caller gives their charge back.
 */
static unsigned long pages_access_pfns_forget(struct iommufd_pages *pages,
					      unsigned long index,
					      unsigned long last, bool unpin)
{
	XA_STATE(xas, &pages->access_pfns, index);
	struct iommufd_pages_run runs[16];
	unsigned long unpinned = 0;
	unsigned int nruns, i;
	void *entry;

	while (index <= last) {
		unsigned long end = last;

		nruns = 0;
		xas_set(&xas, index);
		xas_lock(&xas);
		xas_for_each(&xas, entry, last) {
			unsigned long pfn = xa_to_value(entry);
			struct iommufd_pages_run *run = runs + nruns;

			if (unpin && nruns &&
			    run[-1].pfn + run[-1].npages == pfn) {
				run[-1].npages++;
			} else if (unpin) {
				/* Left for the next walk */
				if (nruns == ARRAY_SIZE(runs)) {
					end = xas.xa_index - 1;
					break;
				}
				run->pfn = pfn;
				run->npages = 1;
				nruns++;
			}
			xas_store(&xas, NULL);
		}
		xas_unlock(&xas);

		for (i = 0; i < nruns; i++) {
			iommufd_pages_unpin_run(pages, runs[i].pfn,
						runs[i].npages);
			unpinned += runs[i].npages;
		}
		index = end + 1;
	}
	return unpinned;
}

/*
 * Forget the pfns of [first, last] that no access pin in the tree covers,
 * and unpin those no mapping in domains has either, giving their charge back at
 * once.
 */
static void pages_access_release(struct iommufd_pages *pages,
				 unsigned long first, unsigned long last)
{
	unsigned long index = first, unpinned = 0;

	while (index <= last) {
		unsigned long seg_last;
		bool in_domain;

		if (iommufd_pages_access_pinned_at(pages, index, last,
						   &seg_last)) {
			index = seg_last + 1;
			continue;
		}
		in_domain = iommufd_pages_domain_mapping_at(pages, index,
							    seg_last,
							    &seg_last);
		unpinned += pages_access_pfns_forget(pages, index, seg_last,
						     !in_domain);
		index = seg_last + 1;
	}
	iommufd_pages_uncharge(pages, unpinned);
}

/*
 * Make [index, last] pinned for an access and fill @out with its pages,
 * a stretch of one kind at a time: pages other access pins have, pages
 * mappings in domains have, and pages nobody has, which get pinned.  On
 * failure the pfns of [index, *@reached) are recorded, and nothing else.
 */
static int pages_access_gather(struct iommufd_pages *pages, unsigned long index,
			       unsigned long last, struct page **out,
			       unsigned long *reached)
{
	unsigned int batches = 0;
	int rc;

	while (index <= last) {
		unsigned long seg_last, npages, stored;
		struct iopt_mapping *holder;
		long pinned;

		*reached = index;
		if (iommufd_pages_access_pinned_at(pages, index, last,
						   &seg_last)) {
			pages_access_pfns_load(pages, index, seg_last, out);
			goto next;
		}

		holder = iommufd_pages_domain_mapping_at(pages, index, seg_last,
							 &seg_last);
		if (holder) {
			pages_access_read_domain(holder, index, seg_last, out);
		} else {
			pinned = iommufd_pages_pin_batch(pages, index,
							 seg_last - index + 1,
							 out, &batches);
			if (pinned < 0)
				return pinned;
			seg_last = index + pinned - 1;
		}
		npages = seg_last - index + 1;
		rc = pages_access_pfns_store(pages, index, out, npages,
					     &stored);
		if (rc) {
			/* Pinned just now and not recorded: nobody knows them */
			if (!holder)
				iommufd_pages_unpin_pages(pages, out + stored,
							  npages - stored);
			*reached = index + stored;
			return rc;
		}
next:
		out += seg_last - index + 1;
		index = seg_last + 1;
	}
	*reached = index;
	return 0;
}

/**
 * pages_access_pin() - pin pages for an access
 * @pages: the memory
 * @mapping: the mapping the pages are reached through
 * @first_index: first page index
 * @last_index: last page index
 * @out_pages: receives last_index - first_index + 1 page pointers
 *
 * Return: 0; on failure nothing changed: -ENOMEM, -EFAULT.
 */
int pages_access_pin(struct iommufd_pages *pages, struct iopt_mapping *mapping,
		     unsigned long first_index, unsigned long last_index,
		     struct page **out_pages)
{
	struct pages_access_range *range;
	unsigned long reached;
	int rc;

	guard(mutex)(&pages->mutex);

	range = pages_access_range_find(pages, first_index, last_index);
	if (range) {
		pages_access_pfns_load(pages, first_index, last_index,
				       out_pages);
		range->users++;
		mapping->access_pins++;
		return 0;
	}

	range = kzalloc(sizeof(*range), GFP_KERNEL_ACCOUNT);
	if (!range)
		return -ENOMEM;
	rc = pages_access_gather(pages, first_index, last_index, out_pages,
				 &reached);
	if (rc) {
		if (reached != first_index)
			pages_access_release(pages, first_index, reached - 1);
		kfree(range);
		return rc;
	}
	range->node.start = first_index;
	range->node.last = last_index;
	range->users = 1;
	interval_tree_insert(&range->node, &pages->access_users);
	mapping->access_pins++;
	return 0;
}

/**
 * pages_access_unpin() - undo one pages_access_pin()
 * @pages: the memory
 * @mapping: the mapping given when pinning
 * @first_index: first page index given when pinning
 * @last_index: last page index given when pinning
 */
void pages_access_unpin(struct iommufd_pages *pages,
			struct iopt_mapping *mapping, unsigned long first_index,
			unsigned long last_index)
{
	struct pages_access_range *range;

	guard(mutex)(&pages->mutex);

	range = pages_access_range_find(pages, first_index, last_index);
	if (WARN_ON(!range) || WARN_ON(!mapping->access_pins))
		return;
	mapping->access_pins--;
	if (--range->users)
		return;
	interval_tree_remove(&range->node, &pages->access_users);
	kfree(range);
	pages_access_release(pages, first_index, last_index);
}

/* ---- reading and writing ------------------------------------------------- */

static int pages_access_rw_user(struct iommufd_pages *pages,
				unsigned long offset, void *data, size_t length,
				unsigned int flags)
{
	void __user *uptr = pages->uptr + offset;
	unsigned long left;

	if (flags & IOMMUFD_ACCESS_RW_WRITE)
		left = copy_to_user(uptr, data, length);
	else
		left = copy_from_user(data, uptr, length);
	return left ? -EFAULT : 0;
}

/* A kthread borrows the creator's address space to copy directly */
static int pages_access_rw_kthread(struct iommufd_pages *pages,
				   unsigned long offset, void *data,
				   size_t length, unsigned int flags)
{
	int rc;

	if (!mmget_not_zero(pages->source_mm))
		return -EFAULT;
	kthread_use_mm(pages->source_mm);
	rc = pages_access_rw_user(pages, offset, data, length, flags);
	kthread_unuse_mm(pages->source_mm);
	mmput(pages->source_mm);
	return rc;
}

/* Copy through the struct page, pinning it for the copy if needed */
static int pages_access_rw_page(struct iommufd_pages *pages,
				unsigned long offset, void *data, size_t length,
				unsigned int flags)
{
	unsigned long index = offset >> PAGE_SHIFT;
	struct iopt_mapping *holder;
	unsigned long seg_last;
	struct page *page;
	bool temporary = false;
	void *vaddr;
	long pinned;

	switch (iommufd_pages_pinned_by(pages, index, index, &seg_last,
					&holder)) {
	case IOMMUFD_PINNED_BY_DOMAIN:
		page = pfn_to_page(pages_domains_read_pfn(holder, index));
		break;
	case IOMMUFD_PINNED_BY_ACCESS:
		page = pfn_to_page(pages_access_pfn(pages, index));
		break;
	default:
		pinned = iommufd_pages_pin(pages, index, 1, &page);
		if (pinned < 0)
			return pinned;
		temporary = true;
		break;
	}

	vaddr = kmap_local_page(page) + offset_in_page(offset);
	if (flags & IOMMUFD_ACCESS_RW_WRITE)
		memcpy(vaddr, data, length);
	else
		memcpy(data, vaddr, length);
	kunmap_local(vaddr);

	if (temporary)
		iommufd_pages_unpin(pages, page_to_pfn(page), 1);
	else if (flags & IOMMUFD_ACCESS_RW_WRITE)
		set_page_dirty_lock(page);
	return 0;
}

/**
 * pages_access_rw() - copy between a kernel buffer and the memory
 * @pages: the memory
 * @offset: byte offset from the start of page 0
 * @data: the kernel buffer
 * @length: bytes
 * @flags: IOMMUFD_ACCESS_RW_* flags
 *
 * User memory is copied through the creator's address space when the
 * caller runs in it (or is a kthread that may borrow it); anything else is
 * copied page by page through the pinned (or briefly pinned) pages.
 *
 * Return: 0, -EFAULT, -ENOMEM.
 */
int pages_access_rw(struct iommufd_pages *pages, unsigned long offset,
		    void *data, size_t length, unsigned int flags)
{
	if (pages->source == IOMMUFD_PAGES_USER &&
	    !(flags & __IOMMUFD_ACCESS_RW_SLOW_PATH)) {
		if (current->mm == pages->source_mm)
			return pages_access_rw_user(pages, offset, data, length,
						    flags);
		if ((flags & IOMMUFD_ACCESS_RW_KTHREAD) && !current->mm)
			return pages_access_rw_kthread(pages, offset, data,
						       length, flags);
	}

	guard(mutex)(&pages->mutex);
	while (length) {
		size_t chunk = min_t(size_t, length,
				     PAGE_SIZE - offset_in_page(offset));
		int rc;

		rc = pages_access_rw_page(pages, offset, data, chunk, flags);
		if (rc)
			return rc;
		offset += chunk;
		data += chunk;
		length -= chunk;
	}
	return 0;
}
