// SPDX-License-Identifier: GPL-2.0-only
// SPDX-FileCopyrightText: 2026 The primeshare authors
/*
 * The BPF LSM program of primeshare_lsm_test: on the file_receive hook,
 * refuse with EPERM every file that one thread group receives, and count
 * the refusals.  The test writes its thread group id into target_tgid; 0
 * (the initial value) refuses nothing, and no other process of the system
 * is ever affected.
 *
 * Built with clang -target bpf without vmlinux.h: the hook's one argument
 * is only passed along, so a declaration of struct file is enough.
 */
#include <linux/types.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#define PST_EPERM 1

struct file;

__u32 target_tgid;
__u64 denials;

SEC("lsm/file_receive")
int BPF_PROG(pst_deny_file_receive, struct file *file, int ret)
{
	/* An earlier BPF LSM program already refused. */
	if (ret)
		return ret;
	if (!target_tgid || bpf_get_current_pid_tgid() >> 32 != target_tgid)
		return 0;
	__sync_fetch_and_add(&denials, 1);
	return -PST_EPERM;
}

char LICENSE[] SEC("license") = "GPL";
