/* SPDX-License-Identifier: MIT */
/* SPDX-FileCopyrightText: 2026 The primeshare authors */
/*
 * The layout of a shared image when it is handed over.
 *
 * An image shared with another API or process must be in
 * VK_IMAGE_LAYOUT_GENERAL when it leaves Vulkan: the other side knows
 * nothing of Vulkan's optimal layouts.  With PRIMESHARE_LAYER_DEBUG=1 the
 * layer warns when a barrier releases an image created with
 * VkExternalMemoryImageCreateInfoNV (image.c keeps them) to
 * VK_QUEUE_FAMILY_EXTERNAL or VK_QUEUE_FAMILY_FOREIGN_EXT in another layout.
 * Without the variable vkCmdPipelineBarrier is not intercepted.
 */
#include "layer.h"

static void nvx_check_release(struct nvx_device *dev,
			      const VkImageMemoryBarrier *b, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		bool leaves = b[i].dstQueueFamilyIndex == VK_QUEUE_FAMILY_EXTERNAL ||
			      b[i].dstQueueFamilyIndex == VK_QUEUE_FAMILY_FOREIGN_EXT;

		if (leaves && b[i].srcQueueFamilyIndex != b[i].dstQueueFamilyIndex &&
		    b[i].newLayout != VK_IMAGE_LAYOUT_GENERAL &&
		    nvx_image_known(dev, b[i].image))
			nvx_log("warning: shared image 0x%llx handed over in layout %d, not VK_IMAGE_LAYOUT_GENERAL: the other side may not see its contents",
				(unsigned long long)b[i].image, b[i].newLayout);
	}
}

VKAPI_ATTR void VKAPI_CALL nvx_CmdPipelineBarrier(VkCommandBuffer cb,
	VkPipelineStageFlags srcStageMask, VkPipelineStageFlags dstStageMask,
	VkDependencyFlags dependencyFlags, uint32_t memoryBarrierCount,
	const VkMemoryBarrier *pMemoryBarriers,
	uint32_t bufferMemoryBarrierCount,
	const VkBufferMemoryBarrier *pBufferMemoryBarriers,
	uint32_t imageMemoryBarrierCount,
	const VkImageMemoryBarrier *pImageMemoryBarriers)
{
	struct nvx_device *dev = nvx_device_from(cb);

	if (!dev)
		return;
	nvx_check_release(dev, pImageMemoryBarriers, imageMemoryBarrierCount);
	dev->next.CmdPipelineBarrier(cb, srcStageMask, dstStageMask,
				     dependencyFlags, memoryBarrierCount,
				     pMemoryBarriers, bufferMemoryBarrierCount,
				     pBufferMemoryBarriers,
				     imageMemoryBarrierCount,
				     pImageMemoryBarriers);
}
