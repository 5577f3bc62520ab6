/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * iommufd user space interface, reached by opening /dev/iommu.
 *
 * Every number, name and structure layout below is part of the kernel ABI
 * and is binary compatible with the upstream Linux 6.12 definition of this
 * interface, plus two backports that keep the numbers and layouts they
 * were given upstream later on: IOMMU_IOAS_MAP_FILE, and the input type of
 * IOMMU_GET_HW_INFO (IOMMU_HW_INFO_FLAG_INPUT_TYPE, in_data_type and
 * IOMMU_HW_INFO_TYPE_DEFAULT).  Existing entries must never be renumbered,
 * resized or reordered; new members are appended only.
 */
#ifndef _UAPI_IOMMUFD_H
#define _UAPI_IOMMUFD_H

#include <linux/ioctl.h>
#include <linux/types.h>

/**
 * DOC: Rules common to all iommufd ioctls
 *
 * Each command is issued as ioctl(iommufd, IOMMU_<NAME>, argp) where argp
 * points to the argument structure documented for that command.  The codes
 * are made with _IO(), so they encode neither a direction nor a size.  The
 * argument describes its own length instead: its first member is always a
 * __u32 called size, which the caller fills with the number of bytes it is
 * passing, normally sizeof() of the structure in the header it was built
 * with.
 *
 * Growing an argument structure
 * -----------------------------
 *
 * A structure may gain members over time, but only at its end, and zero is
 * always a valid value for a newly added member that keeps the previous
 * behaviour.  The kernel therefore treats size as follows:
 *
 *  - Below the minimum: every command has a smallest accepted size (stated
 *    in the command's documentation; it is the length of the structure as
 *    first released).  A smaller size is refused with EINVAL.
 *  - Between the minimum and the kernel's own sizeof(): the caller was
 *    built against an older header.  The bytes it did not supply are taken
 *    to be zero.
 *  - Above the kernel's own sizeof(): the caller knows about members this
 *    kernel does not.  Those extra bytes are accepted only if every one of
 *    them is zero; otherwise the ioctl fails with E2BIG before doing
 *    anything.
 *  - Results are written back into the caller's structure for at most
 *    size bytes, never beyond, so an older caller's memory past its own
 *    structure is left untouched.
 *
 * Members whose name starts with __reserved are padding that keeps 64-bit
 * members naturally aligned or holds room for future use.  They must be
 * zero when passed in; every command rejects a non-zero value with
 * EOPNOTSUPP, as it would for an unknown flag.  All 64-bit members are
 * declared __aligned_u64, so every structure has the same layout for 32-bit
 * and 64-bit callers.  Members that carry a user space address, such as
 * user_va, data_uptr or allowed_iovas, hold the pointer cast to __u64.
 *
 * Error codes
 * -----------
 *
 * The following errno values mean the same thing for every command:
 *
 *  - ENOTTY: the request code is not an iommufd command this kernel
 *    implements.
 *  - E2BIG: size goes past the kernel's version of the structure and a
 *    byte in that surplus is not zero.
 *  - EOPNOTSUPP: the structure is understood, but a member holds a value
 *    this kernel or this IOMMU does not support, for example an undefined
 *    flag bit, an unknown type or operation code, or a non-zero reserved
 *    member.
 *  - EINVAL: a member holds a value that is malformed or inconsistent with
 *    the other members (and size below the minimum, as described above).
 *  - ENOENT: an object ID does not name a live object of the kind the
 *    command needs, or an IOVA range does not match existing mappings.
 *    A member that may name objects of more than one kind, such as the
 *    pt_id of IOMMU_HWPT_ALLOC (an IOAS or a HWPT), is the exception: an
 *    object of a kind it does not accept is EINVAL, and for
 *    IOMMU_HWPT_ALLOC so is an ID that names nothing.
 *  - ENOMEM: the kernel could not allocate memory for the request.
 *  - EOVERFLOW: an address or length calculation overflowed, or a 64-bit
 *    value does not fit the kernel's address width.
 *  - EFAULT: the argument structure, or a buffer it points to, could not
 *    be read or written.
 *  - EMSGSIZE: an output array supplied by the caller is too small; the
 *    count member has been updated to the number of entries required.
 *  - EBUSY: the object is still referenced by another object or by a
 *    kernel user and cannot be changed or destroyed yet.
 *
 * A command may additionally return the errno values listed with it.
 * When several members are wrong at once, which of their errors is
 * reported is not part of the interface.
 *
 * A command that creates an object reports the new ID by writing the
 * structure back before the object can be used; if that write fails, the
 * object is destroyed again and the command fails with EFAULT.
 */

/*
 * Command numbers: the _IOC_NR() field of each IOMMU_* request code.  They
 * start at 0x80 and are handed out in the order commands were added; a
 * number is never reused for a different command.
 */
enum {
	IOMMUFD_CMD_BASE = 0x80,
	IOMMUFD_CMD_DESTROY = IOMMUFD_CMD_BASE + 0,
	IOMMUFD_CMD_IOAS_ALLOC = IOMMUFD_CMD_BASE + 1,
	IOMMUFD_CMD_IOAS_ALLOW_IOVAS = IOMMUFD_CMD_BASE + 2,
	IOMMUFD_CMD_IOAS_COPY = IOMMUFD_CMD_BASE + 3,
	IOMMUFD_CMD_IOAS_IOVA_RANGES = IOMMUFD_CMD_BASE + 4,
	IOMMUFD_CMD_IOAS_MAP = IOMMUFD_CMD_BASE + 5,
	IOMMUFD_CMD_IOAS_UNMAP = IOMMUFD_CMD_BASE + 6,
	IOMMUFD_CMD_OPTION = IOMMUFD_CMD_BASE + 7,
	IOMMUFD_CMD_VFIO_IOAS = IOMMUFD_CMD_BASE + 8,
	IOMMUFD_CMD_HWPT_ALLOC = IOMMUFD_CMD_BASE + 9,
	IOMMUFD_CMD_GET_HW_INFO = IOMMUFD_CMD_BASE + 10,
	IOMMUFD_CMD_HWPT_SET_DIRTY_TRACKING = IOMMUFD_CMD_BASE + 11,
	IOMMUFD_CMD_HWPT_GET_DIRTY_BITMAP = IOMMUFD_CMD_BASE + 12,
	IOMMUFD_CMD_HWPT_INVALIDATE = IOMMUFD_CMD_BASE + 13,
	IOMMUFD_CMD_FAULT_QUEUE_ALLOC = IOMMUFD_CMD_BASE + 14,
	IOMMUFD_CMD_IOAS_MAP_FILE = IOMMUFD_CMD_BASE + 15,
	IOMMUFD_CMD_VIOMMU_ALLOC = IOMMUFD_CMD_BASE + 16,
	IOMMUFD_CMD_VDEVICE_ALLOC = IOMMUFD_CMD_BASE + 17,
	IOMMUFD_CMD_IOAS_CHANGE_PROCESS = IOMMUFD_CMD_BASE + 18,
	IOMMUFD_CMD_VEVENTQ_ALLOC = IOMMUFD_CMD_BASE + 19,
	IOMMUFD_CMD_HW_QUEUE_ALLOC = IOMMUFD_CMD_BASE + 20,
};

/* The ioctl type byte that all iommufd request codes are built on. */
#define IOMMUFD_TYPE (';')

/*
 * The request codes, in the order of their numbers.  Each command's
 * argument structure is documented below with the command's name in its
 * title, as in "struct iommu_ioas_map - ioctl(IOMMU_IOAS_MAP)"; the types
 * that structure refers to follow it.
 */
#define IOMMU_DESTROY			_IO(IOMMUFD_TYPE, IOMMUFD_CMD_DESTROY)
#define IOMMU_IOAS_ALLOC		_IO(IOMMUFD_TYPE, IOMMUFD_CMD_IOAS_ALLOC)
#define IOMMU_IOAS_ALLOW_IOVAS		_IO(IOMMUFD_TYPE, IOMMUFD_CMD_IOAS_ALLOW_IOVAS)
#define IOMMU_IOAS_COPY			_IO(IOMMUFD_TYPE, IOMMUFD_CMD_IOAS_COPY)
#define IOMMU_IOAS_IOVA_RANGES		_IO(IOMMUFD_TYPE, IOMMUFD_CMD_IOAS_IOVA_RANGES)
#define IOMMU_IOAS_MAP			_IO(IOMMUFD_TYPE, IOMMUFD_CMD_IOAS_MAP)
#define IOMMU_IOAS_UNMAP		_IO(IOMMUFD_TYPE, IOMMUFD_CMD_IOAS_UNMAP)
#define IOMMU_OPTION			_IO(IOMMUFD_TYPE, IOMMUFD_CMD_OPTION)
#define IOMMU_VFIO_IOAS			_IO(IOMMUFD_TYPE, IOMMUFD_CMD_VFIO_IOAS)
#define IOMMU_HWPT_ALLOC		_IO(IOMMUFD_TYPE, IOMMUFD_CMD_HWPT_ALLOC)
#define IOMMU_GET_HW_INFO		_IO(IOMMUFD_TYPE, IOMMUFD_CMD_GET_HW_INFO)
#define IOMMU_HWPT_SET_DIRTY_TRACKING	_IO(IOMMUFD_TYPE, IOMMUFD_CMD_HWPT_SET_DIRTY_TRACKING)
#define IOMMU_HWPT_GET_DIRTY_BITMAP	_IO(IOMMUFD_TYPE, IOMMUFD_CMD_HWPT_GET_DIRTY_BITMAP)
#define IOMMU_HWPT_INVALIDATE		_IO(IOMMUFD_TYPE, IOMMUFD_CMD_HWPT_INVALIDATE)
#define IOMMU_FAULT_QUEUE_ALLOC		_IO(IOMMUFD_TYPE, IOMMUFD_CMD_FAULT_QUEUE_ALLOC)
#define IOMMU_IOAS_MAP_FILE		_IO(IOMMUFD_TYPE, IOMMUFD_CMD_IOAS_MAP_FILE)
#define IOMMU_VIOMMU_ALLOC		_IO(IOMMUFD_TYPE, IOMMUFD_CMD_VIOMMU_ALLOC)
#define IOMMU_VDEVICE_ALLOC		_IO(IOMMUFD_TYPE, IOMMUFD_CMD_VDEVICE_ALLOC)
#define IOMMU_IOAS_CHANGE_PROCESS	_IO(IOMMUFD_TYPE, IOMMUFD_CMD_IOAS_CHANGE_PROCESS)
#define IOMMU_VEVENTQ_ALLOC		_IO(IOMMUFD_TYPE, IOMMUFD_CMD_VEVENTQ_ALLOC)
#define IOMMU_HW_QUEUE_ALLOC		_IO(IOMMUFD_TYPE, IOMMUFD_CMD_HW_QUEUE_ALLOC)

