/*
 * h2backend: a minimal loopback HTTP/2 server for the subchannel-scale benchmark (bench/parts/20-scale.sh).
 *
 *   h2backend HOST PORT STATS_FILE
 *
 * One thread, epoll, nonblocking sockets, a few dozen bytes of state per connection, so one process holds
 * thousands of client connections. It speaks enough HTTP/2 for a gRPC client to reach READY and stay there:
 * it sends its SETTINGS at once, checks the client preface, acknowledges the client's SETTINGS and PINGs,
 * and answers any request (HEADERS) with a trailers-only response, grpc-status 12 (UNIMPLEMENTED). Every
 * other frame is skipped.
 *
 * The fair "all READY" clock: a connection counts as handshaken once the server has the client's preface,
 * the client's SETTINGS, and the client's ACK of the server's SETTINGS (so the client has processed the
 * server preface, which is what grpc-go, C-core and grpc-swift wait for before READY). Every 10 ms, when
 * something changed, the process replaces STATS_FILE (write + rename) with one line:
 *   open_handshaken accepted_total handshakes_total last_handshake_monotonic_ns closed_total
 * where the time is CLOCK_MONOTONIC, the clock Python's time.monotonic() reads, so the harness compares
 * it with the moment it started a client.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_FDS 65536
static const char PREFACE[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"; /* 24 bytes */

struct conn {
    uint8_t active, preface_done, got_settings, got_ack, counted;
    uint8_t preface_have, hdr_have, ping_have;
    uint8_t hdr[9];
    uint8_t ping[8];
    uint32_t payload_left;
    uint8_t *out; /* pending output, only when a write would block */
    uint32_t out_len, out_cap;
};

static struct conn conns[MAX_FDS];
static int epfd;
static long long open_handshaken, accepted_total, handshakes_total, closed_total, last_handshake_ns;
static volatile sig_atomic_t stop;

static long long now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void close_conn(int fd) {
    struct conn *c = &conns[fd];
    if (c->counted) open_handshaken--;
    free(c->out);
    memset(c, 0, sizeof *c);
    epoll_ctl(epfd, EPOLL_CTL_DEL, fd, NULL);
    close(fd);
    closed_total++;
}

/* Writes now, or queues what the socket does not take and waits for EPOLLOUT. Returns -1 on a dead socket. */
static int send_bytes(int fd, const uint8_t *p, size_t n) {
    struct conn *c = &conns[fd];
    if (c->out_len == 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK) return -1;
        if (w < 0) w = 0;
        p += w;
        n -= (size_t)w;
        if (n == 0) return 0;
        struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT, .data.fd = fd};
        epoll_ctl(epfd, EPOLL_CTL_MOD, fd, &ev);
    }
    if (c->out_len + n > c->out_cap) {
        uint32_t cap = c->out_cap ? c->out_cap : 256;
        while (cap < c->out_len + n) cap *= 2;
        uint8_t *q = realloc(c->out, cap);
        if (!q) return -1;
        c->out = q;
        c->out_cap = cap;
    }
    memcpy(c->out + c->out_len, p, n);
    c->out_len += (uint32_t)n;
    return 0;
}

static void frame_header(uint8_t *h, uint32_t len, uint8_t type, uint8_t flags, uint32_t stream) {
    h[0] = (uint8_t)(len >> 16); h[1] = (uint8_t)(len >> 8); h[2] = (uint8_t)len;
    h[3] = type; h[4] = flags;
    h[5] = (uint8_t)(stream >> 24) & 0x7f; h[6] = (uint8_t)(stream >> 16); h[7] = (uint8_t)(stream >> 8); h[8] = (uint8_t)stream;
}

static void maybe_count(struct conn *c) {
    if (!c->counted && c->preface_done && c->got_settings && c->got_ack) {
        c->counted = 1;
        open_handshaken++;
        handshakes_total++;
        last_handshake_ns = now_ns();
    }
}

