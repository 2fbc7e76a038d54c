/*
 * pcap_ceiling: the fastest a capture file can be read with libpcap on this machine, the
 * ceiling that the sensor's rate is divided by in docs/BENCHMARKS.md. It opens the file the way
 * the sensor does (pcap_open_offline_with_tstamp_precision, nanoseconds) and runs pcap_loop
 * with a callback that touches each packet as little as can be made observable: it sums the
 * captured lengths and first bytes, and prints the sum so the loop cannot be optimised away.
 * It owns nothing of the sensor and links only libpcap.
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include <pcap/pcap.h>

struct tally {
    uint64_t packets;
    uint64_t bytes; /* captured */
    uint64_t first_bytes;
};

static void on_packet(u_char *user, const struct pcap_pkthdr *h, const u_char *bytes)
{
    struct tally *t = (struct tally *)user;
    t->packets++;
    t->bytes += h->caplen;
    if (h->caplen > 0)
        t->first_bytes += bytes[0];
}

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int main(int argc, char **argv)
{
    if (argc != 2 || argv[1][0] == '-') {
        fprintf(stderr, "usage: pcap_ceiling FILE\n"
                        "Reads FILE with pcap_loop and prints packets, seconds, packets/s and "
                        "ns/packet.\n");
        return 2;
    }
    char errbuf[PCAP_ERRBUF_SIZE];
    struct tally t = {0};
    uint64_t t0 = now_ns();
    pcap_t *p =
            pcap_open_offline_with_tstamp_precision(argv[1], PCAP_TSTAMP_PRECISION_NANO, errbuf);
    if (p == NULL) {
        fprintf(stderr, "pcap_ceiling: pcap_open_offline(%s): %s\n", argv[1], errbuf);
        return 2;
    }
    int rc = pcap_loop(p, -1, on_packet, (u_char *)&t);
    uint64_t elapsed = now_ns() - t0;
    if (rc == PCAP_ERROR)
        fprintf(stderr, "pcap_ceiling: pcap_loop(%s): %s\n", argv[1], pcap_geterr(p));
    pcap_close(p);
    double secs = (double)elapsed / 1e9;
    printf("  packets                %" PRIu64 "\n", t.packets);
    printf("  bytes_captured         %" PRIu64 "\n", t.bytes);
    printf("  first_byte_sum         %" PRIu64 "\n", t.first_bytes);
    printf("  seconds                %.6f\n", secs);
    printf("  packets_per_second     %.0f\n", secs > 0 ? (double)t.packets / secs : 0.0);
    printf("  ns_per_packet          %.2f\n",
           t.packets ? (double)elapsed / (double)t.packets : 0.0);
    return rc == PCAP_ERROR ? 1 : 0;
}
