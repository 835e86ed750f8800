/* Many Server-Sent Events readers in one small process, for benchmarks/scaleout.py.

   Python's asyncio cannot hold tens of thousands of sockets on two cores without becoming the
   bottleneck it is meant to measure, so the readers are this: one thread, epoll, a few dozen
   bytes of state per connection. Compiled by the benchmark with `gcc -O2` into a temporary
   directory.

       sse_readers HOST PORT PATH READERS FIRST_ID UPDATES MAX_PENDING OUTPUT

   Opens READERS connections to HOST:PORT, `GET PATH` with `Accept: text/event-stream`, at most
   MAX_PENDING at a time not yet answered (Pushpin 1.36 answers 5xx beyond about a hundred
   queued requests). A reader counts as connected when it has received the `retry:` line that
   starts every stream; one refused or cut before that is opened again (counted in
   connect_errors), and so is one whose stream ends later (dropped, reconnected, with
   Last-Event-ID as a browser does, but at once). Each reader expects the events with ids
   FIRST_ID .. FIRST_ID+UPDATES-1 and notes the wall-clock time (CLOCK_REALTIME, the clock of Python's time.time()) of the
   read that completed each event. Chunked transfer encoding is decoded (uvicorn and Pushpin
   both use it).

   Stdout, one line each: `connected N` now and then, `ready N SECONDS` when every reader is
   connected, `delivered N` (events received so far, all readers) at most once a second while
   it grows, `complete` when every reader has every event. A line (or EOF) on stdin ends the
   run: the figures go to OUTPUT (see parse_output in benchmarks/scaleout.py) and the process
   exits. */

#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum { CONNECTING, HEADERS, BODY, CLOSED };
enum { CHUNK_SIZE, CHUNK_DATA };

#define HEAD_MAX 2048
#define LINE_KEEP 24

typedef struct {
    int fd;
    unsigned char state;
    unsigned char chunked;
    unsigned char chunk_state;
    unsigned char chunk_digits;
    unsigned char chunk_ext;
    unsigned char subscribed;
    unsigned char line_len; /* bytes kept of the current line, at most LINE_KEEP */
    unsigned char has_id;
    unsigned char ever_subscribed;
    long chunk_left;
    long last_id; /* the newest event received, for Last-Event-ID on a reconnection */
    long pending_id;
    uint64_t seen;
    int got;
    int dups;
    char *head; /* the response head while it is read, NULL after */
    int head_len;
    char line[LINE_KEEP];
} Reader;

static const char *host, *path;
static int port, readers, updates, max_pending;
static long first_id;
static Reader *all;
static int64_t *arrival; /* readers x updates, microseconds since the epoch, 0: none */
static int epfd, pending, connected, complete_readers;
static int *queue, queue_head, queue_count; /* readers to open (again), a ring */
static long connect_errors, dropped, unexpected, reconnected, delivered;
static long ended[4]; /* why streams ended after connecting: see END_NAMES */
static const char *END_NAMES[4] = {"closed", "read_error", "last_chunk", "bad_chunk"};
enum { END_CLOSED, END_READ_ERROR, END_LAST_CHUNK, END_BAD_CHUNK };
static int64_t now_us;

static int64_t wall_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static double mono(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void open_one(int index) {
    Reader *r = &all[index];
    /* A reconnecting reader keeps what it received (and says so with Last-Event-ID). */
    Reader kept = *r;
    memset(r, 0, sizeof *r);
    r->seen = kept.seen;
    r->got = kept.got;
    r->dups = kept.dups;
    r->ever_subscribed = kept.ever_subscribed;
    r->last_id = kept.ever_subscribed ? kept.last_id : first_id - 1;
    r->pending_id = -1;
    r->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    if (r->fd < 0) {
        perror("socket");
        exit(2);
    }
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons(port)};
    inet_pton(AF_INET, host, &address.sin_addr);
    if (connect(r->fd, (struct sockaddr *)&address, sizeof address) < 0 && errno != EINPROGRESS) {
        perror("connect");
        exit(2);
    }
    r->state = CONNECTING;
    struct epoll_event event = {.events = EPOLLOUT, .data.u32 = index};
    epoll_ctl(epfd, EPOLL_CTL_ADD, r->fd, &event);
    pending++;
}