/* Trailers-only response: ":status: 200", "content-type: application/grpc", "grpc-status: 12" (HPACK literals). */
static int answer_request(int fd, uint32_t stream) {
    uint8_t block[64];
    size_t n = 0;
    block[n++] = 0x88;                                  /* indexed :status 200 */
    block[n++] = 0x0f; block[n++] = 0x10;               /* literal w/o indexing, name index 31 (content-type) */
    block[n++] = 16; memcpy(block + n, "application/grpc", 16); n += 16;
    block[n++] = 0x00;                                  /* literal w/o indexing, new name */
    block[n++] = 11; memcpy(block + n, "grpc-status", 11); n += 11;
    block[n++] = 2; memcpy(block + n, "12", 2); n += 2;
    uint8_t frame[9 + 64];
    frame_header(frame, (uint32_t)n, 0x1, 0x5, stream); /* HEADERS, END_STREAM | END_HEADERS */
    memcpy(frame + 9, block, n);
    return send_bytes(fd, frame, 9 + n);
}

/* Called when a frame's 9-byte header is complete. */
static int on_frame_header(int fd, struct conn *c) {
    uint32_t len = ((uint32_t)c->hdr[0] << 16) | ((uint32_t)c->hdr[1] << 8) | c->hdr[2];
    uint8_t type = c->hdr[3], flags = c->hdr[4];
    uint32_t stream = (((uint32_t)c->hdr[5] & 0x7f) << 24) | ((uint32_t)c->hdr[6] << 16) | ((uint32_t)c->hdr[7] << 8) | c->hdr[8];
    c->payload_left = len;
    c->ping_have = 0;
    if (type == 0x4) { /* SETTINGS */
        if (flags & 0x1) {
            c->got_ack = 1;
        } else {
            uint8_t ack[9];
            frame_header(ack, 0, 0x4, 0x1, 0);
            if (send_bytes(fd, ack, 9) < 0) return -1;
            c->got_settings = 1;
        }
        maybe_count(c);
    } else if ((type == 0x1 || type == 0x9) && (flags & 0x4) && stream != 0) { /* HEADERS/CONTINUATION, END_HEADERS */
        if (answer_request(fd, stream) < 0) return -1;
    }
    return 0;
}

static int on_readable(int fd) {
    static uint8_t buf[65536];
    struct conn *c = &conns[fd];
    for (int rounds = 0; rounds < 16; rounds++) {
        ssize_t n = read(fd, buf, sizeof buf);
        if (n == 0) return -1;
        if (n < 0) return (errno == EAGAIN || errno == EWOULDBLOCK) ? 0 : -1;
        size_t i = 0;
        while (i < (size_t)n) {
            if (!c->preface_done) {
                if (buf[i] != (uint8_t)PREFACE[c->preface_have]) return -1;
                i++;
                if (++c->preface_have == 24) c->preface_done = 1;
                continue;
            }
            if (c->hdr_have < 9) {
                c->hdr[c->hdr_have++] = buf[i++];
                if (c->hdr_have == 9) {
                    if (on_frame_header(fd, c) < 0) return -1;
                    if (c->payload_left == 0) c->hdr_have = 0;
                }
                continue;
            }
            size_t take = (size_t)n - i;
            if (take > c->payload_left) take = c->payload_left;
            if (c->hdr[3] == 0x6) { /* PING: keep its 8 bytes */
                for (size_t k = 0; k < take && c->ping_have < 8; k++) c->ping[c->ping_have++] = buf[i + k];
            }
            i += take;
            c->payload_left -= (uint32_t)take;
            if (c->payload_left == 0) {
                if (c->hdr[3] == 0x6 && !(c->hdr[4] & 0x1) && c->ping_have == 8) {
                    uint8_t ack[17];
                    frame_header(ack, 8, 0x6, 0x1, 0);
                    memcpy(ack + 9, c->ping, 8);
                    if (send_bytes(fd, ack, 17) < 0) return -1;
                }
                c->hdr_have = 0;
            }
        }
        if ((size_t)n < sizeof buf) return 0;
    }
    return 0;
}

