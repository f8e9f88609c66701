/* SPDX-License-Identifier: MIT */
/*
 * The layout of a shared image when it is handed over.
 *
 * An image shared with another API or process must be in
 * VK_IMAGE_LAYOUT_GENERAL when it leaves Vulkan: the other side knows
 * nothing of Vulkan's optimal layouts.  With PRIMESHARE_LAYER_DEBUG=1 the
 * layer remembers the images created with VkExternalMemoryImageCreateInfoNV
 * and warns when a barrier releases one to VK_QUEUE_FAMILY_EXTERNAL or
 * VK_QUEUE_FAMILY_FOREIGN_EXT in another layout.  Without the variable none
 * of these commands is intercepted.
 */
#include <stdlib.h>

#include "layer.h"

struct ps_image {
	struct ps_image *next;
	VkImage handle;
};

void ps_image_remember(struct ps_device *dev, VkImage image)
{
	struct ps_image *img = calloc(1, sizeof(*img));

	if (!img)
		return;
	img->handle = image;
	pthread_mutex_lock(&dev->lock);
	img->next = dev->images;
	dev->images = img;
	pthread_mutex_unlock(&dev->lock);
}

static bool ps_image_known(struct ps_device *dev, VkImage image)
{
	struct ps_image *img;
	bool found = false;

	pthread_mutex_lock(&dev->lock);
	for (img = dev->images; img && !found; img = img->next)
		found = img->handle == image;
	pthread_mutex_unlock(&dev->lock);
	return found;
}

void ps_device_forget_images(struct ps_device *dev)
{
	struct ps_image *img, *next;

	for (img = dev->images; img; img = next) {
		next = img->next;
		free(img);
	}
	dev->images = NULL;
}

VKAPI_ATTR void VKAPI_CALL ps_DestroyImage(VkDevice device, VkImage image,
	const VkAllocationCallbacks *pAllocator)
{
	struct ps_device *dev = ps_device_from(device);
	struct ps_image **p, *gone = NULL;

	if (!dev)
		return;
	pthread_mutex_lock(&dev->lock);
	for (p = &dev->images; *p; p = &(*p)->next) {
		if ((*p)->handle == image) {
			gone = *p;
			*p = gone->next;
			break;
		}
	}
	pthread_mutex_unlock(&dev->lock);
	free(gone);
	dev->next.DestroyImage(device, image, pAllocator);
}

static void ps_check_release(struct ps_device *dev,
			     const VkImageMemoryBarrier *b, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		bool leaves = b[i].dstQueueFamilyIndex == VK_QUEUE_FAMILY_EXTERNAL ||
			      b[i].dstQueueFamilyIndex == VK_QUEUE_FAMILY_FOREIGN_EXT;

		if (leaves && b[i].srcQueueFamilyIndex != b[i].dstQueueFamilyIndex &&
		    b[i].newLayout != VK_IMAGE_LAYOUT_GENERAL &&
		    ps_image_known(dev, b[i].image))
			ps_log("warning: shared image 0x%llx handed over in layout %d, not VK_IMAGE_LAYOUT_GENERAL: the other side may not see its contents",
			       (unsigned long long)b[i].image, b[i].newLayout);
	}
}

VKAPI_ATTR void VKAPI_CALL ps_CmdPipelineBarrier(VkCommandBuffer cb,
	VkPipelineStageFlags srcStageMask, VkPipelineStageFlags dstStageMask,
	VkDependencyFlags dependencyFlags, uint32_t memoryBarrierCount,
	const VkMemoryBarrier *pMemoryBarriers,
	uint32_t bufferMemoryBarrierCount,
	const VkBufferMemoryBarrier *pBufferMemoryBarriers,
	uint32_t imageMemoryBarrierCount,
	const VkImageMemoryBarrier *pImageMemoryBarriers)
{
	struct ps_device *dev = ps_device_from(cb);

	if (!dev)
		return;
	ps_check_release(dev, pImageMemoryBarriers, imageMemoryBarrierCount);
	dev->next.CmdPipelineBarrier(cb, srcStageMask, dstStageMask,
				     dependencyFlags, memoryBarrierCount,
				     pMemoryBarriers, bufferMemoryBarrierCount,
				     pBufferMemoryBarriers,
				     imageMemoryBarrierCount,
				     pImageMemoryBarriers);
}
