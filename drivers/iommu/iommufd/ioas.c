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

int iommufd_ioas_alloc_cmd(struct iommufd_ucmd *ucmd)
{
	struct iommu_ioas_alloc *cmd = ucmd->cmd;
	struct iommufd_ioas *new_ioas;

	/* No flags are defined for IOAS creation */
	if (cmd->flags)
		return -EOPNOTSUPP;

	new_ioas = iommufd_object_alloc(ucmd->ictx, struct iommufd_ioas,
					IOMMUFD_OBJ_IOAS);
	if (IS_ERR(new_ioas))
		return PTR_ERR(new_ioas);
	cmd->out_ioas_id = new_ioas->obj.id;
	return iommufd_object_publish_to_user(ucmd, &new_ioas->obj,
					      sizeof(*cmd));
}

void iommufd_ioas_destroy(struct iommufd_object *obj)
{
	/* Nothing is held yet beyond the object itself */
}

/**
 * iommufd_ioas_option_huge_pages() - IOMMU_OPTION_HUGE_PAGES on an IOAS
 * @ucmd: the ioctl; its object_id names the IOAS
 *
 * Return: 0 with val64 filled in for a get; -ENOENT if object_id is not an
 * IOAS; -EOPNOTSUPP for an unknown op; -EINVAL for a value other than 0
 * or 1.
 */
int iommufd_ioas_option_huge_pages(struct iommufd_ucmd *ucmd)
{
	struct iommu_option *cmd = ucmd->cmd;
	struct iommufd_ioas *ioas;
	int rc = 0;

	ioas = iommufd_get_ioas(ucmd->ictx, cmd->object_id);
	if (IS_ERR(ioas))
		return PTR_ERR(ioas);

	if (cmd->op == IOMMU_OPTION_OP_GET)
		cmd->val64 = !READ_ONCE(ioas->large_pages_disabled);
	else if (cmd->op != IOMMU_OPTION_OP_SET)
		rc = -EOPNOTSUPP;
	else if (cmd->val64 > 1)
		rc = -EINVAL;
	else
		WRITE_ONCE(ioas->large_pages_disabled, !cmd->val64);

	iommufd_put_object(ucmd->ictx, &ioas->obj);
	return rc;
}
