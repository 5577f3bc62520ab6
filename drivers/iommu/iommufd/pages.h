/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A pages object: a run of memory that an IOAS maps, described by where it
 * comes from (a range of a process's address space, of a memfd-like file,
 * or of a dma-buf of device MMIO: pages_dmabuf.h), shared by every
 * mapping that refers to it (IOMMU_IOAS_COPY makes several), and freed
 * when the last one lets go.
 *
 * Contract
 * --------
 * The description of the memory is immutable after creation, so readers of
 * it need no lock.  Page index 0 is the page holding the first byte the
 * creator asked for; a mapping refers to a byte range inside the object by
 * an offset from the start of page 0.
 *
 * Pinning is lazy and shared.  A page is pinned (once, and charged once)
 * while at least one user needs it, and unpinned when the last one lets go.
 * Users are of two kinds, each kept in an interval tree of page indexes:
 * - domain users: mappings that are in the IOMMU domains of their page
 *   table.  Their physical addresses are not stored here; they are read
 *   back from the mapping's storage domain when needed, so a pinned page
 *   costs nothing beyond the IOMMU page table.
 * - access users: ranges pinned by emulated accesses, which need struct
 *   page pointers; their pfns are kept in access_pfns.
 * A page is never unpinned before it is unmapped from every domain.
 *
 * Locking: mutex protects both trees, access_pfns, npinned and every
 * mapping's pages_node, storage_domain, pfn_breaks and access_pins.  It
 * nests inside the page table's iova_rwsem and outside mmap_lock.
 *
 * Changing the owner
 * ------------------
 * The owner of a file's pages object may change once it exists
 * (IOMMU_IOAS_CHANGE_PROCESS, for a VMM that hands its iommufd to a new
 * process).  The owner is read by whoever pins or unpins, always under
 * the mutex and with the iova_rwsem of some page table that maps the
 * object held; the change is made with every page table of the context
 * locked for write, so no pin, unpin or new mapping can see a half-moved
 * object.  Only the charge moves: pages stay pinned and mapped, so DMA
 * goes on.  User memory never moves: it belongs to the address space it
 * was mapped from, which the new process does not share.
 *
 * Files
 * -----
 * pages.c (iommufd_pages_*) is the object itself: creation, references,
 * pinning and unpinning pages from the source, charging them, the
 * temporary-memory limit, and who pins which page.  pages_domains.c
 * (pages_domains_*, pages_domains.h) puts mappings into IOMMU domains and
 * takes them out again; pages_access.c (pages_access_*, pages_access.h)
 * pins pages for emulated accesses and copies to and from the memory for
 * them; pages_dmabuf.c (pages_dmabuf.h) serves dma-bufs, which are never
 * pinned.  The second part of this header is for those two files only.
 */
#ifndef __IOMMUFD_PAGES_H
#define __IOMMUFD_PAGES_H

#include <linux/kref.h>
#include <linux/list.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/rbtree_types.h>
#include <linux/types.h>
#include <linux/xarray.h>

struct file;
struct iommu_domain;
struct iommufd_ctx;
struct iopt_mapping;
struct page;
struct pages_dmabuf;
struct mm_struct;
struct task_struct;
struct user_struct;

enum iommufd_pages_source {
	IOMMUFD_PAGES_USER,
	IOMMUFD_PAGES_FILE,
	IOMMUFD_PAGES_DMABUF,
};

/**
 * struct iommufd_pages_owner - whom pinned pages are charged to
 * @mm: the address space charged: its pinned_vm always, its locked_vm in
 *      IOMMUFD_ACCOUNT_MM mode (mmgrab'd)
 * @task: the thread group leader whose RLIMIT_MEMLOCK limits the charge
 *        (referenced)
 * @user: the user charged in IOMMUFD_ACCOUNT_USER mode (referenced)
 * @account_mode: enum iommufd_account_mode, kept with the owner so that a
 *                charge is always given back the way it was taken
 */
struct iommufd_pages_owner {
	struct mm_struct *mm;
	struct task_struct *task;
	struct user_struct *user;
	u8 account_mode;
};