/**
 * struct iommu_destroy - ioctl(IOMMU_DESTROY)
 * @size: In.  Length of this structure; at least 8.
 * @id: In.  ID of the object to free.  Any object type that user space
 *      can create through this file may be named here.
 *
 * Frees one object owned by this iommufd and drops the references it held
 * on other objects.  Once it returns, @id no longer names anything and the
 * same number may be given to an object created later.  Commands that are
 * using the object at that moment are waited for; they do not make the
 * destroy fail.
 *
 * Errors: ENOENT if @id names no object; EBUSY if another object or a
 * kernel driver still depends on it: an IOAS with HWPTs or emulated
 * accesses on it, a HWPT that has devices attached or is the parent of a
 * nested HWPT, and any device or emulated access (those are owned by the
 * kernel driver that created them, and go when it lets go of them).  If
 * the caller is killed while waiting, the object is left as it was.
 */
struct iommu_destroy {
	__u32 size;
	__u32 id;
};

/**
 * struct iommu_ioas_alloc - ioctl(IOMMU_IOAS_ALLOC)
 * @size: In.  Length of this structure; at least 12.
 * @flags: In.  No flags are defined yet; must be 0.
 * @out_ioas_id: Out.  ID of the newly created IOAS.
 *
 * Creates an I/O address space (IOAS): a table that translates I/O
 * virtual addresses (IOVAs) used by device DMA to the user memory mapped
 * into it.  A new IOAS holds no mappings and no restrictions; it is filled
 * with IOMMU_IOAS_MAP, IOMMU_IOAS_MAP_FILE or IOMMU_IOAS_COPY and can back
 * any number of devices and hardware page tables at once.
 *
 * Errors: EOPNOTSUPP if @flags is not 0; ENOMEM.
 */
struct iommu_ioas_alloc {
	__u32 size;
	__u32 flags;
	__u32 out_ioas_id;
};

/**
 * struct iommu_ioas_iova_ranges - ioctl(IOMMU_IOAS_IOVA_RANGES)
 * @size: In.  Length of this structure; at least 32.
 * @ioas_id: In.  The IOAS to report on.
 * @num_iovas: In: how many entries @allowed_iovas can hold.  Out: how many
 *             usable ranges the IOAS has right now, which may be more than
 *             were written.
 * @__reserved: Must be 0.
 * @allowed_iovas: In.  User address of an array of struct iommu_iova_range
 *                 that receives the usable ranges, in ascending order.
 *                 Ignored when @num_iovas is 0 on input.
 * @out_iova_alignment: Out.  Granule, a power of two, that both the IOVA
 *                      and the length of every IOMMU_IOAS_MAP,
 *                      IOMMU_IOAS_MAP_FILE and IOMMU_IOAS_COPY must be a
 *                      multiple of.  It is the largest of the smallest
 *                      page size of each linked domain, PAGE_SIZE while
 *                      an emulated access that pins pages is attached or
 *                      IOMMU_OPTION_HUGE_PAGES is 0, and 1.
 *
 * Reports the IOVA ranges in which mappings may currently be created.  The
 * space of an IOAS shrinks as devices and page tables using it are added,
 * because each IOMMU has an aperture and reserved windows (MSI doorbells,
 * firmware reserved regions and the like), and it may grow again when they
 * are removed.  A caller should repeat this query after every attach or
 * detach instead of caching the answer.
 *
 * As many ranges as fit are copied into @allowed_iovas.  If the array was
 * too short the call still updates @num_iovas and @out_iova_alignment but
 * fails with EMSGSIZE; the caller can then retry with an array of at least
 * @num_iovas entries.  Passing 0 in @num_iovas is a way to learn the count.
 *
 * Errors: EOPNOTSUPP if @__reserved is set; ENOENT for an unknown
 * @ioas_id; EMSGSIZE as described above; EFAULT if the array cannot be
 * written.
 */
struct iommu_ioas_iova_ranges {
	__u32 size;
	__u32 ioas_id;
	__u32 num_iovas;
	__u32 __reserved;
	__aligned_u64 allowed_iovas;
	__aligned_u64 out_iova_alignment;
};

/**
 * struct iommu_iova_range - one closed interval of IOVA space
 * @start: Lowest IOVA that belongs to the interval.
 * @last: Highest IOVA that belongs to the interval.  The bound is
 *        inclusive, so an interval ending at the top of a 64-bit space
 *        has @last equal to U64_MAX.
 *
 * Element type of the arrays exchanged by IOMMU_IOAS_IOVA_RANGES and
 * IOMMU_IOAS_ALLOW_IOVAS.
 */
struct iommu_iova_range {
	__aligned_u64 start;
	__aligned_u64 last;
};

/**
 * struct iommu_ioas_allow_iovas - ioctl(IOMMU_IOAS_ALLOW_IOVAS)
 * @size: In.  Length of this structure; at least 24.
 * @ioas_id: In.  The IOAS whose allowed list is replaced.
 * @num_iovas: In.  Number of entries in @allowed_iovas.  0 clears the
 *             list, lifting the restriction.
 * @__reserved: Must be 0.
 * @allowed_iovas: In.  User address of an array of struct iommu_iova_range
 *                 naming the IOVA ranges the caller needs to keep usable.
 *
 * Installs the set of IOVA ranges the caller promises to need, replacing
 * any set installed before.  The kernel then guarantees that those
 * ranges stay usable: a device or page table whose IOMMU would reserve or
 * exclude any part of them is refused when it is attached, so
 * IOMMU_IOAS_IOVA_RANGES never reports less than what is listed here.
 * While a list is installed, IOVAs chosen by the kernel for mappings
 * without IOMMU_IOAS_MAP_FIXED_IOVA are also taken only from these ranges.
 * Mappings at a fixed IOVA are not limited to them.
 *
 * The update is all or nothing: on failure the previous list stays.
 *
 * Errors: EOPNOTSUPP if @__reserved is set; ENOENT for an unknown
 * @ioas_id; EINVAL if an entry has @start not below @last, does not fit
 * the kernel's address width, or overlaps another entry; EADDRINUSE if a
 * range collides with IOVA that is already reserved (outside the aperture
 * of a linked domain, or claimed by an attached device); EFAULT; ENOMEM.
 */
struct iommu_ioas_allow_iovas {
	__u32 size;
	__u32 ioas_id;
	__u32 num_iovas;
	__u32 __reserved;
	__aligned_u64 allowed_iovas;
};

/**
 * struct iommu_ioas_map - ioctl(IOMMU_IOAS_MAP)
 * @size: In.  Length of this structure; at least 40.
 * @flags: In.  Bitwise OR of enum iommufd_ioas_map_flags values.
 * @ioas_id: In.  The IOAS that receives the mapping.
 * @__reserved: Must be 0.
 * @user_va: In.  Start of the caller's virtual memory to map.
 * @length: In.  Number of bytes to map.
 * @iova: In when IOMMU_IOAS_MAP_FIXED_IOVA is set: the IOVA to map at.
 *        Out otherwise: the IOVA the kernel chose.
 *
 * Makes @length bytes of the calling process' memory, starting at
 * @user_va, reachable by DMA at the same length of IOVA space.  The memory
 * is pinned, and charged against RLIMIT_MEMLOCK as selected by
 * IOMMU_OPTION_RLIMIT_MODE, only while something needs it: a HWPT linked
 * to the IOAS, or an emulated access that pinned it.  While no HWPT is
 * linked to the IOAS the memory is not even looked at, so a range that
 * cannot be pinned is reported only by the command that first needs it
 * pinned (this one if a HWPT is linked already, otherwise for instance
 * IOMMU_HWPT_ALLOC or a device attach).
 *
 * With IOMMU_IOAS_MAP_FIXED_IOVA, the whole target IOVA range must be
 * usable and empty; a mapping is never replaced or merged implicitly.
 * Without it, the kernel selects a hole inside the usable and (if set)
 * allowed ranges, never at IOVA 0, with the same offset in its page as
 * @user_va and aligned like @user_va up to the mapping's size rounded up
 * to a power of two, at most PMD_SIZE, so that huge pages of memory can
 * become huge IOMMU pages.  Either way the IOVA and @length (and the
 * offset of @user_va in its page) must respect the alignment reported by
 * IOMMU_IOAS_IOVA_RANGES.
 *
 * Errors: EOPNOTSUPP for unknown @flags bits or non-zero @__reserved;
 * EINVAL if neither WRITEABLE nor READABLE is set, for a zero @length, a
 * misaligned IOVA, length or @user_va, or a fixed IOVA range that overlaps
 * reserved IOVA; EOVERFLOW if the range wraps or exceeds the kernel's
 * address width; ENOENT for an unknown @ioas_id; EEXIST if a fixed range
 * is already partly mapped; ENOSPC if no hole is large enough; EFAULT if
 * the memory has to be pinned now and cannot be (it is not mapped, or not
 * writable when WRITEABLE is asked for); ENOMEM, also when the locked
 * memory limit would be exceeded.  A failed call maps nothing.
 */
struct iommu_ioas_map {
	__u32 size;
	__u32 flags;
	__u32 ioas_id;
	__u32 __reserved;
	__aligned_u64 user_va;
	__aligned_u64 length;
	__aligned_u64 iova;
};

