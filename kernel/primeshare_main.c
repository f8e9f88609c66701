// SPDX-License-Identifier: GPL-2.0-only
// SPDX-FileCopyrightText: 2026 The primeshare authors
/*
 * primeshare: global, access-checked handles for dma-bufs.
 *
 * /dev/primeshare is a misc device; every open file is a session.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/uaccess.h>

#include "uapi/primeshare.h"
#include "primeshare.h"

#define PRIMESHARE_METADATA_LIMIT 4096

unsigned int ps_max_metadata_size = PRIMESHARE_METADATA_LIMIT;
module_param_named(max_metadata_size, ps_max_metadata_size, uint, 0444);
MODULE_PARM_DESC(max_metadata_size, "Largest metadata blob per handle in bytes (at most 4096)");

unsigned int ps_max_handles_per_session = 4096;
module_param_named(max_handles_per_session, ps_max_handles_per_session,
		   uint, 0644);
MODULE_PARM_DESC(max_handles_per_session, "Live handles one session may export");

/*
 * The per-user limits of the initial user namespace, and the defaults of
 * every other (primeshare_limits.c).  A user's count includes what the
 * user namespaces it created hold.
 */
unsigned int ps_max_handles_per_user = 16384;
module_param_named(max_handles_per_user, ps_max_handles_per_user, uint, 0644);
MODULE_PARM_DESC(max_handles_per_user, "Live handles one user (real uid) and the user namespaces it owns may export");

unsigned int ps_max_metadata_bytes_per_user = 4 << 20;
module_param_named(max_metadata_bytes_per_user, ps_max_metadata_bytes_per_user,
		   uint, 0644);
MODULE_PARM_DESC(max_metadata_bytes_per_user, "Metadata bytes of the live handles of one user and the user namespaces it owns");

unsigned int ps_max_holds_per_user = 65536;
module_param_named(max_holds_per_user, ps_max_holds_per_user, uint, 0644);
MODULE_PARM_DESC(max_holds_per_user, "Hold records (session, refcounted handle) of one user and the user namespaces it owns");

unsigned int ps_max_keyed_mutexes_per_user = 16384;
module_param_named(max_keyed_mutexes_per_user, ps_max_keyed_mutexes_per_user,
		   uint, 0644);
MODULE_PARM_DESC(max_keyed_mutexes_per_user, "Keyed mutexes of the live handles of one user and the user namespaces it owns");

unsigned int ps_max_holds_per_handle = PS_MAX_HOLDS;
module_param_named(max_holds_per_handle, ps_max_holds_per_handle, uint, 0644);
MODULE_PARM_DESC(max_holds_per_handle, "Holds of one refcounted handle, summed over its sessions (at most 4294967294)");

unsigned int ps_max_handles = 65536;
module_param_named(max_handles, ps_max_handles, uint, 0644);
MODULE_PARM_DESC(max_handles, "Live handles in the whole system");

unsigned int ps_reserved_handles = 1024;
module_param_named(reserved_handles, ps_reserved_handles, uint, 0644);
MODULE_PARM_DESC(reserved_handles, "The last of max_handles, which only CAP_SYS_ADMIN in the initial user namespace may use");

/*
 * Copy an ioctl argument in.  @usize is the size the caller encoded in the
 * ioctl number; the kernel knows @ksize.  A caller structure smaller than
 * the first published version is refused, a larger one must have zeros in
 * every byte the kernel does not know.
 */
int ps_copy_in(void *karg, size_t ksize, size_t minsize,
	       const void __user *uarg, size_t usize)
{
	int ret;

	if (usize < minsize)
		return -EINVAL;
	ret = copy_struct_from_user(karg, ksize, uarg, usize);
	if (ret == -E2BIG)
		return -EINVAL;
	return ret;
}

int ps_copy_out(void __user *uarg, size_t usize, const void *karg,
		size_t ksize)
{
	if (copy_to_user(uarg, karg, min(usize, ksize)))
		return -EFAULT;
	return 0;
}

static int ps_ioctl_info(void __user *uarg, size_t usize)
{
	struct primeshare_info info;
	int ret;

	ret = ps_copy_in(&info, sizeof(info), sizeof(info), uarg, usize);
	if (ret)
		return ret;
	if (info.flags || info.__pad)
		return -EINVAL;

	info.version_major = PRIMESHARE_UAPI_VERSION_MAJOR;
	info.version_minor = PRIMESHARE_UAPI_VERSION_MINOR;
	info.features = PRIMESHARE_FEATURE_EXPORT |
			PRIMESHARE_FEATURE_REFCOUNTED |
			PRIMESHARE_FEATURE_ONESHOT |
			PRIMESHARE_FEATURE_METADATA |
			PRIMESHARE_FEATURE_LIST |
			PRIMESHARE_FEATURE_FORCE_RELEASE |
			PRIMESHARE_FEATURE_LIMITS |
			PRIMESHARE_FEATURE_KEYED_MUTEX;
	info.max_metadata_size = READ_ONCE(ps_max_metadata_size);
	info.max_handles_per_session = READ_ONCE(ps_max_handles_per_session);
	info.max_handles_per_user = ps_acct_max_handles();
	info.max_handles = READ_ONCE(ps_max_handles);

	return ps_copy_out(uarg, usize, &info, sizeof(info));
}

