/*
 * tsctl-init supervise ROOT UID: the per-pod supervisor.
 *
 * Started detached by `tsctl-runtime apply` (setsid), it survives the SSH
 * session. It starts the infra process, runs the init containers in order,
 * starts the app containers, restarts them per restartPolicy with
 * exponential backoff (10 s doubling to 5 min, reset after 10 min running),
 * runs exec/httpGet/tcpSocket startup/liveness/readiness probes and the
 * postStart/preStop exec hooks, stops with SIGTERM, the grace period, then
 * SIGKILL, rotates logs by size, and writes every status file atomically.
 *
 * It is C, not a shell loop, for its memory: a dash loop costs ~1.9 MiB RSS
 * per pod (mostly libc pages), this ~0.1 MiB. It sleeps in sigtimedwait, so
 * a container exit (SIGCHLD) or a stop request (SIGUSR1) wakes it at once.
 *
 * The pod network (docs/networking.md) is the runtime's shell next to this
 * binary: `tsctl-runtime net-pod-add UID INFRAPID` (CNI ADD) once the infra
 * process runs, before the first container, retried with the backoff while
 * it fails (containers wait with reason NetworkNotReady); and a detached
 * `tsctl-runtime net-refresh` whenever the pod's readiness changes, so the
 * Service rules follow it within one probe period.
 *
 * File formats (read by `tsctl-runtime status`, src/host/protocol.md):
 *   pods/UID/phase          PHASE READY READYSINCE STARTEDAT
 *   pods/UID/ctr/ID/status  STATE REASON EXIT RESTARTS READY STARTED FINISHED LASTREASON LASTEXIT
 */
#define _GNU_SOURCE
#include "tsctl-init.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>

enum { P_STARTUP, P_LIVENESS, P_READINESS, NPROBES };
static const char *probe_names[NPROBES] = {"startup", "liveness", "readiness"};

struct probe {
	int present;
	char kind[8];
	int delay, period, timeout, success, failure;
	long long next;
	int succ, fail;
	int result; /* -1 pending, 0 fail, 1 ok */
};

/* A container's state, as the status line names it (protocol.md). */
enum ctr_state { CTR_WAITING, CTR_RUNNING, CTR_TERMINATED };
static const char *const state_names[] = {"waiting", "running", "terminated"};

struct ctr {
	char id[8];
	int init;
	enum ctr_state state;
	char reason[24], last_reason[24];
	int exit_code, last_exit, restarts, ready;
	long long started, finished, next_start;
	int backoff;
	pid_t shim;
	int exited;
	long ooms_before;
	int started_ok;
	struct probe probes[NPROBES];
	char cdir[4096], rundir[4096];
};

static char *root, *uid, *pod, *bundle, *layers;
static char nspid[32] = "-", nslist[64] = "", netpid[32];
static pid_t infra_child;
static struct ctr *ctrs;
static int nctr;
static char restart_policy[16] = "Always";
static int backoff_base = 10;
static long long started_at;
static long long log_max = 10 * 1024 * 1024;
static sigset_t wake_set;
static char runtime_sh[4352]; /* ROOT/runtime/<hash>/tsctl-runtime, beside this binary */
static int last_ready = -1;

static void net_refresh(void);

/*
 * Path join into a ring of static buffers: the supervisor runs for months,
 * so its hot paths must not allocate per tick. A result stays valid for the
 * next 15 calls; callers use it at once.
 */
static char *pj(const char *a, const char *b) {
	static char ring[16][4352];
	static int next;
	char *p = ring[next++ % 16];
	fmt(p, sizeof ring[0], "%s/%s", a, b);
	return p;
}

static void fmt_ms(char *buf, size_t n, long long v) {
	if (v > 0) fmt(buf, n, "%lld", v);
	else fmt(buf, n, "-");
}