/**
 * enum iommufd_ioas_map_flags - how a new IOVA mapping is placed and used
 * @IOMMU_IOAS_MAP_FIXED_IOVA: The caller supplies the IOVA.  Without this
 *                             flag the kernel picks a free, suitably
 *                             aligned IOVA and returns it.
 * @IOMMU_IOAS_MAP_WRITEABLE: Devices may write to the mapped memory.
 * @IOMMU_IOAS_MAP_READABLE: Devices may read from the mapped memory.
 *
 * Used by IOMMU_IOAS_MAP, IOMMU_IOAS_MAP_FILE and IOMMU_IOAS_COPY.  At
 * least one of WRITEABLE and READABLE must be given.
 */
enum iommufd_ioas_map_flags {
	IOMMU_IOAS_MAP_FIXED_IOVA = 0x1,
	IOMMU_IOAS_MAP_WRITEABLE = 0x2,
	IOMMU_IOAS_MAP_READABLE = 0x4,
};

/**
 * struct iommu_ioas_map_file - ioctl(IOMMU_IOAS_MAP_FILE)
 * @size: In.  Length of this structure; at least 40.
 * @flags: In.  Bitwise OR of enum iommufd_ioas_map_flags values, with the
 *         same meaning as for IOMMU_IOAS_MAP.
 * @ioas_id: In.  The IOAS that receives the mapping.
 * @fd: In.  File descriptor of the memory to map: a shmem file (a memfd or
 *      a tmpfs file) or a hugetlbfs file, including a memfd made with
 *      MFD_HUGETLB; or a dma-buf that vfio-pci exported for a range of
 *      a device's BAR (VFIO_DEVICE_FEATURE_DMA_BUF).
 * @start: In.  Offset in bytes into the file where the mapping begins.
 * @length: In.  Number of bytes of the file to map.
 * @iova: In when IOMMU_IOAS_MAP_FIXED_IOVA is set: the IOVA to map at.
 *        Out otherwise: the IOVA the kernel chose.
 *
 * Like IOMMU_IOAS_MAP, but the memory is named by a file range instead of
 * a virtual address range, so the caller does not need to have the file
 * mapped into its address space.  The file's pages in [@start, @start +
 * @length) are mapped at @iova, and pinned when something needs them as
 * for IOMMU_IOAS_MAP; the mapping stays valid even after @fd is closed,
 * because the mapping keeps its own reference to the file.  The file, its
 * access mode and its size are checked when the mapping is made.
 * Placement, alignment and accounting rules are the same as for
 * IOMMU_IOAS_MAP, with the file offset in place of the user address.
 *
 * A vfio-pci dma-buf is mapped as MMIO: nothing is pinned or charged.  Its
 * exporter may revoke it at any time; the range then leaves every domain,
 * so DMA to it faults, until the exporter makes it usable again, while the
 * mapping itself stays in the IOAS.
 *
 * Errors: as for IOMMU_IOAS_MAP, and in addition EBADF if @fd is not an
 * open file descriptor; EINVAL if the file is neither shmem, hugetlbfs
 * nor a dma-buf, or if the range reaches past the end of the file (which
 * any @start of 2^63 or more does); EPERM if IOMMU_IOAS_MAP_WRITEABLE is asked for and the
 * file was not opened for writing; EOPNOTSUPP for a dma-buf whose exporter
 * cannot revoke it or that is made of more than one range; ENODEV for a
 * dma-buf that is revoked.
 */
struct iommu_ioas_map_file {
	__u32 size;
	__u32 flags;
	__u32 ioas_id;
	__s32 fd;
	__aligned_u64 start;
	__aligned_u64 length;
	__aligned_u64 iova;
};

/**
 * struct iommu_ioas_copy - ioctl(IOMMU_IOAS_COPY)
 * @size: In.  Length of this structure; at least 40.
 * @flags: In.  Bitwise OR of enum iommufd_ioas_map_flags values, applied
 *         to the new mapping in the destination.
 * @dst_ioas_id: In.  The IOAS that receives the new mapping.
 * @src_ioas_id: In.  The IOAS the memory is already mapped in.  May equal
 *               @dst_ioas_id.
 * @length: In.  Number of bytes to copy.
 * @dst_iova: In when IOMMU_IOAS_MAP_FIXED_IOVA is set: the IOVA to map at
 *            in the destination.  Out otherwise: the IOVA the kernel chose.
 * @src_iova: In.  IOVA in the source IOAS where the memory starts.
 *
 * Maps memory that is already mapped in one IOAS into another (or a second
 * time into the same one) without going back to the original user
 * address or file.  The source range must be covered completely by
 * existing mappings, one or several adjacent ones.  The new mapping shares
 * the memory of the source: a page is pinned and charged once however
 * many mappings refer to it (it may become pinned now, if the destination
 * has a HWPT and the source had none).  The new mapping is independent
 * afterwards and survives unmapping of the source.
 *
 * Errors: EOPNOTSUPP for unknown @flags bits; EINVAL if neither WRITEABLE
 * nor READABLE is set, for a zero @length, or for misaligned or reserved
 * IOVA; EOVERFLOW; ENOENT for unknown IOAS IDs or a source range that is
 * not fully mapped; EPERM for IOMMU_IOAS_MAP_WRITEABLE on memory that was
 * first mapped without it; EEXIST and ENOSPC as for IOMMU_IOAS_MAP;
 * EFAULT and ENOMEM as for IOMMU_IOAS_MAP when the copy has to be pinned.
 */
struct iommu_ioas_copy {
	__u32 size;
	__u32 flags;
	__u32 dst_ioas_id;
	__u32 src_ioas_id;
	__aligned_u64 length;
	__aligned_u64 dst_iova;
	__aligned_u64 src_iova;
};

/**
 * struct iommu_ioas_unmap - ioctl(IOMMU_IOAS_UNMAP)
 * @size: In.  Length of this structure; at least 24.
 * @ioas_id: In.  The IOAS to remove mappings from.
 * @iova: In.  First IOVA of the range to unmap.
 * @length: In: size in bytes of the range to unmap.  Out: how many bytes
 *          of mappings were actually removed.
 *
 * Removes every mapping that lies inside [@iova, @iova + @length).  Each
 * mapping is removed as a whole: a mapping that sticks out of the range on
 * either side causes the call to fail, and then nothing at all is removed,
 * because mappings are never split.  The range may include holes.  The
 * special pair @iova = 0 and @length = U64_MAX empties the whole IOAS and
 * succeeds even when there is nothing to remove.  Pinned pages are
 * released, and their locked memory charge dropped, once nothing needs
 * them pinned any more.
 *
 * If kernel drivers' emulated accesses have pages of a mapping in the
 * range pinned, each access attached to the IOAS is first told to unpin
 * (see struct iommufd_access_ops in include/linux/iommufd.h), and the
 * mapping is removed once every pin is gone.
 *
 * Errors: ENOENT for an unknown @ioas_id, when the range contains no
 * mapping at all (except for the unmap-all pair), or when a mapping only
 * partly overlaps the range; EINVAL for a zero @length; EOVERFLOW if the
 * range wraps or exceeds the kernel's address width.
 */
struct iommu_ioas_unmap {
	__u32 size;
	__u32 ioas_id;
	__aligned_u64 iova;
	__aligned_u64 length;
};

/**
 * struct iommu_option - ioctl(IOMMU_OPTION)
 * @size: In.  Length of this structure; at least 24.
 * @option_id: In.  Which option, one of enum iommufd_option.
 * @op: In.  Whether to read or write it, one of enum iommufd_option_ops.
 * @__reserved: Must be 0.
 * @object_id: In.  Object the option applies to, or 0 for options that
 *             belong to the iommufd as a whole.
 * @val64: In for IOMMU_OPTION_OP_SET: the new value.  Out for
 *         IOMMU_OPTION_OP_GET: the current value.
 *
 * A single entry point to read or change small settings of the iommufd or
 * of one of its objects; see enum iommufd_option for the settings and
 * their values.
 *
 * Errors: EOPNOTSUPP for an unknown @option_id or @op, a non-zero
 * @__reserved, or a non-zero @object_id for a global option; EINVAL for
 * a value outside the option's range, or for turning huge pages off while
 * a linked HWPT maps memory; EADDRINUSE for turning huge pages off while a
 * mapping is not aligned to PAGE_SIZE; ENOENT if @object_id does not name
 * an object of the right kind; EPERM without the required privilege;
 * EBUSY if the option can no longer be changed.
 */
struct iommu_option {
	__u32 size;
	__u32 option_id;
	__u16 op;
	__u16 __reserved;
	__u32 object_id;
	__aligned_u64 val64;
};

/**
 * enum iommufd_option_ops - what IOMMU_OPTION does with the option
 * @IOMMU_OPTION_OP_SET: Store val64 as the option's new value.
 * @IOMMU_OPTION_OP_GET: Return the option's current value in val64.
 */
enum iommufd_option_ops {
	IOMMU_OPTION_OP_SET = 0,
	IOMMU_OPTION_OP_GET = 1,
};

/**
 * enum iommufd_option - option identifiers for IOMMU_OPTION
 * @IOMMU_OPTION_RLIMIT_MODE: How pinned pages are charged against
 *                            RLIMIT_MEMLOCK for this whole iommufd.  0 (the
 *                            default) charges the user who made the
 *                            mapping, 1 charges that process's mm instead,
 *                            as the VFIO type1 container does.  Changing
 *                            it needs CAP_SYS_RESOURCE and is only
 *                            possible while the iommufd has no objects.
 *                            @object_id must be 0.
 * @IOMMU_OPTION_HUGE_PAGES: Whether one IOAS may build IOMMU mappings
 *                           larger than PAGE_SIZE out of physically
 *                           contiguous memory.  1 (the default) allows it;
 *                           0 maps every CPU page on its own and makes
 *                           PAGE_SIZE the smallest IOVA granule.  Turning
 *                           it off is refused while a linked HWPT maps
 *                           memory.  @object_id names the IOAS.
 */
enum iommufd_option {
	IOMMU_OPTION_RLIMIT_MODE = 0,
	IOMMU_OPTION_HUGE_PAGES = 1,
};

