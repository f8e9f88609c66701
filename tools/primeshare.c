// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The primeshare authors
/*
 * primeshare: list, describe and release primeshare handles, as ipcs(1)
 * and ipcrm(1) do for SysV IPC objects.
 *
 * Exit status: 0 success, 1 any other error, 2 usage, 3 the module is not
 * loaded (no device), 4 no such handle, 5 permission denied.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <inttypes.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "primeshare.h"
#include "uapi/primeshare.h"

enum {
	EXIT_USAGE = 2,
	EXIT_NO_MODULE = 3,
	EXIT_NO_HANDLE = 4,
	EXIT_DENIED = 5,
};

static bool json;
/* The last error message, for --json's error object. */
static char last_error[512];

static void __attribute__((format(printf, 1, 2))) warnx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(last_error, sizeof(last_error), fmt, ap);
	va_end(ap);
	fprintf(stderr, "primeshare: %s\n", last_error);
}

static void json_string(const char *s);

/*
 * With --json a failed command still writes one JSON value to standard
 * output: {"error":{"message":...,"exit_status":N}}, or that member after
 * the handles of a list that failed part way.  The text goes to standard
 * error as without --json.
 */
static void json_error_member(int status)
{
	printf("\"error\":{\"message\":");
	json_string(last_error);
	printf(",\"exit_status\":%d}", status);
}

static int json_error(int status)
{
	if (json && status) {
		putchar('{');
		json_error_member(status);
		printf("}\n");
		fflush(stdout);
	}
	return status;
}

static const char *device_path(void)
{
	const char *path = getenv("PRIMESHARE_DEVICE");

	return path && *path ? path : PRIMESHARE_DEFAULT_DEVICE;
}

/*
 * Whether the kernel refuses unsigned modules because it is locked down,
 * as it is under Secure Boot: /sys/kernel/security/lockdown shows the
 * active level in brackets, "[none]" when it is not.
 * PRIMESHARE_LOCKDOWN_FILE names another file (for tests).
 */
static bool locked_down(void)
{
	const char *path = getenv("PRIMESHARE_LOCKDOWN_FILE");
	char buf[128] = "";
	FILE *f;

	f = fopen(path && *path ? path : "/sys/kernel/security/lockdown", "re");
	if (!f)
		return false;
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = '\0';
	fclose(f);
	return strstr(buf, "[integrity]") || strstr(buf, "[confidentiality]");
}

/* Opens a session, or prints why not and returns the exit status. */
static int open_session(struct primeshare **ctx)
{
	int ret = primeshare_open(ctx);

	if (ret == 0)
		return 0;
	switch (-ret) {
	case ENOENT:
	case ENXIO:
	case ENODEV:
		if (locked_down())
			warnx("cannot open %s: %s; the kernel is locked down (Secure Boot) and loads only signed modules: see \"Secure Boot\" in primeshare(7) for enrolling the key primeshare.ko is signed with, then modprobe primeshare",
			      device_path(), strerror(-ret));
		else
			warnx("cannot open %s: %s; is the primeshare module loaded? (modprobe primeshare)",
			      device_path(), strerror(-ret));
		return EXIT_NO_MODULE;
	case EACCES:
	case EPERM:
		warnx("cannot open %s: %s", device_path(), strerror(-ret));
		return EXIT_DENIED;
	case ENOTTY:
		warnx("%s is not a primeshare device", device_path());
		return EXIT_NO_MODULE;
	case EPROTONOSUPPORT:
		warnx("%s speaks a uAPI version this library does not know; update libprimeshare",
		      device_path());
		return EXIT_FAILURE;
	default:
		warnx("cannot open %s: %s", device_path(), strerror(-ret));
		return EXIT_FAILURE;
	}
}

/* The exit status for an error of an operation on @text. */
static int handle_error(const char *what, const char *text, int err)
{
	switch (err) {
	case ENOENT:
		warnx("%s: no such handle (it ended, or belongs to another IPC namespace)",
		      text);
		return EXIT_NO_HANDLE;
	case EACCES:
	case EPERM:
		warnx("%s %s: permission denied", what, text);
		return EXIT_DENIED;
	default:
		warnx("%s %s: %s", what, text, strerror(err));
		return EXIT_FAILURE;
	}
}

