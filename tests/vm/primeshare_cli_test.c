// SPDX-License-Identifier: GPL-2.0-only
// SPDX-FileCopyrightText: 2026 The primeshare authors
/*
 * The primeshare command against the real module: what it prints for
 * handles that another process exported, and its exit codes.
 *
 * The command is tools/primeshare of the same build tree, found from this
 * program's own path, or $PRIMESHARE_CLI.
 */
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <sys/prctl.h>
#include <sys/socket.h>

#include "kselftest_harness.h"
#include "ps_test.h"

#define OUT_SIZE 65536

struct run {
	int status;
	char out[OUT_SIZE];
	char err[OUT_SIZE];
};

static const char *cli_path(void)
{
	static char path[PATH_MAX];
	char self[PATH_MAX];
	const char *env = getenv("PRIMESHARE_CLI");
	ssize_t n;

	if (env)
		return env;
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n < 0)
		return "primeshare";
	self[n] = '\0';
	snprintf(path, sizeof(path), "%s/../../tools/primeshare",
		 dirname(self));
	return path;
}

static void slurp(int fd, char *buf)
{
	size_t len = 0;
	ssize_t n;

	while (len < OUT_SIZE - 1 &&
	       (n = read(fd, buf + len, OUT_SIZE - 1 - len)) > 0)
		len += n;
	buf[len] = '\0';
}

/*
 * Run the command with the NULL-terminated arguments, as user @uid unless
 * it is -1, with PRIMESHARE_DEVICE set to @device unless it is NULL.
 */
static void run_cli(struct run *r, int uid, const char *device, ...)
{
	char *argv[16] = { "primeshare" };
	int out[2], err[2], argc = 1;
	va_list ap;
	pid_t pid;

	va_start(ap, device);
	while (argc < 15 && (argv[argc] = va_arg(ap, char *)))
		argc++;
	va_end(ap);
	argv[argc] = NULL;

	r->status = -1;
	r->out[0] = '\0';
	r->err[0] = '\0';
	if (pipe2(out, O_CLOEXEC) || pipe2(err, O_CLOEXEC))
		return;
	pid = fork();
	if (pid == 0) {
		dup2(out[1], 1);
		dup2(err[1], 2);
		if (uid >= 0 && pst_become(uid, uid, 0, NULL))
			_exit(126);
		if (device)
			setenv("PRIMESHARE_DEVICE", device, 1);
		else
			unsetenv("PRIMESHARE_DEVICE");
		execv(cli_path(), argv);
		_exit(127);
	}
	close(out[1]);
	close(err[1]);
	/* The outputs are small; read stderr after stdout. */
	slurp(out[0], r->out);
	slurp(err[0], r->err);
	close(out[0]);
	close(err[0]);
	r->status = pst_wait(pid);
}

/* A process, not related to the command, that exports and waits. */
struct holder {
	pid_t pid;
	int ctl;
	__u64 handle;
	char text[32];
};

static int start_holder(struct holder *h, __u32 flags, __u32 mode,
			uid_t uid)
{
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv))
		return -errno;
	h->pid = fork();
	if (h->pid < 0)
		return -errno;
	if (h->pid == 0) {
		int drm, buf, sess;
		__u64 handle = 0;
		char c;

		close(sv[0]);
		prctl(PR_SET_NAME, "ps-holder");
		drm = pst_open_drm("vgem");
		buf = drm < 0 ? -1 : pst_vgem_dmabuf(drm, 8192);
		if (uid && pst_become(uid, uid, 0, NULL))
			_exit(1);
		sess = pst_open();
		if (buf < 0 || sess < 0 ||
		    pst_export(sess, buf, flags, mode, &handle))
			handle = 0;
		if (write(sv[1], &handle, sizeof(handle)) != sizeof(handle))
			_exit(1);
		/* Until the test closes its end. */
		while (read(sv[1], &c, 1) > 0)
			;
		_exit(0);
	}
	close(sv[1]);
	h->ctl = sv[0];
	if (read(h->ctl, &h->handle, sizeof(h->handle)) != sizeof(h->handle) ||
	    !h->handle)
		return -EIO;
	snprintf(h->text, sizeof(h->text), "psh-%016llx",
		 (unsigned long long)h->handle);
	return 0;
}

