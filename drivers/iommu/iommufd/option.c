// SPDX-License-Identifier: GPL-2.0-only
/*
 * IOMMU_OPTION: one ioctl that reads and writes simple values, either
 * global to the context (object_id 0) or belonging to one object.
 */
#include <linux/capability.h>
#include <linux/uaccess.h>
#include <uapi/linux/iommufd.h>

#include "ioas.h"

static int iommufd_option_rlimit_mode_set(struct iommufd_ctx *ictx, u64 val)
{
	int rc = 0;

	if (!capable(CAP_SYS_RESOURCE))
		return -EPERM;
	if (val > 1)
		return -EINVAL;

	/*
	 * Pages already pinned were charged under the old mode and must be
	 * given back the same way, so the mode is fixed once any object exists.
	 */
	xa_lock(&ictx->objects);
	if (!xa_empty(&ictx->objects))
		rc = -EBUSY;
	else
		WRITE_ONCE(ictx->account_mode,
			   val ? IOMMUFD_ACCOUNT_MM : IOMMUFD_ACCOUNT_USER);
	xa_unlock(&ictx->objects);
	return rc;
}

static int iommufd_option_rlimit_mode(struct iommufd_ucmd *ucmd)
{
	struct iommu_option *cmd = ucmd->cmd;

	/* A global option: there is no object to name */
	if (cmd->object_id)
		return -EOPNOTSUPP;

	switch (cmd->op) {
	case IOMMU_OPTION_OP_GET:
		cmd->val64 = READ_ONCE(ucmd->ictx->account_mode) ==
			     IOMMUFD_ACCOUNT_MM;
		return 0;
	case IOMMU_OPTION_OP_SET:
		return iommufd_option_rlimit_mode_set(ucmd->ictx, cmd->val64);
	default:
		return -EOPNOTSUPP;
	}
}

/* Handlers by option ID; each validates object_id and op for its option */
static int (*const iommufd_option_handlers[])(struct iommufd_ucmd *ucmd) = {
	[IOMMU_OPTION_RLIMIT_MODE] = iommufd_option_rlimit_mode,
	[IOMMU_OPTION_HUGE_PAGES] = iommufd_ioas_option_huge_pages,
};

int iommufd_option(struct iommufd_ucmd *ucmd)
{
	struct iommu_option *cmd = ucmd->cmd;
	struct iommu_option __user *uoption = ucmd->ubuffer;
	int (*handler)(struct iommufd_ucmd *ucmd) = NULL;
	int rc;

	if (cmd->__reserved)
		return -EOPNOTSUPP;
	if (cmd->option_id < ARRAY_SIZE(iommufd_option_handlers))
		handler = iommufd_option_handlers[cmd->option_id];
	if (!handler)
		return -EOPNOTSUPP;

	rc = handler(ucmd);
	if (rc)
		return rc;
	/* Only val64 is an output; the rest of the user's struct is left be */
	return put_user(cmd->val64, &uoption->val64);
}