static int on_writable(int fd) {
    struct conn *c = &conns[fd];
    while (c->out_len) {
        ssize_t w = write(fd, c->out, c->out_len);
        if (w < 0) return (errno == EAGAIN || errno == EWOULDBLOCK) ? 0 : -1;
        memmove(c->out, c->out + w, c->out_len - (size_t)w);
        c->out_len -= (uint32_t)w;
    }
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = fd};
    epoll_ctl(epfd, EPOLL_CTL_MOD, fd, &ev);
    return 0;
}

static void write_stats(const char *path) {
    char tmp[4096], line[256];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    int n = snprintf(line, sizeof line, "%lld %lld %lld %lld %lld\n", open_handshaken, accepted_total,
                     handshakes_total, last_handshake_ns, closed_total);
    FILE *f = fopen(tmp, "w");
    if (!f) return;
    fwrite(line, 1, (size_t)n, f);
    fclose(f);
    rename(tmp, path);
}

static void on_signal(int sig) { (void)sig; stop = 1; }

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: h2backend HOST PORT STATS_FILE\n");
        return 2;
    }
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
        rl.rlim_cur = rl.rlim_max < MAX_FDS ? rl.rlim_max : MAX_FDS;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    signal(SIGPIPE, SIG_IGN);
    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);

    int lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int one = 1;
    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[2]))};
    if (inet_pton(AF_INET, argv[1], &addr.sin_addr) != 1) { fprintf(stderr, "bad host %s\n", argv[1]); return 2; }
    if (bind(lfd, (struct sockaddr *)&addr, sizeof addr) < 0) { perror("bind"); return 1; }
    if (listen(lfd, 65535) < 0) { perror("listen"); return 1; }
    socklen_t alen = sizeof addr;
    getsockname(lfd, (struct sockaddr *)&addr, &alen);

    epfd = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event lev = {.events = EPOLLIN, .data.fd = lfd};
    epoll_ctl(epfd, EPOLL_CTL_ADD, lfd, &lev);
    const char *stats = argv[3];
    write_stats(stats);
    printf("listening %s:%d\n", argv[1], ntohs(addr.sin_port));
    fflush(stdout);

    static uint8_t server_settings[9];
    frame_header(server_settings, 0, 0x4, 0x0, 0);
    long long written_version = -1, version = 0, last_write = 0;
    struct epoll_event events[512];
    while (!stop) {
        int n = epoll_wait(epfd, events, 512, 10);
        for (int k = 0; k < n; k++) {
            int fd = events[k].data.fd;
            if (fd == lfd) {
                for (;;) {
                    int cfd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
                    if (cfd < 0) break;
                    if (cfd >= MAX_FDS) { close(cfd); continue; }
                    setsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                    memset(&conns[cfd], 0, sizeof conns[cfd]);
                    conns[cfd].active = 1;
                    accepted_total++;
                    struct epoll_event ev = {.events = EPOLLIN, .data.fd = cfd};
                    epoll_ctl(epfd, EPOLL_CTL_ADD, cfd, &ev);
                    if (send_bytes(cfd, server_settings, 9) < 0) close_conn(cfd);
                }
                version++;
                continue;
            }
            if (!conns[fd].active) continue;
            int bad = 0;
            if (events[k].events & (EPOLLERR | EPOLLHUP)) bad = 1;
            if (!bad && (events[k].events & EPOLLOUT)) bad = on_writable(fd) < 0;
            if (!bad && (events[k].events & EPOLLIN)) bad = on_readable(fd) < 0;
            if (bad) close_conn(fd);
            version++;
        }
        long long t = now_ns();
        if (version != written_version && t - last_write >= 10000000LL) {
            write_stats(stats);
            written_version = version;
            last_write = t;
        }
    }
    write_stats(stats);
    return 0;
}