/**
 * struct iommufd_pages - memory that mappings refer to
 * @kref: one reference per mapping (or other holder)
 * @source: enum iommufd_pages_source
 * @writable: the memory may be written by DMA; mappings asking for write
 *            access to memory created without it are refused
 * @npages: number of PAGE_SIZE pages the object spans
 * @uptr: page-aligned user address of page 0 (IOMMUFD_PAGES_USER)
 * @file: the file, referenced (IOMMUFD_PAGES_FILE)
 * @file_offset: page-aligned file offset of page 0 (IOMMUFD_PAGES_FILE),
 *               or byte offset in the dma-buf (IOMMUFD_PAGES_DMABUF)
 * @dmabuf: the dma-buf side (IOMMUFD_PAGES_DMABUF, pages_dmabuf.c)
 * @owner: the process the pinned pages are charged to; for
 *         IOMMUFD_PAGES_USER also the address space @uptr belongs to.
 *         Fixed from creation, except that IOMMU_IOAS_CHANGE_PROCESS
 *         moves a file's to a new process (see "Changing the owner")
 * @move_node: in a struct iommufd_pages_move's list while the object is
 *             being moved to a new owner, else empty
 * @mutex: see the locking rules above
 * @domain_users: struct iopt_mapping.pages_node of mappings in domains
 * @access_users: struct pages_access_range.node of access pins
 * @access_pfns: page index -> xa_mk_value(pfn) of every page an access
 *               has pinned
 * @npinned: pages pinned (and charged) now
 * @ictx: the context the object was made in, whose pinned_pages counts
 *        @npinned too; the object goes before its context does
 */
struct iommufd_pages {
	struct kref kref;
	u8 source;
	bool writable;
	unsigned long npages;

	void __user *uptr;
	struct file *file;
	unsigned long file_offset;
	struct pages_dmabuf *dmabuf;

	struct iommufd_pages_owner owner;
	struct list_head move_node;

	struct mutex mutex; /* see the locking rules above */
	struct rb_root_cached domain_users;
	struct rb_root_cached access_users;
	struct xarray access_pfns;
	unsigned long npinned;
	struct iommufd_ctx *ictx;
};

struct iommufd_pages *iommufd_pages_alloc_user(struct iommufd_ctx *ictx,
					       void __user *uptr,
					       unsigned long length,
					       bool writable,
					       unsigned long *start_byte);
struct iommufd_pages *iommufd_pages_alloc_file(struct iommufd_ctx *ictx,
					       struct file *file,
					       unsigned long start,
					       unsigned long length,
					       bool writable,
					       unsigned long *start_byte);
unsigned long iommufd_pages_alignment_hint(struct iommufd_pages *pages,
					   unsigned long start_byte);

static inline void iommufd_pages_get(struct iommufd_pages *pages)
{
	kref_get(&pages->kref);
}

void iommufd_pages_put(struct iommufd_pages *pages);

/**
 * struct iommufd_pages_move - pages objects changing owner together
 * @to: the new owner, the calling process, referenced
 * @list: the objects to move, by their move_node
 * @npinned: how many pages they have pinned in all: what @to's pinned_vm
 *           grows by
 * @nlimited: how many of those are charged against a limit other than
 *            @to's now: what is charged against @to's RLIMIT_MEMLOCK
 *
 * Every page table of the context is locked for write from the first
 * iommufd_pages_move_add() to iommufd_pages_move_end(), which keeps the
 * list and @npinned true.
 */
struct iommufd_pages_move {
	struct iommufd_pages_owner to;
	struct list_head list;
	unsigned long npinned;
	unsigned long nlimited;
};

int iommufd_pages_move_begin(struct iommufd_pages_move *move,
			     struct iommufd_ctx *ictx);
int iommufd_pages_move_add(struct iommufd_pages_move *move,
			   struct iommufd_pages *pages);
int iommufd_pages_move_commit(struct iommufd_pages_move *move);
void iommufd_pages_move_end(struct iommufd_pages_move *move);

