// SPDX-License-Identifier: GPL-2.0-only
// SPDX-FileCopyrightText: 2026 The primeshare authors
/*
 * PRIMESHARE_IOCTL_INFO and the conventions every primeshare ioctl shares:
 * size-versioned structures, reserved fields, unknown commands.
 */
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "kselftest_harness.h"
#include "ps_test.h"

FIXTURE(dev) {
	int fd;
};

FIXTURE_SETUP(dev)
{
	pst_require_device(_metadata);
	self->fd = open(PST_DEVICE, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->fd) TH_LOG("cannot open %s: %s (is primeshare.ko loaded?)",
				      PST_DEVICE, strerror(errno));
}

FIXTURE_TEARDOWN(dev)
{
	close(self->fd);
}

TEST(device_node_is_world_accessible)
{
	struct stat st;

	pst_require_device(_metadata);
	ASSERT_EQ(0, stat(PST_DEVICE, &st));
	EXPECT_TRUE(S_ISCHR(st.st_mode));
	EXPECT_EQ(0666, st.st_mode & 0777);
}

TEST_F(dev, info_reports_version_and_limits)
{
	struct primeshare_info info = { 0 };

	ASSERT_EQ(0, pst_ioctl(self->fd, PRIMESHARE_IOCTL_INFO, &info));
	EXPECT_EQ(PRIMESHARE_UAPI_VERSION_MAJOR, info.version_major);
	EXPECT_EQ(PRIMESHARE_UAPI_VERSION_MINOR, info.version_minor);
	EXPECT_GE(4096, info.max_metadata_size);
	EXPECT_LT(0, info.max_handles_per_session);
	EXPECT_LT(0, info.max_handles_per_user);
	EXPECT_LT(0, info.max_handles);
	EXPECT_EQ(0, info.__pad);
	EXPECT_EQ(PRIMESHARE_FEATURE_EXPORT | PRIMESHARE_FEATURE_REFCOUNTED |
		  PRIMESHARE_FEATURE_ONESHOT | PRIMESHARE_FEATURE_METADATA |
		  PRIMESHARE_FEATURE_LIST | PRIMESHARE_FEATURE_FORCE_RELEASE |
		  PRIMESHARE_FEATURE_LIMITS | PRIMESHARE_FEATURE_KEYED_MUTEX,
		  info.features);
	EXPECT_EQ(4096, info.max_metadata_size);
	EXPECT_EQ(4096, info.max_handles_per_session);
	EXPECT_EQ(16384, info.max_handles_per_user);
	EXPECT_EQ(65536, info.max_handles);
}

TEST_F(dev, info_rejects_unknown_flags)
{
	struct primeshare_info info = { .flags = 1 };

	EXPECT_EQ(-EINVAL, pst_ioctl(self->fd, PRIMESHARE_IOCTL_INFO, &info));
	info.flags = 1U << 31;
	EXPECT_EQ(-EINVAL, pst_ioctl(self->fd, PRIMESHARE_IOCTL_INFO, &info));
}

TEST_F(dev, info_rejects_nonzero_padding)
{
	struct primeshare_info info = { .__pad = 1 };

	EXPECT_EQ(-EINVAL, pst_ioctl(self->fd, PRIMESHARE_IOCTL_INFO, &info));
}

TEST_F(dev, info_rejects_short_struct)
{
	struct primeshare_info info = { 0 };
	unsigned long req = PST_IOC(_IOC_READ | _IOC_WRITE, 0,
				    sizeof(info) - 8);

	EXPECT_EQ(-EINVAL, pst_ioctl(self->fd, req, &info));
	EXPECT_EQ(0, info.version_major);
}

