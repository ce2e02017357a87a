/*
 * tsctl-init: the last mile of a container, which a shell cannot do safely.
 *
 * After pivot_root no dynamic host binary may run inside the container's
 * root (the CVE-2019-5736 class), and dropping capabilities, no_new_privs,
 * closing leaked fds and detaching the old root need system calls. It also
 * does the mount set-up itself: every fork+exec of a shell step costs 1-3 ms.
 *
 * It never interprets a user string: argv/env/paths are read from the pod
 * bundle's plain files (NUL-separated) and used as bytes.
 *
 * Usage:
 *   tsctl-init infra PIDFILE HOSTNAMEFILE NSLIST
 *   tsctl-init run CDIR RUNDIR PODDIR LAYERS NSPID NSLIST CGFILE LOGFILE
 *   tsctl-init exec CDIR RUNDIR CGFILE ARG...|--argv-file FILE
 *   tsctl-init probe-tcp NSPID PORT TIMEOUT
 *   tsctl-init probe-http NSPID PORT PATH TIMEOUT
 *   tsctl-init whiteout LAYERROOT WHITEOUTSFILE OPAQUEFILE
 *   tsctl-init sleep MS
 *   tsctl-init devices v1|v2 CGROUPDIR (devices.c)
 *   tsctl-init item-modes DIR MODESFILE
 *   tsctl-init supervise ROOT UID      (supervise.c)
 *
 * Built static (musl-gcc -static) for amd64 and arm64 by build.sh.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <grp.h>

#include "tsctl-init.h"

extern char **environ;

#ifndef PR_CAP_AMBIENT
#define PR_CAP_AMBIENT 47
#define PR_CAP_AMBIENT_CLEAR_ALL 4
#endif
#ifndef MNT_DETACH
#define MNT_DETACH 2
#endif

/* Set by `run`: where the shim records an exit, so a failure before the
 * container exists still reaches the supervisor as exit code 127. */
static char *shim_exit_file;
static pid_t shim_pid;

static void record_start_failure(void) {
	if (!shim_exit_file || getpid() != shim_pid) return;
	char tmp[4200], buf[64];
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	fmt(buf, sizeof buf, "127 0 %lld\n", (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
	fmt(tmp, sizeof tmp, "%s.tmp.%d", shim_exit_file, (int)getpid());
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) return;
	if (write(fd, buf, strlen(buf)) < 0) {}
	close(fd);
	rename(tmp, shim_exit_file);
	const char *notify = getenv("TSCTL_NOTIFY_PID");
	if (notify && atoi(notify) > 1 && atoi(notify) == (int)getppid()) kill(getppid(), SIGUSR1);
}

void die(const char *fmt, ...) {
	va_list ap;
	va_start(ap, fmt);
	fputs("tsctl-init: ", stderr);
	vfprintf(stderr, fmt, ap);
	if (errno) fprintf(stderr, ": %s", strerror(errno));
	fputc('\n', stderr);
	va_end(ap);
	record_start_failure();
	exit(127);
}

/* Allocation never fails silently: a helper out of memory says so and exits like any other start failure. */
void *xmalloc(size_t n) {
	void *p = malloc(n ? n : 1);
	if (!p) die("out of memory (%zu bytes)", n);
	return p;
}

void *xrealloc(void *old, size_t n) {
	void *p = realloc(old, n ? n : 1);
	if (!p) die("out of memory (%zu bytes)", n);
	return p;
}

char *xstrdup(const char *s) {
	char *p = strdup(s);
	if (!p) die("out of memory");
	return p;
}

/* snprintf that refuses to truncate: a path or line cut short would name the wrong file. */
void fmt(char *buf, size_t size, const char *format, ...) {
	va_list ap;
	va_start(ap, format);
	int n = vsnprintf(buf, size, format, ap);
	va_end(ap);
	errno = 0;
	if (n < 0 || (size_t)n >= size) die("value too long for a %zu-byte buffer: %.60s...", size, buf);
}

/* ---- small file helpers ---- */

/* Reads a whole file; returns NULL (errno set) when it does not exist. */
char *slurp(const char *path, size_t *len) {
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) return NULL;
	size_t cap = 4096, n = 0;
	char *buf = xmalloc(cap + 1);
	for (;;) {
		if (n == cap) buf = xrealloc(buf, (cap *= 2) + 1);
		ssize_t r = read(fd, buf + n, cap - n);
		if (r < 0) { if (errno == EINTR) continue; die("read %s", path); }
		if (r == 0) break;
		n += (size_t)r;
	}
	close(fd);
	buf[n] = 0;
	if (len) *len = n;
	return buf;
}

char *pathcat(const char *a, const char *b) {
	char *p = xmalloc(strlen(a) + strlen(b) + 2);
	sprintf(p, "%s/%s", a, b);
	return p;
}

/* Splits a NUL-separated file into a NULL-terminated vector. */
char **nul_list(const char *path, int *count) {
	size_t len = 0;
	char *buf = slurp(path, &len);
	int n = 0;
	char **v = xmalloc(sizeof(char *));
	if (buf) {
		for (size_t i = 0; i < len;) {
			v = xrealloc(v, sizeof(char *) * (n + 2));
			v[n++] = buf + i;
			i += strlen(buf + i) + 1;
		}
	}
	v[n] = NULL;
	if (count) *count = n;
	return v;
}

/* First line of a file, trimmed; dflt when missing. */
char *line_of(const char *path, const char *dflt) {
	char *s = slurp(path, NULL);
	if (!s) { errno = 0; return (char *)dflt; }
	s[strcspn(s, "\n")] = 0;
	return s;
}