/* End a connection; reason: an END_* for a stream that had started, -1 before that. Either
   way the reader connects again, as a browser's EventSource does (at once here). */
static void close_one(int index, int reason) {
    Reader *r = &all[index];
    if (r->state == CLOSED) return;
    epoll_ctl(epfd, EPOLL_CTL_DEL, r->fd, NULL);
    close(r->fd);
    free(r->head);
    r->head = NULL;
    r->state = CLOSED;
    if (r->subscribed) {
        ended[reason < 0 ? END_CLOSED : reason]++;
        dropped++;
        queue[(queue_head + queue_count++) % readers] = index;
        return;
    }
    if (++connect_errors > 5L * readers) {
        fprintf(stderr, "sse_readers: %ld connections refused or cut, giving up\n",
                connect_errors);
        exit(3);
    }
    pending--;
    queue[(queue_head + queue_count++) % readers] = index;
}

static void record(int index, long id) {
    Reader *r = &all[index];
    long offset = id - first_id;
    if (offset < 0 || offset >= updates) {
        unexpected++;
        return;
    }
    uint64_t bit = (uint64_t)1 << offset;
    if (r->seen & bit) {
        r->dups++;
        return;
    }
    r->seen |= bit;
    r->last_id = id;
    delivered++;
    arrival[(int64_t)index * updates + offset] = now_us;
    if (++r->got == updates && ++complete_readers == readers) {
        printf("complete\n");
        fflush(stdout);
    }
}

static void end_of_line(int index) {
    Reader *r = &all[index];
    int len = r->line_len;
    if (len > 0 && r->line[len - 1] == '\r') len--;
    if (len == 0) { /* a blank line ends an event */
        if (r->has_id) record(index, r->pending_id);
        r->has_id = 0;
    } else if (len > 3 && memcmp(r->line, "id:", 3) == 0) {
        r->line[len < LINE_KEEP ? len : LINE_KEEP - 1] = 0;
        r->pending_id = strtol(r->line + 3, NULL, 10);
        r->has_id = 1;
    } else if (len > 6 && memcmp(r->line, "retry:", 6) == 0 && !r->subscribed) {
        r->subscribed = 1;
        pending--;
        if (r->ever_subscribed) {
            reconnected++;
            r->line_len = 0;
            return;
        }
        r->ever_subscribed = 1;
        connected++;
        if (connected % (readers / 10 ? readers / 10 : 1) == 0 && connected < readers) {
            printf("connected %d\n", connected);
            fflush(stdout);
        }
    }
    r->line_len = 0;
}

/* Event-stream bytes (after any chunked framing is removed). */
static void feed_events(int index, const char *data, long size) {
    Reader *r = &all[index];
    while (size > 0) {
        const char *newline = memchr(data, '\n', size);
        long piece = newline ? newline - data : size;
        int room = LINE_KEEP - r->line_len;
        int keep = piece < room ? piece : room;
        memcpy(r->line + r->line_len, data, keep);
        r->line_len += keep;
        if (!newline) return;
        end_of_line(index);
        data = newline + 1;
        size -= piece + 1;
    }
}

/* Body bytes as they come off the socket; returns -1 while the stream goes on, else why it
   ended (END_*). */
