// SPDX-License-Identifier: GPL-2.0-only
// SPDX-FileCopyrightText: 2026 The primeshare authors
/*
 * Test-only module for the VM runner's own test: loading it puts a real
 * kernel warning into dmesg, which vm-run must turn into a failed run.
 * It is never installed.
 */
#include <linux/bug.h>
#include <linux/module.h>

static int __init ps_provoke_init(void)
{
	WARN(1, "ps_provoke: deliberate warning for the vm-run self-test\n");
	return 0;
}

static void __exit ps_provoke_exit(void)
{
}

module_init(ps_provoke_init);
module_exit(ps_provoke_exit);

MODULE_DESCRIPTION("Deliberate kernel warning for the vm-run self-test");
MODULE_LICENSE("GPL");