static void save(struct ctr *c) {
	char ex[16], lex[16], st[24], fin[24], line[256];
	if (c->exit_code >= 0) fmt(ex, sizeof ex, "%d", c->exit_code); else strcpy(ex, "-");
	if (c->last_exit >= 0) fmt(lex, sizeof lex, "%d", c->last_exit); else strcpy(lex, "-");
	fmt_ms(st, sizeof st, c->started);
	fmt_ms(fin, sizeof fin, c->finished);
	fmt(line, sizeof line, "%s %s %s %d %d %s %s %s %s\n", state_names[c->state], c->reason[0] ? c->reason : "-", ex, c->restarts,
		c->ready, st, fin, c->last_reason[0] ? c->last_reason : "-", lex);
	write_atomic(pj(c->rundir, "status"), line);
}

static char last_phase[128];

static void set_phase(const char *phase, int ready, long long ready_since) {
	char rs[24], line[128];
	fmt_ms(rs, sizeof rs, ready_since);
	fmt(line, sizeof line, "%s %d %s %lld\n", phase, ready, rs, started_at);
	if (!strcmp(line, last_phase)) return;
	strcpy(last_phase, line);
	write_atomic(pj(pod, "phase"), line);
	/* After the write: the refresh reads readiness from the phase file. */
	if (ready != last_ready) {
		int was = last_ready;
		last_ready = ready;
		if (was != -1 || ready) net_refresh();
	}
}

static int exec_prog(int argc, char **argv) {
	(void)argc;
	execv(argv[0], argv);
	return 127;
}

static void find_runtime(void) {
	char exe[4096];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	errno = 0;
	if (n <= 0) return;
	exe[n] = 0;
	char *slash = strrchr(exe, '/');
	if (!slash) return;
	*slash = 0;
	fmt(runtime_sh, sizeof runtime_sh, "%s/tsctl-runtime", exe);
	if (access(runtime_sh, R_OK) != 0) runtime_sh[0] = 0;
	errno = 0;
}

/*
 * `tsctl-runtime net-refresh`, detached (double fork: the probe loop never
 * waits for it, and it is reaped by init). Bursts coalesce in the runtime:
 * while one refresh waits for the lock, further ones return at once.
 */
static void net_refresh(void) {
	if (!runtime_sh[0] || access(pj(root, "net/applied"), F_OK) != 0) { errno = 0; return; }
	pid_t p = fork();
	if (p == 0) {
		if (fork() == 0) {
			sigprocmask(SIG_UNBLOCK, &wake_set, NULL);
			setsid();
			int fd = open("/dev/null", O_RDWR | O_CLOEXEC);
			if (fd >= 0) dup2(fd, 0);
			char *args[] = {"/bin/sh", runtime_sh, "--root", root, "net-refresh", NULL};
			execv(args[0], args);
			_exit(127);
		}
		_exit(0);
	}
	if (p > 0) waitpid(p, NULL, 0);
	errno = 0;
}

static int read_int(const char *path, int dflt) {
	char *s = slurp(path, NULL);
	errno = 0;
	if (!s) return dflt;
	int v = atoi(s);
	free(s);
	return v;
}

/* How many OOM kills the container's memory cgroup has seen (v1 memory.oom_control, v2 memory.events). */
static long oom_count(struct ctr *c) {
	char *list = slurp(pj(c->rundir, "cgroups"), NULL);
	errno = 0;
	if (!list) return 0;
	long n = 0;
	for (char *line = strtok(list, "\n"); line; line = strtok(NULL, "\n")) {
		static const char *files[] = {"memory.oom_control", "memory.events"};
		for (int i = 0; i < 2; i++) {
			char *text = slurp(pj(line, files[i]), NULL);
			errno = 0;
			if (!text) continue;
			char *p = strstr(text, "oom_kill ");
			if (p) n = atol(p + 9);
			free(text);
		}
	}
	free(list);
	return n;
}

