/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * daemon_test - the pid file and the unix socket file are never written
 * through a link an attacker planted: a symbolic or hard link at the pid
 * path, or a symbolic link swapped in for the socket after bind(), leaves
 * its target untouched; a stale pid file is taken over, a locked one is
 * refused with the running pid.
 *
 * Each case works in a fresh directory below RG_SAFE_TMPDIR.
 */
#include "daemon.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "rg_test.h"

struct dir {
	char path[PATH_MAX];
};

/* dir_setup - a fresh directory for one case */
static int
dir_setup(void **state)
{
	struct dir *d = calloc(1, sizeof(*d));

	if (d == NULL || rg_tmpdir_make("daemon", d->path, sizeof(d->path)) < 0)
		return -1;
	*state = d;
	return 0;
}

/* dir_teardown - remove it */
static int
dir_teardown(void **state)
{
	struct dir *d = *state;

	rg_tmpdir_remove(d->path);
	free(d);
	return 0;
}

/* in_dir - DIR/name */
static const char *
in_dir(void **state, const char *name, char *buf, size_t size)
{
	const struct dir *d = *state;

	assert_true(snprintf(buf, size, "%s/%s", d->path, name) <
		    (int)size);
	return buf;
}

/* file_text - the whole of a small file */
static const char *
file_text(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY);
	ssize_t n;

	assert_true(fd >= 0);
	n = read(fd, buf, size - 1);
	assert_true(n >= 0);
	buf[n] = '\0';
	close(fd);
	return buf;
}

/* --- pid file ------------------------------------------------------------ */

/* test_pid_file_is_created_with_our_pid */
static void
test_pid_file_is_created_with_our_pid(void **state)
{
	struct daemon_pid p;
	struct err e;
	char path[PATH_MAX];
	char want[32];
	char got[64];
	struct stat st;

	in_dir(state, "x.pid", path, sizeof(path));
	assert_int_equal(daemon_pid_lock(path, &p, &e), 0);
	assert_int_equal(daemon_pid_write(&p, &e), 0);
	snprintf(want, sizeof(want), "%ld\n", (long)getpid());
	assert_string_equal(file_text(path, got, sizeof(got)), want);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0644);
	daemon_pid_remove(path, &p);
	assert_int_equal(access(path, F_OK), -1);
}

/* test_stale_pid_file_is_taken_over - a file left by a dead process */
static void
test_stale_pid_file_is_taken_over(void **state)
{
	struct daemon_pid p;
	struct err e;
	char path[PATH_MAX];
	char want[32];
	char got[64];

	in_dir(state, "x.pid", path, sizeof(path));
	assert_int_equal(rg_write_file(path, "2147483000 and more junk\n",
				       0644), 0);
	assert_int_equal(daemon_pid_lock(path, &p, &e), 0);
	assert_int_equal(daemon_pid_write(&p, &e), 0);
	snprintf(want, sizeof(want), "%ld\n", (long)getpid());
	assert_string_equal(file_text(path, got, sizeof(got)), want);
	daemon_pid_remove(path, &p);
}

/* test_locked_pid_file_is_refused_with_its_pid - a running instance
 * (another open file description holds the lock) */
static void
test_locked_pid_file_is_refused_with_its_pid(void **state)
{
	struct daemon_pid first;
	struct daemon_pid second;
	struct err e;
	char path[PATH_MAX];
	char want[128];

	in_dir(state, "x.pid", path, sizeof(path));
	assert_int_equal(daemon_pid_lock(path, &first, &e), 0);
	assert_int_equal(daemon_pid_write(&first, &e), 0);
	assert_int_equal(daemon_pid_lock(path, &second, &e), -1);
	snprintf(want, sizeof(want), "is locked: already running as pid %ld",
		 (long)getpid());
	assert_true(rg_has(e.text, want));
	assert_int_equal(second.fd, -1);
	daemon_pid_remove(path, &first);
}

