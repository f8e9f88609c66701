/* SPDX-License-Identifier: MIT */
/* SPDX-FileCopyrightText: 2026 The primeshare authors */
/*
 * vkt's compute pipelines over a storage image, the ownership transfers
 * of an image another process uses too, and submissions under a keyed
 * mutex (vkt.h): what the keyed-mutex test and example share.
 */
#include "vkt.h"

void vkt_compute_init(struct vkt *t, struct vkt_compute *c, VkImage image,
		      VkFormat format, const uint32_t *spv, size_t spv_size,
		      uint32_t push)
{
	VkDevice d = t->device;
	VkDescriptorSetLayoutBinding b = {
		.binding = 0,
		.descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_IMAGE,
		.descriptorCount = 1,
		.stageFlags = VK_SHADER_STAGE_COMPUTE_BIT,
	};
	VkDescriptorSetLayoutCreateInfo dslci = {
		.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_LAYOUT_CREATE_INFO,
		.bindingCount = 1, .pBindings = &b,
	};
	VkShaderModuleCreateInfo smci = {
		.sType = VK_STRUCTURE_TYPE_SHADER_MODULE_CREATE_INFO,
		.codeSize = spv_size,
		.pCode = spv,
	};
	VkDescriptorPoolSize ps = { VK_DESCRIPTOR_TYPE_STORAGE_IMAGE, 1 };
	VkDescriptorPoolCreateInfo dpci = {
		.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO,
		.maxSets = 1, .poolSizeCount = 1, .pPoolSizes = &ps,
	};
	VkImageViewCreateInfo vci = {
		.sType = VK_STRUCTURE_TYPE_IMAGE_VIEW_CREATE_INFO,
		.image = image, .viewType = VK_IMAGE_VIEW_TYPE_2D,
		.format = format,
		.subresourceRange = { VK_IMAGE_ASPECT_COLOR_BIT, 0, 1, 0, 1 },
	};
	VkPushConstantRange pcr = {
		.stageFlags = VK_SHADER_STAGE_COMPUTE_BIT, .size = push,
	};
	VkPipelineLayoutCreateInfo plci = {
		.sType = VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO,
		.setLayoutCount = 1,
		.pushConstantRangeCount = push ? 1 : 0,
		.pPushConstantRanges = push ? &pcr : NULL,
	};
	VkComputePipelineCreateInfo cpci = {
		.sType = VK_STRUCTURE_TYPE_COMPUTE_PIPELINE_CREATE_INFO,
		.stage = {
			.sType = VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO,
			.stage = VK_SHADER_STAGE_COMPUTE_BIT, .pName = "main",
		},
	};
	VkDescriptorSetAllocateInfo dsai = {
		.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_ALLOCATE_INFO,
		.descriptorSetCount = 1,
	};
	VkDescriptorImageInfo dii = { .imageLayout = VK_IMAGE_LAYOUT_GENERAL };
	VkWriteDescriptorSet w = {
		.sType = VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET,
		.descriptorCount = 1,
		.descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_IMAGE,
		.pImageInfo = &dii,
	};
	VkShaderModule sm;

	VKT_CHECK(vkCreateImageView(d, &vci, NULL, &c->view));
	VKT_CHECK(vkCreateDescriptorSetLayout(d, &dslci, NULL, &c->dsl));
	plci.pSetLayouts = &c->dsl;
	VKT_CHECK(vkCreatePipelineLayout(d, &plci, NULL, &c->layout));
	VKT_CHECK(vkCreateShaderModule(d, &smci, NULL, &sm));
	cpci.stage.module = sm;
	cpci.layout = c->layout;
	VKT_CHECK(vkCreateComputePipelines(d, VK_NULL_HANDLE, 1, &cpci, NULL,
					   &c->pipeline));
	vkDestroyShaderModule(d, sm, NULL);
	VKT_CHECK(vkCreateDescriptorPool(d, &dpci, NULL, &c->pool));
	dsai.descriptorPool = c->pool;
	dsai.pSetLayouts = &c->dsl;
	VKT_CHECK(vkAllocateDescriptorSets(d, &dsai, &c->set));
	dii.imageView = c->view;
	w.dstSet = c->set;
	vkUpdateDescriptorSets(d, 1, &w, 0, NULL);
}

void vkt_compute_bind(const struct vkt_compute *c, VkCommandBuffer cb)
{
	vkCmdBindPipeline(cb, VK_PIPELINE_BIND_POINT_COMPUTE, c->pipeline);
	vkCmdBindDescriptorSets(cb, VK_PIPELINE_BIND_POINT_COMPUTE, c->layout,
				0, 1, &c->set, 0, NULL);
}

void vkt_compute_destroy(struct vkt *t, struct vkt_compute *c)
{
	VkDevice d = t->device;

	if (!d)
		return;
	vkDestroyPipeline(d, c->pipeline, NULL);
	vkDestroyPipelineLayout(d, c->layout, NULL);
	vkDestroyDescriptorPool(d, c->pool, NULL);
	vkDestroyDescriptorSetLayout(d, c->dsl, NULL);
	vkDestroyImageView(d, c->view, NULL);
	*c = (struct vkt_compute){ 0 };
}