/* SIGKILL every process left in the container's cgroups (v1 has no cgroup.kill). */
static void kill_cgroup(struct ctr *c) {
	char *list = slurp(pj(c->rundir, "cgroups"), NULL);
	errno = 0;
	if (!list) return;
	for (char *line = strtok(list, "\n"); line; line = strtok(NULL, "\n")) {
		char *procs = slurp(pj(line, "cgroup.procs"), NULL);
		errno = 0;
		if (!procs) continue;
		for (char *p = strtok(procs, "\n"); p; p = strtok(NULL, "\n")) if (atoi(p) > 1) kill(atoi(p), SIGKILL);
		free(procs);
	}
	free(list);
}

static pid_t container_pid(struct ctr *c) {
	return (pid_t)read_int(pj(c->rundir, "pid"), 0);
}

/* Signals the container's pid 1 (never pid 0 or 1 of ours: kill(0, …) would hit our own group). */
static void kill_ctr(struct ctr *c, int sig) {
	pid_t p = container_pid(c);
	if (p > 1) kill(p, sig);
	errno = 0;
}

static int rm_entry(const char *p, const struct stat *st, int flag, struct FTW *ftw) {
	(void)st; (void)flag; (void)ftw;
	remove(p);
	return 0;
}

/* Sleeps up to MS, returning early on SIGCHLD (a container exited) or SIGUSR1 (stop requested). */
static void nap(long ms) {
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};
	sigtimedwait(&wake_set, NULL, &ts);
	errno = 0;
}

static int stop_requested(void) {
	return access(pj(pod, "stop"), F_OK) == 0;
}

/* Reaps the shims that exited; the exit file (code, signal, time) is the shim's report. */
static void reap_children(void) {
	for (int i = 0; i < nctr; i++) {
		struct ctr *c = &ctrs[i];
		if (c->shim <= 0 || c->exited) continue;
		int st;
		if (waitpid(c->shim, &st, WNOHANG) == c->shim) c->exited = 1;
	}
	if (infra_child > 0) waitpid(infra_child, NULL, WNOHANG);
	errno = 0;
}

