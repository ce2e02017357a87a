/*
 * tsctl-init devices v1|v2 CGROUPDIR: confines a cgroup to runc's default
 * device allow-list (libcontainer/specconv AllowedDevices, runc 1.2: no tun).
 * v1: the devices controller's files, one rule per write as the kernel reads
 * them. v2 has no devices controller: the kernel asks a
 * BPF_PROG_TYPE_CGROUP_DEVICE program attached to the cgroup instead, as
 * runc's devicefilter does. The program is built here from the same table,
 * so the host needs no compiler, libbpf or bpffs; the attachment holds the
 * program for as long as the cgroup exists.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>

#include "tsctl-init.h"

#define WILD (-1)
#define DEV_BLOCK 1 /* BPF_DEVCG_DEV_BLOCK */
#define DEV_CHAR 2  /* BPF_DEVCG_DEV_CHAR */
#define ACC_MKNOD 1 /* BPF_DEVCG_ACC_MKNOD */
#define ACC_RWM 7   /* MKNOD | READ | WRITE */

static const struct { int type, major, minor, access; } allowed[] = {
	{DEV_CHAR, WILD, WILD, ACC_MKNOD}, {DEV_BLOCK, WILD, WILD, ACC_MKNOD},
	{DEV_CHAR, 1, 3, ACC_RWM}, {DEV_CHAR, 1, 5, ACC_RWM}, {DEV_CHAR, 1, 7, ACC_RWM},
	{DEV_CHAR, 1, 8, ACC_RWM}, {DEV_CHAR, 1, 9, ACC_RWM}, {DEV_CHAR, 5, 0, ACC_RWM},
	{DEV_CHAR, 5, 1, ACC_RWM}, {DEV_CHAR, 5, 2, ACC_RWM}, {DEV_CHAR, 136, WILD, ACC_RWM},
};

/* The eBPF instruction layout and the few opcodes the program uses (linux/bpf.h). */
struct insn { uint8_t code; uint8_t regs; int16_t off; int32_t imm; };
#define LDX_W 0x61   /* BPF_LDX | BPF_MEM | BPF_W */
#define MOV_X 0xbf   /* BPF_ALU64 | BPF_MOV | BPF_X */
#define MOV_K 0xb7   /* BPF_ALU64 | BPF_MOV | BPF_K */
#define AND_K 0x57   /* BPF_ALU64 | BPF_AND | BPF_K */
#define RSH_K 0x77   /* BPF_ALU64 | BPF_RSH | BPF_K */
#define JNE_K 0x55   /* BPF_JMP | BPF_JNE | BPF_K */
#define EXIT 0x95    /* BPF_JMP | BPF_EXIT */
#define R(dst, src) ((uint8_t)((dst) | ((src) << 4)))

#define PROG_TYPE_CGROUP_DEVICE 15
#define ATTACH_CGROUP_DEVICE 6
#define BPF_PROG_LOAD_CMD 5
#define BPF_PROG_ATTACH_CMD 8

/* The leading fields of union bpf_attr for BPF_PROG_LOAD and BPF_PROG_ATTACH. */
struct load_attr {
	uint32_t prog_type, insn_cnt;
	uint64_t insns, license;
	uint32_t log_level, log_size;
	uint64_t log_buf;
	uint32_t kern_version, prog_flags;
	char pad[64];
};
struct attach_attr { uint32_t target_fd, attach_bpf_fd, attach_type, attach_flags; char pad[64]; };

/*
 * r1 is struct bpf_cgroup_dev_ctx {u32 access_type; u32 major; u32 minor;}
 * with access_type = access << 16 | type. Per rule: skip to the next rule
 * unless type, major and minor match and no access bit outside the rule's
 * is asked; a match returns 1 (allow). Past the last rule: 0 (deny).
 */