/* test_symlink_at_pid_path_is_refused_target_untouched */
static void
test_symlink_at_pid_path_is_refused_target_untouched(void **state)
{
	struct daemon_pid p;
	struct err e;
	char path[PATH_MAX];
	char target[PATH_MAX];
	char got[64];
	struct stat st;

	in_dir(state, "x.pid", path, sizeof(path));
	in_dir(state, "victim", target, sizeof(target));
	assert_int_equal(rg_write_file(target, "precious\n", 0600), 0);
	assert_int_equal(symlink(target, path), 0);
	assert_int_equal(daemon_pid_lock(path, &p, &e), -1);
	assert_true(rg_has(e.text, "is a symbolic link"));
	assert_string_equal(file_text(target, got, sizeof(got)), "precious\n");
	assert_int_equal(stat(target, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
}

/* test_dangling_symlink_at_pid_path_creates_nothing */
static void
test_dangling_symlink_at_pid_path_creates_nothing(void **state)
{
	struct daemon_pid p;
	struct err e;
	char path[PATH_MAX];
	char target[PATH_MAX];

	in_dir(state, "x.pid", path, sizeof(path));
	in_dir(state, "would-be-created", target, sizeof(target));
	assert_int_equal(symlink(target, path), 0);
	assert_int_equal(daemon_pid_lock(path, &p, &e), -1);
	assert_int_equal(access(target, F_OK), -1);
}

/* test_hard_link_at_pid_path_is_refused_target_untouched - the old
 * O_TRUNC open wrote the pid into the linked file */
static void
test_hard_link_at_pid_path_is_refused_target_untouched(void **state)
{
	struct daemon_pid p;
	struct err e;
	char path[PATH_MAX];
	char target[PATH_MAX];
	char got[64];

	in_dir(state, "x.pid", path, sizeof(path));
	in_dir(state, "victim", target, sizeof(target));
	assert_int_equal(rg_write_file(target, "precious\n", 0644), 0);
	assert_int_equal(link(target, path), 0);
	assert_int_equal(daemon_pid_lock(path, &p, &e), -1);
	assert_true(rg_has(e.text, "2 links"));
	assert_string_equal(file_text(target, got, sizeof(got)), "precious\n");
}

/* test_file_of_another_user_is_refused */
static void
test_file_of_another_user_is_refused(void **state)
{
	struct daemon_pid p;
	struct err e;
	char path[PATH_MAX];
	char got[64];

	if (geteuid() != 0)
		skip();
	in_dir(state, "x.pid", path, sizeof(path));
	assert_int_equal(rg_write_file(path, "theirs\n", 0644), 0);
	assert_int_equal(chown(path, 65534, 65534), 0);
	assert_int_equal(daemon_pid_lock(path, &p, &e), -1);
	assert_true(rg_has(e.text, "uid 65534"));
	assert_string_equal(file_text(path, got, sizeof(got)), "theirs\n");
}

/* test_directory_at_pid_path_is_refused */
static void
test_directory_at_pid_path_is_refused(void **state)
{
	struct daemon_pid p;
	struct err e;
	char path[PATH_MAX];

	in_dir(state, "x.pid", path, sizeof(path));
	assert_int_equal(mkdir(path, 0755), 0);
	assert_int_equal(daemon_pid_lock(path, &p, &e), -1);
}

/* test_remove_leaves_a_replaced_file_alone - the name now belongs to
 * someone else (a new instance): not ours to remove */
static void
test_remove_leaves_a_replaced_file_alone(void **state)
{
	struct daemon_pid p;
	struct err e;
	char path[PATH_MAX];
	char moved[PATH_MAX];

	in_dir(state, "x.pid", path, sizeof(path));
	in_dir(state, "moved", moved, sizeof(moved));
	assert_int_equal(daemon_pid_lock(path, &p, &e), 0);
	assert_int_equal(rename(path, moved), 0);
	assert_int_equal(rg_write_file(path, "1\n", 0644), 0);
	daemon_pid_remove(path, &p);
	assert_int_equal(access(path, F_OK), 0);
}

/* test_empty_path_means_no_pid_file */
static void
test_empty_path_means_no_pid_file(void **state)
{
	struct daemon_pid p;
	struct err e;

	(void)state;
	assert_int_equal(daemon_pid_lock("", &p, &e), 0);
	assert_int_equal(p.fd, -1);
	assert_int_equal(daemon_pid_write(&p, &e), 0);
	daemon_pid_remove("", &p);
}

/* --- unix socket file ---------------------------------------------------- */

/* bind_socket - a listening unix socket at path, made with mode */
static int
bind_socket(const char *path, mode_t mode)
{
	struct sockaddr_un sun;
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	mode_t old;
	int rc;

	assert_true(fd >= 0);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	assert_true(strlen(path) < sizeof(sun.sun_path));
	memcpy(sun.sun_path, path, strlen(path) + 1);
	old = umask(0777 & ~mode);
	rc = bind(fd, (struct sockaddr *)&sun, sizeof(sun));
	umask(old);
	assert_int_equal(rc, 0);
	return fd;
}

/* test_socket_gets_owner_group_and_mode */
static void
test_socket_gets_owner_group_and_mode(void **state)
{
	char path[PATH_MAX];
	struct stat st;
	struct err e;
	int fd;

	if (geteuid() != 0)
		skip();
	in_dir(state, "s.sock", path, sizeof(path));
	fd = bind_socket(path, 0660);
	assert_int_equal(daemon_socket_own(path, 65534, 65534, 0640, &e), 0);
	assert_int_equal(lstat(path, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0640);
	assert_int_equal(st.st_uid, 65534);
	assert_int_equal(st.st_gid, 65534);
	close(fd);
}

/* test_socket_mode_from_umask_is_kept */
static void
test_socket_mode_from_umask_is_kept(void **state)
{
	char path[PATH_MAX];
	struct stat st;
	struct err e;
	int fd;

	in_dir(state, "s.sock", path, sizeof(path));
	fd = bind_socket(path, 0660);
	assert_int_equal(daemon_socket_own(path, (uid_t)-1, (gid_t)-1, 0660,
					   &e), 0);
	assert_int_equal(lstat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0660);
	close(fd);
}

/* test_symlink_swapped_for_socket_is_refused_target_untouched - an
 * attacker who can write the directory replaces the new socket with a
 * link to a file of root's between bind() and chown()/chmod() */
static void
test_symlink_swapped_for_socket_is_refused_target_untouched(void **state)
{
	char path[PATH_MAX];
	char target[PATH_MAX];
	struct stat before;
	struct stat after;
	struct err e;
	int fd;

	in_dir(state, "s.sock", path, sizeof(path));
	in_dir(state, "victim", target, sizeof(target));
	assert_int_equal(rg_write_file(target, "secret\n", 0600), 0);
	assert_int_equal(stat(target, &before), 0);
	fd = bind_socket(path, 0660);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(symlink(target, path), 0);
	assert_int_equal(daemon_socket_own(path, 65534, 65534, 0666, &e), -1);
	assert_true(rg_has(e.text, "is no longer the socket we made"));
	assert_int_equal(stat(target, &after), 0);
	assert_int_equal(after.st_mode, before.st_mode);
	assert_int_equal(after.st_uid, before.st_uid);
	assert_int_equal(after.st_gid, before.st_gid);
	close(fd);
}

/* test_file_swapped_for_socket_is_refused */
static void
test_file_swapped_for_socket_is_refused(void **state)
{
	char path[PATH_MAX];
	struct stat st;
	struct err e;
	int fd;

	in_dir(state, "s.sock", path, sizeof(path));
	fd = bind_socket(path, 0660);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(rg_write_file(path, "x", 0600), 0);
	assert_int_equal(daemon_socket_own(path, 65534, 65534, 0666, &e), -1);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	close(fd);
}

/* test_missing_socket_is_an_error */
static void
test_missing_socket_is_an_error(void **state)
{
	char path[PATH_MAX];
	struct err e;

	in_dir(state, "none.sock", path, sizeof(path));
	assert_int_equal(daemon_socket_own(path, (uid_t)-1, (gid_t)-1, 0660,
					   &e), -1);
	assert_true(rg_has(e.text, "No such file"));
}

/* test_missing_pid_directory_is_made_one_level - /run/relayguard after a
 * reboot without systemd: made 0755; two levels missing: left alone */
static void
test_missing_pid_directory_is_made_one_level(void **state)
{
	struct daemon_pid p;
	struct err e;
	char path[PATH_MAX];
	char dir[PATH_MAX];
	struct stat st;

	in_dir(state, "run/x.pid", path, sizeof(path));
	in_dir(state, "run", dir, sizeof(dir));
	assert_true(daemon_pid_dir_makeable(path));
	assert_int_equal(daemon_pid_dir(path, &e), 0);
	assert_int_equal(stat(dir, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0755);
	assert_false(daemon_pid_dir_makeable(path));
	assert_int_equal(daemon_pid_lock(path, &p, &e), 0);
	daemon_pid_remove(path, &p);
	assert_int_equal(rmdir(dir), 0);

	in_dir(state, "a/b/x.pid", path, sizeof(path));
	assert_false(daemon_pid_dir_makeable(path));
	assert_int_equal(daemon_pid_dir(path, &e), 0);
	in_dir(state, "a", dir, sizeof(dir));
	assert_int_equal(access(dir, F_OK), -1);
}

/* test_symlink_at_pid_directory_is_not_made - a dangling link where the
 * directory would be: nothing is made at its target */
static void
test_symlink_at_pid_directory_is_not_made(void **state)
{
	struct err e;
	char path[PATH_MAX];
	char link_path[PATH_MAX];
	char target[PATH_MAX];

	in_dir(state, "elsewhere", target, sizeof(target));
	in_dir(state, "run", link_path, sizeof(link_path));
	assert_int_equal(symlink(target, link_path), 0);
	in_dir(state, "run/x.pid", path, sizeof(path));
	assert_false(daemon_pid_dir_makeable(path));
	assert_int_equal(daemon_pid_dir(path, &e), 0);
	assert_int_equal(access(target, F_OK), -1);
	assert_int_equal(unlink(link_path), 0);
}

#define CASE(fn) cmocka_unit_test_setup_teardown(fn, dir_setup, dir_teardown)

int
main(void)
{
	static const struct CMUnitTest tests[] = {
		CASE(test_pid_file_is_created_with_our_pid),
		CASE(test_stale_pid_file_is_taken_over),
		CASE(test_locked_pid_file_is_refused_with_its_pid),
		CASE(test_symlink_at_pid_path_is_refused_target_untouched),
		CASE(test_dangling_symlink_at_pid_path_creates_nothing),
		CASE(test_hard_link_at_pid_path_is_refused_target_untouched),
		CASE(test_file_of_another_user_is_refused),
		CASE(test_directory_at_pid_path_is_refused),
		CASE(test_remove_leaves_a_replaced_file_alone),
		CASE(test_empty_path_means_no_pid_file),
		CASE(test_socket_gets_owner_group_and_mode),
		CASE(test_socket_mode_from_umask_is_kept),
		CASE(test_symlink_swapped_for_socket_is_refused_target_untouched),
		CASE(test_file_swapped_for_socket_is_refused),
		CASE(test_missing_socket_is_an_error),
		CASE(test_missing_pid_directory_is_made_one_level),
		CASE(test_symlink_at_pid_directory_is_not_made),
	};

	return cmocka_run_group_tests_name("daemon", tests, NULL, NULL);
}