int has_word(const char *words, const char *w) {
	if (!words) return 0;
	size_t n = strlen(w);
	for (const char *p = words; (p = strstr(p, w)); p += n)
		if ((p == words || strchr(" ,\n\t", p[-1])) && strchr(" ,\n\t", p[n] ? p[n] : ' ')) return 1;
	return 0;
}

/* Writes a file atomically (temp + rename) so a reader never sees half of it. */
void write_atomic(const char *path, const char *content) {
	char tmp[4096];
	fmt(tmp, sizeof tmp, "%s.tmp.%d", path, (int)getpid());
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) die("create %s", tmp);
	size_t n = strlen(content);
	if (write(fd, content, n) != (ssize_t)n) die("write %s", tmp);
	close(fd);
	if (rename(tmp, path) < 0) die("rename %s", path);
}

static void write_file(const char *path, const char *content) {
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0) die("open %s", path);
	size_t n = strlen(content);
	if (write(fd, content, n) != (ssize_t)n) die("write %s", path);
	close(fd);
}

/* ---- namespaces ---- */

static const struct { const char *name; int flag; } nsnames[] = {
	{"ipc", CLONE_NEWIPC}, {"uts", CLONE_NEWUTS}, {"net", CLONE_NEWNET}, {"pid", CLONE_NEWPID}, {"mnt", CLONE_NEWNS},
};

/* Joins the namespaces named in NSLIST of process NSPID (mnt last: it changes the root). */
static void join_ns(const char *nspid, const char *nslist) {
	if (!nspid || !strcmp(nspid, "-")) return;
	int fds[5];
	for (int i = 0; i < 5; i++) {
		fds[i] = -1;
		if (!has_word(nslist, nsnames[i].name)) continue;
		char p[128];
		fmt(p, sizeof p, "/proc/%s/ns/%s", nspid, nsnames[i].name);
		fds[i] = open(p, O_RDONLY | O_CLOEXEC);
		if (fds[i] < 0) die("open %s", p);
	}
	for (int i = 0; i < 5; i++) {
		if (fds[i] < 0) continue;
		if (setns(fds[i], nsnames[i].flag) < 0) die("setns %s", nsnames[i].name);
		close(fds[i]);
	}
}

/* Raw clone without a new stack: behaves like fork, with namespace flags. */
static pid_t clone_fork(int flags) {
	return (pid_t)syscall(SYS_clone, (unsigned long)(flags | SIGCHLD), 0, 0, 0, 0);
}

static void lo_up(void) {
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0) die("socket");
	struct ifreq ifr;
	memset(&ifr, 0, sizeof ifr);
	strcpy(ifr.ifr_name, "lo");
	if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0) die("SIOCGIFFLAGS lo");
	ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
	if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0) die("SIOCSIFFLAGS lo");
	close(s);
}

static void reap(int sig) {
	(void)sig;
	while (waitpid(-1, NULL, WNOHANG) > 0) {}
}

static void become_pause(void);
static void close_range_slow(int lo, int hi);

/* The pod's "pause" process: holds net/ipc/uts (and pid) namespaces. */
int cmd_infra(int argc, char **argv) {
	if (argc != 5) die("usage: infra PIDFILE HOSTNAMEFILE NSLIST");
	const char *pidfile = argv[2], *nslist = argv[4];
	int flags = 0;
	for (int i = 0; i < 3; i++) if (has_word(nslist, nsnames[i].name)) flags |= nsnames[i].flag;
	if (flags && unshare(flags) < 0) die("unshare");
	if (flags & CLONE_NEWUTS) {
		char *h = line_of(argv[3], "localhost");
		if (sethostname(h, strlen(h)) < 0) die("sethostname");
	}
	if (flags & CLONE_NEWNET) lo_up();
	char buf[64];
	if (has_word(nslist, "pid")) {
		pid_t c = clone_fork(CLONE_NEWPID | CLONE_NEWNS);
		if (c < 0) die("clone pid");
		if (c == 0) become_pause();
		fmt(buf, sizeof buf, "%d\n", (int)c);
		write_atomic(pidfile, buf);
		int st;
		while (waitpid(c, &st, 0) < 0 && errno == EINTR) {}
		return 0;
	}
	fmt(buf, sizeof buf, "%d\n", (int)getpid());
	write_atomic(pidfile, buf);
	signal(SIGTERM, SIG_DFL);
	for (;;) pause();
}

/* ---- security: capabilities, user, fds ---- */

struct cap_header { unsigned int version; int pid; };
struct cap_data { unsigned int effective, permitted, inheritable; };

static int last_cap = 40;

/* A container's settings, read from its bundle directory before pivot_root hides it. */
struct ctr_config {
	char *flags, *user, *cwd, *caps;
	char *seccomp; /* a classic-BPF program (struct sock_filter[]) the CLI compiled, or NULL: Unconfined */
	size_t seccomp_len;
	char **env, **args;
};

static struct ctr_config load_config(const char *cdir) {
	struct ctr_config c;
	c.flags = line_of(pathcat(cdir, "flags"), "");
	c.user = line_of(pathcat(cdir, "user"), "0 0");
	c.cwd = line_of(pathcat(cdir, "cwd"), "/");
	c.caps = line_of(pathcat(cdir, "caps"), NULL);
#if defined(__aarch64__)
	c.seccomp = slurp(pathcat(cdir, "seccomp-arm64"), &c.seccomp_len);
#else
	c.seccomp = slurp(pathcat(cdir, "seccomp-amd64"), &c.seccomp_len);
#endif
	errno = 0;
	c.env = nul_list(pathcat(cdir, "env"), NULL);
	c.args = nul_list(pathcat(cdir, "argv"), NULL);
	return c;
}

