/*
 * worker — the parser in a child process (see worker.h).
 *
 * Frames on both pipes: a 4-byte little-endian length, then the bytes.  The parent
 * keeps every message in flight until its answer arrives; when the child dies, the
 * oldest message in flight is the one that killed it: it gets an error answer and
 * the others are sent to a fresh child.  The child lowers its limits (address space,
 * CPU time per message) so that a runaway parse ends in a signal, not a hung host.
 */
#include "worker.h"
#include "charset.h"
#include "cp932.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif
#ifndef UNDER_ASAN
#define UNDER_ASAN 0
#endif

typedef struct pending {
	char *bytes;
	size_t len;
	void *tag;
	unsigned char hdr[4];	/* the frame's length */
	size_t sent;	/* bytes of the frame written (header + body) */
} pending;

struct worker {
	worker_opts o;
	pid_t pid;
	int to_child, from_child;
	pending *q;		/* ring of messages in flight */
	size_t qcap, qhead, qlen;
	size_t nsent;		/* q entries (from head) completely or partly written */
	size_t suspects;	/* q entries (from head) to send one at a time: a child died
				 * while they were in flight, and one of them may be the cause */
	strbuf in;		/* bytes read from the child */
	size_t restarts;	/* children replaced */
	size_t failures;	/* messages blamed for a crash or time-out */
	time_t last_progress;
};

/* ---- the child ----------------------------------------------------------------- */

/* Buffered input of the child: requests arrive back to back, so one read() usually
 * brings several of them (a read per frame part would cost more than a parse). */
typedef struct inbuf {
	int fd;
	char buf[65536];
	size_t pos, len;
} inbuf;

static int read_full(inbuf *in, void *dst, size_t n)
{
	char *p = dst;
	while (n) {
		if (in->pos == in->len) {
			/* large messages go straight to their buffer */
			if (n >= sizeof in->buf) {
				ssize_t r = read(in->fd, p, n);
				if (r < 0 && errno == EINTR)
					continue;
				if (r <= 0)
					return -1;
				p += r;
				n -= (size_t)r;
				continue;
			}
			ssize_t r = read(in->fd, in->buf, sizeof in->buf);
			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0)
				return -1;
			in->pos = 0;
			in->len = (size_t)r;
		}
		size_t k = in->len - in->pos < n ? in->len - in->pos : n;
		memcpy(p, in->buf + in->pos, k);
		in->pos += k;
		p += k;
		n -= k;
	}
	return 0;
}