/* Runs FN(args) in a child and waits up to TIMEOUT_S; returns its exit code, or 1 on timeout. */
static int run_child(int (*fn)(int, char **), int argc, char **argv, int timeout_s, const char *log) {
	pid_t p = fork();
	if (p < 0) return 1;
	if (p == 0) {
		sigprocmask(SIG_UNBLOCK, &wake_set, NULL);
		if (log) {
			int fd = open(log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
			if (fd >= 0) { dup2(fd, 1); dup2(fd, 2); }
		} else {
			int fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
			if (fd >= 0) { dup2(fd, 1); dup2(fd, 2); }
		}
		_exit(fn(argc, argv));
	}
	long long deadline = now_ms() + (long long)(timeout_s > 0 ? timeout_s : 1) * 1000;
	for (;;) {
		int st;
		pid_t r = waitpid(p, &st, WNOHANG);
		if (r == p) return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
		if (now_ms() >= deadline) {
			kill(p, SIGKILL);
			waitpid(p, &st, 0);
			errno = 0;
			return 1;
		}
		struct timespec ts = {0, 5 * 1000000};
		nanosleep(&ts, NULL);
	}
}

/* An exec hook or probe inside the container: `tsctl-init exec CDIR RUNDIR CGFILE --argv-file FILE`. */
static int exec_in(struct ctr *c, const char *argvfile, int timeout_s, const char *log) {
	char *args[] = {"tsctl-init", "exec", c->cdir, c->rundir, pj(c->rundir, "cgroups"), "--argv-file", (char *)argvfile, NULL};
	return run_child(cmd_exec, 7, args, timeout_s, log);
}

static void ctr_start(struct ctr *c) {
	unlink(pj(c->rundir, "pid"));
	unlink(pj(c->rundir, "exit"));
	/* The kubelet keeps the log of one previous instance (`logs --previous`); the current
	 * log is this run's alone. The rotated part goes with the run it belongs to. */
	if (c->restarts > 0) {
		if (rename(pj(c->rundir, "log.1"), pj(c->rundir, "previous.1")) < 0) unlink(pj(c->rundir, "previous.1"));
		if (rename(pj(c->rundir, "log"), pj(c->rundir, "previous")) < 0) unlink(pj(c->rundir, "previous"));
		errno = 0;
	}
	/* A restarted container starts from the image again, as in Kubernetes. */
	nftw(pj(c->rundir, "upper"), rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	nftw(pj(c->rundir, "work"), rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	/* Exactly 0755 whatever the umask (the runtime's is 077): upper's mode is the container's /. */
	mkdir(pj(c->rundir, "upper"), 0755);
	chmod(pj(c->rundir, "upper"), 0755);
	mkdir(pj(c->rundir, "work"), 0755);
	errno = 0;
	c->ooms_before = oom_count(c);
	char log[4352], cgroups[4352];
	fmt(log, sizeof log, "%s/log", c->rundir);
	fmt(cgroups, sizeof cgroups, "%s/cgroups", c->rundir);
	pid_t p = fork();
	if (p == 0) {
		sigprocmask(SIG_UNBLOCK, &wake_set, NULL);
		int fd = open(log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
		if (fd >= 0) dup2(fd, 2);
		char *args[] = {"tsctl-init", "run", c->cdir, c->rundir, pod, layers, nspid, nslist, cgroups, log, NULL};
		_exit(cmd_run(10, args));
	}
	c->shim = p;
	c->exited = p < 0;
	/* "running" once the container process exists (the shim writes pid right after the clone). */
	for (int i = 0; i < 1000 && p > 0 && access(pj(c->rundir, "pid"), F_OK) && access(pj(c->rundir, "exit"), F_OK); i++) nap(2);
	char pidbuf[32];
	fmt(pidbuf, sizeof pidbuf, "%d\n", (int)p);
	write_atomic(pj(c->rundir, "shim"), pidbuf);
	c->state = CTR_RUNNING;
	c->reason[0] = 0;
	c->exit_code = -1;
	c->started = now_ms();
	c->finished = 0;
	c->ready = c->probes[P_READINESS].present ? 0 : 1;
	c->started_ok = !c->probes[P_STARTUP].present;
	for (int i = 0; i < NPROBES; i++) {
		c->probes[i].next = 0;
		c->probes[i].succ = c->probes[i].fail = 0;
		c->probes[i].result = -1;
	}
	save(c);
	char hook[4352];
	fmt(hook, sizeof hook, "%s/hooks/poststart", c->cdir);
	if (access(hook, F_OK) == 0) {
		for (int i = 0; i < 400 && access(pj(c->rundir, "pid"), F_OK) && access(pj(c->rundir, "exit"), F_OK); i++) nap(5);
		if (exec_in(c, hook, 30, log) != 0) kill_ctr(c, SIGKILL);
	}
	errno = 0;
}

/* The container exited: record why (OOMKilled when SIGKILL and the OOM counter grew). */
static void ctr_finish(struct ctr *c) {
	int code = 127, sig = 0;
	long long fin = now_ms();
	char *e = slurp(pj(c->rundir, "exit"), NULL);
	errno = 0;
	if (e) {
		sscanf(e, "%d %d %lld", &code, &sig, &fin);
		free(e);
	}
	const char *reason = code == 0 ? "Completed" : "Error";
	if (sig == 9 && oom_count(c) > c->ooms_before) reason = "OOMKilled";
	c->state = CTR_TERMINATED;
	strcpy(c->reason, reason);
	strcpy(c->last_reason, reason);
	c->exit_code = c->last_exit = code;
	c->ready = 0;
	c->finished = fin;
	save(c);
}

static int should_restart(int code) {
	if (!strcmp(restart_policy, "Always")) return 1;
	if (!strcmp(restart_policy, "OnFailure")) return code != 0;
	return 0;
}

/* Exponential backoff: base (10 s) doubling to 300 s, reset after 10 minutes of running. */
static void schedule_restart(struct ctr *c) {
	long long now = now_ms();
	if (c->backoff < 0 || now - c->started >= 600000) c->backoff = backoff_base;
	c->next_start = now + (long long)c->backoff * 1000;
	c->backoff = c->backoff * 2 > 300 ? 300 : c->backoff * 2;
	c->state = CTR_WAITING;
	strcpy(c->reason, "CrashLoopBackOff");
	save(c);
}

static int probe_once(struct ctr *c, int which) {
	struct probe *p = &c->probes[which];
	char dir[4200];
	fmt(dir, sizeof dir, "%s/probes/%s", c->cdir, probe_names[which]);
	if (!strcmp(p->kind, "exec")) return exec_in(c, pj(dir, "argv"), p->timeout, NULL) == 0;
	char port[16], path[2048] = "/", timeout[16];
	char *s = slurp(pj(dir, "port"), NULL);
	fmt(port, sizeof port, "%d", s ? atoi(s) : 0);
	free(s);
	s = slurp(pj(dir, "path"), NULL);
	if (s) {
		s[strcspn(s, "\n")] = 0;
		/* A path too long to send is a failed probe, not a dead supervisor. */
		size_t too_long = strlen(s) >= sizeof path;
		if (!too_long) fmt(path, sizeof path, "%s", s);
		free(s);
		if (too_long) return 0;
	}
	errno = 0;
	fmt(timeout, sizeof timeout, "%d", p->timeout);
	if (!strcmp(p->kind, "tcp")) {
		char *args[] = {"tsctl-init", "probe-tcp", netpid, port, timeout, NULL};
		return run_child(cmd_probe_tcp, 5, args, p->timeout + 1, NULL) == 0;
	}
	if (!strcmp(p->kind, "http")) {
		char *args[] = {"tsctl-init", "probe-http", netpid, port, path, timeout, NULL};
		return run_child(cmd_probe_http, 6, args, p->timeout + 1, NULL) == 0;
	}
	return 0;
}

/* Runs a probe when due; returns its settled result (-1 pending, 0 failed, 1 ok). */
static int probe_tick(struct ctr *c, int which) {
	struct probe *p = &c->probes[which];
	long long now = now_ms();
	if (now < c->started + (long long)p->delay * 1000 || now < p->next) return p->result;
	if (probe_once(c, which)) {
		p->succ++;
		p->fail = 0;
		if (p->succ >= p->success) p->result = 1;
	} else {
		p->fail++;
		p->succ = 0;
		if (p->fail >= p->failure) p->result = 0;
	}
	p->next = now + (long long)p->period * 1000;
	return p->result;
}

static void rotate_log(struct ctr *c) {
	char *log = pj(c->rundir, "log");
	struct stat st;
	if (stat(log, &st) < 0 || st.st_size <= log_max) { errno = 0; return; }
	/* copy-truncate: the container holds the file open with O_APPEND */
	char *old = pj(c->rundir, "log.1");
	int in = open(log, O_RDONLY | O_CLOEXEC), out = open(old, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	if (in >= 0 && out >= 0) {
		char buf[65536];
		ssize_t n;
		while ((n = read(in, buf, sizeof buf)) > 0) if (write(out, buf, (size_t)n) != n) break;
		if (truncate(log, 0) < 0) {}
	}
	if (in >= 0) close(in);
	if (out >= 0) close(out);
	errno = 0;
}

static void kill_infra(void) {
	pid_t p = (pid_t)read_int(pj(pod, "infra.pid"), 0);
	if (p > 1) kill(p, SIGKILL);
	if (infra_child > 0) {
		kill(infra_child, SIGKILL);
		waitpid(infra_child, NULL, 0);
		infra_child = 0;
	}
	errno = 0;
}

static const char *final_phase(void) {
	for (int i = 0; i < nctr; i++) if (!ctrs[i].init && ctrs[i].exit_code != 0) return "Failed";
	return "Succeeded";
}

/* The stop sequence: preStop hooks, SIGTERM, the grace period, SIGKILL. Never returns. */
static void do_stop(void) {
	int grace = read_int(pj(pod, "stop"), 30);
	/* A terminating pod leaves the Service rotation first, as in Kubernetes. */
	if (last_ready == 1) set_phase("Running", 0, 0);
	char *log;
	for (int i = 0; i < nctr; i++) {
		struct ctr *c = &ctrs[i];
		if (c->state != CTR_RUNNING) continue;
		log = pj(c->rundir, "log");
		char *hook = pj(c->cdir, "hooks/prestop");
		if (!c->init && access(hook, F_OK) == 0) exec_in(c, hook, grace > 0 ? grace : 1, log);
		kill_ctr(c, SIGTERM);
	}
	errno = 0;
	long long deadline = now_ms() + (long long)grace * 1000;
	for (;;) {
		reap_children();
		int left = 0;
		for (int i = 0; i < nctr; i++) {
			struct ctr *c = &ctrs[i];
			if (c->state != CTR_RUNNING) continue;
			if (c->exited) ctr_finish(c); else left = 1;
		}
		if (!left) break;
		if (now_ms() >= deadline) {
			for (int i = 0; i < nctr; i++) {
				if (ctrs[i].state != CTR_RUNNING) continue;
				kill_ctr(&ctrs[i], SIGKILL);
				kill_cgroup(&ctrs[i]);
			}
		}
		nap(100);
	}
	kill_infra();
	set_phase(final_phase(), 0, 0);
	exit(0);
}

static void wait_for_stop(void) {
	while (!stop_requested()) nap(1000);
	do_stop();
}

static void load_probe(struct ctr *c, int which) {
	char dir[4200];
	fmt(dir, sizeof dir, "%s/probes/%s", c->cdir, probe_names[which]);
	struct probe *p = &c->probes[which];
	char *kind = line_of(pj(dir, "kind"), NULL);
	p->present = kind != NULL;
	if (!kind) return;
	fmt(p->kind, sizeof p->kind, "%s", kind);
	p->delay = read_int(pj(dir, "delay"), 0);
	p->period = read_int(pj(dir, "period"), 10);
	p->timeout = read_int(pj(dir, "timeout"), 1);
	p->success = read_int(pj(dir, "success"), 1);
	p->failure = read_int(pj(dir, "failure"), 3);
	if (p->period < 1) p->period = 1;
}

static int by_id(const void *a, const void *b) {
	return strcmp(((const struct ctr *)a)->id, ((const struct ctr *)b)->id);
}

static void load_containers(void) {
	char *dir = pj(bundle, "containers");
	DIR *d = opendir(dir);
	if (!d) die("open %s", dir);
	struct dirent *e;
	while ((e = readdir(d))) {
		if ((e->d_name[0] != 'i' && e->d_name[0] != 'c') || strlen(e->d_name) > 7) continue;
		ctrs = xrealloc(ctrs, sizeof *ctrs * (nctr + 1));
		struct ctr *c = &ctrs[nctr++];
		memset(c, 0, sizeof *c);
		strcpy(c->id, e->d_name);
		c->init = e->d_name[0] == 'i';
		fmt(c->cdir, sizeof c->cdir, "%s/%s", dir, c->id);
		fmt(c->rundir, sizeof c->rundir, "%s/ctr/%s", pod, c->id);
		c->state = CTR_WAITING;
		strcpy(c->reason, "ContainerCreating");
		c->exit_code = c->last_exit = -1;
		c->backoff = -1;
		for (int i = 0; i < NPROBES; i++) load_probe(c, i);
	}
	closedir(d);
	errno = 0;
	qsort(ctrs, (size_t)nctr, sizeof *ctrs, by_id);
}

static void start_infra(const char *flags) {
	char ns[32] = "";
	if (!has_word(flags, "hostNetwork")) strcat(ns, "net uts ");
	if (!has_word(flags, "hostIPC")) strcat(ns, "ipc ");
	if (has_word(flags, "shareProcessNamespace")) strcat(ns, "pid ");
	fmt(netpid, sizeof netpid, "%d", (int)getpid());
	if (ns[0]) {
		char *pidfile = pj(pod, "infra.pid");
		pid_t p = fork();
		if (p == 0) {
			sigprocmask(SIG_UNBLOCK, &wake_set, NULL);
			char *args[] = {"tsctl-init", "infra", pidfile, pj(pod, "init/etc/hostname"), ns, NULL};
			_exit(cmd_infra(5, args));
		}
		infra_child = p;
		for (int i = 0; i < 1000 && access(pidfile, F_OK); i++) nap(2);
		int ip = read_int(pidfile, 0);
		if (ip <= 0) { errno = 0; die("the infra process did not start"); }
		fmt(nspid, sizeof nspid, "%d", ip);
		fmt(nslist, sizeof nslist, "%s", ns);
		if (!has_word(flags, "hostNetwork")) fmt(netpid, sizeof netpid, "%d", ip);
	}
	if (has_word(flags, "hostPID")) strncat(nslist, " hostpid", sizeof nslist - strlen(nslist) - 1);
}

/*
 * CNI ADD for the pod's IP (meta/net/ip), against the infra's network
 * namespace, before any container starts. While it fails (the runtime
 * undoes a half ADD and logs why in supervisor.log), every container waits
 * with reason NetworkNotReady and it is retried with the restart backoff.
 */
static void net_setup(const char *flags) {
	if (has_word(flags, "hostNetwork") || access(pj(bundle, "meta/net/ip"), F_OK) != 0) { errno = 0; return; }
	int wait_s = backoff_base > 0 ? backoff_base : 1, failed = 0;
	char log[4352];
	fmt(log, sizeof log, "%s/supervisor.log", pod);
	for (;;) {
		if (stop_requested()) do_stop();
		char *args[] = {"/bin/sh", runtime_sh, "--root", root, "net-pod-add", uid, nspid, NULL};
		if (runtime_sh[0] && run_child(exec_prog, 7, args, 120, log) == 0) break;
		if (!runtime_sh[0]) fprintf(stderr, "tsctl-init supervise: tsctl-runtime not found beside this binary\n");
		failed = 1;
		for (int i = 0; i < nctr; i++) {
			strcpy(ctrs[i].reason, "NetworkNotReady");
			save(&ctrs[i]);
		}
		long long until = now_ms() + (long long)wait_s * 1000;
		while (now_ms() < until) {
			if (stop_requested()) do_stop();
			nap(until - now_ms() < 1000 ? until - now_ms() + 1 : 1000);
		}
		wait_s = wait_s * 2 > 300 ? 300 : wait_s * 2;
	}
	if (!failed) return;
	for (int i = 0; i < nctr; i++) {
		strcpy(ctrs[i].reason, "ContainerCreating");
		save(&ctrs[i]);
	}
}

int cmd_supervise(int argc, char **argv) {
	if (argc != 4) die("usage: supervise ROOT UID");
	root = argv[2];
	uid = argv[3];
	if (!*uid || strspn(uid, "abcdefghijklmnopqrstuvwxyz0123456789-") != strlen(uid)) { errno = 0; die("invalid uid"); }
	pod = pathcat(pathcat(root, "pods"), uid);
	bundle = pathcat(pod, "bundle");
	layers = pathcat(root, "layers");
	sigemptyset(&wake_set);
	sigaddset(&wake_set, SIGCHLD);
	sigaddset(&wake_set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &wake_set, NULL);
	/* Out of the caller's (SSH session's) cgroup, into the pod's own. */
	join_cgroups(pj(pod, "infra.cgroups"), getpid());
	char buf[32];
	fmt(buf, sizeof buf, "%d\n", (int)getpid());
	write_atomic(pj(pod, "supervisor.pid"), buf);
	fmt(restart_policy, sizeof restart_policy, "%s", line_of(pj(bundle, "meta/restart"), "Always"));
	backoff_base = read_int(pj(bundle, "meta/backoff"), 10);
	if (backoff_base < 0) backoff_base = 10;
	char *flags = line_of(pj(bundle, "meta/flags"), "");
	if (getenv("TSCTL_LOG_MAX")) log_max = atoll(getenv("TSCTL_LOG_MAX"));
	long tick = getenv("TSCTL_TICK_MS") ? atol(getenv("TSCTL_TICK_MS")) : 1000;
	started_at = now_ms();
	load_containers();
	set_phase("Pending", 0, 0);
	find_runtime();
	start_infra(flags);
	net_setup(flags);

	for (int i = 0; i < nctr; i++) {
		struct ctr *c = &ctrs[i];
		if (!c->init) continue;
		for (;;) {
			if (stop_requested()) do_stop();
			ctr_start(c);
			while (reap_children(), !c->exited) {
				if (stop_requested()) do_stop();
				nap(tick);
			}
			ctr_finish(c);
			if (c->exit_code == 0) break;
			if (!strcmp(restart_policy, "Never")) {
				set_phase("Failed", 0, 0);
				kill_infra();
				wait_for_stop();
			}
			schedule_restart(c);
			while (now_ms() < c->next_start) {
				if (stop_requested()) do_stop();
				nap(c->next_start - now_ms() < tick ? c->next_start - now_ms() + 1 : tick);
			}
			c->restarts++;
			save(c);
		}
	}

	for (int i = 0; i < nctr; i++) if (!ctrs[i].init) ctr_start(&ctrs[i]);
	long long ready_since = 0;
	for (;;) {
		if (stop_requested()) do_stop();
		reap_children();
		long long now = now_ms();
		int all_ready = 1, active = 0;
		long long wake = now + tick;
		for (int i = 0; i < nctr; i++) {
			struct ctr *c = &ctrs[i];
			if (c->init) continue;
			if (c->state == CTR_RUNNING) {
				active = 1;
				if (c->exited) {
					ctr_finish(c);
					if (should_restart(c->exit_code)) schedule_restart(c);
					all_ready = 0;
					continue;
				}
				int live = 1;
				if (c->probes[P_STARTUP].present && !c->started_ok) {
					int r = probe_tick(c, P_STARTUP);
					if (r == 1) c->started_ok = 1;
					if (r == 0) kill_ctr(c, SIGKILL);
					live = 0;
				}
				if (live && c->probes[P_LIVENESS].present && probe_tick(c, P_LIVENESS) == 0) kill_ctr(c, SIGKILL);
				if (live && c->probes[P_READINESS].present) {
					int r = probe_tick(c, P_READINESS) == 1;
					if (r != c->ready) {
						c->ready = r;
						save(c);
					}
				}
				if (!c->ready) all_ready = 0;
				rotate_log(c);
			} else if (c->state == CTR_WAITING) {
				active = 1;
				all_ready = 0;
				if (now >= c->next_start) {
					c->restarts++;
					ctr_start(c);
				} else if (c->next_start < wake) {
					wake = c->next_start;
				}
			} else {
				all_ready = 0;
			}
		}
		errno = 0;
		if (!active) {
			set_phase(final_phase(), 0, 0);
			kill_infra();
			wait_for_stop();
		}
		if (all_ready && !ready_since) ready_since = now_ms();
		if (!all_ready) ready_since = 0;
		set_phase("Running", all_ready, ready_since);
		long long left = wake - now_ms();
		if (left > 0) nap(left);
	}
	return 0;
}
