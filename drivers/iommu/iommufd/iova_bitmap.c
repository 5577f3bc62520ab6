// SPDX-License-Identifier: GPL-2.0-only
/*
 * Dirty-page bitmaps that live in user memory.
 *
 * A caller (iommufd's IOMMU_HWPT_GET_DIRTY_BITMAP, VFIO's device dirty
 * logging) passes a user pointer to a bitmap in which bit N stands for the
 * IOVA page at iova + N * page_size.  Such a bitmap can be much larger than
 * what is sensible to pin at once, so it is walked in windows: at most one
 * page worth of struct page pointers of the user bitmap is pinned, the
 * caller's function runs over the IOVA span those bits describe, and the
 * IOMMU driver it calls reports dirty ranges with iova_bitmap_set().
 *
 * iova_bitmap_set() may be called with driver spinlocks held, so it never
 * sleeps: it writes through kmap_local_page() into the pinned pages.  A
 * reported range can run past the end of the current window (a large IOPTE
 * straddling the boundary); the part beyond is remembered and written once
 * the next window is pinned.
 *
 * The bitmap is an array of native u64 words, which on 64-bit kernels is
 * exactly a kernel bitmap of unsigned longs, so bitmap_set() writes it.
 */
#include <linux/bitmap.h>
#include <linux/err.h>
#include <linux/highmem.h>
#include <linux/iova_bitmap.h>
#include <linux/log2.h>
#include <linux/mm.h>
#include <linux/overflow.h>
#include <linux/slab.h>

#define IOVA_BITMAP_BITS_PER_PAGE (PAGE_SIZE * BITS_PER_BYTE)

/**
 * struct iova_bitmap - a user bitmap being filled in
 * @user_bitmap: start of the user's bitmap; bit 0 describes @iova
 * @iova: first IOVA described
 * @length: number of IOVA bytes described
 * @page_shift: log2 of the IOVA bytes one bit stands for
 * @total_bits: number of bits that describe [@iova, @iova + @length)
 * @pinned: the pinned user pages of the current window
 * @max_pinned: capacity of @pinned
 * @npinned: pages in @pinned now; zero between windows
 * @window_first_bit: the first bit the window covers
 * @window_nbits: the number of bits the window covers
 * @window_offset: byte offset of @window_first_bit inside @pinned[0]
 * @deferred_first_bit: first bit reported past the previous window's end
 * @deferred_nbits: number of such bits, zero if none
 */
struct iova_bitmap {
	u64 __user *user_bitmap;
	unsigned long iova;
	size_t length;
	unsigned int page_shift;
	unsigned long total_bits;

	struct page **pinned;
	unsigned long max_pinned;
	unsigned long npinned;
	unsigned long window_first_bit;
	unsigned long window_nbits;
	unsigned long window_offset;

	unsigned long deferred_first_bit;
	unsigned long deferred_nbits;
};

/**
 * iova_bitmap_alloc() - describe a user bitmap to be filled in
 * @iova: first IOVA the bitmap describes
 * @length: IOVA bytes described, at least one
 * @page_size: IOVA bytes per bit, a power of two
 * @data: the user's bitmap, ((@length - 1) / @page_size) / 64 + 1 u64 words
 *
 * Nothing is pinned until iova_bitmap_for_each() runs.
 *
 * Context: process context; may sleep.
 * Return: the bitmap, ERR_PTR(-EINVAL) for a zero length, a page size that
 * is not a power of two or a range that wraps, or ERR_PTR(-ENOMEM).
 */
