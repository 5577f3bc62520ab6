// SPDX-License-Identifier: GPL-2.0-only
/*
 * The IOAS object: creation, per-IOAS options and destruction.
 */
#include <linux/err.h>
#include <uapi/linux/iommufd.h>

#include "ioas.h"

static struct iommufd_ioas *iommufd_get_ioas(struct iommufd_ctx *ictx, u32 id)
{
	return container_of(iommufd_get_object(ictx, id, IOMMUFD_OBJ_IOAS),
			    struct iommufd_ioas, obj);
}

int iommufd_ioas_alloc_ioctl(struct iommufd_ucmd *ucmd)
{
	struct iommu_ioas_alloc *cmd = ucmd->cmd;
	struct iommufd_ioas *ioas;
	int rc;

	if (cmd->flags)
		return -EOPNOTSUPP;

	ioas = iommufd_object_alloc(ucmd->ictx, struct iommufd_ioas,
				    IOMMUFD_OBJ_IOAS);
	if (IS_ERR(ioas))
		return PTR_ERR(ioas);

	cmd->out_ioas_id = ioas->obj.id;
	rc = iommufd_ucmd_respond(ucmd, sizeof(*cmd));
	if (rc) {
		/* User space never learnt the ID, so nobody can use it yet */
		iommufd_object_abort_and_destroy(ucmd->ictx, &ioas->obj);
		return rc;
	}
	iommufd_object_finalize(ucmd->ictx, &ioas->obj);
	return 0;
}

void iommufd_ioas_destroy(struct iommufd_object *obj)
{
	/* Nothing is held yet beyond the object itself */
}

static int iommufd_ioas_option_huge_pages(struct iommu_option *cmd,
					  struct iommufd_ioas *ioas)
{
	switch (cmd->op) {
	case IOMMU_OPTION_OP_GET:
		cmd->val64 = !READ_ONCE(ioas->large_pages_disabled);
		return 0;
	case IOMMU_OPTION_OP_SET:
		if (cmd->val64 > 1)
			return -EINVAL;
		WRITE_ONCE(ioas->large_pages_disabled, !cmd->val64);
		return 0;
	default:
		return -EOPNOTSUPP;
	}
}

/**
 * iommufd_ioas_option() - IOMMU_OPTION for options that belong to an IOAS
 * @ucmd: the ioctl; its object_id names the IOAS
 *
 * Return: 0 with val64 filled in for a get; -ENOENT if object_id is not an
 * IOAS; -EOPNOTSUPP for an unknown option or op; -EINVAL for a bad value.
 */
int iommufd_ioas_option(struct iommufd_ucmd *ucmd)
{
	struct iommu_option *cmd = ucmd->cmd;
	struct iommufd_ioas *ioas;
	int rc;

	ioas = iommufd_get_ioas(ucmd->ictx, cmd->object_id);
	if (IS_ERR(ioas))
		return PTR_ERR(ioas);

	switch (cmd->option_id) {
	case IOMMU_OPTION_HUGE_PAGES:
		rc = iommufd_ioas_option_huge_pages(cmd, ioas);
		break;
	default:
		rc = -EOPNOTSUPP;
	}
	iommufd_put_object(ucmd->ictx, &ioas->obj);
	return rc;
}