/**
 * struct iommu_vfio_ioas - ioctl(IOMMU_VFIO_IOAS)
 * @size: In.  Length of this structure; at least 12.
 * @ioas_id: In for IOMMU_VFIO_IOAS_SET: the IOAS to use.  Out for
 *           IOMMU_VFIO_IOAS_GET: the IOAS in use.  Unused for CLEAR.
 * @op: In.  One of enum iommufd_vfio_ioas_op.
 * @__reserved: Must be 0.
 *
 * When an iommufd is used in place of a VFIO container (through
 * VFIO_GROUP_SET_CONTAINER and the type1 ioctls), the legacy VFIO calls
 * carry no IOAS ID, so they all act on one designated IOAS per iommufd.
 * This command lets user space see or choose that IOAS.  If none has been
 * chosen by the time VFIO first needs one, VFIO creates one and designates
 * it.  Groups already attached through the compatibility path keep the
 * IOAS they got; SET and CLEAR only affect later users, and neither
 * destroys the IOAS that was previously designated.
 *
 * Errors: EOPNOTSUPP for an unknown @op or non-zero @__reserved; ENOENT
 * if @ioas_id does not name an IOAS; ENODEV for GET when no IOAS is
 * designated.
 */
struct iommu_vfio_ioas {
	__u32 size;
	__u32 ioas_id;
	__u16 op;
	__u16 __reserved;
};

/**
 * enum iommufd_vfio_ioas_op - operations of IOMMU_VFIO_IOAS
 * @IOMMU_VFIO_IOAS_GET: Return the ID of the IOAS currently used for VFIO
 *                       container compatibility.
 * @IOMMU_VFIO_IOAS_SET: Make the IOAS given in ioas_id the one used for
 *                       VFIO container compatibility.
 * @IOMMU_VFIO_IOAS_CLEAR: Forget the compatibility IOAS, if any.
 */
enum iommufd_vfio_ioas_op {
	IOMMU_VFIO_IOAS_GET = 0,
	IOMMU_VFIO_IOAS_SET = 1,
	IOMMU_VFIO_IOAS_CLEAR = 2,
};

/**
 * struct iommu_hwpt_alloc - ioctl(IOMMU_HWPT_ALLOC)
 * @size: In.  Length of this structure; at least 24.
 * @flags: In.  Bitwise OR of enum iommufd_hwpt_alloc_flags values.
 * @dev_id: In.  A device bound to this iommufd; the HWPT is made in the
 *          format of that device's IOMMU.
 * @pt_id: In.  What the new HWPT is built on: an IOAS, a HWPT that was
 *         allocated with IOMMU_HWPT_ALLOC_NEST_PARENT, or a vIOMMU.
 * @out_hwpt_id: Out.  ID of the new HWPT.
 * @__reserved: Must be 0.
 * @data_type: In.  One of enum iommu_hwpt_data_type, telling how to read
 *             the buffer at @data_uptr.
 * @data_len: In.  Length in bytes of that buffer.
 * @data_uptr: In.  User address of the driver specific data.
 * @fault_id: In.  ID of a fault queue made by IOMMU_FAULT_QUEUE_ALLOC.  Read
 *            only when @flags contains IOMMU_HWPT_FAULT_ID_VALID.
 * @__reserved2: Pads the structure to a multiple of 8 bytes; must be 0.
 *
 * Creates a hardware page table (HWPT) object, which stands for one IOMMU
 * translation domain, and returns its ID.  Devices can then be attached to
 * it directly instead of letting the kernel pick a domain for an IOAS.
 * Two kinds can be made:
 *
 * Paging HWPT: @pt_id names an IOAS, @data_type is IOMMU_HWPT_DATA_NONE
 * and @data_len is 0.  The kernel owns the page table and keeps it in sync
 * with the IOAS mappings: every existing mapping is put into it before the
 * command returns, which pins the memory if nothing had it pinned yet.
 * IOMMU_HWPT_ALLOC_NEST_PARENT and IOMMU_HWPT_ALLOC_DIRTY_TRACKING apply
 * to this kind only.
 *
 * Nested HWPT: @pt_id names a paging HWPT made with NEST_PARENT by this
 * command (an automatically created HWPT never qualifies) for the same
 * IOMMU driver, or a vIOMMU (whose parent is then used, and whose driver
 * makes the domain; the device must sit behind the vIOMMU's IOMMU), and
 * @data_type/@data_len/@data_uptr describe a first-stage table that user
 * space maintains itself.  The IOMMU translates through
 * that table and then through the parent.  Updates to the user table must
 * be followed by IOMMU_HWPT_INVALIDATE.  The only flag of a nested HWPT is
 * IOMMU_HWPT_FAULT_ID_VALID: the HWPT then depends on the fault queue, and
 * devices attached to it have I/O page faults enabled while they are.
 *
 * Errors: EOPNOTSUPP for unknown flags, flags the device's IOMMU cannot
 * honour, IOMMU_HWPT_FAULT_ID_VALID on a paging HWPT, any other flag on a
 * nested HWPT, a nested HWPT without driver data, a @data_type the IOMMU
 * does not implement, or non-zero @__reserved or @__reserved2; EINVAL if
 * @data_len does not agree with @data_type, if @pt_id names nothing or is
 * not an IOAS or a suitable parent HWPT, or if the driver data is
 * malformed; ENOENT for an unknown @dev_id or a @fault_id that names no
 * fault queue; for a paging HWPT, EADDRINUSE if an existing mapping or an
 * allowed range lies outside what the new domain can translate, or a
 * mapping is not aligned to the domain's smallest page size, and
 * EFAULT or ENOMEM (also past the locked memory limit) if the memory of
 * existing mappings cannot be pinned; ENOMEM.
 */
struct iommu_hwpt_alloc {
	__u32 size;
	__u32 flags;
	__u32 dev_id;
	__u32 pt_id;
	__u32 out_hwpt_id;
	__u32 __reserved;
	__u32 data_type;
	__u32 data_len;
	__aligned_u64 data_uptr;
	__u32 fault_id;
	__u32 __reserved2;
};

/**
 * enum iommufd_hwpt_alloc_flags - flags for IOMMU_HWPT_ALLOC
 * @IOMMU_HWPT_ALLOC_NEST_PARENT: Build the HWPT so that it can later serve
 *                                as the stage-2 (parent) table of nested
 *                                HWPTs.  Only valid for a HWPT made from an
 *                                IOAS.
 * @IOMMU_HWPT_ALLOC_DIRTY_TRACKING: Require dirty page tracking.  Fails if
 *                                   the IOMMU cannot do it, and devices
 *                                   that cannot support it are later
 *                                   refused attachment.
 * @IOMMU_HWPT_FAULT_ID_VALID: The fault_id member is meaningful: I/O page
 *                             faults of devices attached to this HWPT are
 *                             delivered to that fault queue.  Nested HWPTs
 *                             only.
 * @IOMMU_HWPT_ALLOC_PASID: The HWPT's domain may be attached to PASIDs of a
 *                          device, not only to its RID.  A device that has
 *                          PASIDs attached must have such a HWPT (or none)
 *                          on its RID too.  An IOMMU without PASID support
 *                          refuses the flag with EOPNOTSUPP.
 */
enum iommufd_hwpt_alloc_flags {
	IOMMU_HWPT_ALLOC_NEST_PARENT = 0x1,
	IOMMU_HWPT_ALLOC_DIRTY_TRACKING = 0x2,
	IOMMU_HWPT_FAULT_ID_VALID = 0x4,
	IOMMU_HWPT_ALLOC_PASID = 0x8,
};

/**
 * enum iommu_hwpt_data_type - format of the driver data of IOMMU_HWPT_ALLOC
 * @IOMMU_HWPT_DATA_NONE: No driver data; the HWPT is an ordinary page table
 *                        filled by the kernel from an IOAS.
 * @IOMMU_HWPT_DATA_VTD_S1: struct iommu_hwpt_vtd_s1, for a nested HWPT on
 *                          Intel VT-d.
 * @IOMMU_HWPT_DATA_ARM_SMMUV3: struct iommu_hwpt_arm_smmuv3, for a nested
 *                              HWPT on an ARM SMMUv3.
 */
enum iommu_hwpt_data_type {
	IOMMU_HWPT_DATA_NONE = 0,
	IOMMU_HWPT_DATA_VTD_S1 = 1,
	IOMMU_HWPT_DATA_ARM_SMMUV3 = 2,
};

/**
 * struct iommu_hwpt_vtd_s1 - data for IOMMU_HWPT_DATA_VTD_S1
 * @flags: Bitwise OR of enum iommu_hwpt_vtd_s1_flags values.
 * @pgtbl_addr: Address of the root of the stage-1 page table, expressed in
 *              the parent HWPT's IOVA space (the guest physical address
 *              space when used for a virtual machine).
 * @addr_width: Number of input address bits the stage-1 table translates,
 *              which selects its number of levels (for example 48 or 57).
 * @__reserved: Must be 0.
 *
 * Describes an Intel VT-d first-stage page table maintained by user space
 * (typically a guest), for a nested HWPT created on top of a NEST_PARENT
 * HWPT.
 */
struct iommu_hwpt_vtd_s1 {
	__aligned_u64 flags;
	__aligned_u64 pgtbl_addr;
	__u32 addr_width;
	__u32 __reserved;
};

/**
 * enum iommu_hwpt_vtd_s1_flags - attribute bits of a VT-d stage-1 table
 * @IOMMU_VTD_S1_SRE: Supervisor Request Enable: requests with supervisor
 *                    privilege are allowed through this table.
 * @IOMMU_VTD_S1_EAFE: Extended Access Flag Enable: the hardware updates the
 *                     extended accessed bit in the stage-1 entries.
 * @IOMMU_VTD_S1_WPE: Write Protect Enable: supervisor requests honour the
 *                    write permission of the stage-1 entries.
 *
 * The bits correspond to fields of the same name in the VT-d scalable-mode
 * PASID table entry; the IOMMU must advertise the matching capability.
 */
enum iommu_hwpt_vtd_s1_flags {
	IOMMU_VTD_S1_SRE = 0x1,
	IOMMU_VTD_S1_EAFE = 0x2,
	IOMMU_VTD_S1_WPE = 0x4,
};