struct iova_bitmap *iova_bitmap_alloc(unsigned long iova, size_t length,
				      unsigned long page_size,
				      u64 __user *data)
{
	struct iova_bitmap *bitmap;
	unsigned long last_iova;

	if (!length || !is_power_of_2(page_size) ||
	    check_add_overflow(iova, length - 1, &last_iova))
		return ERR_PTR(-EINVAL);

	bitmap = kzalloc(sizeof(*bitmap), GFP_KERNEL);
	if (!bitmap)
		return ERR_PTR(-ENOMEM);
	bitmap->pinned = (struct page **)__get_free_page(GFP_KERNEL);
	if (!bitmap->pinned) {
		kfree(bitmap);
		return ERR_PTR(-ENOMEM);
	}
	bitmap->max_pinned = PAGE_SIZE / sizeof(*bitmap->pinned);
	bitmap->user_bitmap = data;
	bitmap->iova = iova;
	bitmap->length = length;
	bitmap->page_shift = __ffs(page_size);
	bitmap->total_bits = ((length - 1) >> bitmap->page_shift) + 1;
	return bitmap;
}
EXPORT_SYMBOL_NS_GPL(iova_bitmap_alloc, IOMMUFD);

/**
 * iova_bitmap_free() - release a bitmap from iova_bitmap_alloc()
 * @bitmap: the bitmap; it must not be inside iova_bitmap_for_each()
 */
void iova_bitmap_free(struct iova_bitmap *bitmap)
{
	free_page((unsigned long)bitmap->pinned);
	kfree(bitmap);
}
EXPORT_SYMBOL_NS_GPL(iova_bitmap_free, IOMMUFD);

/* Set bits [first, last] of the bitmap, all of which lie in the window */
static void iova_bitmap_write_window(struct iova_bitmap *bitmap,
				     unsigned long first, unsigned long last)
{
	unsigned long pos = bitmap->window_offset * BITS_PER_BYTE +
			    (first - bitmap->window_first_bit);
	unsigned long remaining = last - first + 1;

	while (remaining) {
		unsigned long in_page = pos % IOVA_BITMAP_BITS_PER_PAGE;
		unsigned long chunk = min(remaining,
					  IOVA_BITMAP_BITS_PER_PAGE - in_page);
		struct page *page = bitmap->pinned[pos / IOVA_BITMAP_BITS_PER_PAGE];
		unsigned long *kaddr = kmap_local_page(page);

		bitmap_set(kaddr, in_page, chunk);
		kunmap_local(kaddr);
		pos += chunk;
		remaining -= chunk;
	}
}

/*
 * Remember bits [first, last] for the next window.  Ranges kept here touch or
 * follow the window's end, so their union over-reports nothing a driver did
 * not report, except when a driver reports ranges entirely past the window,
 * where reporting extra dirty pages is the safe direction.
 */
static void iova_bitmap_defer(struct iova_bitmap *bitmap, unsigned long first,
			      unsigned long last)
{
	if (bitmap->deferred_nbits) {
		unsigned long old_last = bitmap->deferred_first_bit +
					 bitmap->deferred_nbits - 1;

		first = min(first, bitmap->deferred_first_bit);
		last = max(last, old_last);
	}
	bitmap->deferred_first_bit = first;
	bitmap->deferred_nbits = last - first + 1;
}

/* Clip [first, last] to the window, write what fits and defer the rest */
static void iova_bitmap_set_bits(struct iova_bitmap *bitmap,
				 unsigned long first, unsigned long last)
{
	unsigned long window_last = bitmap->window_first_bit +
				    bitmap->window_nbits - 1;

	if (last > window_last) {
		iova_bitmap_defer(bitmap, max(first, window_last + 1), last);
		last = window_last;
	}
	/* Bits before the window were written while their window was pinned */
	first = max(first, bitmap->window_first_bit);
	if (first <= last)
		iova_bitmap_write_window(bitmap, first, last);
}

/**
 * iova_bitmap_set() - mark an IOVA range dirty
 * @bitmap: the bitmap being walked by iova_bitmap_for_each()
 * @iova: start of the dirty range
 * @length: bytes in the dirty range
 *
 * Parts of the range outside what the bitmap describes are ignored.
 *
 * Context: any context; does not sleep.  Only meaningful from within the
 * function passed to iova_bitmap_for_each().
 */
