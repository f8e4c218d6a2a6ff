/* udpflood: sends N UDP datagrams of SIZE bytes to ADDR:PORT as fast as sendmmsg allows, in
 * batches of 64. Used by bench/capture.sh inside a network namespace only. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc < 5) {
        fprintf(stderr, "usage: udpflood ADDR PORT COUNT SIZE\n");
        return 2;
    }
    long count = atol(argv[3]);
    int size = atoi(argv[4]);
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in dst = {0};
    dst.sin_family = AF_INET;
    dst.sin_port = htons(atoi(argv[2]));
    inet_pton(AF_INET, argv[1], &dst.sin_addr);
    if (connect(fd, (struct sockaddr *)&dst, sizeof dst) != 0) { perror("connect"); return 1; }
    char *buf = calloc(1, size > 0 ? size : 1);
    struct mmsghdr msgs[64];
    struct iovec iov[64];
    for (int i = 0; i < 64; i++) {
        iov[i].iov_base = buf;
        iov[i].iov_len = size;
        memset(&msgs[i], 0, sizeof msgs[i]);
        msgs[i].msg_hdr.msg_iov = &iov[i];
        msgs[i].msg_hdr.msg_iovlen = 1;
    }
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    long sent = 0;
    while (sent < count) {
        int n = count - sent < 64 ? (int)(count - sent) : 64;
        int r = sendmmsg(fd, msgs, n, 0);
        if (r < 0) continue;
        sent += r;
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double s = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
    printf("%ld %.3f\n", sent, s);
    return 0;
}