/**
 * struct iommu_hwpt_arm_smmuv3 - data for IOMMU_HWPT_DATA_ARM_SMMUV3
 * @ste: The first two 64-bit words of a Stream Table Entry written by user
 *       space (a guest), little-endian.  Only these fields of the SMMUv3
 *       specification's STE may be set: in word 0 V, Cfg, S1Fmt,
 *       S1ContextPtr and S1CDMax; in word 1 EATS, S1DSS, S1CIR, S1COR,
 *       S1CSH and S1STALLD.
 *
 * Describes the stage-1 configuration of a nested HWPT on an ARM SMMUv3:
 * Cfg selects abort, bypass (translate like the parent alone) or stage 1
 * through a Context Descriptor table that lives in memory mapped by the
 * parent.  An entry with other fields set, or that the SMMU could not
 * honour, is refused with EIO.
 */
struct iommu_hwpt_arm_smmuv3 {
	__aligned_le64 ste[2];
};

/**
 * struct iommu_hw_info - ioctl(IOMMU_GET_HW_INFO)
 * @size: In.  Length of this structure; at least 32.
 * @flags: In.  Bitwise OR of enum iommufd_hw_info_flags values.
 * @dev_id: In.  A device bound to this iommufd.
 * @data_len: In: size of the buffer at @data_uptr.  Out: size of the data
 *            the kernel has for this IOMMU, which can be larger or smaller
 *            than the buffer.
 * @data_uptr: In.  User address of a buffer for the IOMMU specific data.
 * @in_data_type: In, with IOMMU_HW_INFO_FLAG_INPUT_TYPE.  The enum
 *                iommu_hw_info_type the caller asks for;
 *                IOMMU_HW_INFO_TYPE_DEFAULT takes the driver's own.  Shares
 *                its storage with @out_data_type.
 * @out_data_type: Out.  One of enum iommu_hw_info_type, telling how to read
 *                 the buffer.
 * @out_max_pasid_log2: Out.  Number of PASID bits the device may use, or 0
 *                      if PASIDs are not supported or not enabled.
 * @__reserved: Must be 0.
 * @out_capabilities: Out.  Bitwise OR of enum iommufd_hw_capabilities
 *                    values.
 *
 * Describes the IOMMU that translates DMA for @dev_id, so that user space
 * can tell which HWPT formats and features are usable, or mirror the
 * hardware in an emulated IOMMU for a guest.
 *
 * The IOMMU specific data is copied into the buffer up to @data_len bytes;
 * any part of the buffer beyond the end of the data is zero-filled.  On
 * return @data_len holds the full length of the data, so a caller can size
 * a buffer by first passing 0.  A device whose IOMMU driver reports no
 * data at all gets IOMMU_HW_INFO_TYPE_NONE and a @data_len of 0, whatever
 * @in_data_type asked for.
 *
 * Errors: EOPNOTSUPP for an unknown flag, a non-zero @__reserved, or an
 * @in_data_type the IOMMU driver cannot report; ENOENT for an unknown
 * @dev_id; EFAULT if the buffer cannot be written; ENOMEM.
 */
struct iommu_hw_info {
	__u32 size;
	__u32 flags;
	__u32 dev_id;
	__u32 data_len;
	__aligned_u64 data_uptr;
	union {
		__u32 in_data_type;
		__u32 out_data_type;
	};
	__u8 out_max_pasid_log2;
	__u8 __reserved[3];
	__aligned_u64 out_capabilities;
};

/**
 * enum iommufd_hw_info_flags - flags of IOMMU_GET_HW_INFO
 * @IOMMU_HW_INFO_FLAG_INPUT_TYPE: @in_data_type names the format the caller
 *                                 wants; without this flag the field is
 *                                 not read and the driver's default format
 *                                 is reported.
 */
enum iommufd_hw_info_flags {
	IOMMU_HW_INFO_FLAG_INPUT_TYPE = 0x1,
};

/**
 * enum iommu_hw_info_type - format of the data returned by IOMMU_GET_HW_INFO
 * @IOMMU_HW_INFO_TYPE_NONE: Out: the IOMMU driver reports no specific data.
 * @IOMMU_HW_INFO_TYPE_DEFAULT: In: whatever format the driver reports by
 *                              default (same value as NONE, which is only
 *                              ever an output).
 * @IOMMU_HW_INFO_TYPE_INTEL_VTD: The data is a struct iommu_hw_info_vtd.
 * @IOMMU_HW_INFO_TYPE_ARM_SMMUV3: The data is a struct
 *                                iommu_hw_info_arm_smmuv3.
 * @IOMMU_HW_INFO_TYPE_TEGRA241_CMDQV: The data is a struct
 *                                    iommu_hw_info_tegra241_cmdqv, for the
 *                                    command queue extension of an SMMUv3
 *                                    on NVIDIA Tegra241.
 */
enum iommu_hw_info_type {
	IOMMU_HW_INFO_TYPE_NONE = 0,
	IOMMU_HW_INFO_TYPE_DEFAULT = 0,
	IOMMU_HW_INFO_TYPE_INTEL_VTD = 1,
	IOMMU_HW_INFO_TYPE_ARM_SMMUV3 = 2,
	IOMMU_HW_INFO_TYPE_TEGRA241_CMDQV = 3,
};

/**
 * enum iommufd_hw_capabilities - generic features of a device's IOMMU path
 * @IOMMU_HW_CAP_DIRTY_TRACKING: The IOMMU can record which pages devices
 *                               wrote to, so IOMMU_HWPT_SET_DIRTY_TRACKING
 *                               and IOMMU_HWPT_GET_DIRTY_BITMAP can be used
 *                               on HWPTs allocated for this device.
 * @IOMMU_HW_CAP_PCI_PASID_EXEC: The PCI device's PASID capability has
 *                               Execute Permission enabled.  Meaningless
 *                               when out_max_pasid_log2 is 0.
 * @IOMMU_HW_CAP_PCI_PASID_PRIV: The PCI device's PASID capability has
 *                               Privileged Mode enabled.  Meaningless when
 *                               out_max_pasid_log2 is 0.
 *
 * Bits reported in iommu_hw_info.out_capabilities.
 */
enum iommufd_hw_capabilities {
	IOMMU_HW_CAP_DIRTY_TRACKING = 0x1,
	IOMMU_HW_CAP_PCI_PASID_EXEC = 0x2,
	IOMMU_HW_CAP_PCI_PASID_PRIV = 0x4,
};

/**
 * struct iommu_hw_info_vtd - data of type IOMMU_HW_INFO_TYPE_INTEL_VTD
 * @flags: Bitwise OR of enum iommu_hw_info_vtd_flags values.
 * @__reserved: Must be 0.
 * @cap_reg: Raw contents of the VT-d Capability Register (section 11.4.2
 *           of the VT-d specification).
 * @ecap_reg: Raw contents of the VT-d Extended Capability Register
 *            (section 11.4.3 of the VT-d specification).
 *
 * Returned by IOMMU_GET_HW_INFO for a device behind an Intel VT-d IOMMU.
 * The register values are passed through unchanged; decoding them is left
 * to user space, for example to present matching capabilities in an
 * emulated IOMMU.
 */
struct iommu_hw_info_vtd {
	__u32 flags;
	__u32 __reserved;
	__aligned_u64 cap_reg;
	__aligned_u64 ecap_reg;
};

/**
 * enum iommu_hw_info_vtd_flags - bits of iommu_hw_info_vtd.flags
 * @IOMMU_HW_INFO_VTD_ERRATA_772415_SPR17: The IOMMU is affected by Intel
 *                                         erratum SPR17 (document 772415).
 *                                         A NEST_PARENT HWPT cannot hold
 *                                         read-only mappings, so memory in
 *                                         an IOAS backing one must be
 *                                         mapped writeable.
 */
enum iommu_hw_info_vtd_flags {
	IOMMU_HW_INFO_VTD_ERRATA_772415_SPR17 = 0x1,
};

/**
 * struct iommu_hw_info_arm_smmuv3 - ARM SMMUv3 registers
 *                                   (IOMMU_HW_INFO_TYPE_ARM_SMMUV3)
 * @flags: Always 0.
 * @__reserved: Always 0.
 * @idr: The identification registers SMMU_IDR0 to SMMU_IDR5.
 * @iidr: SMMU_IIDR: implementer, product and revision.
 * @aidr: SMMU_AIDR: the architecture version.
 *
 * The raw register values, for a VMM that emulates an SMMUv3 for a guest
 * on top of nested HWPTs.  Only some fields describe what a guest may use:
 * in IDR0 ST_LEVEL, TERM_MODEL, STALL_MODEL, TTENDIAN, CD2L, ASID16 and
 * TTF; in IDR1 SIDSIZE and SSIDSIZE; in IDR3 BBML and RIL; in IDR5 VAX and
 * the GRAN4K/16K/64K granule bits.  The rest must not be passed on, so that
 * later kernels can report more.  Stage 1 is usable when a nested HWPT can
 * be made; coherent access is always there for devices iommufd accepts;
 * ATS is a property of each device.
 */
struct iommu_hw_info_arm_smmuv3 {
	__u32 flags;
	__u32 __reserved;
	__u32 idr[6];
	__u32 iidr;
	__u32 aidr;
};

/**
 * struct iommu_hw_info_tegra241_cmdqv - NVIDIA Tegra241 CMDQV parameters
 *                                       (IOMMU_HW_INFO_TYPE_TEGRA241_CMDQV)
 * @flags: Always 0.
 * @version: The CMDQ-V hardware version (PARAM bits 3:0).
 * @log2vcmdqs: log2 of the number of virtual command queues (PARAM bits
 *              7:4).
 * @log2vsids: log2 of the number of stream ID replacements (PARAM bits
 *             15:12).
 * @__reserved: Always 0.
 *
 * A VMM can put these straight into the PARAM register it emulates; it
 * should offer a guest one virtual interface, so PARAM bits 11:8 read 0.
 */
struct iommu_hw_info_tegra241_cmdqv {
	__u32 flags;
	__u8 version;
	__u8 log2vcmdqs;
	__u8 log2vsids;
	__u8 __reserved;
};