void iova_bitmap_set(struct iova_bitmap *bitmap, unsigned long iova,
		     size_t length)
{
	unsigned long bitmap_last = bitmap->iova + bitmap->length - 1;
	unsigned long last_iova;
	unsigned long first_bit;

	if (!bitmap->npinned || !length)
		return;
	if (check_add_overflow(iova, length - 1, &last_iova))
		last_iova = ULONG_MAX;
	if (last_iova < bitmap->iova || iova > bitmap_last)
		return;

	first_bit = iova > bitmap->iova ?
		    (iova - bitmap->iova) >> bitmap->page_shift : 0;
	last_iova = min(last_iova, bitmap_last);
	iova_bitmap_set_bits(bitmap, first_bit,
			     (last_iova - bitmap->iova) >> bitmap->page_shift);
}
EXPORT_SYMBOL_NS_GPL(iova_bitmap_set, IOMMUFD);

/* Pin the user pages holding bits from @first_bit on, as many as fit */
static int iova_bitmap_pin_window(struct iova_bitmap *bitmap,
				  unsigned long first_bit)
{
	unsigned long uaddr = (unsigned long)bitmap->user_bitmap +
			      first_bit / BITS_PER_BYTE;
	unsigned long offset = offset_in_page(uaddr);
	unsigned long bits_left = bitmap->total_bits - first_bit;
	unsigned long bytes_left = DIV_ROUND_UP(bits_left, BITS_PER_BYTE);
	unsigned long npages;
	int rc;

	npages = min(DIV_ROUND_UP(offset + bytes_left, PAGE_SIZE),
		     bitmap->max_pinned);
	rc = pin_user_pages_fast(uaddr & PAGE_MASK, npages, FOLL_WRITE,
				 bitmap->pinned);
	if (rc <= 0)
		return rc ? rc : -EFAULT;

	/* A short pin just makes a smaller window; the next one faults */
	bitmap->npinned = rc;
	bitmap->window_first_bit = first_bit;
	bitmap->window_offset = offset;
	bitmap->window_nbits = min(bits_left, bitmap->npinned *
				   IOVA_BITMAP_BITS_PER_PAGE -
				   offset * BITS_PER_BYTE);
	return 0;
}

static void iova_bitmap_unpin_window(struct iova_bitmap *bitmap)
{
	unpin_user_pages_dirty_lock(bitmap->pinned, bitmap->npinned, true);
	bitmap->npinned = 0;
}

/* Write the deferred bits that the new window covers */
static void iova_bitmap_write_deferred(struct iova_bitmap *bitmap)
{
	unsigned long first = bitmap->deferred_first_bit;
	unsigned long last = first + bitmap->deferred_nbits - 1;

	if (!bitmap->deferred_nbits)
		return;
	bitmap->deferred_nbits = 0;
	iova_bitmap_set_bits(bitmap, first, last);
}

/**
 * iova_bitmap_for_each() - walk a bitmap window by window
 * @bitmap: the bitmap
 * @opaque: passed to @fn
 * @fn: called with the IOVA span of each window; it reports dirty ranges
 *      with iova_bitmap_set() and returns 0 or a negative errno
 *
 * Context: process context; may sleep (pins user memory).
 * Return: 0 once the whole range was walked, the first error of @fn, or the
 * error of pinning the user bitmap (-EFAULT for memory that is not there).
 */
int iova_bitmap_for_each(struct iova_bitmap *bitmap, void *opaque,
			 iova_bitmap_fn_t fn)
{
	unsigned long next_bit = 0;
	int rc;

	while (next_bit < bitmap->total_bits) {
		unsigned long window_iova, window_length;

		rc = iova_bitmap_pin_window(bitmap, next_bit);
		if (rc)
			return rc;
		iova_bitmap_write_deferred(bitmap);

		next_bit = bitmap->window_first_bit + bitmap->window_nbits;
		window_iova = bitmap->iova +
			      (bitmap->window_first_bit << bitmap->page_shift);
		if (next_bit == bitmap->total_bits)
			window_length = bitmap->iova + bitmap->length -
					window_iova;
		else
			window_length = bitmap->window_nbits
					<< bitmap->page_shift;

		rc = fn(bitmap, window_iova, window_length, opaque);
		iova_bitmap_unpin_window(bitmap);
		if (rc)
			return rc;
	}
	return 0;
}
EXPORT_SYMBOL_NS_GPL(iova_bitmap_for_each, IOMMUFD);