static int parse_handle(const char *text, uint64_t *handle)
{
	if (primeshare_handle_parse(text, handle) == 0)
		return 0;
	warnx("'%s' is not a handle: expected psh- followed by 16 hex digits",
	      text);
	return EXIT_USAGE;
}

static const char *lifetime_name(enum primeshare_lifetime lifetime)
{
	switch (lifetime) {
	case PRIMESHARE_LIFETIME_OWNED:
		return "owned";
	case PRIMESHARE_LIFETIME_REFCOUNTED:
		return "refcounted";
	case PRIMESHARE_LIFETIME_ONESHOT:
		return "oneshot";
	}
	return "unknown";
}

static void user_name(uid_t uid, char *buf, size_t size)
{
	struct passwd pw, *res = NULL;
	char tmp[1024];

	if (getpwuid_r(uid, &pw, tmp, sizeof(tmp), &res) == 0 && res)
		snprintf(buf, size, "%s", pw.pw_name);
	else
		snprintf(buf, size, "%u", (unsigned int)uid);
}

static void group_name(gid_t gid, char *buf, size_t size)
{
	struct group gr, *res = NULL;
	char tmp[1024];

	if (getgrgid_r(gid, &gr, tmp, sizeof(tmp), &res) == 0 && res)
		snprintf(buf, size, "%s", gr.gr_name);
	else
		snprintf(buf, size, "%u", (unsigned int)gid);
}

/* "42s", "3m07s", "2h05m", "4d02h". */
static void format_age(uint64_t ns, char *buf, size_t size)
{
	uint64_t s = ns / 1000000000ULL;

	if (s < 60)
		snprintf(buf, size, "%" PRIu64 "s", s);
	else if (s < 3600)
		snprintf(buf, size, "%" PRIu64 "m%02" PRIu64 "s", s / 60, s % 60);
	else if (s < 86400)
		snprintf(buf, size, "%" PRIu64 "h%02" PRIu64 "m", s / 3600,
			 s % 3600 / 60);
	else
		snprintf(buf, size, "%" PRIu64 "d%02" PRIu64 "h", s / 86400,
			 s % 86400 / 3600);
}

/* Writes @s as a JSON string. */
static void json_string(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char c = *s;

		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 0x20 || c == 0x7f)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

static void print_json_desc(const struct primeshare_desc *d)
{
	char text[PRIMESHARE_HANDLE_TEXT_SIZE], name[256];

	primeshare_handle_format(primeshare_desc_handle(d), text, sizeof(text));
	printf("{\"handle\":\"%s\",\"size\":%" PRIu64 ",", text,
	       primeshare_desc_size(d));
	user_name(primeshare_desc_uid(d), name, sizeof(name));
	printf("\"uid\":%u,\"owner\":", (unsigned int)primeshare_desc_uid(d));
	json_string(name);
	group_name(primeshare_desc_gid(d), name, sizeof(name));
	printf(",\"gid\":%u,\"group\":", (unsigned int)primeshare_desc_gid(d));
	json_string(name);
	printf(",\"mode\":\"%04o\",\"lifetime\":\"%s\",",
	       primeshare_desc_mode(d),
	       lifetime_name(primeshare_desc_lifetime(d)));
	printf("\"imports\":%u,\"holders\":%u,\"metadata_size\":%zu,",
	       primeshare_desc_imports(d), primeshare_desc_holders(d),
	       primeshare_desc_metadata_size(d));
	printf("\"keyed_mutex\":%s,",
	       primeshare_desc_has_keyed_mutex(d) ? "true" : "false");
	printf("\"age_ns\":%" PRIu64 ",\"exporter_pid\":%d,\"exporter_comm\":",
	       primeshare_desc_age_ns(d), (int)primeshare_desc_exporter_pid(d));
	json_string(primeshare_desc_exporter_comm(d));
	putchar('}');
}