static int stop_holder(struct holder *h)
{
	close(h->ctl);
	return pst_wait(h->pid);
}

/* The line of @out that starts with @prefix, copied to @line. */
static int find_line(const char *out, const char *prefix, char *line,
		     size_t size)
{
	const char *p = out;

	while (p && *p) {
		const char *end = strchr(p, '\n');
		size_t len = end ? (size_t)(end - p) : strlen(p);

		if (!strncmp(p, prefix, strlen(prefix))) {
			snprintf(line, size, "%.*s", (int)len, p);
			return 1;
		}
		p = end ? end + 1 : NULL;
	}
	return 0;
}

FIXTURE(cli) {
	struct holder h;
	struct run r;
};

FIXTURE_SETUP(cli)
{
	pst_require_device(_metadata);
	ASSERT_EQ(0, start_holder(&self->h, PRIMESHARE_EXPORT_REFCOUNTED,
				  0444, 0));
}

FIXTURE_TEARDOWN(cli)
{
	stop_holder(&self->h);
}

/*
 * Each test runs the command several times.  On the debug kernel
 * under TCG (KASAN, lockdep) one run takes seconds, more on a busy host,
 * so the harness's 30 s would end the slow ones: a limit, not a timing.
 */
#define CLI_TEST(name) TEST_F_TIMEOUT(cli, name, 300)

CLI_TEST(list_shows_another_process_handle)
{
	char line[512], pid[32], size[32];

	run_cli(&self->r, -1, NULL, "list", NULL);
	ASSERT_EQ(0, self->r.status) TH_LOG("stderr: %s", self->r.err);
	EXPECT_EQ(0, strncmp(self->r.out, "HANDLE", 6));
	ASSERT_TRUE(find_line(self->r.out, self->h.text, line, sizeof(line)))
		TH_LOG("output: %s", self->r.out);
	snprintf(pid, sizeof(pid), " %d ", self->h.pid);
	snprintf(size, sizeof(size), " 8192 ");
	EXPECT_NE(NULL, strstr(line, size)) TH_LOG("%s", line);
	EXPECT_NE(NULL, strstr(line, " root ")) TH_LOG("%s", line);
	EXPECT_NE(NULL, strstr(line, " 0444 ")) TH_LOG("%s", line);
	EXPECT_NE(NULL, strstr(line, " refcounted ")) TH_LOG("%s", line);
	EXPECT_NE(NULL, strstr(line, pid)) TH_LOG("%s", line);
	EXPECT_NE(NULL, strstr(line, "ps-holder")) TH_LOG("%s", line);
	EXPECT_EQ('\0', self->r.err[0]);
}

CLI_TEST(list_json)
{
	char want[128];

	run_cli(&self->r, -1, NULL, "--json", "list", NULL);
	ASSERT_EQ(0, self->r.status);
	EXPECT_EQ(0, strncmp(self->r.out, "{\"handles\":[{", 13))
		TH_LOG("%s", self->r.out);
	snprintf(want, sizeof(want), "{\"handle\":\"%s\",\"size\":8192,",
		 self->h.text);
	EXPECT_NE(NULL, strstr(self->r.out, want)) TH_LOG("%s", self->r.out);
	snprintf(want, sizeof(want), "\"exporter_pid\":%d,", self->h.pid);
	EXPECT_NE(NULL, strstr(self->r.out, want));
	EXPECT_NE(NULL, strstr(self->r.out, "\"lifetime\":\"refcounted\""));
	EXPECT_NE(NULL, strstr(self->r.out, "\"exporter_comm\":\"ps-holder\""));
	EXPECT_EQ(0, strcmp(self->r.out + strlen(self->r.out) - 3, "]}\n"));
	/* The option may follow the command too. */
	run_cli(&self->r, -1, NULL, "list", "-j", NULL);
	ASSERT_EQ(0, self->r.status);
	EXPECT_NE(NULL, strstr(self->r.out, self->h.text));
}

