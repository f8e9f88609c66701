# SPDX-License-Identifier: MIT
# SPDX-FileCopyrightText: 2026 The primeshare authors
#
# tools/: the installed programs.

# The primeshare command (ipcs/ipcrm for handles).
bin_PROGRAMS = tools/primeshare
tools_primeshare_SOURCES = tools/primeshare.c
tools_primeshare_LDADD = lib/libprimeshare.la
# Its bash completion, installed as bash-completion looks it up: by the
# command's name.
bashcompletiondir = @bashcompletiondir@
dist_bashcompletion_DATA = tools/bash-completion/primeshare