static void print_row(const struct primeshare_desc *d)
{
	char text[PRIMESHARE_HANDLE_TEXT_SIZE], owner[64], group[64], age[32];
	char pid[16];

	primeshare_handle_format(primeshare_desc_handle(d), text, sizeof(text));
	user_name(primeshare_desc_uid(d), owner, sizeof(owner));
	group_name(primeshare_desc_gid(d), group, sizeof(group));
	format_age(primeshare_desc_age_ns(d), age, sizeof(age));
	if (primeshare_desc_exporter_pid(d) > 0)
		snprintf(pid, sizeof(pid), "%d",
			 (int)primeshare_desc_exporter_pid(d));
	else
		snprintf(pid, sizeof(pid), "-");
	printf("%-20s %12" PRIu64 " %-10s %-10s %04o %-10s %7u %7u %7s %7s %s\n",
	       text, primeshare_desc_size(d), owner, group,
	       primeshare_desc_mode(d),
	       lifetime_name(primeshare_desc_lifetime(d)),
	       primeshare_desc_imports(d), primeshare_desc_holders(d), age,
	       pid, primeshare_desc_exporter_comm(d));
}

static int cmd_list(struct primeshare *ctx)
{
	struct primeshare_iter *it;
	uint64_t handle;
	unsigned int n = 0;
	int ret;

	ret = primeshare_iter_new(ctx, &it);
	if (ret < 0) {
		warnx("cannot list handles: %s", strerror(-ret));
		return json_error(EXIT_FAILURE);
	}
	if (json)
		printf("{\"handles\":[");
	else
		printf("%-20s %12s %-10s %-10s %4s %-10s %7s %7s %7s %7s %s\n",
		       "HANDLE", "SIZE", "OWNER", "GROUP", "MODE", "LIFETIME",
		       "IMPORTS", "HOLDERS", "AGE", "PID", "EXPORTER");
	while ((ret = primeshare_iter_next(it, &handle)) > 0) {
		struct primeshare_desc *d;

		ret = primeshare_query(ctx, handle, &d);
		/* Ended since the list was taken, or no longer ours to see. */
		if (ret == -ENOENT || ret == -EACCES)
			continue;
		if (ret < 0)
			break;
		if (json) {
			if (n)
				putchar(',');
			print_json_desc(d);
		} else {
			print_row(d);
		}
		n++;
		primeshare_desc_free(d);
	}
	primeshare_iter_free(it);
	if (ret < 0)
		warnx("listing handles failed: %s", strerror(-ret));
	if (json) {
		printf("]");
		if (ret < 0) {
			putchar(',');
			json_error_member(EXIT_FAILURE);
		}
		printf("}\n");
	}
	if (ret < 0)
		return EXIT_FAILURE;
	return fflush(stdout) ? EXIT_FAILURE : 0;
}

static int cmd_info(struct primeshare *ctx, uint64_t handle, const char *text)
{
	struct primeshare_desc *d;
	char buf[256], age[32];
	int ret;

	ret = primeshare_query(ctx, handle, &d);
	if (ret < 0)
		return json_error(handle_error("query", text, -ret));
	if (json) {
		print_json_desc(d);
		putchar('\n');
	} else {
		printf("handle:        %s\n", text);
		printf("size:          %" PRIu64 "\n", primeshare_desc_size(d));
		user_name(primeshare_desc_uid(d), buf, sizeof(buf));
		printf("owner:         %s (uid %u)\n", buf,
		       (unsigned int)primeshare_desc_uid(d));
		group_name(primeshare_desc_gid(d), buf, sizeof(buf));
		printf("group:         %s (gid %u)\n", buf,
		       (unsigned int)primeshare_desc_gid(d));
		printf("mode:          %04o\n", primeshare_desc_mode(d));
		printf("lifetime:      %s\n",
		       lifetime_name(primeshare_desc_lifetime(d)));
		printf("imports:       %u\n", primeshare_desc_imports(d));
		printf("holders:       %u\n", primeshare_desc_holders(d));
		printf("metadata size: %zu\n", primeshare_desc_metadata_size(d));
		printf("keyed mutex:   %s\n",
		       primeshare_desc_has_keyed_mutex(d) ? "yes" : "no");
		format_age(primeshare_desc_age_ns(d), age, sizeof(age));
		printf("age:           %s\n", age);
		if (primeshare_desc_exporter_pid(d) > 0)
			printf("exporter:      %s (pid %d)\n",
			       primeshare_desc_exporter_comm(d),
			       (int)primeshare_desc_exporter_pid(d));
		else
			printf("exporter:      %s (exited or not visible)\n",
			       primeshare_desc_exporter_comm(d));
	}
	primeshare_desc_free(d);
	return fflush(stdout) ? EXIT_FAILURE : 0;
}