/**
 * struct iommu_hwpt_set_dirty_tracking - ioctl(IOMMU_HWPT_SET_DIRTY_TRACKING)
 * @size: In.  Length of this structure; at least 16.
 * @flags: In.  Bitwise OR of enum iommufd_hwpt_set_dirty_tracking_flags
 *         values.
 * @hwpt_id: In.  A paging HWPT allocated with
 *           IOMMU_HWPT_ALLOC_DIRTY_TRACKING.
 * @__reserved: Must be 0.
 *
 * Starts or stops recording of device writes in the IOMMU page table of
 * @hwpt_id.  Enabling it clears whatever dirty state the table held, so
 * that a following IOMMU_HWPT_GET_DIRTY_BITMAP reports only writes made
 * afterwards.
 *
 * Errors: EOPNOTSUPP for unknown @flags bits, non-zero @__reserved, or a
 * HWPT whose domain cannot track dirty pages (one allocated without
 * IOMMU_HWPT_ALLOC_DIRTY_TRACKING); ENOENT if @hwpt_id is not a paging
 * HWPT; or the IOMMU driver's error, which leaves the tracking state as
 * it was.
 */
struct iommu_hwpt_set_dirty_tracking {
	__u32 size;
	__u32 flags;
	__u32 hwpt_id;
	__u32 __reserved;
};

/**
 * enum iommufd_hwpt_set_dirty_tracking_flags - flags of
 *                                              IOMMU_HWPT_SET_DIRTY_TRACKING
 * @IOMMU_HWPT_DIRTY_TRACKING_ENABLE: Turn tracking on; without it, turn it
 *                                    off.
 */
enum iommufd_hwpt_set_dirty_tracking_flags {
	IOMMU_HWPT_DIRTY_TRACKING_ENABLE = 1,
};

/**
 * struct iommu_hwpt_get_dirty_bitmap - ioctl(IOMMU_HWPT_GET_DIRTY_BITMAP)
 * @size: In.  Length of this structure; at least 48.
 * @hwpt_id: In.  A paging HWPT with dirty tracking enabled.
 * @flags: In.  Bitwise OR of enum iommufd_hwpt_get_dirty_bitmap_flags
 *         values.
 * @__reserved: Must be 0.
 * @iova: In.  First IOVA of the range to examine; bit 0 of the bitmap
 *        stands for the page that starts here.
 * @length: In.  Size in bytes of the range to examine; not 0.
 * @page_size: In.  Number of bytes of IOVA that one bitmap bit stands for;
 *             a power of two.
 * @data: In.  User address of the bitmap, an array of __u64 holding at
 *        least @length / @page_size bits.
 *
 * Scans the IOMMU page table of @hwpt_id over the given IOVA range and sets
 * a bit in the bitmap for every @page_size sized block that a device has
 * written to since the dirty state was last cleared.  Bits for clean
 * blocks are left as they were, so the caller normally clears the bitmap
 * first.  Unless NO_CLEAR is given the dirty state of the scanned range is
 * reset at the same time.  The bit for an address addr is::
 *
 *   n = (addr - iova) / page_size;
 *   data[n / 64] & (1ULL << (n % 64))
 *
 * Both @iova and @iova + @length must be multiples of @page_size and of
 * the IOAS alignment reported by IOMMU_IOAS_IOVA_RANGES, and the whole
 * range must be mapped in the IOAS, by one or several adjacent mappings.
 * Unless NO_CLEAR is given, a call that fails part way may already have
 * cleared dirty state that it did not report.
 *
 * Errors: EOPNOTSUPP for unknown @flags bits, non-zero @__reserved, or a
 * HWPT without dirty tracking support; ENOENT if @hwpt_id is not a paging
 * HWPT; EINVAL for a zero @length or @page_size, a @page_size that is not
 * a power of two, misaligned values, or a range not entirely mapped, and
 * from the IOMMU driver while tracking is off; EOVERFLOW if the range
 * wraps or exceeds the kernel's address width; EFAULT if the bitmap is
 * not writable; ENOMEM.
 */
struct iommu_hwpt_get_dirty_bitmap {
	__u32 size;
	__u32 hwpt_id;
	__u32 flags;
	__u32 __reserved;
	__aligned_u64 iova;
	__aligned_u64 length;
	__aligned_u64 page_size;
	__aligned_u64 data;
};

/**
 * enum iommufd_hwpt_get_dirty_bitmap_flags - flags of
 *                                            IOMMU_HWPT_GET_DIRTY_BITMAP
 * @IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR: Report the dirty state but leave
 *                                        it set in the page table.  Saves
 *                                        the cost of clearing when the
 *                                        range is about to be unmapped
 *                                        anyway.
 */
enum iommufd_hwpt_get_dirty_bitmap_flags {
	IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR = 1,
};

/**
 * struct iommu_hwpt_invalidate - ioctl(IOMMU_HWPT_INVALIDATE)
 * @size: In.  Length of this structure; at least 32.
 * @hwpt_id: In.  The nested HWPT whose caches are to be flushed, or a
 *           vIOMMU, whose driver defines which caches its entries name
 *           (IOTLBs, device caches, descriptor caches).
 * @data_uptr: In.  User address of an array of invalidation entries.
 * @data_type: In.  One of enum iommu_hwpt_invalidate_data_type: the format
 *             of every entry in the array.  Must be a format the HWPT's
 *             driver accepts.
 * @entry_len: In.  Size in bytes of one array entry, normally sizeof() of
 *             the entry structure.  Sizes other than the kernel's are
 *             handled with the same rules as argument structures.
 * @entry_num: In: number of entries in the array.  Out: number of entries
 *             that were carried out, counted from the start of the array.
 * @__reserved: Must be 0.
 *
 * Flushes cached translations of a user managed (nested) page table, or
 * the caches a vIOMMU stands for.  After changing its stage-1 table, user
 * space must issue this command before relying on the new contents.
 * Entries are processed in order; if one fails, processing stops there,
 * the call returns its error and @entry_num tells how many came before it.
 *
 * An @entry_num of 0 performs no work and ignores @entry_len and
 * @data_uptr, which allows probing whether @data_type is supported.
 *
 * Errors: EOPNOTSUPP for non-zero @__reserved, or for unknown flags or
 * non-zero reserved members in an entry; EINVAL, when @entry_num is not 0,
 * for a @data_uptr of 0, an @entry_len of 0 or larger than PAGE_SIZE, or
 * more than 2^19 entries, and in any case for a @data_type the driver does
 * not accept, an @entry_len below the driver's first version of the entry,
 * or a malformed entry, and for a @hwpt_id that names neither a nested
 * HWPT nor a vIOMMU; ENOENT if it names nothing; EOPNOTSUPP for a vIOMMU
 * whose driver has no invalidation; E2BIG
 * for non-zero bytes past the kernel's entry size; EFAULT.  Once the
 * structure has been read, @entry_num is written back on failure too.
 */
struct iommu_hwpt_invalidate {
	__u32 size;
	__u32 hwpt_id;
	__aligned_u64 data_uptr;
	__u32 data_type;
	__u32 entry_len;
	__u32 entry_num;
	__u32 __reserved;
};

/**
 * enum iommu_hwpt_invalidate_data_type - format of IOMMU_HWPT_INVALIDATE
 *                                        entries
 * @IOMMU_HWPT_INVALIDATE_DATA_VTD_S1: Each entry is a struct
 *                                     iommu_hwpt_vtd_s1_invalidate.
 * @IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3: Each entry is a struct
 *                                           iommu_viommu_arm_smmuv3_invalidate
 *                                           (a vIOMMU's invalidation).
 */
enum iommu_hwpt_invalidate_data_type {
	IOMMU_HWPT_INVALIDATE_DATA_VTD_S1 = 0,
	IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3 = 1,
};

/**
 * struct iommu_hwpt_vtd_s1_invalidate - entry of type
 *                                       IOMMU_HWPT_INVALIDATE_DATA_VTD_S1
 * @addr: First address to invalidate, in the stage-1 input address space.
 *        Must be aligned to 4 KiB.
 * @npages: Number of 4 KiB pages to invalidate, starting at @addr.
 * @flags: Bitwise OR of enum iommu_hwpt_vtd_s1_invalidate_flags values.
 * @__reserved: Must be 0.
 *
 * Asks for the IOTLB and paging structure caches of a nested Intel VT-d
 * HWPT to be flushed for a range, after user space changed its stage-1
 * table there.  @addr 0 together with @npages U64_MAX flushes everything
 * cached for the table.  When ATS is enabled, the device TLBs are
 * invalidated as well, without a separate request.
 */
struct iommu_hwpt_vtd_s1_invalidate {
	__aligned_u64 addr;
	__aligned_u64 npages;
	__u32 flags;
	__u32 __reserved;
};

/**
 * enum iommu_hwpt_vtd_s1_invalidate_flags - flags of a VT-d stage-1
 *                                           invalidation entry
 * @IOMMU_VTD_INV_FLAGS_LEAF: Only leaf entries of the stage-1 table
 *                            changed, so cached non-leaf (paging
 *                            structure) entries may be kept.  Without it
 *                            every level is flushed.
 */
enum iommu_hwpt_vtd_s1_invalidate_flags {
	IOMMU_VTD_INV_FLAGS_LEAF = 0x1,
};

/**
 * struct iommu_viommu_arm_smmuv3_invalidate - entry of type
 *                                   IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3
 * @cmd: One 128-bit SMMUv3 command-queue command, little-endian, as a
 *       guest wrote it into its emulated command queue.
 *
 * Given to a vIOMMU of type IOMMU_VIOMMU_TYPE_ARM_SMMUV3.  Accepted
 * commands: CMDQ_OP_TLBI_NSNH_ALL, CMDQ_OP_TLBI_NH_VA, CMDQ_OP_TLBI_NH_VAA,
 * CMDQ_OP_TLBI_NH_ALL, CMDQ_OP_TLBI_NH_ASID, CMDQ_OP_ATC_INV,
 * CMDQ_OP_CFGI_CD and CMDQ_OP_CFGI_CD_ALL.  Stream IDs in the commands are
 * virtual ones (vDEVICE IDs); the kernel swaps in the physical ID and the
 * VM's VMID.  Any other command is refused with EIO.
 */
struct iommu_viommu_arm_smmuv3_invalidate {
	__aligned_le64 cmd[2];
};