static void read_last_cap(void) {
	char *s = slurp("/proc/sys/kernel/cap_last_cap", NULL);
	if (s) last_cap = atoi(s);
	errno = 0;
}

/*
 * seccomp, where runc puts it: with no_new_privs, last before execve (so the
 * filter need not allow the set-up's own calls); without, before capabilities
 * are dropped, since installing a filter then needs CAP_SYS_ADMIN.
 */
struct sock_filter_ { uint16_t code; uint8_t jt, jf; uint32_t k; };
struct sock_fprog_ { unsigned short len; struct sock_filter_ *filter; };
static void install_seccomp(const struct ctr_config *cfg) {
	if (!cfg->seccomp || has_word(cfg->flags, "privileged")) return;
	if (cfg->seccomp_len == 0 || cfg->seccomp_len % 8 || cfg->seccomp_len / 8 > 4096) { errno = 0; die("bad seccomp program"); }
	struct sock_fprog_ prog = {(unsigned short)(cfg->seccomp_len / 8), (struct sock_filter_ *)cfg->seccomp};
	if (prctl(PR_SET_SECCOMP, 2 /* SECCOMP_MODE_FILTER */, &prog, 0, 0) < 0) die("install seccomp filter");
}

static void set_user_and_caps(const struct ctr_config *cfg) {
	const char *flags = cfg->flags;
	int privileged = has_word(flags, "privileged");
	unsigned uid = 0, gid = 0;
	if (sscanf(cfg->user, "%u %u", &uid, &gid) != 2) { errno = 0; die("bad user file"); }
	unsigned long long keep = 0;
	/* The CLI resolved capabilities.add/drop (and the default set) into numbers: src/host/bundle/capabilities.ts. */
	if (!cfg->caps) { errno = 0; die("bundle has no caps file"); }
	char *end, *p = cfg->caps;
	for (;;) {
		while (*p == ' ') p++;
		if (!*p) break;
		long n = strtol(p, &end, 10);
		if (end == p || n < 0 || n > 63) { errno = 0; die("bad caps file"); }
		keep |= 1ULL << n;
		p = end;
	}
	if (privileged) keep = ~0ULL;
	for (int c = 0; c <= last_cap; c++)
		if (!(keep & (1ULL << c)) && prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0 && errno != EINVAL) die("capbset drop %d", c);
	errno = 0;
	prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	gid_t g = gid;
	if (setgroups(1, &g) < 0) die("setgroups");
	if (setgid(gid) < 0) die("setgid");
	if (setuid(uid) < 0) die("setuid");
	/* privileged: keep whatever the runtime itself holds (the machine's bounding set may be narrower than all caps). */
	if (uid == 0 && !privileged) {
		struct cap_header h = {0x20080522 /* v3 */, 0};
		struct cap_data d[2], held[2];
		memset(d, 0, sizeof d);
		/* `add: [ALL]` means all the runtime holds: a host may run it with a narrower set. */
		if (syscall(SYS_capget, &h, held) < 0) die("capget");
		for (int c = 0; c <= last_cap && c < 64; c++) {
			if (!(keep & (1ULL << c)) || !(held[c / 32].permitted & (1U << (c % 32)))) continue;
			d[c / 32].effective |= 1U << (c % 32);
			d[c / 32].permitted |= 1U << (c % 32);
		}
		if (syscall(SYS_capset, &h, d) < 0) die("capset");
	}
	if (has_word(flags, "noNewPrivs") && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) die("no_new_privs");
}

/*
 * PID 1 of a shared pid namespace (shareProcessNamespace) is visible to every
 * container of the pod: /proc/1/root, /proc/1/mountinfo, /proc/1/environ. So
 * it holds nothing: an empty read-only root in its own mount namespace, no
 * capabilities, no_new_privs, no environment, no open files — runc's pause
 * container, made from this binary by re-executing it through an fd opened
 * before the host's root went away.
 */
static void become_pause(void) {
	int self = open("/proc/self/exe", O_PATH | O_CLOEXEC);
	if (self < 0) die("open /proc/self/exe");
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) die("make / private");
	if (mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=4k,mode=0555") < 0) die("mount pause root");
	if (chdir("/tmp") < 0 || syscall(SYS_pivot_root, ".", ".") < 0 || umount2(".", MNT_DETACH) < 0 || chdir("/") < 0) die("pivot to the pause root");
	if (mount(NULL, "/", NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0) die("read-only pause root");
	read_last_cap();
	for (int c = 0; c <= last_cap; c++)
		if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0 && errno != EINVAL) die("capbset drop %d", c);
	prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) die("no_new_privs");
	struct cap_header h = {0x20080522 /* v3 */, 0};
	struct cap_data none[2];
	memset(none, 0, sizeof none);
	if (syscall(SYS_capset, &h, none) < 0) die("capset");
	close_range_slow(0, self - 1);
	close_range_slow(self + 1, 0x7fffffff);
	char *args[] = {"tsctl-init", "pause", NULL}, *env[] = {NULL};
	syscall(SYS_execveat, self, "", args, env, AT_EMPTY_PATH);
	die("exec pause");
}

__attribute__((noreturn)) static int cmd_pause(void) {
	signal(SIGCHLD, reap);
	for (;;) pause();
}

/* The write end of the shim's exec pipe: O_CLOEXEC, so the app's execve closes it. */
static int exec_notify_fd = -1;

static void close_range_slow(int lo, int hi) {
	/* close_range(2) where available; otherwise the slow loop. */
	if (lo > hi) return;
	if (syscall(436 /* SYS_close_range */, (unsigned)lo, (unsigned)hi, 0) == 0) return;
	errno = 0;
	for (int fd = lo; fd <= hi && fd < 65536; fd++) close(fd);
}