static int cmd_release(struct primeshare *ctx, uint64_t handle,
		       const char *text)
{
	int ret;

	/*
	 * A plain release from a fresh session could only succeed for
	 * nothing: the session exported nothing and holds nothing.  From the
	 * command line, "release" is the forced release, which the owner and
	 * the administrator may do, as ipcrm(1) removes an IPC object.
	 */
	ret = primeshare_revoke(ctx, handle);
	if (ret < 0)
		return handle_error("release", text, -ret);
	return 0;
}

static const char *const feature_names[] = {
	"export", "refcounted", "oneshot", "metadata", "list", "force-release",
	"limits", "keyed-mutex",
};

/* The module's version from sysfs, or "" when the module has none. */
static void module_version(char *buf, size_t size)
{
	FILE *f = fopen("/sys/module/primeshare/version", "re");

	buf[0] = '\0';
	if (!f)
		return;
	if (fgets(buf, (int)size, f))
		buf[strcspn(buf, "\n")] = '\0';
	fclose(f);
}

static int cmd_version(void)
{
	struct primeshare *ctx;
	unsigned int major = 0, minor = 0;
	char modver[64];
	uint64_t features;
	size_t i;
	int ret, status;

	status = open_session(&ctx);
	if (status) {
		/* Still say what is known: the library. */
		if (json) {
			printf("{\"library\":\"%s\",\"module\":null,",
			       primeshare_library_version());
			json_error_member(status);
			printf("}\n");
		}
		else
			printf("library: %s\nmodule:  not loaded\n",
			       primeshare_library_version());
		return status;
	}
	ret = primeshare_uapi_version(ctx, &major, &minor);
	if (ret < 0) {
		primeshare_close(ctx);
		warnx("cannot read the uAPI version: %s", strerror(-ret));
		return json_error(EXIT_FAILURE);
	}
	features = primeshare_features(ctx);
	module_version(modver, sizeof(modver));
	if (json) {
		printf("{\"library\":\"%s\",\"library_uapi\":\"%u.%u\",",
		       primeshare_library_version(),
		       PRIMESHARE_UAPI_VERSION_MAJOR,
		       PRIMESHARE_UAPI_VERSION_MINOR);
		printf("\"module\":{\"version\":");
		json_string(modver);
		printf(",\"uapi\":\"%u.%u\",\"features\":[", major, minor);
		for (i = 0; i < sizeof(feature_names) / sizeof(*feature_names);
		     i++) {
			if (!(features & (1ULL << i)))
				continue;
			printf("%s\"%s\"", (features & ((1ULL << i) - 1)) ?
			       "," : "", feature_names[i]);
		}
		printf("],\"max_metadata_size\":%" PRId64
		       ",\"max_handles_per_session\":%" PRId64
		       ",\"max_handles_per_user\":%" PRId64
		       ",\"max_handles\":%" PRId64 "}}\n",
		       primeshare_limit(ctx, PRIMESHARE_LIMIT_METADATA_SIZE),
		       primeshare_limit(ctx,
					PRIMESHARE_LIMIT_HANDLES_PER_SESSION),
		       primeshare_limit(ctx, PRIMESHARE_LIMIT_HANDLES_PER_USER),
		       primeshare_limit(ctx, PRIMESHARE_LIMIT_HANDLES));
	} else {
		printf("library: %s (uAPI %u.%u)\n",
		       primeshare_library_version(),
		       PRIMESHARE_UAPI_VERSION_MAJOR,
		       PRIMESHARE_UAPI_VERSION_MINOR);
		printf("module:  %s (uAPI %u.%u)\n", *modver ? modver : "?",
		       major, minor);
		printf("features:");
		for (i = 0; i < sizeof(feature_names) / sizeof(*feature_names);
		     i++)
			if (features & (1ULL << i))
				printf(" %s", feature_names[i]);
		printf("\nlimits:  metadata %" PRId64 " bytes, %" PRId64
		       " handles per session, %" PRId64 " per user, %" PRId64
		       " in all\n",
		       primeshare_limit(ctx, PRIMESHARE_LIMIT_METADATA_SIZE),
		       primeshare_limit(ctx,
					PRIMESHARE_LIMIT_HANDLES_PER_SESSION),
		       primeshare_limit(ctx, PRIMESHARE_LIMIT_HANDLES_PER_USER),
		       primeshare_limit(ctx, PRIMESHARE_LIMIT_HANDLES));
	}
	primeshare_close(ctx);
	return fflush(stdout) ? EXIT_FAILURE : 0;
}