/*
 * Bytes of temporary memory one pinning batch may use; 0 restores the
 * default.  IOMMU_TEST_OP_SET_TEMP_MEMORY_LIMIT makes it small so that the
 * tests cross batch boundaries.
 */
void iommufd_pages_set_temp_limit(unsigned int bytes);

/* ---- for pages_domains.c, pages_access.c and pages_dmabuf.c only ------- */

/* A new object with no source yet: what every source has in common */
struct iommufd_pages *iommufd_pages_alloc(struct iommufd_ctx *ictx,
					  unsigned long first_byte,
					  unsigned long length, bool writable,
					  unsigned long *start_byte);

/*
 * Every function below but iommufd_pages_temp_bytes() wants the mutex
 * held.  A page is pinned and charged once, however many users it has:
 * whoever gives a page its first user pins it, and whoever finds that it
 * lost its last one unpins it and gives the charge back.
 */
size_t iommufd_pages_temp_bytes(void);
long iommufd_pages_pin(struct iommufd_pages *pages, unsigned long index,
		       unsigned long npages, struct page **out);
long iommufd_pages_pin_batch(struct iommufd_pages *pages, unsigned long index,
			     unsigned long npages, struct page **out,
			     unsigned int *batches);
void iommufd_pages_unpin(struct iommufd_pages *pages, unsigned long pfn,
			 unsigned long npages);
void iommufd_pages_unpin_pages(struct iommufd_pages *pages, struct page **list,
			       unsigned long npages);
void iommufd_pages_uncharge(struct iommufd_pages *pages, unsigned long npages);

/**
 * iommufd_pages_unpin_run() - unpin physically contiguous pages
 * @pages: the pages object, its mutex held
 * @pfn: the first page
 * @npages: how many
 *
 * The caller gives the charge back with iommufd_pages_uncharge(), once for
 * everything it unpins.  Inline: memory of small pages is a run per page.
 */
static inline void iommufd_pages_unpin_run(struct iommufd_pages *pages,
					   unsigned long pfn,
					   unsigned long npages)
{
	lockdep_assert_held(&pages->mutex);

	/* DMA may have written any page it could write */
	unpin_user_page_range_dirty_lock(pfn_to_page(pfn), npages,
					 pages->writable);
}

/**
 * struct iommufd_pages_run - physically contiguous pages
 * @pfn: the first page
 * @npages: how many
 */
struct iommufd_pages_run {
	unsigned long pfn;
	unsigned long npages;
};

/**
 * enum iommufd_pages_pinner - who has a page pinned
 * @IOMMUFD_PINNED_BY_DOMAIN: a mapping in domains; the pfn is read back
 *                            from its storage domain
 * @IOMMUFD_PINNED_BY_ACCESS: an access and no mapping in domains; the pfn
 *                            is in access_pfns
 * @IOMMUFD_PINNED_BY_NONE: nobody
 */
enum iommufd_pages_pinner {
	IOMMUFD_PINNED_BY_DOMAIN,
	IOMMUFD_PINNED_BY_ACCESS,
	IOMMUFD_PINNED_BY_NONE,
};

/* Who pins which page, for a stretch of page indexes at a time */
struct iopt_mapping *
iommufd_pages_domain_mapping_at(struct iommufd_pages *pages,
				unsigned long index, unsigned long last,
				unsigned long *seg_last);
bool iommufd_pages_access_pinned_at(struct iommufd_pages *pages,
				    unsigned long index, unsigned long last,
				    unsigned long *seg_last);
enum iommufd_pages_pinner
iommufd_pages_pinned_by(struct iommufd_pages *pages, unsigned long index,
			unsigned long last, unsigned long *seg_last,
			struct iopt_mapping **holder);
bool iommufd_pages_unpinned_at(struct iommufd_pages *pages, unsigned long index,
			       unsigned long last, unsigned long *seg_last);
bool iommufd_pages_any_unpinned(struct iommufd_pages *pages,
				unsigned long index, unsigned long last);

#endif