static int feed_body(int index, const char *data, long size) {
    Reader *r = &all[index];
    if (!r->chunked) {
        feed_events(index, data, size);
        return -1;
    }
    while (size > 0) {
        if (r->chunk_state == CHUNK_DATA) {
            long take = size < r->chunk_left ? size : r->chunk_left;
            feed_events(index, data, take);
            data += take;
            size -= take;
            if ((r->chunk_left -= take) == 0) {
                r->chunk_state = CHUNK_SIZE;
                r->chunk_digits = 0;
                r->chunk_ext = 0;
            }
            continue;
        }
        char c = *data++;
        size--;
        if (c == '\n') {
            if (r->chunk_digits == 0) continue; /* the CRLF after a chunk's data */
            if (r->chunk_left == 0) return END_LAST_CHUNK;
            r->chunk_state = CHUNK_DATA;
        } else if (c == ';') {
            r->chunk_ext = 1;
        } else if (!r->chunk_ext && c != '\r') {
            int digit = (c >= '0' && c <= '9')   ? c - '0'
                        : (c >= 'a' && c <= 'f') ? c - 'a' + 10
                        : (c >= 'A' && c <= 'F') ? c - 'A' + 10
                                                 : -1;
            if (digit < 0) return END_BAD_CHUNK;
            r->chunk_left = r->chunk_left * 16 + digit;
            r->chunk_digits = 1;
        }
    }
    return -1;
}

static void readable(int index) {
    static char buffer[65536];
    Reader *r = &all[index];
    for (;;) {
        ssize_t size = read(r->fd, buffer, sizeof buffer);
        if (size < 0 && (errno == EAGAIN || errno == EINTR)) return;
        if (size <= 0) {
            close_one(index, size == 0 ? END_CLOSED : END_READ_ERROR);
            return;
        }
        now_us = wall_us();
        const char *body = buffer;
        long body_size = size;
        if (r->state == HEADERS) {
            int take = size < HEAD_MAX - r->head_len ? size : HEAD_MAX - r->head_len;
            memcpy(r->head + r->head_len, buffer, take);
            r->head_len += take;
            r->head[r->head_len] = 0;
            char *end = strstr(r->head, "\r\n\r\n");
            if (!end) {
                if (r->head_len >= HEAD_MAX) {
                    close_one(index, END_CLOSED);
                    return;
                }
                if (size < (ssize_t)sizeof buffer) return;
                continue;
            }
            int head_size = end + 4 - r->head;
            if (strncmp(r->head, "HTTP/1.1 200", 12) != 0) {
                close_one(index, END_CLOSED);
                return;
            }
            r->chunked = strcasestr(r->head, "transfer-encoding: chunked") != NULL;
            body = buffer + (head_size - (r->head_len - take));
            body_size = size - (body - buffer);
            free(r->head);
            r->head = NULL;
            r->state = BODY;
        }
        int end = feed_body(index, body, body_size);
        if (end >= 0) {
            close_one(index, end);
            return;
        }
        if (size < (ssize_t)sizeof buffer) return;
    }
}

static void writable(int index) {
    Reader *r = &all[index];
    int error = 0;
    socklen_t length = sizeof error;
    getsockopt(r->fd, SOL_SOCKET, SO_ERROR, &error, &length);
    char request[1024];
    int request_len = snprintf(request, sizeof request,
                               "GET %s HTTP/1.1\r\nHost: %s:%d\r\nX-Forwarded-Proto: https\r\n"
                               "Accept: text/event-stream\r\nUser-Agent: sse_readers\r\n",
                               path, host, port);
    if (r->ever_subscribed)
        request_len += snprintf(request + request_len, sizeof request - request_len,
                                "Last-Event-ID: %ld\r\n", r->last_id);
    request_len += snprintf(request + request_len, sizeof request - request_len, "\r\n");
    if (error || write(r->fd, request, request_len) != request_len) {
        close_one(index, END_CLOSED);
        return;
    }
    r->state = HEADERS;
    r->head = malloc(HEAD_MAX + 1);
    r->head_len = 0;
    struct epoll_event event = {.events = EPOLLIN, .data.u32 = index};
    epoll_ctl(epfd, EPOLL_CTL_MOD, r->fd, &event);
}