static int writev_full(int fd, struct iovec *iov, int n)
{
	while (n > 0) {
		ssize_t r = writev(fd, iov, n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		while (n > 0 && (size_t)r >= iov->iov_len) {
			r -= (ssize_t)iov->iov_len;
			iov++;
			n--;
		}
		if (n > 0) {
			iov->iov_base = (char *)iov->iov_base + r;
			iov->iov_len -= (size_t)r;
		}
	}
	return 0;
}

static void put_le32(unsigned char *b, uint32_t v)
{
	b[0] = (unsigned char)v;
	b[1] = (unsigned char)(v >> 8);
	b[2] = (unsigned char)(v >> 16);
	b[3] = (unsigned char)(v >> 24);
}

static uint32_t get_le32(const unsigned char *b)
{
	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

/* allow `seconds` more CPU time from now: SIGXCPU ends a runaway parse */
static void cpu_budget(unsigned seconds)
{
	struct rusage ru;
	struct rlimit rl;
	if (getrusage(RUSAGE_SELF, &ru) < 0 || getrlimit(RLIMIT_CPU, &rl) < 0)
		return;
	rlim_t used = (rlim_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) + 1;
	rl.rlim_cur = used + seconds;
	if (rl.rlim_max != RLIM_INFINITY && rl.rlim_cur > rl.rlim_max)
		rl.rlim_cur = rl.rlim_max;
	setrlimit(RLIMIT_CPU, &rl);
}

static char *default_parse(const char *bytes, size_t len, const worker_opts *o)
{
	parse_result r = { 0 };
	message_parse(bytes, len, o->v, &o->limits, &r);
	char *json = result_to_json(&r, o->v, NULL);
	parse_result_free(&r);
	return json;
}

/* a whole request frame is already in the input buffer (no read needed) */
static bool frame_buffered(const inbuf *in)
{
	size_t have = in->len - in->pos;
	return have >= 4 && have - 4 >= get_le32((const unsigned char *)in->buf + in->pos);
}

/* Answers are collected and written together when the next request is not already
 * buffered (the child would wait for it), when enough have piled up or after a
 * second (the parent's time-out counts from the last answer): one write
 * and one wake-up of the parent for a batch instead of one per message.  A crash
 * loses the unwritten answers of the batch; the parent then sends the messages it
 * has no answer for again, one at a time, to find the one at fault. */
#define ANSWER_FLUSH_BYTES (256u * 1024u)

static double monotonic(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int flush_answers(int out, strbuf *ans, double *flushed_at)
{
	*flushed_at = monotonic();
	if (!ans->len)
		return 0;
	struct iovec iov = { ans->s, ans->len };
	int rc = writev_full(out, &iov, 1);
	sb_reset(ans);
	return rc;
}

static void child_main(const worker_opts *o, int infd, int out)
{
	static inbuf in;
	strbuf ans = { 0 };
	in.fd = infd;
	signal(SIGPIPE, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGINT, SIG_IGN);
	signal(SIGTERM, SIG_DFL);
	/* a crash must end this process, whatever handler the parent had (a test
	 * runner, a sanitizer): the parent sees the signal and blames the message */
	static const int fatal[] = { SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGXCPU };
	for (size_t i = 0; i < ARRAY_LEN(fatal); i++)
		signal(fatal[i], SIG_DFL);
	if (!UNDER_ASAN && o->max_memory_mb) {
		struct rlimit rl = { (rlim_t)o->max_memory_mb << 20, (rlim_t)o->max_memory_mb << 20 };
		setrlimit(RLIMIT_AS, &rl);
	}
	charset_hook_etpan();
	unsigned long nparsed = 0;
	double flushed_at = monotonic();
	for (;;) {
		if ((!frame_buffered(&in) || ans.len >= ANSWER_FLUSH_BYTES || monotonic() - flushed_at > 1.0) &&
		    flush_answers(out, &ans, &flushed_at) < 0)
			break;
		unsigned char hdr[4];
		if (read_full(&in, hdr, 4) < 0)
			break;
		uint32_t len = get_le32(hdr);
		char *buf = xmalloc(len + 1);
		if (read_full(&in, buf, len) < 0) {
			free(buf);
			break;
		}
		buf[len] = '\0';
		/* the CPU limit is moved forward every few messages, not on each: two
		 * system calls per message cost more than a typical parse; a runaway
		 * message still dies by SIGXCPU within twice the timeout, or earlier by
		 * the parent's wall-clock timeout */
		if (nparsed++ % 64 == 0)
			cpu_budget(2 * o->timeout_seconds);
		char *json = o->parse_fn ? o->parse_fn(buf, len, o) : default_parse(buf, len, o);
		free(buf);
		size_t jl = strlen(json);
		put_le32(hdr, (uint32_t)jl);
		sb_add(&ans, hdr, 4);
		sb_add(&ans, json, jl);
		free(json);
	}
	sb_free(&ans);
	charset_cleanup();
	_exit(0);
}

/* ---- the parent -------------------------------------------------------------- */

static void reap(worker *w, int *status)
{
	*status = 0;
	if (w->pid <= 0)
		return;
	if (w->to_child >= 0)
		close(w->to_child);
	if (w->from_child >= 0)
		close(w->from_child);
	w->to_child = w->from_child = -1;
	/* the child exits on EOF; one that is still busy after a grace period
	 * (stuck) is killed */
	for (int i = 0; i < 200; i++) {
		if (waitpid(w->pid, status, WNOHANG) != 0)
			goto reaped;
		struct timespec ts = { 0, 5 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
	kill(w->pid, SIGKILL);
	waitpid(w->pid, status, 0);
reaped:
	w->pid = -1;
}

static int spawn(worker *w, char **err)
{
	/* requests go down a socket, written with MSG_NOSIGNAL: a child that died with
	 * requests unread must give the caller EPIPE, not a SIGPIPE that ends it */
	int down[2], up[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, down) < 0) {
		*err = xasprintf("socketpair: %s", strerror(errno));
		return -1;
	}
	if (pipe2(up, O_CLOEXEC) < 0) {
		*err = xasprintf("pipe: %s", strerror(errno));
		close(down[0]);
		close(down[1]);
		return -1;
	}
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0) {
		*err = xasprintf("fork: %s", strerror(errno));
		close(down[0]);
		close(down[1]);
		close(up[0]);
		close(up[1]);
		return -1;
	}
	if (pid == 0) {
		close(down[1]);
		close(up[0]);
		child_main(&w->o, down[0], up[1]);
	}
	close(down[0]);
	close(up[1]);
	w->pid = pid;
	w->to_child = down[1];
	w->from_child = up[0];
	fcntl(w->to_child, F_SETFL, fcntl(w->to_child, F_GETFL) | O_NONBLOCK);
	fcntl(w->from_child, F_SETFL, fcntl(w->from_child, F_GETFL) | O_NONBLOCK);
	sb_reset(&w->in);
	w->nsent = 0;
	for (size_t i = 0; i < w->qlen; i++)
		w->q[(w->qhead + i) % w->qcap].sent = 0;
	w->last_progress = time(NULL);
	return 0;
}

worker *worker_new(const worker_opts *o, char **err)
{
	worker *w = xcalloc(1, sizeof *w);
	w->o = *o;
	if (!w->o.timeout_seconds)
		w->o.timeout_seconds = 60;
	if (!w->o.window)
		w->o.window = 64;
	if (!w->o.max_memory_mb)
		w->o.max_memory_mb = 2048;
	w->qcap = w->o.window;
	w->q = xcalloc(w->qcap, sizeof *w->q);
	w->pid = -1;
	w->to_child = w->from_child = -1;
	*err = NULL;
	/* the CP932 table is built once here, not again in every child */
	(void)cp932_table_get();
	if (spawn(w, err) < 0) {
		worker_free(w);
		return NULL;
	}
	return w;
}

static void pop_deliver(worker *w, const char *json, size_t len, worker_done_fn done, void *ctx)
{
	pending *p = &w->q[w->qhead];
	void *tag = p->tag;
	free(p->bytes);
	memset(p, 0, sizeof *p);
	w->qhead = (w->qhead + 1) % w->qcap;
	w->qlen--;
	if (w->nsent)
		w->nsent--;
	if (w->suspects)
		w->suspects--;
	done(ctx, tag, json, len);
}

/*
 * The child died or hung.  Answers it wrote before are good.  When one message was
 * in flight (or the suspects are being tried one at a time) that message is the
 * culprit; when several were, any of them may be (answers are written in batches),
 * so they become suspects, sent again one at a time.
 */
static int pump_in(worker *w, worker_done_fn done, void *ctx);

static int child_failed(worker *w, const char *what, worker_done_fn done, void *ctx, char **err)
{
	int status = 0;
	/* answers the child wrote before it died are good: deliver them before blaming */
	if (w->pid > 0) {
		if (waitpid(w->pid, &status, WNOHANG) == 0) {
			kill(w->pid, SIGKILL);
			waitpid(w->pid, &status, 0);
		}
		w->pid = -1;
		pump_in(w, done, ctx);
	}
	int ignored;
	reap(w, &ignored);
	if (w->nsent > 1 && !w->suspects) {
		w->suspects = w->nsent;
	} else if (w->qlen) {
		char *json = xasprintf("{\"records\":[],\"error\":\"the parser %s on this message (%s)\"}",
				       what, WIFSIGNALED(status) ? strsignal(WTERMSIG(status)) : "exited");
		pop_deliver(w, json, strlen(json), done, ctx);
		free(json);
		w->failures++;
	}
	w->restarts++;
	return spawn(w, err);
}

/* how many of the queued messages may be in flight now */
static size_t send_limit(const worker *w)
{
	return w->suspects ? 1 : w->qlen;
}

/* write as much as possible of the queued frames, several per system call: entries
 * before nsent are written completely, the one at nsent may be written in part.
 * While there are suspects, only one message is in flight at a time. */
static int pump_out(worker *w)
{
	size_t limit = send_limit(w);
	while (w->nsent < limit) {
		struct iovec iov[64];
		int n = 0;
		for (size_t i = w->nsent; i < limit && n + 2 <= (int)ARRAY_LEN(iov); i++) {
			pending *p = &w->q[(w->qhead + i) % w->qcap];
			put_le32(p->hdr, (uint32_t)p->len);
			if (p->sent < 4)
				iov[n++] = (struct iovec){ p->hdr + p->sent, 4 - p->sent };
			size_t body = p->sent > 4 ? p->sent - 4 : 0;
			if (p->len > body)
				iov[n++] = (struct iovec){ p->bytes + body, p->len - body };
		}
		struct msghdr mh = { .msg_iov = iov, .msg_iovlen = (size_t)n };
		ssize_t r = sendmsg(w->to_child, &mh, MSG_NOSIGNAL);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && errno == EAGAIN)
			return 0;
		if (r <= 0)
			return -1;
		/* account the bytes to the frames in order */
		size_t left = (size_t)r;
		while (left) {
			pending *p = &w->q[(w->qhead + w->nsent) % w->qcap];
			size_t rest = p->len + 4 - p->sent;
			size_t k = left < rest ? left : rest;
			p->sent += k;
			left -= k;
			if (p->sent == p->len + 4)
				w->nsent++;
		}
	}
	return 0;
}

/* read answers; deliver complete frames. -1 when the child is gone */
static int pump_in(worker *w, worker_done_fn done, void *ctx)
{
	char buf[65536];
	bool eof = false;
	for (;;) {
		ssize_t r = read(w->from_child, buf, sizeof buf);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && errno == EAGAIN)
			break;
		if (r <= 0) {
			/* deliver what arrived before the end: those answers are good */
			eof = true;
			break;
		}
		sb_add(&w->in, buf, (size_t)r);
		w->last_progress = time(NULL);
	}
	size_t off = 0;
	while (w->in.len - off >= 4) {
		uint32_t n = get_le32((const unsigned char *)w->in.s + off);
		if (w->in.len - off - 4 < n)
			break;
		if (w->qlen)
			pop_deliver(w, w->in.s + off + 4, n, done, ctx);
		off += 4 + n;
	}
	if (off) {
		memmove(w->in.s, w->in.s + off, w->in.len - off);
		w->in.len -= off;
		w->in.s[w->in.len] = '\0';
	}
	return eof ? -1 : 0;
}

/* one round of I/O; waits at most `ms` */
static int step(worker *w, int ms, worker_done_fn done, void *ctx, char **err)
{
	if (pump_out(w) < 0)
		return child_failed(w, "died", done, ctx, err);
	struct pollfd pf[2] = { { w->from_child, POLLIN, 0 }, { w->to_child, 0, 0 } };
	if (w->nsent < send_limit(w))
		pf[1].events = POLLOUT;
	int r = poll(pf, 2, ms);
	if (r < 0 && errno != EINTR) {
		*err = xasprintf("poll: %s", strerror(errno));
		return -1;
	}
	if (r > 0 && (pf[0].revents & (POLLIN | POLLHUP | POLLERR))) {
		if (pump_in(w, done, ctx) < 0)
			return child_failed(w, "died", done, ctx, err);
	}
	if (w->qlen && time(NULL) - w->last_progress > (time_t)w->o.timeout_seconds) {
		kill(w->pid, SIGKILL);
		return child_failed(w, "timed out", done, ctx, err);
	}
	return 0;
}

int worker_submit(worker *w, const char *bytes, size_t len, void *tag, worker_done_fn done, void *ctx,
		  char **err)
{
	*err = NULL;
	while (w->qlen == w->qcap)
		if (step(w, 1000, done, ctx, err) < 0)
			return -1;
	if (!w->qlen)
		w->last_progress = time(NULL);
	pending *p = &w->q[(w->qhead + w->qlen) % w->qcap];
	p->bytes = xmalloc(len ? len : 1);
	memcpy(p->bytes, bytes, len);
	p->len = len;
	p->tag = tag;
	p->sent = 0;
	w->qlen++;
	if (pump_out(w) < 0)
		return child_failed(w, "died", done, ctx, err);
	return 0;
}

int worker_drain(worker *w, worker_done_fn done, void *ctx, char **err)
{
	*err = NULL;
	while (w->qlen)
		if (step(w, 1000, done, ctx, err) < 0)
			return -1;
	return 0;
}

static void keep_json(void *ctx, void *tag, const char *json, size_t len)
{
	*(char **)ctx = xstrndup(json, len);
}

char *worker_parse(worker *w, const char *bytes, size_t len, char **err)
{
	char *json = NULL;
	if (worker_submit(w, bytes, len, NULL, keep_json, &json, err) < 0 ||
	    worker_drain(w, keep_json, &json, err) < 0) {
		free(json);
		return NULL;
	}
	return json;
}

size_t worker_restarts(const worker *w)
{
	return w->restarts;
}

size_t worker_failures(const worker *w)
{
	return w->failures;
}

void worker_free(worker *w)
{
	if (!w)
		return;
	int status;
	reap(w, &status);
	for (size_t i = 0; i < w->qlen; i++)
		free(w->q[(w->qhead + i) % w->qcap].bytes);
	free(w->q);
	sb_free(&w->in);
	free(w);
}
