/* What tsctl-init.c shares with supervise.c. */
#ifndef TSCTL_INIT_H
#define TSCTL_INIT_H
#include <sys/types.h>

/* Prints "tsctl-init: MESSAGE" and exits 1; never returns, checked like printf. */
__attribute__((noreturn, format(printf, 1, 2))) void die(const char *fmt, ...);
/* malloc/realloc/strdup that die instead of returning NULL. */
void *xmalloc(size_t n);
void *xrealloc(void *old, size_t n);
char *xstrdup(const char *s);
/* snprintf that dies when the result would not fit. */
__attribute__((format(printf, 3, 4))) void fmt(char *buf, size_t size, const char *format, ...);
char *slurp(const char *path, size_t *len);
char *pathcat(const char *a, const char *b);
char **nul_list(const char *path, int *count);
char *line_of(const char *path, const char *dflt);
int has_word(const char *words, const char *w);
void write_atomic(const char *path, const char *content);
void join_cgroups(const char *cgfile, pid_t pid);
long long now_ms(void);

int cmd_infra(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_exec(int argc, char **argv);
int cmd_probe_tcp(int argc, char **argv);
int cmd_probe_http(int argc, char **argv);
int cmd_supervise(int argc, char **argv);
int cmd_devices(int argc, char **argv);

#endif