static int build(struct insn *p) {
	int n = 0;
	p[n++] = (struct insn){LDX_W, R(2, 1), 0, 0};   /* r2 = access_type */
	p[n++] = (struct insn){MOV_X, R(3, 2), 0, 0};   /* r3 = r2 */
	p[n++] = (struct insn){AND_K, R(3, 0), 0, 0xffff}; /* r3 = type */
	p[n++] = (struct insn){RSH_K, R(2, 0), 0, 16};  /* r2 = access */
	p[n++] = (struct insn){LDX_W, R(4, 1), 4, 0};   /* r4 = major */
	p[n++] = (struct insn){LDX_W, R(5, 1), 8, 0};   /* r5 = minor */
	for (size_t i = 0; i < sizeof allowed / sizeof *allowed; i++) {
		int jumps[4], nj = 0;
		jumps[nj++] = n;
		p[n++] = (struct insn){JNE_K, R(3, 0), 0, allowed[i].type};
		if (allowed[i].major != WILD) { jumps[nj++] = n; p[n++] = (struct insn){JNE_K, R(4, 0), 0, allowed[i].major}; }
		if (allowed[i].minor != WILD) { jumps[nj++] = n; p[n++] = (struct insn){JNE_K, R(5, 0), 0, allowed[i].minor}; }
		p[n++] = (struct insn){MOV_X, R(6, 2), 0, 0};
		p[n++] = (struct insn){AND_K, R(6, 0), 0, ~allowed[i].access & 0xffff};
		jumps[nj++] = n;
		p[n++] = (struct insn){JNE_K, R(6, 0), 0, 0};
		p[n++] = (struct insn){MOV_K, R(0, 0), 0, 1};
		p[n++] = (struct insn){EXIT, 0, 0, 0};
		for (int j = 0; j < nj; j++) p[jumps[j]].off = (int16_t)(n - jumps[j] - 1);
	}
	p[n++] = (struct insn){MOV_K, R(0, 0), 0, 0};
	p[n++] = (struct insn){EXIT, 0, 0, 0};
	return n;
}

static void write_rule(const char *dir, const char *file, const char *rule) {
	char path[4096];
	fmt(path, sizeof path, "%s/%s", dir, file);
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, rule, strlen(rule)) != (ssize_t)strlen(rule)) die("%s: %s", path, rule);
	close(fd);
}

/* v1: deny everything, then allow the table's rules ("c 1:3 rwm", "b *:* m"). */
static void devices_v1(const char *dir) {
	write_rule(dir, "devices.deny", "a");
	for (size_t i = 0; i < sizeof allowed / sizeof *allowed; i++) {
		char major[16] = "*", minor[16] = "*", rule[64];
		if (allowed[i].major != WILD) fmt(major, sizeof major, "%d", allowed[i].major);
		if (allowed[i].minor != WILD) fmt(minor, sizeof minor, "%d", allowed[i].minor);
		fmt(rule, sizeof rule, "%c %s:%s %s", allowed[i].type == DEV_BLOCK ? 'b' : 'c', major, minor, allowed[i].access == ACC_MKNOD ? "m" : "rwm");
		write_rule(dir, "devices.allow", rule);
	}
}

int cmd_devices(int argc, char **argv) {
	if (argc != 4 || (strcmp(argv[2], "v1") && strcmp(argv[2], "v2"))) die("usage: devices v1|v2 CGROUPDIR");
	if (!strcmp(argv[2], "v1")) {
		devices_v1(argv[3]);
		return 0;
	}
	struct insn prog[8 + 10 * sizeof allowed / sizeof *allowed];
	int n = build(prog);
	static char log[4096];
	struct load_attr la;
	memset(&la, 0, sizeof la);
	la.prog_type = PROG_TYPE_CGROUP_DEVICE;
	la.insn_cnt = (uint32_t)n;
	la.insns = (uint64_t)(uintptr_t)prog;
	la.license = (uint64_t)(uintptr_t)"Apache-2.0";
	int pfd = (int)syscall(SYS_bpf, BPF_PROG_LOAD_CMD, &la, sizeof la);
	if (pfd < 0) {
		/* Only on failure ask for the verifier's log: a full log buffer is itself an error (ENOSPC). */
		la.log_level = 1;
		la.log_size = sizeof log;
		la.log_buf = (uint64_t)(uintptr_t)log;
		if (syscall(SYS_bpf, BPF_PROG_LOAD_CMD, &la, sizeof la) < 0) die("load the device program (%.200s)", log);
		die("load the device program");
	}
	int cfd = open(argv[3], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cfd < 0) die("open cgroup %s", argv[3]);
	struct attach_attr aa;
	memset(&aa, 0, sizeof aa);
	aa.target_fd = (uint32_t)cfd;
	aa.attach_bpf_fd = (uint32_t)pfd;
	aa.attach_type = ATTACH_CGROUP_DEVICE;
	if (syscall(SYS_bpf, BPF_PROG_ATTACH_CMD, &aa, sizeof aa) < 0) die("attach the device program to %s", argv[3]);
	return 0;
}