CLI_TEST(list_hides_what_the_user_cannot_import)
{
	struct holder owner_only;

	ASSERT_EQ(0, start_holder(&owner_only, 0, 0400, 0));
	run_cli(&self->r, 4242, NULL, "list", NULL);
	ASSERT_EQ(0, self->r.status) TH_LOG("stderr: %s", self->r.err);
	EXPECT_NE(NULL, strstr(self->r.out, self->h.text));
	EXPECT_EQ(NULL, strstr(self->r.out, owner_only.text));
	EXPECT_EQ(0, stop_holder(&owner_only));
}

CLI_TEST(info_text_and_json)
{
	char want[128];

	run_cli(&self->r, -1, NULL, "info", self->h.text, NULL);
	ASSERT_EQ(0, self->r.status) TH_LOG("stderr: %s", self->r.err);
	EXPECT_NE(NULL, strstr(self->r.out, "size:          8192\n"));
	EXPECT_NE(NULL, strstr(self->r.out, "lifetime:      refcounted\n"));
	EXPECT_NE(NULL, strstr(self->r.out, "holders:       1\n"));
	EXPECT_NE(NULL, strstr(self->r.out, "keyed mutex:   no\n"));
	EXPECT_NE(NULL, strstr(self->r.out, "mode:          0444\n"));
	snprintf(want, sizeof(want), "exporter:      ps-holder (pid %d)\n",
		 self->h.pid);
	EXPECT_NE(NULL, strstr(self->r.out, want)) TH_LOG("%s", self->r.out);

	run_cli(&self->r, -1, NULL, "info", "--json", self->h.text, NULL);
	ASSERT_EQ(0, self->r.status);
	snprintf(want, sizeof(want), "{\"handle\":\"%s\",", self->h.text);
	EXPECT_EQ(0, strncmp(self->r.out, want, strlen(want)));
	EXPECT_NE(NULL, strstr(self->r.out, "\"mode\":\"0444\""));
	EXPECT_NE(NULL, strstr(self->r.out, "\"holders\":1,"));
	EXPECT_NE(NULL, strstr(self->r.out, "\"keyed_mutex\":false,"));
}

CLI_TEST(info_errors)
{
	char text[32];

	/* A well-formed handle that does not exist. */
	snprintf(text, sizeof(text), "psh-%016llx",
		 (unsigned long long)(self->h.handle ^ 1));
	run_cli(&self->r, -1, NULL, "info", text, NULL);
	EXPECT_EQ(4, self->r.status);
	EXPECT_NE(NULL, strstr(self->r.err, "no such handle"))
		TH_LOG("%s", self->r.err);
	/* With --json the failure is a JSON object on standard output too. */
	run_cli(&self->r, -1, NULL, "--json", "info", text, NULL);
	EXPECT_EQ(4, self->r.status);
	EXPECT_EQ(0, strncmp(self->r.out, "{\"error\":{\"message\":\"", 21))
		TH_LOG("stdout: %s", self->r.out);
	EXPECT_NE(NULL, strstr(self->r.out, "\"exit_status\":4}}\n"))
		TH_LOG("stdout: %s", self->r.out);
	/* Garbage is a usage error. */
	run_cli(&self->r, -1, NULL, "info", "12345", NULL);
	EXPECT_EQ(2, self->r.status);
	EXPECT_NE(NULL, strstr(self->r.err, "is not a handle"));
	run_cli(&self->r, -1, NULL, "info", NULL);
	EXPECT_EQ(2, self->r.status);
	run_cli(&self->r, -1, NULL, "frobnicate", NULL);
	EXPECT_EQ(2, self->r.status);
	EXPECT_NE(NULL, strstr(self->r.err, "unknown command"));
	run_cli(&self->r, -1, NULL, "--bogus", "list", NULL);
	EXPECT_EQ(2, self->r.status);
}