/*
 * The ioctl number carries the size of the caller's structure, so the
 * dispatch goes by number and checks the direction; the handlers check the
 * size.
 */
static long ps_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct ps_session *sess = file->private_data;
	void __user *uarg = (void __user *)arg;
	size_t usize = _IOC_SIZE(cmd);
	unsigned int dir = _IOC_DIR(cmd);

	if (_IOC_TYPE(cmd) != PRIMESHARE_IOC_MAGIC)
		return -ENOTTY;

	switch (_IOC_NR(cmd)) {
	case _IOC_NR(PRIMESHARE_IOCTL_INFO):
		if (dir != _IOC_DIR(PRIMESHARE_IOCTL_INFO))
			return -EINVAL;
		return ps_ioctl_info(uarg, usize);
	case _IOC_NR(PRIMESHARE_IOCTL_EXPORT):
		if (dir != _IOC_DIR(PRIMESHARE_IOCTL_EXPORT))
			return -EINVAL;
		return ps_ioctl_export(sess, uarg, usize);
	case _IOC_NR(PRIMESHARE_IOCTL_IMPORT):
		if (dir != _IOC_DIR(PRIMESHARE_IOCTL_IMPORT))
			return -EINVAL;
		return ps_ioctl_import(sess, uarg, usize);
	case _IOC_NR(PRIMESHARE_IOCTL_RELEASE):
		if (dir != _IOC_DIR(PRIMESHARE_IOCTL_RELEASE))
			return -EINVAL;
		return ps_ioctl_release(sess, uarg, usize);
	case _IOC_NR(PRIMESHARE_IOCTL_QUERY):
		if (dir != _IOC_DIR(PRIMESHARE_IOCTL_QUERY))
			return -EINVAL;
		return ps_ioctl_query(sess, uarg, usize);
	case _IOC_NR(PRIMESHARE_IOCTL_LIST):
		if (dir != _IOC_DIR(PRIMESHARE_IOCTL_LIST))
			return -EINVAL;
		return ps_ioctl_list(sess, uarg, usize);
	case _IOC_NR(PRIMESHARE_IOCTL_LIMITS):
		if (dir != _IOC_DIR(PRIMESHARE_IOCTL_LIMITS))
			return -EINVAL;
		return ps_ioctl_limits(sess, uarg, usize);
	case _IOC_NR(PRIMESHARE_IOCTL_KM_ACQUIRE):
		if (dir != _IOC_DIR(PRIMESHARE_IOCTL_KM_ACQUIRE))
			return -EINVAL;
		return ps_ioctl_km_acquire(sess, uarg, usize);
	case _IOC_NR(PRIMESHARE_IOCTL_KM_RELEASE):
		if (dir != _IOC_DIR(PRIMESHARE_IOCTL_KM_RELEASE))
			return -EINVAL;
		return ps_ioctl_km_release(sess, uarg, usize);
	default:
		return -ENOTTY;
	}
}

static int ps_open(struct inode *inode, struct file *file)
{
	struct ps_session *sess;
	int ret;

	ret = nonseekable_open(inode, file);
	if (ret)
		return ret;
	sess = ps_session_new();
	if (!sess)
		return -ENOMEM;
	file->private_data = sess;
	return 0;
}

static int ps_release(struct inode *inode, struct file *file)
{
	ps_session_close(file->private_data);
	return 0;
}

static const struct file_operations ps_fops = {
	.owner = THIS_MODULE,
	.open = ps_open,
	.release = ps_release,
	.unlocked_ioctl = ps_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
};

static struct miscdevice ps_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "primeshare",
	.fops = &ps_fops,
	.mode = 0666,
};

static int __init ps_init(void)
{
	int ret;

	if (ps_max_metadata_size > PRIMESHARE_METADATA_LIMIT) {
		pr_err("max_metadata_size %u is above the limit of %u\n",
		       ps_max_metadata_size, PRIMESHARE_METADATA_LIMIT);
		return -EINVAL;
	}

	ret = ps_handle_init();
	if (ret)
		return ret;
	ps_debugfs_init();

	ret = misc_register(&ps_misc);
	if (ret) {
		pr_err("cannot register /dev/primeshare: %d\n", ret);
		ps_debugfs_exit();
		ps_handle_exit();
	}
	return ret;
}

static void __exit ps_exit(void)
{
	misc_deregister(&ps_misc);
	ps_debugfs_exit();
	ps_handle_exit();
}

module_init(ps_init);
module_exit(ps_exit);

#ifdef PRIMESHARE_IMPORT_NS_STRING
MODULE_IMPORT_NS("DMA_BUF");
#else
MODULE_IMPORT_NS(DMA_BUF);
#endif
MODULE_DESCRIPTION("Global, access-checked handles for dma-bufs");
MODULE_AUTHOR("The primeshare developers");
MODULE_LICENSE("GPL");
/* The release this module belongs to; tests/version.test keeps it in step. */
MODULE_VERSION("0.1.0");