static void close_fds_from(int lowest) {
	if (exec_notify_fd >= lowest) {
		close_range_slow(lowest, exec_notify_fd - 1);
		close_range_slow(exec_notify_fd + 1, 0x7fffffff);
	} else {
		close_range_slow(lowest, 0x7fffffff);
	}
}

static void exec_with_env(const struct ctr_config *cfg, char **args) {
	char **env = cfg->env;
	const char *cwd = cfg->cwd;
	if (!args[0]) die("no command to run (the image has no entrypoint and the container no command)");
	if (chdir(*cwd ? cwd : "/") < 0) die("chdir %s", cwd);
	environ = env;
	close_fds_from(3);
	execvp(args[0], args);
	die("exec %s", args[0]);
}

void join_cgroups(const char *cgfile, pid_t pid) {
	char *list = slurp(cgfile, NULL);
	if (!list) { errno = 0; return; }
	char buf[32];
	fmt(buf, sizeof buf, "%d", (int)pid);
	for (char *line = strtok(list, "\n"); line; line = strtok(NULL, "\n")) {
		char *p = pathcat(line, "cgroup.procs");
		write_file(p, buf);
		free(p);
	}
}

/* ---- mounts ---- */

/* mkdir -p of REL under ROOT, refusing symlinks so a hostile image cannot redirect a mount outside its root. */
static char *safe_target(const char *root, const char *rel, int is_file) {
	char *path = xmalloc(strlen(root) + strlen(rel) + 2);
	strcpy(path, root);
	char *copy = xstrdup(rel), *save = NULL;
	char *parts[256];
	int n = 0;
	for (char *c = strtok_r(copy, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
		if (!strcmp(c, ".") || !*c) continue;
		if (!strcmp(c, "..")) { errno = 0; die("mount path %s contains ..", rel); }
		if (n == 256) die("mount path too deep");
		parts[n++] = c;
	}
	for (int i = 0; i < n; i++) {
		strcat(path, "/");
		strcat(path, parts[i]);
		struct stat st;
		if (lstat(path, &st) == 0) {
			if (S_ISLNK(st.st_mode)) { errno = 0; die("mount path %s goes through a symlink", rel); }
			continue;
		}
		if (i == n - 1 && is_file) {
			int fd = open(path, O_CREAT | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0644);
			if (fd < 0) die("create %s", path);
			close(fd);
		} else if (mkdir(path, 0755) < 0 && errno != EEXIST) die("mkdir %s", path);
	}
	free(copy);
	errno = 0;
	return path;
}

static void bind_mount(const char *src, const char *dst, int ro) {
	if (mount(src, dst, NULL, MS_BIND | MS_REC, NULL) < 0) die("bind %s", src);
	if (ro && mount(NULL, dst, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV, NULL) < 0) die("remount ro %s", dst);
}

static void mkdir_p(const char *path) {
	char *p = xstrdup(path);
	for (char *q = p + 1; *q; q++) {
		if (*q != '/') continue;
		*q = 0;
		if (mkdir(p, 0755) < 0 && errno != EEXIST) die("mkdir %s", p);
		*q = '/';
	}
	if (mkdir(p, 0755) < 0 && errno != EEXIST) die("mkdir %s", p);
	errno = 0;
	free(p);
}

/* hostPath `type`, as the kubelet checks it (and creates for the *OrCreate types). */
static void host_path_type(const char *path, const char *type) {
	struct stat st;
	if (!strcmp(type, "DirectoryOrCreate")) mkdir_p(path);
	if (!strcmp(type, "FileOrCreate") && stat(path, &st) < 0) {
		int fd = open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
		if (fd < 0) die("hostPath FileOrCreate %s", path);
		close(fd);
	}
	if (!*type) return;
	if (stat(path, &st) < 0) die("hostPath %s (type %s)", path, type);
	int ok = 1;
	if (!strcmp(type, "Directory") || !strcmp(type, "DirectoryOrCreate")) ok = S_ISDIR(st.st_mode);
	else if (!strcmp(type, "File") || !strcmp(type, "FileOrCreate")) ok = S_ISREG(st.st_mode);
	else if (!strcmp(type, "Socket")) ok = S_ISSOCK(st.st_mode);
	else if (!strcmp(type, "CharDevice")) ok = S_ISCHR(st.st_mode);
	else if (!strcmp(type, "BlockDevice")) ok = S_ISBLK(st.st_mode);
	if (!ok) { errno = 0; die("hostPath %s is not a %s", path, type); }
}

/*
 * Opens REL beneath BASE as an O_PATH fd, resolving symlinks as the kubelet's
 * subPath check allows them (a configMap's `key -> ..data/key`): a relative
 * link is followed inside the volume, one that climbs out of it ("..") or is
 * absolute is refused, so a link planted by another container cannot lead
 * the mount to the host. Every component is opened O_NOFOLLOW from its
 * parent's fd: nothing is resolved by path twice.
 */
static int open_beneath(const char *base, const char *rel) {
	int fds[256], top = 0, links = 0;
	fds[0] = open(base, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fds[0] < 0) die("open volume %s", base);
	char *rest = xstrdup(rel);
	while (*rest) {
		char *slash = strchr(rest, '/');
		char *c = rest;
		char *after = slash ? slash + 1 : rest + strlen(rest);
		if (slash) *slash = 0;
		if (!*c || !strcmp(c, ".")) { rest = after; continue; }
		if (!strcmp(c, "..")) {
			if (top == 0) { errno = 0; die("subPath %s leaves the volume", rel); }
			close(fds[top--]);
			rest = after;
			continue;
		}
		int next = openat(fds[top], c, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		if (next < 0) die("subPath %s: %s", rel, c);
		struct stat st;
		if (fstat(next, &st) < 0) die("subPath %s", rel);
		if (S_ISLNK(st.st_mode)) {
			char target[4096];
			ssize_t n = readlinkat(next, "", target, sizeof target - 1);
			close(next);
			if (n < 0) die("subPath %s: readlink %s", rel, c);
			target[n] = 0;
			if (target[0] == '/') { errno = 0; die("subPath %s goes through a symlink (%s -> %s) that leaves the volume: refused", rel, c, target); }
			if (++links > 40) { errno = 0; die("subPath %s: too many symlinks", rel); }
			char *joined = xmalloc(strlen(target) + strlen(after) + 2);
			sprintf(joined, "%s/%s", target, after);
			rest = joined;
			continue;
		}
		if (top == 255) { errno = 0; die("subPath %s too deep", rel); }
		fds[++top] = next;
		rest = after;
	}
	for (int i = 0; i < top; i++) close(fds[i]);
	errno = 0;
	return fds[top];
}

/*
 * A mount target, opened from the container's root one component at a time
 * with O_PATH|O_NOFOLLOW and mounted onto through /proc/self/fd: safe_target
 * made the path and refused links, but a container already running in the pod
 * may write into a volume mounted above this target, and a link it plants
 * between that check and the mount must not carry the mount to the host.
 */
static int open_target(const char *root, const char *rel) {
	int fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) die("open %s", root);
	char *copy = xstrdup(rel), *save = NULL;
	for (char *c = strtok_r(copy, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
		if (!strcmp(c, ".")) continue;
		int next = openat(fd, c, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		if (next < 0) die("mount path %s: %s", rel, c);
		struct stat st;
		if (fstat(next, &st) < 0) die("mount path %s", rel);
		if (S_ISLNK(st.st_mode)) { errno = 0; die("mount path %s goes through a symlink", rel); }
		close(fd);
		fd = next;
	}
	free(copy);
	return fd;
}

static void setup_volumes(const char *cdir, const char *poddir, const char *rootfs) {
	int n = 0;
	char **f = nul_list(pathcat(cdir, "mounts"), &n);
	for (int i = 0; i + 3 < n; i += 4) {
		const char *vidx = f[i], *dest = f[i + 1], *sub = f[i + 2], *mode = f[i + 3];
		if (strchr(vidx, '/') || strstr(vidx, "..")) { errno = 0; die("bad volume index"); }
		char vdir[4096];
		fmt(vdir, sizeof vdir, "%s/bundle/volumes/%s", poddir, vidx);
		char *kind = line_of(pathcat(vdir, "kind"), "");
		char *src;
		if (!strcmp(kind, "hostPath")) {
			src = slurp(pathcat(vdir, "source"), NULL);
			if (!src) die("hostPath source");
			host_path_type(src, line_of(pathcat(vdir, "type"), ""));
		} else {
			char vol[4096];
			fmt(vol, sizeof vol, "%s/vol/%s", poddir, vidx);
			src = xstrdup(vol);
		}
		int subfd = -1;
		if (*sub) {
			if (strstr(sub, "..") || sub[0] == '/') { errno = 0; die("subPath %s leaves the volume", sub); }
			/* Another container may write into the volume: a symlink planted there must not lead
			 * the mount out of it (kubelet's subPath safety). Walk the subPath from the volume with
			 * O_PATH|O_NOFOLLOW and mount what was opened, through /proc/self/fd. */
			subfd = open_beneath(src, sub);
			char fdpath[64];
			fmt(fdpath, sizeof fdpath, "/proc/self/fd/%d", subfd);
			src = xstrdup(fdpath);
		}
		struct stat st;
		if (stat(src, &st) < 0) die("volume source %s", src);
		char *dst = safe_target(rootfs, dest, !S_ISDIR(st.st_mode));
		int tfd = open_target(rootfs, dest);
		char tpath[64];
		fmt(tpath, sizeof tpath, "/proc/self/fd/%d", tfd);
		if (mount(src, tpath, NULL, MS_BIND | MS_REC, NULL) < 0) die("bind %s", src);
		/* The remount names the path: through the fd it would name the dentry under the new mount. */
		if (!strcmp(mode, "ro") && mount(NULL, dst, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV, NULL) < 0) die("remount ro %s", dst);
		close(tfd);
		if (subfd >= 0) close(subfd);
	}
}

static void setup_dev(const char *rootfs) {
	char *dev = safe_target(rootfs, "dev", 0);
	if (mount("tmpfs", dev, "tmpfs", MS_NOSUID | MS_STRICTATIME, "mode=755,size=65536k") < 0) die("mount /dev");
	static const char *nodes[] = {"null", "zero", "full", "random", "urandom", "tty"};
	for (size_t i = 0; i < sizeof nodes / sizeof *nodes; i++) {
		char host[64];
		fmt(host, sizeof host, "/dev/%s", nodes[i]);
		char *t = safe_target(dev, nodes[i], 1);
		bind_mount(host, t, 0);
	}
	char *pts = safe_target(dev, "pts", 0);
	if (mount("devpts", pts, "devpts", MS_NOSUID | MS_NOEXEC, "newinstance,ptmxmode=0666,mode=0620") < 0) errno = 0;
	char *shm = safe_target(dev, "shm", 0);
	if (mount("shm", shm, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=1777,size=65536k") < 0) die("mount shm");
	/* POSIX message queues of the pod's IPC namespace, as runc mounts them. */
	char *mq = safe_target(dev, "mqueue", 0);
	if (mount("mqueue", mq, "mqueue", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0) die("mount mqueue");
	static const char *links[][2] = {{"pts/ptmx", "ptmx"}, {"/proc/self/fd", "fd"}, {"/proc/self/fd/0", "stdin"},
		{"/proc/self/fd/1", "stdout"}, {"/proc/self/fd/2", "stderr"}};
	for (size_t i = 0; i < 5; i++) {
		char *l = pathcat(dev, links[i][1]);
		if (symlink(links[i][0], l) < 0 && errno != EEXIST) die("symlink %s", l);
	}
	errno = 0;
}

/* runc's default masked and read-only paths. */
static const char *masked[] = {"/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
	"/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi", "/sys/firmware",
	"/sys/devices/virtual/powercap"};
static const char *readonly[] = {"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"};

static void mask_paths(void) {
	for (size_t i = 0; i < sizeof masked / sizeof *masked; i++) {
		struct stat st;
		if (stat(masked[i], &st) < 0) continue;
		if (S_ISDIR(st.st_mode)) mount("tmpfs", masked[i], "tmpfs", MS_RDONLY, "size=0");
		else mount("/dev/null", masked[i], NULL, MS_BIND, NULL);
	}
	for (size_t i = 0; i < sizeof readonly / sizeof *readonly; i++) {
		if (mount(readonly[i], readonly[i], NULL, MS_BIND | MS_REC, NULL) < 0) continue;
		mount(NULL, readonly[i], NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
	}
	errno = 0;
}

/* In the container's new mount namespace: overlay, volumes, /proc, /dev, /sys, pivot_root. */
static void setup_rootfs(const char *cdir, const char *rundir, const char *poddir, const char *layers, const char *cwd) {
	char *flags = line_of(pathcat(cdir, "flags"), "");
	int privileged = has_word(flags, "privileged");
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) die("make / private");
	/* lowerdir: the pod's init layer on top, then image layers top first. */
	size_t cap = 8192;
	char *opts = xmalloc(cap);
	fmt(opts, cap, "lowerdir=%s/init", poddir);
	char *list = slurp(pathcat(cdir, "layers"), NULL);
	if (!list) die("no layers");
	for (char *l = strtok(list, "\n"); l; l = strtok(NULL, "\n")) {
		if (strncmp(l, "sha256:", 7) || strlen(l) != 71 || strspn(l + 7, "0123456789abcdef") != 64) {
			errno = 0;
			die("bad layer digest");
		}
		if (strlen(opts) + strlen(layers) + 80 > cap) opts = xrealloc(opts, cap *= 2);
		strcat(opts, ":");
		strcat(opts, layers);
		strcat(opts, "/");
		strcat(opts, l + 7);
		strcat(opts, "/root");
	}
	char tail[8192];
	fmt(tail, sizeof tail, ",upperdir=%s/upper,workdir=%s/work", rundir, rundir);
	opts = xrealloc(opts, strlen(opts) + strlen(tail) + 1);
	strcat(opts, tail);
	char *rootfs = pathcat(rundir, "rootfs");
	if (mount("overlay", rootfs, "overlay", 0, opts) < 0) die("mount overlay (%s)", opts);
	setup_volumes(cdir, poddir, rootfs);
	char *proc = safe_target(rootfs, "proc", 0);
	if (mount("proc", proc, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0) die("mount proc");
	setup_dev(rootfs);
	char *sys = safe_target(rootfs, "sys", 0);
	unsigned long sysflags = MS_NOSUID | MS_NODEV | MS_NOEXEC | (privileged ? 0 : MS_RDONLY);
	if (mount("sysfs", sys, "sysfs", sysflags, NULL) < 0) {
		/* sysfs refuses a mount when the net namespace is the host's: bind it instead. */
		errno = 0;
		bind_mount("/sys", sys, !privileged);
	}
	read_last_cap();
	if (chdir(rootfs) < 0) die("chdir rootfs");
	if (syscall(SYS_pivot_root, ".", ".") < 0) die("pivot_root");
	if (umount2(".", MNT_DETACH) < 0) die("detach old root");
	if (chdir("/") < 0) die("chdir /");
	if (!privileged) mask_paths();
	/* A workingDir the image lacks is made, as runc makes it (root-owned, 0755), before the root
	 * can become read-only. The root is the container's now: a symlink on the way cannot leave it. */
	if (*cwd == '/') mkdir_p(cwd);
	if (has_word(flags, "readOnlyRoot") && mount(NULL, "/", NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL) < 0)
		die("read-only root");
}

long long now_ms(void) {
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * The shim: starts the container as pid 1 of its namespaces, puts it in its
 * cgroups before it runs a single instruction of the app, records its pid and
 * then its exit (code, signal, time) atomically for the supervisor.
 */
int cmd_run(int argc, char **argv) {
	if (argc != 10) die("usage: run CDIR RUNDIR PODDIR LAYERS NSPID NSLIST CGFILE LOGFILE");
	/* The runtime works under umask 077 (its files are root's); a container gets runc's 0022. */
	umask(022);
	const char *cdir = argv[2], *rundir = argv[3], *poddir = argv[4], *layers = argv[5];
	const char *nspid = argv[6], *nslist = argv[7], *cgfile = argv[8], *logfile = argv[9];
	shim_pid = getpid();
	shim_exit_file = xmalloc(strlen(rundir) + 6);
	sprintf(shim_exit_file, "%s/exit", rundir);
	int logfd = open(logfile, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
	if (logfd < 0) die("open log %s", logfile);
	int nullfd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	join_ns(nspid, nslist);
	int sync[2], execpipe[2];
	if (pipe2(sync, O_CLOEXEC) < 0 || pipe2(execpipe, O_CLOEXEC) < 0) die("pipe");
	int flags = CLONE_NEWNS | (has_word(nslist, "pid") || has_word(nslist, "hostpid") ? 0 : CLONE_NEWPID);
	pid_t child = clone_fork(flags);
	if (child < 0) die("clone");
	if (child == 0) {
		close(sync[1]);
		close(execpipe[0]);
		exec_notify_fd = execpipe[1];
		char c;
		if (read(sync[0], &c, 1) != 1) _exit(127);
		close(sync[0]);
		dup2(nullfd, 0);
		dup2(logfd, 1);
		dup2(logfd, 2);
		setsid();
		struct ctr_config cfg = load_config(cdir);
		setup_rootfs(cdir, rundir, poddir, layers, cfg.cwd);
		if (!has_word(cfg.flags, "noNewPrivs")) install_seccomp(&cfg);
		set_user_and_caps(&cfg);
		if (has_word(cfg.flags, "noNewPrivs")) install_seccomp(&cfg);
		exec_with_env(&cfg, cfg.args);
	}
	close(sync[0]);
	close(execpipe[1]);
	join_cgroups(cgfile, child);
	if (write(sync[1], "x", 1) != 1) die("sync");
	close(sync[1]);
	/* EOF here means the app's execve happened (or the set-up failed): only
	 * then is the pid published, so `exec` and `status` never see a
	 * half-built container (whose root would still be the host's). */
	char buf[128];
	while (read(execpipe[0], buf, 1) < 0 && errno == EINTR) {}
	close(execpipe[0]);
	errno = 0;
	fmt(buf, sizeof buf, "%d %lld\n", (int)child, now_ms());
	write_atomic(pathcat(rundir, "pid"), buf);
	int st = 0;
	while (waitpid(child, &st, 0) < 0) if (errno != EINTR) die("waitpid");
	int code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	int sig = WIFSIGNALED(st) ? WTERMSIG(st) : 0;
	fmt(buf, sizeof buf, "%d %d %lld\n", code, sig, now_ms());
	write_atomic(pathcat(rundir, "exit"), buf);
	/* Wake the supervisor at once instead of at its next tick; only ever our own parent. */
	const char *notify = getenv("TSCTL_NOTIFY_PID");
	if (notify && atoi(notify) > 1 && atoi(notify) == (int)getppid()) kill(getppid(), SIGUSR1);
	return code;
}

/* Runs ARG... inside a running container: its namespaces, root, cgroups, user and capabilities. */
int cmd_exec(int argc, char **argv) {
	if (argc < 5) die("usage: exec CDIR RUNDIR CGFILE ARG...");
	umask(022);
	const char *cdir = argv[2], *rundir = argv[3];
	char *pidline = line_of(pathcat(rundir, "pid"), NULL);
	if (!pidline) { errno = 0; die("container is not running"); }
	char pid[32];
	fmt(pid, sizeof pid, "%d", atoi(pidline));
	if (kill(atoi(pid), 0) < 0) die("container is not running");
	read_last_cap();
	struct ctr_config cfg = load_config(cdir);
	/* --argv-file FILE: the argv comes NUL-separated from the bundle (probes, hooks). */
	char **args = argc == 7 && !strcmp(argv[5], "--argv-file") ? nul_list(argv[6], NULL) : argv + 5;
	join_cgroups(argv[4], getpid());
	char rootp[64];
	fmt(rootp, sizeof rootp, "/proc/%s/root", pid);
	int rootfd = open(rootp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0) die("open %s", rootp);
	join_ns(pid, "ipc uts net pid mnt");
	if (fchdir(rootfd) < 0 || chroot(".") < 0) die("chroot");
	close(rootfd);
	pid_t c = fork();
	if (c < 0) die("fork");
	if (c == 0) {
		if (!has_word(cfg.flags, "noNewPrivs")) install_seccomp(&cfg);
		set_user_and_caps(&cfg);
		if (has_word(cfg.flags, "noNewPrivs")) install_seccomp(&cfg);
		exec_with_env(&cfg, args);
	}
	int st = 0;
	while (waitpid(c, &st, 0) < 0) if (errno != EINTR) die("waitpid");
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static int connect_in_pod(const char *nspid, const char *port, const char *timeout) {
	join_ns(nspid, "net");
	int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0) die("socket");
	struct timeval tv = {atoi(timeout) > 0 ? atoi(timeout) : 1, 0};
	setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
	setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	struct sockaddr_in a;
	memset(&a, 0, sizeof a);
	a.sin_family = AF_INET;
	a.sin_port = htons((unsigned short)atoi(port));
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(s, (struct sockaddr *)&a, sizeof a) < 0) exit(1);
	return s;
}

int cmd_probe_tcp(int argc, char **argv) {
	if (argc != 5) die("usage: probe-tcp NSPID PORT TIMEOUT");
	close(connect_in_pod(argv[2], argv[3], argv[4]));
	return 0;
}

/* Kubernetes' httpGet probe: 200 <= status < 400 is success. */
int cmd_probe_http(int argc, char **argv) {
	if (argc != 6) die("usage: probe-http NSPID PORT PATH TIMEOUT");
	int s = connect_in_pod(argv[2], argv[3], argv[5]);
	char req[4096];
	int n = snprintf(req, sizeof req, "GET %s HTTP/1.0\r\nHost: 127.0.0.1:%s\r\nUser-Agent: kube-probe/tsctl\r\nAccept: */*\r\n\r\n",
		argv[4], argv[3]);
	if (n >= (int)sizeof req || strpbrk(argv[4], "\r\n ")) return 1;
	if (write(s, req, (size_t)n) != n) return 1;
	char resp[64];
	ssize_t r = read(s, resp, sizeof resp - 1);
	if (r < 12) return 1;
	resp[r] = 0;
	int code = atoi(resp + 9);
	return code >= 200 && code < 400 ? 0 : 1;
}

/* Opens the parent directory of REL under ROOT without following any symlink; returns the last component. */
static int open_parent(int rootfd, char *rel, char **last) {
	int fd = dup(rootfd);
	char *save = NULL, *prev = NULL;
	for (char *c = strtok_r(rel, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
		if (!strcmp(c, "..") ) { errno = 0; die("whiteout path contains .."); }
		if (!strcmp(c, ".")) continue;
		if (prev) {
			int nfd = openat(fd, prev, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (nfd < 0) die("open %s", prev);
			close(fd);
			fd = nfd;
		}
		prev = c;
	}
	if (!prev) { errno = 0; die("empty whiteout path"); }
	*last = prev;
	return fd;
}

/* Turns the image's whiteout lists into overlayfs whiteouts (char 0/0) and opaque xattrs. */
static int cmd_whiteout(int argc, char **argv) {
	if (argc != 5) die("usage: whiteout LAYERROOT WHITEOUTS OPAQUE");
	int rootfd = open(argv[2], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (rootfd < 0) die("open %s", argv[2]);
	char **w = nul_list(argv[3], NULL);
	for (int i = 0; w[i]; i++) {
		if (w[i][0] == '/') { errno = 0; die("absolute whiteout path"); }
		char *last;
		int pfd = open_parent(rootfd, w[i], &last);
		unlinkat(pfd, last, 0);
		errno = 0;
		if (mknodat(pfd, last, S_IFCHR | 0000, makedev(0, 0)) < 0) die("mknod whiteout %s", last);
		close(pfd);
	}
	char **o = nul_list(argv[4], NULL);
	for (int i = 0; o[i]; i++) {
		if (o[i][0] == '/') { errno = 0; die("absolute opaque path"); }
		char *last;
		int pfd = open_parent(rootfd, o[i], &last);
		mkdirat(pfd, last, 0755);
		int dfd = openat(pfd, last, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (dfd < 0) die("open opaque dir %s", last);
		if (fsetxattr(dfd, "trusted.overlay.opaque", "y", 1, 0) < 0) die("set opaque xattr");
		close(dfd);
		close(pfd);
	}
	return 0;
}

/* Sub-second sleep without depending on the host's sleep(1) accepting fractions. */
/*
 * tsctl-init item-modes DIR MODESFILE: MODESFILE is NUL-separated pairs
 * PATH MODE (items[].mode); each PATH, relative to DIR, is opened without
 * following links and must be a regular file there.
 */
static int cmd_item_modes(int argc, char **argv) {
	if (argc != 4) die("usage: item-modes DIR MODESFILE");
	int n = 0;
	char **f = nul_list(argv[3], &n);
	if (!f || n % 2) { errno = 0; die("bad modes file"); }
	for (int i = 0; i + 1 < n; i += 2) {
		char *end;
		long mode = strtol(f[i + 1], &end, 8);
		if (*end || mode < 0 || mode > 07777) { errno = 0; die("bad mode %s", f[i + 1]); }
		char *slash = strrchr(f[i], '/');
		const char *name = slash ? slash + 1 : f[i];
		int dfd = open(argv[2], O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (dfd < 0) die("open %s", argv[2]);
		if (slash) {
			*slash = 0;
			char *save = NULL;
			for (char *c = strtok_r(f[i], "/", &save); c; c = strtok_r(NULL, "/", &save)) {
				if (!strcmp(c, "..")) { errno = 0; die("item path leaves the volume"); }
				int next = openat(dfd, c, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
				if (next < 0) die("item path %s", c);
				close(dfd);
				dfd = next;
			}
		}
		struct stat st;
		if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode)) die("item %s is not a file", name);
		if (fchmodat(dfd, name, (mode_t)mode, 0) < 0) die("chmod %s", name);
		close(dfd);
	}
	return 0;
}

static int cmd_sleep(int argc, char **argv) {
	if (argc != 3) die("usage: sleep MS");
	long ms = atol(argv[2]);
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR) {}
	return 0;
}

int main(int argc, char **argv) {
	errno = 0;
	if (argc < 2) die("usage: tsctl-init infra|run|exec|probe-tcp|probe-http|whiteout|sleep|supervise|devices ...");
	const char *cmd = argv[1];
	if (!strcmp(cmd, "infra")) return cmd_infra(argc, argv);
	if (!strcmp(cmd, "run")) return cmd_run(argc, argv);
	if (!strcmp(cmd, "exec")) return cmd_exec(argc, argv);
	if (!strcmp(cmd, "probe-tcp")) return cmd_probe_tcp(argc, argv);
	if (!strcmp(cmd, "probe-http")) return cmd_probe_http(argc, argv);
	if (!strcmp(cmd, "whiteout")) return cmd_whiteout(argc, argv);
	if (!strcmp(cmd, "sleep")) return cmd_sleep(argc, argv);
	if (!strcmp(cmd, "supervise")) return cmd_supervise(argc, argv);
	if (!strcmp(cmd, "devices")) return cmd_devices(argc, argv);
	if (!strcmp(cmd, "item-modes")) return cmd_item_modes(argc, argv);
	if (!strcmp(cmd, "pause") && argc == 2) return cmd_pause();
	die("unknown command %s", cmd);
	return 127;
}
