# SPDX-License-Identifier: MIT
# SPDX-FileCopyrightText: 2026 The primeshare authors
#
# Manual pages: primeshare(7) and a section 3 page for every function of
# libprimeshare (group pages, and .so pages leading to them).

dist_man3_MANS = \
	man/primeshare_close.3 \
	man/primeshare_desc_age_ns.3 \
	man/primeshare_desc_exporter_comm.3 \
	man/primeshare_desc_exporter_pid.3 \
	man/primeshare_desc_free.3 \
	man/primeshare_desc_gid.3 \
	man/primeshare_desc_has_keyed_mutex.3 \
	man/primeshare_desc_handle.3 \
	man/primeshare_desc_holders.3 \
	man/primeshare_desc_imports.3 \
	man/primeshare_desc_lifetime.3 \
	man/primeshare_desc_metadata_size.3 \
	man/primeshare_desc_mode.3 \
	man/primeshare_desc_size.3 \
	man/primeshare_desc_uid.3 \
	man/primeshare_drm_close.3 \
	man/primeshare_drm_export.3 \
	man/primeshare_drm_import.3 \
	man/primeshare_drm_open.3 \
	man/primeshare_export.3 \
	man/primeshare_export2.3 \
	man/primeshare_fd.3 \
	man/primeshare_features.3 \
	man/primeshare_handle_format.3 \
	man/primeshare_handle_parse.3 \
	man/primeshare_import.3 \
	man/primeshare_iter_free.3 \
	man/primeshare_iter_new.3 \
	man/primeshare_iter_next.3 \
	man/primeshare_keyed_mutex_acquire.3 \
	man/primeshare_keyed_mutex_release.3 \
	man/primeshare_library_version.3 \
	man/primeshare_limit.3 \
	man/primeshare_open.3 \
	man/primeshare_open_path.3 \
	man/primeshare_peer_cred.3 \
	man/primeshare_query.3 \
	man/primeshare_recv_fd.3 \
	man/primeshare_release.3 \
	man/primeshare_revoke.3 \
	man/primeshare_send_fd.3 \
	man/primeshare_uapi_version.3

dist_man7_MANS = man/primeshare.7

dist_man1_MANS = man/primeshare.1