CLI_TEST(info_denied_to_other_users)
{
	struct holder owner_only;

	ASSERT_EQ(0, start_holder(&owner_only, 0, 0400, 0));
	run_cli(&self->r, 4242, NULL, "info", owner_only.text, NULL);
	EXPECT_EQ(5, self->r.status);
	EXPECT_NE(NULL, strstr(self->r.err, "permission denied"))
		TH_LOG("%s", self->r.err);
	EXPECT_EQ(0, stop_holder(&owner_only));
}

CLI_TEST(release_by_owner_and_not_by_others)
{
	int sess = pst_open();
	struct primeshare_query q;

	ASSERT_LE(0, sess);
	/* Another user: permission denied, the handle lives on. */
	run_cli(&self->r, 4242, NULL, "release", self->h.text, NULL);
	EXPECT_EQ(5, self->r.status);
	EXPECT_NE(NULL, strstr(self->r.err, "permission denied"));
	EXPECT_EQ(0, pst_query(sess, self->h.handle, &q));
	/* Its owner (root here) ends it at once, whatever holds it. */
	run_cli(&self->r, -1, NULL, "release", self->h.text, NULL);
	EXPECT_EQ(0, self->r.status) TH_LOG("%s", self->r.err);
	EXPECT_EQ(-ENOENT, pst_query(sess, self->h.handle, &q));
	run_cli(&self->r, -1, NULL, "release", self->h.text, NULL);
	EXPECT_EQ(4, self->r.status);
	run_cli(&self->r, -1, NULL, "--json", "release", self->h.text, NULL);
	EXPECT_EQ(2, self->r.status);
	close(sess);
}

CLI_TEST(version)
{
	char want[64];

	run_cli(&self->r, -1, NULL, "version", NULL);
	ASSERT_EQ(0, self->r.status) TH_LOG("%s", self->r.err);
	snprintf(want, sizeof(want), "(uAPI %d.%d)",
		 PRIMESHARE_UAPI_VERSION_MAJOR, PRIMESHARE_UAPI_VERSION_MINOR);
	EXPECT_NE(NULL, strstr(self->r.out, "library: "));
	EXPECT_NE(NULL, strstr(self->r.out, want)) TH_LOG("%s", self->r.out);
	EXPECT_NE(NULL, strstr(self->r.out, "force-release limits keyed-mutex"));
	run_cli(&self->r, -1, NULL, "version", "--json", NULL);
	ASSERT_EQ(0, self->r.status);
	EXPECT_NE(NULL, strstr(self->r.out, "\"module\":{\"version\":\""));
	EXPECT_NE(NULL, strstr(self->r.out, "\"features\":[\"export\","));
}

CLI_TEST(missing_module)
{
	run_cli(&self->r, -1, "/nonexistent/primeshare", "list", NULL);
	EXPECT_EQ(3, self->r.status);
	EXPECT_NE(NULL, strstr(self->r.err, "module loaded"))
		TH_LOG("%s", self->r.err);
	EXPECT_EQ('\0', self->r.out[0]);
	run_cli(&self->r, -1, "/dev/null", "info", self->h.text, NULL);
	EXPECT_EQ(3, self->r.status);
	EXPECT_NE(NULL, strstr(self->r.err, "not a primeshare device"));
	run_cli(&self->r, -1, "/nonexistent/primeshare", "version", NULL);
	EXPECT_EQ(3, self->r.status);
	EXPECT_NE(NULL, strstr(self->r.out, "module:  not loaded"));
}

TEST_HARNESS_MAIN