void vkt_external_barrier(struct vkt *t, VkCommandBuffer cb, VkImage image,
			  bool acquire, bool undefined, VkAccessFlags access)
{
	uint32_t mine = undefined ? VK_QUEUE_FAMILY_IGNORED : t->queue_family;
	uint32_t theirs = undefined ? VK_QUEUE_FAMILY_IGNORED :
				      VK_QUEUE_FAMILY_EXTERNAL;
	VkImageMemoryBarrier bar = {
		.sType = VK_STRUCTURE_TYPE_IMAGE_MEMORY_BARRIER,
		.srcAccessMask = acquire ? 0 : access,
		.dstAccessMask = acquire ? access : 0,
		.oldLayout = undefined ? VK_IMAGE_LAYOUT_UNDEFINED :
					 VK_IMAGE_LAYOUT_GENERAL,
		.newLayout = VK_IMAGE_LAYOUT_GENERAL,
		.srcQueueFamilyIndex = acquire ? theirs : mine,
		.dstQueueFamilyIndex = acquire ? mine : theirs,
		.image = image,
		.subresourceRange = { VK_IMAGE_ASPECT_COLOR_BIT, 0, 1, 0, 1 },
	};

	vkCmdPipelineBarrier(cb, acquire ? VK_PIPELINE_STAGE_TOP_OF_PIPE_BIT :
			     VK_PIPELINE_STAGE_ALL_COMMANDS_BIT,
			     acquire ? VK_PIPELINE_STAGE_ALL_COMMANDS_BIT :
			     VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT, 0, 0, NULL,
			     0, NULL, 1, &bar);
}

static const VkAccessFlags any_rw = VK_ACCESS_SHADER_READ_BIT |
				    VK_ACCESS_SHADER_WRITE_BIT |
				    VK_ACCESS_TRANSFER_READ_BIT |
				    VK_ACCESS_TRANSFER_WRITE_BIT;

VkCommandBuffer vkt_begin_shared(struct vkt *t)
{
	VkCommandBuffer cb = vkt_begin_flags(t,
		VK_COMMAND_BUFFER_USAGE_SIMULTANEOUS_USE_BIT);

	if (!cb)
		tu_die("cannot allocate a command buffer");
	return cb;
}

VkCommandBuffer vkt_shared_clear(struct vkt *t, VkImage image)
{
	VkClearColorValue zero = { .uint32 = { 0 } };
	VkImageSubresourceRange range = { VK_IMAGE_ASPECT_COLOR_BIT, 0, 1, 0, 1 };
	VkCommandBuffer cb = vkt_begin_shared(t);

	vkt_external_barrier(t, cb, image, true, true, any_rw);
	vkCmdClearColorImage(cb, image, VK_IMAGE_LAYOUT_GENERAL, &zero, 1,
			     &range);
	vkt_external_barrier(t, cb, image, false, false, any_rw);
	VKT_CHECK(vkEndCommandBuffer(cb));
	return cb;
}

VkCommandBuffer vkt_shared_read(struct vkt *t, VkImage image, uint32_t width,
				uint32_t height, VkBuffer buffer)
{
	VkBufferImageCopy copy = {
		.imageSubresource = { VK_IMAGE_ASPECT_COLOR_BIT, 0, 0, 1 },
		.imageExtent = { width, height, 1 },
	};
	VkBufferMemoryBarrier to_host = {
		.sType = VK_STRUCTURE_TYPE_BUFFER_MEMORY_BARRIER,
		.srcAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT,
		.dstAccessMask = VK_ACCESS_HOST_READ_BIT,
		.srcQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED,
		.dstQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED,
		.buffer = buffer,
		.size = VK_WHOLE_SIZE,
	};
	VkCommandBuffer cb = vkt_begin_shared(t);

	vkt_external_barrier(t, cb, image, true, false, any_rw);
	vkCmdCopyImageToBuffer(cb, image, VK_IMAGE_LAYOUT_GENERAL, buffer, 1,
			       &copy);
	vkCmdPipelineBarrier(cb, VK_PIPELINE_STAGE_TRANSFER_BIT,
			     VK_PIPELINE_STAGE_HOST_BIT, 0, 0, NULL, 1, &to_host,
			     0, NULL);
	vkt_external_barrier(t, cb, image, false, false, any_rw);
	VKT_CHECK(vkEndCommandBuffer(cb));
	return cb;
}

VkResult vkt_km_submit(struct vkt *t, VkCommandBuffer cb,
		       VkDeviceMemory memory, uint64_t key, uint32_t ms,
		       uint64_t release, VkFence fence)
{
	VkWin32KeyedMutexAcquireReleaseInfoNV km = {
		.sType = VK_STRUCTURE_TYPE_WIN32_KEYED_MUTEX_ACQUIRE_RELEASE_INFO_NV,
		.acquireCount = 1,
		.pAcquireSyncs = &memory,
		.pAcquireKeys = &key,
		.pAcquireTimeoutMilliseconds = &ms,
		.releaseCount = 1,
		.pReleaseSyncs = &memory,
		.pReleaseKeys = &release,
	};
	VkSubmitInfo si = {
		.sType = VK_STRUCTURE_TYPE_SUBMIT_INFO,
		.pNext = &km,
		.commandBufferCount = 1,
		.pCommandBuffers = &cb,
	};

	return vkQueueSubmit(t->queue, 1, &si, fence);
}