/**
 * struct iommu_fault_alloc - ioctl(IOMMU_FAULT_QUEUE_ALLOC)
 * @size: In.  Length of this structure; at least 16.
 * @flags: In.  No flags are defined yet; must be 0.
 * @out_fault_id: Out.  ID of the new fault queue object, to be passed as
 *                fault_id to IOMMU_HWPT_ALLOC.
 * @out_fault_fd: Out.  A new file descriptor through which the queue's
 *                faults are read and answered.
 *
 * Creates a fault queue: an object that collects I/O page faults (PRI page
 * requests) raised on the HWPTs that name it, so that user space can
 * resolve them.  Faults are read from @out_fault_fd as struct
 * iommu_hwpt_pgfault records and answered by writing struct
 * iommu_hwpt_page_response records to it.
 *
 * The descriptor is close-on-exec.  While it is open the queue cannot be
 * destroyed (EBUSY), and while a HWPT uses it neither.  Every page request
 * is answered exactly once: by user space, or by the kernel as invalid
 * when the device detaches from the HWPT or moves to another one, or when
 * the descriptor is closed (and from then on at once).
 *
 * Errors: EOPNOTSUPP if @flags is not 0; EMFILE or ENFILE if no file
 * descriptor is available; EFAULT if the reply cannot be written; ENOMEM.
 */
struct iommu_fault_alloc {
	__u32 size;
	__u32 flags;
	__u32 out_fault_id;
	__u32 out_fault_fd;
};

/**
 * struct iommu_hwpt_pgfault - record read from a fault queue file
 * @flags: Bitwise OR of enum iommu_hwpt_pgfault_flags values.
 * @dev_id: ID (in this iommufd) of the device that faulted.
 * @pasid: PASID of the faulting request; valid only with
 *         IOMMU_PGFAULT_FLAGS_PASID_VALID.
 * @grpid: Page Request Group Index of the request.
 * @perm: Bitwise OR of enum iommu_hwpt_pgfault_perm values: the access the
 *        device asked for.
 * @__reserved: Always 0.
 * @addr: Faulting address, in the I/O address space of the HWPT.
 * @length: Optional hint of how many bytes beyond @addr the device is
 *          going to touch, so that more than one page can be made present
 *          at once; 0 when no hint is available.
 * @cookie: Kernel chosen value that identifies the fault group; every
 *          record of a group carries the same one.  It must be returned in
 *          struct iommu_hwpt_page_response to complete the group.
 *
 * A fault queue's file descriptor delivers records of this type with
 * read(): the byte count must be a multiple of the record size, whole
 * groups are returned, and a buffer too small for the first pending group
 * gets EINVAL; other sizes, or a non-zero file position, get ESPIPE.
 * read() never blocks: it returns 0 when nothing is pending, and poll()
 * reports the file readable while something is.  A group that was read
 * stays pending under its cookie until it is answered.
 */
struct iommu_hwpt_pgfault {
	__u32 flags;
	__u32 dev_id;
	__u32 pasid;
	__u32 grpid;
	__u32 perm;
	__u32 __reserved;
	__aligned_u64 addr;
	__u32 length;
	__u32 cookie;
};

/**
 * enum iommu_hwpt_pgfault_flags - bits of iommu_hwpt_pgfault.flags
 * @IOMMU_PGFAULT_FLAGS_PASID_VALID: The faulting request carried a PASID,
 *                                   found in the pasid member.
 * @IOMMU_PGFAULT_FLAGS_LAST_PAGE: This record is the final one of its
 *                                 fault group.
 */
enum iommu_hwpt_pgfault_flags {
	IOMMU_PGFAULT_FLAGS_PASID_VALID = 0x1,
	IOMMU_PGFAULT_FLAGS_LAST_PAGE = 0x2,
};

/**
 * enum iommu_hwpt_pgfault_perm - bits of iommu_hwpt_pgfault.perm
 * @IOMMU_PGFAULT_PERM_READ: The device wants to read.
 * @IOMMU_PGFAULT_PERM_WRITE: The device wants to write.
 * @IOMMU_PGFAULT_PERM_EXEC: The device asked for execute permission: its
 *                           PASID TLP prefix carried Execute Requested
 *                           (PCIe 10.4.1).
 * @IOMMU_PGFAULT_PERM_PRIV: The device asked for privileged access: its
 *                           PASID TLP prefix carried Privileged Mode
 *                           Requested (PCIe 10.4.1).
 */
enum iommu_hwpt_pgfault_perm {
	IOMMU_PGFAULT_PERM_READ = 0x1,
	IOMMU_PGFAULT_PERM_WRITE = 0x2,
	IOMMU_PGFAULT_PERM_EXEC = 0x4,
	IOMMU_PGFAULT_PERM_PRIV = 0x8,
};

/**
 * struct iommu_hwpt_page_response - record written to a fault queue file
 * @cookie: The cookie of the fault group being answered, as read from its
 *          struct iommu_hwpt_pgfault records.
 * @code: One of enum iommufd_page_response_code.
 *
 * User space completes a fault group by write()ing one of these to the
 * fault queue's file descriptor; several can be written at once, and the
 * byte count must be a multiple of the record size (ESPIPE otherwise).
 * The answers are taken in order; the first one with an unknown @cookie or
 * @code stops the write, which then reports the bytes of the answers taken
 * before it, or fails with EINVAL if there are none.
 */
struct iommu_hwpt_page_response {
	__u32 cookie;
	__u32 code;
};

/**
 * enum iommufd_page_response_code - outcome reported for a fault group
 * @IOMMUFD_PAGE_RESP_SUCCESS: The fault was resolved and the translation
 *                             now exists; the device retries the access.
 *                             Matches the PCI "Success" response code
 *                             (PCI 10.4.2.1).
 * @IOMMUFD_PAGE_RESP_INVALID: The fault cannot be resolved; the device
 *                             must not retry.  Matches the PCI "Invalid
 *                             Request" response code (PCI 10.4.2.1).
 */
enum iommufd_page_response_code {
	IOMMUFD_PAGE_RESP_SUCCESS = 0,
	IOMMUFD_PAGE_RESP_INVALID = 1,
};

/**
 * struct iommu_viommu_alloc - ioctl(IOMMU_VIOMMU_ALLOC)
 * @size: In.  Length of this structure; at least 24.
 * @flags: In.  Must be 0.
 * @type: In.  One of enum iommu_viommu_type.
 * @dev_id: In.  A bound device behind the physical IOMMU the vIOMMU is to
 *          be a slice of.  The device is only used to find that IOMMU.
 * @hwpt_id: In.  A paging HWPT allocated with IOMMU_HWPT_ALLOC_NEST_PARENT,
 *           the stage 2 of everything nested under the vIOMMU.
 * @out_viommu_id: Out.  ID of the new vIOMMU.
 * @data_len: In.  Length of the type specific data at @data_uptr, or 0.
 * @__reserved: Must be 0.
 * @data_uptr: In.  User address of the type specific data, which may have
 *             members the kernel writes back (see the type's structure).
 *
 * Creates a virtual IOMMU: the part of a physical IOMMU set aside for one
 * VM.  Whatever is global to an emulated IOMMU hangs off it: the guest's
 * own IDs for devices (vDEVICEs), cache invalidation naming those IDs,
 * event queues that are not tied to a domain (vEVENTQs), queues the
 * hardware reads from guest memory (HW queues), and nested HWPTs, which
 * use its nesting parent.  Several vIOMMUs may share one nesting parent,
 * for a VM whose devices sit behind several physical IOMMUs.
 *
 * The vIOMMU depends on the nesting parent, not on @dev_id: the device may
 * be unbound while the vIOMMU lives on.
 *
 * Errors: EOPNOTSUPP for non-zero @flags or @__reserved, a @type the
 * device's IOMMU does not implement, or data given with
 * IOMMU_VIOMMU_TYPE_DEFAULT; ENOENT for an unknown
 * @dev_id or a @hwpt_id that is not a paging HWPT; EINVAL for a paging
 * HWPT that is not a nesting parent; the driver's errors about its data;
 * EFAULT; ENOMEM.
 */
struct iommu_viommu_alloc {
	__u32 size;
	__u32 flags;
	__u32 type;
	__u32 dev_id;
	__u32 hwpt_id;
	__u32 out_viommu_id;
	__u32 data_len;
	__u32 __reserved;
	__aligned_u64 data_uptr;
};

/**
 * enum iommu_viommu_type - kind of virtual IOMMU
 * @IOMMU_VIOMMU_TYPE_DEFAULT: A vIOMMU kept by iommufd alone, for any IOMMU
 *                             that can nest domains on the nesting parent:
 *                             it names devices by virtual ID and carries
 *                             nested HWPTs, but has no driver behind it
 *                             for invalidation, events or HW queues
 *                             (EOPNOTSUPP).  Takes no data.
 * @IOMMU_VIOMMU_TYPE_ARM_SMMUV3: An ARM SMMUv3's slice for one VM.
 * @IOMMU_VIOMMU_TYPE_TEGRA241_CMDQV: An ARM SMMUv3 with NVIDIA Tegra241's
 *                                    command queue extension, whose
 *                                    virtual command queues the guest
 *                                    drives directly.
 */
enum iommu_viommu_type {
	IOMMU_VIOMMU_TYPE_DEFAULT = 0,
	IOMMU_VIOMMU_TYPE_ARM_SMMUV3 = 1,
	IOMMU_VIOMMU_TYPE_TEGRA241_CMDQV = 2,
};

/**
 * struct iommu_viommu_tegra241_cmdqv - data of IOMMU_VIOMMU_TYPE_TEGRA241_CMDQV
 * @out_vintf_mmap_offset: Out.  The offset to mmap() on the iommufd to map
 *                         the virtual interface's page 0.
 * @out_vintf_mmap_length: Out.  The length of that mmap().
 *
 * The VMM maps the virtual interface's page 0 into the guest's physical
 * address space with these, so that the guest programs its virtual
 * command queues without exits.
 */
struct iommu_viommu_tegra241_cmdqv {
	__aligned_u64 out_vintf_mmap_offset;
	__aligned_u64 out_vintf_mmap_length;
};