TEST_F(dev, info_accepts_larger_zeroed_struct)
{
	struct {
		struct primeshare_info info;
		__u64 future[4];
	} big;
	unsigned long req = PST_IOC(_IOC_READ | _IOC_WRITE, 0, sizeof(big));

	memset(&big, 0, sizeof(big));
	big.future[3] = 0;
	ASSERT_EQ(0, pst_ioctl(self->fd, req, &big));
	EXPECT_EQ(PRIMESHARE_UAPI_VERSION_MAJOR, big.info.version_major);
	/* The kernel writes back only what it knows; the tail stays zero. */
	EXPECT_EQ(0, big.future[0]);
}

TEST_F(dev, info_rejects_larger_struct_with_unknown_fields_set)
{
	struct {
		struct primeshare_info info;
		__u64 future;
	} big;
	unsigned long req = PST_IOC(_IOC_READ | _IOC_WRITE, 0, sizeof(big));

	memset(&big, 0, sizeof(big));
	big.future = 1;
	EXPECT_EQ(-EINVAL, pst_ioctl(self->fd, req, &big));
}

TEST_F(dev, info_rejects_wrong_direction)
{
	struct primeshare_info info = { 0 };

	EXPECT_EQ(-EINVAL, pst_ioctl(self->fd,
				     PST_IOC(_IOC_READ, 0, sizeof(info)), &info));
	EXPECT_EQ(-EINVAL, pst_ioctl(self->fd,
				     PST_IOC(_IOC_WRITE, 0, sizeof(info)), &info));
}

TEST_F(dev, info_bad_pointer_is_efault)
{
	void *ro = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS,
			-1, 0);

	ASSERT_NE(MAP_FAILED, ro);
	EXPECT_EQ(-EFAULT, pst_ioctl(self->fd, PRIMESHARE_IOCTL_INFO, NULL));
	EXPECT_EQ(-EFAULT, pst_ioctl(self->fd, PRIMESHARE_IOCTL_INFO,
				     (void *)8));
	/* Readable but not writable: the answer cannot be stored. */
	EXPECT_EQ(-EFAULT, pst_ioctl(self->fd, PRIMESHARE_IOCTL_INFO, ro));
	munmap(ro, 4096);
}

TEST_F(dev, unknown_ioctls_are_enotty)
{
	struct primeshare_info info = { 0 };

	EXPECT_EQ(-ENOTTY, pst_ioctl(self->fd,
				     PST_IOC(_IOC_READ | _IOC_WRITE, 0x7f,
					     sizeof(info)), &info));
	EXPECT_EQ(-ENOTTY, pst_ioctl(self->fd,
				     _IOC(_IOC_READ | _IOC_WRITE, 'x', 0,
					  sizeof(info)), &info));
}

TEST_F(dev, device_is_not_seekable)
{
	EXPECT_EQ(-1, lseek(self->fd, 0, SEEK_SET));
	EXPECT_EQ(ESPIPE, errno);
}

/* The module's reference count, from sysfs. */
static long module_refcnt(void)
{
	char buf[32] = "";
	int fd = open("/sys/module/primeshare/refcnt", O_RDONLY | O_CLOEXEC);
	int n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	return n > 0 ? strtol(buf, NULL, 10) : -1;
}

/*
 * Each session pins the module: it cannot be unloaded while one is open,
 * and the pin goes with the session.
 */
TEST(module_is_pinned_while_a_session_is_open)
{
	long base = module_refcnt();
	int a, b;

	pst_require_device(_metadata);
	ASSERT_LE(0, base);
	a = pst_open();
	ASSERT_LE(0, a);
	b = pst_open();
	ASSERT_LE(0, b);
	EXPECT_EQ(base + 2, module_refcnt());
	EXPECT_EQ(-1, syscall(SYS_delete_module, "primeshare", O_NONBLOCK));
	EXPECT_TRUE(errno == EWOULDBLOCK || errno == EBUSY)
		TH_LOG("delete_module: %s", strerror(errno));
	EXPECT_EQ(0, access("/sys/module/primeshare", F_OK));
	close(b);
	EXPECT_EQ(base + 1, module_refcnt());
	close(a);
	EXPECT_EQ(base, module_refcnt());
}

TEST_HARNESS_MAIN