static void usage(FILE *f)
{
	fputs("usage: primeshare [--json] list\n"
	      "       primeshare [--json] info HANDLE\n"
	      "       primeshare release HANDLE\n"
	      "       primeshare [--json] version\n"
	      "       primeshare --help | --version\n"
	      "\n"
	      "List, describe and release primeshare handles (psh- and 16 hex digits).\n"
	      "  list     the handles you may import, with owner, mode and lifetime\n"
	      "  info     one handle in detail\n"
	      "  release  end a handle now: allowed to its owner and to\n"
	      "           CAP_SYS_ADMIN; fds imported before stay valid\n"
	      "  version  library, uAPI and module versions, features and limits\n"
	      "  -j, --json  machine-readable output for list, info and version\n"
	      "  -V, --version  this program's version (no module needed)\n"
	      "\n"
	      "Exit status: 0 ok, 1 error, 2 usage, 3 module not loaded,\n"
	      "4 no such handle, 5 permission denied.\n"
	      "PRIMESHARE_DEVICE names another device node.\n", f);
}

/* Options go before or after the command: 0, or an exit status + 1. */
static int parse_options(int argc, char **argv)
{
	static const struct option options[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "+jhV", options, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = true;
			break;
		case 'h':
			usage(stdout);
			return 1;
		case 'V':
			printf("primeshare %s\n", PACKAGE_VERSION);
			return fflush(stdout) ? EXIT_FAILURE + 1 : 1;
		default:
			usage(stderr);
			return EXIT_USAGE + 1;
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct primeshare *ctx;
	uint64_t handle = 0;
	const char *cmd;
	int status, nargs;

	status = parse_options(argc, argv);
	if (status)
		return status - 1;
	if (optind >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	cmd = argv[optind++];
	status = parse_options(argc, argv);
	if (status)
		return status - 1;
	nargs = argc - optind;

	if (!strcmp(cmd, "version")) {
		if (nargs)
			goto bad_args;
		return cmd_version();
	}
	if (!strcmp(cmd, "list")) {
		if (nargs)
			goto bad_args;
	} else if (!strcmp(cmd, "info") || !strcmp(cmd, "release")) {
		if (nargs != 1)
			goto bad_args;
		if (!strcmp(cmd, "release") && json) {
			warnx("--json applies to list, info and version");
			return json_error(EXIT_USAGE);
		}
		/* Text that is not a handle is wrong with or without the module. */
		status = parse_handle(argv[optind], &handle);
		if (status)
			return json_error(status);
	} else if (!strcmp(cmd, "help")) {
		usage(stdout);
		return 0;
	} else {
		warnx("unknown command '%s'", cmd);
		usage(stderr);
		return json_error(EXIT_USAGE);
	}

	status = open_session(&ctx);
	if (status)
		return json_error(status);
	if (!strcmp(cmd, "list"))
		status = cmd_list(ctx);
	else if (!strcmp(cmd, "info"))
		status = cmd_info(ctx, handle, argv[optind]);
	else
		status = cmd_release(ctx, handle, argv[optind]);
	primeshare_close(ctx);
	return status;

bad_args:
	warnx("wrong number of arguments for '%s'", cmd);
	usage(stderr);
	return json_error(EXIT_USAGE);
}