/**
 * struct iommu_vdevice_alloc - ioctl(IOMMU_VDEVICE_ALLOC)
 * @size: In.  Length of this structure; at least 24.
 * @viommu_id: In.  The vIOMMU the device is seen through in the VM.
 * @dev_id: In.  The bound physical device; it must sit behind the
 *          vIOMMU's physical IOMMU.
 * @out_vdevice_id: Out.  ID of the new vDEVICE.
 * @virt_id: In.  The ID the VM knows the device by on that vIOMMU: a
 *           virtual stream ID on an SMMUv3, a virtual device ID on AMD, a
 *           virtual RID on VT-d.
 *
 * Introduces a physical device to a vIOMMU under a virtual ID, so that
 * invalidations and events can name it the way the guest does.  A device
 * has at most one vDEVICE, and a virtual ID at most one device per
 * vIOMMU.  The vDEVICE depends on the vIOMMU.
 *
 * A vDEVICE should be destroyed before its device is unbound.  If the
 * device is unbound first, the vDEVICE goes with it, but its ID stays
 * taken for as long as the iommufd is open: IOMMU_DESTROY of that ID
 * fails with ENOENT, and no new object gets the ID.
 *
 * Errors: EINVAL for a @virt_id that does not fit an unsigned long, or a
 * device behind another IOMMU instance; ENOENT for an unknown @viommu_id
 * or @dev_id, or a device being unbound; EEXIST if the device has a
 * vDEVICE already or @virt_id is taken in this vIOMMU; the driver's
 * errors; EFAULT; ENOMEM.
 */
struct iommu_vdevice_alloc {
	__u32 size;
	__u32 viommu_id;
	__u32 dev_id;
	__u32 out_vdevice_id;
	__aligned_u64 virt_id;
};

/**
 * struct iommu_ioas_change_process - ioctl(IOMMU_IOAS_CHANGE_PROCESS)
 * @size: In.  Length of this structure; at least 8.
 * @__reserved: Must be 0.
 *
 * Moves the locked-memory charge of every pinned page of every IOAS in
 * this iommufd to the calling process, which has taken over from the one
 * that mapped the memory (a VMM that re-executes itself for a live
 * update).  Only mappings made with IOMMU_IOAS_MAP_FILE can move: with any
 * other mapping present the command fails with EINVAL.  It changes
 * everything or nothing.
 */
struct iommu_ioas_change_process {
	__u32 size;
	__u32 __reserved;
};

/**
 * struct iommu_veventq_alloc - ioctl(IOMMU_VEVENTQ_ALLOC)
 * @size: In.  Length of this structure; at least 28.
 * @flags: In.  Must be 0.
 * @viommu_id: In.  The vIOMMU whose events the queue receives.
 * @type: In.  One of enum iommu_veventq_type.
 * @veventq_depth: In.  How many events the queue holds before it drops
 *                 new ones; must not be 0.
 * @out_veventq_id: Out.  ID of the new vEVENTQ.
 * @out_veventq_fd: Out.  A new close-on-exec file descriptor that events
 *                  are read from.
 * @__reserved: Must be 0.
 *
 * Creates a queue that the vIOMMU's driver reports events of @type to,
 * and a descriptor to read them from; a vIOMMU has at most one queue per
 * type.  read() returns whole events (a struct iommufd_vevent_header, then
 * the data of @type), as many as fit, and never blocks: 0 means none is
 * waiting (poll() for EPOLLIN).  Events that arrive while the queue holds
 * @veventq_depth of them are lost, and counted as described for struct
 * iommufd_vevent_header.  The queue depends on the vIOMMU and cannot be
 * destroyed while its descriptor is open.
 *
 * Errors: EOPNOTSUPP for non-zero @flags or @__reserved or for
 * IOMMU_VEVENTQ_TYPE_DEFAULT; EINVAL for a @veventq_depth of 0; ENOENT for
 * an unknown @viommu_id; EEXIST if the vIOMMU has a queue of @type
 * already; EMFILE, ENFILE, EFAULT, ENOMEM.
 */
struct iommu_veventq_alloc {
	__u32 size;
	__u32 flags;
	__u32 viommu_id;
	__u32 type;
	__u32 veventq_depth;
	__u32 out_veventq_id;
	__u32 out_veventq_fd;
	__u32 __reserved;
};

/**
 * enum iommu_veventq_type - format of the events of a vEVENTQ
 * @IOMMU_VEVENTQ_TYPE_DEFAULT: Not a type: kept for later use, refused.
 * @IOMMU_VEVENTQ_TYPE_ARM_SMMUV3: struct iommu_vevent_arm_smmuv3.
 * @IOMMU_VEVENTQ_TYPE_TEGRA241_CMDQV: struct iommu_vevent_tegra241_cmdqv.
 */
enum iommu_veventq_type {
	IOMMU_VEVENTQ_TYPE_DEFAULT = 0,
	IOMMU_VEVENTQ_TYPE_ARM_SMMUV3 = 1,
	IOMMU_VEVENTQ_TYPE_TEGRA241_CMDQV = 2,
};

/**
 * struct iommufd_vevent_header - what precedes each event read from a
 *                                vEVENTQ
 * @flags: Bitwise OR of enum iommu_veventq_flag values.
 * @sequence: The event's number in its queue.  Numbers go up by one per
 *            event from 0 to INT_MAX and then wrap to 0.
 *
 * A read returns a header, then the event data of the queue's type, then
 * the next header, and so on.  A jump of more than one between the
 * sequence numbers of two consecutive events means that the events in
 * between were lost.  When events were lost at the end of the queue, with
 * no later event to show the gap, the last header read carries
 * IOMMU_VEVENTQ_FLAG_LOST_EVENTS (and the next number) and no data.
 */
struct iommufd_vevent_header {
	__u32 flags;
	__u32 sequence;
};

/**
 * enum iommu_veventq_flag - flags of struct iommufd_vevent_header
 * @IOMMU_VEVENTQ_FLAG_LOST_EVENTS: Events were dropped because the queue
 *                                  was full.  A header with this flag has
 *                                  no event data after it.
 */
enum iommu_veventq_flag {
	IOMMU_VEVENTQ_FLAG_LOST_EVENTS = 0x1,
};

/**
 * struct iommu_vevent_arm_smmuv3 - event of IOMMU_VEVENTQ_TYPE_ARM_SMMUV3
 * @evt: One 256-bit SMMUv3 event record, little-endian, whose StreamID is
 *       the device's virtual ID.  Reported records: C_BAD_STE (0x04),
 *       F_STREAM_DISABLED (0x06), C_BAD_SUBSTREAMID (0x08), C_BAD_CD (0x0a),
 *       F_TRANSLATION (0x10), F_ADDR_SIZE (0x11), F_ACCESS (0x12) and
 *       F_PERMISSION (0x13).
 *
 * Only devices with a vDEVICE on the vIOMMU get their events reported.
 */
struct iommu_vevent_arm_smmuv3 {
	__aligned_le64 evt[4];
};

/**
 * struct iommu_vevent_tegra241_cmdqv - event of
 *                                      IOMMU_VEVENTQ_TYPE_TEGRA241_CMDQV
 * @lvcmdq_err_map: The 128-bit map of logical virtual command queues in
 *                  error (LVCMDQ_ERR_MAP registers of the vIOMMU's virtual
 *                  interface), little-endian.
 */
struct iommu_vevent_tegra241_cmdqv {
	__aligned_le64 lvcmdq_err_map[2];
};

/**
 * struct iommu_hw_queue_alloc - ioctl(IOMMU_HW_QUEUE_ALLOC)
 * @size: In.  Length of this structure; at least 40.
 * @flags: In.  Must be 0.
 * @viommu_id: In.  The vIOMMU the queue belongs to.
 * @type: In.  One of enum iommu_hw_queue_type.
 * @index: In.  Which queue of @type this is, in the vIOMMU's numbering.
 * @out_hw_queue_id: Out.  ID of the new HW queue.
 * @nesting_parent_iova: In.  Where the queue's memory is, in the IOVA
 *                       space of the vIOMMU's nesting parent (the guest's
 *                       physical addresses).
 * @length: In.  Length of the queue's memory in bytes.
 *
 * Lets the hardware read a queue (of commands, say) straight from guest
 * memory.  When the hardware reads the queue by physical address, the
 * memory under [@nesting_parent_iova, +@length) must be mapped in the
 * IOAS and physically contiguous; it stays pinned for the queue's life,
 * and unmapping it fails with EBUSY until the queue is destroyed.  A
 * vIOMMU may have several queues, with a different @index each per type.
 *
 * Errors: EOPNOTSUPP for non-zero @flags, IOMMU_HW_QUEUE_TYPE_DEFAULT or a
 * @type the vIOMMU's driver does not implement; EINVAL for a @length of
 * 0; EOVERFLOW if the range wraps; ENOENT for an unknown @viommu_id or a
 * range not fully mapped; EFAULT for memory that is not physically
 * contiguous; the driver's errors about @index; ENOMEM.
 */
struct iommu_hw_queue_alloc {
	__u32 size;
	__u32 flags;
	__u32 viommu_id;
	__u32 type;
	__u32 index;
	__u32 out_hw_queue_id;
	__aligned_u64 nesting_parent_iova;
	__aligned_u64 length;
};

/**
 * enum iommu_hw_queue_type - kind of hardware queue
 * @IOMMU_HW_QUEUE_TYPE_DEFAULT: Not a type: kept for later use, refused.
 * @IOMMU_HW_QUEUE_TYPE_TEGRA241_CMDQV: A virtual command queue of NVIDIA
 *                                      Tegra241's CMDQV.  Queues are
 *                                      allocated from index 0 upwards and
 *                                      destroyed from the last one down;
 *                                      the memory must be aligned to its
 *                                      length, which is a power of two
 *                                      from 32 bytes up to 16 times 2 to
 *                                      the IDR1.CMDQS of the SMMU, and be
 *                                      mapped in the IOAS.  Backing it with
 *                                      one huge page, and limiting the
 *                                      guest's CMDQS to what fits, keeps it
 *                                      physically contiguous.
 */
enum iommu_hw_queue_type {
	IOMMU_HW_QUEUE_TYPE_DEFAULT = 0,
	IOMMU_HW_QUEUE_TYPE_TEGRA241_CMDQV = 1,
};

#endif /* _UAPI_IOMMUFD_H */