static void write_output(const char *name, double connect_seconds) {
    FILE *out = fopen(name, "w");
    if (!out) {
        perror(name);
        exit(2);
    }
    long lost = 0, dups = 0;
    for (int i = 0; i < readers; i++) {
        lost += updates - all[i].got;
        dups += all[i].dups;
    }
    fprintf(out, "readers %d\nconnected %d\nconnect_errors %ld\nconnect_seconds %.3f\n", readers,
            connected, connect_errors, connect_seconds);
    fprintf(out, "dropped %ld\nreconnected %ld\nunexpected %ld\nlost %ld\nduplicated %ld\n",
            dropped, reconnected, unexpected, lost, dups);
    for (int e = 0; e < 4; e++) fprintf(out, "ended_%s %ld\n", END_NAMES[e], ended[e]);
    for (int u = 0; u < updates; u++) {
        fprintf(out, "update %ld", first_id + u);
        for (int i = 0; i < readers; i++) {
            int64_t t = arrival[(int64_t)i * updates + u];
            if (t) fprintf(out, " %lld", (long long)t);
        }
        fputc('\n', out);
    }
    fclose(out);
}

int main(int argc, char **argv) {
    if (argc != 9) {
        fprintf(stderr, "usage: %s HOST PORT PATH READERS FIRST_ID UPDATES MAX_PENDING OUTPUT\n",
                argv[0]);
        return 2;
    }
    host = argv[1];
    port = atoi(argv[2]);
    path = argv[3];
    readers = atoi(argv[4]);
    first_id = atol(argv[5]);
    updates = atoi(argv[6]);
    max_pending = atoi(argv[7]);
    if (updates < 1 || updates > 64 || readers < 1) {
        fprintf(stderr, "UPDATES must be 1-64 and READERS at least 1\n");
        return 2;
    }
    struct rlimit limit;
    getrlimit(RLIMIT_NOFILE, &limit);
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
    all = calloc(readers, sizeof *all);
    arrival = calloc((size_t)readers * updates, sizeof *arrival);
    epfd = epoll_create1(0);
    fcntl(0, F_SETFL, fcntl(0, F_GETFL) | O_NONBLOCK);
    struct epoll_event stdin_event = {.events = EPOLLIN, .data.u32 = UINT32_MAX};
    epoll_ctl(epfd, EPOLL_CTL_ADD, 0, &stdin_event);
    queue = malloc(sizeof(int) * readers);
    for (int i = 0; i < readers; i++) queue[i] = i;
    queue_count = readers;
    double started = mono(), connect_seconds = 0, reported = 0;
    long reported_delivered = 0;
    struct epoll_event events[1024];
    for (;;) {
        /* Open new connections (and reopen refused ones) while few are unanswered. */
        while (queue_count > 0 && pending < max_pending) {
            open_one(queue[queue_head]);
            queue_head = (queue_head + 1) % readers;
            queue_count--;
        }
        int count = epoll_wait(epfd, events, 1024, 20);
        for (int n = 0; n < count; n++) {
            uint32_t index = events[n].data.u32;
            if (index == UINT32_MAX) {
                char line[64];
                ssize_t size = read(0, line, sizeof line);
                if (size < 0 && errno == EAGAIN) continue;
                write_output(argv[8], connect_seconds);
                return 0;
            }
            if (all[index].state == CONNECTING)
                writable(index);
            else if (all[index].state != CLOSED)
                readable(index);
        }
        if (connected == readers && connect_seconds == 0) {
            connect_seconds = mono() - started;
            printf("ready %d %.3f\n", connected, connect_seconds);
            fflush(stdout);
        }
        if (connect_seconds > 0 && delivered != reported_delivered && mono() - reported >= 1) {
            reported = mono();
            reported_delivered = delivered;
            printf("delivered %ld\n", delivered);
            fflush(stdout);
        }
    }
}
